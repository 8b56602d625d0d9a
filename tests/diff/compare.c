/*
 * Comparing two results of the same sequence, field by field, with the
 * architecturally undefined flags and registers of the instruction that
 * ended it masked out (the masks come with the sequence: gen.c, case_code.S);
 * and the readable dump of a mismatch.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "difftest.h"

static const char *const reg_names[REG_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const end_names[] = { "done", "exception", "triple fault", "timeout",
					 "harness error" };

struct out {
	char *p;
	size_t left;
	int n;
};

static void say(struct out *o, const char *fmt, ...)
{
	o->n++;
	if (!o->p || o->left < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->p, o->left, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	size_t used = (size_t)w < o->left ? (size_t)w : o->left - 1;
	o->p += used;
	o->left -= used;
}

static uint64_t xmm_lo(const uint8_t *x)
{
	uint64_t v;
	memcpy(&v, x, 8);
	return v;
}

static uint64_t xmm_hi(const uint8_t *x)
{
	return xmm_lo(x + 8);
}

static void dump_xmm(FILE *f, const uint8_t (*xmm)[16], uint32_t mxcsr)
{
	fprintf(f, "    mxcsr %#x\n", mxcsr);
	for (int x = 0; x < 16; x++)
		fprintf(f, "    xmm%-2d %016llx%016llx%s", x, (unsigned long long)xmm_hi(xmm[x]),
			(unsigned long long)xmm_lo(xmm[x]), x % 2 ? "\n" : "");
}

static uint64_t fx_u64(const uint8_t *fx, unsigned off, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, fx + off, n);
	return v;
}

/* x87 state: control words, pointers, and the stack registers if any is
 * in use or nonzero. */
static void dump_fx(FILE *f, const uint8_t *fx)
{
	fprintf(f, "    fcw %04llx fsw %04llx ftw %02x fop %03llx fip %llx fdp %llx\n",
		(unsigned long long)fx_u64(fx, 0, 2), (unsigned long long)fx_u64(fx, 2, 2), fx[4],
		(unsigned long long)fx_u64(fx, 6, 2), (unsigned long long)fx_u64(fx, 8, 8),
		(unsigned long long)fx_u64(fx, 16, 8));
	bool any = fx[4] != 0;
	for (int i = 0; i < 8 && !any; i++)
		any = fx_u64(fx, 32 + 16 * i, 8) || fx_u64(fx, 40 + 16 * i, 2);
	for (int i = 0; any && i < 8; i++)
		fprintf(f, "    st%d %04llx.%016llx%s", i, (unsigned long long)fx_u64(fx, 40 + 16 * i, 2),
			(unsigned long long)fx_u64(fx, 32 + 16 * i, 8), i % 2 ? "\n" : "");
}

/* Which instruction a fault at rip belongs to: its masks apply. */
static unsigned insn_at(const struct dt_seq *s, uint64_t rip)
{
	uint64_t off = rip - DT_SEQ_CODE(s->slot);
	for (unsigned k = 0; k < s->ninsns; k++)
		if (s->off[k] == off)
			return k;
	return s->ninsns;
}

