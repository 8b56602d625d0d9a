/*
 * The Nyx interpreter object and the API the built-in libraries use.
 *
 * All state hangs off `struct nyx`: the heap (gc.c), globals, loaded
 * programs, modules and library state. Errors unwind with longjmp to the
 * innermost protected call (nyx_pcall); every heap object is owned by the
 * collector, so unwinding leaks nothing. Library code must therefore free
 * its own malloc'd scratch memory before raising.
 *
 * GC rooting rule: every value an expression produces is pushed on the
 * temporary root stack, which is cut back at the end of each statement.
 * Collection only happens between statements, so C code holding values
 * across a call into the interpreter needs no extra care as long as those
 * values came from the interpreter or are pushed with nyx_root().
 */
#ifndef NYX_LANG_INTERP_H
#define NYX_LANG_INTERP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include "lang/ast.h"
#include "lang/value.h"

#define NYX_MAX_CALL_DEPTH 1000
#define NYX_MAX_STRING (64u << 20)   /* bytes in one string */
#define NYX_MAX_ARRAY (16u << 20)    /* elements in one array or map */
#define NYX_MAX_NEST 200             /* syntactic nesting (parser) */

struct nyx_jmp {
	jmp_buf jb;
	struct nyx_jmp *prev;
};

struct mark_stack;
struct logger;

struct nyx {
	/* heap */
	struct gc_hdr *objects;
	size_t bytes, next_gc;
	struct gc_hdr **roots;       /* temporary roots (see rooting rule) */
	size_t nroots, roots_cap;
	struct nstr **consts;        /* permanent strings (AST literals) */
	size_t nconsts, consts_cap;
	struct gc_hdr **pins;        /* long-lived roots held by C code */
	size_t npins, pins_cap;
	struct mark_stack *gray;    /* during gc_collect */

	struct env *globals;         /* built-ins */
	struct env *top;             /* the scripts' top level (kept across runs) */
	struct env *env;             /* current scope */
	struct env **frames;         /* scopes of active calls (roots) */
	size_t nframes, frames_cap;
	int depth;

	struct program *programs;
	const char *script_file;
	const struct node *cur;      /* node being evaluated: error location */

	struct nyx_jmp *jmp;
	char errmsg[1024];           /* "file:line:col: message" of the last error */
	int exit_code;               /* exit() requested by the script: >= 0 */
	struct value retval;         /* carries `return` values */

	FILE *out;
	/* library state */
	void *log_state;
	void *vm_state;
	struct nmap *modules;        /* name -> module namespace object */
};

struct nyx *nyx_new(void);
void nyx_free(struct nyx *I);
/* Runs a script file / source text. 0 on success, else 1 with errmsg set. */
int nyx_run_file(struct nyx *I, const char *path, int argc, char **argv);
int nyx_run_string(struct nyx *I, const char *name, const char *src, size_t len);

/* Errors: message is prefixed with the location of the current node. */
void nyx_raise(struct nyx *I, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void nyx_raise_at(struct nyx *I, const struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Raises the (already formatted) I->errmsg again, for re-throwing. */
void nyx_rethrow(struct nyx *I) __attribute__((noreturn));

/* Calls fn(I, arg) catching errors: 0, or -1 with I->errmsg set. */
int nyx_pcall(struct nyx *I, void (*fn)(struct nyx *I, void *arg), void *arg);

/* Calls a script or native callable with positional arguments. */
struct value nyx_call(struct nyx *I, struct value fn, int argc, struct value *argv);

/* GC */
void *gc_alloc(struct nyx *I, enum gc_kind kind, size_t size);
void gc_mark_value(struct nyx *I, struct value v);
void gc_mark_obj(struct nyx *I, struct gc_hdr *h);
void gc_maybe_collect(struct nyx *I);
void gc_collect(struct nyx *I);
void gc_free_all(struct nyx *I);
void nyx_root(struct nyx *I, struct value v);
void nyx_pin(struct nyx *I, struct value v);
void nyx_unpin(struct nyx *I, struct value v);
void nyx_add_const(struct nyx *I, struct nstr *s);
/* Accounting for memory owned by objects outside gc_alloc (arrays, maps). */
void gc_account(struct nyx *I, long delta);

/* Environments */
struct env *env_new(struct nyx *I, struct env *parent, bool func_scope);
struct binding *env_find_local(struct env *e, const char *name, uint32_t hash);
struct binding *env_lookup(struct env *e, const char *name, uint32_t hash);
void env_define(struct nyx *I, struct env *e, const char *name, uint32_t hash, struct value v);
void nyx_set_global(struct nyx *I, const char *name, struct value v);

/* Helpers for natives: argument checks that raise "f(): argument N ..." */
int64_t arg_int(struct nyx *I, const char *fname, int argc, struct value *argv, int i);
double arg_num(struct nyx *I, const char *fname, int argc, struct value *argv, int i);
const char *arg_str(struct nyx *I, const char *fname, int argc, struct value *argv, int i);
bool arg_bool(struct nyx *I, const char *fname, int argc, struct value *argv, int i);
void arg_count(struct nyx *I, const char *fname, int argc, int min, int max);
/* Named argument, positional fallback at index pos (-1 = none). */
bool arg_named(struct nmap *kwargs, const char *name, int argc, struct value *argv, int pos,
	       struct value *out);
void no_kwargs(struct nyx *I, const char *fname, struct nmap *kwargs);

/* String formatting shared by printf/format: fmt with %s %d %x %f %%. */
struct nstr *nyx_format(struct nyx *I, const char *fname, const char *fmt, size_t fmtlen,
			int argc, struct value *argv);

/* Libraries */
void lib_core_open(struct nyx *I);
void lib_modules_open(struct nyx *I);
void lib_log_open(struct nyx *I);
void lib_log_close(struct nyx *I);
void lib_vm_open(struct nyx *I);
void lib_vm_close(struct nyx *I);
/* Delivers queued log entries to script outputs (interpreter thread only). */
void lib_log_drain(struct nyx *I);
/* Method lookup for built-in types (strings, arrays, maps). */
bool lib_core_method(struct nyx *I, struct value self, const char *name, struct value *out);
/* import: returns the module namespace or raises "unknown module". */
struct value lib_modules_import(struct nyx *I, const char *name);
/* Log object for a C logger (used by lib_vm for vm.logger). */
struct value lib_log_object(struct nyx *I, struct logger *l);
void lib_log_forget(struct nyx *I, struct logger *l);

#endif
