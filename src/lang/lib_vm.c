/*
 * VM bindings: ProductionVMBuilder, VMConfig, VirtualMachine and
 * production_readiness_check, over the C API of include/nyx/nyx.h.
 *
 * Every builder option is recorded in a struct machine_config; options
 * whose machinery has not landed (nyx_feature_available() false) are
 * remembered and make build() fail with "not supported yet: <feature>", so
 * nothing is silently accepted. build() then validates with
 * machine_config_validate() and creates the VM.
 *
 * Design note (vm.run threads): machine_run drives the VM on the calling
 * thread, and log outputs may fire on vCPU threads. vm.run() therefore runs
 * nyx_vm_run on a helper thread while the interpreter thread waits and
 * delivers queued log entries to script callbacks (lib_log_drain). If a
 * callback fails, the VM is stopped and joined before the error unwinds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/machine.h"
#include "lang/interp.h"
#include "nyx/nyx.h"

struct builder {
	struct machine_config cfg;
	char pending[32];        /* first requested feature that has not landed */
};

struct vmobj {
	struct machine *m;
	struct machine_config cfg;   /* VirtualMachine(cfg) path: built at run() */
	bool have_cfg;
	bool ran;
	struct value logger;
	char pending[32];
};

static const struct nclass builder_class, vm_class, config_class;

/* ---- helpers ---- */

static void need_feature(char *pending, size_t len, const char *feature)
{
	if (!pending[0] && !nyx_feature_available(feature))
		snprintf(pending, len, "%s", feature);
}

static char *dup_or_raise(struct nyx *I, const char *s)
{
	char *d = strdup(s);

	if (!d)
		nyx_raise(I, "out of memory");
	return d;
}

static void set_str(struct nyx *I, char **slot, const char *s)
{
	char *d = dup_or_raise(I, s);

	free(*slot);
	*slot = d;
}

static uint64_t size_arg(struct nyx *I, const char *fname, int argc, struct value *argv)
{
	arg_count(I, fname, argc, 1, 1);
	if (argv[0].t == VT_STR) {
		uint64_t v;

		if (nyx_parse_size(argv[0].s->data, &v))
			nyx_raise(I, "%s(): bad size \"%s\" (use bytes, or 512M, 2G ...)", fname,
				  argv[0].s->data);
		return v;
	}
	{
		int64_t v = arg_int(I, fname, argc, argv, 0);

		if (v < 0)
			nyx_raise(I, "%s(): size must not be negative (%lld)", fname, (long long)v);
		return (uint64_t)v;
	}
}

static enum accel_kind parse_accel(struct nyx *I, const char *fname, const char *s)
{
	if (!strcmp(s, "auto"))
		return ACCEL_AUTO;
	if (!strcmp(s, "kvm"))
		return ACCEL_KVM;
	if (!strcmp(s, "emu"))
		return ACCEL_EMU;
	nyx_raise(I, "%s(): unknown accelerator \"%s\" (auto, kvm or emu)", fname, s);
}

/* ---- ProductionVMBuilder ---- */

static struct builder *B(struct value self)
{
	return self.o->data;
}

#define BFN(name) static void name(struct nyx *I, struct value self, int argc, \
				   struct value *argv, struct nmap *kw, struct value *out)

BFN(b_memory)
{
	B(self)->cfg.mem_size = size_arg(I, "memory", argc, argv);
	*out = self;
}

BFN(b_cpus)
{
	int64_t n;

	arg_count(I, "cpus", argc, 1, 1);
	n = arg_int(I, "cpus", argc, argv, 0);
	if (n < 0 || n > 1000000)
		nyx_raise(I, "cpus(): %lld is not a valid vCPU count", (long long)n);
	B(self)->cfg.cpus = (unsigned)n;
	*out = self;
}

