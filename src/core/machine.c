/* The machine: assembly from a config, the run loop and lifecycle requests
 * (state machine described in machine.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "core/vcpu_thread.h"
#include "hw/intc/intc.h"
#include "hw/pc/pc.h"

uint64_t machine_clock_ns(struct machine *m)
{
	return clock_ns() - m->start_ns;
}

static const struct cpu_backend *pick_backend(struct machine *m, char *err, size_t len)
{
	char why[256] = "";
	switch (m->cfg.accel) {
	case ACCEL_KVM:
		if (cpu_backend_kvm.probe(why, sizeof(why))) {
			snprintf(err, len, "accel: kvm is not usable here: %s", why);
			return NULL;
		}
		return &cpu_backend_kvm;
	case ACCEL_EMU:
		if (cpu_backend_emu.probe(why, sizeof(why))) {
			snprintf(err, len, "accel: emu is not usable: %s", why);
			return NULL;
		}
		return &cpu_backend_emu;
	case ACCEL_AUTO:
		if (!cpu_backend_kvm.probe(why, sizeof(why))) {
			LOG(m->log, LOG_INFO, "machine", "accel auto: using kvm (/dev/kvm works)");
			return &cpu_backend_kvm;
		}
		LOG(m->log, LOG_INFO, "machine", "accel auto: kvm not usable (%s); using emu", why);
		if (cpu_backend_emu.probe(why, sizeof(why))) {
			snprintf(err, len, "accel: neither kvm nor emu is usable: %s", why);
			return NULL;
		}
		return &cpu_backend_emu;
	}
	snprintf(err, len, "accel: unknown backend");
	return NULL;
}

static void backend_irq_set(void *opaque, unsigned gsi, int level)
{
	struct machine *m = opaque;
	m->cpu->irq_set(m, gsi, level);
}

static void backend_msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	struct machine *m = opaque;
	if (m->cpu->msi_send)
		m->cpu->msi_send(m, addr, data);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void config_copy(struct machine_config *dst, const struct machine_config *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->kernel = dup_or_null(src->kernel);
	dst->initrd = dup_or_null(src->initrd);
	dst->append = dup_or_null(src->append);
	dst->bios = dup_or_null(src->bios);
	dst->uefi = dup_or_null(src->uefi);
	for (unsigned i = 0; i < src->ndisks; i++)
		dst->disks[i].path = dup_or_null(src->disks[i].path);
	for (unsigned i = 0; i < src->nnics; i++) {
		dst->nics[i].model = dup_or_null(src->nics[i].model);
		dst->nics[i].net = dup_or_null(src->nics[i].net);
		dst->nics[i].hostfwd = dup_or_null(src->nics[i].hostfwd);
	}
	dst->tpm_state_dir = dup_or_null(src->tpm_state_dir);
	dst->serial = dup_or_null(src->serial);
	dst->debugcon = dup_or_null(src->debugcon);
	dst->restore = dup_or_null(src->restore);
	dst->incoming = dup_or_null(src->incoming);
	dst->api_sock = dup_or_null(src->api_sock);
	dst->gdb = dup_or_null(src->gdb);
	dst->trace = dup_or_null(src->trace);
	dst->metrics_file = dup_or_null(src->metrics_file);
}

/* Puts every vCPU in its boot state: the loader's for the BSP if it set one,
 * else the architectural reset state. */
static int load_boot_states(struct machine *m)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	int rc = 0;
	for (unsigned i = 0; i < m->nvcpus && !rc; i++) {
		if (i == 0 && m->boot_state)
			*s = *m->boot_state;
		else
			vcpu_state_reset(s, i);
		rc = m->cpu->set_state(m->vcpus[i], s);
	}
	free(s);
	return rc;
}

struct machine *machine_create(const struct machine_config *cfg, char *err, size_t len)
{
	if (machine_config_validate(cfg, err, len))
		return NULL;
	struct machine *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	config_copy(&m->cfg, cfg);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->state = MACHINE_CREATED;
	atomic_store(&m->run_state, MACHINE_CREATED);
	m->start_ns = clock_ns();
	m->log = logger_new();
	m->loop = loop_new();
	bus_init(&m->pio, "pio");
	bus_init(&m->mmio, "mmio");
	if (!m->log || !m->loop) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	logger_set_level(m->log, cfg->log_level < LOG_INFO ? cfg->log_level : LOG_INFO);
	logger_add_stream_output(m->log, stderr, cfg->log_level);

