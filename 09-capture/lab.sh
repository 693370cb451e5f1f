#!/usr/bin/env bash
# lab.sh: a small network on one machine, a request across it, and what
# the sniffer saw on each LAN, annotated (notes 三, 3.1-3.5).
#
#   09-capture/lab.sh [-o DIR]     build the lab, curl http://www.netlab.test/
#                                  from host A, print the annotated capture,
#                                  tear it all down; -o keeps the pcaps in DIR
#   09-capture/lab.sh hub [-o DIR] the same with a hub in place of the switch
#                                  (notes 3.4): B sees A's traffic with R too
#   09-capture/lab.sh show DIR     the same report for pcaps kept earlier
#                                  (09-capture/samples has some), no root needed
#   09-capture/lab.sh mask ADDR/PREFIX [ADDR...]
#                                  the AND of notes 3.3, bit by bit, no root needed
#
# The network, built from Linux network namespaces (each one a separate
# network stack: its own interfaces, addresses, routes and ARP cache):
#
#   LAN 1, 192.0.2.0/24                          LAN 2, 198.51.100.0/24
#   A 192.0.2.10  (curl) ---+
#                           switch ---- 192.0.2.1 R 198.51.100.1 ---- C 198.51.100.80
#   B 192.0.2.53 (dnsmasq) -+  (bridge)   (router, A's gateway)       (06-epoll, port 80)
#
# Every address is from the documentation ranges (RFC 5737) and every
# interface, the bridge included, is created inside a namespace made here,
# so nothing touches the machine's own network and no frame can leave it.
# Names carry this run's PID, and the trap below removes exactly what was
# made, on success, on failure and on Ctrl-C. Needs root and Linux; without
# them it says so and exits 77 (the usual "skipped" status).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${NETLAB_BIN:-$ROOT}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
SNIFF=$BIN/09-capture/sniff
SERVER=$BIN/06-epoll/server
P=nl$$                      # this run's prefix: namespaces $P-a, $P-b, ...
NAME=www.netlab.test        # .test is reserved for testing (RFC 6761)
SKIP=77

# Each host's address and MAC. A MAC ends in the host's number in hex, and
# its leading 02 marks it "locally administered": made up, not a vendor's.
A_IP=192.0.2.10    A_MAC=02:00:00:00:00:0a
B_IP=192.0.2.53    B_MAC=02:00:00:00:00:35
R1_IP=192.0.2.1    R1_MAC=02:00:00:00:00:01
R2_IP=198.51.100.1 R2_MAC=02:00:00:00:01:01
C_IP=198.51.100.80 C_MAC=02:00:00:00:01:50

made_ns=()                  # namespaces created, for teardown
pids=()                     # processes started, for teardown
declare -A started          # name -> PID
dir=""                      # scratch: pcaps, logs
txt=""                      # where the decoded transcripts go
keep=""                     # -o DIR: keep the pcaps and transcripts there
device=switch               # what joins LAN 1: switch, or hub

skip() {
	echo "lab.sh: $*: skipped" >&2
	exit $SKIP
}

# ---- notes 3.3: the mask is a bitwise AND ----

