/*
 * decode.c: one captured Ethernet frame, decoded layer by layer.
 *
 * A frame is a header, then a payload that is the next layer's header and
 * payload, and so on (notes 三, 3.1). Each decode_* function below takes
 * the bytes its layer starts at and how many there are, checks the length
 * before reading any field, writes one line, and hands its payload to the
 * next layer. The length it hands on is the smaller of what the header
 * claims and what was captured: a short Ethernet frame is padded to 60
 * bytes, and that padding must not be taken for TCP data.
 *
 * What is checked and reported rather than trusted: every header length,
 * the IPv4 total length and header checksum, the UDP length, and every
 * DNS name, whose compression pointers could otherwise loop for ever or
 * point outside the message.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

#define ETH_HEADER      14
#define ARP_IPV4_LEN    28
#define IPV4_HEADER_MIN 20
#define IPV4_MORE_FRAGMENTS 0x2000  /* flag bit of the fragment field */
#define IPV4_OFFSET_MASK    0x1fff  /* its offset, in units of 8 bytes */
#define TCP_HEADER_MIN  20
#define UDP_HEADER      8
#define DNS_HEADER      12
#define DNS_PORT        53
#define DNS_NAME_WIRE   255   /* RFC 1035 2.3.4: a name is at most 255 bytes */
#define DNS_NAME_TEXT   (4 * DNS_NAME_WIRE + 2)  /* every byte as \DDD */
#define DNS_SHOWN       8     /* questions or answers shown per message */
#define HTTP_LINE_SHOWN 160

/* The text being written; once it is full, the rest is dropped and
 * decode_frame ends what fit with "...". */
struct out {
	char *buf;
	size_t size, len;
	int full;
};

struct dec {
	struct out out;
	struct decode_summary *sum;
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

__attribute__((format(printf, 2, 3)))
static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		/* vsnprintf kept what fit: the text so far is still a prefix. */
		if (n < 0)
			o->buf[o->len] = '\0';
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

/* Report a frame that is shorter than it says, or impossible; the first
 * problem found is the frame's status. */
__attribute__((format(printf, 3, 4)))
static void
bad(struct dec *d, enum decode_status status, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (d->sum->status == DECODE_OK)
		d->sum->status = status;
	out_add(&d->out, "  bad   %s: %s\n",
	        status == DECODE_TRUNCATED ? "truncated" : "malformed", why);
}

static const char *
fmt_mac(const unsigned char *p, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
	return buf;
}

static const char *
fmt_ip(const unsigned char *p, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	return buf;
}

/* ---- application layer: DNS and HTTP ---- */

static const char *
dns_type_name(unsigned type)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 41: return "OPT";
	case 65: return "HTTPS";
	case 255: return "ANY";
	}
	return NULL;
}

static const char *
dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	};
	return rcode < sizeof names / sizeof names[0] ? names[rcode] : "RCODE?";
}

/* Append one label byte to a name's text, escaping what is not a plain
 * host name character the way dig does (\. and \DDD). */
static size_t
dns_text_byte(char *text, size_t t, unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '*') {
		text[t++] = (char)c;
	} else if (c == '.' || c == '\\') {
		text[t++] = '\\';
		text[t++] = (char)c;
	} else {
		t += (size_t)snprintf(text + t, 5, "\\%03u", c);
	}
	return t;
}

/*
 * Read the name at *off in the DNS message MSG (LEN bytes) into TEXT
 * (DNS_NAME_TEXT bytes) and move *off past it. A name is labels, each a
 * length byte and that many bytes, ending with a zero byte or with a
 * two-byte pointer to the rest of the name earlier in the message (RFC
 * 1035 4.1.4). Each pointer must point before the previous one, so a
 * chain of them always ends.
 */
static enum decode_status
dns_name(const unsigned char *msg, size_t len, size_t *off, char *text)
{
	size_t pos = *off, limit = *off, wire = 0, t = 0, i;
	int jumped = 0;

	for (;;) {
		if (pos >= len)
			return DECODE_TRUNCATED;
		if ((msg[pos] & 0xc0) == 0xc0) {
			size_t target;
			if (pos + 2 > len)
				return DECODE_TRUNCATED;
			target = (size_t)(msg[pos] & 0x3f) << 8 | msg[pos + 1];
			if (target >= limit)
				return DECODE_MALFORMED;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			limit = pos = target;
			continue;
		}
		if (msg[pos] & 0xc0)
			return DECODE_MALFORMED;   /* label types 01 and 10 are not in use */
		if (msg[pos] == 0)
			break;
		wire += 1u + msg[pos];
		if (wire + 1 > DNS_NAME_WIRE)
			return DECODE_MALFORMED;
		if (pos + 1 + msg[pos] > len)
			return DECODE_TRUNCATED;
		if (t > 0)
			text[t++] = '.';
		for (i = 1; i <= msg[pos]; i++)
			t = dns_text_byte(text, t, msg[pos + i]);
		pos += 1u + msg[pos];
	}
	if (!jumped)
		*off = pos + 1;
	if (t == 0)
		text[t++] = '.';
	text[t] = '\0';
	return DECODE_OK;
}

