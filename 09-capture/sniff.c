/*
 * sniff: a packet sniffer on a packet socket (AF_PACKET), for watching what
 * our servers and their clients really send (notes 三, 3.1 and 3.2).
 *
 * Lesson (notes 3.1): the notes say capture tools talk to the network
 * layer directly through a "raw socket". A raw socket, AF_INET with
 * SOCK_RAW, starts at the IP header: it never sees Ethernet or ARP. What
 * a capture tool uses on Linux is a packet socket, AF_PACKET: it hands us
 * every Ethernet frame an interface sends or receives, before TCP/IP has
 * looked at it (and a copy of what TCP/IP sends). Its type SOCK_RAW means
 * the frame comes with its Ethernet header; SOCK_DGRAM would strip it.
 * Opening one needs root (CAP_NET_RAW), because it sees everybody's
 * traffic on that interface.
 *
 * Lesson (notes 3.2): what tcpdump and Wireshark show is this, decoded.
 * The options are tcpdump's: -i IFACE, -c COUNT, -w FILE writes a pcap file
 * for tcpdump -r or Wireshark instead of printing, -r FILE reads one, and a
 * filter such as "host 192.0.2.10 and port 80". Decoding is in decode.c, the
 * file format in pcap.c; this file captures, filters and prints.
 *
 * Not done, on purpose: promiscuous mode (on a switched LAN a host is sent
 * only its own frames and broadcasts anyway, which is notes 3.4's point,
 * and the veth of the lab's hub passes up every frame without it),
 * kernel-side filters (BPF) and IPv6.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <linux/if_packet.h>   /* sockaddr_ll, and tpacket_stats that glibc lacks */
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "pcap.h"

#define FILTER_TOKENS 32
#define DRAIN_MAX     4096   /* frames taken per wakeup, and after a stop */
#define CAPTURE_RCVBUF (4 << 20) /* bytes queued for us before the kernel drops */

/* A tcpdump-style filter: primitives joined by "and", all must hold. */
struct filter {
	unsigned layers;            /* enum decode_layer bits that must be there */
	int has_host, has_port;
	unsigned char host[4];
	uint16_t port;
};

struct options {
	const char *iface;          /* NULL: every interface */
	const char *read_file, *write_file;
	unsigned long count;        /* stop after this many frames; 0: never */
	struct filter filter;
};

struct tally {
	unsigned long frames, truncated, malformed;
};

static volatile sig_atomic_t stop;
static unsigned char frame[PCAP_SNAPLEN];
static char text[DECODE_TEXT_MAX];

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: sniff [-i IFACE] [-c COUNT] [-w FILE] [-r FILE] [-h] [FILTER]\n"
	    "  -i IFACE   capture on IFACE (default: every interface; needs root)\n"
	    "  -c COUNT   stop after COUNT frames that pass the filter\n"
	    "  -w FILE    write the frames to a pcap file instead of printing them\n"
	    "  -r FILE    read frames from a pcap file instead of an interface\n"
	    "  FILTER     host ADDR, port N, arp, ip, icmp, tcp, udp, joined by 'and'\n"
	    "examples, as root (or with sudo):\n"
	    "  sniff -i lo -c 10 port 8080     # then: curl http://127.0.0.1:8080/\n"
	    "  sniff -i eth0 -w out.pcap && tcpdump -nn -e -r out.pcap\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
filter_word(struct filter *f, const char *word)
{
	static const struct { const char *name; unsigned layer; } words[] = {
		{ "arp", DECODE_ARP }, { "ip", DECODE_IPV4 }, { "icmp", DECODE_ICMP },
		{ "tcp", DECODE_TCP }, { "udp", DECODE_UDP },
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(word, words[i].name) == 0) {
			f->layers |= words[i].layer;
			return 0;
		}
	return -1;
}

/* One primitive at tok[*i]: a word, or "host ADDR" or "port N", which
 * take the next word too. Returns -1 if it is none of these. */
static int
filter_primitive(struct filter *f, char **tok, size_t n, size_t *i)
{
	unsigned long port;
	char *end;

	if (strcmp(tok[*i], "host") == 0 && *i + 1 < n) {
		if (inet_pton(AF_INET, tok[*i + 1], f->host) != 1)
			return -1;
		f->has_host = 1;
		++*i;
		return 0;
	}
	if (strcmp(tok[*i], "port") == 0 && *i + 1 < n) {
		errno = 0;
		port = strtoul(tok[*i + 1], &end, 10);
		if (*end != '\0' || errno || port > 65535 || tok[*i + 1][0] == '-')
			return -1;
		f->has_port = 1;
		f->port = (uint16_t)port;
		++*i;
		return 0;
	}
	return filter_word(f, tok[*i]);
}

