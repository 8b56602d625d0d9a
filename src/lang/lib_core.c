/*
 * Core built-ins: print, printf, format, len, str, int, float, type, range,
 * assert, exit, time, and the methods of strings, arrays, tuples and maps.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang/interp.h"

/* ---- argument helpers ---- */

void arg_count(struct nyx *I, const char *fname, int argc, int min, int max)
{
	if (argc < min || (max >= 0 && argc > max)) {
		if (min == max)
			nyx_raise(I, "%s() takes %d argument%s, got %d", fname, min,
				  min == 1 ? "" : "s", argc);
		if (max < 0)
			nyx_raise(I, "%s() takes at least %d argument%s, got %d", fname, min,
				  min == 1 ? "" : "s", argc);
		nyx_raise(I, "%s() takes %d to %d arguments, got %d", fname, min, max, argc);
	}
}

static __attribute__((noreturn)) void bad_arg(struct nyx *I, const char *fname, int i,
					      const char *want, struct value got)
{
	nyx_raise(I, "%s(): argument %d must be %s, not %s", fname, i + 1, want,
		  value_type_name(got));
}

int64_t arg_int(struct nyx *I, const char *fname, int argc, struct value *argv, int i)
{
	if (i >= argc)
		nyx_raise(I, "%s(): missing argument %d", fname, i + 1);
	if (argv[i].t != VT_INT)
		bad_arg(I, fname, i, "an int", argv[i]);
	return argv[i].i;
}

double arg_num(struct nyx *I, const char *fname, int argc, struct value *argv, int i)
{
	if (i >= argc)
		nyx_raise(I, "%s(): missing argument %d", fname, i + 1);
	if (argv[i].t == VT_INT)
		return (double)argv[i].i;
	if (argv[i].t != VT_FLOAT)
		bad_arg(I, fname, i, "a number", argv[i]);
	return argv[i].f;
}

const char *arg_str(struct nyx *I, const char *fname, int argc, struct value *argv, int i)
{
	if (i >= argc)
		nyx_raise(I, "%s(): missing argument %d", fname, i + 1);
	if (argv[i].t != VT_STR)
		bad_arg(I, fname, i, "a string", argv[i]);
	return argv[i].s->data;
}

bool arg_bool(struct nyx *I, const char *fname, int argc, struct value *argv, int i)
{
	if (i >= argc)
		nyx_raise(I, "%s(): missing argument %d", fname, i + 1);
	if (argv[i].t != VT_BOOL)
		bad_arg(I, fname, i, "a bool", argv[i]);
	return argv[i].b;
}

bool arg_named(struct nmap *kwargs, const char *name, int argc, struct value *argv, int pos,
	       struct value *out)
{
	if (kwargs && nmap_get_cstr(kwargs, name, out))
		return true;
	if (pos >= 0 && pos < argc) {
		*out = argv[pos];
		return true;
	}
	return false;
}

void no_kwargs(struct nyx *I, const char *fname, struct nmap *kwargs)
{
	if (kwargs && kwargs->len)
		nyx_raise(I, "%s() takes no named arguments (got '%s')", fname,
			  kwargs->e[0].key.t == VT_STR ? kwargs->e[0].key.s->data : "?");
}

/* ---- formatting ---- */

