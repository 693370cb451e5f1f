# annotate.awk: notes under the frames of a sniff transcript, saying what
# each one shows (notes 三 and the handshake paragraphs of 二).
#
#   sniff -r lan1.pcap | awk -f annotate.awk -v names="192.0.2.10=A ..."
#
# names maps addresses (IP or MAC) to the lab's host names; gateways lists
# the routers' addresses; me, if set, is the MAC of the capturing host. Every note is derived from the fields of the
# frame it follows: nothing here knows in advance what will be captured.

BEGIN {
	n = split(names, pairs, " ")
	for (i = 1; i <= n; i++) {
		split(pairs[i], kv, "=")
		who[kv[1]] = kv[2]
	}
	n = split(gateways, g, " ")
	for (i = 1; i <= n; i++)
		gateway[g[i]] = 1
}

function name(addr) { return (addr in who) ? who[addr] : addr }
function note(text) { printf "        <- %s\n", text }

function reset_frame() {
	eth_src = eth_dst = arp_op = arp_target = arp_sender = ""
	ip_src = ip_dst = ttl = flags = dns = http = head = rest = ""
	seq = ack = ""
	plen = 0
}

# The notes for the frame just printed.
function annotate(   w) {
	if (me != "" && eth_src != me && eth_dst != me && eth_dst != "ff:ff:ff:ff:ff:ff" && !flooded) {
		flooded = 1
		note("3.4 from " name(eth_src) " to " name(eth_dst) ", not to " name(me) ": repeated to every port, as a hub does, so " name(me) " gets it;")
		note("    " name(me) "'s kernel drops it after the sniffer's copy (a real card would drop it first, unless promiscuous)")
	}
	if (arp_op == "request" && eth_dst == "ff:ff:ff:ff:ff:ff") {
		note("3.4 broadcast to ff:ff:ff:ff:ff:ff: " name(arp_sender) " asks everyone on the LAN who has " arp_target)
		if (arp_target in gateway)
			note("3.3 " arp_target " is " name(arp_sender) "'s gateway: its MAC is needed for anything sent off this network")
	} else if (arp_op == "reply") {
		note("3.4 unicast reply, to " name(eth_dst) "'s MAC only: " arp_sender " is at " eth_src)
	}
	if (dns == "query")
		note("3.5 DNS question from " name(ip_src) " to the name server " name(ip_dst))
	else if (dns == "reply")
		note("3.5 DNS answer from " name(ip_src) ": " answer)
	if (ttl != "" && !(ttl in ttl_seen) && ttl < 64) {
		ttl_seen[ttl] = 1
		note("3.5 ttl " ttl ", not 64 (Linux's start): " (64 - ttl) " router(s) on the way took one off each;")
		note("    the IP addresses are still " name(ip_src) "'s and " name(ip_dst) "'s, the MACs are this LAN's")
	}
	if (flags != "")
		annotate_tcp()
}

function annotate_tcp() {
	if (flags == "SYN") {
		note("handshake 1/3: " name(ip_src) " asks to connect (SYN), seq " seq)
		handshake = 1
	} else if (flags == "SYN,ACK") {
		note("handshake 2/3: " name(ip_src) " agrees (SYN,ACK), ack " ack " = the SYN's seq + 1")
		handshake = 2
	} else if (handshake == 2 && flags == "ACK" && plen == 0) {
		note("handshake 3/3: " name(ip_src) " acknowledges; the connection is open")
		handshake = 3
	} else if (flags ~ /FIN/ && first_fin == "") {
		first_fin = ip_src
		fin_seq = seq + 0
		note("close 1/4: " name(ip_src) " sends the first FIN: it closes first, so it is the side that waits in TIME_WAIT")
	} else if (first_fin != "" && ip_src != first_fin && flags == "ACK" && ack + 0 == (fin_seq + 1) % 4294967296) {
		note("close 2/4: " name(ip_src) " acknowledges that FIN")
		closing = 2
	} else if (first_fin != "" && ip_src != first_fin && flags ~ /FIN/) {
		note("close " (closing == 2 ? "3/4" : "2/4 and 3/4") ": " name(ip_src) " sends its own FIN" (closing == 2 ? "" : ", with the ACK of the first in the same segment"))
		closing = 3
	} else if (closing == 3 && ip_src == first_fin && flags == "ACK") {
		note("close 4/4: " name(ip_src) " acknowledges it; " name(ip_src) "'s side of the connection is now in TIME_WAIT")
		closing = 4
	}
	if (http ~ /^HTTP\//)
		annotate_response()
	else if (http != "")
		annotate_request()
	else if (plen > 0 && ip_src == body_from)
		note("the response's body, " plen " bytes: no head here, the head's Content-Length said how many to expect")
}

# A head is the bytes up to the empty line, whatever the segment's length:
# in the same segment after it there may be body.
function annotate_response() {
	if (head == "") {
		note("the response's status line; its head goes on in the next segment, up to the empty line")
		return
	}
	if (rest > 0)
		note("the response: its head is the " head " bytes up to the empty line, and the other " rest " bytes of this segment are body")
	else
		note("the response's head, " head " bytes up to the empty line; the body comes in the segments after it")
	body_from = ip_src
}

function annotate_request() {
	if (head == "")
		note("the HTTP request; its head goes on in the next segment, up to the empty line")
	else if (rest > 0)
		note("the HTTP request: a head of " head " bytes up to the empty line, then " rest " bytes (a body, or the next request)")
	else
		note("the HTTP request: its whole head, " head " bytes up to the empty line, in one segment")
}

/^#/ {
	if (NR > 1)
		annotate()
	reset_frame()
}
{ print }
$1 == "eth" { eth_src = $2; eth_dst = $4 }
$1 == "arp" && $2 == "request" { arp_op = "request"; arp_target = $4; arp_sender = $6 }
$1 == "arp" && $2 == "reply" { arp_op = "reply"; arp_sender = $3 }
$1 == "ip" { ip_src = $2; ip_dst = $4; ttl = $6 + 0 }
$1 == "tcp" {
	flags = $5
	gsub(/[][]/, "", flags)
	for (i = 5; i < NF; i++) {
		if ($i == "seq") seq = $(i + 1)
		if ($i == "ack") ack = $(i + 1)
	}
	plen = $NF + 0
}
$1 == "dns" {
	dns = $2
	answer = $0
	sub(/.*->  */, "", answer)
}
$1 == "http" && $2 == "head" {
	if ($3 != "not") {
		head = $3
		rest = $9 == "nothing" ? 0 : $9
	}
	next
}
$1 == "http" { http = substr($0, 9) }
END {
	if (NR > 0)
		annotate()
}
