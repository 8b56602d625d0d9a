/*
 * Mark-sweep collector for Nyx heap objects.
 *
 * Every object is on one singly linked list hanging off the interpreter.
 * Roots: globals, the scopes of active calls, the temporary root stack,
 * permanent string constants, pinned values, the modules table and whatever
 * the libraries mark (log callbacks). Collection runs only from
 * gc_maybe_collect(), which the evaluator calls between statements (see the
 * rooting rule in interp.h), once allocation since the last collection
 * passes a threshold that doubles with the live heap.
 *
 * Marking uses an explicit stack so deep structures cannot overflow the C
 * stack.
 */
#include <stdlib.h>
#include <string.h>

#include "lang/interp.h"

#define GC_MIN_THRESHOLD (1u << 20)

struct mark_stack {
	struct gc_hdr **p;
	size_t n, cap;
	bool oom;
};

void *gc_alloc(struct nyx *I, enum gc_kind kind, size_t size)
{
	struct gc_hdr *h = calloc(1, size);

	if (!h)
		nyx_raise(I, "out of memory (allocating %zu bytes)", size);
	h->kind = (uint8_t)kind;
	h->next = I->objects;
	I->objects = h;
	I->bytes += size;
	return h;
}

void gc_account(struct nyx *I, long delta)
{
	if (delta < 0 && (size_t)-delta > I->bytes)
		I->bytes = 0;
	else
		I->bytes += (size_t)delta;
}

static void push_gray(struct nyx *I, struct gc_hdr *h)
{
	struct mark_stack *s = I->gray;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct gc_hdr **p = realloc(s->p, cap * sizeof(*p));

		if (!p) {
			s->oom = true;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n++] = h;
}

void gc_mark_obj(struct nyx *I, struct gc_hdr *h)
{
	if (!h || h->marked)
		return;
	h->marked = 1;
	if (h->kind != GC_STR)
		push_gray(I, h);
}

void gc_mark_value(struct nyx *I, struct value v)
{
	if (v_is_heap(v))
		gc_mark_obj(I, v.gc);
}

static void trace_obj(struct nyx *I, struct gc_hdr *h)
{
	switch (h->kind) {
	case GC_ARRAY: {
		struct narray *a = (struct narray *)h;

		for (size_t i = 0; i < a->len; i++)
			gc_mark_value(I, a->items[i]);
		break;
	}
	case GC_MAP: {
		struct nmap *m = (struct nmap *)h;

		for (size_t i = 0; i < m->len; i++) {
			gc_mark_value(I, m->e[i].key);
			gc_mark_value(I, m->e[i].val);
		}
		break;
	}
	case GC_FUNC: {
		struct nfunc *f = (struct nfunc *)h;

		gc_mark_obj(I, &f->closure->h);
		break;
	}
	case GC_NATIVE:
		gc_mark_value(I, ((struct nnative *)h)->self);
		break;
	case GC_OBJECT: {
		struct nobject *o = (struct nobject *)h;

		if (o->cls->mark)
			o->cls->mark(I, o);
		break;
	}
	case GC_ENV: {
		struct env *e = (struct env *)h;

		if (e->parent)
			gc_mark_obj(I, &e->parent->h);
		for (size_t i = 0; i < e->n; i++)
			gc_mark_value(I, e->b[i].v);
		break;
	}
	}
}

static void free_obj(struct nyx *I, struct gc_hdr *h)
{
	switch (h->kind) {
	case GC_ARRAY:
		free(((struct narray *)h)->items);
		break;
	case GC_MAP:
		free(((struct nmap *)h)->e);
		free(((struct nmap *)h)->idx);
		break;
	case GC_OBJECT: {
		struct nobject *o = (struct nobject *)h;

		if (o->cls->finalize)
			o->cls->finalize(I, o);
		break;
	}
	case GC_ENV:
		free(((struct env *)h)->b);
		free(((struct env *)h)->idx);
		break;
	}
	free(h);
}

