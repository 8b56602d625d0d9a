/*
 * Test driver for the qcow2 backend: reads and writes images through
 * src/hw/storage/qcow2.c so shell tests can compare with qemu-img.
 *   qcow2io cat IMG OUT          whole virtual disk -> raw file OUT
 *   qcow2io write IMG OFF FILE   FILE's bytes at virtual offset OFF
 *   qcow2io loop IMG SEED        write pseudo-random clusters until killed
 * Exit 0 on success, 1 with a message when the image is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/storage/qcow2.h"

static int cat(const char *img, const char *out)
{
	char err[256];
	struct qcow2 *q = qcow2_open(img, true, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "qcow2io: %s\n", err);
		return 1;
	}
	FILE *f = fopen(out, "wb");
	static uint8_t buf[1 << 20];
	uint64_t size = qcow2_size(q);
	int rc = 0;
	for (uint64_t off = 0; off < size && !rc; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		if (qcow2_read(q, off, buf, n)) {
			fprintf(stderr, "qcow2io: %s\n", qcow2_error(q));
			rc = 1;
		} else {
			fwrite(buf, 1, n, f);
		}
	}
	fclose(f);
	qcow2_close(q);
	return rc;
}

static int write_file(const char *img, uint64_t off, const char *in)
{
	char err[256];
	struct qcow2 *q = qcow2_open(img, false, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "qcow2io: %s\n", err);
		return 1;
	}
	FILE *f = fopen(in, "rb");
	if (!f) {
		perror(in);
		qcow2_close(q);
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t n;
	int rc = 0;
	while (!rc && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (qcow2_write(q, off, buf, n) || qcow2_flush(q)) {
			fprintf(stderr, "qcow2io: %s\n", qcow2_error(q));
			rc = 1;
		}
		off += n;
	}
	fclose(f);
	qcow2_close(q);
	return rc;
}

static int loop(const char *img, unsigned seed)
{
	char err[256];
	struct qcow2 *q = qcow2_open(img, false, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "qcow2io: %s\n", err);
		return 1;
	}
	uint8_t buf[3000];
	uint64_t size = qcow2_size(q);
	srand(seed);
	for (unsigned long i = 0;; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rand();
		uint64_t off = ((uint64_t)rand() * 4099) % (size - sizeof(buf));
		if (qcow2_write(q, off, buf, sizeof(buf))) {
			fprintf(stderr, "qcow2io: %s\n", qcow2_error(q));
			return 1;
		}
		if (i == 20) {
			printf("running\n");
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "cat"))
		return cat(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "write"))
		return write_file(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "loop"))
		return loop(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: qcow2io cat IMG OUT | write IMG OFF FILE | loop IMG SEED\n");
	return 2;
}
