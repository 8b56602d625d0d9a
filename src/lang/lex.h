/*
 * Nyx lexer: turns source text into tokens on demand.
 *
 * Newlines are tokens (TK_NEWLINE) because they end statements, except that
 * a newline followed (after blank lines and comments) by a line starting
 * with `.` is swallowed, so fluent chains continue across lines. The parser
 * decides where newlines are insignificant (inside brackets).
 */
#ifndef NYX_LANG_LEX_H
#define NYX_LANG_LEX_H

#include <stddef.h>
#include <stdint.h>

enum tok_kind {
	TK_EOF,
	TK_ERROR,
	TK_NEWLINE,
	TK_IDENT,
	TK_INT,
	TK_FLOAT,
	TK_STRING,
	/* keywords */
	TK_LET, TK_FN, TK_RETURN, TK_IF, TK_ELSE, TK_FOR, TK_IN, TK_WHILE,
	TK_BREAK, TK_CONTINUE, TK_TRUE, TK_FALSE, TK_NULL, TK_IMPORT, TK_USE,
	/* punctuation */
	TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET, TK_LBRACE, TK_RBRACE,
	TK_COMMA, TK_DOT, TK_SEMI, TK_COLON,
	/* operators */
	TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_POW,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
	TK_ANDAND, TK_OROR, TK_NOT,
	TK_AMP, TK_PIPE, TK_CARET, TK_SHL, TK_SHR, TK_TILDE,
	TK_ASSIGN, TK_PLUS_ASSIGN, TK_MINUS_ASSIGN, TK_STAR_ASSIGN, TK_SLASH_ASSIGN,
	TK_PERCENT_ASSIGN,
};

struct token {
	enum tok_kind kind;
	int line, col;
	const char *start;       /* source text of the token */
	size_t len;
	int64_t ival;
	double fval;
	char *sval;              /* TK_STRING: decoded bytes (malloc'd by caller's arena) */
	size_t slen;
};

struct lexer {
	const char *src, *end, *p;
	int line;
	const char *line_start;
	char err[256];           /* TK_ERROR message */
	int err_line, err_col;
	/* string decoding buffer, owned by the lexer */
	char *buf;
	size_t buf_cap;
};

void lex_init(struct lexer *lx, const char *src, size_t len);
void lex_free(struct lexer *lx);
/* Next token; for TK_STRING, sval points into lx->buf until the next call. */
void lex_next(struct lexer *lx, struct token *t);
const char *tok_name(enum tok_kind k);

#endif
