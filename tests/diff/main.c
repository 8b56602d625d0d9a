/*
 * build/tests/difftest: runs the hand-picked cases and a fixed-seed run of
 * random sequences on KVM (the oracle: the host CPU) and on the emulator,
 * compares every result and prints a dump for each mismatch, then
 * `diff: N passed, N failed[, N pending]`.
 *
 * Without the emulator backend built in, the second machine is another KVM
 * machine: that checks the harness itself (both runs must agree exactly).
 * Mismatches of sequences that use a template or case group listed in
 * EMU_PENDING (instructions the emulator does not pass yet) are counted as
 * pending, never as passed; the layer fails on any other mismatch.
 */
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "difftest.h"

#define MAX_PENDING 256

struct opts {
	uint64_t seed;
	unsigned count, batch, max_dumps, print, self_check, skip;
	bool cases, verbose;
	const char *pending_file, *a, *b, *only;
};

struct pending {
	char names[MAX_PENDING][32];
	unsigned n;
	unsigned seen[MAX_PENDING], bad[MAX_PENDING];
};

struct stats {
	unsigned passed, failed, pending, dumps;
	uint64_t ns_a, ns_b;
	/* Per template: sequences that used it, mismatches among them. */
	unsigned tmpl_seen[128], tmpl_bad[128];
};

static int pending_load(struct pending *p, const char *path)
{
	p->n = 0;
	if (!path)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "difftest: cannot open the pending list %s\n", path);
		return -1;
	}
	char line[256];
	while (fgets(line, sizeof(line), f) && p->n < MAX_PENDING) {
		char *h = strchr(line, '#');
		if (h)
			*h = 0;
		char *w = strtok(line, " \t\r\n");
		if (w)
			snprintf(p->names[p->n++], sizeof(p->names[0]), "%s", w);
	}
	fclose(f);
	return 0;
}

/* Is word `w` one of the space-separated words of `list`? */
static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}

/* Index of the pending entry the sequence uses (or `key`, a behaviour
 * that cuts across instructions), or -1. */
static int pending_match(const struct pending *p, const struct dt_seq *s, const char *key)
{
	for (unsigned i = 0; i < p->n; i++)
		if (has_word(s->group[0] ? s->group : s->name, p->names[i]) ||
		    (key && !strcmp(key, p->names[i])))
			return (int)i;
	return -1;
}

#define RFLAGS_RF 0x10000ULL

/* Kinds of mismatch that cut across instructions, so that EMU_PENDING can
 * name them (README.md): only RF in an exception frame; additionally only
 * CR2 of a page fault; additionally #SS reported as #GP. NULL if the
 * mismatch is none of these. */
static const char *mismatch_kind(const struct dt_seq *s, const struct dt_result *a,
				 const struct dt_result *b)
{
	static struct dt_result t;
	if (a->end != DT_END_EXCEPTION || b->end != DT_END_EXCEPTION)
		return NULL;
	t = *b;
	t.rflags = (t.rflags & ~RFLAGS_RF) | (a->rflags & RFLAGS_RF);
	if (!dt_compare(s, a, &t, NULL, 0))
		return "exception-rf";
	t.cr2 = a->cr2;
	if (a->vector == 14 && !dt_compare(s, a, &t, NULL, 0))
		return "pf-cr2";
	t.vector = a->vector;
	if (a->vector == 12 && b->vector == 13 && !dt_compare(s, a, &t, NULL, 0))
		return "ss-as-gp";
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: difftest [--seed N] [--count N] [--batch N] [--no-cases] [--only NAME]\n"
		"                [--pending FILE] [--a kvm] [--b emu|kvm] [--max-dumps N] [-v]\n"
		"                [--print N]   (disassemble the first N random sequences)\n"
		"                [--self-check N]  (first N sequences on a second oracle machine)\n"
		"                [--skip N]    (generate but do not run the first N batches' worth)\n"
		"  Runs hand-picked and random instruction sequences at CPL3 on backend a\n"
		"  (the oracle, KVM) and b (the emulator; KVM again if it is not built in)\n"
		"  and compares registers, flags, faults and memory.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seed = 1, .count = 20000, .batch = DT_MAX_SLOTS, .max_dumps = 30,
			    .cases = true, .a = "kvm", .b = NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-cases")) {
			o->cases = false;
		} else if (!strcmp(a, "-v")) {
			o->verbose = true;
		} else if (v && !strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--count")) {
			o->count = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--batch")) {
			o->batch = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--skip")) {
			o->skip = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--self-check")) {
			o->self_check = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--print")) {
			o->print = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--max-dumps")) {
			o->max_dumps = (unsigned)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--pending")) {
			o->pending_file = v, i++;
		} else if (v && !strcmp(a, "--only")) {
			o->only = v, i++;
		} else if (v && !strcmp(a, "--a")) {
			o->a = v, i++;
		} else if (v && !strcmp(a, "--b")) {
			o->b = v, i++;
		} else {
			usage();
			return -1;
		}
	}
	if (o->batch < 1 || o->batch > DT_MAX_SLOTS) {
		fprintf(stderr, "difftest: --batch must be 1..%d\n", DT_MAX_SLOTS);
		return -1;
	}
	return 0;
}

