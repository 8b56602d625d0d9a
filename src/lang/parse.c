/*
 * Nyx parser: recursive descent over the lexer's tokens, building the AST of
 * ast.h in the program's arena.
 *
 * Newlines: statement terminators at statement level. Inside ( [ and map
 * braces they are insignificant (p->nl > 0), except inside a function body
 * nested there, which restores statement-level newlines. Precedence, lowest
 * first: assignment (right), ||, &&, comparisons, |, ^, &, << >>, + -,
 * * / %, unary - ! ~, ** (right; binds tighter than unary on its left, so
 * -2**2 == -4), postfix call/index/member.
 *
 * Errors longjmp to parse entry with a "file:line:col: message" string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"
#include "lang/interp.h"
#include "lang/lex.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct program {
	struct program *next;
	char *file;
	struct arena_chunk *chunks;
};

struct parser {
	struct nyx *I;
	struct program *prog;
	struct lexer lx;
	struct token tok;
	const char *file;
	int nl;                  /* > 0: newlines are insignificant */
	int depth;
	int loops;               /* enclosing loops in the current function */
	jmp_buf jb;
	char *err;
	size_t err_len;
};

static void *arena_alloc(struct parser *p, size_t n);

static __attribute__((noreturn, format(printf, 3, 4)))
void perr(struct parser *p, const struct token *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_len, "%s:%d:%d: %s", p->file, t->line, t->col, msg);
	longjmp(p->jb, 1);
}

static void *arena_alloc(struct parser *p, size_t n)
{
	struct arena_chunk *c = p->prog->chunks;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > c->cap) {
		size_t cap = n > 16384 ? n : 16384;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			perr(p, &p->tok, "out of memory while parsing");
		c->next = p->prog->chunks;
		c->used = 0;
		c->cap = cap;
		p->prog->chunks = c;
	}
	c->used += n;
	memset(c->data + c->used - n, 0, n);
	return c->data + c->used - n;
}

static char *arena_strndup(struct parser *p, const char *s, size_t n)
{
	char *d = arena_alloc(p, n + 1);

	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static const char *tok_desc(const struct token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case TK_IDENT:
	case TK_INT:
	case TK_FLOAT:
		snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
		return buf;
	case TK_STRING:
		return "a string";
	default:
		return tok_name(t->kind);
	}
}

static void next(struct parser *p)
{
	do {
		lex_next(&p->lx, &p->tok);
		if (p->tok.kind == TK_ERROR) {
			snprintf(p->err, p->err_len, "%s:%d:%d: %s", p->file, p->lx.err_line,
				 p->lx.err_col, p->lx.err);
			longjmp(p->jb, 1);
		}
	} while (p->tok.kind == TK_NEWLINE && p->nl > 0);
}

static void skip_nl(struct parser *p)
{
	while (p->tok.kind == TK_NEWLINE)
		next(p);
}

static __attribute__((noreturn)) void expected(struct parser *p, const char *what)
{
	char buf[64];

	perr(p, &p->tok, "expected %s, found %s", what, tok_desc(&p->tok, buf, sizeof(buf)));
}

static void expect(struct parser *p, enum tok_kind k, const char *what)
{
	if (p->tok.kind != k)
		expected(p, what);
	next(p);
}

/* Kind of the token after the current one, without consuming anything. */
static enum tok_kind peek_kind(struct parser *p)
{
	struct lexer save = p->lx;
	struct token t;

	do
		lex_next(&p->lx, &t);
	while (t.kind == TK_NEWLINE && p->nl > 0);
	/* The string buffer may have been reallocated: keep the new one. */
	save.buf = p->lx.buf;
	save.buf_cap = p->lx.buf_cap;
	if (p->tok.kind == TK_STRING)
		p->tok.sval = p->lx.buf;
	p->lx = save;
	return t.kind;
}

static struct node *mk(struct parser *p, enum node_kind k, const struct token *at)
{
	struct node *n = arena_alloc(p, sizeof(*n));

	n->kind = k;
	n->line = at->line;
	n->col = at->col;
	n->file = p->file;
	return n;
}

