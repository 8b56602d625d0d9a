/*
 * Logging from scripts: Logger objects over the C logger (core/log.h) for
 * the global `logger` and each VM's `vm.logger`.
 *
 * Design note (threads): the C logger calls outputs on whatever thread
 * logged (vCPU threads, the event loop). A script callback must only run on
 * the interpreter thread, so the C output registered for a script callback
 * only copies the entry into a mutex-protected queue. lib_log_drain(), called
 * on the interpreter thread after every native call and while vm.run()
 * waits, delivers queued entries in order. Invariants: callbacks are never
 * invoked with the queue lock held; drain is not re-entered (a callback that
 * logs has its entry delivered by the same drain loop); an output removed
 * from its logger drops its queued entries.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "lang/interp.h"

struct log_out {
	struct log_state *st;
	struct logger *l;
	int id;                  /* C output id, -1 once removed */
	struct value cb;
};

struct queued {
	struct log_out *out;
	struct log_entry e;
};

struct log_state {
	struct log_out **outs;
	size_t nouts, outs_cap;
	pthread_mutex_t lock;
	struct queued *q;        /* protected by lock */
	size_t qlen, qcap;
	size_t dropped;          /* entries lost to allocation failure */
	atomic_bool pending;
	bool draining;
	struct nobject *global;  /* the global `logger` object */
};

struct logobj {
	struct logger *l;
};

static const struct nclass logger_class;

/* C output: any thread. Copies the entry; never calls the interpreter. */
static void out_enqueue(void *opaque, const struct log_entry *e)
{
	struct log_out *o = opaque;
	struct log_state *st = o->st;

	pthread_mutex_lock(&st->lock);
	if (st->qlen == st->qcap) {
		size_t cap = st->qcap ? st->qcap * 2 : 64;
		struct queued *q = cap <= 1000000 ? realloc(st->q, cap * sizeof(*q)) : NULL;

		if (!q) {
			st->dropped++;
			pthread_mutex_unlock(&st->lock);
			return;
		}
		st->q = q;
		st->qcap = cap;
	}
	st->q[st->qlen].out = o;
	st->q[st->qlen].e = *e;
	st->qlen++;
	atomic_store(&st->pending, true);
	pthread_mutex_unlock(&st->lock);
}

struct deliver {
	struct log_out *o;
	const struct log_entry *e;
};

static void deliver_one(struct nyx *I, void *arg)
{
	struct deliver *d = arg;
	struct value args[3];

	args[0] = v_str(I, log_level_name(d->e->level));
	nyx_root(I, args[0]);
	args[1] = v_str(I, d->e->component);
	nyx_root(I, args[1]);
	args[2] = v_str(I, d->e->msg);
	nyx_root(I, args[2]);
	nyx_call(I, d->o->cb, 3, args);
}

void lib_log_drain(struct nyx *I)
{
	struct log_state *st = I->log_state;

	if (!st || !atomic_load(&st->pending) || st->draining)
		return;
	st->draining = true;
	for (;;) {
		struct queued *batch;
		size_t n;

		pthread_mutex_lock(&st->lock);
		batch = st->q;
		n = st->qlen;
		st->q = NULL;
		st->qlen = st->qcap = 0;
		atomic_store(&st->pending, false);
		pthread_mutex_unlock(&st->lock);
		if (!n) {
			free(batch);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct deliver d = {batch[i].out, &batch[i].e};
			size_t mark = I->nroots;

			if (d.o->id < 0)
				continue;
			if (nyx_pcall(I, deliver_one, &d)) {
				free(batch);
				st->draining = false;
				nyx_rethrow(I);
			}
			I->nroots = mark;
		}
		free(batch);
	}
	st->draining = false;
}

static struct logger *self_logger(struct value self)
{
	return ((struct logobj *)self.o->data)->l;
}

static enum log_level arg_level(struct nyx *I, const char *fname, int argc, struct value *argv,
				int i)
{
	if (i < argc && argv[i].t == VT_STR) {
		int lv = log_level_parse(argv[i].s->data);

		if (lv < 0)
			nyx_raise(I, "%s(): unknown log level \"%s\" (trace, debug, info, warn, "
				  "error, fatal)", fname, argv[i].s->data);
		return (enum log_level)lv;
	}
	{
		int64_t lv = arg_int(I, fname, argc, argv, i);

		if (lv < 0 || lv >= LOG_LEVEL_COUNT)
			nyx_raise(I, "%s(): log level %lld out of range (LOG_LEVEL_TRACE..FATAL "
				  "are 0..5)", fname, (long long)lv);
		return (enum log_level)lv;
	}
}

#define LFN(name) static void name(struct nyx *I, struct value self, int argc, \
				   struct value *argv, struct nmap *kw, struct value *out)

LFN(l_set_level)
{
	arg_count(I, "set_level", argc, 1, 1);
	logger_set_level(self_logger(self), arg_level(I, "set_level", argc, argv, 0));
}

LFN(l_get_level)
{
	arg_count(I, "get_level", argc, 0, 0);
	*out = v_int(logger_get_level(self_logger(self)));
}