int dt_compare(const struct dt_seq *s, const struct dt_result *a, const struct dt_result *b,
	       char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	if (buf && len)
		buf[0] = 0;
	if (a->end != b->end) {
		say(&o, "  end: %s vs %s\n", end_names[a->end], end_names[b->end]);
		if (a->end == DT_END_EXCEPTION || b->end == DT_END_EXCEPTION)
			say(&o, "  vector: %d vs %d\n", a->vector, b->vector);
		return o.n;
	}
	if (a->end != DT_END_DONE && a->end != DT_END_EXCEPTION)
		return o.n;
	unsigned k = a->end == DT_END_EXCEPTION ? insn_at(s, a->rip) : s->ninsns;
	uint32_t fmask = s->undef_flags[k];
	uint16_t rmask = s->undef_regs[k];
	if (a->end == DT_END_EXCEPTION) {
		if (a->vector != b->vector)
			say(&o, "  vector: %d vs %d\n", a->vector, b->vector);
		if (a->err != b->err)
			say(&o, "  error code: %#llx vs %#llx\n", (unsigned long long)a->err,
			    (unsigned long long)b->err);
		if (a->rip != b->rip)
			say(&o, "  rip: %#llx vs %#llx\n", (unsigned long long)a->rip,
			    (unsigned long long)b->rip);
		if (a->cs != b->cs || a->ss != b->ss)
			say(&o, "  cs/ss: %#llx/%#llx vs %#llx/%#llx\n", (unsigned long long)a->cs,
			    (unsigned long long)a->ss, (unsigned long long)b->cs,
			    (unsigned long long)b->ss);
		if (a->vector == 14 && a->cr2 != b->cr2)
			say(&o, "  cr2: %#llx vs %#llx\n", (unsigned long long)a->cr2,
			    (unsigned long long)b->cr2);
	}
	uint64_t fa = a->rflags & ~(uint64_t)fmask, fb = b->rflags & ~(uint64_t)fmask;
	if (fa != fb)
		say(&o, "  rflags: %#llx vs %#llx (differ %#llx, undefined here %#x)\n",
		    (unsigned long long)a->rflags, (unsigned long long)b->rflags,
		    (unsigned long long)(fa ^ fb), fmask);
	for (int r = 0; r < REG_COUNT; r++)
		if (!(rmask & (1u << r)) && a->regs[r] != b->regs[r])
			say(&o, "  %s: %#llx vs %#llx\n", reg_names[r], (unsigned long long)a->regs[r],
			    (unsigned long long)b->regs[r]);
	if (a->mxcsr != b->mxcsr)
		say(&o, "  mxcsr: %#x vs %#x\n", a->mxcsr, b->mxcsr);
	for (int x = 0; x < 16; x++)
		if (memcmp(a->xmm[x], b->xmm[x], 16))
			say(&o, "  xmm%d: %016llx%016llx vs %016llx%016llx\n", x,
			    (unsigned long long)xmm_hi(a->xmm[x]), (unsigned long long)xmm_lo(a->xmm[x]),
			    (unsigned long long)xmm_hi(b->xmm[x]), (unsigned long long)xmm_lo(b->xmm[x]));
	static const struct { const char *name; unsigned off, n; } fxf[] = {
		{ "fcw", 0, 2 }, { "fsw", 2, 2 }, { "ftw", 4, 1 }, { "fop", 6, 2 },
		{ "fip", 8, 8 }, { "fdp", 16, 8 },
	};
	/* This host (AMD) stores FOP, FIP and FDP only while an unmasked
	 * exception is pending (FSW.ES); the emulator's model (Intel) always
	 * does: they are compared when the oracle shows ES (README.md). */
	unsigned nfx = (a->fx[2] & 0x80) ? 6 : 3;
	for (unsigned i = 0; i < nfx; i++)
		if (memcmp(a->fx + fxf[i].off, b->fx + fxf[i].off, fxf[i].n))
			say(&o, "  %s: %#llx vs %#llx\n", fxf[i].name,
			    (unsigned long long)fx_u64(a->fx, fxf[i].off, fxf[i].n),
			    (unsigned long long)fx_u64(b->fx, fxf[i].off, fxf[i].n));
	for (int i = 0; i < 8; i++)
		if (memcmp(a->fx + 32 + 16 * i, b->fx + 32 + 16 * i, 10))
			say(&o, "  st%d/mm%d: %04llx.%016llx vs %04llx.%016llx\n", i, i,
			    (unsigned long long)fx_u64(a->fx, 40 + 16 * i, 2),
			    (unsigned long long)fx_u64(a->fx, 32 + 16 * i, 8),
			    (unsigned long long)fx_u64(b->fx, 40 + 16 * i, 2),
			    (unsigned long long)fx_u64(b->fx, 32 + 16 * i, 8));
	/* Memory: report differing runs of bytes, at most 8 of them. */
	int runs = 0;
	for (size_t i = 0; i < DT_MEM_SIZE; i++) {
		if (a->mem[i] == b->mem[i])
			continue;
		size_t j = i;
		while (j < DT_MEM_SIZE && j - i < 16 && a->mem[j] != b->mem[j])
			j++;
		if (++runs <= 8) {
			char ha[40] = "", hb[40] = "";
			for (size_t x = i; x < j; x++) {
				snprintf(ha + 2 * (x - i), 3, "%02x", a->mem[x]);
				snprintf(hb + 2 * (x - i), 3, "%02x", b->mem[x]);
			}
			say(&o, "  memory %#llx: %s vs %s\n",
			    (unsigned long long)(DT_SLOT(s->slot) + i), ha, hb);
		} else {
			o.n++;
		}
		i = j;
	}
	if (runs > 8)
		say(&o, "  ... %d more differing memory runs\n", runs - 8);
	return o.n;
}

