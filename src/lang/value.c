/*
 * Nyx values: strings, arrays, tuples, insertion-ordered maps, printing and
 * equality. All objects come from gc_alloc; growth of arrays and maps is
 * accounted to the collector so big containers trigger collections.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/interp.h"
#include "lang/value.h"

uint32_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

/* ---- strings ---- */

struct nstr *nstr_new(struct nyx *I, const char *s, size_t len)
{
	struct nstr *o;

	if (len > NYX_MAX_STRING)
		nyx_raise(I, "string too large (%zu bytes, limit %u)", len, NYX_MAX_STRING);
	o = gc_alloc(I, GC_STR, sizeof(*o) + len + 1);
	o->len = len;
	if (len)
		memcpy(o->data, s, len);
	o->data[len] = 0;
	o->hash = hash_bytes(o->data, len);
	return o;
}

struct nstr *nstr_cstr(struct nyx *I, const char *s)
{
	return nstr_new(I, s, strlen(s));
}

struct value v_str(struct nyx *I, const char *s)
{
	return v_obj(VT_STR, nstr_cstr(I, s));
}

struct value v_strn(struct nyx *I, const char *s, size_t len)
{
	return v_obj(VT_STR, nstr_new(I, s, len));
}

struct nstr *nstr_concat(struct nyx *I, const char *a, size_t alen, const char *b, size_t blen)
{
	struct nstr *o;

	if (alen > NYX_MAX_STRING || blen > NYX_MAX_STRING - alen)
		nyx_raise(I, "string too large (%zu bytes, limit %u)",
			  alen > SIZE_MAX - blen ? SIZE_MAX : alen + blen, NYX_MAX_STRING);
	o = gc_alloc(I, GC_STR, sizeof(*o) + alen + blen + 1);
	o->len = alen + blen;
	memcpy(o->data, a, alen);
	memcpy(o->data + alen, b, blen);
	o->data[o->len] = 0;
	o->hash = hash_bytes(o->data, o->len);
	return o;
}

/* ---- arrays ---- */

static void narray_reserve(struct nyx *I, struct narray *a, size_t need)
{
	size_t cap;
	struct value *p;

	if (need <= a->cap)
		return;
	if (need > NYX_MAX_ARRAY)
		nyx_raise(I, "array too large (%zu elements, limit %u)", need, NYX_MAX_ARRAY);
	cap = a->cap ? a->cap * 2 : 4;
	while (cap < need)
		cap *= 2;
	p = realloc(a->items, cap * sizeof(*p));
	if (!p)
		nyx_raise(I, "out of memory growing an array to %zu elements", cap);
	gc_account(I, (long)((cap - a->cap) * sizeof(*p)));
	a->items = p;
	a->cap = cap;
}

struct narray *narray_new(struct nyx *I, size_t cap)
{
	struct narray *a = gc_alloc(I, GC_ARRAY, sizeof(*a));

	narray_reserve(I, a, cap);
	return a;
}

void narray_push(struct nyx *I, struct narray *a, struct value v)
{
	narray_reserve(I, a, a->len + 1);
	a->items[a->len++] = v;
}

struct value v_tuple(struct nyx *I, int n, const struct value *items)
{
	struct narray *a = narray_new(I, (size_t)n);

	for (int i = 0; i < n; i++)
		a->items[i] = items[i];
	a->len = (size_t)n;
	return v_obj(VT_TUPLE, a);
}

/* ---- maps ---- */

bool value_hashable(struct value v)
{
	return v.t <= VT_STR;
}

static uint32_t value_hash(struct value v)
{
	switch (v.t) {
	case VT_STR: return v.s->hash;
	case VT_INT: return hash_bytes(&v.i, sizeof(v.i));
	case VT_FLOAT:
		/* Floats equal to an integer hash like that integer (1 == 1.0). */
		if (v.f == floor(v.f) && fabs(v.f) < 9.2e18) {
			int64_t i = (int64_t)v.f;
			return hash_bytes(&i, sizeof(i));
		}
		return hash_bytes(&v.f, sizeof(v.f));
	case VT_BOOL: return v.b ? 1 : 2;
	default: return 0;
	}
}

struct nmap *nmap_new(struct nyx *I)
{
	return gc_alloc(I, GC_MAP, sizeof(struct nmap));
}

static long nmap_find(struct nmap *m, struct value key, uint32_t h)
{
	size_t mask, i;

	if (!m->idx_cap)
		return -1;
	mask = m->idx_cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		uint32_t slot = m->idx[i];

		if (!slot)
			return -1;
		if (m->e[slot - 1].hash == h && value_equal(m->e[slot - 1].key, key))
			return (long)(slot - 1);
	}
}