static int template_index(const char *word)
{
	for (unsigned i = 0; i < dt_gen_ntemplates(); i++)
		if (!strcmp(dt_gen_template_name(i), word))
			return (int)i;
	return -1;
}

/* Compares one sequence's two results and does the bookkeeping. */
static void judge(const struct opts *o, struct stats *st, struct pending *pd, bool emu,
		  const struct dt_seq *s, const char *na, const struct dt_result *a, const char *nb,
		  const struct dt_result *b)
{
	static char diffs[8192];
	int n = dt_compare(s, a, b, diffs, sizeof(diffs));
	bool harness = a->end == DT_END_ERROR || b->end == DT_END_ERROR ||
		       (a->end == DT_END_TIMEOUT && b->end == DT_END_TIMEOUT);
	if (harness && !n) {
		n = 1;
		snprintf(diffs, sizeof(diffs), "  the harness lost this sequence on both sides\n");
	}
	int pi = emu ? pending_match(pd, s, n ? mismatch_kind(s, a, b) : NULL) : -1;
	if (pi >= 0) {
		pd->seen[pi]++;
		if (n)
			pd->bad[pi]++;
	}
	bool pend = n && pi >= 0 && !harness;
	if (!s->group[0]) {
		char words[sizeof(s->name)];
		snprintf(words, sizeof(words), "%s", s->name);
		for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
			int t = template_index(w);
			if (t >= 0 && t < 128) {
				st->tmpl_seen[t]++;
				st->tmpl_bad[t] += n && !pend;
			}
		}
	}
	if (!n) {
		st->passed++;
		return;
	}
	if (pend) {
		st->pending++;
		if (o->verbose)
			dt_dump(stdout, s, na, a, nb, b, diffs);
		return;
	}
	st->failed++;
	if (st->dumps++ < o->max_dumps)
		dt_dump(stdout, s, na, a, nb, b, diffs);
}

static int run_batch(struct dt_env *ea, struct dt_env *eb, const struct dt_seq *seqs,
		     unsigned n, struct dt_result *ra, struct dt_result *rb, struct stats *st)
{
	uint64_t t0 = clock_ns();
	int rc = dt_env_run(ea, seqs, n, ra);
	uint64_t t1 = clock_ns();
	int rcb = dt_env_run(eb, seqs, n, rb);
	uint64_t t2 = clock_ns();
	st->ns_a += t1 - t0;
	st->ns_b += t2 - t1;
	if (rc || rcb)
		fprintf(stdout, "difftest: batch of %u starting with '%s': harness error %s=%d %s=%d\n",
			n, seqs[0].name, dt_env_name(ea), rc, dt_env_name(eb), rcb);
	return rc ? rc : rcb;
}

/* `count` random sequences from `seed`, in batches, on both machines. */
static void run_random(const struct opts *o, struct stats *st, struct pending *pd, bool emu,
		       struct dt_env *ea, const char *na, struct dt_env *eb, const char *nb,
		       uint64_t seed, unsigned count, struct dt_seq *seqs, struct dt_result *ra,
		       struct dt_result *rb)
{
	struct dt_rng rng = { seed };
	unsigned done = 0;
	while (done < count) {
		unsigned n = count - done < o->batch ? count - done : o->batch;
		for (unsigned i = 0; i < n; i++) {
			memset(&seqs[i], 0, sizeof(seqs[i]));
			seqs[i].slot = i;
			dt_gen_seq(&rng, &seqs[i]);
			seqs[i].index = done + i;
			if (emu && done + i < o->print)
				dt_print(stdout, &seqs[i]);
		}
		if (done < o->skip && emu) {
			done += n;
			continue;
		}
		int rc = run_batch(ea, eb, seqs, n, ra, rb, st);
		for (unsigned i = 0; i < n; i++) {
			if (o->only && !has_word(seqs[i].name, o->only))
				continue;
			if (rc && ra[i].end == DT_END_DONE && rb[i].end == DT_END_DONE)
				continue;   /* completed before the harness lost the batch */
			judge(o, st, pd, emu, &seqs[i], na, &ra[i], nb, &rb[i]);
		}
		done += n;
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse(argc, argv, &o))
		return 2;
	static struct pending pd;
	static struct stats st;
	if (pending_load(&pd, o.pending_file))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	char err[256];
	struct dt_env *ea = dt_env_create(o.a, err, sizeof(err));
	if (!ea) {
		printf("difftest: the oracle backend is not usable: %s\n", err);
		printf("diff: 0 passed, 0 failed (nothing run: no oracle)\n");
		return 0;
	}
	const char *bname = o.b ? o.b : "emu";
	struct dt_env *eb = dt_env_create(bname, err, sizeof(err));
	if (!eb && !o.b) {
		printf("difftest: %s; comparing %s with a second %s machine (harness check)\n",
		       err, o.a, o.a);
		bname = o.a;
		eb = dt_env_create(bname, err, sizeof(err));
	}
	if (!eb) {
		printf("difftest: backend %s: %s\n", bname, err);
		dt_env_destroy(ea);
		return 2;
	}
	bool emu = !strcmp(bname, "emu");
	char na[16], nb[16];
	snprintf(na, sizeof(na), "%s", o.a);
	snprintf(nb, sizeof(nb), "%s%s", bname, strcmp(o.a, bname) ? "" : "#2");