ip_to_int() {
	local IFS=. a b c d
	read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int_to_ip() {
	echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# bits N: the 32 bits of N, an octet at a time, dotted like the address.
bits() {
	local i out=""
	for ((i = 31; i >= 0; i--)); do
		out+=$(($1 >> i & 1))
		if ((i % 8 == 0 && i > 0)); then out+=.; fi
	done
	echo "$out"
}

# and_rows ADDR MASK: the AND bit by bit, one row each for the address,
# the mask and the result: a result bit is 1 only where both above are.
and_rows() {
	local a
	a=$(ip_to_int "$1")
	printf '    %-8s %s  %s\n' address "$(bits "$a")" "$1" \
		mask "$(bits "$2")" "$(int_to_ip "$2")" \
		AND "$(bits $((a & $2)))" "$(int_to_ip $((a & $2)))"
}

# reserved NET BCAST PREFIX: what the mask sets aside in this network.
reserved() {
	if [ "$3" -le 30 ]; then
		echo "reserved: $(int_to_ip "$1") (the network itself) and $(int_to_ip "$2") (broadcast);" \
			"hosts $(int_to_ip $(($1 + 1))) to $(int_to_ip $(($2 - 1)))"
	elif [ "$3" -eq 31 ]; then
		echo "reserved: none: a /31 is a point-to-point link, and both its addresses are hosts (RFC 3021)"
	else
		echo "reserved: none: a /32 is a single address, one host (as in a route to one host)"
	fi
}

is_ipv4() {
	[[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
		((BASH_REMATCH[1] < 256 && BASH_REMATCH[2] < 256 &&
		  BASH_REMATCH[3] < 256 && BASH_REMATCH[4] < 256))
}

# mask SHOW ADDR/PREFIX [OTHER...]: the network and broadcast addresses the
# mask reserves, and for each OTHER whether it is on the same network;
# SHOW "bits" adds the AND bit by bit under each line, "brief" does not.
mask() {
	local show=$1 addr=${2%/*} prefix=${2#*/} m a net bcast o on
	shift 2
	[ "$addr" != "$prefix" ] ||
		{ echo "lab.sh mask: give the address with its prefix length, as in 192.0.2.10/24" >&2; return 2; }
	for o in "$addr" "$@"; do
		is_ipv4 "$o" || { echo "lab.sh mask: $o is not an IPv4 address" >&2; return 2; }
	done
	if ! [[ $prefix =~ ^[0-9]{1,2}$ ]] || [ "$prefix" -gt 32 ]; then
		echo "lab.sh mask: the prefix length is 0 to 32, not '$prefix'" >&2
		return 2
	fi
	m=$(((0xffffffff << (32 - prefix)) & 0xffffffff))
	a=$(ip_to_int "$addr")
	net=$((a & m))
	bcast=$((net | (~m & 0xffffffff)))
	echo "$addr AND $(int_to_ip $m) = $(int_to_ip $net)  (network $(int_to_ip $net)/$prefix)"
	[ "$show" = brief ] || and_rows "$addr" $m
	reserved $net $bcast "$prefix"
	for o in "$@"; do
		on=$(($(ip_to_int "$o") & m))
		if [ $on -eq $net ]; then
			echo "$o AND $(int_to_ip $m) = $(int_to_ip $on): same network, ARP for $o itself"
		else
			echo "$o AND $(int_to_ip $m) = $(int_to_ip $on): another network, send to the gateway"
		fi
		[ "$show" = brief ] || and_rows "$o" $m
	done
}

# ---- building and tearing down ----

teardown() {
	local pid ns
	trap '' INT TERM
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for ns in "${made_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	[ -z "$dir" ] || [ -n "$keep" ] || rm -rf "$dir"
}

# After "show": only the scratch transcripts go.
remove_txt() {
	[ -z "$txt" ] || rm -rf "$txt"
}

check_can_run() {
	[ "$(uname -s)" = Linux ] || skip "network namespaces need Linux"
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces and packet sockets; as root: make capture (or sudo make capture)"
	local tool
	for tool in ip dnsmasq curl ss sysctl; do
		command -v $tool >/dev/null || skip "needs $tool (apt-get install iproute2 dnsmasq-base curl procps)"
	done
	[ -x "$SNIFF" ] && [ -x "$SERVER" ] || skip "build first: make"
}

# A namespace with IPv6 off (so its interfaces do not chatter neighbour
# discovery into the capture) and lo up.
make_ns() {
	ip netns add "$P-$1" || skip "cannot create a network namespace here"
	made_ns+=("$P-$1")
	echo "ns $P-$1" >>"$dir/made"
	ip netns exec "$P-$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$P-$1" link set lo up
}

# host NS IFACE MAC ADDR/PREFIX: configure one end of a cable.
host() {
	ip -n "$P-$1" link set "$2" address "$3"
	ip -n "$P-$1" addr add "$4" dev "$2"
	ip -n "$P-$1" link set "$2" up
}

build() {
	local ns ageing=()
	for ns in a b sw r c; do
		make_ns $ns
	done
	# The switch: a bridge with three ports, cabled (veth pairs) to A, B, R.
	# Without multicast snooping: with it, the bridge itself joins a group
	# and announces that (IGMP) into the LAN we want to watch. A hub is a
	# bridge with ageing time 0: it learns no MAC address, so it floods
	# every frame to every port, as a hub repeats it.
	[ "$device" = switch ] || ageing=(ageing_time 0)
	ip -n "$P-sw" link add br0 type bridge mcast_snooping 0 "${ageing[@]}"
	for ns in a b r; do
		ip -n "$P-sw" link add "port-$ns" type veth peer name "lan1" netns "$P-$ns"
		ip -n "$P-sw" link set "port-$ns" master br0 up
	done
	ip -n "$P-sw" link set br0 up
	host a lan1 $A_MAC $A_IP/24
	host b lan1 $B_MAC $B_IP/24
	host r lan1 $R1_MAC $R1_IP/24
	# LAN 2 is one cable from the router to C.
	ip -n "$P-r" link add lan2 type veth peer name lan2 netns "$P-c"
	host r lan2 $R2_MAC $R2_IP/24
	host c lan2 $C_MAC $C_IP/24
	ip netns exec "$P-r" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$P-a" route add default via $R1_IP
	ip -n "$P-b" route add default via $R1_IP
	# quickack: C acknowledges at once instead of delaying the ACK in the
	# hope of sending it with data. Without it, C's ACK of curl's FIN
	# usually rides on C's own FIN, and the four steps of the close show
	# as three segments.
	ip -n "$P-c" route add default via $R2_IP quickack 1
}

# wait_for NAME TEXT: up to 5 s for TEXT in NAME's log, while it runs.
wait_for() {
	local _ log=$dir/$1.log
	for _ in $(seq 100); do
		grep -q "$2" "$log" 2>/dev/null && return 0
		kill -0 "${started[$1]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "lab.sh: $1 did not say '$2'; its log:" >&2
	cat "$log" >&2
	return 1
}

# start NAME NS COMMAND...: run COMMAND in namespace NS, log in $dir/NAME.log.
start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$P-$ns" "$@" >"$dir/$name.log" 2>&1 </dev/null &
	pids+=($!)
	started[$name]=$!
	echo "pid $! $name" >>"$dir/made"
}

start_services() {
	start dnsmasq b dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file \
		--no-resolv --no-hosts --no-poll --bind-interfaces --listen-address=$B_IP \
		--host-record=$NAME,$C_IP --local-ttl=60 --log-queries --log-facility=-
	start server c "$SERVER" -b $C_IP -p 80 -d "$ROOT/www"
	wait_for server '^listening on '
	wait_for dnsmasq 'started'
	start sniff-a a "$SNIFF" -i lan1 -w "$dir/lan1-a.pcap"
	start sniff-b b "$SNIFF" -i lan1 -w "$dir/lan1-b.pcap"
	start sniff-c c "$SNIFF" -i lan2 -w "$dir/lan2-c.pcap"
	wait_for sniff-a '^listening on'
	wait_for sniff-b '^listening on'
	wait_for sniff-c '^listening on'
}

# LAB_HOLD=SECONDS: keep the lab up that long before the request, to look
# around (ip netns list; ip netns exec NAME ip neigh). The sleep is waited
# for in the background so that Ctrl-C ends it at once.
hold() {
	[ -n "${LAB_HOLD:-}" ] || return 0
	echo "lab is up, holding for $LAB_HOLD s: ip netns list | grep $P"
	sleep "$LAB_HOLD" &
	pids+=($!)
	echo "pid $! hold" >>"$dir/made"
	wait $!
}

# curl by name from A. Inside "ip netns exec" we are in a private copy of
# the mount table, so binding our resolv.conf over /etc/resolv.conf points
# this curl alone at B, and changes nothing for the rest of the machine.
request() {
	printf 'nameserver %s\n' $B_IP >"$dir/resolv.conf"
	printf 'hosts: dns\n' >"$dir/nsswitch.conf"
	ip netns exec "$P-a" sh -c 'mount --bind "$1" /etc/resolv.conf &&
		mount --bind "$2" /etc/nsswitch.conf &&
		exec curl -4 -sS --max-time 5 -o /dev/null -w "$3" "$4"' sh \
		"$dir/resolv.conf" "$dir/nsswitch.conf" \
		'%{http_code} %{size_download} bytes from %{remote_ip} port %{remote_port}\n' \
		"http://$NAME/"
}

# After curl exits, wait until the close is over: A's side of the
# connection in TIME_WAIT (it got C's FIN and sent the last ACK) and C's
# side gone. Then the sniffers drain what they have queued and stop.
finish_capture() {
	local _
	for _ in $(seq 100); do
		if [ -n "$(ip netns exec "$P-a" ss -Htn state time-wait)" ] &&
			[ -z "$(ip netns exec "$P-c" ss -Htn state all '( sport = :80 )' | grep -v LISTEN)" ]; then
			break
		fi
		sleep 0.05
	done
	ip netns exec "$P-a" ss -Htn state time-wait >"$dir/time-wait.txt"
	local name
	for name in sniff-a sniff-b sniff-c; do
		kill -TERM "${started[$name]}"
		wait "${started[$name]}" || { cat "$dir/$name.log" >&2; return 1; }
	done
}

# ---- what was seen ----

# device_text: what joins LAN 1, in a few words.
device_text() {
	if [ "$device" = hub ]; then
		echo "a hub (a Linux bridge with ageing time 0: it learns no MAC, so it floods every frame)"
	else
		echo "a switch (a Linux bridge)"
	fi
}

# describe WHERE: the hosts, and where they live.
describe() {
	cat <<-EOF
	== The lab: documentation addresses only (RFC 5737), in $1
	   LAN 1, 192.0.2.0/24, $(device_text) joins:
	     A  $A_IP/24      $A_MAC  the client (curl); gateway $R1_IP
	     B  $B_IP/24      $B_MAC  the name server (dnsmasq): $NAME is $C_IP
	     R  $R1_IP/24       $R1_MAC  the router (ip_forward=1)
	   LAN 2, 198.51.100.0/24, one cable:
	     R  $R2_IP/24    $R2_MAC  the router's second interface
	     C  $C_IP/24   $C_MAC  the server, 06-epoll on port 80
	EOF
}

# lan TITLE PCAP [MAC]: the decoded capture with notes under the frames;
# the transcript is kept in $txt for the summary. MAC is the capturing
# host's, if frames addressed to others are worth a note.
lan() {
	local t
	t=$txt/$(basename "$2" .pcap).txt
	echo
	echo "== $1 (sniff -r ${2##*/})"
	"$SNIFF" -r "$2" 2>/dev/null >"$t"
	awk -f "$ROOT/09-capture/annotate.awk" -v gateways="$R1_IP $R2_IP" -v me="${3:-}" \
		-v names="$A_IP=A $B_IP=B $R1_IP=R $R2_IP=R $C_IP=C $A_MAC=A $B_MAC=B $R1_MAC=R $R2_MAC=R $C_MAC=C" \
		"$t"
}

# others MAC TRANSCRIPT: how many of its frames were between other hosts:
# neither from MAC nor to it, nor to the broadcast address.
others() {
	awk -v me="$1" '$1 == "eth" && $2 != me && $4 != me && $4 != "ff:ff:ff:ff:ff:ff" { n++ }
		END { print n + 0 }' "$2"
}

# syn_line TRANSCRIPT: the Ethernet and IP fields of the SYN in it.
syn_line() {
	awk '$1 == "eth" { eth = $2 " > " $4 } $1 == "ip" { ip = $2 " > " $4 "  ttl " $6 }
		$1 == "tcp" && $5 == "[SYN]" { print "eth " eth "   ip " ip; exit }' "$1"
}

# What the three captures show together: each line is computed from them.
summary() {
	local arped frames_a frames_b tcp_b others_b
	arped=$(awk '$1 == "arp" && $2 == "request" && $6 == "'$A_IP'" { printf " %s", $4 }' "$txt/lan1-a.txt")
	frames_a=$(grep -c '^#' "$txt/lan1-a.txt" || true)
	frames_b=$(grep -c '^#' "$txt/lan1-b.txt" || true)
	tcp_b=$(grep -c '^  tcp ' "$txt/lan1-b.txt" || true)
	others_b=$(others $B_MAC "$txt/lan1-b.txt")
	echo
	echo "== What the packets show"
	echo "3.3  the mask decides: A is $A_IP/24, and ANDs each destination with the mask"
	mask brief $A_IP/24 $B_IP $C_IP | sed 's/^/       /'
	echo "     A sent ARP requests for:$arped"
	echo "3.4  the $device: A's sniffer saw $frames_a frames, B's $frames_b, $tcp_b of them TCP,"
	echo "     $others_b between other hosts' MACs:"
	if [ "$others_b" -eq 0 ]; then
		echo "     B got the broadcasts and what was addressed to B, not A's traffic with R"
	else
		echo "     B got A's traffic with R too: every frame was repeated on every port"
	fi
	echo "3.5  the SYN on each LAN: the MACs change at the router, the IP addresses do not,"
	echo "     and the router takes one off the TTL"
	echo "       LAN 1  $(syn_line "$txt/lan1-a.txt")"
	echo "       LAN 2  $(syn_line "$txt/lan2-c.txt")"
	echo "二   closed first by: $(awk '$1 == "ip" { ip = $2 } $1 == "tcp" && $5 ~ /FIN/ { print ip; exit }' "$txt/lan2-c.txt")"
	if [ -e "$1/time-wait.txt" ]; then
		echo "     in TIME_WAIT on A afterwards (ss -tn state time-wait):"
		sed 's/^/       /' "$1/time-wait.txt"
	fi
}

# report DIR: the three LANs' captures in DIR, decoded and annotated.
report() {
	lan "LAN 1, seen from A" "$1/lan1-a.pcap"
	lan "LAN 1, seen from B, a bystander on the same $device" "$1/lan1-b.pcap" $B_MAC
	lan "LAN 2, seen from C" "$1/lan2-c.pcap"
	summary "$1"
}

show() {
	[ -x "$SNIFF" ] || { echo "lab.sh: build first: make" >&2; exit 1; }
	trap remove_txt EXIT
	txt=$(mktemp -d "${TMPDIR:-/tmp}/netlab-show.XXXXXX")
	# What joined LAN 1 is not in the frames: the run wrote it down.
	[ ! -e "$1/device.txt" ] || device=$(cat "$1/device.txt")
	describe "namespaces of its own"
	report "$1"
}

main() {
	local out
	check_can_run
	trap teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ -n "$keep" ]; then
		mkdir -p "$keep"
		dir=$(cd "$keep" && pwd)
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/netlab-lab.XXXXXX")
	fi
	: >"$dir/made"
	echo "$device" >"$dir/device.txt"
	txt=$dir
	build
	start_services
	hold
	out=$(request)
	finish_capture
	describe "namespaces $P-a, -b, -sw (the $device), -r and -c"
	echo
	echo "== On A: curl -4 http://$NAME/"
	echo "   $out"
	report "$dir"
}

case ${1:-} in
mask)
	[ $# -ge 2 ] || { echo "usage: lab.sh mask ADDR/PREFIX [ADDR...]" >&2; exit 2; }
	shift
	mask bits "$@"
	exit ;;
show)
	[ $# -eq 2 ] || { echo "usage: lab.sh show DIR" >&2; exit 2; }
	show "$2"
	exit 0 ;;
hub)
	device=hub
	shift ;;
esac
while getopts o:h opt; do
	case $opt in
	o) keep=$OPTARG ;;
	h) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
main
