/*
 * Nyx operators. Integers are 64-bit two's complement and wrap on overflow
 * (like the registers they usually describe); an int meeting a float
 * becomes a float; int / int and int % int truncate toward zero and raise
 * on a zero divisor. `+` with a string on either side concatenates the
 * other operand's printed form. `map - map` subtracts numeric values key by
 * key (counter deltas); `array + array` concatenates; `string * int`
 * repeats.
 */
#include <math.h>
#include <string.h>

#include "lang/lex.h"
#include "lang/ops.h"

static const char *op_text(int op)
{
	return tok_name(op);
}

static __attribute__((noreturn)) void bad_operands(struct nyx *I, const struct node *n, int op,
						   struct value a, struct value b)
{
	nyx_raise_at(I, n, "unsupported operand types for %s: %s and %s", op_text(op),
		     value_type_name(a), value_type_name(b));
}

static bool is_num(struct value v)
{
	return v.t == VT_INT || v.t == VT_FLOAT;
}

static double num(struct value v)
{
	return v.t == VT_INT ? (double)v.i : v.f;
}

static int64_t ipow(int64_t base, int64_t e)
{
	uint64_t r = 1, b = (uint64_t)base;

	while (e > 0) {
		if (e & 1)
			r *= b;
		b *= b;
		e >>= 1;
	}
	return (int64_t)r;
}

static struct value concat(struct nyx *I, struct value a, struct value b)
{
	struct nstr *sa = value_to_nstr(I, a);
	struct nstr *sb;

	nyx_root(I, v_obj(VT_STR, sa));
	sb = value_to_nstr(I, b);
	nyx_root(I, v_obj(VT_STR, sb));
	return v_obj(VT_STR, nstr_concat(I, sa->data, sa->len, sb->data, sb->len));
}

static struct value repeat(struct nyx *I, const struct node *n, struct nstr *s, int64_t times)
{
	struct nstr *r;

	if (times < 0)
		nyx_raise_at(I, n, "cannot repeat a string a negative number of times (%lld)",
			     (long long)times);
	if (s->len && (uint64_t)times > NYX_MAX_STRING / s->len)
		nyx_raise_at(I, n, "string too large (%zu x %lld bytes, limit %u)", s->len,
			     (long long)times, NYX_MAX_STRING);
	r = gc_alloc(I, GC_STR, sizeof(*r) + s->len * (size_t)times + 1);
	r->len = s->len * (size_t)times;
	for (int64_t i = 0; i < times; i++)
		memcpy(r->data + (size_t)i * s->len, s->data, s->len);
	r->data[r->len] = 0;
	r->hash = hash_bytes(r->data, r->len);
	return v_obj(VT_STR, r);
}

static struct value map_sub(struct nyx *I, const struct node *n, struct nmap *a, struct nmap *b)
{
	struct nmap *r = nmap_new(I);

	nyx_root(I, v_obj(VT_MAP, r));
	for (size_t i = 0; i < a->len; i++) {
		struct value av = a->e[i].val, bv;

		if (nmap_get(b, a->e[i].key, &bv)) {
			if (!is_num(av) || !is_num(bv))
				nyx_raise_at(I, n, "map subtraction needs numeric values");
			if (av.t == VT_INT && bv.t == VT_INT)
				av = v_int((int64_t)((uint64_t)av.i - (uint64_t)bv.i));
			else
				av = v_float(num(av) - num(bv));
		}
		nmap_set(I, r, a->e[i].key, av);
	}
	return v_obj(VT_MAP, r);
}

static int compare(struct nyx *I, const struct node *n, int op, struct value a, struct value b)
{
	if (a.t == VT_INT && b.t == VT_INT)
		return a.i < b.i ? -1 : a.i > b.i;
	if (is_num(a) && is_num(b)) {
		double x = num(a), y = num(b);

		if (isnan(x) || isnan(y))
			return 2;   /* unordered: every comparison false */
		return x < y ? -1 : x > y;
	}
	if (a.t == VT_STR && b.t == VT_STR) {
		size_t m = a.s->len < b.s->len ? a.s->len : b.s->len;
		int c = memcmp(a.s->data, b.s->data, m);

		if (c)
			return c < 0 ? -1 : 1;
		return a.s->len < b.s->len ? -1 : a.s->len > b.s->len;
	}
	nyx_raise_at(I, n, "cannot compare %s and %s with %s", value_type_name(a),
		     value_type_name(b), op_text(op));
}

