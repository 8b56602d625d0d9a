/*
 * Nyx tree-walking evaluator: scopes, expressions, statements, calls and
 * the protected entry points. Operators live in ops.c.
 *
 * Control flow (return/break/continue) travels as exec() status codes;
 * errors travel by longjmp to the innermost nyx_pcall, which restores the
 * scope, call depth and root stack it saw on entry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/interp.h"
#include "lang/ops.h"

enum exec_status { EX_NORMAL, EX_RETURN, EX_BREAK, EX_CONTINUE };

/* ---- errors ---- */

static __attribute__((noreturn)) void vraise_at(struct nyx *I, const struct node *n,
					       const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n)
		snprintf(I->errmsg, sizeof(I->errmsg), "%s:%d:%d: %s", n->file, n->line, n->col, msg);
	else
		snprintf(I->errmsg, sizeof(I->errmsg), "%s: %s",
			 I->script_file ? I->script_file : "nyx", msg);
	nyx_rethrow(I);
}

void nyx_raise(struct nyx *I, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vraise_at(I, I->cur, fmt, ap);
}

void nyx_raise_at(struct nyx *I, const struct node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vraise_at(I, n, fmt, ap);
}

void nyx_rethrow(struct nyx *I)
{
	if (!I->jmp) {
		/* No protected call: a bug in the embedding, not in the script. */
		fprintf(stderr, "%s\nnyx: error outside a protected call\n", I->errmsg);
		abort();
	}
	longjmp(I->jmp->jb, 1);
}

int nyx_pcall(struct nyx *I, void (*fn)(struct nyx *I, void *arg), void *arg)
{
	struct nyx_jmp j;
	struct env *volatile env = I->env;
	volatile size_t nframes = I->nframes, nroots = I->nroots;
	volatile int depth = I->depth;
	const struct node *volatile cur = I->cur;
	int rc = 0;

	j.prev = I->jmp;
	I->jmp = &j;
	if (setjmp(j.jb) == 0) {
		fn(I, arg);
	} else {
		I->env = env;
		I->nframes = nframes;
		I->nroots = nroots;
		I->depth = depth;
		I->retval = v_null();
		rc = -1;
	}
	I->cur = cur;
	I->jmp = j.prev;
	return rc;
}

/* ---- scopes ---- */

struct env *env_new(struct nyx *I, struct env *parent, bool func_scope)
{
	struct env *e = gc_alloc(I, GC_ENV, sizeof(*e));

	e->parent = parent;
	e->func_scope = func_scope;
	return e;
}

struct binding *env_find_local(struct env *e, const char *name, uint32_t hash)
{
	if (e->idx_cap) {
		size_t mask = e->idx_cap - 1;

		for (size_t i = hash & mask;; i = (i + 1) & mask) {
			uint32_t s = e->idx[i];

			if (!s)
				return NULL;
			if (e->b[s - 1].hash == hash && (e->b[s - 1].name == name ||
							 !strcmp(e->b[s - 1].name, name)))
				return &e->b[s - 1];
		}
	}
	for (size_t i = 0; i < e->n; i++)
		if (e->b[i].hash == hash && (e->b[i].name == name || !strcmp(e->b[i].name, name)))
			return &e->b[i];
	return NULL;
}

struct binding *env_lookup(struct env *e, const char *name, uint32_t hash)
{
	for (; e; e = e->parent) {
		struct binding *b = env_find_local(e, name, hash);

		if (b)
			return b;
	}
	return NULL;
}

static void env_reindex(struct nyx *I, struct env *e, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		nyx_raise(I, "out of memory (scope)");
	free(e->idx);
	e->idx = idx;
	e->idx_cap = cap;
	for (size_t j = 0; j < e->n; j++) {
		size_t i = e->b[j].hash & (cap - 1);

		while (idx[i])
			i = (i + 1) & (cap - 1);
		idx[i] = (uint32_t)(j + 1);
	}
}

