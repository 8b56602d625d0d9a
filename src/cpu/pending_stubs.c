/*
 * Placeholders for parts another change delivers (the emulator backend and
 * its interrupt controllers). They are weak: the real definitions replace
 * them at link time (the Makefile links objects, not an archive). Delete a
 * placeholder once its real definition has landed.
 */
#include <errno.h>
#include <stdio.h>

#include "core/machine.h"
#include "hw/intc/intc.h"

static int emu_pending_probe(char *why, size_t len)
{
	snprintf(why, len, "not supported yet: the emulator backend is not built in");
	return -ENOTSUP;
}

__attribute__((weak)) const struct cpu_backend cpu_backend_emu = {
	.name = "emu",
	.probe = emu_pending_probe,
};

__attribute__((weak)) int intc_create(struct machine *m)
{
	(void)m;
	return -ENOTSUP;
}