/* Growable node list built in malloc'd memory, then moved to the arena. */
struct nlist {
	struct node **v;
	const char **names;
	size_t n, cap;
};

static void nl_push(struct parser *p, struct nlist *l, struct node *n, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct node **v = arena_alloc(p, cap * sizeof(*v));
		const char **nm = arena_alloc(p, cap * sizeof(*nm));

		if (l->n) {
			memcpy(v, l->v, l->n * sizeof(*v));
			memcpy(nm, l->names, l->n * sizeof(*nm));
		}
		l->v = v;
		l->names = nm;
		l->cap = cap;
	}
	l->v[l->n] = n;
	l->names[l->n] = name;
	l->n++;
}

static void enter(struct parser *p)
{
	if (++p->depth > NYX_MAX_NEST)
		perr(p, &p->tok, "nesting too deep (more than %d levels)", NYX_MAX_NEST);
}

static struct node *parse_expr(struct parser *p);
static struct node *parse_block(struct parser *p);
static struct node *parse_statement(struct parser *p);
static struct node *parse_unary(struct parser *p);

static const char *ident_name(struct parser *p, const struct token *t, uint32_t *hash)
{
	if (hash)
		*hash = hash_bytes(t->start, t->len);
	return arena_strndup(p, t->start, t->len);
}

static struct node *parse_function(struct parser *p, const struct token *at, const char *name)
{
	struct node *f = mk(p, N_FUNC, at);
	struct nlist params = {0};
	int saved = p->nl;

	f->name = name;
	p->nl++;
	expect(p, TK_LPAREN, "'(' to start the parameter list");
	while (p->tok.kind != TK_RPAREN) {
		if (p->tok.kind != TK_IDENT)
			expected(p, "a parameter name");
		for (size_t i = 0; i < params.n; i++)
			if (strlen(params.names[i]) == p->tok.len &&
			    !memcmp(params.names[i], p->tok.start, p->tok.len))
				perr(p, &p->tok, "duplicate parameter '%.*s'", (int)p->tok.len,
				     p->tok.start);
		nl_push(p, &params, NULL, ident_name(p, &p->tok, NULL));
		next(p);
		if (p->tok.kind != TK_COMMA)
			break;
		next(p);
	}
	p->nl = saved;
	expect(p, TK_RPAREN, "')' to close the parameter list");
	saved = p->loops;
	p->loops = 0;
	f->n = params.n;
	f->params = params.names;
	f->param_hash = arena_alloc(p, (params.n + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < params.n; i++)
		f->param_hash[i] = hash_bytes(params.names[i], strlen(params.names[i]));
	f->a = parse_block(p);
	p->loops = saved;
	return f;
}

static struct node *parse_primary(struct parser *p)
{
	struct token t = p->tok;
	struct node *n;

