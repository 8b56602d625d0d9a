/*
 * optionrom_sum: finishes a linked option ROM image (BIOS Boot
 * Specification 1.01): pads it to whole 512-byte blocks with at least one
 * spare byte, writes the block count at offset 2, the checksum of the PnP
 * expansion header that the word at 0x1A points to (its 32 bytes sum to 0
 * mod 256) and the last byte so that the whole ROM sums to 0 mod 256.
 *
 * Usage: optionrom_sum IN OUT. Exit status 1 with a message on bad input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROM_BLOCK 512
#define ROM_MAX (255 * ROM_BLOCK)
#define PNP_LEN 32
#define PNP_CHECKSUM 9

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

int main(int argc, char **argv)
{
	static uint8_t rom[ROM_MAX];
	size_t n, len;
	unsigned pnp;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: optionrom_sum IN OUT\n");
		return 1;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	n = fread(rom, 1, sizeof(rom), f);
	if (!feof(f) || ferror(f)) {
		fprintf(stderr, "optionrom_sum: '%s' is larger than %d bytes or unreadable\n",
			argv[1], ROM_MAX - 1);
		fclose(f);
		return 1;
	}
	fclose(f);
	if (n < 0x1C || rom[0] != 0x55 || rom[1] != 0xAA) {
		fprintf(stderr, "optionrom_sum: '%s' has no 0x55 0xAA option ROM signature\n",
			argv[1]);
		return 1;
	}
	len = (n + 1 + ROM_BLOCK - 1) / ROM_BLOCK * ROM_BLOCK;
	if (len > ROM_MAX) {
		fprintf(stderr, "optionrom_sum: '%s' (%zu bytes) does not fit 255 blocks\n",
			argv[1], n);
		return 1;
	}
	rom[2] = (uint8_t)(len / ROM_BLOCK);
	pnp = rom[0x1A] | rom[0x1B] << 8;
	if (pnp) {
		if (pnp + PNP_LEN > n || memcmp(rom + pnp, "$PnP", 4)) {
			fprintf(stderr, "optionrom_sum: '%s': no $PnP header at 0x%x\n", argv[1], pnp);
			return 1;
		}
		rom[pnp + PNP_CHECKSUM] = 0;
		rom[pnp + PNP_CHECKSUM] = (uint8_t)-sum8(rom + pnp, PNP_LEN);
	}
	rom[len - 1] = 0;
	rom[len - 1] = (uint8_t)-sum8(rom, len);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(rom, 1, len, f) != len || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
