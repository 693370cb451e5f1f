/*
 * pcap.h: the classic capture file format that tcpdump -w writes and
 * Wireshark, tcpdump -r and sniff -r read (notes 三, 3.2).
 *
 * A 24-byte file header (a magic number that also tells the byte order and
 * whether times are in micro- or nanoseconds, the largest frame kept, and
 * the link type: 1 for Ethernet), then for each frame a 16-byte record
 * header (time, bytes kept, bytes on the wire) and the bytes kept.
 */
#ifndef PCAP_H
#define PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PCAP_SNAPLEN      262144   /* the most of one frame we keep, as tcpdump */
#define PCAP_LINK_ETHERNET 1

enum pcap_status {
	PCAP_OK,
	PCAP_END,           /* no more records */
	PCAP_ERR_IO,        /* read or write failed: see errno */
	PCAP_ERR_FORMAT,    /* not a pcap file, or a record that lies about its size */
};

struct pcap_reader {
	FILE *fp;
	int swapped;        /* written on a machine of the other byte order */
	int nanos;          /* times are in nanoseconds, not microseconds */
	uint32_t snaplen;
	uint32_t link;
	const char *why;    /* what was wrong, after PCAP_ERR_FORMAT */
};

struct pcap_record {
	struct timespec ts;
	size_t caplen;      /* bytes in the file */
	size_t origlen;     /* bytes the frame had on the wire */
};

enum pcap_status pcap_write_header(FILE *fp);
enum pcap_status pcap_write_record(FILE *fp, const struct timespec *ts,
                                   const unsigned char *frame, size_t caplen, size_t origlen);
enum pcap_status pcap_read_header(FILE *fp, struct pcap_reader *r);
enum pcap_status pcap_read_record(struct pcap_reader *r, struct pcap_record *rec,
                                  unsigned char *buf, size_t size);

#endif