struct nstr *nyx_format(struct nyx *I, const char *fname, const char *fmt, size_t fmtlen,
			int argc, struct value *argv)
{
	struct strbuf b;
	int ai = 0;
	const char *p = fmt, *end = fmt + fmtlen;
	char err[160] = "";
	struct nstr *res;

	sb_init(&b);
	while (p < end && !err[0]) {
		char spec[32], conv;
		const char *start;
		size_t sl;
		struct value v;

		if (*p != '%') {
			const char *q = memchr(p, '%', (size_t)(end - p));
			size_t n = q ? (size_t)(q - p) : (size_t)(end - p);

			if (sb_append(&b, p, n))
				snprintf(err, sizeof(err), "string too large");
			p += n;
			continue;
		}
		start = p++;
		while (p < end && strchr("-+ #0", *p))
			p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p < end && *p == '.') {
			p++;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		if (p >= end) {
			snprintf(err, sizeof(err), "%s(): incomplete format specifier at the end",
				 fname);
			break;
		}
		conv = *p++;
		sl = (size_t)(p - start);
		if (sl + 4 > sizeof(spec)) {
			snprintf(err, sizeof(err), "%s(): format specifier too long", fname);
			break;
		}
		if (conv == '%') {
			sb_append(&b, "%", 1);
			continue;
		}
		if (!strchr("sdixXfFeEgGcob", conv)) {
			snprintf(err, sizeof(err), "%s(): unknown conversion '%%%c'", fname, conv);
			break;
		}
		if (ai >= argc) {
			snprintf(err, sizeof(err), "%s(): not enough arguments for the format "
				 "(%d given)", fname, argc);
			break;
		}
		v = argv[ai++];
		memcpy(spec, start, sl - 1);
		switch (conv) {
		case 's': {
			struct strbuf t;

			sb_init(&t);
			value_format(&t, v, false);
			memcpy(spec + sl - 1, "s", 2);
			/* Width and precision apply to the printed form. */
			if (sl == 2) {
				sb_append(&b, t.p ? t.p : "", t.len);
			} else {
				sb_printf(&b, spec, t.p ? t.p : "");
			}
			sb_free(&t);
			break;
		}
		case 'd': case 'i': case 'x': case 'X': case 'o': case 'c': case 'b': {
			int64_t x;

			if (v.t == VT_INT)
				x = v.i;
			else if (v.t == VT_FLOAT && isfinite(v.f))
				x = (int64_t)v.f;
			else if (v.t == VT_BOOL)
				x = v.b;
			else {
				snprintf(err, sizeof(err), "%s(): %%%c needs a number, not %s", fname,
					 conv, value_type_name(v));
				break;
			}
			if (conv == 'b') {
				char bits[65];
				int nb = 0;
				uint64_t u = (uint64_t)x;

				do {
					bits[64 - ++nb] = (char)('0' + (u & 1));
					u >>= 1;
				} while (u);
				bits[64] = 0;
				memcpy(spec + sl - 1, "s", 2);
				sb_printf(&b, spec, bits + 64 - nb);
			} else if (conv == 'c') {
				char ch = (char)x;

				sb_append(&b, &ch, 1);
			} else {
				size_t k = sl - 1;

				spec[k++] = 'l';
				spec[k++] = 'l';
				spec[k++] = conv == 'i' ? 'd' : conv;
				spec[k] = 0;
				if (conv == 'd' || conv == 'i')
					sb_printf(&b, spec, (long long)x);
				else
					sb_printf(&b, spec, (unsigned long long)x);
			}
			break;
		}
		default: {   /* f F e E g G */
			double d;

			if (v.t == VT_INT || v.t == VT_FLOAT)
				d = v.t == VT_INT ? (double)v.i : v.f;
			else {
				snprintf(err, sizeof(err), "%s(): %%%c needs a number, not %s", fname,
					 conv, value_type_name(v));
				break;
			}
			spec[sl - 1] = conv;
			spec[sl] = 0;
			sb_printf(&b, spec, d);
		}
		}
	}
	if (!err[0] && ai < argc)
		snprintf(err, sizeof(err), "%s(): %d argument%s not used by the format", fname,
			 argc - ai, argc - ai == 1 ? "" : "s");
	if (err[0]) {
		sb_free(&b);
		nyx_raise(I, "%s", err);
	}
	if (b.len >= NYX_MAX_STRING) {
		sb_free(&b);
		nyx_raise(I, "%s(): result too large", fname);
	}
	res = nstr_new(I, b.p ? b.p : "", b.len);
	sb_free(&b);
	return res;
}

/* ---- functions ---- */

static void write_out(struct nyx *I, const char *s, size_t n)
{
	fwrite(s, 1, n, I->out);
}

