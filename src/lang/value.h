/*
 * Nyx language values and heap objects.
 *
 * A `struct value` is a small tagged union passed by value. Scalars (null,
 * bool, int64, double) live inline; everything else points at a heap object
 * that starts with a `struct gc_hdr` and is owned by the interpreter's
 * mark-sweep collector (gc.c). Strings are immutable; arrays, maps and
 * tuples share the array/map layouts below. Maps keep insertion order: the
 * entries array is the order, a separate open-addressing index maps hashes
 * to entry positions.
 */
#ifndef NYX_LANG_VALUE_H
#define NYX_LANG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nyx;
struct node;

enum vtype {
	VT_NULL,
	VT_BOOL,
	VT_INT,
	VT_FLOAT,
	VT_STR,
	VT_ARRAY,
	VT_MAP,
	VT_TUPLE,
	VT_FUNC,     /* script closure */
	VT_NATIVE,   /* C function, possibly bound to a receiver */
	VT_OBJECT,   /* native object with a class (methods, properties) */
};

enum gc_kind { GC_STR, GC_ARRAY, GC_MAP, GC_FUNC, GC_NATIVE, GC_OBJECT, GC_ENV };

struct gc_hdr {
	struct gc_hdr *next;
	uint8_t kind;
	uint8_t marked;
};

struct value {
	enum vtype t;
	union {
		bool b;
		int64_t i;
		double f;
		struct gc_hdr *gc;
		struct nstr *s;
		struct narray *a;
		struct nmap *m;
		struct nfunc *fn;
		struct nnative *nf;
		struct nobject *o;
	};
};

struct nstr {
	struct gc_hdr h;
	size_t len;
	uint32_t hash;
	char data[];             /* NUL-terminated */
};

/* Arrays and tuples (a tuple is an array the script cannot grow). */
struct narray {
	struct gc_hdr h;
	size_t len, cap;
	struct value *items;
};

struct map_entry {
	struct value key, val;
	uint32_t hash;
};

struct nmap {
	struct gc_hdr h;
	size_t len, cap;         /* entries in insertion order */
	struct map_entry *e;
	uint32_t *idx;           /* idx_cap slots: entry position + 1, 0 = empty */
	size_t idx_cap;
};

/* Variable scope: a list of bindings with a hash index once it grows. */
struct binding {
	const char *name;        /* owned by the AST or static: outlives the env */
	uint32_t hash;
	struct value v;
};

struct env {
	struct gc_hdr h;
	struct env *parent;
	bool func_scope;         /* plain assignment creates variables here */
	size_t n, cap;
	struct binding *b;
	uint32_t *idx;
	size_t idx_cap;
};

struct nfunc {
	struct gc_hdr h;
	struct node *def;        /* N_FUNC node: params, body */
	struct env *closure;
};

/*
 * Native function. `self` is the receiver for bound methods (VT_NULL for free
 * functions); kwargs is NULL when the call had no named arguments. The
 * result goes to *out (left VT_NULL = null). Errors: nyx_raise(), which does
 * not return.
 */
typedef void (*native_fn)(struct nyx *I, struct value self, int argc, struct value *argv,
			  struct nmap *kwargs, struct value *out);

struct nnative {
	struct gc_hdr h;
	const char *name;
	native_fn fn;
	struct value self;
	bool kwargs;             /* accepts named arguments */
};

struct nmethod {
	const char *name;
	native_fn fn;
	bool kwargs;             /* accepts named arguments */
};

struct nobject;

/*
 * A native class: methods looked up by name, optional property getter (true
 * if `name` exists), a mark hook for values the object holds and a finalizer
 * for its C state.
 */
struct nclass {
	const char *name;
	const struct nmethod *methods;
	bool (*get)(struct nyx *I, struct nobject *o, const char *name, struct value *out);
	void (*mark)(struct nyx *I, struct nobject *o);
	void (*finalize)(struct nyx *I, struct nobject *o);
};

struct nobject {
	struct gc_hdr h;
	const struct nclass *cls;
	void *data;
};

/* Constructors for scalars. */
static inline struct value v_null(void) { struct value v = {.t = VT_NULL}; return v; }
static inline struct value v_bool(bool b) { struct value v = {.t = VT_BOOL, .b = b}; return v; }
static inline struct value v_int(int64_t i) { struct value v = {.t = VT_INT, .i = i}; return v; }
static inline struct value v_float(double f) { struct value v = {.t = VT_FLOAT, .f = f}; return v; }
static inline struct value v_obj(enum vtype t, void *o) { struct value v = {.t = t, .gc = o}; return v; }
static inline bool v_is_heap(struct value v) { return v.t >= VT_STR; }

uint32_t hash_bytes(const void *p, size_t n);

/* Strings. nstr_new copies; limits enforced (raises on huge strings). */
struct nstr *nstr_new(struct nyx *I, const char *s, size_t len);
struct nstr *nstr_cstr(struct nyx *I, const char *s);
struct value v_str(struct nyx *I, const char *s);
struct value v_strn(struct nyx *I, const char *s, size_t len);
struct nstr *nstr_concat(struct nyx *I, const char *a, size_t alen, const char *b, size_t blen);

/* Arrays and tuples. */
struct narray *narray_new(struct nyx *I, size_t cap);
void narray_push(struct nyx *I, struct narray *a, struct value v);
struct value v_tuple(struct nyx *I, int n, const struct value *items);

/* Maps: keys are null, bool, int, float or string. */
struct nmap *nmap_new(struct nyx *I);
bool nmap_get(struct nmap *m, struct value key, struct value *out);
bool nmap_get_cstr(struct nmap *m, const char *key, struct value *out);
void nmap_set(struct nyx *I, struct nmap *m, struct value key, struct value val);
void nmap_set_cstr(struct nyx *I, struct nmap *m, const char *key, struct value val);
bool nmap_remove(struct nmap *m, struct value key);
bool value_hashable(struct value v);

/* Objects and natives. */
struct nobject *nobject_new(struct nyx *I, const struct nclass *cls, void *data);
struct value v_native(struct nyx *I, const char *name, native_fn fn, struct value self);

/* Generic operations. */
const char *value_type_name(struct value v);
bool value_truthy(struct value v);
/* Deep equality (bounded depth: cyclic structures compare unequal). */
bool value_equal(struct value a, struct value b);
/* Same, raising when the comparison exceeds its depth or work limits. */
bool value_equal_checked(struct nyx *I, struct value a, struct value b);
/* Appends the printable form to a growable buffer; `quote` quotes strings. */
struct strbuf {
	char *p;
	size_t len, cap;
};
void sb_init(struct strbuf *b);
void sb_free(struct strbuf *b);
/* Returns -1 on allocation failure or past the string size limit. */
int sb_append(struct strbuf *b, const char *s, size_t n);
int sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void value_format(struct strbuf *b, struct value v, bool quote);
/* The value as a new string object (strings are returned as is). */
struct nstr *value_to_nstr(struct nyx *I, struct value v);

#endif
