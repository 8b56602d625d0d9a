/*
 * The differential test environment: a machine built by hand (guest RAM,
 * the chosen CPU backend, one vCPU, two exit ports; no board devices), a
 * tiny 64-bit long-mode system in guest memory, and dt_env_run(), which
 * runs a batch of sequences at CPL3 and collects how each ended. The memory
 * map and the batch design are described in difftest.h.
 *
 * Ports: 0xF4 (open to CPL3 in the TSS I/O bitmap) ends a batch; 0xF5 is
 * written by the CPL0 exception stubs. The port handler records which and
 * sets the vCPU's kick flag, which both backends check before running on.
 * A watchdog thread kicks the vCPU if a run takes longer than 5 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/loop.h"
#include "core/machine.h"
#include "core/vcpu_thread.h"
#include "difftest.h"

#define PTE_P 0x001ULL
#define PTE_RW 0x002ULL
#define PTE_US 0x004ULL
#define PTE_A 0x020ULL
#define PTE_D 0x040ULL
#define PTE_NX (1ULL << 63)

#define IOMAP_OFF 0x68
#define TSS_LIMIT (IOMAP_OFF + 8192)
#define WATCHDOG_NS 5000000000ULL

#define PORT_DONE DT_EXIT_PORT
#define PORT_EXC (DT_EXIT_PORT + 1)
/* Record layout, twice (initial, then final at REC_RESULT): GPRs at 0,
 * RFLAGS at 0x80; the done mark; FXSAVE images (x87 state, MXCSR at 24,
 * XMM0-15 at 160) at REC_FX and REC_FX_RESULT. */
#define REC_FLAGS 0x80
#define REC_RESULT 0x200
#define REC_MARK (REC_RESULT + 0x98)
#define REC_FX 0x400
#define REC_FX_RESULT 0x600
#define FX_MXCSR 24
#define FX_XMM 160
#define MARK_DONE 0x600D

struct dt_env {
	struct machine *m;
	struct vcpu *v;
	char name[8];
	atomic_int exit_port;         /* 0 while running */
	uint64_t runs;
	struct vcpu_state *st;
	uint8_t *code;                /* staging copy of the code region */
	/* Watchdog: kicks the vCPU when a run passes its deadline. */
	pthread_t wd;
	pthread_mutex_t wd_lock;
	pthread_cond_t wd_cond;
	uint64_t wd_deadline;         /* 0 = idle */
	bool wd_quit, wd_fired;
};

static void exit_port_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
	struct dt_env *e = opaque;
	atomic_store(&e->exit_port, (int)(DT_EXIT_PORT + off));
	atomic_store(&e->v->kicked, true);
}

static uint64_t exit_port_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

static const struct io_ops exit_ops = { exit_port_read, exit_port_write };

static void *watchdog(void *arg)
{
	struct dt_env *e = arg;
	pthread_mutex_lock(&e->wd_lock);
	while (!e->wd_quit) {
		if (!e->wd_deadline) {
			pthread_cond_wait(&e->wd_cond, &e->wd_lock);
			continue;
		}
		uint64_t now = clock_ns();
		if (now >= e->wd_deadline) {
			e->wd_fired = true;
			e->wd_deadline = 0;
			atomic_store(&e->v->kicked, true);
			e->m->cpu->vcpu_kick(e->v);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t left = e->wd_deadline - now;
		ts.tv_sec += (time_t)(left / 1000000000ULL);
		ts.tv_nsec += (long)(left % 1000000000ULL);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&e->wd_cond, &e->wd_lock, &ts);
	}
	pthread_mutex_unlock(&e->wd_lock);
	return NULL;
}

static void wd_arm(struct dt_env *e, uint64_t deadline)
{
	pthread_mutex_lock(&e->wd_lock);
	e->wd_deadline = deadline;
	pthread_cond_signal(&e->wd_cond);
	pthread_mutex_unlock(&e->wd_lock);
}

static void put64(struct machine *m, uint64_t gpa, uint64_t v)
{
	gpa_write(&m->mem, gpa, &v, 8);
}