	int rc = mem_init(&m->mem, cfg->mem_size);
	if (rc) {
		snprintf(err, len, "memory: cannot allocate %llu MiB of guest RAM: %s",
			 (unsigned long long)(cfg->mem_size >> 20), strerror(-rc));
		goto fail;
	}
	m->cpu = pick_backend(m, err, len);
	if (!m->cpu)
		goto fail;
	rc = m->cpu->vm_create(m);
	if (rc) {
		snprintf(err, len, "%s: cannot create the VM: %s", m->cpu->name, strerror(-rc));
		goto fail;
	}
	m->nvcpus = cfg->cpus;
	for (unsigned i = 0; i < m->nvcpus; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));
		if (!v) {
			snprintf(err, len, "out of memory");
			goto fail;
		}
		v->m = m;
		v->index = i;
		pthread_mutex_init(&v->halt_lock, NULL);
		pthread_cond_init(&v->halt_cond, NULL);
		m->vcpus[i] = v;
		rc = m->cpu->vcpu_create(v);
		if (rc) {
			snprintf(err, len, "%s: cannot create vCPU %u: %s", m->cpu->name, i,
				 strerror(-rc));
			goto fail;
		}
	}
	if (m->cpu->irq_set) {
		m->irq = (struct irq_router){ backend_irq_set, backend_msi_send, m };
	} else {
		rc = intc_create(m);
		if (rc) {
			snprintf(err, len, "interrupt controllers: %s", strerror(-rc));
			goto fail;
		}
	}
	if (pc_board_init(m, err, len))
		goto fail;
	if (boot_load(m, err, len))
		goto fail;
	if (m->cpu->mem_sync && (rc = m->cpu->mem_sync(m))) {
		snprintf(err, len, "%s: cannot map guest memory: %s", m->cpu->name, strerror(-rc));
		goto fail;
	}
	rc = load_boot_states(m);
	if (rc) {
		snprintf(err, len, "%s: cannot set the boot CPU state: %s", m->cpu->name,
			 strerror(-rc));
		goto fail;
	}
	LOG(m->log, LOG_INFO, "machine", "created: %u vCPU(s), %llu MiB RAM, accel %s",
	    m->nvcpus, (unsigned long long)(cfg->mem_size >> 20), m->cpu->name);
	return m;
fail:
	machine_destroy(m);
	return NULL;
}