	struct dt_seq *seqs = calloc(DT_MAX_SLOTS, sizeof(*seqs));
	struct dt_result *ra = calloc(DT_MAX_SLOTS, sizeof(*ra));
	struct dt_result *rb = calloc(DT_MAX_SLOTS, sizeof(*rb));
	if (!seqs || !ra || !rb) {
		printf("difftest: out of memory\n");
		return 2;
	}
	unsigned ncases = 0;
	if (o.cases) {
		for (unsigned i = 0; i < dt_cases_count(); i++) {
			if (dt_cases_get(i, &seqs[0]))
				continue;
			if (o.only && !strstr(seqs[0].name, o.only) && strcmp(seqs[0].group, o.only))
				continue;
			ncases++;
			if (run_batch(ea, eb, seqs, 1, ra, rb, &st) && ra[0].end != DT_END_ERROR &&
			    rb[0].end != DT_END_ERROR)
				ra[0].end = DT_END_ERROR;
			judge(&o, &st, &pd, emu, &seqs[0], na, &ra[0], nb, &rb[0]);
		}
	}
	if (emu && o.self_check) {
		/* The harness itself: a second KVM machine must agree exactly. */
		struct dt_env *ec = dt_env_create(o.a, err, sizeof(err));
		if (!ec) {
			printf("difftest: self-check: second %s machine: %s\n", o.a, err);
			st.failed++;
		} else {
			char nc[20];
			snprintf(nc, sizeof(nc), "%s#2", o.a);
			run_random(&o, &st, &pd, false, ea, na, ec, nc, o.seed ^ 0x5E1F, o.self_check,
				   seqs, ra, rb);
			dt_env_destroy(ec);
		}
	}
	run_random(&o, &st, &pd, emu, ea, na, eb, nb, o.seed, o.count, seqs, ra, rb);

	printf("difftest: %u hand-picked cases, %u random sequences (seed %llu) on %s and %s\n",
	       ncases, o.count, (unsigned long long)o.seed, na, nb);
	if (emu && o.self_check)
		printf("difftest: harness self-check: %u random sequences on two %s machines\n",
		       o.self_check, o.a);
	printf("difftest: time %s %.2f s (%llu runs), %s %.2f s (%llu runs)\n", na, st.ns_a / 1e9,
	       (unsigned long long)dt_env_runs(ea), nb, st.ns_b / 1e9,
	       (unsigned long long)dt_env_runs(eb));
	for (unsigned t = 0; t < dt_gen_ntemplates() && t < 128; t++)
		if (st.tmpl_bad[t])
			printf("difftest: template %-8s failed in %u of %u sequences\n",
			       dt_gen_template_name(t), st.tmpl_bad[t], st.tmpl_seen[t]);
	if (emu)
		for (unsigned i = 0; i < pd.n; i++)
			if (pd.seen[i] && !pd.bad[i])
				printf("difftest: pending '%s' passed all %u of its sequences: "
				       "remove it from EMU_PENDING\n", pd.names[i], pd.seen[i]);
	if (st.failed > st.dumps || st.dumps > o.max_dumps)
		printf("difftest: %u mismatches not dumped (--max-dumps)\n",
		       st.failed > o.max_dumps ? st.failed - o.max_dumps : 0);
	printf("diff: %u passed, %u failed", st.passed, st.failed);
	if (emu)
		printf(", %u pending (known emulator gaps, tests/diff/EMU_PENDING)", st.pending);
	printf("\n");
	free(seqs);
	free(ra);
	free(rb);
	dt_env_destroy(eb);
	dt_env_destroy(ea);
	return st.failed ? 1 : 0;
}