/* One question: NAME TYPE?, as dig and tcpdump write it "A? name". */
static enum decode_status
dns_question(struct dec *d, const unsigned char *msg, size_t len, size_t *off)
{
	char name[DNS_NAME_TEXT];
	const char *tname;
	enum decode_status st;

	if ((st = dns_name(msg, len, off, name)) != DECODE_OK)
		return st;
	if (*off + 4 > len)
		return DECODE_TRUNCATED;
	tname = dns_type_name(get16(msg + *off));
	if (tname)
		out_add(&d->out, "  %s? %s", tname, name);
	else
		out_add(&d->out, "  TYPE%u? %s", get16(msg + *off), name);
	*off += 4;
	return DECODE_OK;
}

/* The data of one answer, by type: an address, a name, or its size. */
static enum decode_status
dns_rdata(struct dec *d, const unsigned char *msg, size_t off,
          unsigned type, unsigned rdlen)
{
	char name[DNS_NAME_TEXT], ip[INET6_ADDRSTRLEN];
	size_t end = off + rdlen, noff = off;
	enum decode_status st;

	if (type == 1 && rdlen == 4) {
		out_add(&d->out, " %s", fmt_ip(msg + off, ip));
	} else if (type == 28 && rdlen == 16) {
		out_add(&d->out, " %s", inet_ntop(AF_INET6, msg + off, ip, sizeof ip));
	} else if (type == 1 || type == 28) {
		return DECODE_MALFORMED;
	} else if (type == 2 || type == 5 || type == 12) {
		if ((st = dns_name(msg, end, &noff, name)) != DECODE_OK)
			return st == DECODE_TRUNCATED ? DECODE_MALFORMED : st;
		out_add(&d->out, " %s", name);
	} else {
		out_add(&d->out, " (%u bytes)", rdlen);
	}
	return DECODE_OK;
}

/* One answer record: NAME TYPE DATA ttl N. */
static enum decode_status
dns_answer(struct dec *d, const unsigned char *msg, size_t len, size_t *off)
{
	char name[DNS_NAME_TEXT];
	const char *tname;
	unsigned type, rdlen;
	uint32_t ttl;
	enum decode_status st;

	if ((st = dns_name(msg, len, off, name)) != DECODE_OK)
		return st;
	if (*off + 10 > len)
		return DECODE_TRUNCATED;
	type = get16(msg + *off);
	ttl = get32(msg + *off + 4);
	rdlen = get16(msg + *off + 8);
	*off += 10;
	if (*off + rdlen > len)
		return DECODE_TRUNCATED;
	tname = dns_type_name(type);
	if (tname)
		out_add(&d->out, "  %s %s", name, tname);
	else
		out_add(&d->out, "  %s TYPE%u", name, type);
	if ((st = dns_rdata(d, msg, *off, type, rdlen)) != DECODE_OK)
		return st;
	out_add(&d->out, " ttl %lu", (unsigned long)ttl);
	*off += rdlen;
	return DECODE_OK;
}

/*
 * DNS (RFC 1035 4.1): a 12-byte header with counts, then the questions,
 * then the answers. A query shows its questions; a reply shows its status,
 * the questions it answers and the answer records. Authority and
 * additional records are counted, not shown.
 */
static void
decode_dns(struct dec *d, const unsigned char *p, size_t len)
{
	unsigned flags, qd, an, i;
	size_t off = DNS_HEADER;
	enum decode_status st = DECODE_OK;

	if (len < DNS_HEADER) {
		bad(d, DECODE_TRUNCATED, "DNS header is %zu of %d bytes", len, DNS_HEADER);
		return;
	}
	d->sum->layers |= DECODE_DNS;
	flags = get16(p + 2);
	qd = get16(p + 4);
	an = get16(p + 6);
	if (flags & 0x8000)
		out_add(&d->out, "  dns   reply 0x%04x %s%s", get16(p),
		        dns_rcode_name(flags & 0xf), flags & 0x0200 ? " truncated(TC)" : "");
	else
		out_add(&d->out, "  dns   query 0x%04x", get16(p));
	for (i = 0; i < qd && i < DNS_SHOWN && st == DECODE_OK; i++)
		st = dns_question(d, p, len, &off);
	if ((flags & 0x8000) && st == DECODE_OK)
		out_add(&d->out, "  ->%s", an == 0 ? " no answer" : "");
	for (i = 0; qd <= DNS_SHOWN && i < an && i < DNS_SHOWN && st == DECODE_OK; i++)
		st = dns_answer(d, p, len, &off);
	if (st == DECODE_OK && (qd > DNS_SHOWN || an > DNS_SHOWN))
		out_add(&d->out, "  (%u questions, %u answers)", qd, an);
	out_add(&d->out, "\n");
	if (st != DECODE_OK)
		bad(d, st, "DNS record at offset %zu runs past the message or loops", off);
}

