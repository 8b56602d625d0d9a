/*
 * The public C API of libnyx: what the Nyx language, the `nyx run` command
 * and the control socket drive. A VM is built from a `struct
 * machine_config` (see core/machine.h for the fields), validated, created,
 * run and destroyed.
 */
#ifndef NYX_NYX_H
#define NYX_NYX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/machine.h"

#define NYX_VERSION "0.1.0"

/* "512M", "2G", "4096", "1k": bytes; -EINVAL if malformed or overflowing. */
int nyx_parse_size(const char *s, uint64_t *out);

/* Whether this build delivers an optional feature ("disk", "uefi", "tpm",
 * ...): see src/api/features.c. */
bool nyx_feature_available(const char *feature);

/* Validates cfg and builds the VM; NULL with err set on failure. */
struct machine *nyx_vm_create(const struct machine_config *cfg, char *err, size_t err_len);
int nyx_vm_run(struct machine *vm);
void nyx_vm_destroy(struct machine *vm);

/* `nyx run ARGS...`: parses flags into a config, builds and runs the VM.
 * Returns the process exit status. */
int nyx_run_main(int argc, char **argv);

#endif
