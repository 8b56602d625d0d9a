/*
 * Nyx lexer (see lex.h for the newline rule). Columns are 1-based byte
 * offsets within the line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lex.h"

static const struct {
	const char *word;
	enum tok_kind kind;
} keywords[] = {
	{"let", TK_LET},       {"fn", TK_FN},         {"return", TK_RETURN},
	{"if", TK_IF},         {"else", TK_ELSE},     {"for", TK_FOR},
	{"in", TK_IN},         {"while", TK_WHILE},   {"break", TK_BREAK},
	{"continue", TK_CONTINUE}, {"true", TK_TRUE}, {"false", TK_FALSE},
	{"null", TK_NULL},     {"import", TK_IMPORT}, {"use", TK_USE},
};

void lex_init(struct lexer *lx, const char *src, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = lx->p = lx->line_start = src;
	lx->end = src + len;
	lx->line = 1;
}

void lex_free(struct lexer *lx)
{
	free(lx->buf);
	lx->buf = NULL;
}

static int lex_col(struct lexer *lx, const char *at)
{
	return (int)(at - lx->line_start) + 1;
}

static void lex_error(struct lexer *lx, struct token *t, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lx->err, sizeof(lx->err), fmt, ap);
	va_end(ap);
	t->kind = TK_ERROR;
	t->line = lx->err_line = lx->line;
	t->col = lx->err_col = lex_col(lx, at);
}

static int buf_put(struct lexer *lx, size_t at, char c)
{
	if (at + 1 >= lx->buf_cap) {
		size_t cap = lx->buf_cap ? lx->buf_cap * 2 : 64;
		char *nb = realloc(lx->buf, cap);

		if (!nb)
			return -ENOMEM;
		lx->buf = nb;
		lx->buf_cap = cap;
	}
	lx->buf[at] = c;
	lx->buf[at + 1] = 0;
	return 0;
}

/* After a newline: does the next code line start with '.' (a chain)? */
static int lex_continues(struct lexer *lx, const char *q)
{
	while (q < lx->end) {
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
			q++;
		} else if (*q == '#') {
			while (q < lx->end && *q != '\n')
				q++;
		} else {
			return *q == '.' && !(q + 1 < lx->end && q[1] >= '0' && q[1] <= '9');
		}
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void lex_string(struct lexer *lx, struct token *t)
{
	char quote = *lx->p;
	const char *start = lx->p;
	size_t n = 0;

	lx->p++;
	for (;;) {
		char c;

		if (lx->p >= lx->end || *lx->p == '\n') {
			lex_error(lx, t, start, "unterminated string");
			return;
		}
		c = *lx->p++;
		if (c == quote)
			break;
		if (c == '\\') {
			const char *esc = lx->p - 1;

			if (lx->p >= lx->end) {
				lex_error(lx, t, start, "unterminated string");
				return;
			}
			c = *lx->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			case 'e': c = 27; break;
			case '\\': case '"': case '\'': break;
			case 'x': {
				int h = lx->p + 1 < lx->end ? hexval(lx->p[0]) : -1;
				int l = h >= 0 ? hexval(lx->p[1]) : -1;

				if (h < 0 || l < 0) {
					lex_error(lx, t, esc, "bad \\x escape: expected two hex digits");
					return;
				}
				c = (char)(h * 16 + l);
				lx->p += 2;
				break;
			}
			default:
				lex_error(lx, t, esc, "unknown escape '\\%c' in string", c);
				return;
			}
		}
		if (buf_put(lx, n++, c)) {
			lex_error(lx, t, start, "out of memory reading string");
			return;
		}
	}
	if (buf_put(lx, n, 0)) {
		lex_error(lx, t, start, "out of memory reading string");
		return;
	}
	t->kind = TK_STRING;
	t->sval = lx->buf;
	t->slen = n;
}