static void nmap_reindex(struct nyx *I, struct nmap *m, size_t idx_cap)
{
	uint32_t *idx = calloc(idx_cap, sizeof(*idx));

	if (!idx)
		nyx_raise(I, "out of memory growing a map");
	gc_account(I, (long)(idx_cap - m->idx_cap) * (long)sizeof(*idx));
	free(m->idx);
	m->idx = idx;
	m->idx_cap = idx_cap;
	for (size_t j = 0; j < m->len; j++) {
		size_t i = m->e[j].hash & (idx_cap - 1);

		while (idx[i])
			i = (i + 1) & (idx_cap - 1);
		idx[i] = (uint32_t)(j + 1);
	}
}

bool nmap_get(struct nmap *m, struct value key, struct value *out)
{
	long i;

	if (!value_hashable(key))
		return false;
	i = nmap_find(m, key, value_hash(key));
	if (i < 0)
		return false;
	*out = m->e[i].val;
	return true;
}

bool nmap_get_cstr(struct nmap *m, const char *key, struct value *out)
{
	/* A stack string object is enough for lookup. */
	size_t n = strlen(key);
	struct {
		struct nstr s;
		char buf[128];
	} tmp;

	if (n >= sizeof(tmp.buf))
		return false;
	memcpy(tmp.s.data, key, n + 1);
	tmp.s.len = n;
	tmp.s.hash = hash_bytes(key, n);
	return nmap_get(m, v_obj(VT_STR, &tmp.s), out);
}

void nmap_set(struct nyx *I, struct nmap *m, struct value key, struct value val)
{
	uint32_t h;
	long i;

	if (!value_hashable(key))
		nyx_raise(I, "%s cannot be a map key", value_type_name(key));
	h = value_hash(key);
	i = nmap_find(m, key, h);
	if (i >= 0) {
		m->e[i].val = val;
		return;
	}
	if (m->len + 1 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct map_entry *e;

		if (cap > NYX_MAX_ARRAY)
			nyx_raise(I, "map too large (%zu entries, limit %u)", cap, NYX_MAX_ARRAY);
		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			nyx_raise(I, "out of memory growing a map");
		gc_account(I, (long)((cap - m->cap) * sizeof(*e)));
		m->e = e;
		m->cap = cap;
	}
	m->e[m->len].key = key;
	m->e[m->len].val = val;
	m->e[m->len].hash = h;
	m->len++;
	if (m->len * 2 > m->idx_cap) {
		nmap_reindex(I, m, m->idx_cap ? m->idx_cap * 2 : 8);
	} else {
		size_t j = h & (m->idx_cap - 1);

		while (m->idx[j])
			j = (j + 1) & (m->idx_cap - 1);
		m->idx[j] = (uint32_t)m->len;
	}
}

void nmap_set_cstr(struct nyx *I, struct nmap *m, const char *key, struct value val)
{
	nmap_set(I, m, v_str(I, key), val);
}

bool nmap_remove(struct nmap *m, struct value key)
{
	long i;

	if (!value_hashable(key))
		return false;
	i = nmap_find(m, key, value_hash(key));
	if (i < 0)
		return false;
	memmove(&m->e[i], &m->e[i + 1], (m->len - (size_t)i - 1) * sizeof(m->e[0]));
	m->len--;
	/* Rebuild the index in place (positions shifted). */
	memset(m->idx, 0, m->idx_cap * sizeof(*m->idx));
	for (size_t j = 0; j < m->len; j++) {
		size_t k = m->e[j].hash & (m->idx_cap - 1);

		while (m->idx[k])
			k = (k + 1) & (m->idx_cap - 1);
		m->idx[k] = (uint32_t)(j + 1);
	}
	return true;
}

/* ---- objects ---- */

struct nobject *nobject_new(struct nyx *I, const struct nclass *cls, void *data)
{
	struct nobject *o = gc_alloc(I, GC_OBJECT, sizeof(*o));

	o->cls = cls;
	o->data = data;
	return o;
}

struct value v_native(struct nyx *I, const char *name, native_fn fn, struct value self)
{
	struct nnative *n = gc_alloc(I, GC_NATIVE, sizeof(*n));

	n->name = name;
	n->fn = fn;
	n->self = self;
	return v_obj(VT_NATIVE, n);
}

/* ---- generic ---- */

const char *value_type_name(struct value v)
{
	switch (v.t) {
	case VT_NULL: return "null";
	case VT_BOOL: return "bool";
	case VT_INT: return "int";
	case VT_FLOAT: return "float";
	case VT_STR: return "string";
	case VT_ARRAY: return "array";
	case VT_MAP: return "map";
	case VT_TUPLE: return "tuple";
	case VT_FUNC: return "function";
	case VT_NATIVE: return "function";
	case VT_OBJECT: return v.o->cls->name;
	}
	return "?";
}

