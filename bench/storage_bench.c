/*
 * Block backend throughput, the same access pattern as `qemu-img bench`:
 * COUNT requests of SIZE bytes at OFFSET, OFFSET+STEP, ... (wrapping at the
 * image size), one at a time, through Nyx's raw or qcow2 backend.
 *   storage_bench FILE COUNT SIZE STEP [-w]
 * Prints the elapsed seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/machine.h"
#include "hw/storage/block.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: storage_bench FILE COUNT SIZE STEP [-w]\n");
		return 2;
	}
	bool write = argc > 5 && !strcmp(argv[5], "-w");
	struct disk_config dc = { .path = argv[1] };
	char err[256];
	struct block_backend *b = block_open(&dc, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "storage_bench: %s\n", err);
		return 1;
	}
	unsigned long count = strtoul(argv[2], NULL, 0);
	size_t size = strtoul(argv[3], NULL, 0);
	uint64_t step = strtoull(argv[4], NULL, 0);
	uint8_t *buf = aligned_alloc(4096, size);
	memset(buf, 0xA5, size);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t off = 0;
	for (unsigned long i = 0; i < count; i++) {
		int rc = write ? block_write(b, off, buf, size) : block_read(b, off, buf, size);
		if (rc) {
			fprintf(stderr, "storage_bench: I/O error at %llu\n", (unsigned long long)off);
			return 1;
		}
		off = (off + step) % (b->size - size + 1);
		off -= off % 512;
	}
	if (write)
		block_flush(b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	block_close(b);
	free(buf);
	return 0;
}
