/*
 * pcap.c: write and read classic pcap files.
 *
 * We write in our own byte order with microsecond times, as tcpdump does;
 * the magic number 0xa1b2c3d4 read back as 0xd4c3b2a1 tells a reader on
 * another machine to swap every field. Reading accepts both byte orders
 * and both time resolutions. A record's length comes from the file, so it
 * is checked against the file's snaplen and our buffer before any read.
 */
#include <string.h>

#include "pcap.h"

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO  0xa1b23c4du

static uint32_t
swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static uint32_t
field(const struct pcap_reader *r, const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? swap32(v) : v;
}

/* Fields are written in our own byte order; the magic number tells which. */
static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static enum pcap_status
write_all(FILE *fp, const void *p, size_t n)
{
	return fwrite(p, 1, n, fp) == n ? PCAP_OK : PCAP_ERR_IO;
}

enum pcap_status
pcap_write_header(FILE *fp)
{
	unsigned char h[24] = { 0 };   /* time zone and accuracy stay 0 */

	put32(h, MAGIC_MICRO);
	put16(h + 4, 2);               /* version 2.4 */
	put16(h + 6, 4);
	put32(h + 16, PCAP_SNAPLEN);
	put32(h + 20, PCAP_LINK_ETHERNET);
	return write_all(fp, h, sizeof h);
}

enum pcap_status
pcap_write_record(FILE *fp, const struct timespec *ts, const unsigned char *frame,
                  size_t caplen, size_t origlen)
{
	unsigned char h[16];

	put32(h, (uint32_t)ts->tv_sec);
	put32(h + 4, (uint32_t)(ts->tv_nsec / 1000));
	put32(h + 8, (uint32_t)caplen);
	put32(h + 12, (uint32_t)origlen);
	if (write_all(fp, h, sizeof h) != PCAP_OK || write_all(fp, frame, caplen) != PCAP_OK)
		return PCAP_ERR_IO;
	return PCAP_OK;
}

enum pcap_status
pcap_read_header(FILE *fp, struct pcap_reader *r)
{
	unsigned char h[24];
	uint32_t magic;

	memset(r, 0, sizeof *r);
	r->fp = fp;
	if (fread(h, 1, sizeof h, fp) != sizeof h) {
		r->why = "shorter than a pcap file header";
		return ferror(fp) ? PCAP_ERR_IO : PCAP_ERR_FORMAT;
	}
	memcpy(&magic, h, 4);
	if (magic == swap32(MAGIC_MICRO) || magic == swap32(MAGIC_NANO)) {
		r->swapped = 1;
		magic = swap32(magic);
	}
	if (magic != MAGIC_MICRO && magic != MAGIC_NANO) {
		r->why = "not a pcap file (pcapng is not read; tcpdump -w writes pcap)";
		return PCAP_ERR_FORMAT;
	}
	r->nanos = magic == MAGIC_NANO;
	r->snaplen = field(r, h + 16);
	r->link = field(r, h + 20);
	if (r->link != PCAP_LINK_ETHERNET) {
		r->why = "link type is not Ethernet";
		return PCAP_ERR_FORMAT;
	}
	return PCAP_OK;
}

enum pcap_status
pcap_read_record(struct pcap_reader *r, struct pcap_record *rec,
                 unsigned char *buf, size_t size)
{
	unsigned char h[16];
	size_t n;
	uint32_t frac;

	n = fread(h, 1, sizeof h, r->fp);
	if (n == 0 && !ferror(r->fp))
		return PCAP_END;
	if (n != sizeof h) {
		r->why = "file ends inside a record header";
		return ferror(r->fp) ? PCAP_ERR_IO : PCAP_ERR_FORMAT;
	}
	frac = field(r, h + 4);
	rec->ts.tv_sec = (time_t)field(r, h);
	rec->ts.tv_nsec = r->nanos ? (long)frac : (long)frac * 1000;
	rec->caplen = field(r, h + 8);
	rec->origlen = field(r, h + 12);
	if (rec->caplen > size || rec->caplen > PCAP_SNAPLEN || frac >= 1000000000u) {
		r->why = "a record is larger than any frame we keep";
		return PCAP_ERR_FORMAT;
	}
	if (fread(buf, 1, rec->caplen, r->fp) != rec->caplen) {
		r->why = "file ends inside a frame";
		return ferror(r->fp) ? PCAP_ERR_IO : PCAP_ERR_FORMAT;
	}
	if (rec->origlen < rec->caplen)
		rec->origlen = rec->caplen;
	return PCAP_OK;
}
