/*
 * Nyx language internals: the lexer's newline/continuation rule and number
 * forms, the embedding API (nyx_run_string, error messages), and the
 * collector actually freeing garbage while keeping live values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lang/interp.h"
#include "lang/lex.h"

static int lex_kinds(const char *src, enum tok_kind *out, int max)
{
	struct lexer lx;
	struct token t;
	int n = 0;

	lex_init(&lx, src, strlen(src));
	do {
		lex_next(&lx, &t);
		if (n < max)
			out[n] = t.kind;
		n++;
	} while (t.kind != TK_EOF && t.kind != TK_ERROR);
	lex_free(&lx);
	return n;
}

TEST(lang_lex_chain_continues_across_comments_and_blank_lines)
{
	enum tok_kind k[16];
	int n = lex_kinds("a\n  .b  # note\n\n  # only a comment\n .c\nd", k, 16);

	/* a . b . c NEWLINE d EOF: no newline before a leading '.' */
	REQUIRE(n == 8);
	CHECK_EQ(k[0], TK_IDENT);
	CHECK_EQ(k[1], TK_DOT);
	CHECK_EQ(k[2], TK_IDENT);
	CHECK_EQ(k[3], TK_DOT);
	CHECK_EQ(k[4], TK_IDENT);
	CHECK_EQ(k[5], TK_NEWLINE);
	CHECK_EQ(k[6], TK_IDENT);
	CHECK_EQ(k[7], TK_EOF);
}

TEST(lang_lex_numbers)
{
	struct lexer lx;
	struct token t;
	const char *src = "0xFFFFFFFFFFFFFFFF 1_000 2.5e2 0x1_0";

	lex_init(&lx, src, strlen(src));
	lex_next(&lx, &t);
	CHECK_EQ(t.kind, TK_INT);
	CHECK(t.ival == -1);
	lex_next(&lx, &t);
	CHECK(t.kind == TK_INT && t.ival == 1000);
	lex_next(&lx, &t);
	CHECK(t.kind == TK_FLOAT && t.fval == 250.0);
	lex_next(&lx, &t);
	CHECK(t.kind == TK_INT && t.ival == 16);
	lex_free(&lx);
}

static int run_capture(const char *src, char *out, size_t outlen, char *err, size_t errlen)
{
	struct nyx *I = nyx_new();
	FILE *f = tmpfile();
	int rc;
	size_t n;

	if (!I || !f)
		return -100;
	I->out = f;
	rc = nyx_run_string(I, "t.ny", src, strlen(src));
	snprintf(err, errlen, "%s", rc ? I->errmsg : "");
	fflush(f);
	rewind(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = 0;
	fclose(f);
	nyx_free(I);
	return rc;
}

TEST(lang_run_string_output_and_errors)
{
	char out[256], err[256];

	CHECK_EQ(run_capture("print(-2**2, 7/2, \"n=\" + 0x10)", out, sizeof(out), err,
			     sizeof(err)), 0);
	CHECK_STR(out, "-4 3 n=16\n");
	CHECK_EQ(run_capture("x = 1\nprint(x)\ny = nope + 1\n", out, sizeof(out), err,
			     sizeof(err)), 1);
	CHECK_STR(out, "1\n");
	CHECK_STR(err, "t.ny:3:5: undefined variable 'nope'");
	CHECK_EQ(run_capture("f(", out, sizeof(out), err, sizeof(err)), 1);
	CHECK_STR(err, "t.ny:1:3: unexpected end of file, expected an expression");
}

static size_t count_objects(struct nyx *I)
{
	size_t n = 0;

	for (struct gc_hdr *h = I->objects; h; h = h->next)
		n++;
	return n;
}

TEST(lang_gc_frees_garbage_and_keeps_live_values)
{
	struct nyx *I = nyx_new();
	FILE *f = tmpfile();
	size_t before, after;
	char out[64];
	size_t n;
	const char *src =
		"keep = {\"list\": [1, 2, 3], \"f\": fn(x) { return x * 2 }}\n"
		"i = 0\n"
		"while (i < 1000) { tmp = [i, \"s\" + i, {\"k\": i}]; i += 1 }\n";

	REQUIRE(I && f);
	I->out = f;
	CHECK_EQ(nyx_run_string(I, "gc.ny", src, strlen(src)), 0);
	before = count_objects(I);
	gc_collect(I);
	after = count_objects(I);
	/* 1000 iterations left 4 garbage objects each (array, map, two strings). */
	if (!(before > after + 3500)) fprintf(stderr, "before %zu after %zu\n", before, after);
	CHECK(before > after + 3500);
	/* Live values survived the collection and still work. */
	CHECK_EQ(nyx_run_string(I, "gc2.ny", "print(keep.list, keep.f(21))", 28), 0);
	fflush(f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	CHECK_STR(out, "[1, 2, 3] 42\n");
	fclose(f);
	nyx_free(I);
}