void gc_collect(struct nyx *I)
{
	struct mark_stack st = {0};
	struct gc_hdr **pp;
	size_t live = 0;

	I->gray = &st;
	if (I->globals)
		gc_mark_obj(I, &I->globals->h);
	if (I->top)
		gc_mark_obj(I, &I->top->h);
	if (I->env)
		gc_mark_obj(I, &I->env->h);
	for (size_t i = 0; i < I->nframes; i++)
		gc_mark_obj(I, &I->frames[i]->h);
	for (size_t i = 0; i < I->nroots; i++)
		gc_mark_obj(I, I->roots[i]);
	for (size_t i = 0; i < I->nconsts; i++)
		gc_mark_obj(I, &I->consts[i]->h);
	for (size_t i = 0; i < I->npins; i++)
		gc_mark_obj(I, I->pins[i]);
	if (I->modules)
		gc_mark_obj(I, &I->modules->h);
	gc_mark_value(I, I->retval);
	while (st.n)
		trace_obj(I, st.p[--st.n]);
	free(st.p);
	I->gray = NULL;
	if (st.oom) {
		/* Could not finish marking: keep everything, unmark, try later. */
		for (struct gc_hdr *h = I->objects; h; h = h->next)
			h->marked = 0;
		I->next_gc = I->bytes * 2;
		return;
	}
	/* Finalizers may log; they must not allocate script objects. */
	pp = &I->objects;
	while (*pp) {
		struct gc_hdr *h = *pp;

		if (h->marked) {
			h->marked = 0;
			pp = &h->next;
			live++;
		} else {
			*pp = h->next;
			free_obj(I, h);
		}
	}
	/* Re-estimate the live size: cheap approximation from object count. */
	I->bytes = live * 64;
	I->next_gc = I->bytes * 2 > GC_MIN_THRESHOLD ? I->bytes * 2 : GC_MIN_THRESHOLD;
}

void gc_maybe_collect(struct nyx *I)
{
	if (I->bytes >= I->next_gc)
		gc_collect(I);
}

void gc_free_all(struct nyx *I)
{
	/* Finalize native objects first (VMs own threads and loggers). */
	for (struct gc_hdr *h = I->objects; h; h = h->next) {
		if (h->kind == GC_OBJECT) {
			struct nobject *o = (struct nobject *)h;

			if (o->cls->finalize)
				o->cls->finalize(I, o);
			o->cls = NULL;
		}
	}
	while (I->objects) {
		struct gc_hdr *h = I->objects;

		I->objects = h->next;
		if (h->kind != GC_OBJECT)
			free_obj(I, h);
		else
			free(h);
	}
	I->bytes = 0;
}

void nyx_root(struct nyx *I, struct value v)
{
	if (!v_is_heap(v))
		return;
	if (I->nroots == I->roots_cap) {
		size_t cap = I->roots_cap ? I->roots_cap * 2 : 256;
		struct gc_hdr **p = realloc(I->roots, cap * sizeof(*p));

		if (!p)
			nyx_raise(I, "out of memory (root stack)");
		I->roots = p;
		I->roots_cap = cap;
	}
	I->roots[I->nroots++] = v.gc;
}

void nyx_pin(struct nyx *I, struct value v)
{
	if (!v_is_heap(v))
		return;
	if (I->npins == I->pins_cap) {
		size_t cap = I->pins_cap ? I->pins_cap * 2 : 16;
		struct gc_hdr **p = realloc(I->pins, cap * sizeof(*p));

		if (!p)
			nyx_raise(I, "out of memory (pins)");
		I->pins = p;
		I->pins_cap = cap;
	}
	I->pins[I->npins++] = v.gc;
}

void nyx_unpin(struct nyx *I, struct value v)
{
	for (size_t i = I->npins; i-- > 0;) {
		if (I->pins[i] == v.gc) {
			I->pins[i] = I->pins[--I->npins];
			return;
		}
	}
}

void nyx_add_const(struct nyx *I, struct nstr *s)
{
	if (I->nconsts == I->consts_cap) {
		size_t cap = I->consts_cap ? I->consts_cap * 2 : 64;
		struct nstr **p = realloc(I->consts, cap * sizeof(*p));

		if (!p)
			nyx_raise(I, "out of memory (constants)");
		I->consts = p;
		I->consts_cap = cap;
	}
	I->consts[I->nconsts++] = s;
}