static void f_print(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	struct strbuf b;

	no_kwargs(I, "print", kw);
	sb_init(&b);
	for (int i = 0; i < argc; i++) {
		if (i)
			sb_append(&b, " ", 1);
		value_format(&b, argv[i], false);
	}
	sb_append(&b, "\n", 1);
	write_out(I, b.p, b.len);
	sb_free(&b);
}

static void f_printf(struct nyx *I, struct value self, int argc, struct value *argv,
		     struct nmap *kw, struct value *out)
{
	struct nstr *s;

	no_kwargs(I, "printf", kw);
	arg_str(I, "printf", argc, argv, 0);
	s = nyx_format(I, "printf", argv[0].s->data, argv[0].s->len, argc - 1, argv + 1);
	write_out(I, s->data, s->len);
}

static void f_format(struct nyx *I, struct value self, int argc, struct value *argv,
		     struct nmap *kw, struct value *out)
{
	no_kwargs(I, "format", kw);
	arg_str(I, "format", argc, argv, 0);
	*out = v_obj(VT_STR, nyx_format(I, "format", argv[0].s->data, argv[0].s->len, argc - 1,
					argv + 1));
}

static int64_t length_of(struct nyx *I, const char *fname, struct value v)
{
	switch (v.t) {
	case VT_STR: return (int64_t)v.s->len;
	case VT_ARRAY: case VT_TUPLE: return (int64_t)v.a->len;
	case VT_MAP: return (int64_t)v.m->len;
	default: nyx_raise(I, "%s(): a %s has no length", fname, value_type_name(v));
	}
}

static void f_len(struct nyx *I, struct value self, int argc, struct value *argv,
		  struct nmap *kw, struct value *out)
{
	arg_count(I, "len", argc, 1, 1);
	*out = v_int(length_of(I, "len", argv[0]));
}

static void f_str(struct nyx *I, struct value self, int argc, struct value *argv,
		  struct nmap *kw, struct value *out)
{
	arg_count(I, "str", argc, 1, 1);
	*out = v_obj(VT_STR, value_to_nstr(I, argv[0]));
}

static void f_int(struct nyx *I, struct value self, int argc, struct value *argv,
		  struct nmap *kw, struct value *out)
{
	struct value v;

	arg_count(I, "int", argc, 1, 2);
	v = argv[0];
	switch (v.t) {
	case VT_INT: *out = v; return;
	case VT_BOOL: *out = v_int(v.b); return;
	case VT_FLOAT:
		if (!isfinite(v.f) || v.f >= 9223372036854775808.0 || v.f < -9223372036854775808.0)
			nyx_raise(I, "int(): %g does not fit in 64 bits", v.f);
		*out = v_int((int64_t)v.f);
		return;
	case VT_STR: {
		int base = argc > 1 ? (int)arg_int(I, "int", argc, argv, 1) : 0;
		char *end;
		long long x;
		unsigned long long u;

		if (base != 0 && (base < 2 || base > 36))
			nyx_raise(I, "int(): base %d out of range 2..36", base);
		errno = 0;
		if (v.s->data[0] == '-') {
			x = strtoll(v.s->data, &end, base);
		} else {
			u = strtoull(v.s->data, &end, base);
			x = (long long)u;
		}
		if (end == v.s->data || *end || errno == ERANGE || !v.s->len)
			nyx_raise(I, "int(): cannot convert \"%.100s\" to an int", v.s->data);
		*out = v_int(x);
		return;
	}
	default:
		nyx_raise(I, "int(): cannot convert %s to an int", value_type_name(v));
	}
}

static void f_float(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	arg_count(I, "float", argc, 1, 1);
	if (argv[0].t == VT_STR) {
		char *end;
		double d = strtod(argv[0].s->data, &end);

		if (end == argv[0].s->data || *end)
			nyx_raise(I, "float(): cannot convert \"%.100s\" to a float",
				  argv[0].s->data);
		*out = v_float(d);
		return;
	}
	*out = v_float(arg_num(I, "float", argc, argv, 0));
}

static void f_type(struct nyx *I, struct value self, int argc, struct value *argv,
		   struct nmap *kw, struct value *out)
{
	arg_count(I, "type", argc, 1, 1);
	*out = v_str(I, value_type_name(argv[0]));
}