void env_define(struct nyx *I, struct env *e, const char *name, uint32_t hash, struct value v)
{
	struct binding *b = env_find_local(e, name, hash);

	if (b) {
		b->v = v;
		return;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4;
		struct binding *nb = realloc(e->b, cap * sizeof(*nb));

		if (!nb)
			nyx_raise(I, "out of memory (scope)");
		gc_account(I, (long)((cap - e->cap) * sizeof(*nb)));
		e->b = nb;
		e->cap = cap;
	}
	e->b[e->n].name = name;
	e->b[e->n].hash = hash;
	e->b[e->n].v = v;
	e->n++;
	if (e->n > 8 && e->n * 2 > e->idx_cap) {
		env_reindex(I, e, e->idx_cap ? e->idx_cap * 2 : 32);
	} else if (e->idx_cap) {
		size_t i = hash & (e->idx_cap - 1);

		while (e->idx[i])
			i = (i + 1) & (e->idx_cap - 1);
		e->idx[i] = (uint32_t)e->n;
	}
}

void nyx_set_global(struct nyx *I, const char *name, struct value v)
{
	env_define(I, I->globals, name, hash_bytes(name, strlen(name)), v);
}

/* ---- evaluation ---- */

static struct value eval(struct nyx *I, const struct node *n);
static enum exec_status exec(struct nyx *I, const struct node *n);
static enum exec_status exec_stmts(struct nyx *I, const struct node *blk);

static inline struct value root(struct nyx *I, struct value v)
{
	nyx_root(I, v);
	return v;
}

static void push_frame(struct nyx *I, struct env *e)
{
	if (I->nframes == I->frames_cap) {
		size_t cap = I->frames_cap ? I->frames_cap * 2 : 64;
		struct env **f = realloc(I->frames, cap * sizeof(*f));

		if (!f)
			nyx_raise(I, "out of memory (call stack)");
		I->frames = f;
		I->frames_cap = cap;
	}
	I->frames[I->nframes++] = e;
}

static struct value call_closure(struct nyx *I, const struct node *at, struct nfunc *f, int argc,
				 struct value *argv, const char **names)
{
	const struct node *def = f->def;
	const char *fname = def->name ? def->name : "<fn>";
	struct env *e;
	struct value result;
	bool *set;
	bool set_small[16];

	if (I->depth >= NYX_MAX_CALL_DEPTH)
		nyx_raise_at(I, at, "recursion too deep (more than %d nested calls)",
			     NYX_MAX_CALL_DEPTH);
	e = env_new(I, f->closure, true);
	nyx_root(I, v_obj(VT_MAP, e));   /* any heap pointer roots it */
	set = def->n <= 16 ? set_small : NULL;
	if (!set)
		set = calloc(def->n, sizeof(bool));
	if (!set)
		nyx_raise_at(I, at, "out of memory (call)");
	memset(set, 0, def->n * sizeof(bool));
	for (int i = 0; i < argc; i++) {
		size_t slot;

		if (names && names[i]) {
			for (slot = 0; slot < def->n; slot++)
				if (!strcmp(def->params[slot], names[i]))
					break;
			if (slot == def->n) {
				if (set != set_small)
					free(set);
				nyx_raise_at(I, at, "%s() has no parameter named '%s'", fname,
					     names[i]);
			}
		} else {
			slot = (size_t)i;
			if (slot >= def->n) {
				if (set != set_small)
					free(set);
				nyx_raise_at(I, at, "%s() takes %zu argument%s, got %d", fname,
					     def->n, def->n == 1 ? "" : "s", argc);
			}
		}
		if (set[slot]) {
			if (set != set_small)
				free(set);
			nyx_raise_at(I, at, "%s(): argument '%s' given twice", fname,
				     def->params[slot]);
		}
		set[slot] = true;
		env_define(I, e, def->params[slot], def->param_hash[slot], argv[i]);
	}
	for (size_t i = 0; i < def->n; i++) {
		if (!set[i]) {
			if (set != set_small)
				free(set);
			nyx_raise_at(I, at, "%s() missing argument '%s' (takes %zu, got %d)",
				     fname, def->params[i], def->n, argc);
		}
	}
	if (set != set_small)
		free(set);

	push_frame(I, I->env);
	I->env = e;
	I->depth++;
	exec_stmts(I, def->a);
	I->depth--;
	I->env = I->frames[--I->nframes];
	result = I->retval;
	I->retval = v_null();
	return root(I, result);
}