/* A request line ("GET / HTTP/1.1") or a status line ("HTTP/1.1 200 OK")
 * at the start of a TCP payload: an upper-case token, a space, and
 * "HTTP/" somewhere in the first line. */
static int
http_first_line(const unsigned char *p, size_t len, size_t *line)
{
	size_t n, tok = 0;

	for (n = 0; n < len && n < HTTP_LINE_SHOWN && p[n] != '\n'; n++)
		;
	*line = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		return 1;
	while (tok < *line && p[tok] >= 'A' && p[tok] <= 'Z')
		tok++;
	if (tok == 0 || tok >= *line || p[tok] != ' ')
		return 0;
	for (n = tok; n + 6 <= *line; n++)
		if (memcmp(p + n, " HTTP/", 6) == 0)
			return 1;
	return 0;
}

/* The length of the head: the bytes up to and including the empty line
 * that ends it (CRLF CRLF, or LF LF, which readers also accept); 0 if
 * these LEN bytes hold no empty line. */
static size_t
http_head_len(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Two lines: the first line of the head, then where the head ends. The
 * bytes after it are the body, or (pipelined) the next message: which,
 * only the headers can tell, so this says how many and not what. */
static void
decode_http(struct dec *d, const unsigned char *p, size_t len)
{
	size_t line, head, i;

	if (!http_first_line(p, len, &line))
		return;
	d->sum->layers |= DECODE_HTTP;
	out_add(&d->out, "  http  ");
	for (i = 0; i < line; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			out_add(&d->out, "%c", p[i]);
		else
			out_add(&d->out, "\\x%02x", p[i]);
	}
	head = http_head_len(p, len);
	if (head == 0)
		out_add(&d->out, "\n  http  head not ended: no empty line in these %zu bytes\n", len);
	else if (head == len)
		out_add(&d->out, "\n  http  head %zu bytes (to the empty line), nothing after it\n", head);
	else
		out_add(&d->out, "\n  http  head %zu bytes (to the empty line), %zu bytes after it\n",
		        head, len - head);
}

/* ---- transport layer: TCP, UDP, and ICMP beside them ---- */

static void
tcp_flag_names(unsigned flags, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ TCP_SYN, "SYN" }, { TCP_FIN, "FIN" }, { TCP_RST, "RST" }, { TCP_PSH, "PSH" },
		{ TCP_ACK, "ACK" }, { TCP_URG, "URG" }, { TCP_ECE, "ECE" }, { TCP_CWR, "CWR" },
	};
	size_t i, n = 0;

	snprintf(buf, size, "none");
	for (i = 0; i < sizeof names / sizeof names[0] && n < size; i++)
		if (flags & names[i].bit)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", names[i].name);
}

static void
decode_tcp(struct dec *d, const unsigned char *p, size_t len)
{
	unsigned doff, flags;
	char names[40];

	if (len < TCP_HEADER_MIN) {
		bad(d, DECODE_TRUNCATED, "TCP header is %zu of %d bytes", len, TCP_HEADER_MIN);
		return;
	}
	doff = (unsigned)(p[12] >> 4) * 4;
	if (doff < TCP_HEADER_MIN) {
		bad(d, DECODE_MALFORMED, "TCP header length %u is under %d", doff, TCP_HEADER_MIN);
		return;
	}
	if (doff > len) {
		bad(d, DECODE_TRUNCATED, "TCP header is %zu of %u bytes", len, doff);
		return;
	}
	flags = p[13];
	d->sum->layers |= DECODE_TCP;
	d->sum->src_port = (uint16_t)get16(p);
	d->sum->dst_port = (uint16_t)get16(p + 2);
	d->sum->tcp_flags = flags;
	tcp_flag_names(flags, names, sizeof names);
	out_add(&d->out, "  tcp   %u > %u  [%s]  seq %lu", get16(p), get16(p + 2), names,
	        (unsigned long)get32(p + 4));
	if (flags & TCP_ACK)
		out_add(&d->out, "  ack %lu", (unsigned long)get32(p + 8));
	out_add(&d->out, "  win %u  len %zu\n", get16(p + 14), len - doff);
	if (len > doff)
		decode_http(d, p + doff, len - doff);
}

