/*
 * NYX_EMU_JIT_STATS: which instruction forms translated code still runs
 * through a handler, weighted by how often each call site runs. With the
 * variable set, every handler call the JIT emits is preceded by an
 * increment of its form's counter (one per vCPU, hanging off its struct
 * emu_jit); at vCPU teardown the busiest forms are printed on stderr.
 * Off (the default) nothing is allocated and translation pays one
 * predicted branch per call site.
 *
 * It also counts the entries into each translation and prints the busiest
 * blocks with their guest bytes.
 *
 * A form is (opcode, ModRM.reg for the group opcodes, prefix F3/F2/VEX,
 * operand size, register or memory operand). An inline form shows up only
 * through its slow path (TLB miss, page crossing, non-canonical address).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/emu/jit_priv.h"

/* Key layout: bits 0 mem, 1-2 size (0: 16, 1: 32, 2: 64 bit), 3-5 group
 * /digit, 6-7 prefix (0 none, 1 F3, 2 F2, 3 VEX), 8-17 opcode (0x000-0x1ff
 * one- and two-byte maps, 0x200+op3 the 0F 38 map, 0x300+op3 0F 3A). */
#define STATS_KEYS (1u << 18)

/* A translation and how often its code was entered (directly or chained). */
struct jit_stats_blk {
	struct jit_stats_blk *next;
	uint64_t runs;
	uint64_t rip;            /* linear address of its first instruction */
	uint8_t ninsn, nbytes;
	uint8_t bytes[EMU_BLOCK_BYTES];
};

static bool stats_group_op(unsigned op)
{
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83: case 0x8f:
	case 0xc0: case 0xc1: case 0xc6: case 0xc7:
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
	case 0x100: case 0x101: case 0x1ba: case 0x1c7:
		return true;
	default:
		return false;
	}
}

static unsigned stats_key(const struct emu_insn *in)
{
	unsigned op = in->op;
	if (op == 0x138)
		op = 0x200 | in->op3;
	else if (op == 0x13a)
		op = 0x300 | in->op3;
	unsigned pfx = in->vex ? 3 : in->rep == 0xf3 ? 1 : in->rep == 0xf2 ? 2 : 0;
	unsigned sub = in->has_modrm && stats_group_op(in->op) ? in->reg & 7 : 0;
	unsigned sz = in->opsize == 2 ? 0 : in->opsize == 8 ? 2 : 1;
	bool mem = in->has_modrm && in->mod != 3;
	return (op & 0x3ff) << 8 | pfx << 6 | sub << 3 | sz << 1 | (mem ? 1u : 0u);
}

void jit_stats_open(struct emu_jit *jit)
{
	const char *env = getenv("NYX_EMU_JIT_STATS");
	if (!env || !*env || !strcmp(env, "0"))
		return;
	/* counters, then an example guest address per form */
	jit->stats = calloc(2 * (size_t)STATS_KEYS, sizeof(*jit->stats));
	unsigned long top = strtoul(env, NULL, 10);
	jit->stats_top = top > 1 ? (unsigned)top : 40;
}

void jit_stats_emit(struct jbuf *j, const struct emu_insn *in, int32_t off)
{
	if (__builtin_expect(!j->stats, 1))
		return;
	unsigned key = stats_key(in);
	uint64_t *ctr = &j->stats[key];
	if (j->blk_runs) {
		const struct jit_stats_blk *r = (const void *)((const char *)j->blk_runs -
							       offsetof(struct jit_stats_blk, runs));
		j->stats[STATS_KEYS + key] = r->rip + (uint64_t)(int64_t)off;
	}
	j->rax_fresh = false;
	b1(j, 0x48); b1(j, 0xb8); b8(j, (uint64_t)(uintptr_t)ctr);   /* mov rax, ctr */
	b1(j, 0x48); b1(j, 0xff); b1(j, 0x00);                       /* inc qword [rax] */
}

uint64_t *jit_stats_block(struct emu_jit *jit, struct emu_cpu *cpu, const struct emu_block *b)
{
	if (__builtin_expect(!jit->stats, 1))
		return NULL;
	struct jit_stats_blk *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->rip = cpu->rip;
	r->ninsn = b->ninsn;
	r->nbytes = b->nbytes;
	memcpy(r->bytes, b->bytes, b->nbytes);
	r->next = jit->stats_blks;
	jit->stats_blks = r;
	return &r->runs;
}

void jit_stats_emit_block(struct jbuf *j)
{
	if (__builtin_expect(!j->blk_runs, 1))
		return;
	b1(j, 0x48); b1(j, 0xb8); b8(j, (uint64_t)(uintptr_t)j->blk_runs);   /* mov rax, ctr */
	b1(j, 0x48); b1(j, 0xff); b1(j, 0x00);                              /* inc qword [rax] */
	j->rax_fresh = false;
}

static int blk_cmp(const void *a, const void *b)
{
	const struct jit_stats_blk *x = *(struct jit_stats_blk *const *)a;
	const struct jit_stats_blk *y = *(struct jit_stats_blk *const *)b;
	uint64_t wx = x->runs * x->ninsn, wy = y->runs * y->ninsn;
	return wx < wy ? 1 : wx > wy ? -1 : 0;
}

