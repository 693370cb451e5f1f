#!/usr/bin/env bats
# 09-capture.bats: the sniffer's decoder on frames built here byte by byte
# (every layer, and truncated and malformed ones), the pcap files it reads
# and writes, and the lab: every fact of notes 三 asserted from the packets
# it really captured, checked against tcpdump, and nothing left behind,
# also when it fails or is interrupted. The lab needs root and Linux; its
# tests skip, saying why, without them.

load helpers

# One test at a time, even where run.sh lets a file's tests run side by
# side: they share the file's lab and hub directories.
BATS_NO_PARALLELIZE_WITHIN_FILE=true

SNIFF=$BIN/09-capture/sniff
LAB=$ROOT/09-capture/lab.sh

# not CMD...: succeed when CMD fails. (A bare "! cmd" inside a test never
# fails it: bash's -e ignores negated commands.)
not() {
	if "$@"; then return 1; fi
}

# ---- building frames: each function prints hex digits ----
# (They compute with printf -v and arithmetic, not with $(...) inside: a
# frame is built of a dozen of them, and each $(...) forks the test's shell.)

h8() { printf '%02x' "$1"; }
h16() { printf '%04x' "$1"; }
h32() { printf '%08x' "$1"; }
mac() { echo "${1//:/}"; }
# ip4x VAR A.B.C.D: the address in hex, in VAR; ip4 prints it.
ip4x() {
	local -a o=(${2//./ })
	printf -v "$1" '%02x%02x%02x%02x' "${o[0]}" "${o[1]}" "${o[2]}" "${o[3]}"
}
ip4() { local x; ip4x x "$1"; printf '%s' "$x"; }
# text STRING: its bytes in hex (bytes, not characters: LC_ALL=C).
text() {
	local LC_ALL=C i c out=
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%02x' "'${1:i:1}"
		out+=$c
	done
	printf '%s' "$out"
}

# The Internet checksum of HEX: one's complement of the one's complement sum.
csum() {
	local hex=$1 sum=0 i
	((${#hex} % 4 == 0)) || hex+=00
	for ((i = 0; i < ${#hex}; i += 4)); do sum=$((sum + 16#${hex:i:4})); done
	while ((sum >> 16)); do sum=$(((sum & 0xffff) + (sum >> 16))); done
	printf '%04x' $((~sum & 0xffff))
}

eth() { echo "${1//:/}${2//:/}$3$4"; }           # DST SRC TYPE PAYLOAD
arp() {                                           # OP SHA SPA THA TPA
	local spa tpa
	ip4x spa "$3"
	ip4x tpa "$5"
	printf '000108000604%04x%s%s%s%s\n' "$1" "${2//:/}" "$spa" "${4//:/}" "$tpa"
}
ipv4() { ipv4_with "" 4000 "$@"; }                        # SRC DST PROTO TTL PAYLOAD, Don't Fragment
# ipv4_with OPTIONS FRAG SRC DST PROTO TTL PAYLOAD: OPTIONS in hex (a
# multiple of 4 bytes, so IHL is 5 + their length / 4); FRAG the 16 bits of
# flags and fragment offset in hex (4000: Don't Fragment; 2000: More
# Fragments, offset 0).
ipv4_with() {
	local opts=$1 frag=$2 hlen h src dst sum
	hlen=$((20 + ${#opts} / 2))
	ip4x src "$3"
	ip4x dst "$4"
	printf -v h '4%x00%04x1234%s%02x%02x0000%s%s%s' $((hlen / 4)) $((hlen + ${#7} / 2)) "$frag" "$6" "$5" \
		"$src" "$dst" "$opts"
	into sum csum "$h"
	echo "${h:0:20}$sum${h:24}$7"
}
tcp() { printf '%04x%04x%08x%08x50%02xfaf000000000%s\n' "$1" "$2" "$3" "$4" "$5" "$6"; } # SPORT DPORT SEQ ACK FLAGS PAYLOAD
udp() { printf '%04x%04x%04x0000%s\n' "$1" "$2" $((8 + ${#3} / 2)) "$3"; }              # SPORT DPORT PAYLOAD
dnsname() {
	local label out="" IFS=. hex
	for label in $1; do
		into hex text "$label"
		printf -v label '%02x%s' "${#label}" "$hex"
		out+=$label
	done
	echo "${out}00"
}

A=02:00:00:00:00:0a R=02:00:00:00:00:01 BCAST=ff:ff:ff:ff:ff:ff
FIN=1 SYN=2 RST=4 PSH=8 ACK=16 ECE=64 CWR=128

le16() { printf '%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)); }
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# bytes HEX: the bytes themselves.
bytes() {
	printf '%b' "$(sed 's/../\\x&/g' <<<"$1")"
}

# pcap FILE FRAME...: a little-endian pcap file, one record per frame.
pcap() {
	local file=$1 f n hex
	shift
	{
		# magic, version 2.4, zone, accuracy, snaplen 262144, link type 1 (Ethernet)
		printf d4c3b2a1
		le16 2; le16 4; le32 0; le32 0; le32 262144; le32 1
		for f in "$@"; do
			n=$((${#f} / 2))
			le32 1700000000; le32 0; le32 $n; le32 $n
			printf '%s' "$f"
		done
	} >"$file.hex"
	IFS= read -r hex <"$file.hex" || true
	bytes "$hex" >"$file"
}

# decode FRAME...: sniff's text for the frames, and its exit status.
decode() {
	pcap "$BATS_TEST_TMPDIR/in.pcap" "$@"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/in.pcap"
	echo "$output"
	! grep -qE 'Sanitizer|runtime error' <<<"$output"
}

syn_frame() {
	eth $R $A 0800 "$(ipv4 192.0.2.10 198.51.100.80 6 64 "$(tcp 40000 80 1000 0 $SYN)")"
}

# ---- the decoder, one layer at a time ----

@test "sniff: -h shows usage with an example; bad options and filters are refused" {
	run "$SNIFF" -h
	equal "exit status of $SNIFF -h" 0 "$status"
	contains "output of $SNIFF -h" "usage: sniff" "$output"
	contains "output of $SNIFF -h" "-w FILE" "$output"
	contains "output of $SNIFF -h" "curl" "$output"
	contains "output of $SNIFF -h" "examples, as root (or with sudo):" "$output"
	run "$SNIFF" -x
	equal "exit status of $SNIFF -x" 2 "$status"
	run "$SNIFF" -r /dev/null port 80 or port 53
	equal "exit status of $SNIFF -r /dev/null port 80 or port 53" 2 "$status"
	contains "output of $SNIFF -r /dev/null port 80 or port 53" "cannot use 'or'" "$output"
	run "$SNIFF" -r /dev/null port 99999
	equal "exit status of $SNIFF -r /dev/null port 99999" 2 "$status"
	run "$SNIFF" -c 0 -r /dev/null
	equal "exit status of $SNIFF -c 0 -r /dev/null" 2 "$status"
}

@test "decode: Ethernet and ARP, a broadcast request and a unicast reply" {
	decode "$(eth $BCAST $A 0806 "$(arp 1 $A 192.0.2.10 00:00:00:00:00:00 192.0.2.1)")" \
	       "$(eth $A $R 0806 "$(arp 2 $R 192.0.2.1 $A 192.0.2.10)")"
	equal "exit status of sniff" 0 "$status"
	equal "line 0 of sniff's decoding" "#1  42 bytes" "${lines[0]}"
	equal "line 1 of sniff's decoding" "  eth   02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff  type 0x0806 ARP" "${lines[1]}"
	equal "line 2 of sniff's decoding" "  arp   request who-has 192.0.2.1 tell 192.0.2.10 (02:00:00:00:00:0a)" "${lines[2]}"
	equal "line 4 of sniff's decoding" "  eth   02:00:00:00:00:01 > 02:00:00:00:00:0a  type 0x0806 ARP" "${lines[4]}"
	equal "line 5 of sniff's decoding" "  arp   reply 192.0.2.1 is-at 02:00:00:00:00:01 (to 192.0.2.10 at 02:00:00:00:00:0a)" "${lines[5]}"
}

@test "decode: IPv4 and TCP flags SYN, SYN-ACK, ACK, PSH, FIN, RST, with seq, ack and payload length" {
	local c=192.0.2.10 s=198.51.100.80
	decode "$(syn_frame)" \
	       "$(eth $A $R 0800 "$(ipv4 $s $c 6 63 "$(tcp 80 40000 5000 1001 $((SYN | ACK)))")")" \
	       "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1001 5001 $((PSH | ACK)) "$(text hello)")")")" \
	       "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1006 5001 $((FIN | ACK)))")")" \
	       "$(eth $A $R 0800 "$(ipv4 $s $c 6 63 "$(tcp 80 40000 5001 0 $RST)")")"
	equal "exit status of sniff" 0 "$status"
	equal "line 2 of sniff's decoding" "  ip    192.0.2.10 > 198.51.100.80  ttl 64  TCP  len 40" "${lines[2]}"
	equal "line 3 of sniff's decoding" "  tcp   40000 > 80  [SYN]  seq 1000  win 64240  len 0" "${lines[3]}"
	equal "line 7 of sniff's decoding" "  tcp   80 > 40000  [SYN,ACK]  seq 5000  ack 1001  win 64240  len 0" "${lines[7]}"
	equal "line 11 of sniff's decoding" "  tcp   40000 > 80  [PSH,ACK]  seq 1001  ack 5001  win 64240  len 5" "${lines[11]}"
	equal "line 15 of sniff's decoding" "  tcp   40000 > 80  [FIN,ACK]  seq 1006  ack 5001  win 64240  len 0" "${lines[15]}"
	equal "line 19 of sniff's decoding" "  tcp   80 > 40000  [RST]  seq 5001  win 64240  len 0" "${lines[19]}"
	lacks "sniff's decoding" "bad" "$output"
	lacks "sniff's decoding" "http" "$output"
}

# decoded FRAME...: decode the frames, show them (hex) and what came of them.
decoded() {
	local f
	for f in "$@"; do echo "# frame sent: $f"; done
	decode "$@"
}

@test "decode: an IPv4 header with options (IHL 6): TCP is found after them, ports, flags and payload right" {
	local frame
	# Three No-Operation options and an End of Options: 4 bytes, IHL 6.
	frame=$(eth $R $A 0800 "$(ipv4_with 01010100 4000 192.0.2.10 198.51.100.80 6 64 \
		"$(tcp 40000 80 1001 5001 $((PSH | ACK)) "$(text hello)")")")
	decoded "$frame"
	equal "exit status of sniff" 0 "$status"
	equal "IP line" "  ip    192.0.2.10 > 198.51.100.80  ttl 64  TCP  len 49  options 4 bytes" "${lines[2]}"
	equal "TCP line" "  tcp   40000 > 80  [PSH,ACK]  seq 1001  ack 5001  win 64240  len 5" "${lines[3]}"
	equal "the tally" "1 frame (0 truncated, 0 malformed)" "${lines[4]}"
}

@test "decode: a first fragment (More Fragments, offset 0) still has its TCP or UDP header decoded" {
	local t u
	# TCP: the header and 8 bytes of data, the rest in later fragments.
	t=$(eth $R $A 0800 "$(ipv4_with "" 2000 192.0.2.10 198.51.100.80 6 64 \
		"$(tcp 40000 80 1001 5001 $((PSH | ACK)) 0102030405060708)")")
	# UDP: the header says 108 bytes; this fragment holds its first 24.
	u=$(eth $R $A 0800 "$(ipv4_with "" 2000 192.0.2.10 198.51.100.80 17 64 \
		"$(h16 5000)$(h16 6000)$(h16 108)0000$(text 0123456789abcdef)")")
	decoded "$t" "$u"
	equal "exit status of sniff" 0 "$status"
	equal "IP line of the TCP fragment" "  ip    192.0.2.10 > 198.51.100.80  ttl 64  TCP  len 48  fragment offset 0 more" "${lines[2]}"
	equal "TCP line" "  tcp   40000 > 80  [PSH,ACK]  seq 1001  ack 5001  win 64240  len 8" "${lines[3]}"
	equal "IP line of the UDP fragment" "  ip    192.0.2.10 > 198.51.100.80  ttl 64  UDP  len 44  fragment offset 0 more" "${lines[6]}"
	equal "UDP line" "  udp   5000 > 6000  len 100, 16 in this fragment" "${lines[7]}"
	# The rest of a fragmented datagram is not missing from the capture.
	equal "the tally" "2 frames (0 truncated, 0 malformed)" "${lines[8]}"
}

@test "decode: a segment with only ECE shows [ECE], one with only CWR shows [CWR]" {
	local c=192.0.2.10 s=198.51.100.80
	decoded "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1 0 $ECE)")")" \
	        "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1 0 $CWR)")")"
	equal "exit status of sniff" 0 "$status"
	equal "TCP line with ECE alone" "  tcp   40000 > 80  [ECE]  seq 1  win 64240  len 0" "${lines[3]}"
	equal "TCP line with CWR alone" "  tcp   40000 > 80  [CWR]  seq 1  win 64240  len 0" "${lines[7]}"
}

@test "decode: Ethernet padding after a short IP packet is not taken for TCP data" {
	decode "$(syn_frame)000000000000"
	equal "exit status of sniff" 0 "$status"
	equal "line 0 of sniff's decoding" "#1  60 bytes" "${lines[0]}"
	equal "line 3 of sniff's decoding" "  tcp   40000 > 80  [SYN]  seq 1000  win 64240  len 0" "${lines[3]}"
}

@test "decode: UDP and DNS, a question and an answer that points back at it" {
	local q a
	q="1a2b01000001000000000000$(dnsname www.netlab.test)00010001"
	# The answer's name is a pointer (c00c) to the question's name at offset 12.
	a="1a2b81800001000100000000$(dnsname www.netlab.test)00010001c00c000100010000003c0004c6336450"
	decode "$(eth $R $A 0800 "$(ipv4 192.0.2.10 192.0.2.53 17 64 "$(udp 5353 53 "$q")")")" \
	       "$(eth $A $R 0800 "$(ipv4 192.0.2.53 192.0.2.10 17 64 "$(udp 53 5353 "$a")")")"
	equal "exit status of sniff" 0 "$status"
	equal "line 2 of sniff's decoding" "  ip    192.0.2.10 > 192.0.2.53  ttl 64  UDP  len 61" "${lines[2]}"
	equal "line 3 of sniff's decoding" "  udp   5353 > 53  len 33" "${lines[3]}"
	equal "line 4 of sniff's decoding" "  dns   query 0x1a2b  A? www.netlab.test" "${lines[4]}"
	equal "line 9 of sniff's decoding" "  dns   reply 0x1a2b NOERROR  A? www.netlab.test  ->  www.netlab.test A 198.51.100.80 ttl 60" "${lines[9]}"
}

@test "decode: DNS answers with a name inside (CNAME, pointing into the question) and an IPv6 address" {
	local a
	# CNAME web + pointer to "netlab.test" at offset 16; then AAAA 2001:db8::1.
	a="1a2c81800001000200000000$(dnsname www.netlab.test)001c0001"
	a+="c00c000500010000003c0006$(h8 3)$(text web)c010"
	a+="c00c001c00010000003c001020010db8000000000000000000000001"
	decode "$(eth $A $R 0800 "$(ipv4 192.0.2.53 192.0.2.10 17 64 "$(udp 53 5353 "$a")")")"
	equal "exit status of sniff" 0 "$status"
	equal "line 4 of sniff's decoding" "  dns   reply 0x1a2c NOERROR  AAAA? www.netlab.test  ->  www.netlab.test CNAME web.netlab.test ttl 60  www.netlab.test AAAA 2001:db8::1 ttl 60" "${lines[4]}"
}

@test "decode: an HTTP request line and status line in a TCP payload are shown, other data is not" {
	local c=192.0.2.10 s=198.51.100.80
	decode "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1 1 $((PSH | ACK)) "$(text $'GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\n')")")")" \
	       "$(eth $A $R 0800 "$(ipv4 $s $c 6 63 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text $'HTTP/1.1 404 Not Found\r\n')")")")" \
	       "$(eth $A $R 0800 "$(ipv4 $s $c 6 63 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text $'<html>GET ME\r\n')")")")"
	equal "exit status of sniff" 0 "$status"
	equal "line 4 of sniff's decoding" "  http  GET /a%20b HTTP/1.1" "${lines[4]}"
	equal "line 10 of sniff's decoding" "  http  HTTP/1.1 404 Not Found" "${lines[10]}"
	[ "$(grep -c '^  http  [A-Z]' <<<"$output")" -eq 2 ]
}

@test "decode: an HTTP head ends at the empty line; what follows it in the segment is counted apart" {
	local c=192.0.2.10 s=198.51.100.80 head=$'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n'
	decoded "$(eth $A $R 0800 "$(ipv4 $s $c 6 63 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text "${head}hello, world")")")")" \
	        "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1 1 $((PSH | ACK)) "$(text $'GET / HTTP/1.0\n\n')")")")" \
	        "$(eth $R $A 0800 "$(ipv4 $c $s 6 64 "$(tcp 40000 80 1 1 $((PSH | ACK)) "$(text $'GET / HTTP/1.1\r\nHost: x\r\n')")")")"
	equal "exit status of sniff" 0 "$status"
	equal "status line" "  http  HTTP/1.1 200 OK" "${lines[4]}"
	equal "a head (${#head} bytes) and body (12) in one segment" \
		"  http  head ${#head} bytes (to the empty line), 12 bytes after it" "${lines[5]}"
	equal "a head ended by a bare LF LF" "  http  head 16 bytes (to the empty line), nothing after it" "${lines[11]}"
	equal "a head cut at the segment's end" "  http  head not ended: no empty line in these 25 bytes" "${lines[17]}"
}

@test "decode: ICMP echo, a later IPv4 fragment, and what is named but not decoded" {
	local frag
	frag=$(ipv4 192.0.2.10 198.51.100.80 17 64 "0102030405060708")
	frag=${frag:0:12}2001${frag:16:4}0000${frag:24}     # more fragments, offset 8
	frag=${frag:0:20}$(csum "${frag:0:40}")${frag:24}
	decode "$(eth $R $A 0800 "$(ipv4 192.0.2.10 198.51.100.80 1 64 "0800f7ff00010001")")" \
	       "$(eth $R $A 0800 "$frag")" \
	       "$(eth $R $A 86dd "6000000000000000")" \
	       "$(eth $R $A 0010 "aaaa03000000")"
	equal "exit status of sniff" 0 "$status"
	equal "line 3 of sniff's decoding" "  icmp  echo request  id 1  seq 1" "${lines[3]}"
	equal "line 6 of sniff's decoding" "  ip    192.0.2.10 > 198.51.100.80  ttl 64  UDP  len 28  fragment offset 8 more" "${lines[6]}"
	equal "line 7 of sniff's decoding" "#3  22 bytes" "${lines[7]}"
	equal "line 8 of sniff's decoding" "  eth   02:00:00:00:00:0a > 02:00:00:00:00:01  type 0x86dd IPv6 (not decoded)" "${lines[8]}"
	equal "line 10 of sniff's decoding" "  eth   02:00:00:00:00:0a > 02:00:00:00:00:01  802.3 length 16 (not decoded)" "${lines[10]}"
	lacks "sniff's decoding" "bad" "$output"
}

@test "decode: truncated frames say where they end, at every layer" {
	local syn dns
	syn=$(syn_frame)
	dns=$(eth $R $A 0800 "$(ipv4 192.0.2.10 192.0.2.53 17 64 "$(udp 5353 53 "1a2b01000001000000000000$(dnsname www.netlab.test)00010001")")")
	decode "${syn:0:20}" "${syn:0:60}" "${syn:0:100}" "${syn:0:$((${#syn} - 2))}" "${dns:0:$((${#dns} - 10))}"
	equal "exit status of sniff" 0 "$status"
	contains "sniff's decoding" "bad   truncated: Ethernet header is 10 of 14 bytes" "$output"
	contains "sniff's decoding" "bad   truncated: IPv4 header is 16 of 20 bytes" "$output"
	contains "sniff's decoding" "bad   truncated: IPv4 says 40 bytes, 36 captured" "$output"
	contains "sniff's decoding" "bad   truncated: TCP header is 16 of 20 bytes" "$output"
	contains "sniff's decoding" "bad   truncated: TCP header is 19 of 20 bytes" "$output"
	contains "sniff's decoding" "bad   truncated: UDP says 41 bytes, 36 captured" "$output"
	[[ "$(tail -n 1 <<<"$output")" == "5 frames (5 truncated, 0 malformed)" ]]
}

@test "decode: malformed headers and a DNS pointer loop are reported, not followed" {
	local ip bad_version bad_ihl bad_sum bad_doff bad_udp loop
	ip=$(ipv4 192.0.2.10 198.51.100.80 6 64 "$(tcp 40000 80 1 0 $SYN)")
	bad_version=6${ip:1}
	bad_ihl=44${ip:2}
	bad_sum=${ip:0:20}0000${ip:24}
	bad_doff=${ip:0:64}30${ip:66}
	bad_udp=$(ipv4 192.0.2.10 192.0.2.53 17 64 "$(h16 1)$(h16 53)00040000")
	# A name that is only a pointer to itself: following it would never end.
	loop=$(ipv4 192.0.2.53 192.0.2.10 17 64 "$(udp 53 5353 "1a2b81800001000000000000c00c00010001")")
	decode "$(eth $R $A 0800 "$bad_version")" "$(eth $R $A 0800 "$bad_ihl")" \
	       "$(eth $R $A 0800 "$bad_sum")" "$(eth $R $A 0800 "$bad_doff")" \
	       "$(eth $R $A 0800 "$bad_udp")" "$(eth $A $R 0800 "$loop")"
	equal "exit status of sniff" 0 "$status"
	contains "sniff's decoding" "malformed: IPv4 version 6, header 20 bytes, total 40" "$output"
	contains "sniff's decoding" "malformed: IPv4 version 4, header 16 bytes, total 40" "$output"
	contains "sniff's decoding" "malformed: IPv4 header checksum" "$output"
	contains "sniff's decoding" "malformed: TCP header length 12 is under 20" "$output"
	contains "sniff's decoding" "malformed: UDP length 4 is under 8" "$output"
	contains "sniff's decoding" "malformed: DNS record at offset 12 runs past the message or loops" "$output"
	[[ "$(tail -n 1 <<<"$output")" == "6 frames (0 truncated, 6 malformed)" ]]
}

@test "decode: every prefix of a DNS reply frame decodes without reading past its end" {
	local a frame i
	a="1a2b81800001000100000000$(dnsname www.netlab.test)00010001c00c000100010000003c0004c6336450"
	frame=$(eth $A $R 0800 "$(ipv4 192.0.2.53 192.0.2.10 17 64 "$(udp 53 5353 "$a")")")
	set --
	for ((i = 0; i <= ${#frame}; i += 2)); do set -- "$@" "${frame:0:i}"; done
	decode "$@"
	equal "exit status of sniff" 0 "$status"
	[ "$(grep -c '^#' <<<"$output")" -eq $((${#frame} / 2 + 1)) ]
	[[ "$(tail -n 1 <<<"$output")" == "$((${#frame} / 2 + 1)) frames ($((${#frame} / 2)) truncated, 0 malformed)" ]]
}

# ---- filters, and pcap files ----

@test "sniff: host, port, protocol filters and -c select frames, as tcpdump's do" {
	local dnsq
	dnsq=$(eth $R $A 0800 "$(ipv4 192.0.2.10 192.0.2.53 17 64 "$(udp 5353 53 "1a2b01000001000000000000$(dnsname a.test)00010001")")")
	pcap "$BATS_TEST_TMPDIR/mix.pcap" "$(eth $BCAST $A 0806 "$(arp 1 $A 192.0.2.10 00:00:00:00:00:00 192.0.2.1)")" \
		"$(syn_frame)" "$dnsq" "$(syn_frame)"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/mix.pcap" port 80
	[ "$(grep -c '^#' <<<"$output")" -eq 2 ]
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/mix.pcap" "udp and port 53"
	[ "$(grep -c '^#' <<<"$output")" -eq 1 ]
	contains "output of $SNIFF -r $BATS_TEST_TMPDIR/mix.pcap udp and port 53" "dns   query 0x1a2b  A? a.test" "$output"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/mix.pcap" host 192.0.2.1
	[ "$(grep -c '^#' <<<"$output")" -eq 1 ]
	contains "output of $SNIFF -r $BATS_TEST_TMPDIR/mix.pcap host 192.0.2.1" "who-has 192.0.2.1" "$output"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/mix.pcap" arp
	[ "$(grep -c '^#' <<<"$output")" -eq 1 ]
	run "$SNIFF" -c 2 -r "$BATS_TEST_TMPDIR/mix.pcap" host 192.0.2.10
	[ "$(grep -c '^#' <<<"$output")" -eq 2 ]
}

@test "pcap: files that are not pcap, or end inside a record, are refused with a reason" {
	printf 'not a capture file at all\n' >"$BATS_TEST_TMPDIR/junk"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/junk"
	equal "exit status of $SNIFF -r $BATS_TEST_TMPDIR/junk" 1 "$status"
	contains "output of $SNIFF -r $BATS_TEST_TMPDIR/junk" "not a pcap file" "$output"
	pcap "$BATS_TEST_TMPDIR/ok.pcap" "$(syn_frame)"
	head -c -5 "$BATS_TEST_TMPDIR/ok.pcap" >"$BATS_TEST_TMPDIR/short.pcap"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/short.pcap"
	equal "exit status of $SNIFF -r $BATS_TEST_TMPDIR/short.pcap" 1 "$status"
	contains "output of $SNIFF -r $BATS_TEST_TMPDIR/short.pcap" "file ends inside a frame" "$output"
	# A record that claims 4 GiB is refused before anything is read into memory.
	{ head -c 32 "$BATS_TEST_TMPDIR/ok.pcap"; printf '\xff\xff\xff\xff\xff\xff\xff\xff'; } >"$BATS_TEST_TMPDIR/huge.pcap"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/huge.pcap"
	equal "exit status of $SNIFF -r $BATS_TEST_TMPDIR/huge.pcap" 1 "$status"
	contains "output of $SNIFF -r $BATS_TEST_TMPDIR/huge.pcap" "larger than any frame" "$output"
}

@test "pcap: a big-endian file is read the same as a little-endian one" {
	local f
	f=$(syn_frame)
	bytes "a1b2c3d40002000400000000000000000004000000000001$(h32 1700000000)$(h32 0)$(h32 $((${#f} / 2)))$(h32 $((${#f} / 2)))$f" \
		>"$BATS_TEST_TMPDIR/be.pcap"
	pcap "$BATS_TEST_TMPDIR/le.pcap" "$f"
	[ "$("$SNIFF" -r "$BATS_TEST_TMPDIR/be.pcap")" = "$("$SNIFF" -r "$BATS_TEST_TMPDIR/le.pcap")" ]
}

@test "pcap: what -w writes, tcpdump reads, and sniff -r reads back the same" {
	command -v tcpdump >/dev/null || skip "tcpdump is not installed"
	pcap "$BATS_TEST_TMPDIR/in.pcap" "$(syn_frame)" \
		"$(eth $BCAST $A 0806 "$(arp 1 $A 192.0.2.10 00:00:00:00:00:00 192.0.2.1)")"
	run "$SNIFF" -r "$BATS_TEST_TMPDIR/in.pcap" -w "$BATS_TEST_TMPDIR/out.pcap"
	equal "exit status of $SNIFF -r $BATS_TEST_TMPDIR/in.pcap -w $BATS_TEST_TMPDIR/out.pcap" 0 "$status"
	[ "$("$SNIFF" -r "$BATS_TEST_TMPDIR/out.pcap")" = "$("$SNIFF" -r "$BATS_TEST_TMPDIR/in.pcap")" ]
	run tcpdump -nn -e -r "$BATS_TEST_TMPDIR/out.pcap"
	equal "exit status of tcpdump -nn -e -r $BATS_TEST_TMPDIR/out.pcap" 0 "$status"
	contains "lines[1]" "02:00:00:00:00:0a > 02:00:00:00:00:01, ethertype IPv4 (0x0800), length 54: 192.0.2.10.40000 > 198.51.100.80.80: Flags [S]" "${lines[1]}"
	contains "lines[2]" "Request who-has 192.0.2.1 tell 192.0.2.10" "${lines[2]}"
}

# unprivileged CMD...: run CMD as nobody (as it is, if we are not root).
unprivileged() {
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv is not installed"
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"
	else
		"$@"
	fi
}

@test "sniff: a live capture needs root, and says so; an unknown interface is named" {
	run unprivileged "$SNIFF" -i lo -c 1
	equal "exit status of unprivileged $SNIFF -i lo -c 1" 1 "$status"
	contains "output of unprivileged $SNIFF -i lo -c 1" "packet socket (are you root?)" "$output"
	run "$SNIFF" -i no-such-if0
	equal "exit status of $SNIFF -i no-such-if0" 1 "$status"
	contains "output of $SNIFF -i no-such-if0" "interface no-such-if0" "$output"
}

# The machine's own loopback carries every developer's tests; this one
# gets a namespace of its own, with nothing on its lo but what we send.
@test "sniff: live on loopback, -c 3 port N shows one handshake, each frame once" {
	lab_ready
	local ns=nllo$$ pid i rc=0
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	SERVER_WRAP=(ip netns exec "$ns")
	DOCROOT=$ROOT/www start_server 06-epoll -q || rc=1
	if [ "$rc" = 0 ]; then
		ip netns exec "$ns" "$SNIFF" -i lo -c 3 port "$PORT" >"$BATS_TEST_TMPDIR/live" \
			2>"$BATS_TEST_TMPDIR/live.err" 3>&- &
		pid=$!
		for ((i = 1; i <= 100; i++)); do
			grep -q '^listening on lo' "$BATS_TEST_TMPDIR/live.err" && break
			sleep 0.05
		done
		ip netns exec "$ns" curl -s -o /dev/null "http://127.0.0.1:$PORT/" || rc=1
		for ((i = 1; i <= 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		# -c 3 ends it by itself: still running means it saw fewer.
		if kill "$pid" 2>/dev/null; then rc=1; fi
		wait "$pid" || rc=1
	fi
	stop_server || rc=1
	ip netns del "$ns"
	cat "$BATS_TEST_TMPDIR/live" "$BATS_TEST_TMPDIR/live.err"
	[ "$rc" = 0 ]
	run grep '^  tcp' "$BATS_TEST_TMPDIR/live"
	[[ "${lines[0]}" == "  tcp   "*" > $PORT  [SYN]  "* ]]
	[[ "${lines[1]}" == "  tcp   $PORT > "*"  [SYN,ACK]  "* ]]
	[[ "${lines[2]}" == "  tcp   "*" > $PORT  [ACK]  "* ]]
	[ "${#lines[@]}" -eq 3 ]
	grep -q '^3 frames (0 truncated, 0 malformed), 0 dropped by the kernel$' "$BATS_TEST_TMPDIR/live.err"
}

# ---- the lab: notes 三 on real packets ----

lab_ready() {
	[ "$(uname -s)" = Linux ] || skip "the lab needs Linux"
	[ "$(id -u)" = 0 ] || skip "the lab needs root (network namespaces, packet sockets)"
	command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
	command -v ip >/dev/null || skip "iproute2 is not installed"
	# Root in a container may still be refused namespaces.
	ip netns add "nlprobe$$" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "nlprobe$$"
}

# The lab runs once for the file; the tests read what it printed and kept.
run_lab_once() {
	LABDIR=$BATS_FILE_TMPDIR/lab
	if [ ! -e "$LABDIR.rc" ]; then
		"$LAB" -o "$LABDIR" >"$LABDIR.out" 2>"$LABDIR.err"
		echo $? >"$LABDIR.rc"
	fi
	[ "$(cat "$LABDIR.rc")" -ne 77 ] || skip "$(cat "$LABDIR.err")"
	[ "$(cat "$LABDIR.rc")" -eq 0 ] || { cat "$LABDIR.err" >&2; return 1; }
	OUT=$(cat "$LABDIR.out")
}

# frame TRANSCRIPT N: the lines of frame #N.
frame() {
	awk -v n="#$2" '/^#/ { on = ($1 == n) } on' "$LABDIR/$1.txt"
}

# first TRANSCRIPT PATTERN: the number of the first frame with a line matching.
first() {
	awk -v re="$2" '/^#/ { f = substr($1, 2) } $0 ~ re { print f; exit }' "$LABDIR/$1.txt"
}

# no_leftovers DIR: no namespace, process or interface the lab made remains.
no_leftovers() {
	local kind name pid rest
	while read -r kind name rest; do
		case $kind in
		ns) ! ip netns list | grep -qw "$name" || { echo "namespace $name left" >&2; return 1; } ;;
		pid) pid=$name
			! kill -0 "$pid" 2>/dev/null || { echo "process $pid ($rest) left" >&2; return 1; } ;;
		esac
	done <"$1/made"
	[ "$(grep -c '^ns ' "$1/made")" -eq 5 ]
	! ip -o link show | grep -E ': (lan1|lan2|port-[abr]|br0)[@:]'
}

@test "lab: without root it says so and exits 77, touching nothing" {
	run unprivileged "$LAB"
	equal "exit status of unprivileged $LAB" 77 "$status"
	in_order "output of unprivileged $LAB" "$output" "needs root" "skipped"
	# A root shell on Debian may have no sudo: say how to run it as root first.
	contains "output of unprivileged $LAB" "as root: make capture (or sudo make capture)" "$output"
}

@test "README and NOTES say to run the capture as root, with sudo only as another way" {
	# Every line on the lab or the sniffer that names sudo offers it as "or sudo".
	run grep -nE 'sudo' "$ROOT/README.md" "$ROOT/NOTES.md"
	run grep -E 'capture|sniff|lab\.sh|LAB_HOLD' <<<"$output"
	[ -n "$output" ]
	run grep -v '(or `sudo ' <<<"$output"
	equal "lines with sudo that do not offer it as an alternative" "" "$output"
}

@test "lab: the mask AND decides same network or gateway (notes 3.3), and names the reserved addresses" {
	run "$LAB" mask 192.0.2.10/24 192.0.2.53 198.51.100.80
	equal "exit status of sniff" 0 "$status"
	equal "lab.sh mask 192.0.2.10/24 192.0.2.53 198.51.100.80, lines 1, 5, 6 and 10" \
"192.0.2.10 AND 255.255.255.0 = 192.0.2.0  (network 192.0.2.0/24)
reserved: 192.0.2.0 (the network itself) and 192.0.2.255 (broadcast); hosts 192.0.2.1 to 192.0.2.254
192.0.2.53 AND 255.255.255.0 = 192.0.2.0: same network, ARP for 192.0.2.53 itself
198.51.100.80 AND 255.255.255.0 = 198.51.100.0: another network, send to the gateway" \
		"$(printf '%s\n' "${lines[0]}" "${lines[4]}" "${lines[5]}" "${lines[9]}")"
	run "$LAB" mask 203.0.113.70/26
	equal "reserved in a /26" \
		"reserved: 203.0.113.64 (the network itself) and 203.0.113.127 (broadcast); hosts 203.0.113.65 to 203.0.113.126" \
		"${lines[4]}"
}

@test "lab: the mask AND is shown bit by bit: address, mask and result, 32 bits in octets" {
	run "$LAB" mask 203.0.113.70/26 203.0.113.130
	equal "exit status of sniff" 0 "$status"
	equal "lab.sh mask 203.0.113.70/26 203.0.113.130" \
"203.0.113.70 AND 255.255.255.192 = 203.0.113.64  (network 203.0.113.64/26)
    address  11001011.00000000.01110001.01000110  203.0.113.70
    mask     11111111.11111111.11111111.11000000  255.255.255.192
    AND      11001011.00000000.01110001.01000000  203.0.113.64
reserved: 203.0.113.64 (the network itself) and 203.0.113.127 (broadcast); hosts 203.0.113.65 to 203.0.113.126
203.0.113.130 AND 255.255.255.192 = 203.0.113.128: another network, send to the gateway
    address  11001011.00000000.01110001.10000010  203.0.113.130
    mask     11111111.11111111.11111111.11000000  255.255.255.192
    AND      11001011.00000000.01110001.10000000  203.0.113.128" "$output"
}

@test "lab: a /31 is a point-to-point link (RFC 3021), a /32 a single host; bad input is refused" {
	run "$LAB" mask 198.51.100.0/31
	equal "reserved in a /31" \
		"reserved: none: a /31 is a point-to-point link, and both its addresses are hosts (RFC 3021)" "${lines[4]}"
	run "$LAB" mask 198.51.100.7/32
	equal "reserved in a /32" \
		"reserved: none: a /32 is a single address, one host (as in a route to one host)" "${lines[4]}"
	local bad
	for bad in 192.0.2.10 192.0.2.10/33 192.0.2.256/24 192.0.2/24 "192.0.2.10/24 192.0.2.x"; do
		# shellcheck disable=SC2086 # split on purpose: the last case is two arguments
		run "$LAB" mask $bad
		equal "exit status of lab.sh mask $bad" 2 "$status"
		equal "the start of its message" "lab.sh mask: " "${output:0:13}"
	done
}

@test "lab show: a segment with the response's head and body is annotated as a head up to the empty line, then body" {
	local dir=$BATS_TEST_TMPDIR/show c=192.0.2.10 s=198.51.100.80 req head body
	req=$'GET / HTTP/1.1\r\nHost: www.netlab.test\r\n\r\n'
	head=$'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 31\r\n\r\n'
	body='<!DOCTYPE html><p>netlab</p>'$'\n\n\n'
	mkdir -p "$dir"
	pcap "$dir/lan1-a.pcap"
	pcap "$dir/lan1-b.pcap"
	# Two exchanges on LAN 2: the head and the body in one segment, then
	# the head alone and the body in the next.
	pcap "$dir/lan2-c.pcap" \
		"$(eth 02:00:00:00:01:50 02:00:00:00:01:01 0800 "$(ipv4 $c $s 6 63 "$(tcp 40000 80 1 1 $((PSH | ACK)) "$(text "$req")")")")" \
		"$(eth 02:00:00:00:01:01 02:00:00:00:01:50 0800 "$(ipv4 $s $c 6 64 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text "$head$body")")")")" \
		"$(eth 02:00:00:00:01:01 02:00:00:00:01:50 0800 "$(ipv4 $s $c 6 64 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text "$head")")")")" \
		"$(eth 02:00:00:00:01:01 02:00:00:00:01:50 0800 "$(ipv4 $s $c 6 64 "$(tcp 80 40000 1 1 $((PSH | ACK)) "$(text "$body")")")")"
	run "$LAB" show "$dir"
	echo "$output"
	equal "exit status of lab.sh show" 0 "$status"
	run grep -E '<- the (HTTP request|response)' <<<"$output"
	equal "note under the request" \
		"        <- the HTTP request: its whole head, ${#req} bytes up to the empty line, in one segment" "${lines[0]}"
	equal "note under the head and body, a segment of $((${#head} + ${#body})) bytes" \
		"        <- the response: its head is the ${#head} bytes up to the empty line, and the other ${#body} bytes of this segment are body" "${lines[1]}"
	equal "note under the head alone" \
		"        <- the response's head, ${#head} bytes up to the empty line; the body comes in the segments after it" "${lines[2]}"
	equal "note under the body alone" \
		"        <- the response's body, ${#body} bytes: no head here, the head's Content-Length said how many to expect" "${lines[3]}"
}

@test "lab show: on a hub's capture, B's frames between A and R are noted and counted (notes 3.4)" {
	run "$LAB" show "$ROOT/09-capture/samples/hub"
	equal "exit status of lab.sh show samples/hub" 0 "$status"
	echo "$output"
	equal "what joins LAN 1" "   LAN 1, 192.0.2.0/24, a hub (a Linux bridge with ageing time 0: it learns no MAC, so it floods every frame) joins:" \
		"$(grep '^   LAN 1' <<<"$output")"
	# The first frame B got that was neither from B nor to B or everyone.
	equal "the note under it" \
"        <- 3.4 from R to A, not to B: repeated to every port, as a hub does, so B gets it;
        <-     B's kernel drops it after the sniffer's copy (a real card would drop it first, unless promiscuous)" \
		"$(grep -A1 '<- 3.4 from' <<<"$output")"
	equal "the summary's 3.4" \
"3.4  the hub: A's sniffer saw 17 frames, B's 17, 11 of them TCP,
     12 between other hosts' MACs:
     B got A's traffic with R too: every frame was repeated on every port" \
		"$(grep -A2 '^3.4' <<<"$output")"
	run "$LAB" show "$ROOT/09-capture/samples"
	equal "the summary's 3.4 for the switch" \
"3.4  the switch: A's sniffer saw 17 frames, B's 5, 0 of them TCP,
     0 between other hosts' MACs:
     B got the broadcasts and what was addressed to B, not A's traffic with R" \
		"$(grep -A2 '^3.4' <<<"$output")"
	not grep -q '<- 3.4 from' <<<"$output"
}

@test "lab: curl asks for the name and gets the page across the router" {
	lab_ready
	run_lab_once
	in_order "OUT" "$OUT" "== On A: curl -4 http://www.netlab.test/" "   200 " " bytes from 198.51.100.80 port 80"
	grep -q '192.0.2.10.*"GET / HTTP/1.1" 200' "$LABDIR/server.log"
	not grep -qE 'Sanitizer|runtime error' "$LABDIR"/*.log
}

@test "lab 3.5: the DNS question and its answer are on LAN 1" {
	lab_ready
	run_lab_once
	local q a
	q=$(first lan1-a 'dns   query .*A\? www\.netlab\.test$')
	a=$(first lan1-a 'dns   reply .* NOERROR  A\? www\.netlab\.test  ->  www\.netlab\.test A 198\.51\.100\.80')
	[ -n "$q" ]
	[ -n "$a" ]
	[ "$a" -gt "$q" ]
	frame lan1-a "$q" | grep -q '^  ip    192.0.2.10 > 192.0.2.53 '
	frame lan1-a "$q" | grep -q '^  udp   [0-9]* > 53 '
	contains "OUT" "<- 3.5 DNS question from A to the name server B" "$OUT"
}

@test "lab 3.4: an ARP request goes to ff:ff:ff:ff:ff:ff, the reply to the asker alone" {
	lab_ready
	run_lab_once
	frame lan1-a 1 | grep -q '^  eth   02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff  type 0x0806 ARP$'
	frame lan1-a 1 | grep -q '^  arp   request who-has 192.0.2.53 tell 192.0.2.10'
	frame lan1-a 2 | grep -q '^  eth   02:00:00:00:00:35 > 02:00:00:00:00:0a  type 0x0806 ARP$'
	frame lan1-a 2 | grep -q '^  arp   reply 192.0.2.53 is-at 02:00:00:00:00:35'
	# The switch: B, a bystander, got A's broadcasts but none of A's TCP.
	grep -q 'who-has 192.0.2.1 tell 192.0.2.10' "$LABDIR/lan1-b.txt"
	not grep -q '^  tcp' "$LABDIR/lan1-b.txt"
	grep -q '^  tcp' "$LABDIR/lan1-a.txt"
}

@test "lab 3.3: for a host on another network A ARPs for its gateway, never for the host" {
	lab_ready
	run_lab_once
	local gw syn
	gw=$(first lan1-a 'request who-has 192.0.2.1 tell 192.0.2.10')
	syn=$(first lan1-a '\[SYN\]')
	[ -n "$gw" ]
	[ "$gw" -lt "$syn" ]
	not grep -q 'who-has 198.51.100.80 tell 192.0.2.10' "$LABDIR/lan1-a.txt"
	frame lan1-a "$syn" | grep -q '^  eth   02:00:00:00:00:0a > 02:00:00:00:00:01 '
	contains "OUT" "198.51.100.80 AND 255.255.255.0 = 198.51.100.0: another network, send to the gateway" "$OUT"
	contains "OUT" "A sent ARP requests for: 192.0.2.53 192.0.2.1" "$OUT"
}

# The hub's lab runs once for the file too, beside the switch's.
run_hub_once() {
	HUBDIR=$BATS_FILE_TMPDIR/hub
	if [ ! -e "$HUBDIR.rc" ]; then
		"$LAB" hub -o "$HUBDIR" >"$HUBDIR.out" 2>"$HUBDIR.err"
		echo $? >"$HUBDIR.rc"
	fi
	[ "$(cat "$HUBDIR.rc")" -ne 77 ] || skip "$(cat "$HUBDIR.err")"
	[ "$(cat "$HUBDIR.rc")" -eq 0 ] || { cat "$HUBDIR.err" >&2; return 1; }
	HUB_OUT=$(cat "$HUBDIR.out")
}

# tcp_frames TRANSCRIPT: each TCP frame as its MACs and its TCP line.
tcp_frames() {
	awk '$1 == "eth" { eth = $2 " > " $4 } $1 == "tcp" { print eth "  " $0 }' "$1"
}

@test "lab 3.4: with a hub (a bridge with ageing time 0) B sees A's conversation with R" {
	lab_ready
	run_hub_once
	# Shown if the test fails: what B's sniffer saw, and the summary.
	sed -n '/seen from B/,/^== LAN 2/p; /^3.4/,/^3.5/p' <<<"$HUB_OUT"
	contains "HUB_OUT" "a hub (a Linux bridge with ageing time 0" "$HUB_OUT"
	# Every TCP frame between A and the router, as A saw it, B saw too.
	tcp_frames "$HUBDIR/lan1-a.txt" >"$BATS_TEST_TMPDIR/a"
	tcp_frames "$HUBDIR/lan1-b.txt" >"$BATS_TEST_TMPDIR/b"
	between "TCP frames A saw" 8 100 "$(wc -l <"$BATS_TEST_TMPDIR/a")"
	diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	grep -q '^02:00:00:00:00:0a > 02:00:00:00:00:01    tcp   [0-9]* > 80  \[SYN\]' "$BATS_TEST_TMPDIR/b"
	contains "HUB_OUT" "B got A's traffic with R too: every frame was repeated on every port" "$HUB_OUT"
	no_leftovers "$HUBDIR"
}

@test "lab 3.5: across the router the MACs change, the IP addresses stay, the TTL drops by one" {
	lab_ready
	run_lab_once
	local s1 s2
	s1=$(frame lan1-a "$(first lan1-a '\[SYN\]')")
	s2=$(frame lan2-c "$(first lan2-c '\[SYN\]')")
	grep -q '^  eth   02:00:00:00:00:0a > 02:00:00:00:00:01 ' <<<"$s1"
	grep -q '^  eth   02:00:00:00:01:01 > 02:00:00:00:01:50 ' <<<"$s2"
	grep -q '^  ip    192.0.2.10 > 198.51.100.80  ttl 64 ' <<<"$s1"
	grep -q '^  ip    192.0.2.10 > 198.51.100.80  ttl 63 ' <<<"$s2"
	# The same segment: same ports and sequence number on both LANs.
	[ "$(grep '^  tcp' <<<"$s1")" = "$(grep '^  tcp' <<<"$s2")" ]
}

@test "lab: the three-way handshake, the HTTP request and response, on the wire" {
	lab_ready
	run_lab_once
	local syn synack ack seq
	syn=$(frame lan2-c "$(first lan2-c '\[SYN\]')" | grep '^  tcp')
	synack=$(frame lan2-c "$(first lan2-c '\[SYN,ACK\]')" | grep '^  tcp')
	seq=$(awk '{ print $7 }' <<<"$syn")
	[[ "$synack" == "  tcp   80 > "*"ack $(((seq + 1) % 4294967296))  "* ]]
	ack=$(frame lan2-c $(($(first lan2-c '\[SYN,ACK\]') + 1)) | grep '^  tcp')
	[[ "$ack" == *"[ACK]  seq $(((seq + 1) % 4294967296))  "*"len 0" ]]
	grep -q '^  http  GET / HTTP/1.1$' "$LABDIR/lan2-c.txt"
	grep -q '^  http  HTTP/1.1 200 OK$' "$LABDIR/lan2-c.txt"
	contains "OUT" "handshake 3/3: A acknowledges; the connection is open" "$OUT"
}

@test "lab 二: the close is four segments, A sends the first FIN and keeps TIME_WAIT" {
	lab_ready
	run_lab_once
	run awk '$1 == "ip" { who = ($2 == "192.0.2.10") ? "A" : "C" }
		$1 == "tcp" && ($5 ~ /FIN/ || fin) { fin = 1; print who, $5 }' "$LABDIR/lan2-c.txt"
	equal "line 0 of awk '$1 == \"ip\" { who = ($2 == \"192.0.2.10\") ? \"A\" : \"C\" }" "A [FIN,ACK]" "${lines[0]}"
	equal "line 1 of awk '$1 == \"ip\" { who = ($2 == \"192.0.2.10\") ? \"A\" : \"C\" }" "C [ACK]" "${lines[1]}"
	equal "line 2 of awk '$1 == \"ip\" { who = ($2 == \"192.0.2.10\") ? \"A\" : \"C\" }" "C [FIN,ACK]" "${lines[2]}"
	equal "line 3 of awk '$1 == \"ip\" { who = ($2 == \"192.0.2.10\") ? \"A\" : \"C\" }" "A [ACK]" "${lines[3]}"
	[ "${#lines[@]}" -eq 4 ]
	grep -q '192.0.2.10:[0-9]* *198.51.100.80:80' "$LABDIR/time-wait.txt"
	contains "OUT" "close 4/4: A acknowledges it; A's side of the connection is now in TIME_WAIT" "$OUT"
}

# norm_ours / norm_tcpdump TRANSCRIPT: one line per frame with its MACs,
# and its ARP question or answer, or its IP addresses, ports, TCP flags,
# sequence and acknowledgement numbers. tcpdump shows seq only for a
# segment that carries data, SYN, FIN or RST, so we do the same here.
norm_ours() {
	awk 'function flush() { if (f != "") print f; f = "" }
		/^#/ { flush(); next }
		$1 == "eth" { f = $2 " > " $4 }
		$1 == "arp" && $2 == "request" { f = f " who-has " $4 " tell " $6 }
		$1 == "arp" && $2 == "reply" { f = f " " $3 " is-at " $5 }
		$1 == "ip" { f = f " " $2 " > " $4 }
		$1 == "udp" { sub(/ [^ ]* > [^ ]*$/, "", f); f = f " " src "." $2 " > " dst "." $4 }
		$1 == "ip" { src = $2; dst = $4 }
		$1 == "tcp" { fl = ""
			if ($5 ~ /FIN/) fl = fl "F"; if ($5 ~ /SYN/) fl = fl "S"
			if ($5 ~ /RST/) fl = fl "R"; if ($5 ~ /PSH/) fl = fl "P"; if ($5 ~ /ACK/) fl = fl "."
			sub(/ [^ ]* > [^ ]*$/, "", f)
			f = f " " src "." $2 " > " dst "." $4 " [" fl "]"
			if ($NF > 0 || fl ~ /[FSR]/) f = f " seq " $7
			if ($5 ~ /ACK/) f = f " ack " $9 }
		END { flush() }' "$1"
}

norm_tcpdump() {
	tcpdump -nn -e -S -t -r "$1" 2>/dev/null | awk '{
		f = $1 " > " $3; sub(/,$/, "", f)
		for (i = 1; i <= NF; i++) if ($i ~ /^length$/ && $(i + 1) ~ /:$/) break
		i += 2
		if ($i == "Request") f = f " who-has " $(i + 2) " tell " $(i + 4)
		else if ($i == "Reply") f = f " " $(i + 1) " is-at " $(i + 3)
		else { dst = $(i + 2); sub(/:$/, "", dst); f = f " " $i " > " dst }
		if ($(i + 3) == "Flags") { fl = $(i + 4); gsub(/[][,]/, "", fl); f = f " [" fl "]"
			for (j = i + 5; j < NF; j++)
				if ($j == "seq" || $j == "ack") { n = $(j + 1); sub(/[:,].*/, "", n); f = f " " $j " " n } }
		sub(/,$/, "", f); print f }'
}

@test "lab: our decoding agrees with tcpdump -nn -e on addresses, ports and flags" {
	lab_ready
	command -v tcpdump >/dev/null || skip "tcpdump is not installed"
	run_lab_once
	local lan
	for lan in lan1-a lan1-b lan2-c; do
		norm_ours "$LABDIR/$lan.txt" >"$BATS_TEST_TMPDIR/ours"
		norm_tcpdump "$LABDIR/$lan.pcap" >"$BATS_TEST_TMPDIR/theirs"
		[ -s "$BATS_TEST_TMPDIR/ours" ]
		diff "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs"
	done
}

@test "lab: the pcap files the sniffer wrote are read by tcpdump, frame for frame" {
	lab_ready
	command -v tcpdump >/dev/null || skip "tcpdump is not installed"
	run_lab_once
	local lan
	for lan in lan1-a lan1-b lan2-c; do
		run tcpdump -nn -r "$LABDIR/$lan.pcap"
		equal "exit status of tcpdump -nn -r $LABDIR/$lan.pcap" 0 "$status"
		[ "$(grep -c '^[0-9]' <<<"$output")" -eq "$(grep -c '^#' "$LABDIR/$lan.txt")" ]
	done
}

@test "lab: nothing it made is left: namespaces, interfaces, processes" {
	lab_ready
	run_lab_once
	no_leftovers "$LABDIR"
}

@test "lab: interrupted with SIGINT while it is up, it still removes everything" {
	lab_ready
	local dir=$BATS_TEST_TMPDIR/int pid rc=0 i
	# A background job starts with SIGINT ignored; give it back its default.
	LAB_HOLD=30 env --default-signal=INT "$LAB" -o "$dir" >"$BATS_TEST_TMPDIR/int.out" 2>&1 3>&- &
	pid=$!
	for ((i = 1; i <= 200; i++)); do
		grep -q '^lab is up' "$BATS_TEST_TMPDIR/int.out" && break
		sleep 0.05
	done
	grep -q '^lab is up' "$BATS_TEST_TMPDIR/int.out"
	ip netns list | grep -q "nl$pid-c"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	no_leftovers "$dir"
}

@test "lab: when a part fails to start it says which, and still removes everything" {
	lab_ready
	local bin=$BATS_TEST_TMPDIR/bin rc=0
	mkdir -p "$bin/09-capture" "$bin/06-epoll"
	ln -s "$SNIFF" "$bin/09-capture/sniff"
	printf '#!/bin/sh\necho "cannot bind" >&2\nexit 1\n' >"$bin/06-epoll/server"
	chmod +x "$bin/06-epoll/server"
	NETLAB_BIN=$bin "$LAB" -o "$BATS_TEST_TMPDIR/fail" >"$BATS_TEST_TMPDIR/fail.out" 2>&1 3>&- || rc=$?
	[ "$rc" -ne 0 ]
	[ "$rc" -ne 77 ]
	grep -q "server did not say" "$BATS_TEST_TMPDIR/fail.out"
	grep -q "cannot bind" "$BATS_TEST_TMPDIR/fail.out"
	no_leftovers "$BATS_TEST_TMPDIR/fail"
}
