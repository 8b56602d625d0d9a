/*
 * The QEMU comparison rig of qemu_diff.h: image writing, the two runs and
 * the byte-by-byte comparison.
 */
#include "qemu_diff.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/machine.h"
#include "harness.h"

extern char **environ;

bool qdiff_write_bios(const char *path, const uint8_t *code, size_t len)
{
	static uint8_t img[65536];
	FILE *f;
	size_t n;

	if (len > 0xFFF0)
		return false;
	memset(img, 0xF4, sizeof img);                 /* hlt everywhere else */
	memcpy(img, code, len);
	img[0xFFF0] = 0xE9;                            /* jmp near 0x0000 */
	img[0xFFF1] = 0x0D;
	img[0xFFF2] = 0x00;
	f = fopen(path, "wb");
	if (!f)
		return false;
	n = fwrite(img, 1, sizeof img, f);
	fclose(f);
	return n == sizeof img;
}

int qdiff_run_qemu(const char *img, const char *disk, const char *out)
{
	char chardev[512], drive[512];
	char *argv[32];
	int argc = 0;
	pid_t pid;
	int status;

	snprintf(chardev, sizeof chardev, "file,id=dc,path=%s", out);
	static char *const fixed[] = {
		"qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "128", "-display", "none",
		"-nodefaults", "-serial", "null", "-serial", "null", "-device",
		"isa-debug-exit,iobase=0xf4,iosize=4", "-device",
		"isa-debugcon,iobase=0x402,chardev=dc",
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		argv[argc++] = fixed[i];
	argv[argc++] = "-bios";
	argv[argc++] = (char *)img;
	argv[argc++] = "-chardev";
	argv[argc++] = chardev;
	if (disk) {
		snprintf(drive, sizeof drive, "file=%s,if=ide,index=0,format=raw", disk);
		argv[argc++] = "-drive";
		argv[argc++] = drive;
	}
	argv[argc] = NULL;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	for (int i = 0; i < 600; i++) {                /* at most ~60 s */
		struct timespec ts = { 0, 100000000 };

		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int qdiff_run_nyx(const char *img, const char *disk, const char *out, enum accel_kind accel)
{
	struct machine_config c;
	struct machine *m;
	char err[256] = "";
	int rc;

	machine_config_init(&c);
	c.bios = strdup(img);
	c.debugcon = strdup(out);
	c.serial = strdup("none");
	c.mem_size = 128ULL << 20;
	c.accel = accel;
	c.timeout_s = 30;
	c.log_level = LOG_ERROR;
	if (disk) {
		c.disks[0].path = strdup(disk);
		c.disks[0].iface = DISK_IF_IDE;
		c.ndisks = 1;
	}
	m = machine_create(&c, err, sizeof err);
	machine_config_free(&c);
	if (!m) {
		fprintf(stderr, "  machine_create: %s\n", err);
		return -1;
	}
	rc = machine_run(m);
	machine_destroy(m);
	return rc;
}

void qdiff_compare(const char *q, long ql, const char *n, long nl, const char *backend,
		   const struct qdiff_deviation *dev, size_t ndev)
{
	for (long i = 0; i < ql && i < nl; i++) {
		uint8_t qv = (uint8_t)q[i], nv = (uint8_t)n[i];
		char msg[300];
		size_t d;

		for (d = 0; d < ndev; d++)
			if (dev[d].index == i)
				break;
		if (d < ndev) {
			/* A known difference: both sides must be what we expect. */
			if (qv == dev[d].qemu && nv == dev[d].ours)
				continue;
			snprintf(msg, sizeof msg, "%s byte %ld: qemu 0x%02x nyx 0x%02x, expected "
				 "0x%02x / 0x%02x (%s)", backend, i, qv, nv, dev[d].qemu, dev[d].ours,
				 dev[d].why);
			test_fail(__FILE__, __LINE__, msg);
		} else if (qv != nv) {
			snprintf(msg, sizeof msg, "%s byte %ld: qemu 0x%02x, nyx 0x%02x", backend, i, qv,
				 nv);
			test_fail(__FILE__, __LINE__, msg);
		}
	}
}
