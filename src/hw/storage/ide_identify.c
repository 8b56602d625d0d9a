/*
 * IDENTIFY DEVICE data of our ATA disks (ATA/ATAPI-6, section 8.15, table
 * 27). Strings are ATA strings: two characters a word, the first in the
 * high byte, padded with spaces. Word 255 carries the integrity signature
 * A5h and a checksum that makes all 512 bytes sum to zero.
 */
#include <stdio.h>
#include <string.h>

#include "hw/storage/ide_priv.h"

static void ata_string(uint16_t *w, const char *s, unsigned words)
{
	size_t n = strlen(s);
	for (unsigned i = 0; i < words; i++) {
		char hi = 2 * i < n ? s[2 * i] : ' ', lo = 2 * i + 1 < n ? s[2 * i + 1] : ' ';
		w[i] = (uint16_t)(uint8_t)hi << 8 | (uint8_t)lo;
	}
}

void ide_identify(const struct ide_drive *d, uint16_t id[256])
{
	char serial[21];
	memset(id, 0, 512);
	snprintf(serial, sizeof(serial), "NX%05u", d->index + 1);
	uint64_t lba28 = d->sectors < 0x0fffffff ? d->sectors : 0x0fffffff;
	uint32_t chs = (uint32_t)d->cur_cyls * d->cur_heads * d->cur_spt;

	id[0] = 0x0040;                        /* ATA device, fixed */
	id[1] = d->cyls;
	id[3] = d->heads;
	id[6] = d->spt;
	ata_string(&id[10], serial, 10);
	ata_string(&id[23], "0.1", 4);         /* firmware revision */
	ata_string(&id[27], "NYX HARDDISK", 20);
	id[47] = 0x8000 | IDE_MAX_MULT;        /* READ/WRITE MULTIPLE: up to 16 */
	id[49] = (1 << 11) | (1 << 9) | (1 << 8);  /* IORDY, LBA, DMA */
	id[50] = 0x4000;
	id[51] = 0x0200;                       /* PIO timing mode (obsolete) */
	id[53] = 0x0007;                       /* words 54-58, 64-70 and 88 valid */
	id[54] = d->cur_cyls;
	id[55] = d->cur_heads;
	id[56] = d->cur_spt;
	id[57] = chs;
	id[58] = chs >> 16;
	id[59] = d->mult ? 0x0100 | d->mult : 0;
	id[60] = lba28;
	id[61] = lba28 >> 16;
	/* Multiword DMA 0-2 supported; the selected mode, if any. */
	id[63] = 0x0007;
	if ((d->xfer_mode & 0xf8) == 0x20)
		id[63] |= 0x0100 << (d->xfer_mode & 7);
	id[64] = 0x0003;                       /* PIO modes 3 and 4 */
	id[65] = 120;
	id[66] = 120;
	id[67] = 120;
	id[68] = 120;
	id[80] = 0x0070;                       /* ATA/ATAPI-4, -5 and -6 */
	id[82] = (1 << 14) | (1 << 5);         /* NOP, write cache */
	id[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10);  /* FLUSH (EXT), LBA48 */
	id[84] = 1 << 14;
	id[85] = (1 << 14) | (d->wce ? 1 << 5 : 0);
	id[86] = (1 << 13) | (1 << 12) | (1 << 10);
	id[87] = 1 << 14;
	/* Ultra DMA 0-5 supported; the selected mode, if any. */
	id[88] = 0x003f;
	if ((d->xfer_mode & 0xf8) == 0x40)
		id[88] |= 0x0100 << (d->xfer_mode & 7);
	/* Hardware reset result: 80-conductor cable, device number by jumper. */
	id[93] = d->index & 1 ? 0x6300 : 0x600b;
	id[100] = d->sectors;
	id[101] = d->sectors >> 16;
	id[102] = d->sectors >> 32;
	id[103] = d->sectors >> 48;
	id[106] = 0x4000;                      /* one logical sector per physical, 512 bytes */

	uint8_t sum = 0xa5;
	const uint8_t *b = (const uint8_t *)id;
	for (unsigned i = 0; i < 510; i++)
		sum += b[i];
	id[255] = (uint16_t)(uint8_t)-sum << 8 | 0xa5;
}