static struct value call_value(struct nyx *I, const struct node *at, struct value fn, int argc,
			       struct value *argv, const char **names)
{
	if (fn.t == VT_FUNC)
		return call_closure(I, at, fn.fn, argc, argv, names);
	if (fn.t == VT_NATIVE) {
		struct nmap *kw = NULL;
		struct value out = v_null();
		struct value *pos = argv;
		int npos = argc;
		struct value posbuf[16];

		if (names && !fn.nf->kwargs) {
			for (int i = 0; i < argc; i++)
				if (names[i])
					nyx_raise_at(I, at, "%s() takes no named arguments (got '%s')",
						     fn.nf->name, names[i]);
		}
		if (names) {
			kw = nmap_new(I);
			nyx_root(I, v_obj(VT_MAP, kw));
			npos = 0;
			pos = posbuf;
			for (int i = 0; i < argc; i++) {
				if (names[i]) {
					nmap_set(I, kw, v_str(I, names[i]), argv[i]);
				} else if (npos < 16) {
					posbuf[npos++] = argv[i];
				} else {
					nyx_raise_at(I, at, "too many arguments");
				}
			}
		}
		if (I->depth >= NYX_MAX_CALL_DEPTH)
			nyx_raise_at(I, at, "recursion too deep (more than %d nested calls)",
				     NYX_MAX_CALL_DEPTH);
		I->cur = at;
		I->depth++;
		fn.nf->fn(I, fn.nf->self, npos, pos, kw, &out);
		I->depth--;
		I->cur = at;
		root(I, out);
		lib_log_drain(I);
		return out;
	}
	nyx_raise_at(I, at, "cannot call a value of type %s", value_type_name(fn));
}

struct value nyx_call(struct nyx *I, struct value fn, int argc, struct value *argv)
{
	const struct node *at = I->cur;

	for (int i = 0; i < argc; i++)
		nyx_root(I, argv[i]);
	nyx_root(I, fn);
	return call_value(I, at, fn, argc, argv, NULL);
}

/* Member of a value: map key, method, object property. */
static struct value get_member(struct nyx *I, const struct node *at, struct value obj,
			       const char *name)
{
	struct value out;

	if (obj.t == VT_MAP) {
		if (nmap_get_cstr(obj.m, name, &out))
			return out;
		if (lib_core_method(I, obj, name, &out))
			return root(I, out);
		nyx_raise_at(I, at, "map has no key '%s'", name);
	}
	if (obj.t == VT_OBJECT) {
		const struct nclass *c = obj.o->cls;

		for (const struct nmethod *m = c->methods; m && m->name; m++) {
			if (!strcmp(m->name, name)) {
				struct value f = v_native(I, m->name, m->fn, obj);

				f.nf->kwargs = m->kwargs;
				return root(I, f);
			}
		}
		if (c->get) {
			I->cur = at;
			if (c->get(I, obj.o, name, &out))
				return root(I, out);
		}
		nyx_raise_at(I, at, "%s has no member '%s'", c->name, name);
	}
	if (lib_core_method(I, obj, name, &out))
		return root(I, out);
	nyx_raise_at(I, at, "%s has no member '%s'", value_type_name(obj), name);
}

static int64_t index_of(struct nyx *I, const struct node *at, struct value ix, size_t len,
			const char *what)
{
	int64_t i;

	if (ix.t != VT_INT)
		nyx_raise_at(I, at, "%s index must be an int, not %s", what, value_type_name(ix));
	i = ix.i;
	if (i < 0)
		i += (int64_t)len;
	if (i < 0 || (uint64_t)i >= len)
		nyx_raise_at(I, at, "index %lld out of range for %s of length %zu",
			     (long long)ix.i, what, len);
	return i;
}

static struct value get_index(struct nyx *I, const struct node *at, struct value obj,
			      struct value ix)
{
	struct value out;

	switch (obj.t) {
	case VT_ARRAY:
	case VT_TUPLE:
		return obj.a->items[index_of(I, at, ix, obj.a->len, value_type_name(obj))];
	case VT_STR: {
		int64_t i = index_of(I, at, ix, obj.s->len, "string");

		return root(I, v_strn(I, obj.s->data + i, 1));
	}
	case VT_MAP:
		if (!value_hashable(ix))
			nyx_raise_at(I, at, "%s cannot be a map key", value_type_name(ix));
		if (nmap_get(obj.m, ix, &out))
			return out;
		{
			struct strbuf b;

			sb_init(&b);
			value_format(&b, ix, true);
			snprintf(I->errmsg, sizeof(I->errmsg), "%.200s", b.p ? b.p : "?");
			sb_free(&b);
		}
		nyx_raise_at(I, at, "key %s not found in map", I->errmsg);
	default:
		nyx_raise_at(I, at, "cannot index a value of type %s", value_type_name(obj));
	}
}