/* GDT, IDT, TSS, stubs and page tables: written once per environment. */
static int env_build_system(struct machine *m)
{
	static const uint64_t gdt[] = {
		0,
		0x00AF9B000000FFFFULL,   /* 0x08 kernel code, 64-bit */
		0x00CF93000000FFFFULL,   /* 0x10 kernel data */
		0x00CFFB000000FFFFULL,   /* 0x18 user code, 32-bit (unused) */
		0x00CFF3000000FFFFULL,   /* 0x20 user data */
		0x00AFFB000000FFFFULL,   /* 0x28 user code, 64-bit */
	};
	if (gpa_write(&m->mem, DT_GDT, gdt, sizeof(gdt)))
		return -EFAULT;
	/* 0x30: 64-bit TSS, busy (type 0xB), as after LTR. */
	uint64_t lo = (TSS_LIMIT & 0xFFFF) | ((DT_TSS & 0xFFFFFF) << 16) | (0x8BULL << 40) |
		      ((uint64_t)(TSS_LIMIT >> 16) << 48) | (((DT_TSS >> 24) & 0xFF) << 56);
	put64(m, DT_GDT + 0x30, lo);
	put64(m, DT_GDT + 0x38, DT_TSS >> 32);

	for (unsigned vec = 0; vec < 256; vec++) {
		uint64_t stub = DT_STUBS + vec * DT_STUB_STRIDE;
		/* Interrupt gate, present; DPL 3 for #BP and #OF so INT3/INTO
		 * from user mode reach them, DPL 0 elsewhere (INT n -> #GP). */
		uint64_t dpl = (vec == 3 || vec == 4) ? 3 : 0;
		uint64_t g0 = (stub & 0xFFFF) | ((uint64_t)DT_SEL_KCODE << 16) |
			      ((0x8EULL | (dpl << 5)) << 40) | (((stub >> 16) & 0xFFFF) << 48);
		put64(m, DT_IDT + vec * 16, g0);
		put64(m, DT_IDT + vec * 16 + 8, stub >> 32);
		const uint8_t code[DT_STUB_STRIDE] = { 0xE6, PORT_EXC, 0xEB, 0xFE };
		gpa_write(&m->mem, stub, code, sizeof(code));
	}

	uint8_t tss[IOMAP_OFF];
	memset(tss, 0, sizeof(tss));
	uint64_t rsp0 = DT_KSTACK_TOP;
	memcpy(tss + 4, &rsp0, 8);
	uint16_t iomap = IOMAP_OFF;
	memcpy(tss + 0x66, &iomap, 2);
	gpa_write(&m->mem, DT_TSS, tss, sizeof(tss));
	static uint8_t bitmap[8192 + 1];
	memset(bitmap, 0xFF, sizeof(bitmap));
	bitmap[DT_EXIT_PORT / 8] &= (uint8_t)~(1u << (DT_EXIT_PORT % 8));
	gpa_write(&m->mem, DT_TSS + IOMAP_OFF, bitmap, sizeof(bitmap));

	/* PML4 -> PDPT -> PD -> eight page tables covering [0, 16 MiB). */
	const uint64_t pdpt = DT_PT + 0x1000, pd = DT_PT + 0x2000, pt = DT_PT + 0x3000;
	const uint64_t up = PTE_P | PTE_RW | PTE_US | PTE_A;
	put64(m, DT_PT, pdpt | up);
	put64(m, pdpt, pd | up);
	for (uint64_t i = 0; i < DT_MAPPED >> 21; i++)
		put64(m, pd + i * 8, (pt + i * 0x1000) | up);
	const uint64_t data = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX;
	for (uint64_t gpa = 0; gpa < DT_MAPPED; gpa += 0x1000) {
		uint64_t pte = 0;
		if (gpa < DT_CODE)
			pte = PTE_P | PTE_RW | PTE_A | PTE_D;                /* kernel */
		else if (gpa < DT_CODE_END)
			pte = PTE_P | PTE_US | PTE_A;                        /* user code */
		else if (gpa >= DT_REC(0) && gpa < DT_REC_END)
			pte = data;
		else if (gpa >= DT_SLOT(0) && gpa < DT_SLOT(DT_MAX_SLOTS)) {
			switch ((gpa - DT_SLOT(0)) % DT_SLOT_SIZE) {
			case 0x1000: case 0x2000: case 0x6000:
				pte = data;
				break;
			case 0x4000:
				pte = PTE_P | PTE_US | PTE_A | PTE_NX;
				break;
			case 0x5000:
				pte = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
				break;
			}
		}
		put64(m, pt + (gpa >> 12) * 8, pte ? gpa | pte : 0);
	}
	return 0;
}