	switch (t.kind) {
	case TK_INT:
		n = mk(p, N_INT, &t);
		n->ival = t.ival;
		next(p);
		return n;
	case TK_FLOAT:
		n = mk(p, N_FLOAT, &t);
		n->fval = t.fval;
		next(p);
		return n;
	case TK_STRING:
		n = mk(p, N_STR, &t);
		n->str = nstr_new(p->I, t.sval, t.slen);
		nyx_add_const(p->I, n->str);
		next(p);
		return n;
	case TK_TRUE:
	case TK_FALSE:
		n = mk(p, N_BOOL, &t);
		n->ival = t.kind == TK_TRUE;
		next(p);
		return n;
	case TK_NULL:
		n = mk(p, N_NULL, &t);
		next(p);
		return n;
	case TK_IDENT:
		n = mk(p, N_IDENT, &t);
		n->name = ident_name(p, &t, &n->hash);
		next(p);
		return n;
	case TK_FN:
		next(p);
		return parse_function(p, &t, NULL);
	case TK_LPAREN: {
		struct nlist items = {0};
		int saved = p->nl;
		bool tuple = false;

		p->nl++;
		next(p);
		skip_nl(p);
		while (p->tok.kind != TK_RPAREN) {
			nl_push(p, &items, parse_expr(p), NULL);
			if (p->tok.kind != TK_COMMA)
				break;
			tuple = true;
			next(p);
		}
		p->nl = saved;
		expect(p, TK_RPAREN, "')'");
		if (items.n == 1 && !tuple)
			return items.v[0];
		n = mk(p, N_TUPLE, &t);
		n->kids = items.v;
		n->n = items.n;
		return n;
	}
	case TK_LBRACKET: {
		struct nlist items = {0};
		int saved = p->nl;

		p->nl++;
		next(p);
		skip_nl(p);
		while (p->tok.kind != TK_RBRACKET) {
			nl_push(p, &items, parse_expr(p), NULL);
			if (p->tok.kind != TK_COMMA)
				break;
			next(p);
		}
		p->nl = saved;
		expect(p, TK_RBRACKET, "']' to close the array");
		n = mk(p, N_ARRAY, &t);
		n->kids = items.v;
		n->n = items.n;
		return n;
	}
	case TK_LBRACE: {
		struct nlist items = {0};
		int saved = p->nl;

		p->nl++;
		next(p);
		skip_nl(p);
		while (p->tok.kind != TK_RBRACE) {
			struct node *k;

			if (p->tok.kind == TK_IDENT && peek_kind(p) == TK_COLON) {
				/* Bare identifier keys are strings: {name: v}. */
				k = mk(p, N_STR, &p->tok);
				k->str = nstr_new(p->I, p->tok.start, p->tok.len);
				nyx_add_const(p->I, k->str);
				next(p);
			} else {
				k = parse_expr(p);
			}
			expect(p, TK_COLON, "':' after the map key");
			nl_push(p, &items, k, NULL);
			nl_push(p, &items, parse_expr(p), NULL);
			if (p->tok.kind != TK_COMMA)
				break;
			next(p);
		}
		p->nl = saved;
		expect(p, TK_RBRACE, "'}' to close the map");
		n = mk(p, N_MAP, &t);
		n->kids = items.v;
		n->n = items.n / 2;
		return n;
	}
	case TK_EOF:
		perr(p, &t, "unexpected end of file, expected an expression");
	default: {
		char buf[64];

		perr(p, &t, "expected an expression, found %s", tok_desc(&t, buf, sizeof(buf)));
	}
	}
}

static struct node *parse_call(struct parser *p, struct node *callee)
{
	struct token at = p->tok;
	struct node *n = mk(p, N_CALL, &at);
	struct nlist args = {0};
	int saved = p->nl;
	bool named_seen = false;

	n->a = callee;
	p->nl++;
	next(p);
	skip_nl(p);
	while (p->tok.kind != TK_RPAREN) {
		const char *name = NULL;
		struct token nt = p->tok;

		if (p->tok.kind == TK_IDENT && peek_kind(p) == TK_ASSIGN) {
			name = ident_name(p, &p->tok, NULL);
			for (size_t i = 0; i < args.n; i++)
				if (args.names[i] && !strcmp(args.names[i], name))
					perr(p, &nt, "argument '%s' given twice", name);
			next(p);
			next(p);
			named_seen = true;
		} else if (named_seen) {
			perr(p, &nt, "positional argument after named arguments");
		}
		nl_push(p, &args, parse_expr(p), name);
		if (p->tok.kind != TK_COMMA)
			break;
		next(p);
	}
	p->nl = saved;
	expect(p, TK_RPAREN, "')' to close the argument list");
	n->kids = args.v;
	n->argnames = named_seen ? args.names : NULL;
	n->n = args.n;
	return n;
}

static struct node *parse_postfix(struct parser *p)
{
	struct node *n = parse_primary(p);

