/*
 * SMBIOS tables offered through fw_cfg: structure walk per DSP0134 (format,
 * string sets, entry point checksums, the sizes SeaBIOS insists on), and
 * dmidecode (Debian's package) as an independent decoder of the result.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/pc/smbios.h"

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

TEST(smbios_structure_walk)
{
	struct smbios_config c = {.ncpus = 3, .below_4g = 0xC0000000ULL,
				  .above_4g = 0x40000000ULL};
	struct smbios_tables t;
	unsigned types[64], n = 0, largest = 0;
	REQUIRE(smbios_build(&c, &t) == 0);

	size_t o = 0;
	while (o + 4 <= t.len && n < 64) {
		const uint8_t *s = t.tables + o;
		REQUIRE(s[1] >= 4 && o + s[1] + 2 <= t.len);
		types[n++] = s[0];
		size_t e = o + s[1];
		/* strings end with a double NUL */
		while (e + 1 < t.len && !(t.tables[e] == 0 && t.tables[e + 1] == 0))
			e++;
		REQUIRE(e + 1 < t.len);
		if (s[0] == 17)
			CHECK_EQ(le(s + 12, 2), 4096);       /* size in MiB: 4 GiB */
		if (s[0] == 19 && le(s + 4, 4) == 0)
			CHECK_EQ(le(s + 8, 4), 0xC0000000ULL / 1024 - 1); /* KiB, inclusive */
		if (s[0] == 4)
			CHECK_EQ(s[24], 0x41);               /* populated, enabled */
		if (e + 2 - o > largest)
			largest = (unsigned)(e + 2 - o);
		o = e + 2;
		if (s[0] == 127)
			break;
	}
	CHECK_EQ(o, t.len);                          /* end marker is last */
	static const unsigned want[] = {0, 1, 3, 4, 4, 4, 16, 17, 19, 19, 32, 127};
	CHECK_EQ(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ(types[i], want[i]);

	/* Entry point: "_SM_", length 31, version 2.8, checksums, and the
	 * table length equal to the blob (SeaBIOS refuses anything else). */
	const uint8_t *a = t.anchor;
	CHECK(memcmp(a, "_SM_", 4) == 0);
	CHECK(memcmp(a + 16, "_DMI_", 5) == 0);
	CHECK_EQ(a[5], 31);
	CHECK_EQ(a[6], 2);
	CHECK_EQ(a[7], 8);
	CHECK_EQ(sum8(a, 31), 0);
	CHECK_EQ(sum8(a + 16, 15), 0);
	CHECK_EQ(le(a + 22, 2), t.len);
	CHECK_EQ(le(a + 28, 2), n);
	CHECK_EQ(le(a + 8, 2), largest);
	smbios_tables_free(&t);
}

TEST(smbios_dmidecode_decodes_tables)
{
	struct smbios_config c = {.ncpus = 2, .below_4g = 512 << 20, .cpuid1_eax = 0x6F1,
				  .cpuid1_edx = 0x078BFBFF, .cpu_vendor = "GenuineIntel",
				  .cpu_brand = "Test CPU"};
	struct smbios_tables t;
	char dir[] = "/tmp/nyx-smbios-XXXXXX", cmd[512], path[256];
	REQUIRE(smbios_build(&c, &t) == 0);
	REQUIRE(mkdtemp(dir));

	/* dmidecode's dump format: entry point at 0, table at the address the
	 * entry point names (a file offset); 32 here, checksum fixed up. */
	uint8_t img[32 + 4096] = {0};
	REQUIRE(t.len <= 4096);
	memcpy(img, t.anchor, 31);
	img[24] = 32;
	img[21] = 0;
	img[21] = (uint8_t)-sum8(img + 16, 15);
	img[4] = 0;
	img[4] = (uint8_t)-sum8(img, 31);
	memcpy(img + 32, t.tables, t.len);
	snprintf(path, sizeof(path), "%s/dmi.bin", dir);
	FILE *f = fopen(path, "wb");
	REQUIRE(f);
	fwrite(img, 1, 32 + t.len, f);
	fclose(f);

	snprintf(cmd, sizeof(cmd), "dmidecode --from-dump '%s' > '%s/out.txt' 2>&1", path, dir);
	int st = system(cmd);
	CHECK(st != -1 && WEXITSTATUS(st) == 0);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	f = fopen(path, "r");
	REQUIRE(f);
	static char out[32768];
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	CHECK(strstr(out, "SMBIOS 2.8 present."));
	CHECK(strstr(out, "10 structures occupying"));   /* 0 1 3 4 4 16 17 19 32 127 */
	CHECK(strstr(out, "System Information"));
	CHECK(strstr(out, "Manufacturer: Nyx"));
	CHECK(strstr(out, "Socket Designation: CPU 1"));
	/* Processor ID: CPUID 1 EAX then EDX, as bytes in memory order. */
	CHECK(strstr(out, "ID: F1 06 00 00 FF FB 8B 07"));
	CHECK(strstr(out, "Manufacturer: GenuineIntel"));
	CHECK(strstr(out, "Version: Test CPU"));
	CHECK(strstr(out, "Size: 512 MB"));
	CHECK(strstr(out, "Starting Address: 0x00000000000"));
	CHECK(strstr(out, "Ending Address: 0x0001FFFFFFF"));
	CHECK(strstr(out, "System Boot Information"));
	CHECK(strstr(out, "End Of Table"));
	CHECK(!strstr(out, "Invalid") && !strstr(out, "wrong") && !strstr(out, "truncated"));
	smbios_tables_free(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}