static void assign_to(struct nyx *I, const struct node *target, struct value v)
{
	if (target->kind == N_IDENT) {
		struct binding *b = env_lookup(I->env, target->name, target->hash);
		struct env *e;

		if (b) {
			b->v = v;
			return;
		}
		for (e = I->env; e->parent && !e->func_scope; e = e->parent)
			;
		env_define(I, e, target->name, target->hash, v);
		return;
	}
	if (target->kind == N_INDEX) {
		struct value obj = eval(I, target->a);
		struct value ix = eval(I, target->b);

		if (obj.t == VT_ARRAY) {
			obj.a->items[index_of(I, target, ix, obj.a->len, "array")] = v;
		} else if (obj.t == VT_MAP) {
			I->cur = target;
			nmap_set(I, obj.m, ix, v);
		} else {
			nyx_raise_at(I, target, "cannot assign to an element of %s",
				     value_type_name(obj));
		}
		return;
	}
	/* N_MEMBER */
	{
		struct value obj = eval(I, target->a);

		if (obj.t != VT_MAP)
			nyx_raise_at(I, target, "cannot set member '%s' of %s", target->name,
				     value_type_name(obj));
		I->cur = target;
		nmap_set(I, obj.m, v_str(I, target->name), v);
	}
}

static struct value eval_call(struct nyx *I, const struct node *n)
{
	struct value fn = eval(I, n->a);
	struct value argbuf[8];
	struct narray *many;

	if (n->n <= 8) {
		for (size_t i = 0; i < n->n; i++)
			argbuf[i] = eval(I, n->kids[i]);
		return call_value(I, n->a, fn, (int)n->n, argbuf, n->argnames);
	}
	/* Many arguments: collect them in a (rooted) array object. */
	many = narray_new(I, n->n);
	nyx_root(I, v_obj(VT_ARRAY, many));
	for (size_t i = 0; i < n->n; i++)
		narray_push(I, many, eval(I, n->kids[i]));
	return call_value(I, n->a, fn, (int)n->n, many->items, n->argnames);
}

static struct value eval(struct nyx *I, const struct node *n)
{
	I->cur = n;
	switch (n->kind) {
	case N_INT: return v_int(n->ival);
	case N_FLOAT: return v_float(n->fval);
	case N_STR: return v_obj(VT_STR, n->str);
	case N_BOOL: return v_bool(n->ival != 0);
	case N_NULL: return v_null();
	case N_IDENT: {
		struct binding *b = env_lookup(I->env, n->name, n->hash);

		if (!b)
			nyx_raise_at(I, n, "undefined variable '%s'", n->name);
		return b->v;
	}
	case N_ARRAY:
	case N_TUPLE: {
		struct narray *a = narray_new(I, n->n);
		struct value v = root(I, v_obj(n->kind == N_ARRAY ? VT_ARRAY : VT_TUPLE, a));

		for (size_t i = 0; i < n->n; i++) {
			struct value x = eval(I, n->kids[i]);

			I->cur = n;
			narray_push(I, a, x);
		}
		return v;
	}
	case N_MAP: {
		struct nmap *m = nmap_new(I);
		struct value v = root(I, v_obj(VT_MAP, m));

		for (size_t i = 0; i < n->n; i++) {
			struct value k = eval(I, n->kids[2 * i]);
			struct value val = eval(I, n->kids[2 * i + 1]);

			I->cur = n->kids[2 * i];
			nmap_set(I, m, k, val);
		}
		return v;
	}
	case N_FUNC: {
		struct nfunc *f = gc_alloc(I, GC_FUNC, sizeof(*f));

		f->def = (struct node *)n;
		f->closure = I->env;
		return root(I, v_obj(VT_FUNC, f));
	}
	case N_UNARY: {
		struct value a = eval(I, n->a);

		I->cur = n;
		return root(I, ops_unary(I, n, n->op, a));
	}
	case N_BINARY: {
		struct value a = eval(I, n->a);
		struct value b = eval(I, n->b);

		I->cur = n;
		return root(I, ops_binary(I, n, n->op, a, b));
	}
	case N_AND: {
		struct value a = eval(I, n->a);

		return value_truthy(a) ? eval(I, n->b) : a;
	}
	case N_OR: {
		struct value a = eval(I, n->a);

		return value_truthy(a) ? a : eval(I, n->b);
	}
	case N_CALL:
		return eval_call(I, n);
	case N_INDEX: {
		struct value obj = eval(I, n->a);
		struct value ix = eval(I, n->b);

		return get_index(I, n, obj, ix);
	}
	case N_MEMBER: {
		struct value obj = eval(I, n->a);

		return get_member(I, n, obj, n->name);
	}
	case N_ASSIGN: {
		struct value v;

		if (n->op) {
			struct value old = eval(I, n->a);
			struct value rhs = eval(I, n->b);

			I->cur = n;
			v = root(I, ops_binary(I, n, n->op, old, rhs));
		} else {
			v = eval(I, n->b);
		}
		assign_to(I, n->a, v);
		return v;
	}
	default:
		nyx_raise_at(I, n, "internal error: statement used as expression");
	}
}