	for (;;) {
		struct token t = p->tok;

		if (t.kind == TK_LPAREN) {
			n = parse_call(p, n);
		} else if (t.kind == TK_LBRACKET) {
			struct node *ix = mk(p, N_INDEX, &t);
			int saved = p->nl;

			p->nl++;
			next(p);
			skip_nl(p);
			ix->a = n;
			ix->b = parse_expr(p);
			p->nl = saved;
			expect(p, TK_RBRACKET, "']' after the index");
			n = ix;
		} else if (t.kind == TK_DOT) {
			struct node *m = mk(p, N_MEMBER, &t);

			next(p);
			if (p->tok.kind != TK_IDENT && !(p->tok.kind >= TK_LET && p->tok.kind <= TK_USE))
				expected(p, "a member name after '.'");
			m->a = n;
			m->name = ident_name(p, &p->tok, &m->hash);
			m->line = p->tok.line;
			m->col = p->tok.col;
			next(p);
			n = m;
		} else {
			return n;
		}
	}
}

static struct node *parse_power(struct parser *p)
{
	struct node *base = parse_postfix(p);

	if (p->tok.kind == TK_POW) {
		struct node *n = mk(p, N_BINARY, &p->tok);

		n->op = TK_POW;
		next(p);
		skip_nl(p);
		n->a = base;
		enter(p);
		n->b = parse_unary(p);   /* right-assoc: unary -> power */
		p->depth--;
		return n;
	}
	return base;
}

static struct node *parse_unary(struct parser *p)
{
	struct token t = p->tok;
	struct node *n;

	if (t.kind == TK_MINUS || t.kind == TK_NOT || t.kind == TK_TILDE || t.kind == TK_PLUS) {
		enter(p);
		next(p);
		n = mk(p, N_UNARY, &t);
		n->op = t.kind;
		n->a = parse_unary(p);
		p->depth--;
		return n;
	}
	return parse_power(p);
}

static int binary_prec(enum tok_kind k)
{
	switch (k) {
	case TK_OROR: return 1;
	case TK_ANDAND: return 2;
	case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE: return 3;
	case TK_PIPE: return 4;
	case TK_CARET: return 5;
	case TK_AMP: return 6;
	case TK_SHL: case TK_SHR: return 7;
	case TK_PLUS: case TK_MINUS: return 8;
	case TK_STAR: case TK_SLASH: case TK_PERCENT: return 9;
	default: return 0;
	}
}

static struct node *parse_binary(struct parser *p, int min_prec)
{
	struct node *lhs = parse_unary(p);

	for (;;) {
		struct token t = p->tok;
		int prec = binary_prec(t.kind);
		struct node *n;

		if (!prec || prec < min_prec)
			return lhs;
		next(p);
		skip_nl(p);   /* a trailing operator continues the expression */
		n = mk(p, t.kind == TK_ANDAND ? N_AND : t.kind == TK_OROR ? N_OR : N_BINARY, &t);
		n->op = t.kind;
		n->a = lhs;
		enter(p);
		n->b = parse_binary(p, prec + 1);
		p->depth--;
		lhs = n;
	}
}

static int compound_op(enum tok_kind k)
{
	switch (k) {
	case TK_PLUS_ASSIGN: return TK_PLUS;
	case TK_MINUS_ASSIGN: return TK_MINUS;
	case TK_STAR_ASSIGN: return TK_STAR;
	case TK_SLASH_ASSIGN: return TK_SLASH;
	case TK_PERCENT_ASSIGN: return TK_PERCENT;
	default: return 0;
	}
}

static struct node *parse_expr(struct parser *p)
{
	struct node *lhs;
	struct token t;

	enter(p);
	lhs = parse_binary(p, 1);
	t = p->tok;
	if (t.kind == TK_ASSIGN || compound_op(t.kind)) {
		struct node *n = mk(p, N_ASSIGN, &t);

		if (lhs->kind != N_IDENT && lhs->kind != N_INDEX && lhs->kind != N_MEMBER)
			perr(p, &t, "cannot assign to this expression (only to a name, "
			     "an index or a member)");
		next(p);
		skip_nl(p);
		n->op = compound_op(t.kind);
		n->a = lhs;
		n->b = parse_expr(p);
		lhs = n;
	}
	p->depth--;
	return lhs;
}

static void end_statement(struct parser *p)
{
	switch (p->tok.kind) {
	case TK_SEMI:
	case TK_NEWLINE:
		next(p);
		return;
	case TK_EOF:
	case TK_RBRACE:
		return;
	default: {
		char buf[64];

		perr(p, &p->tok, "expected ';' or a newline after the statement, found %s",
		     tok_desc(&p->tok, buf, sizeof(buf)));
	}
	}
}

static struct node *parse_block(struct parser *p)
{
	struct token t = p->tok;
	struct node *b = mk(p, S_BLOCK, &t);
	struct nlist items = {0};
	int saved = p->nl;