LFN(l_register_component)
{
	const char *name;
	enum log_level lv;
	int rc;

	arg_count(I, "register_component", argc, 1, 2);
	name = arg_str(I, "register_component", argc, argv, 0);
	lv = argc > 1 ? arg_level(I, "register_component", argc, argv, 1) :
			logger_get_level(self_logger(self));
	if (strlen(name) >= LOG_COMPONENT_MAX)
		nyx_raise(I, "register_component(): name \"%s\" longer than %d characters", name,
			  LOG_COMPONENT_MAX - 1);
	rc = logger_register_component(self_logger(self), name, lv);
	if (rc < 0)
		nyx_raise(I, "register_component(\"%s\"): failed (%s)", name, strerror(-rc));
}

LFN(l_register_output)
{
	struct log_state *st = I->log_state;
	struct log_out *o;
	int id;

	arg_count(I, "register_output", argc, 1, 1);
	if (argv[0].t != VT_FUNC && argv[0].t != VT_NATIVE)
		nyx_raise(I, "register_output(): argument 1 must be a function, not %s",
			  value_type_name(argv[0]));
	if (st->nouts == st->outs_cap) {
		size_t cap = st->outs_cap ? st->outs_cap * 2 : 8;
		struct log_out **p = realloc(st->outs, cap * sizeof(*p));

		if (!p)
			nyx_raise(I, "register_output(): out of memory");
		st->outs = p;
		st->outs_cap = cap;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		nyx_raise(I, "register_output(): out of memory");
	o->st = st;
	o->l = self_logger(self);
	o->cb = argv[0];
	st->outs[st->nouts++] = o;
	id = logger_add_output(o->l, out_enqueue, o);
	if (id < 0) {
		st->nouts--;
		free(o);
		nyx_raise(I, "register_output(): the logger refused the output (%s)",
			  strerror(-id));
	}
	o->id = id;
	*out = v_int(id);
}

LFN(l_remove_output)
{
	struct log_state *st = I->log_state;
	int64_t id = arg_int(I, "remove_output", argc, argv, 0);

	for (size_t i = 0; i < st->nouts; i++) {
		struct log_out *o = st->outs[i];

		if (o->l == self_logger(self) && o->id == id) {
			logger_remove_output(o->l, o->id);
			o->id = -1;
			*out = v_bool(true);
			return;
		}
	}
	*out = v_bool(false);
}

static void log_at(struct nyx *I, struct value self, enum log_level lv, const char *fname,
		   int argc, struct value *argv)
{
	const char *comp;
	struct nstr *msg;

	arg_count(I, fname, argc, 2, 2);
	comp = arg_str(I, fname, argc, argv, 0);
	msg = value_to_nstr(I, argv[1]);
	log_write(self_logger(self), lv, comp, "%s", msg->data);
}

LFN(l_trace) { log_at(I, self, LOG_TRACE, "trace", argc, argv); }
LFN(l_debug) { log_at(I, self, LOG_DEBUG, "debug", argc, argv); }
LFN(l_info) { log_at(I, self, LOG_INFO, "info", argc, argv); }
LFN(l_warn) { log_at(I, self, LOG_WARN, "warn", argc, argv); }
LFN(l_error) { log_at(I, self, LOG_ERROR, "error", argc, argv); }
LFN(l_fatal) { log_at(I, self, LOG_FATAL, "fatal", argc, argv); }

LFN(l_log)
{
	enum log_level lv;

	arg_count(I, "log", argc, 3, 3);
	lv = arg_level(I, "log", argc, argv, 0);
	log_at(I, self, lv, "log", argc - 1, argv + 1);
}

static void dump(struct nyx *I, struct value self, const char *comp, uint64_t since_ns,
		 struct value *out)
{
	fflush(I->out);
	*out = v_int((int64_t)logger_dump(self_logger(self), I->out, comp, since_ns));
}

LFN(l_dump_buffer)
{
	arg_count(I, "dump_buffer", argc, 0, 0);
	dump(I, self, NULL, 0, out);
}

LFN(l_dump_component)
{
	arg_count(I, "dump_component", argc, 1, 1);
	dump(I, self, arg_str(I, "dump_component", argc, argv, 0), 0, out);
}

LFN(l_dump_since)
{
	double ts;

	arg_count(I, "dump_since", argc, 1, 1);
	ts = arg_num(I, "dump_since", argc, argv, 0);
	if (ts < 0)
		nyx_raise(I, "dump_since(): timestamp %g is negative", ts);
	/* 0 means "everything" to the C API: the epoch's first ns is as good. */
	dump(I, self, NULL, ts * 1e9 < 1 ? 1 : (uint64_t)(ts * 1e9), out);
}

struct collect {
	struct nyx *I;
	struct narray *a;
};

static void collect_entry(void *opaque, const struct log_entry *e)
{
	struct collect *c = opaque;
	struct nyx *I = c->I;
	struct nmap *m = nmap_new(I);

	narray_push(I, c->a, v_obj(VT_MAP, m));
	nmap_set_cstr(I, m, "level", v_str(I, log_level_name(e->level)));
	nmap_set_cstr(I, m, "component", v_str(I, e->component));
	nmap_set_cstr(I, m, "msg", v_str(I, e->msg));
	nmap_set_cstr(I, m, "ts", v_float((double)e->ts_ns / 1e9));
}

struct entry_copy {
	struct log_entry *v;
	size_t n, cap;
	bool oom;
};

static void entry_copy_one(void *opaque, const struct log_entry *e)
{
	struct entry_copy *x = opaque;

	if (x->oom)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct log_entry *p = realloc(x->v, cap * sizeof(*p));

		if (!p) {
			x->oom = true;
			return;
		}
		x->v = p;
		x->cap = cap;
	}
	x->v[x->n++] = *e;
}

