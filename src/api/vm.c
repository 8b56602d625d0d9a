/* The VM handle of the public API: a thin layer over the machine. */
#include "nyx/nyx.h"

struct machine *nyx_vm_create(const struct machine_config *cfg, char *err, size_t err_len)
{
	return machine_create(cfg, err, err_len);
}

int nyx_vm_run(struct machine *vm)
{
	return machine_run(vm);
}

void nyx_vm_destroy(struct machine *vm)
{
	machine_destroy(vm);
}