	p->nl = 0;
	if (p->tok.kind != TK_LBRACE)
		expected(p, "'{'");
	enter(p);
	next(p);
	for (;;) {
		while (p->tok.kind == TK_NEWLINE || p->tok.kind == TK_SEMI)
			next(p);
		if (p->tok.kind == TK_RBRACE)
			break;
		if (p->tok.kind == TK_EOF)
			perr(p, &t, "unterminated block: '{' is never closed");
		nl_push(p, &items, parse_statement(p), NULL);
	}
	p->depth--;
	p->nl = saved;
	next(p);   /* '}' */
	b->kids = items.v;
	b->n = items.n;
	/* op = 1: the block declares names, so it needs its own scope. */
	for (size_t i = 0; i < items.n; i++)
		if (items.v[i]->kind == S_LET || items.v[i]->kind == S_FNDECL)
			b->op = 1;
	return b;
}

/* True if the next significant token (past newlines) is `else`. */
static bool else_follows(struct parser *p)
{
	struct lexer save;
	struct token t;

	if (p->tok.kind == TK_ELSE)
		return true;
	if (p->tok.kind != TK_NEWLINE)
		return false;
	save = p->lx;
	do
		lex_next(&p->lx, &t);
	while (t.kind == TK_NEWLINE);
	if (t.kind == TK_ELSE) {
		p->tok = t;
		return true;
	}
	save.buf = p->lx.buf;
	save.buf_cap = p->lx.buf_cap;
	p->lx = save;
	return false;
}

static struct node *parse_import(struct parser *p, const struct token *t)
{
	struct node *n = mk(p, S_IMPORT, t);

	if (p->tok.kind == TK_STRING) {
		n->name = arena_strndup(p, p->tok.sval, p->tok.slen);
		next(p);
	} else if (p->tok.kind == TK_IDENT) {
		char buf[256];
		size_t len = 0;

		for (;;) {
			if (len + p->tok.len + 2 > sizeof(buf))
				perr(p, &p->tok, "module name too long");
			memcpy(buf + len, p->tok.start, p->tok.len);
			len += p->tok.len;
			next(p);
			if (p->tok.kind != TK_DOT)
				break;
			buf[len++] = '.';
			next(p);
			if (p->tok.kind != TK_IDENT)
				expected(p, "a module name after '.'");
		}
		n->name = arena_strndup(p, buf, len);
	} else {
		expected(p, "a module name");
	}
	end_statement(p);
	return n;
}

static struct node *parse_statement(struct parser *p)
{
	struct token t = p->tok;
	struct node *n;