struct value ops_binary(struct nyx *I, const struct node *n, int op, struct value a,
			struct value b)
{
	switch (op) {
	case TK_PLUS:
		if (a.t == VT_INT && b.t == VT_INT)
			return v_int((int64_t)((uint64_t)a.i + (uint64_t)b.i));
		if (is_num(a) && is_num(b))
			return v_float(num(a) + num(b));
		if (a.t == VT_STR || b.t == VT_STR)
			return concat(I, a, b);
		if (a.t == VT_ARRAY && b.t == VT_ARRAY) {
			struct narray *r = narray_new(I, a.a->len + b.a->len);

			for (size_t i = 0; i < a.a->len; i++)
				r->items[r->len++] = a.a->items[i];
			for (size_t i = 0; i < b.a->len; i++)
				r->items[r->len++] = b.a->items[i];
			return v_obj(VT_ARRAY, r);
		}
		bad_operands(I, n, op, a, b);
	case TK_MINUS:
		if (a.t == VT_INT && b.t == VT_INT)
			return v_int((int64_t)((uint64_t)a.i - (uint64_t)b.i));
		if (is_num(a) && is_num(b))
			return v_float(num(a) - num(b));
		if (a.t == VT_MAP && b.t == VT_MAP)
			return map_sub(I, n, a.m, b.m);
		bad_operands(I, n, op, a, b);
	case TK_STAR:
		if (a.t == VT_INT && b.t == VT_INT)
			return v_int((int64_t)((uint64_t)a.i * (uint64_t)b.i));
		if (is_num(a) && is_num(b))
			return v_float(num(a) * num(b));
		if (a.t == VT_STR && b.t == VT_INT)
			return repeat(I, n, a.s, b.i);
		if (a.t == VT_INT && b.t == VT_STR)
			return repeat(I, n, b.s, a.i);
		bad_operands(I, n, op, a, b);
	case TK_SLASH:
	case TK_PERCENT:
		if (a.t == VT_INT && b.t == VT_INT) {
			if (b.i == 0)
				nyx_raise_at(I, n, "%s by zero",
					     op == TK_SLASH ? "division" : "modulo");
			if (b.i == -1)   /* INT64_MIN / -1 wraps */
				return v_int(op == TK_SLASH ? (int64_t)(0 - (uint64_t)a.i) : 0);
			return v_int(op == TK_SLASH ? a.i / b.i : a.i % b.i);
		}
		if (is_num(a) && is_num(b))
			return v_float(op == TK_SLASH ? num(a) / num(b) : fmod(num(a), num(b)));
		bad_operands(I, n, op, a, b);
	case TK_POW:
		if (a.t == VT_INT && b.t == VT_INT && b.i >= 0)
			return v_int(ipow(a.i, b.i));
		if (is_num(a) && is_num(b))
			return v_float(pow(num(a), num(b)));
		bad_operands(I, n, op, a, b);
	case TK_EQ:
		return v_bool(value_equal_checked(I, a, b));
	case TK_NE:
		return v_bool(!value_equal_checked(I, a, b));
	case TK_LT: {
		int c = compare(I, n, op, a, b);
		return v_bool(c == -1);
	}
	case TK_LE: {
		int c = compare(I, n, op, a, b);
		return v_bool(c == -1 || c == 0);
	}
	case TK_GT: {
		int c = compare(I, n, op, a, b);
		return v_bool(c == 1);
	}
	case TK_GE: {
		int c = compare(I, n, op, a, b);
		return v_bool(c == 1 || c == 0);
	}
	case TK_AMP:
	case TK_PIPE:
	case TK_CARET:
	case TK_SHL:
	case TK_SHR:
		if (a.t == VT_BOOL && b.t == VT_BOOL && op != TK_SHL && op != TK_SHR)
			return v_bool(op == TK_AMP ? (a.b & b.b) :
				      op == TK_PIPE ? (a.b | b.b) : (a.b ^ b.b));
		if (a.t != VT_INT || b.t != VT_INT)
			bad_operands(I, n, op, a, b);
		switch (op) {
		case TK_AMP: return v_int(a.i & b.i);
		case TK_PIPE: return v_int(a.i | b.i);
		case TK_CARET: return v_int(a.i ^ b.i);
		default:
			if (b.i < 0 || b.i > 63)
				nyx_raise_at(I, n, "shift count %lld out of range 0..63",
					     (long long)b.i);
			if (op == TK_SHL)
				return v_int((int64_t)((uint64_t)a.i << b.i));
			/* Arithmetic shift, defined without relying on the compiler. */
			if (a.i < 0)
				return v_int((int64_t)~(~(uint64_t)a.i >> b.i));
			return v_int((int64_t)((uint64_t)a.i >> b.i));
		}
	}
	nyx_raise_at(I, n, "internal error: unknown operator %s", op_text(op));
}

struct value ops_unary(struct nyx *I, const struct node *n, int op, struct value a)
{
	switch (op) {
	case TK_MINUS:
		if (a.t == VT_INT)
			return v_int((int64_t)(0 - (uint64_t)a.i));
		if (a.t == VT_FLOAT)
			return v_float(-a.f);
		break;
	case TK_PLUS:
		if (is_num(a))
			return a;
		break;
	case TK_NOT:
		return v_bool(!value_truthy(a));
	case TK_TILDE:
		if (a.t == VT_INT)
			return v_int(~a.i);
		break;
	}
	nyx_raise_at(I, n, "unsupported operand type for unary %s: %s", op_text(op),
		     value_type_name(a));
}