static enum exec_status exec_stmts(struct nyx *I, const struct node *blk)
{
	for (size_t i = 0; i < blk->n; i++) {
		size_t mark = I->nroots;
		enum exec_status st;

		gc_maybe_collect(I);
		st = exec(I, blk->kids[i]);
		I->nroots = mark;
		if (st != EX_NORMAL)
			return st;
	}
	return EX_NORMAL;
}

static enum exec_status exec_block(struct nyx *I, const struct node *blk)
{
	struct env *saved = I->env;
	enum exec_status st;

	if (!blk->op)
		return exec_stmts(I, blk);
	I->env = env_new(I, saved, false);
	st = exec_stmts(I, blk);
	I->env = saved;
	return st;
}

static enum exec_status exec_for(struct nyx *I, const struct node *n)
{
	struct value it = eval(I, n->a);
	struct env *saved = I->env;
	enum exec_status st = EX_NORMAL;
	size_t mark;

	if (it.t != VT_ARRAY && it.t != VT_TUPLE && it.t != VT_MAP && it.t != VT_STR)
		nyx_raise_at(I, n->a, "cannot iterate over a value of type %s", value_type_name(it));
	mark = I->nroots;
	for (size_t i = 0;; i++) {
		struct value x;

		I->nroots = mark;
		if (it.t == VT_ARRAY || it.t == VT_TUPLE) {
			if (i >= it.a->len)
				break;
			x = it.a->items[i];
		} else if (it.t == VT_MAP) {
			if (i >= it.m->len)
				break;
			x = it.m->e[i].key;
		} else {
			if (i >= it.s->len)
				break;
			x = root(I, v_strn(I, it.s->data + i, 1));
		}
		/* A fresh scope per iteration: closures capture this x. */
		I->env = env_new(I, saved, false);
		env_define(I, I->env, n->name, n->hash, x);
		st = exec_stmts(I, n->b);
		I->env = saved;
		if (st == EX_BREAK) {
			st = EX_NORMAL;
			break;
		}
		if (st == EX_RETURN)
			break;
		st = EX_NORMAL;
	}
	I->nroots = mark;
	return st;
}

static enum exec_status exec(struct nyx *I, const struct node *n)
{
	switch (n->kind) {
	case S_EXPR:
		eval(I, n->a);
		return EX_NORMAL;
	case S_LET:
		env_define(I, I->env, n->name, n->hash, n->a ? eval(I, n->a) : v_null());
		return EX_NORMAL;
	case S_FNDECL:
		env_define(I, I->env, n->name, n->hash, eval(I, n->a));
		return EX_NORMAL;
	case S_BLOCK:
		return exec_block(I, n);
	case S_IF:
		if (value_truthy(eval(I, n->a)))
			return exec_block(I, n->b);
		if (n->c)
			return exec_block(I, n->c);
		return EX_NORMAL;
	case S_WHILE: {
		size_t mark = I->nroots;

		for (;;) {
			enum exec_status st;

			I->nroots = mark;
			gc_maybe_collect(I);
			if (!value_truthy(eval(I, n->a)))
				break;
			st = exec_block(I, n->b);
			if (st == EX_BREAK)
				break;
			if (st == EX_RETURN)
				return st;
		}
		return EX_NORMAL;
	}
	case S_FOR:
		return exec_for(I, n);
	case S_RETURN:
		if (I->depth == 0)
			nyx_raise_at(I, n, "'return' outside a function");
		I->retval = n->a ? eval(I, n->a) : v_null();
		return EX_RETURN;
	case S_BREAK:
	case S_CONTINUE:
		/* Loops handle these; at function level they are errors. */
		return n->kind == S_BREAK ? EX_BREAK : EX_CONTINUE;
	case S_IMPORT: {
		struct value mod;

		I->cur = n;
		mod = lib_modules_import(I, n->name);
		if (!strchr(n->name, '.'))
			env_define(I, I->env, n->name, hash_bytes(n->name, strlen(n->name)), mod);
		return EX_NORMAL;
	}
	default:
		eval(I, n);
		return EX_NORMAL;
	}
}