static void f_range(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	int64_t start = 0, stop, step = 1;
	struct narray *a;

	arg_count(I, "range", argc, 1, 3);
	if (argc == 1) {
		stop = arg_int(I, "range", argc, argv, 0);
	} else {
		start = arg_int(I, "range", argc, argv, 0);
		stop = arg_int(I, "range", argc, argv, 1);
		if (argc == 3)
			step = arg_int(I, "range", argc, argv, 2);
	}
	if (step == 0)
		nyx_raise(I, "range(): step must not be zero");
	{
		/* Element count, computed without overflow, checked up front. */
		uint64_t span = step > 0 ? (stop > start ? (uint64_t)stop - (uint64_t)start : 0) :
				    (start > stop ? (uint64_t)start - (uint64_t)stop : 0);
		uint64_t mag = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
		uint64_t count = span / mag + (span % mag != 0);

		if (count > NYX_MAX_ARRAY)
			nyx_raise(I, "range(): %llu elements is more than the array limit %u",
				  (unsigned long long)count, NYX_MAX_ARRAY);
	}
	a = narray_new(I, 0);
	*out = v_obj(VT_ARRAY, a);
	for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
		narray_push(I, a, v_int(i));
		if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step))
			break;
	}
}

static void f_assert(struct nyx *I, struct value self, int argc, struct value *argv,
		     struct nmap *kw, struct value *out)
{
	arg_count(I, "assert", argc, 1, 2);
	if (!value_truthy(argv[0])) {
		if (argc > 1)
			nyx_raise(I, "assertion failed: %s", value_to_nstr(I, argv[1])->data);
		nyx_raise(I, "assertion failed");
	}
}

static void f_exit(struct nyx *I, struct value self, int argc, struct value *argv,
		   struct nmap *kw, struct value *out)
{
	int64_t code = argc ? arg_int(I, "exit", argc, argv, 0) : 0;

	arg_count(I, "exit", argc, 0, 1);
	if (code < 0 || code > 255)
		nyx_raise(I, "exit(): status %lld out of range 0..255", (long long)code);
	I->exit_code = (int)code;
	nyx_raise(I, "exit(%d)", (int)code);
}

static void f_error(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	arg_count(I, "error", argc, 1, 1);
	nyx_raise(I, "%s", value_to_nstr(I, argv[0])->data);
}

struct catch_args {
	struct value fn;
	struct value result;
};

static void catch_call(struct nyx *I, void *arg)
{
	struct catch_args *c = arg;

	c->result = nyx_call(I, c->fn, 0, NULL);
}

/* catch(f): runs f(); null if it succeeded, else the error message. */
static void f_catch(struct nyx *I, struct value self, int argc, struct value *argv,
		    struct nmap *kw, struct value *out)
{
	struct catch_args c;

	arg_count(I, "catch", argc, 1, 1);
	if (argv[0].t != VT_FUNC && argv[0].t != VT_NATIVE)
		nyx_raise(I, "catch(): argument 1 must be a function, not %s",
			  value_type_name(argv[0]));
	c.fn = argv[0];
	if (nyx_pcall(I, catch_call, &c) == 0)
		return;
	if (I->exit_code >= 0)
		nyx_rethrow(I);   /* exit() is not an error to catch */
	*out = v_str(I, I->errmsg);
}

static void f_time(struct nyx *I, struct value self, int argc, struct value *argv,
		   struct nmap *kw, struct value *out)
{
	struct timespec ts;

