/* Machine configuration: defaults, validation with readable reasons. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "core/machine.h"

void machine_config_init(struct machine_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mem_size = 512ULL << 20;
	c->cpus = 1;
	c->accel = ACCEL_AUTO;
	c->log_level = LOG_WARN;
}

void machine_config_free(struct machine_config *c)
{
	free(c->name);
	free(c->kernel);
	free(c->initrd);
	free(c->append);
	free(c->bios);
	free(c->uefi);
	for (unsigned i = 0; i < c->ndisks; i++)
		free(c->disks[i].path);
	for (unsigned i = 0; i < c->nnics; i++) {
		free(c->nics[i].model);
		free(c->nics[i].net);
		free(c->nics[i].hostfwd);
	}
	free(c->tpm_state_dir);
	free(c->serial);
	free(c->debugcon);
	free(c->restore);
	free(c->incoming);
	free(c->api_sock);
	free(c->gdb);
	free(c->trace);
	free(c->metrics_file);
	memset(c, 0, sizeof(*c));
}

static int check_file(const char *what, const char *path, char *err, size_t len)
{
	struct stat st;
	if (stat(path, &st)) {
		snprintf(err, len, "%s: cannot open '%s': %s", what, path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, len, "%s: '%s' is not a regular file", what, path);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		snprintf(err, len, "%s: '%s' is empty", what, path);
		return -EINVAL;
	}
	return 0;
}

int machine_config_validate(const struct machine_config *c, char *err, size_t len)
{
	if (c->cpus == 0) {
		snprintf(err, len, "cpus: must be at least 1 (got 0)");
		return -EINVAL;
	}
	if (c->cpus > MACHINE_MAX_VCPUS) {
		snprintf(err, len, "cpus: %u is more than the %d this build supports", c->cpus,
			 MACHINE_MAX_VCPUS);
		return -EINVAL;
	}
	if (c->mem_size < (2ULL << 20)) {
		snprintf(err, len, "memory: %llu bytes is too small (the minimum is 2 MiB)",
			 (unsigned long long)c->mem_size);
		return -EINVAL;
	}
	if (c->mem_size % MEM_PAGE_SIZE) {
		snprintf(err, len, "memory: %llu bytes is not a multiple of 4 KiB",
			 (unsigned long long)c->mem_size);
		return -EINVAL;
	}
	struct sysinfo si;
	if (!sysinfo(&si)) {
		unsigned long long host = (unsigned long long)si.totalram * si.mem_unit;
		if (c->mem_size > host) {
			snprintf(err, len,
				 "memory: %llu MiB is more than this host has (%llu MiB)",
				 (unsigned long long)(c->mem_size >> 20), host >> 20);
			return -EINVAL;
		}
	}
	if (c->bios && c->uefi) {
		snprintf(err, len, "firmware: give either a BIOS or a UEFI image, not both");
		return -EINVAL;
	}
	if (c->kernel && check_file("kernel", c->kernel, err, len))
		return -EINVAL;
	if (c->initrd && !c->kernel) {
		snprintf(err, len, "initrd: needs a kernel (--kernel)");
		return -EINVAL;
	}
	if (c->append && !c->kernel) {
		snprintf(err, len, "append: needs a kernel (--kernel)");
		return -EINVAL;
	}
	if (c->initrd && check_file("initrd", c->initrd, err, len))
		return -EINVAL;
	if (c->bios && check_file("bios", c->bios, err, len))
		return -EINVAL;
	if (c->uefi && check_file("uefi", c->uefi, err, len))
		return -EINVAL;
	for (unsigned i = 0; i < c->ndisks; i++)
		if (check_file("disk", c->disks[i].path, err, len))
			return -EINVAL;
	for (unsigned i = 0; i < c->nnics; i++) {
		const char *mdl = c->nics[i].model;
		if (!mdl || (strcmp(mdl, "e1000") && strcmp(mdl, "virtio"))) {
			snprintf(err, len, "nic: unknown model '%s' (expected e1000 or virtio)",
				 mdl ? mdl : "");
			return -EINVAL;
		}
	}
	if (!c->kernel && !c->bios && !c->uefi && !c->restore && !c->incoming) {
		snprintf(err, len,
			 "boot: nothing to boot (give a kernel, a BIOS or a UEFI image)");
		return -EINVAL;
	}
	if (c->timeout_s < 0) {
		snprintf(err, len, "timeout: must not be negative");
		return -EINVAL;
	}
	return 0;
}