void machine_destroy_devices(struct machine *m)
{
	struct device *d = m->devices, *rev = NULL;

	while (d) {                     /* newest first */
		struct device *n = d->next;
		d->next = rev;
		rev = d;
		d = n;
	}
	while (rev) {
		struct device *n = rev->next;
		if (rev->ops->destroy)
			rev->ops->destroy(rev->opaque);
		free(rev);
		rev = n;
	}
	m->devices = NULL;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	/* Devices first: they may reference vCPUs or the loop. */
	machine_destroy_devices(m);
	for (unsigned i = 0; i < m->nvcpus; i++) {
		struct vcpu *v = m->vcpus[i];
		if (!v)
			continue;
		if (v->backend && m->cpu)
			m->cpu->vcpu_destroy(v);
		pthread_mutex_destroy(&v->halt_lock);
		pthread_cond_destroy(&v->halt_cond);
		free(v);
	}
	if (m->cpu && m->cpu_priv)
		m->cpu->vm_destroy(m);
	if (m->timeout_timer)
		timer_free(m->timeout_timer);
	if (m->probe_timer)
		timer_free(m->probe_timer);
	loop_free(m->loop);
	mem_destroy(&m->mem);
	bus_destroy(&m->pio);
	bus_destroy(&m->mmio);
	free(m->boot_state);
	free(m->boot_ram);
	logger_free(m->log);
	machine_config_free(&m->cfg);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

int machine_add_device(struct machine *m, const struct device_ops *ops, void *opaque,
		       const char *name)
{
	struct device *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	d->opaque = opaque;
	snprintf(d->name, sizeof(d->name), "%s", name ? name : ops->type);
	struct device **pp = &m->devices;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	return 0;
}

void machine_reset_devices(struct machine *m)
{
	for (struct device *d = m->devices; d; d = d->next)
		if (d->ops->reset)
			d->ops->reset(d->opaque);
}

void machine_kick_all(struct machine *m)
{
	for (unsigned i = 0; i < m->nvcpus; i++)
		vcpu_kick(m->vcpus[i]);
}

static void set_state(struct machine *m, enum machine_state s)
{
	/* caller holds m->lock */
	m->state = s;
	atomic_store(&m->run_state, s);
	pthread_cond_broadcast(&m->cond);
}

/* Machine thread: stop the vCPUs and wait until every one is parked. */
static void park_vcpus(struct machine *m, enum machine_state s)
{
	pthread_mutex_lock(&m->lock);
	set_state(m, s);
	pthread_mutex_unlock(&m->lock);
	machine_kick_all(m);
	pthread_mutex_lock(&m->lock);
	while (m->parked < m->nvcpus)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void unpark_vcpus(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	set_state(m, MACHINE_RUNNING);
	pthread_mutex_unlock(&m->lock);
}

static void do_reset(void *opaque)
{
	struct machine *m = opaque;
	pthread_mutex_lock(&m->lock);
	bool go = m->reset_requested && m->state == MACHINE_RUNNING;
	/* Leave RUNNING in the same critical section that clears the request:
	 * a vCPU that sees neither (RUNNING, no request) would run guest code
	 * past its reset write until park_vcpus kicks it again. The request is
	 * cleared after the state changes; wait_running reads in the opposite
	 * order. */
	if (go)
		set_state(m, MACHINE_RESETTING);
	__atomic_store_n(&m->reset_requested, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->lock);
	if (!go)
		return;
	park_vcpus(m, MACHINE_RESETTING);
	LOG(m->log, LOG_INFO, "machine", "system reset");
	machine_reset_devices(m);
	char err[256];
	if (boot_load(m, err, sizeof(err))) {
		LOG(m->log, LOG_ERROR, "machine", "reset: reloading the boot images failed: %s", err);
		machine_request_stop(m, STOP_FAILURE, EXIT_FAILURE_VM);
		return;
	}
	if (load_boot_states(m)) {
		LOG(m->log, LOG_ERROR, "machine", "reset: cannot reset the vCPUs");
		machine_request_stop(m, STOP_FAILURE, EXIT_FAILURE_VM);
		return;
	}
	unpark_vcpus(m);
}

void machine_request_reset(struct machine *m)
{
	if (m->cfg.no_reboot) {
		LOG(m->log, LOG_INFO, "machine", "guest reset with --no-reboot: exiting");
		machine_request_stop(m, STOP_RESET_NO_REBOOT, EXIT_POWEROFF);
		return;
	}
	pthread_mutex_lock(&m->lock);
	bool first = !m->reset_requested;
	__atomic_store_n(&m->reset_requested, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->lock);
	if (first) {
		loop_call(m->loop, do_reset, m);
		/* A reset takes effect at once on hardware: no vCPU may run on
		 * (SeaBIOS's tryReboot falls through to a deliberate triple
		 * fault 50 us after writing 0xCF9). They park until do_reset. */
		machine_kick_all(m);
	}
}

void machine_request_stop(struct machine *m, enum stop_reason why, int exit_status)
{
	pthread_mutex_lock(&m->lock);
	if (m->stop_reason == STOP_NONE) {
		m->stop_reason = why;
		m->exit_status = exit_status;
	}
	pthread_mutex_unlock(&m->lock);
	loop_quit(m->loop);
	for (unsigned i = 0; i < m->nvcpus; i++)
		if (m->vcpus[i])
			vcpu_kick(m->vcpus[i]);
}

static void do_pause(void *opaque)
{
	struct machine *m = opaque;
	if (m->state == MACHINE_RUNNING)
		park_vcpus(m, MACHINE_PAUSED);
}

static void do_resume(void *opaque)
{
	struct machine *m = opaque;
	if (m->state == MACHINE_PAUSED)
		unpark_vcpus(m);
}

void machine_pause(struct machine *m)
{
	loop_call(m->loop, do_pause, m);
}

void machine_resume(struct machine *m)
{
	loop_call(m->loop, do_resume, m);
}

#define HALT_PROBE_NS 500000000ULL

/* One probe round: every vCPU looks at itself once (see machine.h). */
static void halt_probe(void *opaque)
{
	struct machine *m = opaque;
	atomic_store(&m->probe_dead, 0);
	for (unsigned i = 0; i < m->nvcpus; i++) {
		atomic_store(&m->vcpus[i]->probe, true);
		vcpu_kick(m->vcpus[i]);
	}
	timer_mod(m->probe_timer, clock_ns() + HALT_PROBE_NS);
}

static void timeout_fired(void *opaque)
{
	struct machine *m = opaque;
	LOG(m->log, LOG_WARN, "machine", "timeout of %.3f s expired: stopping the guest",
	    m->cfg.timeout_s);
	machine_request_stop(m, STOP_TIMEOUT, EXIT_TIMEOUT);
}

int machine_run(struct machine *m)
{
	vcpu_threads_init_signals();
	/* The guest clock (machine_clock_ns) keeps counting from
	 * machine_create: vCPU TSC offsets and device timers set up since
	 * then are on it, and restarting it here made the guest's first TSC
	 * reads negative after a slow setup. */
	if (m->cfg.timeout_s > 0) {
		m->timeout_timer = timer_new(m->loop, timeout_fired, m);
		if (m->timeout_timer)
			timer_mod(m->timeout_timer,
				  clock_ns() + (uint64_t)(m->cfg.timeout_s * 1e9));
	}
	if (m->cpu->irq_set) {
		m->probe_timer = timer_new(m->loop, halt_probe, m);
		if (m->probe_timer)
			timer_mod(m->probe_timer, clock_ns() + HALT_PROBE_NS);
	}
	pthread_mutex_lock(&m->lock);
	set_state(m, MACHINE_RUNNING);
	pthread_mutex_unlock(&m->lock);
	unsigned started = 0;
	for (; started < m->nvcpus; started++) {
		int rc = vcpu_thread_start(m->vcpus[started]);
		if (rc) {
			LOG(m->log, LOG_ERROR, "machine", "cannot start vCPU thread %u: %s", started,
			    strerror(-rc));
			machine_request_stop(m, STOP_FAILURE, EXIT_FAILURE_VM);
			break;
		}
	}
	if (started == m->nvcpus)
		loop_run(m->loop);
	pthread_mutex_lock(&m->lock);
	set_state(m, MACHINE_STOPPED);
	pthread_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < started; i++)
		vcpu_kick(m->vcpus[i]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(m->vcpus[i]->thread, NULL);
	if (m->timeout_timer)
		timer_del(m->timeout_timer);
	if (m->probe_timer)
		timer_del(m->probe_timer);
	return m->exit_status;
}

static struct log_ratelimit unclaimed_rl;

uint64_t machine_pio_read(struct machine *m, uint16_t port, unsigned size)
{
	uint64_t v;
	if (!bus_read(&m->pio, port, size, &v) && log_ratelimit_ok(&unclaimed_rl, 10))
		LOG(m->log, LOG_DEBUG, "pio", "read of unclaimed port 0x%x (size %u)", port, size);
	return v;
}

void machine_pio_write(struct machine *m, uint16_t port, unsigned size, uint64_t value)
{
	if (!bus_write(&m->pio, port, size, value) && log_ratelimit_ok(&unclaimed_rl, 10))
		LOG(m->log, LOG_DEBUG, "pio", "write 0x%llx to unclaimed port 0x%x (size %u)",
		    (unsigned long long)value, port, size);
}

uint64_t machine_mmio_read(struct machine *m, uint64_t addr, unsigned size)
{
	uint64_t v;
	if (!bus_read(&m->mmio, addr, size, &v) && log_ratelimit_ok(&unclaimed_rl, 10))
		LOG(m->log, LOG_DEBUG, "mmio", "read of unclaimed address 0x%llx (size %u)",
		    (unsigned long long)addr, size);
	return v;
}

void machine_mmio_write(struct machine *m, uint64_t addr, unsigned size, uint64_t value)
{
	if (!bus_write(&m->mmio, addr, size, value) && log_ratelimit_ok(&unclaimed_rl, 10))
		LOG(m->log, LOG_DEBUG, "mmio", "write 0x%llx to unclaimed address 0x%llx (size %u)",
		    (unsigned long long)value, (unsigned long long)addr, size);
}