static void lex_number(struct lexer *lx, struct token *t)
{
	const char *s = lx->p;
	int is_float = 0;

	if (s[0] == '0' && s + 1 < lx->end && (s[1] == 'x' || s[1] == 'X')) {
		uint64_t v = 0;
		const char *q = s + 2;
		int digits = 0;

		for (; q < lx->end && (hexval(*q) >= 0 || *q == '_'); q++) {
			if (*q == '_')
				continue;
			if (v >> 60) {
				lex_error(lx, t, s, "hex literal too large for 64 bits");
				return;
			}
			v = v << 4 | (uint64_t)hexval(*q);
			digits++;
		}
		if (!digits) {
			lex_error(lx, t, s, "bad hex literal: no digits after 0x");
			return;
		}
		if (q < lx->end && ((*q >= 'g' && *q <= 'z') || (*q >= 'G' && *q <= 'Z'))) {
			lex_error(lx, t, s, "bad hex literal");
			return;
		}
		t->kind = TK_INT;
		t->ival = (int64_t)v;
		lx->p = q;
		return;
	}
	{
		const char *q = s;
		char tmp[128];
		size_t n = 0;

		while (q < lx->end && ((*q >= '0' && *q <= '9') || *q == '_'))
			q++;
		if (q + 1 < lx->end && *q == '.' && q[1] >= '0' && q[1] <= '9') {
			is_float = 1;
			q++;
			while (q < lx->end && *q >= '0' && *q <= '9')
				q++;
		}
		if (q < lx->end && (*q == 'e' || *q == 'E')) {
			const char *r = q + 1;

			if (r < lx->end && (*r == '+' || *r == '-'))
				r++;
			if (r < lx->end && *r >= '0' && *r <= '9') {
				is_float = 1;
				q = r;
				while (q < lx->end && *q >= '0' && *q <= '9')
					q++;
			}
		}
		if (q < lx->end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_')) {
			lex_error(lx, t, s, "bad number literal");
			return;
		}
		for (const char *r = s; r < q; r++) {
			if (*r == '_')
				continue;
			if (n + 1 >= sizeof(tmp)) {
				lex_error(lx, t, s, "number literal too long");
				return;
			}
			tmp[n++] = *r;
		}
		tmp[n] = 0;
		errno = 0;
		if (is_float) {
			t->kind = TK_FLOAT;
			t->fval = strtod(tmp, NULL);
		} else {
			unsigned long long v = strtoull(tmp, NULL, 10);

			if (errno == ERANGE || v > (unsigned long long)INT64_MAX) {
				lex_error(lx, t, s, "integer literal %s too large for 64 bits", tmp);
				return;
			}
			t->kind = TK_INT;
			t->ival = (int64_t)v;
		}
		lx->p = q;
	}
}

void lex_next(struct lexer *lx, struct token *t)
{
	const char *s;
	char c;

	memset(t, 0, sizeof(*t));
again:
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '#') {
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
	s = lx->p;
	t->line = lx->line;
	t->col = lex_col(lx, s);
	t->start = s;
	if (s >= lx->end) {
		t->kind = TK_EOF;
		return;
	}
	c = *s;
	if (c == '\n') {
		int cont = lex_continues(lx, s + 1);

		/* Collapse runs of blank lines into one newline token. */
		lx->p++;
		lx->line++;
		lx->line_start = lx->p;
		while (!cont && lx->p < lx->end) {
			const char *q = lx->p;

			while (q < lx->end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < lx->end && *q == '#')
				while (q < lx->end && *q != '\n')
					q++;
			if (q < lx->end && *q == '\n') {
				lx->p = q + 1;
				lx->line++;
				lx->line_start = lx->p;
			} else {
				break;
			}
		}
		if (cont) {
			/* Skip to the '.' that continues the chain. */
			for (;;) {
				while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
							   *lx->p == '\r'))
					lx->p++;
				if (lx->p < lx->end && *lx->p == '#')
					while (lx->p < lx->end && *lx->p != '\n')
						lx->p++;
				if (lx->p < lx->end && *lx->p == '\n') {
					lx->p++;
					lx->line++;
					lx->line_start = lx->p;
					continue;
				}
				break;
			}
			goto again;
		}
		t->kind = TK_NEWLINE;
		t->len = 1;
		return;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
		const char *q = s;

		while (q < lx->end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				       (*q >= '0' && *q <= '9') || *q == '_'))
			q++;
		lx->p = q;
		t->len = (size_t)(q - s);
		t->kind = TK_IDENT;
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
			if (strlen(keywords[i].word) == t->len && !memcmp(keywords[i].word, s, t->len)) {
				t->kind = keywords[i].kind;
				break;
			}
		}
		return;
	}
	if (c >= '0' && c <= '9') {
		lex_number(lx, t);
		t->len = (size_t)(lx->p - s);
		return;
	}
	if (c == '"' || c == '\'') {
		lex_string(lx, t);
		t->len = (size_t)(lx->p - s);
		return;
	}
	lx->p++;
