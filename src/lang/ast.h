/*
 * The Nyx syntax tree. One node layout for every construct; which fields are
 * used depends on the kind (documented per kind below). Nodes are allocated
 * from the owning program's arena (parse.c) and live until the interpreter
 * is destroyed, because closures point into them.
 */
#ifndef NYX_LANG_AST_H
#define NYX_LANG_AST_H

#include <stddef.h>
#include <stdint.h>

#include "lang/value.h"

enum node_kind {
	/* expressions */
	N_INT,       /* ival */
	N_FLOAT,     /* fval */
	N_STR,       /* str (a permanent string constant) */
	N_BOOL,      /* ival */
	N_NULL,
	N_IDENT,     /* name, hash */
	N_ARRAY,     /* kids[n] */
	N_TUPLE,     /* kids[n] */
	N_MAP,       /* kids[2n]: key, value, key, value ... */
	N_FUNC,      /* name (may be NULL), params[n] (names), a = body block */
	N_UNARY,     /* op, a */
	N_BINARY,    /* op, a, b */
	N_AND,       /* a, b */
	N_OR,        /* a, b */
	N_CALL,      /* a = callee, kids[n] = args; argnames[n] (NULL = positional) */
	N_INDEX,     /* a[b] */
	N_MEMBER,    /* a.name */
	N_ASSIGN,    /* a = target (ident/index/member), b = value, op = 0 or compound op */
	/* statements */
	S_EXPR,      /* a */
	S_LET,       /* name, a = value (may be NULL) */
	S_BLOCK,     /* kids[n] */
	S_IF,        /* a = cond, b = then, c = else (may be NULL) */
	S_WHILE,     /* a = cond, b = body */
	S_FOR,       /* name = loop variable, a = iterable, b = body */
	S_RETURN,    /* a (may be NULL) */
	S_BREAK,
	S_CONTINUE,
	S_FNDECL,    /* name, a = N_FUNC */
	S_IMPORT,    /* name = dotted module name */
};

/* Operator codes are the token kinds of lex.h (TK_PLUS ...). */
struct node {
	enum node_kind kind;
	int line, col;
	const char *file;
	int op;
	int64_t ival;
	double fval;
	const char *name;
	uint32_t hash;
	struct nstr *str;
	struct node *a, *b, *c;
	struct node **kids;
	const char **argnames;
	const char **params;
	uint32_t *param_hash;
	size_t n;
};

/* A parsed script: its nodes, strings and source buffer. */
struct program;

/*
 * Parses `src` (len bytes) from `file`. Returns the top-level block, or NULL
 * with a "file:line:col: message" in err. The program is registered with
 * the interpreter and freed with it.
 */
struct node *nyx_parse(struct nyx *I, const char *file, const char *src, size_t len, char *err,
		       size_t err_len);
void program_free_all(struct nyx *I);

#endif