	arg_count(I, "time", argc, 0, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = v_float((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* ---- methods ---- */

#define SELF_FN(name) static void name(struct nyx *I, struct value self, int argc, \
				       struct value *argv, struct nmap *kw, struct value *out)

SELF_FN(m_len) { arg_count(I, "len", argc, 0, 0); *out = v_int(length_of(I, "len", self)); }

SELF_FN(m_str_upper)
{
	struct nstr *s = nstr_new(I, self.s->data, self.s->len);

	for (size_t i = 0; i < s->len; i++)
		if (s->data[i] >= 'a' && s->data[i] <= 'z')
			s->data[i] -= 32;
	s->hash = hash_bytes(s->data, s->len);
	*out = v_obj(VT_STR, s);
}

SELF_FN(m_str_lower)
{
	struct nstr *s = nstr_new(I, self.s->data, self.s->len);

	for (size_t i = 0; i < s->len; i++)
		if (s->data[i] >= 'A' && s->data[i] <= 'Z')
			s->data[i] += 32;
	s->hash = hash_bytes(s->data, s->len);
	*out = v_obj(VT_STR, s);
}

static long str_find(struct nstr *h, const char *n, size_t nl, size_t from)
{
	if (nl == 0)
		return from <= h->len ? (long)from : -1;
	for (size_t i = from; i + nl <= h->len; i++)
		if (!memcmp(h->data + i, n, nl))
			return (long)i;
	return -1;
}

SELF_FN(m_str_find)
{
	arg_str(I, "find", argc, argv, 0);
	*out = v_int(str_find(self.s, argv[0].s->data, argv[0].s->len, 0));
}

SELF_FN(m_str_contains)
{
	arg_str(I, "contains", argc, argv, 0);
	*out = v_bool(str_find(self.s, argv[0].s->data, argv[0].s->len, 0) >= 0);
}

SELF_FN(m_str_starts_with)
{
	arg_str(I, "starts_with", argc, argv, 0);
	*out = v_bool(argv[0].s->len <= self.s->len &&
		      !memcmp(self.s->data, argv[0].s->data, argv[0].s->len));
}

SELF_FN(m_str_ends_with)
{
	arg_str(I, "ends_with", argc, argv, 0);
	*out = v_bool(argv[0].s->len <= self.s->len &&
		      !memcmp(self.s->data + self.s->len - argv[0].s->len, argv[0].s->data,
			      argv[0].s->len));
}

SELF_FN(m_str_trim)
{
	size_t a = 0, b = self.s->len;

	while (a < b && strchr(" \t\r\n", self.s->data[a]))
		a++;
	while (b > a && strchr(" \t\r\n", self.s->data[b - 1]))
		b--;
	*out = v_strn(I, self.s->data + a, b - a);
}

SELF_FN(m_str_split)
{
	const char *sep = arg_str(I, "split", argc, argv, 0);
	size_t sl = argv[0].s->len, pos = 0;
	struct narray *a = narray_new(I, 0);

	if (!sl)
		nyx_raise(I, "split(): empty separator");
	*out = v_obj(VT_ARRAY, a);
	nyx_root(I, *out);
	for (;;) {
		long at = str_find(self.s, sep, sl, pos);

		if (at < 0) {
			narray_push(I, a, v_strn(I, self.s->data + pos, self.s->len - pos));
			break;
		}
		narray_push(I, a, v_strn(I, self.s->data + pos, (size_t)at - pos));
		pos = (size_t)at + sl;
	}
}

static void slice_bounds(struct nyx *I, int argc, struct value *argv, size_t len, size_t *a,
			 size_t *b)
{
	int64_t s = arg_int(I, "slice", argc, argv, 0);
	int64_t e = argc > 1 ? arg_int(I, "slice", argc, argv, 1) : (int64_t)len;

	if (s < 0)
		s += (int64_t)len;
	if (e < 0)
		e += (int64_t)len;
	if (s < 0)
		s = 0;
	if (e > (int64_t)len)
		e = (int64_t)len;
	if (e < s)
		e = s;
	if (s > (int64_t)len)
		s = e = (int64_t)len;
	*a = (size_t)s;
	*b = (size_t)e;
}

SELF_FN(m_str_slice)
{
	size_t a, b;

	arg_count(I, "slice", argc, 1, 2);
	slice_bounds(I, argc, argv, self.s->len, &a, &b);
	*out = v_strn(I, self.s->data + a, b - a);
}

SELF_FN(m_str_replace)
{
	const char *from = arg_str(I, "replace", argc, argv, 0);
	const char *to = arg_str(I, "replace", argc, argv, 1);
	size_t fl = argv[0].s->len, tl = argv[1].s->len, pos = 0;
	struct strbuf b;

	if (!fl)
		nyx_raise(I, "replace(): empty pattern");
	sb_init(&b);
	for (;;) {
		long at = str_find(self.s, from, fl, pos);
		int r;

		if (at < 0) {
			r = sb_append(&b, self.s->data + pos, self.s->len - pos);
		} else {
			r = sb_append(&b, self.s->data + pos, (size_t)at - pos);
			r |= sb_append(&b, to, tl);
		}
		if (r) {
			sb_free(&b);
			nyx_raise(I, "replace(): string too large");
		}
		if (at < 0)
			break;
		pos = (size_t)at + fl;
	}
	*out = v_strn(I, b.p ? b.p : "", b.len);
	sb_free(&b);
}

SELF_FN(m_arr_push)
{
	if (self.t != VT_ARRAY)
		nyx_raise(I, "push(): a tuple cannot grow");
	for (int i = 0; i < argc; i++)
		narray_push(I, self.a, argv[i]);
	*out = self;
}

SELF_FN(m_arr_pop)
{
	if (self.t != VT_ARRAY)
		nyx_raise(I, "pop(): a tuple cannot shrink");
	if (!self.a->len)
		nyx_raise(I, "pop(): the array is empty");
	*out = self.a->items[--self.a->len];
}

SELF_FN(m_arr_contains)
{
	arg_count(I, "contains", argc, 1, 1);
	for (size_t i = 0; i < self.a->len; i++)
		if (value_equal_checked(I, self.a->items[i], argv[0])) {
			*out = v_bool(true);
			return;
		}
	*out = v_bool(false);
}

SELF_FN(m_arr_index_of)
{
	arg_count(I, "index_of", argc, 1, 1);
	*out = v_int(-1);
	for (size_t i = 0; i < self.a->len; i++)
		if (value_equal_checked(I, self.a->items[i], argv[0])) {
			*out = v_int((int64_t)i);
			return;
		}
}

SELF_FN(m_arr_join)
{
	const char *sep = argc ? arg_str(I, "join", argc, argv, 0) : "";
	size_t sl = argc ? argv[0].s->len : 0;
	struct strbuf b;
	int r = 0;

	sb_init(&b);
	for (size_t i = 0; i < self.a->len; i++) {
		if (i)
			r |= sb_append(&b, sep, sl);
		value_format(&b, self.a->items[i], false);
	}
	if (r || b.len >= NYX_MAX_STRING) {
		sb_free(&b);
		nyx_raise(I, "join(): string too large");
	}
	*out = v_strn(I, b.p ? b.p : "", b.len);
	sb_free(&b);
}

SELF_FN(m_arr_slice)
{
	size_t a, b;
	struct narray *r;

	arg_count(I, "slice", argc, 1, 2);
	slice_bounds(I, argc, argv, self.a->len, &a, &b);
	r = narray_new(I, b - a);
	for (size_t i = a; i < b; i++)
		r->items[r->len++] = self.a->items[i];
	*out = v_obj(self.t, r);
}

SELF_FN(m_arr_map)
{
	struct narray *r = narray_new(I, self.a->len);

	arg_count(I, "map", argc, 1, 1);
	*out = v_obj(VT_ARRAY, r);
	nyx_root(I, *out);
	for (size_t i = 0; i < self.a->len; i++) {
		struct value x = self.a->items[i];

		narray_push(I, r, nyx_call(I, argv[0], 1, &x));
	}
}

SELF_FN(m_arr_filter)
{
	struct narray *r = narray_new(I, 0);

	arg_count(I, "filter", argc, 1, 1);
	*out = v_obj(VT_ARRAY, r);
	nyx_root(I, *out);
	for (size_t i = 0; i < self.a->len; i++) {
		struct value x = self.a->items[i];

		if (value_truthy(nyx_call(I, argv[0], 1, &x)))
			narray_push(I, r, x);
	}
}

SELF_FN(m_map_keys)
{
	struct narray *r = narray_new(I, self.m->len);

	for (size_t i = 0; i < self.m->len; i++)
		r->items[r->len++] = self.m->e[i].key;
	*out = v_obj(VT_ARRAY, r);
}

SELF_FN(m_map_values)
{
	struct narray *r = narray_new(I, self.m->len);

	for (size_t i = 0; i < self.m->len; i++)
		r->items[r->len++] = self.m->e[i].val;
	*out = v_obj(VT_ARRAY, r);
}

SELF_FN(m_map_items)
{
	struct narray *r = narray_new(I, self.m->len);

	*out = v_obj(VT_ARRAY, r);
	nyx_root(I, *out);
	for (size_t i = 0; i < self.m->len; i++) {
		struct value kv[2] = {self.m->e[i].key, self.m->e[i].val};

		narray_push(I, r, v_tuple(I, 2, kv));
	}
}

SELF_FN(m_map_has)
{
	struct value tmp;

	arg_count(I, "has", argc, 1, 1);
	*out = v_bool(nmap_get(self.m, argv[0], &tmp));
}

SELF_FN(m_map_get)
{
	arg_count(I, "get", argc, 1, 2);
	if (!nmap_get(self.m, argv[0], out))
		*out = argc > 1 ? argv[1] : v_null();
}

SELF_FN(m_map_set)
{
	arg_count(I, "set", argc, 2, 2);
	nmap_set(I, self.m, argv[0], argv[1]);
	*out = self;
}

SELF_FN(m_map_remove)
{
	arg_count(I, "remove", argc, 1, 1);
	*out = v_bool(nmap_remove(self.m, argv[0]));
}

static const struct nmethod str_methods[] = {
	{"len", m_len}, {"upper", m_str_upper}, {"lower", m_str_lower},
	{"find", m_str_find}, {"contains", m_str_contains},
	{"starts_with", m_str_starts_with}, {"ends_with", m_str_ends_with},
	{"trim", m_str_trim}, {"split", m_str_split}, {"slice", m_str_slice},
	{"replace", m_str_replace}, {NULL, NULL},
};

static const struct nmethod arr_methods[] = {
	{"len", m_len}, {"push", m_arr_push}, {"append", m_arr_push}, {"pop", m_arr_pop},
	{"contains", m_arr_contains}, {"index_of", m_arr_index_of}, {"join", m_arr_join},
	{"slice", m_arr_slice}, {"map", m_arr_map}, {"filter", m_arr_filter}, {NULL, NULL},
};

static const struct nmethod map_methods[] = {
	{"len", m_len}, {"keys", m_map_keys}, {"values", m_map_values},
	{"items", m_map_items}, {"has", m_map_has}, {"contains", m_map_has},
	{"get", m_map_get}, {"set", m_map_set}, {"remove", m_map_remove}, {NULL, NULL},
};

bool lib_core_method(struct nyx *I, struct value self, const char *name, struct value *out)
{
	const struct nmethod *m;

	switch (self.t) {
	case VT_STR: m = str_methods; break;
	case VT_ARRAY: case VT_TUPLE: m = arr_methods; break;
	case VT_MAP: m = map_methods; break;
	default: return false;
	}
	for (; m->name; m++) {
		if (!strcmp(m->name, name)) {
			*out = v_native(I, m->name, m->fn, self);
			return true;
		}
	}
	return false;
}

void lib_core_open(struct nyx *I)
{
	static const struct nmethod fns[] = {
		{"print", f_print}, {"printf", f_printf}, {"format", f_format},
		{"sprintf", f_format}, {"len", f_len}, {"str", f_str}, {"int", f_int},
		{"float", f_float}, {"type", f_type}, {"range", f_range},
		{"assert", f_assert}, {"exit", f_exit}, {"error", f_error},
		{"time", f_time}, {"catch", f_catch}, {NULL, NULL},
	};

	for (const struct nmethod *f = fns; f->name; f++)
		nyx_set_global(I, f->name, v_native(I, f->name, f->fn, v_null()));
}