bool value_truthy(struct value v)
{
	switch (v.t) {
	case VT_NULL: return false;
	case VT_BOOL: return v.b;
	case VT_INT: return v.i != 0;
	case VT_FLOAT: return v.f != 0.0;
	case VT_STR: return v.s->len != 0;
	case VT_ARRAY: case VT_TUPLE: return v.a->len != 0;
	case VT_MAP: return v.m->len != 0;
	default: return true;
	}
}

/*
 * Deep equality. Containers on the current comparison path are remembered
 * as pairs: meeting the same pair again (a cycle) counts as equal. A budget
 * of visited nodes bounds the work on huge or heavily shared structures.
 */
#define EQ_MAX_DEPTH 64
#define EQ_BUDGET 10000000L

struct eq_ctx {
	const void *pa[EQ_MAX_DEPTH], *pb[EQ_MAX_DEPTH];
	int depth;
	long budget;
	bool exhausted;
};

static bool equal_rec(struct eq_ctx *c, struct value a, struct value b)
{
	bool eq = true;

	if (--c->budget < 0) {
		c->exhausted = true;
		return false;
	}
	if (a.t == VT_INT && b.t == VT_FLOAT)
		return (double)a.i == b.f;
	if (a.t == VT_FLOAT && b.t == VT_INT)
		return a.f == (double)b.i;
	if (a.t != b.t)
		return false;
	switch (a.t) {
	case VT_NULL: return true;
	case VT_BOOL: return a.b == b.b;
	case VT_INT: return a.i == b.i;
	case VT_FLOAT: return a.f == b.f;
	case VT_STR:
		return a.s == b.s || (a.s->len == b.s->len && a.s->hash == b.s->hash &&
				      !memcmp(a.s->data, b.s->data, a.s->len));
	case VT_ARRAY:
	case VT_TUPLE:
	case VT_MAP:
		if (a.gc == b.gc)
			return true;
		for (int i = 0; i < c->depth; i++)
			if (c->pa[i] == a.gc && c->pb[i] == b.gc)
				return true;
		if (c->depth >= EQ_MAX_DEPTH) {
			c->exhausted = true;
			return false;
		}
		c->pa[c->depth] = a.gc;
		c->pb[c->depth] = b.gc;
		c->depth++;
		if (a.t == VT_MAP) {
			if (a.m->len != b.m->len)
				eq = false;
			for (size_t i = 0; eq && i < a.m->len; i++) {
				struct value o;

				eq = nmap_get(b.m, a.m->e[i].key, &o) &&
				     equal_rec(c, a.m->e[i].val, o);
			}
		} else {
			if (a.a->len != b.a->len)
				eq = false;
			for (size_t i = 0; eq && i < a.a->len; i++)
				eq = equal_rec(c, a.a->items[i], b.a->items[i]);
		}
		c->depth--;
		return eq;
	case VT_NATIVE:
		return a.nf == b.nf || (a.nf->fn == b.nf->fn && equal_rec(c, a.nf->self, b.nf->self));
	default:
		return a.gc == b.gc;
	}
}

bool value_equal(struct value a, struct value b)
{
	struct eq_ctx c = {.budget = EQ_BUDGET};

	return equal_rec(&c, a, b);
}

bool value_equal_checked(struct nyx *I, struct value a, struct value b)
{
	struct eq_ctx c = {.budget = EQ_BUDGET};
	bool eq = equal_rec(&c, a, b);

	if (c.exhausted)
		nyx_raise(I, "cannot compare: the values are nested more than %d deep or too "
			  "large", EQ_MAX_DEPTH);
	return eq;
}

/* ---- printing ---- */

void sb_init(struct strbuf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	sb_init(b);
}

int sb_append(struct strbuf *b, const char *s, size_t n)
{
	if (n > NYX_MAX_STRING || b->len + n > NYX_MAX_STRING)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int sb_printf(struct strbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(tmp))
		return sb_append(b, tmp, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int r;

		if (!big)
			return -1;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		r = sb_append(b, big, (size_t)n);
		free(big);
		return r;
	}
}

/* Shortest form that reads back as the same double; always shows a '.'. */
static void format_float(struct strbuf *b, double f)
{
	char tmp[64];

	if (isnan(f)) {
		sb_append(b, "nan", 3);
		return;
	}
	if (isinf(f)) {
		sb_append(b, f < 0 ? "-inf" : "inf", f < 0 ? 4 : 3);
		return;
	}
	int prec, exp10;
	char *e;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
	e = strchr(tmp, 'e');
	exp10 = e ? atoi(e + 1) : 0;
	/* Positional notation for everyday magnitudes, exponent otherwise. */
	if (exp10 >= -5 && exp10 < 16) {
		int dec = prec - 1 - exp10;

		snprintf(tmp, sizeof(tmp), "%.*f", dec > 0 ? dec : 0, f);
	} else {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, f);
	}
	sb_append(b, tmp, strlen(tmp));
	if (!strpbrk(tmp, ".eEn"))
		sb_append(b, ".0", 2);
}