static void disassemble(FILE *f, const struct dt_seq *s)
{
	char path[] = "/tmp/nyx-difftest-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return;
	ssize_t w = write(fd, s->code, s->len);
	close(fd);
	if (w == (ssize_t)s->len) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd),
			 "objdump -D -b binary -m i386:x86-64 -M intel --adjust-vma=%#llx %s 2>/dev/null"
			 " | sed -n '/<.data>:/,$p' | tail -n +2",
			 (unsigned long long)DT_SEQ_CODE(s->slot), path);
		FILE *p = popen(cmd, "r");
		if (p) {
			char line[256];
			while (fgets(line, sizeof(line), p))
				fprintf(f, "   %s", line);
			pclose(p);
		}
	}
	unlink(path);
}

void dt_print(FILE *f, const struct dt_seq *s)
{
	fprintf(f, "%s (slot %u):\n", s->name, s->slot);
	disassemble(f, s);
}

static void dump_result(FILE *f, const char *name, const struct dt_result *r)
{
	fprintf(f, "  %s: %s", name, end_names[r->end]);
	if (r->vector >= 0)
		fprintf(f, " vector %d error %#llx at rip %#llx cr2 %#llx", r->vector,
			(unsigned long long)r->err, (unsigned long long)r->rip,
			(unsigned long long)r->cr2);
	fprintf(f, "\n    rflags %#llx\n", (unsigned long long)r->rflags);
	for (int i = 0; i < REG_COUNT; i++)
		fprintf(f, "    %-3s %016llx%s", reg_names[i], (unsigned long long)r->regs[i],
			i % 4 == 3 ? "\n" : "");
	dump_xmm(f, r->xmm, r->mxcsr);
	dump_fx(f, r->fx);
}

void dt_dump(FILE *f, const struct dt_seq *s, const char *na, const struct dt_result *a,
	     const char *nb, const struct dt_result *b, const char *diffs)
{
	if (s->group[0])
		fprintf(f, "MISMATCH %s (hand-picked, group %s)\n  bytes:", s->name, s->group);
	else
		fprintf(f, "MISMATCH %s (random #%u, slot %u)\n  bytes:", s->name, s->index, s->slot);
	for (unsigned i = 0; i < s->len; i++)
		fprintf(f, " %02x", s->code[i]);
	fprintf(f, "\n");
	disassemble(f, s);
	fprintf(f, "  initial: rflags %#llx\n", (unsigned long long)s->rflags);
	for (int i = 0; i < REG_COUNT; i++)
		fprintf(f, "    %-3s %016llx%s", reg_names[i], (unsigned long long)s->regs[i],
			i % 4 == 3 ? "\n" : "");
	dump_xmm(f, s->xmm, s->mxcsr);
	dump_fx(f, s->fx);
	dump_result(f, na, a);
	dump_result(f, nb, b);
	fprintf(f, "  differences (%s vs %s):\n%s", na, nb, diffs);
}