	switch (t.kind) {
	case TK_LET:
		next(p);
		if (p->tok.kind != TK_IDENT)
			expected(p, "a variable name after 'let'");
		n = mk(p, S_LET, &t);
		n->name = ident_name(p, &p->tok, &n->hash);
		next(p);
		if (p->tok.kind == TK_ASSIGN) {
			next(p);
			skip_nl(p);
			n->a = parse_expr(p);
		}
		end_statement(p);
		return n;
	case TK_FN:
		if (peek_kind(p) == TK_IDENT) {
			struct token nt;

			next(p);
			nt = p->tok;
			n = mk(p, S_FNDECL, &t);
			n->name = ident_name(p, &nt, &n->hash);
			next(p);
			n->a = parse_function(p, &t, n->name);
			if (p->tok.kind == TK_SEMI)
				next(p);
			return n;
		}
		break;
	case TK_RETURN:
		next(p);
		n = mk(p, S_RETURN, &t);
		if (p->tok.kind != TK_SEMI && p->tok.kind != TK_NEWLINE &&
		    p->tok.kind != TK_RBRACE && p->tok.kind != TK_EOF)
			n->a = parse_expr(p);
		end_statement(p);
		return n;
	case TK_BREAK:
	case TK_CONTINUE:
		if (!p->loops)
			perr(p, &t, "'%s' outside a loop", t.kind == TK_BREAK ? "break" : "continue");
		next(p);
		n = mk(p, t.kind == TK_BREAK ? S_BREAK : S_CONTINUE, &t);
		end_statement(p);
		return n;
	case TK_IF:
		next(p);
		n = mk(p, S_IF, &t);
		n->a = parse_expr(p);
		n->b = parse_block(p);
		if (else_follows(p)) {
			struct token et;

			next(p);
			et = p->tok;
			if (et.kind == TK_IF) {
				struct node *blk = mk(p, S_BLOCK, &et);

				enter(p);
				blk->kids = arena_alloc(p, sizeof(struct node *));
				blk->kids[0] = parse_statement(p);
				blk->n = 1;
				p->depth--;
				n->c = blk;
			} else {
				n->c = parse_block(p);
			}
		}
		if (p->tok.kind == TK_SEMI)
			next(p);
		return n;
	case TK_WHILE:
		next(p);
		n = mk(p, S_WHILE, &t);
		n->a = parse_expr(p);
		p->loops++;
		n->b = parse_block(p);
		p->loops--;
		if (p->tok.kind == TK_SEMI)
			next(p);
		return n;
	case TK_FOR: {
		bool paren;

		next(p);
		n = mk(p, S_FOR, &t);
		paren = p->tok.kind == TK_LPAREN;
		if (paren)
			next(p);
		if (p->tok.kind != TK_IDENT)
			expected(p, "a loop variable after 'for'");
		n->name = ident_name(p, &p->tok, &n->hash);
		next(p);
		expect(p, TK_IN, "'in' after the loop variable");
		p->nl += paren;
		n->a = parse_expr(p);
		p->nl -= paren;
		if (paren)
			expect(p, TK_RPAREN, "')' after the loop header");
		p->loops++;
		n->b = parse_block(p);
		p->loops--;
		if (p->tok.kind == TK_SEMI)
			next(p);
		return n;
	}
	case TK_IMPORT:
	case TK_USE:
		next(p);
		return parse_import(p, &t);
	case TK_LBRACE:
		n = parse_block(p);
		return n;
	default:
		break;
	}
	n = mk(p, S_EXPR, &t);
	n->a = parse_expr(p);
	end_statement(p);
	return n;
}

struct node *nyx_parse(struct nyx *I, const char *file, const char *src, size_t len, char *err,
		       size_t err_len)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct program *prog = calloc(1, sizeof(*prog));
	struct node *volatile top = NULL;
	struct nlist items = {0};

	if (!p || !prog) {
		free(p);
		free(prog);
		snprintf(err, err_len, "%s: out of memory", file);
		return NULL;
	}
	prog->file = strdup(file);
	prog->next = I->programs;
	I->programs = prog;
	p->I = I;
	p->prog = prog;
	p->file = prog->file ? prog->file : "?";
	p->err = err;
	p->err_len = err_len;
	lex_init(&p->lx, src, len);
	if (setjmp(p->jb) == 0) {
		next(p);
		top = mk(p, S_BLOCK, &p->tok);
		for (;;) {
			while (p->tok.kind == TK_NEWLINE || p->tok.kind == TK_SEMI)
				next(p);
			if (p->tok.kind == TK_EOF)
				break;
			if (p->tok.kind == TK_RBRACE)
				perr(p, &p->tok, "unexpected '}' with no block to close");
			nl_push(p, &items, parse_statement(p), NULL);
		}
		top->kids = items.v;
		top->n = items.n;
	} else {
		top = NULL;
	}
	lex_free(&p->lx);
	free(p);
	return top;
}

void program_free_all(struct nyx *I)
{
	while (I->programs) {
		struct program *prog = I->programs;

		I->programs = prog->next;
		while (prog->chunks) {
			struct arena_chunk *c = prog->chunks;

			prog->chunks = c->next;
			free(c);
		}
		free(prog->file);
		free(prog);
	}
}