static void user_seg(struct vcpu_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	vcpu_segment_flat(s, sel, type, code64, !code64);
	s->dpl = 3;
}

/* The part of the CPL3 state every sequence shares. */
static void env_base_state(struct vcpu_state *s)
{
	vcpu_state_reset(s, 0);
	user_seg(&s->seg[SEG_CS], DT_SEL_UCODE, 0xB, true);
	for (int i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS)
			user_seg(&s->seg[i], DT_SEL_UDATA, 0x3, false);
	s->seg[SEG_FS].base = DT_FS_BASE;
	s->seg[SEG_GS].base = DT_GS_BASE;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 0x2;
	s->ldt.unusable = 1;
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.base = DT_TSS;
	s->tr.limit = TSS_LIMIT;
	s->tr.selector = DT_SEL_TSS;
	s->tr.type = 0xB;
	s->tr.present = 1;
	s->gdt.base = DT_GDT;
	s->gdt.limit = 0x3F;
	s->idt.base = DT_IDT;
	s->idt.limit = 0xFFF;
	s->cr0 = 0x80010033;          /* PG WP NE ET MP PE */
	s->cr4 = 0x40620;             /* OSXSAVE OSXMMEXCPT OSFXSR PAE */
	s->xcr0 = 3;                  /* XSAVE manages x87 and SSE */
	s->cr3 = DT_PT;
	s->efer = 0xD00;              /* NXE LMA LME */
	s->msrs[s->nmsrs++] = (struct vcpu_msr){ 0xC0000080, s->efer };
}

const char *dt_env_name(const struct dt_env *e)
{
	return e->name;
}

struct dt_env *dt_env_create(const char *accel, char *err, size_t err_len)
{
	const struct cpu_backend *be = !strcmp(accel, "kvm") ? &cpu_backend_kvm :
				       !strcmp(accel, "emu") ? &cpu_backend_emu : NULL;
	if (!be) {
		snprintf(err, err_len, "unknown backend '%s' (kvm or emu)", accel);
		return NULL;
	}
	char why[256] = "";
	if (be->probe(why, sizeof(why))) {
		snprintf(err, err_len, "%s is not usable here: %s", accel, why);
		return NULL;
	}
	struct dt_env *e = calloc(1, sizeof(*e));
	struct machine *m = calloc(1, sizeof(*m));
	if (!e || !m) {
		free(e);
		free(m);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	snprintf(e->name, sizeof(e->name), "%s", accel);
	e->m = m;
	e->st = malloc(sizeof(*e->st));
	e->code = malloc(DT_CODE_END - DT_CODE);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	pthread_mutex_init(&e->wd_lock, NULL);
	pthread_cond_init(&e->wd_cond, NULL);
	machine_config_init(&m->cfg);
	m->cfg.mem_size = DT_RAM_SIZE;
	m->cfg.cpus = 1;
	m->start_ns = clock_ns();
	m->log = logger_new();
	bus_init(&m->pio, "pio");
	bus_init(&m->mmio, "mmio");
	int rc;
	if (!e->st || !e->code || !m->log) {
		snprintf(err, err_len, "out of memory");
		goto fail_early;
	}
	logger_set_level(m->log, LOG_WARN);
	logger_add_stream_output(m->log, stderr, LOG_WARN);
	rc = mem_init(&m->mem, DT_RAM_SIZE);
	if (rc) {
		snprintf(err, err_len, "cannot allocate guest RAM: %s", strerror(-rc));
		goto fail_early;
	}
	m->cpu = be;
	rc = be->vm_create(m);
	if (rc) {
		m->cpu = NULL;
		snprintf(err, err_len, "%s: cannot create the VM: %s", accel, strerror(-rc));
		goto fail_mem;
	}
	struct vcpu *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, err_len, "out of memory");
		goto fail_vm;
	}
	v->m = m;
	pthread_mutex_init(&v->halt_lock, NULL);
	pthread_cond_init(&v->halt_cond, NULL);
	rc = be->vcpu_create(v);
	if (rc) {
		snprintf(err, err_len, "%s: cannot create the vCPU: %s", accel, strerror(-rc));
		free(v);
		goto fail_vm;
	}
	m->vcpus[0] = v;
	m->nvcpus = 1;
	e->v = v;
	if (be->mem_sync && (rc = be->mem_sync(m))) {
		snprintf(err, err_len, "%s: cannot map guest memory: %s", accel, strerror(-rc));
		goto fail_vcpu;
	}
	rc = bus_register(&m->pio, DT_EXIT_PORT, 2, &exit_ops, e, "difftest-exit");
	if (!rc)
		rc = env_build_system(m);
	if (rc) {
		snprintf(err, err_len, "cannot set up the test system: %s", strerror(-rc));
		goto fail_vcpu;
	}
	vcpu_threads_init_signals();
	if (pthread_create(&e->wd, NULL, watchdog, e)) {
		snprintf(err, err_len, "cannot start the watchdog thread");
		goto fail_vcpu;
	}
	return e;