/* FRAGMENTED: this is the first fragment of a larger datagram, so the UDP
 * length counts bytes that come in later fragments, not missing ones. */
static void
decode_udp(struct dec *d, const unsigned char *p, size_t len, int fragmented)
{
	unsigned ulen, sport, dport;

	if (len < UDP_HEADER) {
		bad(d, DECODE_TRUNCATED, "UDP header is %zu of %d bytes", len, UDP_HEADER);
		return;
	}
	ulen = get16(p + 4);
	if (ulen < UDP_HEADER) {
		bad(d, DECODE_MALFORMED, "UDP length %u is under %d", ulen, UDP_HEADER);
		return;
	}
	sport = get16(p);
	dport = get16(p + 2);
	d->sum->layers |= DECODE_UDP;
	d->sum->src_port = (uint16_t)sport;
	d->sum->dst_port = (uint16_t)dport;
	out_add(&d->out, "  udp   %u > %u  len %u", sport, dport, ulen - UDP_HEADER);
	if (fragmented) {
		out_add(&d->out, ", %zu in this fragment\n", len - UDP_HEADER);
		return;
	}
	out_add(&d->out, "\n");
	if (ulen > len) {
		bad(d, DECODE_TRUNCATED, "UDP says %u bytes, %zu captured", ulen, len);
		return;
	}
	if (sport == DNS_PORT || dport == DNS_PORT)
		decode_dns(d, p + UDP_HEADER, ulen - UDP_HEADER);
}

static void
decode_icmp(struct dec *d, const unsigned char *p, size_t len)
{
	if (len < 4) {
		bad(d, DECODE_TRUNCATED, "ICMP header is %zu of 4 bytes", len);
		return;
	}
	d->sum->layers |= DECODE_ICMP;
	if ((p[0] == 0 || p[0] == 8) && len >= 8)
		out_add(&d->out, "  icmp  echo %s  id %u  seq %u\n", p[0] ? "request" : "reply",
		        get16(p + 4), get16(p + 6));
	else if (p[0] == 3)
		out_add(&d->out, "  icmp  destination unreachable (code %u)\n", p[1]);
	else if (p[0] == 11)
		out_add(&d->out, "  icmp  time exceeded (code %u)\n", p[1]);
	else
		out_add(&d->out, "  icmp  type %u code %u\n", p[0], p[1]);
}

/* ---- network layer: IPv4 and ARP ---- */

/* The one's-complement sum of a correct header, checksum included, is 0xffff. */
static int
ipv4_checksum_ok(const unsigned char *p, size_t hlen)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < hlen; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static const char *
ip_proto_name(unsigned proto, char buf[16])
{
	switch (proto) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	}
	snprintf(buf, 16, "proto %u", proto);
	return buf;
}

static void
decode_ipv4(struct dec *d, const unsigned char *p, size_t len)
{
	unsigned hlen, total, frag;
	char src[16], dst[16], proto[16];

	if (len < IPV4_HEADER_MIN) {
		bad(d, DECODE_TRUNCATED, "IPv4 header is %zu of %d bytes", len, IPV4_HEADER_MIN);
		return;
	}
	hlen = (unsigned)(p[0] & 0xf) * 4;
	total = get16(p + 2);
	if (p[0] >> 4 != 4 || hlen < IPV4_HEADER_MIN || total < hlen) {
		bad(d, DECODE_MALFORMED, "IPv4 version %u, header %u bytes, total %u",
		    p[0] >> 4, hlen, total);
		return;
	}
	if (hlen > len) {
		bad(d, DECODE_TRUNCATED, "IPv4 header is %zu of %u bytes", len, hlen);
		return;
	}
	d->sum->layers |= DECODE_IPV4;
	memcpy(d->sum->src_ip, p + 12, 4);
	memcpy(d->sum->dst_ip, p + 16, 4);
	frag = get16(p + 6);
	out_add(&d->out, "  ip    %s > %s  ttl %u  %s  len %u", fmt_ip(p + 12, src),
	        fmt_ip(p + 16, dst), p[8], ip_proto_name(p[9], proto), total);
	if (hlen > IPV4_HEADER_MIN)
		out_add(&d->out, "  options %u bytes", hlen - IPV4_HEADER_MIN);
	if (frag & (IPV4_MORE_FRAGMENTS | IPV4_OFFSET_MASK))
		out_add(&d->out, "  fragment offset %u%s", (frag & IPV4_OFFSET_MASK) * 8,
		        frag & IPV4_MORE_FRAGMENTS ? " more" : "");
	out_add(&d->out, "\n");
	if (!ipv4_checksum_ok(p, hlen))
		bad(d, DECODE_MALFORMED, "IPv4 header checksum");
	if (total > len)
		bad(d, DECODE_TRUNCATED, "IPv4 says %u bytes, %zu captured", total, len);
	if (frag & IPV4_OFFSET_MASK)
		return;     /* a later fragment: no transport header in it */
	len = total < len ? total : len;
	switch (p[9]) {
	case 1: decode_icmp(d, p + hlen, len - hlen); break;
	case 6: decode_tcp(d, p + hlen, len - hlen); break;
	case 17: decode_udp(d, p + hlen, len - hlen, (frag & IPV4_MORE_FRAGMENTS) != 0); break;
	}
}

