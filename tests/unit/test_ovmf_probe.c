/*
 * What OVMF's platform code probes on our PC machine, answered as OVMF
 * needs (EDK2 OvmfPkg PlatformInitLib, PlatformMaxCpuCountInitialization;
 * QEMU's docs/specs/acpi_cpu_hotplug.txt for the register block).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/machine.h"
#include "harness.h"
#include "test_dev_util.h"

#define CPUHP_BASE 0xAF00           /* PIIX4_CPU_HOTPLUG_BASE */
#define CPUHP_W_CPU_SEL 0x0         /* dword write: CPU selector */
#define CPUHP_W_CMD 0x5             /* byte write: command */
#define CPUHP_R_CMD_DATA2 0x0       /* dword read */
#define CPUHP_CMD_GET_PENDING 0

/*
 * OVMF switches QEMU's CPU hotplug block to modern mode, selects CPU 0,
 * sends GET_PENDING and reads CMD_DATA2: all ones means "no block" and it
 * takes the possible CPU count from fw_cfg; zero means the modern
 * interface is there and it walks the CPU selectors, which a half-present
 * block would answer wrongly. Nyx has no CPU hotplug: every byte of the
 * 12-byte block must read as open bus, on the machine OVMF runs on.
 */
TEST(ovmf_cpu_hotplug_block_absent_reads_all_ones)
{
	static uint8_t img[65536];
	char path[256], err[256] = "";
	struct machine_config c;
	struct machine *m;

	rig_tmpfile(path, sizeof path, "ovmf-probe-fw");
	memset(img, 0xF4, sizeof img);             /* never run */
	FILE *f = fopen(path, "wb");
	REQUIRE(f);
	REQUIRE(fwrite(img, 1, sizeof img, f) == sizeof img);
	fclose(f);
	machine_config_init(&c);
	c.uefi = strdup(path);
	c.mem_size = 32ULL << 20;
	c.accel = ACCEL_EMU;
	c.log_level = LOG_ERROR;
	m = machine_create(&c, err, sizeof err);
	machine_config_free(&c);
	if (!m)
		fprintf(stderr, "  machine_create: %s\n", err);
	REQUIRE(m);

	machine_pio_write(m, CPUHP_BASE + CPUHP_W_CPU_SEL, 4, 0);
	machine_pio_write(m, CPUHP_BASE + CPUHP_W_CPU_SEL, 4, 0);
	machine_pio_write(m, CPUHP_BASE + CPUHP_W_CMD, 1, CPUHP_CMD_GET_PENDING);
	CHECK_EQ(machine_pio_read(m, CPUHP_BASE + CPUHP_R_CMD_DATA2, 4), 0xFFFFFFFFu);
	for (unsigned off = 0; off < 12; off++)
		CHECK_EQ(machine_pio_read(m, (uint16_t)(CPUHP_BASE + off), 1), 0xFF);
	machine_destroy(m);
	unlink(path);
}