fail_vcpu:
	be->vcpu_destroy(v);
	pthread_mutex_destroy(&v->halt_lock);
	pthread_cond_destroy(&v->halt_cond);
	free(v);
	m->vcpus[0] = NULL;
fail_vm:
	be->vm_destroy(m);
fail_mem:
	mem_destroy(&m->mem);
fail_early:
	bus_destroy(&m->pio);
	bus_destroy(&m->mmio);
	logger_free(m->log);
	machine_config_free(&m->cfg);
	free(m);
	free(e->st);
	free(e->code);
	free(e);
	return NULL;
}

void dt_env_destroy(struct dt_env *e)
{
	if (!e)
		return;
	struct machine *m = e->m;
	pthread_mutex_lock(&e->wd_lock);
	e->wd_quit = true;
	pthread_cond_signal(&e->wd_cond);
	pthread_mutex_unlock(&e->wd_lock);
	pthread_join(e->wd, NULL);
	m->cpu->vcpu_destroy(e->v);
	pthread_mutex_destroy(&e->v->halt_lock);
	pthread_cond_destroy(&e->v->halt_cond);
	free(e->v);
	m->cpu->vm_destroy(m);
	mem_destroy(&m->mem);
	bus_destroy(&m->pio);
	bus_destroy(&m->mmio);
	logger_free(m->log);
	machine_config_free(&m->cfg);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
	pthread_mutex_destroy(&e->wd_lock);
	pthread_cond_destroy(&e->wd_cond);
	free(e->st);
	free(e->code);
	free(e);
}


uint64_t dt_env_runs(const struct dt_env *e)
{
	return e->runs;
}

void dt_fill_pattern(uint8_t *mem, uint32_t seed)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 17) ^ seed;
	for (size_t i = 0; i < DT_MEM_SIZE; i += 8) {
		/* xorshift64*, one word per 8 bytes */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t w = x * 0x2545F4914F6CDD1DULL;
		memcpy(mem + i, &w, 8);
	}
}

void dt_seq_init(struct dt_seq *s, unsigned slot, uint32_t seed)
{
	memset(s, 0, sizeof(*s));
	s->slot = slot;
	s->seed = seed;
	/* Distinct, recognisable values; RSP on the slot's stack. */
	for (int i = 0; i < REG_COUNT; i++)
		s->regs[i] = 0x1111111111111111ULL * (uint64_t)(i + 1) ^ 0x0123456789ABCDEFULL;
	s->regs[REG_RSP] = DT_RSP(slot);
	/* IF=1: this host's KVM runs CPL3 code natively and PUSHF there
	 * always shows IF=1, whatever the guest's IF. No interrupt source
	 * exists in this machine, so IF=1 costs nothing. */
	s->rflags = 0x202;
	s->mxcsr = 0x1F80;
	s->fx[0] = 0x7F;              /* FCW 0x037F, the rest 0: FNINIT's state */
	s->fx[1] = 0x03;
	for (int i = 0; i < 16; i++)
		for (int b = 0; b < 16; b++)
			s->xmm[i][b] = (uint8_t)(i * 16 + b);
}

static bool vector_has_error(int vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 ||
	       vec == 30;
}

/* [pfx] [rex] op... modrm(reg, [rip + disp32]) aimed at `target`; a REX
 * is added for reg >= 8. */