/* ARP for IPv4 over Ethernet (RFC 826): "who has this IP? tell me", and
 * the answer "this IP is at this MAC". */
static void
decode_arp(struct dec *d, const unsigned char *p, size_t len)
{
	char sha[18], tha[18], spa[16], tpa[16];
	unsigned op;

	if (len < 8) {
		bad(d, DECODE_TRUNCATED, "ARP header is %zu of 8 bytes", len);
		return;
	}
	if (get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
		out_add(&d->out, "  arp   hardware %u, protocol 0x%04x (not decoded)\n",
		        get16(p), get16(p + 2));
		return;
	}
	if (len < ARP_IPV4_LEN) {
		bad(d, DECODE_TRUNCATED, "ARP is %zu of %d bytes", len, ARP_IPV4_LEN);
		return;
	}
	d->sum->layers |= DECODE_ARP;
	memcpy(d->sum->src_ip, p + 14, 4);
	memcpy(d->sum->dst_ip, p + 24, 4);
	op = get16(p + 6);
	fmt_mac(p + 8, sha);
	fmt_mac(p + 18, tha);
	fmt_ip(p + 14, spa);
	fmt_ip(p + 24, tpa);
	if (op == 1)
		out_add(&d->out, "  arp   request who-has %s tell %s (%s)\n", tpa, spa, sha);
	else if (op == 2)
		out_add(&d->out, "  arp   reply %s is-at %s (to %s at %s)\n", spa, sha, tpa, tha);
	else
		out_add(&d->out, "  arp   operation %u from %s (%s)\n", op, spa, sha);
}

/* ---- link layer: Ethernet ---- */

static const char *
ethertype_name(unsigned type)
{
	switch (type) {
	case 0x0800: return "IPv4";
	case 0x0806: return "ARP";
	case 0x86dd: return "IPv6 (not decoded)";
	case 0x8100: return "802.1Q VLAN (not decoded)";
	}
	return "(not decoded)";
}

static void
decode_eth(struct dec *d, const unsigned char *p, size_t len)
{
	char src[18], dst[18];
	unsigned type;

	if (len < ETH_HEADER) {
		bad(d, DECODE_TRUNCATED, "Ethernet header is %zu of %d bytes", len, ETH_HEADER);
		return;
	}
	d->sum->layers |= DECODE_ETH;
	type = get16(p + 12);
	if (type < 0x0600) {    /* IEEE 802.3: a length, not a type */
		out_add(&d->out, "  eth   %s > %s  802.3 length %u (not decoded)\n",
		        fmt_mac(p + 6, src), fmt_mac(p, dst), type);
		return;
	}
	out_add(&d->out, "  eth   %s > %s  type 0x%04x %s\n", fmt_mac(p + 6, src),
	        fmt_mac(p, dst), type, ethertype_name(type));
	if (type == 0x0800)
		decode_ipv4(d, p + ETH_HEADER, len - ETH_HEADER);
	else if (type == 0x0806)
		decode_arp(d, p + ETH_HEADER, len - ETH_HEADER);
}

enum decode_status
decode_frame(const unsigned char *frame, size_t len, struct decode_summary *sum,
             char *text, size_t size)
{
	struct dec d = { { text, size, 0, 0 }, sum };

	memset(sum, 0, sizeof *sum);
	if (size == 0)
		d.out.full = 1;
	else
		text[0] = '\0';
	decode_eth(&d, frame, len);
	if (d.out.full && size >= 5)
		memcpy(text + size - 5, "...\n", 5);
	return sum->status;
}