/* ---- entry points ---- */

struct nyx *nyx_new(void)
{
	struct nyx *volatile I = calloc(1, sizeof(*I));
	struct nyx_jmp j;

	if (!I)
		return NULL;
	I->out = stdout;
	I->next_gc = 1u << 20;
	I->exit_code = -1;
	I->jmp = &j;
	if (setjmp(j.jb)) {
		fprintf(stderr, "nyx: cannot initialise the interpreter: %s\n", I->errmsg);
		I->jmp = NULL;
		nyx_free(I);
		return NULL;
	}
	I->globals = env_new(I, NULL, true);
	I->top = env_new(I, I->globals, true);
	I->env = I->globals;
	I->modules = nmap_new(I);
	lib_core_open(I);
	lib_log_open(I);
	lib_vm_open(I);
	lib_modules_open(I);
	I->jmp = NULL;
	return I;
}

void nyx_free(struct nyx *I)
{
	if (!I)
		return;
	lib_vm_close(I);
	lib_log_close(I);
	gc_free_all(I);
	program_free_all(I);
	free(I->roots);
	free(I->consts);
	free(I->pins);
	free(I->frames);
	free(I);
}

struct run_args {
	const struct node *top;
};

static void run_top(struct nyx *I, void *arg)
{
	struct run_args *ra = arg;
	enum exec_status st;

	I->env = I->top;
	st = exec_stmts(I, ra->top);
	if (st == EX_BREAK || st == EX_CONTINUE)
		nyx_raise_at(I, ra->top, "'break' or 'continue' outside a loop");
	lib_log_drain(I);
}

static void parse_top(struct nyx *I, void *arg)
{
	void **a = arg;
	const char *name = a[0];
	const char *src = a[1];
	size_t len = *(size_t *)a[2];

	a[3] = nyx_parse(I, name, src, len, I->errmsg, sizeof(I->errmsg));
}

int nyx_run_string(struct nyx *I, const char *name, const char *src, size_t len)
{
	void *pa[4] = {(void *)name, (void *)src, &len, NULL};
	struct run_args ra;

	if (!I->script_file)
		I->script_file = name;
	if (nyx_pcall(I, parse_top, pa) || !pa[3])
		return 1;
	ra.top = pa[3];
	if (nyx_pcall(I, run_top, &ra))
		return 1;
	return 0;
}

int nyx_run_file(struct nyx *I, const char *path, int argc, char **argv)
{
	FILE *f = fopen(path, "rb");
	char *src = NULL;
	size_t len = 0, cap = 0;
	int rc;

	I->script_file = path;
	if (!f) {
		snprintf(I->errmsg, sizeof(I->errmsg), "%s: cannot open script: %s", path,
			 strerror(errno));
		return 1;
	}
	for (;;) {
		size_t n;

		if (len + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536 * 2;
			char *p = ncap <= (256u << 20) ? realloc(src, ncap) : NULL;

			if (!p) {
				free(src);
				fclose(f);
				snprintf(I->errmsg, sizeof(I->errmsg),
					 "%s: script too large or out of memory", path);
				return 1;
			}
			src = p;
			cap = ncap;
		}
		n = fread(src + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	fclose(f);
	{
		/* argv: the script's arguments as an array of strings. */
		struct nyx_jmp j;

		j.prev = I->jmp;
		I->jmp = &j;
		if (setjmp(j.jb) == 0) {
			struct narray *a = narray_new(I, (size_t)argc);

			nyx_set_global(I, "argv", v_obj(VT_ARRAY, a));
			for (int i = 0; i < argc; i++)
				narray_push(I, a, v_str(I, argv[i]));
		}
		I->jmp = j.prev;
	}
	rc = nyx_run_string(I, path, src, len);
	free(src);
	return rc;
}