/* Parse the words of a filter; the expression may come as one argument
 * ("port 80 and host 192.0.2.1") or as several, as tcpdump allows. */
static void
filter_parse(struct filter *f, char **argv)
{
	char *tok[FILTER_TOKENS], *save, *w;
	size_t n = 0, i;
	int want_and = 0;

	for (; *argv; argv++)
		for (w = strtok_r(*argv, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (n == FILTER_TOKENS)
				errx(2, "filter: too many words");
			tok[n++] = w;
		}
	for (i = 0; i < n; i++, want_and = !want_and) {
		if (want_and ? strcmp(tok[i], "and") != 0 || i + 1 == n
		             : filter_primitive(f, tok, n, &i) != 0)
			errx(2, "filter: cannot use '%s' here; this sniffer understands "
			        "host ADDR, port N, arp, ip, icmp, tcp, udp, joined by 'and'", tok[i]);
	}
}

static int
filter_match(const struct filter *f, const struct decode_summary *s)
{
	if ((s->layers & f->layers) != f->layers)
		return 0;
	if (f->has_host && (!(s->layers & (DECODE_IPV4 | DECODE_ARP)) ||
	    (memcmp(s->src_ip, f->host, 4) != 0 && memcmp(s->dst_ip, f->host, 4) != 0)))
		return 0;
	if (f->has_port && (!(s->layers & (DECODE_TCP | DECODE_UDP)) ||
	    (s->src_port != f->port && s->dst_port != f->port)))
		return 0;
	return 1;
}

/* Decode one frame; if it passes the filter, print it or write it. Returns
 * -1 if writing failed, 1 once COUNT frames have passed, else 0. */
static int
sniff_frame(const struct options *o, struct tally *t, FILE *out, const struct timespec *ts,
            size_t caplen, size_t origlen)
{
	struct decode_summary sum;

	decode_frame(frame, caplen, &sum, text, sizeof text);
	if (!filter_match(&o->filter, &sum))
		return 0;
	t->frames++;
	t->truncated += sum.status == DECODE_TRUNCATED;
	t->malformed += sum.status == DECODE_MALFORMED;
	if (out) {
		if (pcap_write_record(out, ts, frame, caplen, origlen) != PCAP_OK || fflush(out) != 0)
			return -1;
	} else {
		printf("#%lu  %zu bytes", t->frames, origlen);
		if (caplen < origlen)
			printf(", %zu captured", caplen);
		printf("\n%s", text);
		fflush(stdout);
	}
	return o->count && t->frames >= o->count;
}

/*
 * Open the packet socket. It is created for protocol 0, which receives
 * nothing, and only then bound to the interface for every protocol
 * (ETH_P_ALL): created for ETH_P_ALL, it would start queueing frames from
 * every interface in the moment before bind.
 */
static int
capture_open(const char *iface)
{
	struct sockaddr_ll sll;
	int fd;

	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	if (iface && strcmp(iface, "any") != 0 && (sll.sll_ifindex = (int)if_nametoindex(iface)) == 0)
		err(1, "interface %s", iface);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		err(1, "packet socket (are you root?)");
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
		err(1, "bind to %s", iface ? iface : "every interface");
	/* Every frame is queued for us, filter or not (tcpdump has the kernel
	 * filter with BPF; we filter after decoding), so a busy interface can
	 * fill the default buffer: ask for more, and report what was dropped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ CAPTURE_RCVBUF }, sizeof(int)) < 0)
		warn("SO_RCVBUF");
	if (fd >= FD_SETSIZE)
		errx(1, "descriptor %d too large for select", fd);
	fprintf(stderr, "listening on %s\n", iface ? iface : "any");
	return fd;
}

/* The next queued frame into frame[]: its length on the wire, or -1 when
 * none is queued. On loopback what goes out comes straight back in, so
 * the outgoing copy is skipped, as tcpdump does. */
static ssize_t
capture_recv(int fd)
{
	struct sockaddr_ll from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof from;
		/* MSG_TRUNC: the frame's real length, even if it was longer than frame[]. */
		n = recvfrom(fd, frame, sizeof frame, MSG_TRUNC | MSG_DONTWAIT,
		             (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		if (n < 0)
			err(1, "recv");
		if (from.sll_hatype != ARPHRD_LOOPBACK || from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
}

/* Handle up to MAX queued frames; sniff_frame's result. */
static int
capture_drain(int fd, const struct options *o, struct tally *t, FILE *out, unsigned long max)
{
	struct timespec ts;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && max-- > 0 && (n = capture_recv(fd)) >= 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		rc = sniff_frame(o, t, out, &ts, (size_t)n < sizeof frame ? (size_t)n : sizeof frame,
		                 (size_t)n);
	}
	return rc;
}

/*
 * Wait for frames until a signal or COUNT. SIGINT and SIGTERM are blocked
 * except inside pselect, which unblocks them atomically while it sleeps:
 * a signal that arrives while we print is not lost, and one that arrives
 * while we sleep wakes us, so Ctrl-C always ends the capture at once.
 */
static int
capture_loop(int fd, const struct options *o, struct tally *t, FILE *out)
{
	sigset_t block, orig;
	fd_set rfds;
	int rc = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &orig) < 0)
		err(1, "sigprocmask");
	while (!stop && rc == 0) {
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		if (pselect(fd + 1, &rfds, NULL, NULL, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "pselect");
		}
		rc = capture_drain(fd, o, t, out, DRAIN_MAX);
	}
	/* Stopped by a signal: frames queued before it were sent or received
	 * before it, so they belong to the capture (a lab stops us right
	 * after the last ACK). */
	if (stop && rc == 0)
		rc = capture_drain(fd, o, t, out, DRAIN_MAX);
	return rc < 0 ? -1 : 0;
}

/* Frames the kernel dropped because our queue was full. */
static unsigned long
capture_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof st;

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}

static int
read_loop(const char *path, const struct options *o, struct tally *t, FILE *out)
{
	struct pcap_reader r;
	struct pcap_record rec;
	enum pcap_status st;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	int rc = 0;

	if (!fp)
		err(1, "%s", path);
	st = pcap_read_header(fp, &r);
	while (st == PCAP_OK && rc == 0 && !stop) {
		st = pcap_read_record(&r, &rec, frame, sizeof frame);
		if (st == PCAP_OK)
			rc = sniff_frame(o, t, out, &rec.ts, rec.caplen, rec.origlen);
	}
	if (st == PCAP_ERR_IO)
		warn("%s", path);
	else if (st == PCAP_ERR_FORMAT)
		warnx("%s: %s", path, r.why);
	if (fp != stdin)
		fclose(fp);
	return st == PCAP_ERR_IO || st == PCAP_ERR_FORMAT || rc < 0 ? -1 : 0;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	char *end;
	int c;

	memset(o, 0, sizeof *o);
	while ((c = getopt(argc, argv, "i:c:w:r:h")) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'w': o->write_file = optarg; break;
		case 'r': o->read_file = optarg; break;
		case 'c':
			errno = 0;
			o->count = strtoul(optarg, &end, 10);
			if (*end != '\0' || errno || o->count == 0 || optarg[0] == '-')
				errx(2, "-c: a count of frames, 1 or more");
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	filter_parse(&o->filter, argv + optind);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct tally t = { 0, 0, 0 };
	struct sigaction sa;
	FILE *out = NULL;
	int fd = -1, rc;

	parse_options(argc, argv, &o);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		err(1, "sigaction");
	if (!o.read_file)
		fd = capture_open(o.iface);
	if (o.write_file) {
		out = strcmp(o.write_file, "-") == 0 ? stdout : fopen(o.write_file, "wb");
		if (!out || pcap_write_header(out) != PCAP_OK || fflush(out) != 0)
			err(1, "%s", o.write_file);
	}
	rc = o.read_file ? read_loop(o.read_file, &o, &t, out) : capture_loop(fd, &o, &t, out);
	if (rc < 0 && out && ferror(out))
		warn("%s", o.write_file);
	if (out && out != stdout && fclose(out) != 0)
		rc = -1;
	fprintf(stderr, "%lu frame%s (%lu truncated, %lu malformed)", t.frames,
	        t.frames == 1 ? "" : "s", t.truncated, t.malformed);
	if (fd >= 0) {
		fprintf(stderr, ", %lu dropped by the kernel", capture_drops(fd));
		close(fd);
	}
	fprintf(stderr, "\n");
	return rc < 0 ? 1 : 0;
}
