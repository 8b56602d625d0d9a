/* `nyx run [OPTIONS]`: flags (INTERFACE.md) -> machine config -> VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyx/nyx.h"

static const char run_usage[] =
	"usage: nyx run [OPTIONS]\n"
	"  -m, --memory SIZE       guest RAM: 512M, 2G, or bytes (default 512M)\n"
	"  -c, --cpus N            vCPUs (default 1)\n"
	"  --accel auto|kvm|emu    CPU backend (default auto)\n"
	"  --kernel FILE           Linux bzImage, PVH ELF, or multiboot v1 ELF\n"
	"  --initrd FILE           initial ramdisk (multiboot: first module)\n"
	"  --append STR            kernel command line\n"
	"  --bios FILE             legacy BIOS image (e.g. SeaBIOS bios.bin)\n"
	"  --uefi FILE             UEFI firmware image (e.g. OVMF.fd)\n"
	"  --disk FILE[,if=ide|ahci|virtio][,format=raw|qcow2][,readonly]\n"
	"  --nic e1000|virtio[,net=user|tap:IF][,hostfwd=tcp:HPORT-GPORT]\n"
	"  --gpu                   Bochs VGA with VBE\n"
	"  --tpm[=STATEDIR]        TPM 2.0\n"
	"  --serial stdio|none|file:PATH|unix:PATH   COM1 (default stdio)\n"
	"  --debugcon FILE         bytes written to port 0x402\n"
	"  --api-sock PATH         control socket\n"
	"  --incoming URI          wait for a migration stream\n"
	"  --restore FILE          start from a snapshot file\n"
	"  --gdb tcp:HOST:PORT     GDB remote stub\n"
	"  --trace FILE            performance trace (Chrome trace-event JSON)\n"
	"  --metrics FILE          metrics, written at exit\n"
	"  --log-level LEVEL       trace|debug|info|warn|error|fatal (default warn)\n"
	"  --no-reboot             exit on guest reset instead of rebooting\n"
	"  --timeout SECONDS       stop the guest after this long; exit status 124\n";

struct opt {
	const char *name;
	char short_name;
	bool has_arg;
	bool optional_arg;
	const char *feature;   /* NULL: always available */
};

static const struct opt opts[] = {
	{ "memory", 'm', true, false, NULL },
	{ "cpus", 'c', true, false, NULL },
	{ "accel", 0, true, false, NULL },
	{ "kernel", 0, true, false, NULL },
	{ "initrd", 0, true, false, NULL },
	{ "append", 0, true, false, NULL },
	{ "bios", 0, true, false, NULL },
	{ "uefi", 0, true, false, "uefi" },
	{ "disk", 0, true, false, "disk" },
	{ "nic", 0, true, false, "nic" },
	{ "gpu", 0, false, false, "gpu" },
	{ "tpm", 0, false, true, "tpm" },
	{ "serial", 0, true, false, NULL },
	{ "debugcon", 0, true, false, NULL },
	{ "api-sock", 0, true, false, "api_sock" },
	{ "incoming", 0, true, false, "incoming" },
	{ "restore", 0, true, false, "restore" },
	{ "gdb", 0, true, false, "gdb" },
	{ "trace", 0, true, false, "trace" },
	{ "metrics", 0, true, false, "metrics" },
	{ "log-level", 0, true, false, NULL },
	{ "no-reboot", 0, false, false, NULL },
	{ "timeout", 0, true, false, NULL },
	{ "help", 'h', false, false, NULL },
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "nyx run: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(see 'nyx run --help')\n");
	return EXIT_CONFIG;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

/* --disk FILE[,if=..][,format=..][,readonly] */
static int parse_disk(struct machine_config *c, const char *arg)
{
	if (c->ndisks == MACHINE_MAX_DISKS)
		return usage_error("--disk: at most %s disks", "8", NULL);
	struct disk_config *d = &c->disks[c->ndisks];
	memset(d, 0, sizeof(*d));
	char *copy = strdup(arg), *save = NULL;
	char *tok = strtok_r(copy, ",", &save);
	if (!tok || !*tok) {
		free(copy);
		return usage_error("--disk: missing file name in '%s'", arg, NULL);
	}
	d->path = strdup(tok);
	int rc = 0;
	while (!rc && (tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "if=ide")) d->iface = DISK_IF_IDE;
		else if (!strcmp(tok, "if=ahci")) d->iface = DISK_IF_AHCI;
		else if (!strcmp(tok, "if=virtio")) d->iface = DISK_IF_VIRTIO;
		else if (!strcmp(tok, "format=raw")) d->format = DISK_FMT_RAW;
		else if (!strcmp(tok, "format=qcow2")) d->format = DISK_FMT_QCOW2;
		else if (!strcmp(tok, "readonly")) d->readonly = true;
		else rc = usage_error("--disk: unknown option '%s' in '%s'", tok, arg);
	}
	free(copy);
	if (rc) {
		free(d->path);
		d->path = NULL;
		return rc;
	}
	c->ndisks++;
	return 0;
}

static int parse_nic(struct machine_config *c, const char *arg)
{
	if (c->nnics == MACHINE_MAX_NICS)
		return usage_error("--nic: at most %s NICs", "4", NULL);
	struct nic_config *n = &c->nics[c->nnics];
	memset(n, 0, sizeof(*n));
	char *copy = strdup(arg), *save = NULL;
	char *tok = strtok_r(copy, ",", &save);
	n->model = strdup(tok ? tok : "");
	int rc = 0;
	while (!rc && (tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "net=", 4)) set_str(&n->net, tok + 4);
		else if (!strncmp(tok, "hostfwd=", 8)) set_str(&n->hostfwd, tok + 8);
		else rc = usage_error("--nic: unknown option '%s' in '%s'", tok, arg);
	}
	free(copy);
	c->nnics++;
	return rc;
}