/* entries([component]) -> [{level, component, msg, ts}]: the ring buffer. */
LFN(l_entries)
{
	struct collect c = {I, narray_new(I, 0)};
	const char *comp = NULL;

	arg_count(I, "entries", argc, 0, 1);
	if (argc && argv[0].t != VT_NULL)
		comp = arg_str(I, "entries", argc, argv, 0);
	*out = v_obj(VT_ARRAY, c.a);
	nyx_root(I, *out);
	/* collect_entry allocates and may raise: never inside the logger's
	 * lock, so copy the entries out first. */
	{
		struct entry_copy ec = {0};

		logger_foreach(self_logger(self), comp, 0, entry_copy_one, &ec);
		if (ec.oom) {
			free(ec.v);
			nyx_raise(I, "entries(): out of memory");
		}
		for (size_t i = 0; i < ec.n; i++)
			collect_entry(&c, &ec.v[i]);
		free(ec.v);
	}
}

static const struct nmethod logger_methods[] = {
	{"set_level", l_set_level},
	{"get_level", l_get_level},
	{"register_component", l_register_component},
	{"register_output", l_register_output},
	{"remove_output", l_remove_output},
	{"trace", l_trace},
	{"debug", l_debug},
	{"info", l_info},
	{"warn", l_warn},
	{"error", l_error},
	{"fatal", l_fatal},
	{"log", l_log},
	{"dump_buffer", l_dump_buffer},
	{"dump_component", l_dump_component},
	{"dump_since", l_dump_since},
	{"entries", l_entries},
	{NULL, NULL},
};

static void logger_finalize(struct nyx *I, struct nobject *o)
{
	free(o->data);
	o->data = NULL;
}

static const struct nclass logger_class = {
	.name = "Logger",
	.methods = logger_methods,
	.finalize = logger_finalize,
};

struct value lib_log_object(struct nyx *I, struct logger *l)
{
	struct logobj *lo = calloc(1, sizeof(*lo));

	if (!lo)
		nyx_raise(I, "out of memory (logger)");
	lo->l = l;
	return v_obj(VT_OBJECT, nobject_new(I, &logger_class, lo));
}

/* Drops every script output attached to logger l (before l is freed). */
void lib_log_forget(struct nyx *I, struct logger *l)
{
	struct log_state *st = I->log_state;
	size_t j = 0;

	if (!st)
		return;
	for (size_t i = 0; i < st->nouts; i++) {
		struct log_out *o = st->outs[i];

		if (o->l == l || !l) {
			if (o->id >= 0)
				logger_remove_output(o->l, o->id);
			o->id = -1;
		}
	}
	/* Queued entries for these outputs go too. */
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->qlen; i++)
		if (st->q[i].out->id >= 0)
			st->q[j++] = st->q[i];
	st->qlen = j;
	pthread_mutex_unlock(&st->lock);
	j = 0;
	for (size_t i = 0; i < st->nouts; i++) {
		if (st->outs[i]->id < 0)
			free(st->outs[i]);
		else
			st->outs[j++] = st->outs[i];
	}
	st->nouts = j;
}

static void log_state_mark(struct nyx *I, struct nobject *o)
{
	struct log_state *st = I->log_state;

	for (size_t i = 0; i < st->nouts; i++)
		gc_mark_value(I, st->outs[i]->cb);
}

/* The global logger object also keeps every script callback alive. */
static const struct nclass global_logger_class = {
	.name = "Logger",
	.methods = logger_methods,
	.mark = log_state_mark,
	.finalize = logger_finalize,
};

void lib_log_open(struct nyx *I)
{
	struct log_state *st = calloc(1, sizeof(*st));
	struct logobj *lo;
	struct value v;

	if (!st)
		nyx_raise(I, "out of memory (logging)");
	pthread_mutex_init(&st->lock, NULL);
	I->log_state = st;
	lo = calloc(1, sizeof(*lo));
	if (!lo)
		nyx_raise(I, "out of memory (logging)");
	lo->l = logger_global();
	st->global = nobject_new(I, &global_logger_class, lo);
	v = v_obj(VT_OBJECT, st->global);
	nyx_pin(I, v);
	nyx_set_global(I, "logger", v);
}

void lib_log_close(struct nyx *I)
{
	struct log_state *st = I->log_state;

	if (!st)
		return;
	lib_log_forget(I, NULL);
	free(st->q);
	free(st->outs);
	pthread_mutex_destroy(&st->lock);
	free(st);
	I->log_state = NULL;
}