#define FORMAT_MAX_DEPTH 32

/* open[] holds the containers being printed: a repeat is a cycle. */
static void format_depth(struct strbuf *b, struct value v, bool quote, int depth,
			 struct gc_hdr **open)
{
	if (b->len >= NYX_MAX_STRING - 64)
		return;   /* the output is at its limit: stop walking */
	if (v.t == VT_ARRAY || v.t == VT_TUPLE || v.t == VT_MAP) {
		for (int i = 0; i < depth; i++) {
			if (open[i] == v.gc) {
				sb_append(b, v.t == VT_ARRAY ? "[...]" : v.t == VT_MAP ? "{...}" :
					  "(...)", 5);
				return;
			}
		}
		if (depth >= FORMAT_MAX_DEPTH) {
			sb_append(b, "...", 3);
			return;
		}
		open[depth] = v.gc;
	}
	switch (v.t) {
	case VT_NULL: sb_append(b, "null", 4); break;
	case VT_BOOL: v.b ? sb_append(b, "true", 4) : sb_append(b, "false", 5); break;
	case VT_INT: sb_printf(b, "%lld", (long long)v.i); break;
	case VT_FLOAT: format_float(b, v.f); break;
	case VT_STR:
		if (!quote) {
			sb_append(b, v.s->data, v.s->len);
			break;
		}
		sb_append(b, "\"", 1);
		for (size_t i = 0; i < v.s->len; i++) {
			unsigned char c = (unsigned char)v.s->data[i];

			switch (c) {
			case '"': sb_append(b, "\\\"", 2); break;
			case '\\': sb_append(b, "\\\\", 2); break;
			case '\n': sb_append(b, "\\n", 2); break;
			case '\t': sb_append(b, "\\t", 2); break;
			case '\r': sb_append(b, "\\r", 2); break;
			default:
				if (c < 0x20 || c == 0x7f)
					sb_printf(b, "\\x%02x", c);
				else
					sb_append(b, (const char *)&c, 1);
			}
		}
		sb_append(b, "\"", 1);
		break;
	case VT_ARRAY:
	case VT_TUPLE:
		sb_append(b, v.t == VT_ARRAY ? "[" : "(", 1);
		for (size_t i = 0; i < v.a->len; i++) {
			if (i)
				sb_append(b, ", ", 2);
			format_depth(b, v.a->items[i], true, depth + 1, open);
		}
		if (v.t == VT_TUPLE && v.a->len == 1)
			sb_append(b, ",", 1);
		sb_append(b, v.t == VT_ARRAY ? "]" : ")", 1);
		break;
	case VT_MAP:
		sb_append(b, "{", 1);
		for (size_t i = 0; i < v.m->len; i++) {
			if (i)
				sb_append(b, ", ", 2);
			format_depth(b, v.m->e[i].key, true, depth + 1, open);
			sb_append(b, ": ", 2);
			format_depth(b, v.m->e[i].val, true, depth + 1, open);
		}
		sb_append(b, "}", 1);
		break;
	case VT_FUNC:
		if (v.fn->def->name)
			sb_printf(b, "<fn %s>", v.fn->def->name);
		else
			sb_append(b, "<fn>", 4);
		break;
	case VT_NATIVE: sb_printf(b, "<builtin %s>", v.nf->name); break;
	case VT_OBJECT: sb_printf(b, "<%s>", v.o->cls->name); break;
	}
}

void value_format(struct strbuf *b, struct value v, bool quote)
{
	struct gc_hdr *open[FORMAT_MAX_DEPTH];

	format_depth(b, v, quote, 0, open);
}

struct nstr *value_to_nstr(struct nyx *I, struct value v)
{
	struct strbuf b;
	struct nstr *s;

	if (v.t == VT_STR)
		return v.s;
	sb_init(&b);
	value_format(&b, v, false);
	if (!b.p) {
		sb_free(&b);
		nyx_raise(I, "out of memory converting %s to a string", value_type_name(v));
	}
	if (b.len >= NYX_MAX_STRING) {
		sb_free(&b);
		nyx_raise(I, "string too large (limit %u bytes)", NYX_MAX_STRING);
	}
	s = nstr_new(I, b.p, b.len);
	sb_free(&b);
	return s;
}