static uint8_t *emit_rip(uint8_t *p, uint64_t at, uint8_t pfx, uint8_t rex, const uint8_t *op,
			 unsigned nop, unsigned reg, uint64_t target)
{
	uint8_t *start = p;
	if (pfx)
		*p++ = pfx;
	rex |= reg >= 8 ? 0x44 : 0;
	if (rex)
		*p++ = rex;
	memcpy(p, op, nop);
	p += nop;
	*p++ = (uint8_t)(((reg & 7) << 3) | 5);
	int32_t d = (int32_t)(target - (at + (uint64_t)(p - start) + 4));
	memcpy(p, &d, 4);
	return p + 4;
}

static const uint8_t OP_LEA[] = { 0x8D }, OP_LOAD[] = { 0x8B }, OP_STORE[] = { 0x89 };
static const uint8_t OP_FX[] = { 0x0F, 0xAE };   /* REX.W: /0 fxsave64, /1 fxrstor64 */

/* Slot code: prologue, the sequence, epilogue, then a jump to the next
 * slot or the final `out`. */
static void emit_slot(uint8_t *region, const struct dt_seq *s, const struct dt_seq *next)
{
	uint64_t at = DT_SLOT_CODE(s->slot), rec = DT_REC(s->slot), res = rec + REC_RESULT;
	uint8_t *base = region + (at - DT_CODE), *p = base;
#define HERE (at + (uint64_t)(p - base))
	p = emit_rip(p, HERE, 0, 0x48, OP_LEA, 1, REG_RSP, rec + REC_FLAGS);   /* lea rsp */
	*p++ = 0x9D;                                                          /* popfq */
	p = emit_rip(p, HERE, 0, 0x48, OP_FX, 2, 1, rec + REC_FX);           /* fxrstor64 */
	for (unsigned r = 0; r < REG_COUNT; r++)                              /* mov r, [] */
		p = emit_rip(p, HERE, 0, 0x48, OP_LOAD, 1, r, rec + r * 8);
	if (p - base != DT_PROLOGUE_LEN)
		abort();   /* the generator's RIP-relative operands rely on it */
	memcpy(p, s->code, s->len);
	p += s->len;
	for (unsigned r = 0; r < REG_COUNT; r++)                              /* mov [], r */
		p = emit_rip(p, HERE, 0, 0x48, OP_STORE, 1, r, res + r * 8);
	/* A sane RSP first: with a non-canonical one (the sequence may leave
	 * one) this host's KVM raised #UD on an STMXCSR here. */
	p = emit_rip(p, HERE, 0, 0x48, OP_LEA, 1, REG_RSP, res + REC_FLAGS + 8);
	p = emit_rip(p, HERE, 0, 0x48, OP_FX, 2, 0, rec + REC_FX_RESULT);    /* fxsave64 */
	*p++ = 0x9C;                                                          /* pushfq */
	/* mov qword [rip + mark], MARK_DONE */
	*p++ = 0x48;
	*p++ = 0xC7;
	*p++ = 0x05;
	int32_t d = (int32_t)(rec + REC_MARK - (HERE + 8));
	memcpy(p, &d, 4);
	p += 4;
	int32_t mark = MARK_DONE;
	memcpy(p, &mark, 4);
	p += 4;
	if (next) {
		*p++ = 0xE9;                                                      /* jmp next */
		d = (int32_t)(DT_SLOT_CODE(next->slot) - (HERE + 4));
		memcpy(p, &d, 4);
		p += 4;
	} else {
		*p++ = 0xE6;                                                      /* out 0xF4 */
		*p++ = PORT_DONE;
	}
#undef HERE
}

/* Writes [gpa, gpa + len) page by page, skipping pages that already hold
 * the data: on this host a userspace write to a page the guest has used
 * costs a fault on both sides (~20 us), far more than the comparison. */
static int sync_pages(struct machine *m, uint64_t gpa, const uint8_t *want, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += 0x1000) {
		uint64_t n = len - off < 0x1000 ? len - off : 0x1000;
		const uint8_t *have = gpa_map(&m->mem, gpa + off, n, false);
		if (have && !memcmp(have, want + off, n))
			continue;
		int rc = gpa_write(&m->mem, gpa + off, want + off, n);
		if (rc)
			return rc;
	}
	return 0;
}