BFN(b_uefi)
{
	arg_count(I, "uefi", argc, 1, 1);
	set_str(I, &B(self)->cfg.uefi, arg_str(I, "uefi", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "uefi");
	*out = self;
}

BFN(b_bios)
{
	arg_count(I, "bios", argc, 1, 1);
	set_str(I, &B(self)->cfg.bios, arg_str(I, "bios", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "bios");
	*out = self;
}

BFN(b_kernel)
{
	arg_count(I, "kernel", argc, 1, 1);
	set_str(I, &B(self)->cfg.kernel, arg_str(I, "kernel", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "kernel");
	*out = self;
}

BFN(b_initrd)
{
	arg_count(I, "initrd", argc, 1, 1);
	set_str(I, &B(self)->cfg.initrd, arg_str(I, "initrd", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "kernel");
	*out = self;
}

BFN(b_append)
{
	arg_count(I, "append", argc, 1, 1);
	set_str(I, &B(self)->cfg.append, arg_str(I, "append", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "kernel");
	*out = self;
}

BFN(b_disk)
{
	struct builder *b = B(self);

	arg_count(I, "disk", argc, 1, 1);
	arg_str(I, "disk", argc, argv, 0);
	if (b->cfg.ndisks >= MACHINE_MAX_DISKS)
		nyx_raise(I, "disk(): at most %d disks", MACHINE_MAX_DISKS);
	b->cfg.disks[b->cfg.ndisks].path = dup_or_raise(I, argv[0].s->data);
	b->cfg.disks[b->cfg.ndisks].iface = DISK_IF_IDE;
	b->cfg.disks[b->cfg.ndisks].format = DISK_FMT_AUTO;
	b->cfg.ndisks++;
	need_feature(b->pending, sizeof(b->pending), "disk");
	*out = self;
}

BFN(b_ahci)
{
	bool on;

	arg_count(I, "ahci", argc, 1, 1);
	on = arg_bool(I, "ahci", argc, argv, 0);
	for (unsigned i = 0; i < B(self)->cfg.ndisks; i++)
		B(self)->cfg.disks[i].iface = on ? DISK_IF_AHCI : DISK_IF_IDE;
	if (on)
		need_feature(B(self)->pending, sizeof(B(self)->pending), "ahci");
	*out = self;
}

BFN(b_nic)
{
	struct builder *b = B(self);
	const char *model;

	arg_count(I, "nic", argc, 1, 1);
	model = arg_str(I, "nic", argc, argv, 0);
	if (strcmp(model, "e1000") && strcmp(model, "virtio"))
		nyx_raise(I, "nic(): unknown NIC model \"%s\" (e1000 or virtio)", model);
	if (b->cfg.nnics >= MACHINE_MAX_NICS)
		nyx_raise(I, "nic(): at most %d NICs", MACHINE_MAX_NICS);
	b->cfg.nics[b->cfg.nnics].model = dup_or_raise(I, model);
	b->cfg.nnics++;
	need_feature(b->pending, sizeof(b->pending), "nic");
	*out = self;
}

BFN(b_gpu)
{
	arg_count(I, "gpu", argc, 1, 1);
	B(self)->cfg.gpu = arg_bool(I, "gpu", argc, argv, 0);
	if (B(self)->cfg.gpu)
		need_feature(B(self)->pending, sizeof(B(self)->pending), "gpu");
	*out = self;
}

static void feature_only(struct nyx *I, struct value self, const char *fname,
			 const char *feature, int argc, struct value *out)
{
	arg_count(I, fname, argc, 0, 0);
	need_feature(B(self)->pending, sizeof(B(self)->pending), feature);
	*out = self;
}

BFN(b_with_error_handling) { feature_only(I, self, "with_error_handling", "error_handling", argc, out); }
BFN(b_with_logging) { feature_only(I, self, "with_logging", "logging", argc, out); }
BFN(b_with_metrics) { feature_only(I, self, "with_metrics", "metrics", argc, out); }
BFN(b_with_live_migration) { feature_only(I, self, "with_live_migration", "live_migration", argc, out); }
BFN(b_with_pci_hotplug) { feature_only(I, self, "with_pci_hotplug", "pci_hotplug", argc, out); }
BFN(b_with_performance_tracing) { feature_only(I, self, "with_performance_tracing", "performance_tracing", argc, out); }

BFN(b_with_tpm)
{
	arg_count(I, "with_tpm", argc, 0, 0);
	B(self)->cfg.tpm = true;
	need_feature(B(self)->pending, sizeof(B(self)->pending), "tpm");
	*out = self;
}

BFN(b_with_iommu)
{
	arg_count(I, "with_iommu", argc, 0, 0);
	B(self)->cfg.iommu = true;
	need_feature(B(self)->pending, sizeof(B(self)->pending), "iommu");
	*out = self;
}

BFN(b_with_debug_symbols)
{
	arg_count(I, "with_debug_symbols", argc, 0, 1);
	if (argc)
		arg_str(I, "with_debug_symbols", argc, argv, 0);
	need_feature(B(self)->pending, sizeof(B(self)->pending), "debug_symbols");
	*out = self;
}

BFN(b_passthrough_device)
{
	int64_t bdf;
	const char *iso;

	arg_count(I, "passthrough_device", argc, 2, 2);
	bdf = arg_int(I, "passthrough_device", argc, argv, 0);
	iso = arg_str(I, "passthrough_device", argc, argv, 1);
	if (bdf < 0 || bdf > 0xFFFF)
		nyx_raise(I, "passthrough_device(): BDF 0x%llx out of range (bus<<8 | dev<<3 | fn)",
			  (long long)bdf);
	if (strcmp(iso, "STRICT") && strcmp(iso, "SHARED") && strcmp(iso, "UNMANAGED"))
		nyx_raise(I, "passthrough_device(): isolation \"%s\" is not STRICT, SHARED or "
			  "UNMANAGED", iso);
	need_feature(B(self)->pending, sizeof(B(self)->pending), "passthrough");
	*out = self;
}

BFN(b_accel)
{
	arg_count(I, "accel", argc, 1, 1);
	B(self)->cfg.accel = parse_accel(I, "accel", arg_str(I, "accel", argc, argv, 0));
	*out = self;
}

BFN(b_serial)
{
	arg_count(I, "serial", argc, 1, 1);
	set_str(I, &B(self)->cfg.serial, arg_str(I, "serial", argc, argv, 0));
	need_feature(B(self)->pending, sizeof(B(self)->pending), "serial");
	*out = self;
}

BFN(b_timeout)
{
	double t;

	arg_count(I, "timeout", argc, 1, 1);
	t = arg_num(I, "timeout", argc, argv, 0);
	if (!(t >= 0))
		nyx_raise(I, "timeout(): %g seconds is not a valid timeout", t);
	B(self)->cfg.timeout_s = t;
	*out = self;
}

BFN(b_no_reboot)
{
	arg_count(I, "no_reboot", argc, 0, 0);
	B(self)->cfg.no_reboot = true;
	*out = self;
}

static struct value vm_wrap(struct nyx *I, struct machine *m);

BFN(b_build)
{
	struct builder *b = B(self);
	char err[512] = "";
	struct machine *m;

	arg_count(I, "build", argc, 0, 0);
	if (b->pending[0])
		nyx_raise(I, "not supported yet: %s", b->pending);
	if (machine_config_validate(&b->cfg, err, sizeof(err)))
		nyx_raise(I, "build(): %s", err[0] ? err : "invalid configuration");
	m = nyx_vm_create(&b->cfg, err, sizeof(err));
	if (!m)
		nyx_raise(I, "build(): %s", err[0] ? err : "cannot create the VM");
	*out = vm_wrap(I, m);
}

static const struct nmethod builder_methods[] = {
	{"memory", b_memory}, {"cpus", b_cpus}, {"uefi", b_uefi}, {"bios", b_bios},
	{"disk", b_disk}, {"ahci", b_ahci}, {"nic", b_nic}, {"gpu", b_gpu},
	{"with_error_handling", b_with_error_handling}, {"with_logging", b_with_logging},
	{"with_metrics", b_with_metrics}, {"with_live_migration", b_with_live_migration},
	{"with_pci_hotplug", b_with_pci_hotplug}, {"with_tpm", b_with_tpm},
	{"with_debug_symbols", b_with_debug_symbols},
	{"with_performance_tracing", b_with_performance_tracing},
	{"with_iommu", b_with_iommu}, {"passthrough_device", b_passthrough_device},
	{"kernel", b_kernel}, {"initrd", b_initrd}, {"append", b_append},
	{"accel", b_accel}, {"serial", b_serial}, {"timeout", b_timeout},
	{"no_reboot", b_no_reboot}, {"build", b_build}, {NULL, NULL},
};

static void builder_finalize(struct nyx *I, struct nobject *o)
{
	struct builder *b = o->data;

	if (b) {
		machine_config_free(&b->cfg);
		free(b);
	}
	o->data = NULL;
}

static const struct nclass builder_class = {
	.name = "ProductionVMBuilder",
	.methods = builder_methods,
	.finalize = builder_finalize,
};

static void f_builder(struct nyx *I, struct value self, int argc, struct value *argv,
		      struct nmap *kw, struct value *out)
{
	struct builder *b;

	arg_count(I, "ProductionVMBuilder", argc, 0, 0);
	no_kwargs(I, "ProductionVMBuilder", kw);
	b = calloc(1, sizeof(*b));
	if (!b)
		nyx_raise(I, "out of memory");
	machine_config_init(&b->cfg);
	*out = v_obj(VT_OBJECT, nobject_new(I, &builder_class, b));
}

/* ---- VMConfig(...) ---- */

static const char *const config_keys[] = {
	"name", "memory_size", "vcpu_count", "boot_firmware", "boot_path", "allow_nested_vm",
	"enable_msi", "enable_iommu", "kernel", "initrd", "append", "accel", "serial",
	"timeout", NULL,
};

static bool config_get(struct nyx *I, struct nobject *o, const char *name, struct value *out)
{
	return nmap_get_cstr(o->data, name, out);
}

static void config_mark(struct nyx *I, struct nobject *o)
{
	gc_mark_obj(I, o->data);
}

static const struct nclass config_class = {
	.name = "VMConfig",
	.get = config_get,
	.mark = config_mark,
};

static void f_vmconfig(struct nyx *I, struct value self, int argc, struct value *argv,
		       struct nmap *kw, struct value *out)
{
	struct nmap *m = nmap_new(I);

	nyx_root(I, v_obj(VT_MAP, m));
	if (argc)
		nyx_raise(I, "VMConfig() takes named arguments only, e.g. VMConfig(name=\"vm\", "
			  "memory_size=512*1024**2)");
	for (size_t i = 0; kw && i < kw->len; i++) {
		const char *k = kw->e[i].key.s->data;
		struct value v = kw->e[i].val;
		size_t j;

		for (j = 0; config_keys[j]; j++)
			if (!strcmp(config_keys[j], k))
				break;
		if (!config_keys[j])
			nyx_raise(I, "VMConfig(): unknown setting '%s'", k);
		nmap_set(I, m, kw->e[i].key, v);
	}
	*out = v_obj(VT_OBJECT, nobject_new(I, &config_class, m));
}

/* Fills a machine_config from a VMConfig; raises naming the bad field. */
static void config_apply(struct nyx *I, struct nmap *m, struct machine_config *c,
			 char *pending, size_t plen)
{
	struct value v;

	if (nmap_get_cstr(m, "name", &v)) {
		if (v.t != VT_STR)
			nyx_raise(I, "VMConfig name must be a string, not %s", value_type_name(v));
		set_str(I, &c->name, v.s->data);
	}
	if (nmap_get_cstr(m, "memory_size", &v)) {
		if (v.t != VT_INT || v.i < 0)
			nyx_raise(I, "VMConfig memory_size must be a byte count (int)");
		c->mem_size = (uint64_t)v.i;
	}
	if (nmap_get_cstr(m, "vcpu_count", &v)) {
		if (v.t != VT_INT || v.i < 0 || v.i > 1000000)
			nyx_raise(I, "VMConfig vcpu_count must be a vCPU count (int)");
		c->cpus = (unsigned)v.i;
	}
	if (nmap_get_cstr(m, "boot_firmware", &v)) {
		if (v.t != VT_STR || (strcmp(v.s->data, "UEFI") && strcmp(v.s->data, "BIOS")))
			nyx_raise(I, "VMConfig boot_firmware must be \"UEFI\" or \"BIOS\"");
		if (!strcmp(v.s->data, "UEFI"))
			need_feature(pending, plen, "uefi");
	}
	if (nmap_get_cstr(m, "boot_path", &v) && v.t != VT_INT)
		nyx_raise(I, "VMConfig boot_path must be an address (int)");
	if (nmap_get_cstr(m, "enable_iommu", &v) && value_truthy(v)) {
		c->iommu = true;
		need_feature(pending, plen, "iommu");
	}
	if (nmap_get_cstr(m, "allow_nested_vm", &v) && value_truthy(v))
		need_feature(pending, plen, "nested_vm");
	if (nmap_get_cstr(m, "enable_msi", &v) && value_truthy(v))
		need_feature(pending, plen, "msi");
	if (nmap_get_cstr(m, "kernel", &v) && v.t == VT_STR)
		set_str(I, &c->kernel, v.s->data);
	if (nmap_get_cstr(m, "initrd", &v) && v.t == VT_STR)
		set_str(I, &c->initrd, v.s->data);
	if (nmap_get_cstr(m, "append", &v) && v.t == VT_STR)
		set_str(I, &c->append, v.s->data);
	if (nmap_get_cstr(m, "serial", &v) && v.t == VT_STR)
		set_str(I, &c->serial, v.s->data);
	if (nmap_get_cstr(m, "accel", &v) && v.t == VT_STR)
		c->accel = parse_accel(I, "VMConfig", v.s->data);
	if (nmap_get_cstr(m, "timeout", &v) && (v.t == VT_INT || v.t == VT_FLOAT))
		c->timeout_s = v.t == VT_INT ? (double)v.i : v.f;
}

/* ---- VirtualMachine ---- */

static struct vmobj *V(struct value self)
{
	return self.o->data;
}

static struct value vm_wrap(struct nyx *I, struct machine *m)
{
	struct vmobj *vo = calloc(1, sizeof(*vo));
	struct value v;

	if (!vo) {
		nyx_vm_destroy(m);
		nyx_raise(I, "out of memory");
	}
	vo->m = m;
	vo->logger = v_null();
	v = v_obj(VT_OBJECT, nobject_new(I, &vm_class, vo));
	return v;
}

static void f_virtual_machine(struct nyx *I, struct value self, int argc, struct value *argv,
			      struct nmap *kw, struct value *out)
{
	struct vmobj *vo;
	struct nobject *o;

	arg_count(I, "VirtualMachine", argc, 1, 1);
	if (argv[0].t != VT_OBJECT || argv[0].o->cls != &config_class)
		nyx_raise(I, "VirtualMachine(): argument 1 must be a VMConfig, not %s",
			  value_type_name(argv[0]));
	vo = calloc(1, sizeof(*vo));
	if (!vo)
		nyx_raise(I, "out of memory");
	machine_config_init(&vo->cfg);
	vo->have_cfg = true;
	vo->logger = v_null();
	o = nobject_new(I, &vm_class, vo);   /* owns vo from here on */
	*out = v_obj(VT_OBJECT, o);
	nyx_root(I, *out);
	config_apply(I, argv[0].o->data, &vo->cfg, vo->pending, sizeof(vo->pending));
}

#define VFN(name) BFN(name)

VFN(vm_init_devices)
{
	struct vmobj *vo = V(self);

	arg_count(I, "init_devices", argc, 0, 0);
	if (vo->pending[0])
		nyx_raise(I, "not supported yet: %s", vo->pending);
	/* Devices are created with the machine (at run()); nothing to do yet. */
}

VFN(vm_setup_uefi_boot)
{
	struct vmobj *vo = V(self);

	arg_count(I, "setup_uefi_boot", argc, 1, 1);
	arg_str(I, "setup_uefi_boot", argc, argv, 0);
	if (!vo->have_cfg)
		nyx_raise(I, "setup_uefi_boot(): this VM is already built");
	if (!nyx_feature_available("uefi"))
		nyx_raise(I, "not supported yet: uefi");
	set_str(I, &vo->cfg.uefi, argv[0].s->data);
}

VFN(vm_setup_bios_boot)
{
	struct vmobj *vo = V(self);

	arg_count(I, "setup_bios_boot", argc, 1, 1);
	arg_str(I, "setup_bios_boot", argc, argv, 0);
	if (!vo->have_cfg)
		nyx_raise(I, "setup_bios_boot(): this VM is already built");
	if (!nyx_feature_available("bios"))
		nyx_raise(I, "not supported yet: bios");
	set_str(I, &vo->cfg.bios, argv[0].s->data);
}

struct runner {
	struct machine *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int status;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;
	int st = nyx_vm_run(r->m);

	pthread_mutex_lock(&r->lock);
	r->status = st;
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void drain_protected(struct nyx *I, void *arg)
{
	lib_log_drain(I);
}

VFN(vm_run)
{
	struct vmobj *vo = V(self);
	struct runner r = {0};
	pthread_t th;
	bool failed = false;

	arg_count(I, "run", argc, 0, 0);
	if (vo->ran)
		nyx_raise(I, "run(): this VM has already run; build a new one");
	if (!vo->m) {
		char err[512] = "";

		if (vo->pending[0])
			nyx_raise(I, "not supported yet: %s", vo->pending);
		if (machine_config_validate(&vo->cfg, err, sizeof(err)))
			nyx_raise(I, "run(): %s", err[0] ? err : "invalid configuration");
		vo->m = nyx_vm_create(&vo->cfg, err, sizeof(err));
		if (!vo->m)
			nyx_raise(I, "run(): %s", err[0] ? err : "cannot create the VM");
	}
	vo->ran = true;
	fflush(I->out);
	r.m = vo->m;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	if (pthread_create(&th, NULL, run_thread, &r)) {
		pthread_mutex_destroy(&r.lock);
		pthread_cond_destroy(&r.cond);
		nyx_raise(I, "run(): cannot start the VM thread");
	}
	for (;;) {
		bool done;
		struct timespec ts;

		pthread_mutex_lock(&r.lock);
		if (!r.done) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&r.cond, &r.lock, &ts);
		}
		done = r.done;
		pthread_mutex_unlock(&r.lock);
		if (!failed && nyx_pcall(I, drain_protected, NULL)) {
			/* A callback failed: stop the guest, then report. */
			failed = true;
			machine_request_stop(vo->m, STOP_USER, EXIT_FAILURE_VM);
		}
		if (done)
			break;
	}
	pthread_join(th, NULL);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cond);
	if (failed)
		nyx_rethrow(I);
	*out = v_int(r.status);
}

VFN(vm_snapshot)
{
	nyx_raise(I, "not supported yet: snapshot");
}

static const struct nmethod vm_methods[] = {
	{"init_devices", vm_init_devices},
	{"setup_uefi_boot", vm_setup_uefi_boot},
	{"setup_bios_boot", vm_setup_bios_boot},
	{"run", vm_run},
	{"snapshot", vm_snapshot},
	{"restore", vm_snapshot},
	{NULL, NULL},
};

/* Members whose machinery belongs to a later feature. */
static const struct {
	const char *member, *feature;
} vm_later[] = {
	{"metrics", "metrics"},
	{"error_handler", "error_handling"},
	{"dirty_tracker", "live_migration"},
	{"migration_mgr", "live_migration"},
	{"dynamic_devices", "pci_hotplug"},
	{"iommu_mgr", "iommu"},
	{"debug_ctx", "debug_symbols"},
	{"tpm", "tpm"},
	{NULL, NULL},
};

static bool vm_get(struct nyx *I, struct nobject *o, const char *name, struct value *out)
{
	struct vmobj *vo = o->data;

	if (!strcmp(name, "logger")) {
		if (!vo->m)
			nyx_raise(I, "vm.logger: the VM is created by run(); use the global "
				  "`logger` before that");
		if (vo->logger.t == VT_NULL)
			vo->logger = lib_log_object(I, vo->m->log);
		*out = vo->logger;
		return true;
	}
	if (!strcmp(name, "name")) {
		const char *n = vo->m ? vo->m->cfg.name : vo->cfg.name;

		*out = n ? v_str(I, n) : v_null();
		return true;
	}
	for (int i = 0; vm_later[i].member; i++)
		if (!strcmp(name, vm_later[i].member) && !nyx_feature_available(vm_later[i].feature))
			nyx_raise(I, "not supported yet: %s", vm_later[i].feature);
	return false;
}

static void vm_mark(struct nyx *I, struct nobject *o)
{
	gc_mark_value(I, ((struct vmobj *)o->data)->logger);
}

static void vm_finalize(struct nyx *I, struct nobject *o)
{
	struct vmobj *vo = o->data;

	if (!vo)
		return;
	if (vo->m) {
		lib_log_forget(I, vo->m->log);
		nyx_vm_destroy(vo->m);
	}
	if (vo->have_cfg)
		machine_config_free(&vo->cfg);
	free(vo);
	o->data = NULL;
}

static const struct nclass vm_class = {
	.name = "VirtualMachine",
	.methods = vm_methods,
	.get = vm_get,
	.mark = vm_mark,
	.finalize = vm_finalize,
};

static void f_readiness(struct nyx *I, struct value self, int argc, struct value *argv,
			struct nmap *kw, struct value *out)
{
	arg_count(I, "production_readiness_check", argc, 1, 1);
	if (!nyx_feature_available("error_handling"))
		nyx_raise(I, "not supported yet: error_handling");
	*out = v_bool(false);
}

void lib_vm_open(struct nyx *I)
{
	nyx_set_global(I, "ProductionVMBuilder",
		       v_native(I, "ProductionVMBuilder", f_builder, v_null()));
	{
		struct value cfg = v_native(I, "VMConfig", f_vmconfig, v_null());

		cfg.nf->kwargs = true;
		nyx_set_global(I, "VMConfig", cfg);
	}
	nyx_set_global(I, "VirtualMachine",
		       v_native(I, "VirtualMachine", f_virtual_machine, v_null()));
	nyx_set_global(I, "production_readiness_check",
		       v_native(I, "production_readiness_check", f_readiness, v_null()));
}

void lib_vm_close(struct nyx *I)
{
}