/* The busiest translations by instructions run (runs x instructions, an
 * upper bound: a block left early counts whole), with their guest bytes
 * for a disassembler (e.g. xxd -r -p | objdump -b binary -m i386:x86-64 -D). */
static void stats_print_blocks(struct emu_jit *jit, uint64_t icount)
{
	size_t n = 0;
	for (struct jit_stats_blk *r = jit->stats_blks; r; r = r->next)
		n++;
	struct jit_stats_blk **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (struct jit_stats_blk *r = jit->stats_blks; r; r = r->next)
		v[n++] = r;
	qsort(v, n, sizeof(*v), blk_cmp);
	unsigned top = jit->stats_top < 20 ? jit->stats_top : 20;
	fprintf(stderr, "jit stats: %zu translations; the busiest by runs x instructions:\n", n);
	for (size_t i = 0; i < n && i < top && v[i]->runs; i++) {
		struct jit_stats_blk *r = v[i];
		fprintf(stderr, "%14llu runs  %5.2f%%  rip %llx  %u insns:", (unsigned long long)r->runs,
			icount ? 100.0 * (double)(r->runs * r->ninsn) / (double)icount : 0.0,
			(unsigned long long)r->rip, r->ninsn);
		for (unsigned k = 0; k < r->nbytes; k++)
			fprintf(stderr, " %02x", r->bytes[k]);
		fprintf(stderr, "\n");
	}
	free(v);
}

/* Does opcode op (key space) work on bytes whatever the operand size? */
static bool stats_byte_op(unsigned op)
{
	if (op < 0x40)
		return (op & 7) == 0 || (op & 7) == 2 || (op & 7) == 4;
	switch (op) {
	case 0x80: case 0x82: case 0x84: case 0x86: case 0x88: case 0x8a:
	case 0xa0: case 0xa2: case 0xa4: case 0xa6: case 0xa8: case 0xaa: case 0xac: case 0xae:
	case 0xc0: case 0xc6: case 0xd0: case 0xd2: case 0xf6: case 0xfe:
	case 0x1b0: case 0x1c0:
		return true;
	default:
		return (op >= 0xb0 && op <= 0xb7) || (op >= 0x190 && op <= 0x19f);
	}
}

struct stats_row {
	uint64_t n;
	unsigned key;
};

static int stats_cmp(const void *a, const void *b)
{
	const struct stats_row *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : (int)x->key - (int)y->key;
}

void jit_stats_print(struct emu_cpu *cpu, struct emu_jit *jit)
{
	if (!jit->stats)
		return;
	size_t nrow = 0;
	uint64_t total = 0;
	for (unsigned k = 0; k < STATS_KEYS; k++) {
		if (jit->stats[k]) {
			nrow++;
			total += jit->stats[k];
		}
	}
	struct stats_row *rows = calloc(nrow ? nrow : 1, sizeof(*rows));
	if (!rows)
		return;
	nrow = 0;
	for (unsigned k = 0; k < STATS_KEYS; k++)
		if (jit->stats[k])
			rows[nrow++] = (struct stats_row){ jit->stats[k], k };
	qsort(rows, nrow, sizeof(*rows), stats_cmp);
	fprintf(stderr, "jit stats, vCPU %u: %llu handler calls from translated code, "
		"%llu guest instructions in all, %zu forms\n", cpu->index,
		(unsigned long long)total, (unsigned long long)cpu->icount, nrow);
	fprintf(stderr, "%14s %6s  %-12s %-4s %-4s %-6s %s\n", "calls", "%", "opcode", "size",
		"rm", "prefix", "e.g. at");
	static const char *const pfx[4] = { "", "F3", "F2", "VEX" };
	static const char *const sz[3] = { "16", "32", "64" };
	for (size_t i = 0; i < nrow && i < jit->stats_top; i++) {
		unsigned k = rows[i].key, op = k >> 8;
		char name[16];
		if (op >= 0x300)
			snprintf(name, sizeof(name), "0f3a %02x", op & 0xff);
		else if (op >= 0x200)
			snprintf(name, sizeof(name), "0f38 %02x", op & 0xff);
		else if (op >= 0x100)
			snprintf(name, sizeof(name), "0f %02x", op & 0xff);
		else
			snprintf(name, sizeof(name), "%02x", op);
		if (op < 0x200 && stats_group_op(op)) {
			size_t l = strlen(name);
			snprintf(name + l, sizeof(name) - l, " /%u", (k >> 3) & 7);
		}
		fprintf(stderr, "%14llu %6.2f  %-12s %-4s %-4s %-6s %llx\n",
			(unsigned long long)rows[i].n, 100.0 * (double)rows[i].n / (double)total,
			name, op < 0x200 && stats_byte_op(op) ? "8" : sz[(k >> 1) & 3],
			k & 1 ? "mem" : "reg", pfx[(k >> 6) & 3],
			(unsigned long long)jit->stats[STATS_KEYS + k]);
	}
	free(rows);
	stats_print_blocks(jit, cpu->icount);
}

void jit_stats_close(struct emu_jit *jit)
{
	free(jit->stats);
	jit->stats = NULL;
	while (jit->stats_blks) {
		struct jit_stats_blk *r = jit->stats_blks;
		jit->stats_blks = r->next;
		free(r);
	}
}