/* Writes code, records and slot memory for the batch. */
static int env_load(struct dt_env *e, const struct dt_seq *seqs, unsigned n,
		    struct dt_result *res)
{
	struct machine *m = e->m;
	memset(e->code, 0xCC, DT_CODE_END - DT_CODE);   /* runaway code hits int3 */
	for (unsigned i = 0; i < n; i++) {
		const struct dt_seq *s = &seqs[i];
		if (s->slot >= DT_MAX_SLOTS || s->len > DT_MAX_CODE)
			return -EINVAL;
		emit_slot(e->code, s, i + 1 < n ? &seqs[i + 1] : NULL);
		uint8_t rec[DT_REC_SIZE];
		memset(rec, 0, sizeof(rec));
		memcpy(rec, s->regs, sizeof(s->regs));
		memcpy(rec + REC_FLAGS, &s->rflags, 8);
		memcpy(rec + REC_FX, s->fx, sizeof(s->fx));
		memcpy(rec + REC_FX + FX_MXCSR, &s->mxcsr, 4);
		memcpy(rec + REC_FX + FX_XMM, s->xmm, sizeof(s->xmm));
		int rc = sync_pages(m, DT_REC(s->slot), rec, sizeof(rec));
		/* The slot's memory is staged in the result, then written. */
		uint8_t *mem = res[i].mem;
		dt_fill_pattern(mem, s->seed);
		for (unsigned k = 0; k < s->npatches; k++)
			if (s->patch[k].gpa >= DT_SLOT(s->slot) &&
			    s->patch[k].gpa + 8 <= DT_SLOT(s->slot) + DT_SLOT_SIZE)
				memcpy(mem + (s->patch[k].gpa - DT_SLOT(s->slot)), &s->patch[k].value,
				       8);
		rc = rc ? rc : sync_pages(m, DT_SLOT(s->slot), mem, DT_MEM_SIZE);
		if (rc)
			return rc;
	}
	return sync_pages(m, DT_CODE, e->code, DT_CODE_END - DT_CODE);
}

/* Sets the CPL3 state that enters slot `slot`'s prologue. */
static int env_enter(struct dt_env *e, unsigned slot)
{
	uint8_t zero[64] = { 0 };
	gpa_write(&e->m->mem, DT_KSTACK_TOP - sizeof(zero), zero, sizeof(zero));
	env_base_state(e->st);
	e->st->rip = DT_SLOT_CODE(slot);
	e->st->regs[REG_RSP] = DT_RSP(slot);
	e->st->rflags = 0x202;
	return e->m->cpu->set_state(e->v, e->st);
}

/* Runs until a port write; returns the port, or a negative DT_END_*. */
static int env_go(struct dt_env *e)
{
	struct machine *m = e->m;
	atomic_store(&e->exit_port, 0);
	atomic_store(&e->v->kicked, false);
	e->wd_fired = false;
	wd_arm(e, clock_ns() + WATCHDOG_NS);
	enum vcpu_exit x = VCPU_EXIT_KICK;
	while (!atomic_load(&e->exit_port)) {
		e->runs++;
		x = m->cpu->vcpu_run(e->v);
		atomic_store(&e->v->kicked, false);
		if (x != VCPU_EXIT_KICK || e->wd_fired)
			break;
	}
	wd_arm(e, 0);
	int port = atomic_load(&e->exit_port);
	if (port)
		return port;
	return e->wd_fired ? -DT_END_TIMEOUT : x == VCPU_EXIT_SHUTDOWN ? -DT_END_SHUTDOWN :
								     -DT_END_ERROR;
}

/* Index of the sequence whose slot code holds rip, or -1. */
static int seq_at(const struct dt_seq *seqs, unsigned n, uint64_t rip)
{
	for (unsigned i = 0; i < n; i++)
		if (rip >= DT_SLOT_CODE(seqs[i].slot) &&
		    rip < DT_SLOT_CODE(seqs[i].slot) + DT_SLOT_CODE_SIZE)
			return (int)i;
	return -1;
}

/* After an exception exit: fills the result of the sequence that faulted
 * and returns its index, or -1 if the fault was outside every sequence. */