#define TWO(ch, k2, k1) \
	if (lx->p < lx->end && *lx->p == (ch)) { lx->p++; t->kind = (k2); } else { t->kind = (k1); }
	switch (c) {
	case '(': t->kind = TK_LPAREN; break;
	case ')': t->kind = TK_RPAREN; break;
	case '[': t->kind = TK_LBRACKET; break;
	case ']': t->kind = TK_RBRACKET; break;
	case '{': t->kind = TK_LBRACE; break;
	case '}': t->kind = TK_RBRACE; break;
	case ',': t->kind = TK_COMMA; break;
	case '.': t->kind = TK_DOT; break;
	case ';': t->kind = TK_SEMI; break;
	case ':': t->kind = TK_COLON; break;
	case '~': t->kind = TK_TILDE; break;
	case '^': t->kind = TK_CARET; break;
	case '+': TWO('=', TK_PLUS_ASSIGN, TK_PLUS); break;
	case '-': TWO('=', TK_MINUS_ASSIGN, TK_MINUS); break;
	case '/': TWO('=', TK_SLASH_ASSIGN, TK_SLASH); break;
	case '%': TWO('=', TK_PERCENT_ASSIGN, TK_PERCENT); break;
	case '=': TWO('=', TK_EQ, TK_ASSIGN); break;
	case '!': TWO('=', TK_NE, TK_NOT); break;
	case '*':
		if (lx->p < lx->end && *lx->p == '*') {
			lx->p++;
			t->kind = TK_POW;
		} else {
			TWO('=', TK_STAR_ASSIGN, TK_STAR);
		}
		break;
	case '<':
		if (lx->p < lx->end && *lx->p == '<') {
			lx->p++;
			t->kind = TK_SHL;
		} else {
			TWO('=', TK_LE, TK_LT);
		}
		break;
	case '>':
		if (lx->p < lx->end && *lx->p == '>') {
			lx->p++;
			t->kind = TK_SHR;
		} else {
			TWO('=', TK_GE, TK_GT);
		}
		break;
	case '&': TWO('&', TK_ANDAND, TK_AMP); break;
	case '|': TWO('|', TK_OROR, TK_PIPE); break;
	default:
		if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
			lex_error(lx, t, s, "unexpected character '%c'", c);
		else
			lex_error(lx, t, s, "unexpected character 0x%02x", (unsigned char)c);
		return;
	}
#undef TWO
	t->len = (size_t)(lx->p - s);
}

const char *tok_name(enum tok_kind k)
{
	static const char *names[] = {
		[TK_EOF] = "end of file", [TK_ERROR] = "error", [TK_NEWLINE] = "newline",
		[TK_IDENT] = "identifier", [TK_INT] = "integer", [TK_FLOAT] = "float",
		[TK_STRING] = "string", [TK_LET] = "'let'", [TK_FN] = "'fn'",
		[TK_RETURN] = "'return'", [TK_IF] = "'if'", [TK_ELSE] = "'else'",
		[TK_FOR] = "'for'", [TK_IN] = "'in'", [TK_WHILE] = "'while'",
		[TK_BREAK] = "'break'", [TK_CONTINUE] = "'continue'", [TK_TRUE] = "'true'",
		[TK_FALSE] = "'false'", [TK_NULL] = "'null'", [TK_IMPORT] = "'import'",
		[TK_USE] = "'use'", [TK_LPAREN] = "'('", [TK_RPAREN] = "')'",
		[TK_LBRACKET] = "'['", [TK_RBRACKET] = "']'", [TK_LBRACE] = "'{'",
		[TK_RBRACE] = "'}'", [TK_COMMA] = "','", [TK_DOT] = "'.'", [TK_SEMI] = "';'",
		[TK_COLON] = "':'", [TK_PLUS] = "'+'", [TK_MINUS] = "'-'", [TK_STAR] = "'*'",
		[TK_SLASH] = "'/'", [TK_PERCENT] = "'%'", [TK_POW] = "'**'", [TK_EQ] = "'=='",
		[TK_NE] = "'!='", [TK_LT] = "'<'", [TK_LE] = "'<='", [TK_GT] = "'>'",
		[TK_GE] = "'>='", [TK_ANDAND] = "'&&'", [TK_OROR] = "'||'", [TK_NOT] = "'!'",
		[TK_AMP] = "'&'", [TK_PIPE] = "'|'", [TK_CARET] = "'^'", [TK_SHL] = "'<<'",
		[TK_SHR] = "'>>'", [TK_TILDE] = "'~'", [TK_ASSIGN] = "'='",
		[TK_PLUS_ASSIGN] = "'+='", [TK_MINUS_ASSIGN] = "'-='", [TK_STAR_ASSIGN] = "'*='",
		[TK_SLASH_ASSIGN] = "'/='", [TK_PERCENT_ASSIGN] = "'%='",
	};

	if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k])
		return names[k];
	return "token";
}
