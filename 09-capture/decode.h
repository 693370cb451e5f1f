/*
 * decode.h: turn one captured Ethernet frame into readable lines, one per
 * layer (notes 三, 3.1: link, network, transport, application), and for
 * HTTP a second one that says where the head ends.
 *
 * The frame is untrusted bytes: every length is checked against what is
 * left before it is read, so a short or lying frame gives a "bad" line and
 * never a read past its end. decode_frame writes text and fills a small
 * summary that the sniffer's filter and the tests use.
 */
#ifndef DECODE_H
#define DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Room for every line one frame can produce (DNS answers are capped). */
#define DECODE_TEXT_MAX 8192

/* Which layers were understood; each one is a line of text. */
enum decode_layer {
	DECODE_ETH  = 1 << 0,
	DECODE_ARP  = 1 << 1,
	DECODE_IPV4 = 1 << 2,
	DECODE_ICMP = 1 << 3,
	DECODE_TCP  = 1 << 4,
	DECODE_UDP  = 1 << 5,
	DECODE_DNS  = 1 << 6,
	DECODE_HTTP = 1 << 7,
};

enum decode_status {
	DECODE_OK,          /* every layer present was decoded, or named as not decoded */
	DECODE_TRUNCATED,   /* the frame ends before a length says it does */
	DECODE_MALFORMED,   /* a field holds a value no valid frame has */
};

/* TCP flag bits as they sit in byte 13 of the header. */
enum tcp_flag {
	TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
	TCP_ACK = 0x10, TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80,
};

/* What a filter needs; addresses are in network byte order as captured. */
struct decode_summary {
	unsigned layers;            /* enum decode_layer bits */
	enum decode_status status;
	unsigned char src_ip[4];    /* IPv4 source, or ARP sender */
	unsigned char dst_ip[4];    /* IPv4 destination, or ARP target */
	uint16_t src_port, dst_port;
	unsigned tcp_flags;         /* enum tcp_flag bits */
};

/* Decode FRAME (LEN captured bytes) into lines in TEXT (always terminated;
 * cut short with "..." if SIZE is too small) and fill SUM. */
enum decode_status decode_frame(const unsigned char *frame, size_t len,
                                struct decode_summary *sum, char *text, size_t size);

#endif