static int env_exception(struct dt_env *e, const struct dt_seq *seqs, unsigned n,
			 unsigned next, struct dt_result *res)
{
	struct machine *m = e->m;
	struct vcpu_state *st = e->st;
	if (m->cpu->get_state(e->v, st))
		return -1;
	uint64_t off = st->rip - DT_STUBS;
	if (st->rip < DT_STUBS || off >= 256 * DT_STUB_STRIDE || off % DT_STUB_STRIDE != 2)
		return -1;
	int vec = (int)(off / DT_STUB_STRIDE);
	bool has = vector_has_error(vec);
	uint64_t frame[6];
	if (gpa_read(&m->mem, DT_KSTACK_TOP - (has ? 48 : 40), frame, has ? 48 : 40))
		return -1;
	const uint64_t *f = has ? frame + 1 : frame;
	int i = seq_at(seqs, n, f[0]);
	bool away = i < 0;
	if (away && next + 1 == n)
		i = (int)next;   /* it jumped out of its slot; it was the last one left */
	if (i < 0)
		return -1;
	struct dt_result *r = &res[i];
	const struct dt_seq *s = &seqs[i];
	uint64_t start = DT_SEQ_CODE(s->slot);
	memcpy(r->regs, st->regs, sizeof(r->regs));
	r->end = DT_END_EXCEPTION;
	r->vector = vec;
	r->err = has ? frame[0] : 0;
	r->rip = f[0];
	r->cs = f[1];
	r->rflags = f[2];
	r->regs[REG_RSP] = f[3];
	r->ss = f[4];
	r->cr2 = vec == 14 ? st->cr2 : 0;
	memcpy(r->fx, st->xsave, sizeof(r->fx));     /* FXSAVE image: x87 state */
	memcpy(&r->mxcsr, st->xsave + FX_MXCSR, 4);
	memcpy(r->xmm, st->xsave + FX_XMM, sizeof(r->xmm));
	if (!away && (f[0] < start || f[0] > start + s->len))
		r->end = DT_END_ERROR;   /* the harness's own code faulted */
	return i;
}

int dt_env_run(struct dt_env *e, const struct dt_seq *seqs, unsigned n, struct dt_result *res)
{
	struct machine *m = e->m;
	if (!n)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		memset(&res[i], 0, offsetof(struct dt_result, mem));
		res[i].end = DT_END_DONE;
		res[i].vector = -1;
	}
	int rc = env_load(e, seqs, n, res);
	if (rc)
		return rc;
	unsigned next = 0;
	while (next < n) {
		rc = env_enter(e, seqs[next].slot);
		if (rc)
			return rc;
		int port = env_go(e);
		if (port == PORT_DONE)
			break;
		int i;
		if (port == PORT_EXC) {
			i = env_exception(e, seqs, n, next, res);
		} else {
			/* Lost: timeout, triple fault or backend error. */
			i = m->cpu->get_state(e->v, e->st) ? -1 : seq_at(seqs, n, e->st->rip);
			if (i >= 0)
				res[i].end = (enum dt_end)-port;
		}
		if (i < 0 || (unsigned)i < next) {
			fprintf(stderr, "difftest: %s: exit port %d at rip %#llx outside the batch\n",
				e->name, port, (unsigned long long)e->st->rip);
			for (unsigned k = next; k < n; k++)
				res[k].end = DT_END_ERROR;
			return -EPROTO;
		}
		next = (unsigned)i + 1;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dt_seq *s = &seqs[i];
		struct dt_result *r = &res[i];
		if (gpa_read(&m->mem, DT_SLOT(s->slot), r->mem, DT_MEM_SIZE))
			return -EFAULT;
		if (r->end != DT_END_DONE)
			continue;
		uint8_t rec[DT_REC_SIZE - REC_RESULT];
		if (gpa_read(&m->mem, DT_REC(s->slot) + REC_RESULT, rec, sizeof(rec)))
			return -EFAULT;
		uint64_t mark;
		memcpy(&mark, rec + REC_MARK - REC_RESULT, 8);
		if (mark != MARK_DONE) {
			r->end = DT_END_ERROR;
			continue;
		}
		memcpy(r->regs, rec, sizeof(r->regs));
		memcpy(&r->rflags, rec + REC_FLAGS, 8);
		memcpy(r->fx, rec + REC_FX_RESULT - REC_RESULT, sizeof(r->fx));
		memcpy(&r->mxcsr, rec + REC_FX_RESULT - REC_RESULT + FX_MXCSR, 4);
		memcpy(r->xmm, rec + REC_FX_RESULT - REC_RESULT + FX_XMM, sizeof(r->xmm));
		r->rip = DT_SEQ_CODE(s->slot) + s->len;
	}
	return 0;
}
