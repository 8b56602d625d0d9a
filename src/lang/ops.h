/*
 * Nyx operators: arithmetic, comparison, bitwise and concatenation rules
 * (see docs/language.md, "Operators").
 */
#ifndef NYX_LANG_OPS_H
#define NYX_LANG_OPS_H

#include "lang/interp.h"

/* op is a token kind from lex.h; errors are raised at node n. */
struct value ops_binary(struct nyx *I, const struct node *n, int op, struct value a,
			struct value b);
struct value ops_unary(struct nyx *I, const struct node *n, int op, struct value a);

#endif