static int apply(struct machine_config *c, const struct opt *o, const char *v)
{
	const char *n = o->name;
	if (!strcmp(n, "memory")) {
		if (nyx_parse_size(v, &c->mem_size))
			return usage_error("--memory: '%s' is not a size (try 512M or 2G)", v, NULL);
	} else if (!strcmp(n, "cpus")) {
		char *end;
		errno = 0;
		long k = strtol(v, &end, 10);
		if (errno || *end || end == v || k < 0 || k > 100000)
			return usage_error("--cpus: '%s' is not a CPU count", v, NULL);
		c->cpus = (unsigned)k;
	} else if (!strcmp(n, "accel")) {
		if (!strcmp(v, "auto")) c->accel = ACCEL_AUTO;
		else if (!strcmp(v, "kvm")) c->accel = ACCEL_KVM;
		else if (!strcmp(v, "emu")) c->accel = ACCEL_EMU;
		else return usage_error("--accel: '%s' is not auto, kvm or emu", v, NULL);
	} else if (!strcmp(n, "kernel")) set_str(&c->kernel, v);
	else if (!strcmp(n, "initrd")) set_str(&c->initrd, v);
	else if (!strcmp(n, "append")) set_str(&c->append, v);
	else if (!strcmp(n, "bios")) set_str(&c->bios, v);
	else if (!strcmp(n, "uefi")) set_str(&c->uefi, v);
	else if (!strcmp(n, "disk")) return parse_disk(c, v);
	else if (!strcmp(n, "nic")) return parse_nic(c, v);
	else if (!strcmp(n, "gpu")) c->gpu = true;
	else if (!strcmp(n, "tpm")) {
		c->tpm = true;
		if (v)
			set_str(&c->tpm_state_dir, v);
	} else if (!strcmp(n, "serial")) {
		if (strcmp(v, "stdio") && strcmp(v, "none") && strncmp(v, "file:", 5) &&
		    strncmp(v, "unix:", 5))
			return usage_error("--serial: '%s' is not stdio, none, file:PATH or unix:PATH",
					   v, NULL);
		set_str(&c->serial, v);
	} else if (!strcmp(n, "debugcon")) set_str(&c->debugcon, v);
	else if (!strcmp(n, "api-sock")) set_str(&c->api_sock, v);
	else if (!strcmp(n, "incoming")) set_str(&c->incoming, v);
	else if (!strcmp(n, "restore")) set_str(&c->restore, v);
	else if (!strcmp(n, "gdb")) set_str(&c->gdb, v);
	else if (!strcmp(n, "trace")) set_str(&c->trace, v);
	else if (!strcmp(n, "metrics")) set_str(&c->metrics_file, v);
	else if (!strcmp(n, "log-level")) {
		int l = log_level_parse(v);
		if (l < 0)
			return usage_error("--log-level: '%s' is not trace, debug, info, warn, error or fatal",
					   v, NULL);
		c->log_level = (enum log_level)l;
	} else if (!strcmp(n, "no-reboot")) c->no_reboot = true;
	else if (!strcmp(n, "timeout")) {
		char *end;
		errno = 0;
		double t = strtod(v, &end);
		if (errno || *end || end == v || t <= 0 || t > 1e7)
			return usage_error("--timeout: '%s' is not a positive number of seconds", v,
					   NULL);
		c->timeout_s = t;
	}
	return 0;
}

static const struct opt *find_opt(const char *arg, const char **inline_val)
{
	*inline_val = NULL;
	if (arg[0] == '-' && arg[1] != '-' && arg[1] && !arg[2]) {
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (opts[i].short_name == arg[1])
				return &opts[i];
		return NULL;
	}
	if (strncmp(arg, "--", 2))
		return NULL;
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) {
			if (eq)
				*inline_val = eq + 1;
			return &opts[i];
		}
	}
	return NULL;
}

/* Parses argv (after "run") into c. Returns 0, or an exit status. */
int nyx_run_parse(int argc, char **argv, struct machine_config *c)
{
	for (int i = 0; i < argc; i++) {
		const char *val;
		const struct opt *o = find_opt(argv[i], &val);
		if (!o)
			return usage_error("unknown option '%s'", argv[i], NULL);
		if (!strcmp(o->name, "help")) {
			fputs(run_usage, stdout);
			return -1;
		}
		if (o->has_arg && !val) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs a value", argv[i], NULL);
			val = argv[++i];
		}
		if (!o->has_arg && !o->optional_arg && val)
			return usage_error("option '--%s' takes no value", o->name, NULL);
		if (o->feature && !nyx_feature_available(o->feature)) {
			fprintf(stderr, "nyx run: not supported yet: --%s (this build does not "
					"deliver %s)\n", o->name, o->feature);
			return EXIT_CONFIG;
		}
		int rc = apply(c, o, val);
		if (rc)
			return rc;
	}
	return 0;
}

int nyx_run_main(int argc, char **argv)
{
	struct machine_config cfg;
	machine_config_init(&cfg);
	int rc = nyx_run_parse(argc, argv, &cfg);
	if (rc) {
		machine_config_free(&cfg);
		return rc < 0 ? 0 : rc;
	}
	char err[512];
	struct machine *m = nyx_vm_create(&cfg, err, sizeof(err));
	machine_config_free(&cfg);
	if (!m) {
		fprintf(stderr, "nyx run: %s\n", err);
		return EXIT_CONFIG;
	}
	rc = nyx_vm_run(m);
	nyx_vm_destroy(m);
	return rc;
}
