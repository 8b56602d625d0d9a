/*
 * Placeholders for parts another change delivers (the emulator backend).
 * They are weak: the real definitions replace them at link time (the
 * Makefile links objects, not an archive). Delete a placeholder once its
 * real definition has landed.
 */
#include <errno.h>
#include <stdio.h>

#include "core/machine.h"

static int emu_pending_probe(char *why, size_t len)
{
	snprintf(why, len, "not supported yet: the emulator backend is not built in");
	return -ENOTSUP;
}

__attribute__((weak)) const struct cpu_backend cpu_backend_emu = {
	.name = "emu",
	.probe = emu_pending_probe,
};
