#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "template.h"
#include "util.h"

/*
 * A small Go text/template: the lexer turns the source into tokens, the
 * parser builds a tree of nodes, and the evaluator walks that tree against
 * a jansson data tree.  Values are json_t references (NULL is Go's "no
 * value", a missing map key).  Every limit below keeps a hostile template
 * from exhausting the stack, memory or time of the signing process.
 */

#define TPL_MAX_SRC	(1024 * 1024)	/* template text */
#define TPL_MAX_OUT	(1024 * 1024)	/* output, and any one string */
#define TPL_MAX_MADE	(16 * 1024 * 1024) /* bytes of values made */
#define TPL_MAX_DEPTH	32		/* nested parens and actions */
#define TPL_MAX_RANGE	16		/* nested range loops */
#define TPL_MAX_STEPS	1000000		/* evaluation steps */
#define TPL_MAX_ARGS	64		/* arguments of one call */
#define TPL_MAX_PRINT	32		/* nesting printed by %v */
#define TPL_MAX_MAPS	1024		/* lists and maps built */

/* ---- growable buffer ---------------------------------------------- */

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void *
xgrow(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	if ((p = realloc(p, n * size)) == NULL) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

/* Append; -1 when the buffer would pass TPL_MAX_OUT. */
static int
buf_add(struct buf *b, const void *data, size_t len)
{
	size_t	 cap;

	if (len > TPL_MAX_OUT || b->len + len > TPL_MAX_OUT)
		return -1;
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->p = xgrow(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static int
buf_chr(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

static int
buf_pad(struct buf *b, char c, size_t n)
{
	for (; n > 0; n--)
		if (buf_chr(b, c) == -1)
			return -1;
	return 0;
}

/* ---- tokens -------------------------------------------------------- */

enum tok {
	T_EOF,
	T_TEXT,
	T_LDELIM,
	T_RDELIM,
	T_IDENT,
	T_KEYWORD,
	T_FIELD,
	T_DOT,
	T_VAR,
	T_STRING,
	T_NUMBER,
	T_BOOL,
	T_NIL,
	T_LPAREN,
	T_RPAREN,
	T_PIPE,
	T_DECLARE,
	T_ASSIGN,
	T_COMMA,
};

struct token {
	enum tok	 type;
	int		 line, col;
	int		 space;		/* white space just before it */
	char		*val;
	size_t		 len;
};

struct lexer {
	const char	*name;
	const char	*s;
	size_t		 n, pos;
	size_t		 wpos;		/* line and col are known up to here */
	int		 wline, wcol;
	int		 trim;		/* "-}}" seen: trim the next text */
	struct token	*toks;
	size_t		 ntoks, cap;
	struct pica_err	*err;
};

static const char *const keywords[] = {
	"if", "else", "end", "range", "with", "break", "continue",
	"define", "template", "block",
};

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alnum(int c)
{
	return c == '_' || isalnum((unsigned char)c) ||
	    (unsigned char)c >= 0x80;
}

static void
lx_where(struct lexer *lx, size_t off, int *line, int *col)
{
	if (off < lx->wpos || lx->wline == 0) {
		lx->wpos = 0;
		lx->wline = 1;
		lx->wcol = 1;
	}
	for (; lx->wpos < off && lx->wpos < lx->n; lx->wpos++) {
		if (lx->s[lx->wpos] == '\n') {
			lx->wline++;
			lx->wcol = 1;
		} else
			lx->wcol++;
	}
	*line = lx->wline;
	*col = lx->wcol;
}

static int __attribute__((format(printf, 3, 4)))
lx_error(struct lexer *lx, size_t off, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];
	int	 line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lx_where(lx, off, &line, &col);
	return pica_err_set(lx->err, PICA_E_CONFIG, "%s:%d:%d: %s", lx->name,
	    line, col, msg);
}

/* Add a token; val (may be NULL) becomes the token's. */
static void
lx_emit(struct lexer *lx, enum tok type, size_t off, int space, char *val,
    size_t len)
{
	struct token	*t;

	if (lx->ntoks == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->toks = xgrow(lx->toks, lx->cap, sizeof(*lx->toks));
	}
	t = &lx->toks[lx->ntoks++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->space = space;
	t->val = val;
	t->len = len;
	lx_where(lx, off, &t->line, &t->col);
}

static char *
xmemdup(const char *p, size_t len)
{
	char	*s;

	s = xcalloc(1, len + 1);
	memcpy(s, p, len);
	return s;
}

/* UTF-8 encode a code point. */
static int
put_utf8(struct buf *b, unsigned long r)
{
	unsigned char	 u[4];
	size_t		 n;

	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return -1;
	if (r < 0x80) {
		u[0] = (unsigned char)r;
		n = 1;
	} else if (r < 0x800) {
		u[0] = (unsigned char)(0xc0 | (r >> 6));
		u[1] = (unsigned char)(0x80 | (r & 0x3f));
		n = 2;
	} else if (r < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (r >> 12));
		u[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (r & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (r >> 18));
		u[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (r & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}


/* A "double-quoted" string with Go's escapes. */
static int
lx_quoted(struct lexer *lx, int space)
{
	int		 rc = -1, c, d, i, ndig;
	size_t		 start = lx->pos, at;
	unsigned long	 r;
	struct buf	 b = { NULL, 0, 0 };

	lx->pos++;
	for (;;) {
		c = (unsigned char)lx->s[lx->pos];
		if (c == '\0' || c == '\n') {
			lx_error(lx, start, "unterminated quoted string");
			goto out;
		}
		lx->pos++;
		if (c == '"')
			break;
		if (c != '\\') {
			if (buf_chr(&b, (char)c) == -1)
				goto toolong;
			continue;
		}
		at = lx->pos - 1;
		c = (unsigned char)lx->s[lx->pos++];
		switch (c) {
		case 'a': c = '\a'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'v': c = '\v'; break;
		case '\\': case '"': break;
		case 'x': case 'u': case 'U':
			ndig = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			for (r = 0, i = 0; i < ndig; i++) {
				if ((d = util_hexval(lx->s[lx->pos])) == -1) {
					lx_error(lx, at, "bad \\%c escape", c);
					goto out;
				}
				r = r * 16 + (unsigned long)d;
				lx->pos++;
			}
			if (c == 'x') {
				if (buf_chr(&b, (char)r) == -1)
					goto toolong;
			} else if (put_utf8(&b, r) == -1) {
				lx_error(lx, at, "bad unicode escape");
				goto out;
			}
			continue;
		default:
			if (c >= '0' && c <= '7') {
				r = (unsigned long)(c - '0');
				for (i = 0; i < 2; i++) {
					d = lx->s[lx->pos];
					if (d < '0' || d > '7')
						break;
					r = r * 8 + (unsigned long)(d - '0');
					lx->pos++;
				}
				if (i != 2 || r > 255) {
					lx_error(lx, at, "bad octal escape");
					goto out;
				}
				c = (int)r;
				break;
			}
			lx_error(lx, at, "unknown escape sequence");
			goto out;
		}
		if (buf_chr(&b, (char)c) == -1)
			goto toolong;
	}
	lx_emit(lx, T_STRING, start, space, b.p ? b.p : xstrdup(""), b.len);
	b.p = NULL;
	rc = 0;
	goto out;
toolong:
	lx_error(lx, start, "string too long");
out:
	free(b.p);
	return rc;
}

static int
lx_raw(struct lexer *lx, int space)
{
	size_t		 start = lx->pos, len;
	const char	*end;

	if ((end = memchr(lx->s + start + 1, '`', lx->n - start - 1)) == NULL)
		return lx_error(lx, start, "unterminated raw quoted string");
	len = (size_t)(end - lx->s) - start - 1;
	lx_emit(lx, T_STRING, start, space, xmemdup(lx->s + start + 1, len),
	    len);
	lx->pos = (size_t)(end - lx->s) + 1;
	return 0;
}

static int
lx_at_term(struct lexer *lx)
{
	int	 c = lx->s[lx->pos];

	if (c == '\0' || is_space(c) || strchr(".,|:()=", c) != NULL)
		return 1;
	return strncmp(lx->s + lx->pos, "}}", 2) == 0;
}

static int
lx_number(struct lexer *lx, int space)
{
	size_t	 start = lx->pos;
	int	 digits = 0;

	if (lx->s[lx->pos] == '+' || lx->s[lx->pos] == '-')
		lx->pos++;
	if (lx->s[lx->pos] == '0' && (lx->s[lx->pos + 1] == 'x' ||
	    lx->s[lx->pos + 1] == 'X')) {
		lx->pos += 2;
		while (util_hexval(lx->s[lx->pos]) != -1) {
			lx->pos++;
			digits++;
		}
	} else {
		while (isdigit((unsigned char)lx->s[lx->pos])) {
			lx->pos++;
			digits++;
		}
		if (lx->s[lx->pos] == '.') {
			lx->pos++;
			while (isdigit((unsigned char)lx->s[lx->pos])) {
				lx->pos++;
				digits++;
			}
		}
		if (digits && (lx->s[lx->pos] == 'e' ||
		    lx->s[lx->pos] == 'E')) {
			lx->pos++;
			if (lx->s[lx->pos] == '+' || lx->s[lx->pos] == '-')
				lx->pos++;
			if (!isdigit((unsigned char)lx->s[lx->pos]))
				digits = 0;
			while (isdigit((unsigned char)lx->s[lx->pos]))
				lx->pos++;
		}
	}
	if (digits == 0 || !lx_at_term(lx))
		return lx_error(lx, start, "bad number syntax");
	lx_emit(lx, T_NUMBER, start, space, xmemdup(lx->s + start,
	    lx->pos - start), lx->pos - start);
	return 0;
}

/* An identifier, keyword, field (".Name") or variable ("$name"). */
static int
lx_word(struct lexer *lx, int space)
{
	size_t		 start = lx->pos, from, i;
	enum tok	 type = T_IDENT;
	char		*w;

	if (lx->s[start] == '.' || lx->s[start] == '$')
		lx->pos++;
	from = lx->pos;
	while (is_alnum(lx->s[lx->pos]))
		lx->pos++;
	if (!lx_at_term(lx))
		return lx_error(lx, lx->pos, "bad character %#x in action",
		    (unsigned char)lx->s[lx->pos]);
	if (lx->s[start] == '.') {
		if (lx->pos == from) {
			lx_emit(lx, T_DOT, start, space, NULL, 0);
			return 0;
		}
		type = T_FIELD;
	} else if (lx->s[start] == '$') {
		from = start;
		type = T_VAR;
	}
	w = xmemdup(lx->s + from, lx->pos - from);
	if (type == T_IDENT) {
		if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0)
			type = T_BOOL;
		else if (strcmp(w, "nil") == 0)
			type = T_NIL;
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strcmp(w, keywords[i]) == 0)
				type = T_KEYWORD;
	}
	lx_emit(lx, type, start, space, w, lx->pos - from);
	return 0;
}

/* Inside {{ }}: tokens up to and including the closing delimiter. */
static int
lx_action(struct lexer *lx, size_t open)
{
	int	 c, space = 0;

	for (;;) {
		c = (unsigned char)lx->s[lx->pos];
		if (c == '\0')
			return lx_error(lx, open, "unclosed action");
		if (is_space(c)) {
			if (strncmp(lx->s + lx->pos + 1, "-}}", 3) == 0) {
				lx_emit(lx, T_RDELIM, lx->pos + 1, 1, NULL, 0);
				lx->pos += 4;
				lx->trim = 1;
				return 0;
			}
			lx->pos++;
			space = 1;
			continue;
		}
		if (strncmp(lx->s + lx->pos, "}}", 2) == 0) {
			lx_emit(lx, T_RDELIM, lx->pos, space, NULL, 0);
			lx->pos += 2;
			return 0;
		}
		switch (c) {
		case '(':
		case ')':
		case '|':
		case ',':
		case '=':
			lx_emit(lx, c == '(' ? T_LPAREN : c == ')' ? T_RPAREN :
			    c == '|' ? T_PIPE : c == ',' ? T_COMMA : T_ASSIGN,
			    lx->pos, space, NULL, 0);
			lx->pos++;
			break;
		case ':':
			if (lx->s[lx->pos + 1] != '=')
				return lx_error(lx, lx->pos, "expected :=");
			lx_emit(lx, T_DECLARE, lx->pos, space, NULL, 0);
			lx->pos += 2;
			break;
		case '"':
			if (lx_quoted(lx, space) == -1)
				return -1;
			break;
		case '`':
			if (lx_raw(lx, space) == -1)
				return -1;
			break;
		case '\'':
			return lx_error(lx, lx->pos,
			    "character constants are not supported");
		case '+':
		case '-':
			if (!isdigit((unsigned char)lx->s[lx->pos + 1]) &&
			    lx->s[lx->pos + 1] != '.')
				return lx_error(lx, lx->pos,
				    "unexpected \"%c\" in action", c);
			if (lx_number(lx, space) == -1)
				return -1;
			break;
		case '.':
			if (isdigit((unsigned char)lx->s[lx->pos + 1])) {
				if (lx_number(lx, space) == -1)
					return -1;
			} else if (lx_word(lx, space) == -1)
				return -1;
			break;
		default:
			if (isdigit(c)) {
				if (lx_number(lx, space) == -1)
					return -1;
			} else if (is_alnum(c) || c == '$') {
				if (lx_word(lx, space) == -1)
					return -1;
			} else
				return lx_error(lx, lx->pos,
				    "unexpected character %#x in action", c);
			break;
		}
		space = 0;
	}
}

/*
 * The first two-byte pat at or after from; memchr keeps this linear
 * (sanitizers' strstr reads the whole rest of the text on every call).
 */
static const char *
lx_find(struct lexer *lx, size_t from, const char *pat)
{
	const char	*p = lx->s + from, *end = lx->s + lx->n;

	while (p < end && (p = memchr(p, pat[0], (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] == pat[1])
			return p;
		p++;
	}
	return NULL;
}

static int
lx_run(struct lexer *lx)
{
	const char	*open;
	size_t		 start, end, tend, at;
	int		 ltrim;

	for (;;) {
		start = lx->pos;
		open = lx_find(lx, start, "{{");
		end = open ? (size_t)(open - lx->s) : lx->n;
		ltrim = open && open[2] == '-' && is_space(open[3]);
		if (lx->trim)
			while (start < end && is_space(lx->s[start]))
				start++;
		lx->trim = 0;
		tend = end;
		if (ltrim)
			while (tend > start && is_space(lx->s[tend - 1]))
				tend--;
		if (tend > start)
			lx_emit(lx, T_TEXT, start, 0, xmemdup(lx->s + start,
			    tend - start), tend - start);
		if (open == NULL)
			break;
		at = end;
		lx->pos = end + 2 + (ltrim ? 2 : 0);
		if (strncmp(lx->s + lx->pos, "/*", 2) == 0) {
			if ((open = lx_find(lx, lx->pos + 2, "*/")) == NULL)
				return lx_error(lx, at, "unclosed comment");
			lx->pos = (size_t)(open - lx->s) + 2;
			if (strncmp(lx->s + lx->pos, "}}", 2) == 0)
				lx->pos += 2;
			else if (is_space(lx->s[lx->pos]) &&
			    strncmp(lx->s + lx->pos + 1, "-}}", 3) == 0) {
				lx->pos += 4;
				lx->trim = 1;
			} else
				return lx_error(lx, at,
				    "comment ends before closing delimiter");
			continue;
		}
		if (ltrim)
			lx->pos--;	/* the space after "-" separates */
		lx_emit(lx, T_LDELIM, at, 0, NULL, 0);
		if (lx_action(lx, at) == -1)
			return -1;
	}
	lx_emit(lx, T_EOF, lx->n, 0, NULL, 0);
	return 0;
}

/* ---- syntax tree --------------------------------------------------- */

struct state;
struct arg;

typedef int	(*tfunc)(struct state *, const struct arg *, json_t **, size_t,
		    json_t **);

struct func {
	const char	*name;
	tfunc		 fn;
	int		 min, max;	/* argument count; max -1: any */
	int		 lazy;		/* 1: and, 2: or */
};

enum akind {
	A_DOT,
	A_FIELD,
	A_VAR,
	A_LIT,
	A_NIL,
	A_FUNC,
	A_PIPE,
};

struct pipe;

/* An operand: a term and the field chain after it. */
struct arg {
	enum akind	 kind;
	int		 line, col;
	char		*name;		/* variable name */
	const struct func *fn;
	json_t		*lit;
	struct pipe	*pipe;
	char		**fields;
	size_t		 nfields;
	struct arg	*next;
};

struct cmd {
	int		 line, col;
	struct arg	*args;
	size_t		 nargs;
	struct cmd	*next;
};

struct pipe {
	int		 line, col;
	int		 assign;	/* "=" rather than ":=" */
	size_t		 ndecl;
	char		*decl[2];
	struct cmd	*cmds;
};

enum nkind {
	N_TEXT,
	N_ACTION,
	N_IF,
	N_WITH,
	N_RANGE,
	N_BREAK,
	N_CONTINUE,
};

struct node;

struct branch {
	struct pipe	*pipe;
	struct node	*list;
};

/*
 * if/else if chains are kept flat (one node, many branches) so that a
 * long chain costs no recursion depth.
 */
struct node {
	enum nkind	 kind;
	int		 line, col;
	char		*text;
	size_t		 len;
	struct pipe	*pipe;		/* action */
	struct branch	*br;		/* if, with, range (one) */
	size_t		 nbr;
	struct node	*elselist;
	struct node	*next;
};

struct template {
	char		*name;
	struct node	*root;
};

static void	pipe_free(struct pipe *);

static void
arg_free(struct arg *a)
{
	struct arg	*next;
	size_t		 i;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a->name);
		json_decref(a->lit);
		pipe_free(a->pipe);
		for (i = 0; i < a->nfields; i++)
			free(a->fields[i]);
		free(a->fields);
		free(a);
	}
}

static void
pipe_free(struct pipe *p)
{
	struct cmd	*c, *next;

	if (p == NULL)
		return;
	for (c = p->cmds; c != NULL; c = next) {
		next = c->next;
		arg_free(c->args);
		free(c);
	}
	free(p->decl[0]);
	free(p->decl[1]);
	free(p);
}

static void
node_free(struct node *n)
{
	struct node	*next;
	size_t		 i;

	for (; n != NULL; n = next) {
		next = n->next;
		free(n->text);
		pipe_free(n->pipe);
		for (i = 0; i < n->nbr; i++) {
			pipe_free(n->br[i].pipe);
			node_free(n->br[i].list);
		}
		free(n->br);
		node_free(n->elselist);
		free(n);
	}
}

/* ---- parser -------------------------------------------------------- */

enum term {
	TERM_EOF,
	TERM_END,
	TERM_ELSE,
};

struct parser {
	const char	*name;
	struct token	*toks;
	size_t		 i;
	const char	**vars;		/* declared variables in scope */
	size_t		 nvars, capvars;
	int		 depth, ranges;
	const struct token *kwtok;	/* the last end or else */
	struct pica_err	*err;
};

static const struct func	*func_find(const char *);

static struct token *
cur(struct parser *p)
{
	return &p->toks[p->i];
}

static struct token *
peek(struct parser *p, size_t k)
{
	size_t	 i;

	/* T_EOF ends the array: never look past it. */
	for (i = 0; i < k && p->toks[p->i + i].type != T_EOF; i++)
		;
	return &p->toks[p->i + i];
}

static void
advance(struct parser *p)
{
	if (p->toks[p->i].type != T_EOF)
		p->i++;
}

static void
describe(const struct token *t, char *buf, size_t len)
{
	switch (t->type) {
	case T_EOF:
		snprintf(buf, len, "end of template");
		break;
	case T_TEXT:
		snprintf(buf, len, "text");
		break;
	case T_LDELIM:
		snprintf(buf, len, "\"{{\"");
		break;
	case T_RDELIM:
		snprintf(buf, len, "\"}}\"");
		break;
	case T_FIELD:
		snprintf(buf, len, "field \".%.40s\"", t->val);
		break;
	case T_DOT:
		snprintf(buf, len, "\".\"");
		break;
	case T_STRING:
		snprintf(buf, len, "string literal");
		break;
	case T_LPAREN:
		snprintf(buf, len, "\"(\"");
		break;
	case T_RPAREN:
		snprintf(buf, len, "\")\"");
		break;
	case T_PIPE:
		snprintf(buf, len, "\"|\"");
		break;
	case T_DECLARE:
		snprintf(buf, len, "\":=\"");
		break;
	case T_ASSIGN:
		snprintf(buf, len, "\"=\"");
		break;
	case T_COMMA:
		snprintf(buf, len, "\",\"");
		break;
	case T_KEYWORD:
		snprintf(buf, len, "{{%.40s}}", t->val);
		break;
	default:
		snprintf(buf, len, "\"%.40s\"", t->val ? t->val : "");
		break;
	}
}

static int __attribute__((format(printf, 3, 4)))
p_error(struct parser *p, const struct token *t, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pica_err_set(p->err, PICA_E_CONFIG, "%s:%d:%d: %s", p->name,
	    t->line, t->col, msg);
}

/* "unexpected X in Y" for the current token. */
static int
p_unexpected(struct parser *p, const char *where)
{
	char	 d[80];

	describe(cur(p), d, sizeof(d));
	return p_error(p, cur(p), "unexpected %s in %s", d, where);
}

static char *
take(struct token *t)
{
	char	*v = t->val;

	t->val = NULL;
	return v;
}

static void
var_push(struct parser *p, const char *name)
{
	if (p->nvars == p->capvars) {
		p->capvars = p->capvars ? p->capvars * 2 : 16;
		p->vars = xgrow(p->vars, p->capvars, sizeof(*p->vars));
	}
	p->vars[p->nvars++] = name;
}

static int
var_known(struct parser *p, const char *name)
{
	size_t	 i;

	for (i = p->nvars; i > 0; i--)
		if (strcmp(p->vars[i - 1], name) == 0)
			return 1;
	return 0;
}

static int	parse_pipeline(struct parser *, const char *, size_t,
		    enum tok, struct pipe **);

static int
parse_number(struct parser *p, struct token *t, json_t **out)
{
	char		*end;
	long long	 ll;
	double		 d;
	int		 isfloat;

	isfloat = strpbrk(t->val, ".eE") != NULL && strpbrk(t->val, "xX") ==
	    NULL;
	errno = 0;
	if (isfloat) {
		d = strtod(t->val, &end);
		if (*end != '\0' || errno != 0 || !isfinite(d))
			return p_error(p, t, "bad number %s", t->val);
		*out = json_real(d);
	} else {
		ll = strtoll(t->val, &end, 0);
		if (*end != '\0' || errno != 0)
			return p_error(p, t, "number %s out of range", t->val);
		*out = json_integer(ll);
	}
	return *out == NULL ? p_error(p, t, "out of memory") : 0;
}

static int
parse_operand(struct parser *p, struct arg **out)
{
	int		 rc = -1;
	struct token	*t = cur(p);
	struct arg	*a;
	char		 d[80];

	a = xcalloc(1, sizeof(*a));
	a->line = t->line;
	a->col = t->col;
	switch (t->type) {
	case T_IDENT:
		a->kind = A_FUNC;
		if ((a->fn = func_find(t->val)) == NULL) {
			p_error(p, t, "function \"%s\" not defined", t->val);
			goto out;
		}
		advance(p);
		break;
	case T_DOT:
		a->kind = A_DOT;
		advance(p);
		break;
	case T_FIELD:
		a->kind = A_FIELD;
		a->fields = xgrow(NULL, 1, sizeof(*a->fields));
		a->fields[a->nfields++] = take(t);
		advance(p);
		break;
	case T_VAR:
		a->kind = A_VAR;
		if (!var_known(p, t->val)) {
			p_error(p, t, "undefined variable \"%s\"", t->val);
			goto out;
		}
		a->name = take(t);
		advance(p);
		break;
	case T_STRING:
		a->kind = A_LIT;
		if ((a->lit = json_stringn_nocheck(t->val, t->len)) == NULL) {
			p_error(p, t, "out of memory");
			goto out;
		}
		advance(p);
		break;
	case T_NUMBER:
		a->kind = A_LIT;
		if (parse_number(p, t, &a->lit) == -1)
			goto out;
		advance(p);
		break;
	case T_BOOL:
		a->kind = A_LIT;
		a->lit = json_boolean(strcmp(t->val, "true") == 0);
		advance(p);
		break;
	case T_NIL:
		a->kind = A_NIL;
		advance(p);
		break;
	case T_LPAREN:
		a->kind = A_PIPE;
		if (++p->depth > TPL_MAX_DEPTH) {
			p_error(p, t, "nesting deeper than %d", TPL_MAX_DEPTH);
			goto out;
		}
		advance(p);
		if (parse_pipeline(p, "parenthesized pipeline", 0, T_RPAREN,
		    &a->pipe) == -1)
			goto out;
		p->depth--;
		break;
	default:
		describe(t, d, sizeof(d));
		p_error(p, t, "unexpected %s in operand", d);
		goto out;
	}
	/* A field right after a term, with no space, chains onto it. */
	while (cur(p)->type == T_FIELD && !cur(p)->space) {
		if (a->kind == A_LIT || a->kind == A_NIL || a->kind == A_DOT) {
			p_error(p, cur(p), "unexpected . after term");
			goto out;
		}
		if (a->nfields >= 256) {
			p_error(p, cur(p), "field chain too long");
			goto out;
		}
		a->fields = xgrow(a->fields, a->nfields + 1,
		    sizeof(*a->fields));
		a->fields[a->nfields++] = take(cur(p));
		advance(p);
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	arg_free(a);
	return rc;
}

static int
parse_command(struct parser *p, enum tok end, struct cmd **out)
{
	int		 rc = -1;
	struct cmd	*c;
	struct arg	*a, **tail;
	struct token	*t;

	c = xcalloc(1, sizeof(*c));
	c->line = cur(p)->line;
	c->col = cur(p)->col;
	tail = &c->args;
	for (;;) {
		t = cur(p);
		if (t->type == T_PIPE || t->type == end)
			break;
		if (t->type == T_RDELIM || t->type == T_RPAREN ||
		    t->type == T_EOF) {
			if (end == T_RPAREN)
				p_error(p, t, "unclosed left paren");
			else
				p_unexpected(p, "command");
			goto out;
		}
		if (c->nargs > 0 && !t->space) {
			p_unexpected(p, "operand (missing space?)");
			goto out;
		}
		if (parse_operand(p, &a) == -1)
			goto out;
		*tail = a;
		tail = &a->next;
		c->nargs++;
	}
	if (c->nargs == 0) {
		p_error(p, cur(p), "empty command");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (c != NULL) {
		arg_free(c->args);
		free(c);
	}
	return rc;
}

/*
 * A pipeline up to (and eating) the token end.  maxdecl is how many
 * variables it may declare: 1, or 2 for range, 0 inside parentheses.
 */
static int
parse_pipeline(struct parser *p, const char *ctx, size_t maxdecl,
    enum tok end, struct pipe **out)
{
	int		 rc = -1;
	struct pipe	*pp;
	struct cmd	*c, **tail;
	struct token	*t = cur(p);
	size_t		 i;

	pp = xcalloc(1, sizeof(*pp));
	pp->line = t->line;
	pp->col = t->col;
	if (t->type == T_VAR && (peek(p, 1)->type == T_DECLARE ||
	    peek(p, 1)->type == T_ASSIGN || peek(p, 1)->type == T_COMMA)) {
		if (peek(p, 1)->type == T_COMMA) {
			if (maxdecl < 2 || peek(p, 2)->type != T_VAR ||
			    peek(p, 3)->type != T_DECLARE) {
				p_error(p, t, "too many declarations in %s",
				    ctx);
				goto out;
			}
			pp->decl[pp->ndecl++] = take(t);
			pp->decl[pp->ndecl++] = take(peek(p, 2));
			p->i += 4;
		} else {
			pp->assign = peek(p, 1)->type == T_ASSIGN;
			pp->decl[pp->ndecl++] = take(t);
			p->i += 2;
		}
		if (maxdecl == 0) {
			p_error(p, t, "%s cannot declare variables", ctx);
			goto out;
		}
		if (pp->assign && !var_known(p, pp->decl[0])) {
			p_error(p, t, "undefined variable \"%s\"",
			    pp->decl[0]);
			goto out;
		}
	}
	tail = &pp->cmds;
	for (;;) {
		if (parse_command(p, end, &c) == -1)
			goto out;
		*tail = c;
		tail = &c->next;
		if (cur(p)->type == T_PIPE) {
			advance(p);
			continue;
		}
		break;
	}
	advance(p);		/* end */
	if (!pp->assign)
		for (i = 0; i < pp->ndecl; i++)
			var_push(p, pp->decl[i]);
	*out = pp;
	pp = NULL;
	rc = 0;
out:
	pipe_free(pp);
	return rc;
}

static int	parse_list(struct parser *, struct node **, enum term *);

static int
expect_rdelim(struct parser *p, const char *where)
{
	if (cur(p)->type != T_RDELIM)
		return p_unexpected(p, where);
	advance(p);
	return 0;
}

/* if, with, range: the keyword has been eaten. */
static int
parse_control(struct parser *p, enum nkind kind, const struct token *kw,
    struct node **out)
{
	int		 rc = -1;
	struct node	*n;
	enum term	 term;
	size_t		 mark = p->nvars;
	const char	*ctx;

	ctx = kind == N_IF ? "if" : kind == N_WITH ? "with" : "range";
	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = kw->line;
	n->col = kw->col;
	if (++p->depth > TPL_MAX_DEPTH) {
		p_error(p, kw, "nesting deeper than %d", TPL_MAX_DEPTH);
		goto out;
	}
	if (kind == N_RANGE && p->ranges >= TPL_MAX_RANGE) {
		p_error(p, kw, "range loops nested deeper than %d",
		    TPL_MAX_RANGE);
		goto out;
	}
	for (;;) {
		n->br = xgrow(n->br, n->nbr + 1, sizeof(*n->br));
		memset(&n->br[n->nbr], 0, sizeof(*n->br));
		n->nbr++;
		if (parse_pipeline(p, ctx, kind == N_RANGE ? 2 : 1, T_RDELIM,
		    &n->br[n->nbr - 1].pipe) == -1)
			goto out;
		if (kind == N_RANGE)
			p->ranges++;
		rc = parse_list(p, &n->br[n->nbr - 1].list, &term);
		if (kind == N_RANGE)
			p->ranges--;
		if (rc == -1)
			goto out;
		rc = -1;
		if (term != TERM_ELSE)
			break;
		/* "else if" in an if, "else with" in a with. */
		if (cur(p)->type == T_KEYWORD && kind != N_RANGE &&
		    strcmp(cur(p)->val, ctx) == 0) {
			advance(p);
			continue;
		}
		if (expect_rdelim(p, "{{else}}") == -1)
			goto out;
		if (parse_list(p, &n->elselist, &term) == -1)
			goto out;
		if (term == TERM_ELSE) {
			p_error(p, p->kwtok, "expected {{end}}, found "
			    "{{else}}");
			goto out;
		}
		break;
	}
	if (term == TERM_EOF) {
		p_error(p, cur(p), "unexpected end of template: {{%s}} at "
		    "%d:%d has no {{end}}", ctx, kw->line, kw->col);
		goto out;
	}
	p->depth--;
	*out = n;
	n = NULL;
	rc = 0;
out:
	p->nvars = mark;
	node_free(n);
	return rc;
}

/* Nodes up to {{end}}, {{else}} (left just after "else") or the end. */
static int
parse_list(struct parser *p, struct node **out, enum term *term)
{
	int		 rc = -1;
	struct node	*head = NULL, **tail = &head, *n;
	struct token	*t;
	const char	*kw;

	for (;;) {
		t = cur(p);
		n = NULL;
		if (t->type == T_EOF) {
			*term = TERM_EOF;
			break;
		}
		if (t->type == T_TEXT) {
			n = xcalloc(1, sizeof(*n));
			n->kind = N_TEXT;
			n->line = t->line;
			n->col = t->col;
			n->len = t->len;
			n->text = take(t);
			advance(p);
			*tail = n;
			tail = &n->next;
			continue;
		}
		/* The lexer emits nothing else outside an action. */
		advance(p);
		t = cur(p);
		if (t->type == T_KEYWORD) {
			kw = t->val;
			p->kwtok = t;
			advance(p);
			if (strcmp(kw, "end") == 0) {
				if (expect_rdelim(p, "{{end}}") == -1)
					goto out;
				*term = TERM_END;
				break;
			}
			if (strcmp(kw, "else") == 0) {
				*term = TERM_ELSE;
				break;
			}
			if (strcmp(kw, "if") == 0 || strcmp(kw, "with") == 0 ||
			    strcmp(kw, "range") == 0) {
				if (parse_control(p, kw[0] == 'i' ? N_IF :
				    kw[0] == 'w' ? N_WITH : N_RANGE, t,
				    &n) == -1)
					goto out;
			} else if (strcmp(kw, "break") == 0 ||
			    strcmp(kw, "continue") == 0) {
				if (p->ranges == 0) {
					p_error(p, t, "{{%s}} outside "
					    "{{range}}", kw);
					goto out;
				}
				if (expect_rdelim(p, kw) == -1)
					goto out;
				n = xcalloc(1, sizeof(*n));
				n->kind = kw[0] == 'b' ? N_BREAK : N_CONTINUE;
				n->line = t->line;
				n->col = t->col;
			} else {
				p_error(p, t, "{{%s}} is not supported", kw);
				goto out;
			}
		} else {
			n = xcalloc(1, sizeof(*n));
			n->kind = N_ACTION;
			n->line = t->line;
			n->col = t->col;
			if (parse_pipeline(p, "command", 1, T_RDELIM,
			    &n->pipe) == -1) {
				node_free(n);
				goto out;
			}
		}
		*tail = n;
		tail = &n->next;
	}
	*out = head;
	head = NULL;
	rc = 0;
out:
	node_free(head);
	return rc;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	free(t->name);
	node_free(t->root);
	free(t);
}

int
template_parse(const char *name, const char *text, struct template **out,
    struct pica_err *err)
{
	int		 rc = -1;
	struct lexer	 lx;
	struct parser	 p;
	struct template	*t = NULL;
	enum term	 term;
	size_t		 i;

	*out = NULL;
	memset(&lx, 0, sizeof(lx));
	memset(&p, 0, sizeof(p));
	lx.name = name;
	lx.s = text;
	lx.n = strlen(text);
	lx.err = err;
	if (lx.n > TPL_MAX_SRC) {
		pica_err_set(err, PICA_E_CONFIG, "%s: template larger than "
		    "%d bytes", name, TPL_MAX_SRC);
		goto out;
	}
	if (lx_run(&lx) == -1)
		goto out;
	p.name = name;
	p.toks = lx.toks;
	p.err = err;
	var_push(&p, "$");
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	if (parse_list(&p, &t->root, &term) == -1)
		goto out;
	if (term != TERM_EOF) {
		p_error(&p, p.kwtok, "unexpected {{%s}}", term == TERM_END ?
		    "end" : "else");
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	template_free(t);
	for (i = 0; i < lx.ntoks; i++)
		free(lx.toks[i].val);
	free(lx.toks);
	free(p.vars);
	return rc;
}

int
template_load(const char *path, struct template **out, struct pica_err *err)
{
	int	 rc = -1;
	char	*text = NULL;

	*out = NULL;
	if (util_read_file(path, TPL_MAX_SRC, &text, NULL, err) == -1)
		goto out;
	if (template_parse(path, text, out, err) == -1)
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

/* ---- evaluation ---------------------------------------------------- */

struct var {
	const char	*name;
	json_t		*val;
};

enum ctl {
	CTL_NONE,
	CTL_BREAK,
	CTL_CONTINUE,
};

struct state {
	const struct template *t;
	struct buf	 out;
	struct var	*vars;
	size_t		 nvars, capvars;
	unsigned long	 steps;
	size_t		 made, maps;
	enum ctl	 ctl;
	struct pica_err	*err;
};

static int __attribute__((format(printf, 4, 5)))
s_error(struct state *s, int line, int col, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[400];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pica_err_set(s->err, PICA_E_CONFIG, "%s:%d:%d: %s",
	    s->t->name, line, col, msg);
}

static int
s_step(struct state *s, int line, int col)
{
	if (++s->steps > TPL_MAX_STEPS)
		return s_error(s, line, col, "template takes more than %d "
		    "steps", TPL_MAX_STEPS);
	return 0;
}

/* Count bytes of values made, so loops cannot build unbounded data. */
static int
s_made(struct state *s, const struct arg *at, size_t len)
{
	if (len > TPL_MAX_OUT)
		return s_error(s, at->line, at->col, "value larger than %d "
		    "bytes", TPL_MAX_OUT);
	s->made += len + 16;
	if (s->made > TPL_MAX_MADE)
		return s_error(s, at->line, at->col, "template builds more "
		    "than %d bytes of values", TPL_MAX_MADE);
	return 0;
}

/*
 * Lists and maps are counted: "$x = list $x" in a loop would otherwise
 * nest deep enough for jansson's recursive free and dump to overflow.
 */
static int
s_map(struct state *s, const struct arg *at, size_t n)
{
	if (++s->maps > TPL_MAX_MAPS)
		return s_error(s, at->line, at->col, "template builds more "
		    "than %d lists and maps", TPL_MAX_MAPS);
	return s_made(s, at, n * 16);
}

static void
var_set(struct state *s, const char *name, json_t *v, int push)
{
	size_t	 i;

	if (!push) {
		/* The parser checked that the variable exists. */
		for (i = s->nvars; i > 0; i--)
			if (strcmp(s->vars[i - 1].name, name) == 0) {
				json_decref(s->vars[i - 1].val);
				s->vars[i - 1].val = json_incref(v);
				return;
			}
	}
	if (s->nvars == s->capvars) {
		s->capvars = s->capvars ? s->capvars * 2 : 16;
		s->vars = xgrow(s->vars, s->capvars, sizeof(*s->vars));
	}
	s->vars[s->nvars].name = name;
	s->vars[s->nvars].val = json_incref(v);
	s->nvars++;
}

static json_t *
var_get(struct state *s, const char *name)
{
	size_t	 i;

	for (i = s->nvars; i > 0; i--)
		if (strcmp(s->vars[i - 1].name, name) == 0)
			return s->vars[i - 1].val;
	return NULL;
}

static void
var_pop(struct state *s, size_t mark)
{
	while (s->nvars > mark)
		json_decref(s->vars[--s->nvars].val);
}

static int
is_nil(json_t *v)
{
	return v == NULL || json_is_null(v);
}

/* Go's notion of truth: the zero value and empty things are false. */
static int
is_true(json_t *v)
{
	if (is_nil(v))
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return 1;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return 0;
	}
}

/*
 * The Go type a value stands for: JSON numbers decode to float64 in Go,
 * and an object with "goType" stands for that Go type (a public key).
 */
static const char *
type_name(json_t *v)
{
	json_t	*g;

	if (is_nil(v))
		return "<nil>";
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_ARRAY:
		return "[]interface {}";
	case JSON_OBJECT:
		if ((g = json_object_get(v, "goType")) != NULL &&
		    json_is_string(g))
			return json_string_value(g);
		return "map[string]interface {}";
	default:
		return "<nil>";
	}
}

/* Go's %v of a float64: shortest digits that round-trip. */
static void
go_float(double d, char *out, size_t len)
{
	char	 e[40];
	int	 prec, x;

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, len, "%s", d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec - 1, d);
	x = atoi(strchr(e, 'e') + 1);
	/* strconv's 'g' with shortest precision switches at 1e+06. */
	if (x < -4 || x >= 6)
		snprintf(out, len, "%s", e);
	else
		snprintf(out, len, "%.*f", prec - 1 - x > 0 ? prec - 1 - x : 0,
		    d);
}

static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t		 len, i;
	unsigned long	 r;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		r = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		r = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		r = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		r = (r << 6) | (p[i] & 0x3f);
	}
	if ((len == 2 && r < 0x80) || (len == 3 && r < 0x800) ||
	    (len == 4 && (r < 0x10000 || r > 0x10ffff)) ||
	    (r >= 0xd800 && r <= 0xdfff))
		return 0;
	return len;
}

/* strconv.Quote (q '"') as Go writes it. */
static int
go_quote(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n;
	char			 x[8];

	if (buf_chr(b, '"') == -1)
		return -1;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (p[i] >= 0x80) {
			if ((n = utf8_seq(p + i, len - i)) != 0) {
				if (buf_add(b, p + i, n) == -1)
					return -1;
				continue;
			}
			n = 1;
			snprintf(x, sizeof(x), "\\x%02x", p[i]);
		} else if (p[i] == '"' || p[i] == '\\')
			snprintf(x, sizeof(x), "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			snprintf(x, sizeof(x), "%c", p[i]);
		else if (p[i] == '\a')
			snprintf(x, sizeof(x), "\\a");
		else if (p[i] == '\b')
			snprintf(x, sizeof(x), "\\b");
		else if (p[i] == '\f')
			snprintf(x, sizeof(x), "\\f");
		else if (p[i] == '\n')
			snprintf(x, sizeof(x), "\\n");
		else if (p[i] == '\r')
			snprintf(x, sizeof(x), "\\r");
		else if (p[i] == '\t')
			snprintf(x, sizeof(x), "\\t");
		else if (p[i] == '\v')
			snprintf(x, sizeof(x), "\\v");
		else
			snprintf(x, sizeof(x), "\\x%02x", p[i]);
		if (buf_str(b, x) == -1)
			return -1;
	}
	return buf_chr(b, '"');
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object's keys in Go's map order (sorted); NULL when empty. */
static const char **
sorted_keys(json_t *o, size_t *n)
{
	const char	**keys;
	const char	 *k;
	json_t		 *v;

	*n = 0;
	if (json_object_size(o) == 0)
		return NULL;
	keys = xgrow(NULL, json_object_size(o), sizeof(*keys));
	json_object_foreach(o, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

/*
 * fmt's %v.  An action prints a missing value as "<no value>"; inside
 * print and printf it is "<nil>", as in Go.
 */
static int
fmt_value(struct buf *b, json_t *v, int top, int depth)
{
	char		  num[64];
	const char	**keys;
	size_t		  i, n;
	int		  rc = 0;

	if (is_nil(v))
		return buf_str(b, top ? "<no value>" : "<nil>");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_add(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf_str(b, num);
	case JSON_REAL:
		go_float(json_real_value(v), num, sizeof(num));
		return buf_str(b, num);
	case JSON_TRUE:
		return buf_str(b, "true");
	case JSON_FALSE:
		return buf_str(b, "false");
	case JSON_ARRAY:
		if (depth >= TPL_MAX_PRINT)
			return buf_str(b, "[...]");
		if (buf_chr(b, '[') == -1)
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if ((i > 0 && buf_chr(b, ' ') == -1) ||
			    fmt_value(b, json_array_get(v, i), 0,
			    depth + 1) == -1)
				return -1;
		return buf_chr(b, ']');
	case JSON_OBJECT:
		if (depth >= TPL_MAX_PRINT)
			return buf_str(b, "map[...]");
		if (buf_str(b, "map[") == -1)
			return -1;
		keys = sorted_keys(v, &n);
		for (i = 0; i < n && rc == 0; i++)
			if ((i > 0 && buf_chr(b, ' ') == -1) ||
			    buf_str(b, keys[i]) == -1 ||
			    buf_chr(b, ':') == -1 ||
			    fmt_value(b, json_object_get(v, keys[i]), 0,
			    depth + 1) == -1)
				rc = -1;
		free(keys);
		return rc == -1 ? -1 : buf_chr(b, ']');
	default:
		return 0;
	}
}

/* A new string value, counted against the budget. */
static int
mkstr(struct state *s, const struct arg *at, const char *p, size_t len,
    json_t **out)
{
	if (s_made(s, at, len) == -1)
		return -1;
	if ((*out = json_stringn_nocheck(p ? p : "", len)) == NULL)
		return s_error(s, at->line, at->col, "out of memory");
	return 0;
}

/* Take a buffer's bytes as the result string. */
static int
buf_result(struct state *s, const struct arg *at, struct buf *b, int full,
    json_t **out)
{
	int	 rc;

	if (full) {
		free(b->p);
		return s_error(s, at->line, at->col, "value larger than %d "
		    "bytes", TPL_MAX_OUT);
	}
	rc = mkstr(s, at, b->p, b->len, out);
	free(b->p);
	return rc;
}

/* sprig's strval: a string as it is, anything else as %v. */
static int
strval(struct state *s, const struct arg *at, json_t *v, json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };

	if (json_is_string(v)) {
		*out = json_incref(v);
		return 0;
	}
	return buf_result(s, at, &b, fmt_value(&b, v, 0, 0) == -1, out);
}

static int
want_str(struct state *s, const struct arg *at, json_t **a, size_t i)
{
	if (!json_is_string(a[i]))
		return s_error(s, at->line, at->col, "%s: argument %zu must "
		    "be a string, not %s", at->fn->name, i + 1,
		    type_name(a[i]));
	return 0;
}

/* ---- functions ----------------------------------------------------- */

static int
f_tojson(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	char	*j;
	int	 rc;

	(void)n;
	if (a[0] == NULL)
		return mkstr(s, at, "null", 4, out);
	if ((j = json_dumps(a[0], JSON_ENCODE_ANY | JSON_COMPACT)) == NULL)
		return s_error(s, at->line, at->col, "toJson: cannot encode "
		    "%s", type_name(a[0]));
	rc = mkstr(s, at, j, strlen(j), out);
	free(j);
	return rc;
}

static int
num_int(json_t *v, long long *i)
{
	double	 d;

	if (json_is_integer(v)) {
		*i = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		/* No floor(): the programs do not link libm. */
		if (d >= -9e18 && d <= 9e18 && (double)(long long)d == d) {
			*i = (long long)d;
			return 0;
		}
	}
	return -1;
}

static int
f_index(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	json_t		*v = a[0], *next;
	long long	 i;
	size_t		 k;
	unsigned char	 c;

	for (k = 1; k < n; k++) {
		if (json_is_array(v)) {
			if (num_int(a[k], &i) == -1)
				return s_error(s, at->line, at->col, "index: "
				    "cannot index slice with %s",
				    type_name(a[k]));
			if (i < 0 || (size_t)i >= json_array_size(v))
				return s_error(s, at->line, at->col, "index: "
				    "index out of range: %lld", i);
			next = json_array_get(v, (size_t)i);
		} else if (json_is_object(v)) {
			if (!json_is_string(a[k]))
				return s_error(s, at->line, at->col, "index: "
				    "cannot index map with %s",
				    type_name(a[k]));
			next = json_object_get(v, json_string_value(a[k]));
		} else if (json_is_string(v)) {
			if (num_int(a[k], &i) == -1 || i < 0 ||
			    (size_t)i >= json_string_length(v))
				return s_error(s, at->line, at->col, "index: "
				    "bad string index");
			c = (unsigned char)json_string_value(v)[i];
			*out = json_integer(c);
			return *out == NULL ? -1 : 0;
		} else
			return s_error(s, at->line, at->col, "index of %s",
			    is_nil(v) ? "untyped nil" : type_name(v));
		if (next == NULL) {
			*out = NULL;
			return 0;
		}
		v = next;
	}
	*out = json_incref(v);
	return 0;
}

static int
f_len(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	size_t	 len;

	(void)n;
	if (json_is_string(a[0]))
		len = json_string_length(a[0]);
	else if (json_is_array(a[0]))
		len = json_array_size(a[0]);
	else if (json_is_object(a[0]))
		len = json_object_size(a[0]);
	else
		return s_error(s, at->line, at->col, "len of %s",
		    type_name(a[0]));
	*out = json_integer((json_int_t)len);
	return 0;
}

enum kind {
	K_NIL,
	K_BOOL,
	K_NUM,
	K_STR,
	K_OTHER,
};

static enum kind
basic_kind(json_t *v)
{
	if (is_nil(v))
		return K_NIL;
	if (json_is_boolean(v))
		return K_BOOL;
	if (json_is_number(v))
		return K_NUM;
	if (json_is_string(v))
		return K_STR;
	return K_OTHER;
}

/* Compare two basic values: -1, 0 or 1 in *c; -1 on type mismatch. */
static int
compare(struct state *s, const struct arg *at, json_t *x, json_t *y,
    int ordered, int *c)
{
	enum kind	 kx = basic_kind(x), ky = basic_kind(y);
	double		 dx, dy;
	size_t		 lx, ly;

	if (!ordered && (kx == K_NIL || ky == K_NIL)) {
		*c = kx == ky ? 0 : 1;
		return 0;
	}
	if (kx != ky)
		return s_error(s, at->line, at->col, "%s: incompatible types "
		    "for comparison (%s and %s)", at->fn->name, type_name(x),
		    type_name(y));
	switch (kx) {
	case K_BOOL:
		if (ordered)
			break;
		*c = json_is_true(x) != json_is_true(y);
		return 0;
	case K_NUM:
		if (json_is_integer(x) && json_is_integer(y)) {
			*c = json_integer_value(x) < json_integer_value(y) ?
			    -1 : json_integer_value(x) > json_integer_value(y);
			return 0;
		}
		dx = json_number_value(x);
		dy = json_number_value(y);
		*c = dx < dy ? -1 : dx > dy;
		return 0;
	case K_STR:
		lx = json_string_length(x);
		ly = json_string_length(y);
		*c = memcmp(json_string_value(x), json_string_value(y),
		    lx < ly ? lx : ly);
		if (*c == 0)
			*c = lx < ly ? -1 : lx > ly;
		return 0;
	default:
		break;
	}
	return s_error(s, at->line, at->col, "%s: cannot compare %s",
	    at->fn->name, type_name(x));
}

static int
f_eq(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	size_t	 i;
	int	 c = 1, r = 0;

	for (i = 1; i < n && !r; i++) {
		if (compare(s, at, a[0], a[i], 0, &c) == -1)
			return -1;
		r = c == 0;
	}
	*out = json_boolean(r);
	return 0;
}

static int
f_ne(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	int	 c = 0;

	(void)n;
	if (compare(s, at, a[0], a[1], 0, &c) == -1)
		return -1;
	*out = json_boolean(c != 0);
	return 0;
}

static int
f_order(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	const char	*f = at->fn->name;
	int		 c = 0;

	(void)n;
	if (compare(s, at, a[0], a[1], 1, &c) == -1)
		return -1;
	if (strcmp(f, "lt") == 0)
		*out = json_boolean(c < 0);
	else if (strcmp(f, "le") == 0)
		*out = json_boolean(c <= 0);
	else if (strcmp(f, "gt") == 0)
		*out = json_boolean(c > 0);
	else
		*out = json_boolean(c >= 0);
	return 0;
}

/*
 * not, and sprig's empty: nil, false, 0, "" and empty lists and maps are
 * false to both, so one function serves both names.
 */
static int
f_not(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	(void)s;
	(void)at;
	(void)n;
	*out = json_boolean(!is_true(a[0]));
	return 0;
}

/* fmt.Sprint: a space between operands when neither is a string. */
static int
f_print(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;
	int		 full = 0;

	for (i = 0; i < n && !full; i++) {
		if (i > 0 && !json_is_string(a[i]) &&
		    !json_is_string(a[i - 1]) && buf_chr(&b, ' ') == -1)
			full = 1;
		if (fmt_value(&b, a[i], 0, 0) == -1)
			full = 1;
	}
	return buf_result(s, at, &b, full, out);
}

struct spec {
	int	 minus, plus, sharp, zero, space;
	int	 width, prec;		/* -1: not given */
};

/* Pad an already formatted field to the width. */
static int
pad_field(struct buf *b, const struct spec *sp, const char *p, size_t len,
    int numeric)
{
	size_t	 w = sp->width > 0 ? (size_t)sp->width : 0, sign = 0;

	if (len >= w)
		return buf_add(b, p, len);
	if (sp->minus)
		return buf_add(b, p, len) == -1 ? -1 :
		    buf_pad(b, ' ', w - len);
	if (sp->zero && numeric) {
		if (len > 0 && (p[0] == '-' || p[0] == '+' || p[0] == ' '))
			sign = 1;
		return buf_add(b, p, sign) == -1 ||
		    buf_pad(b, '0', w - len) == -1 ? -1 :
		    buf_add(b, p + sign, len - sign);
	}
	return buf_pad(b, ' ', w - len) == -1 ? -1 : buf_add(b, p, len);
}

/* One printf verb for one value. */
static int
fmt_verb(struct buf *b, const struct spec *sp, char verb, json_t *v)
{
	struct buf	 t = { NULL, 0, 0 };
	char		 num[400];
	const char	*p;
	long long	 i;
	unsigned long long u;
	double		 d;
	size_t		 k;
	int		 rc = -1, numeric = 0, prec;

	switch (verb) {
	case 'd':
	case 'x':
	case 'X':
	case 'o':
	case 'c':
		if (num_int(v, &i) == 0) {
			u = i < 0 ? 0 - (unsigned long long)i :
			    (unsigned long long)i;
			if (verb == 'c') {
				if (put_utf8(&t, (unsigned long)i) == -1)
					put_utf8(&t, 0xfffd);
				break;
			}
			if (verb == 'd')
				snprintf(num, sizeof(num), "%llu", u);
			else if (verb == 'o')
				snprintf(num, sizeof(num), "%llo", u);
			else if (verb == 'x')
				snprintf(num, sizeof(num), "%llx", u);
			else
				snprintf(num, sizeof(num), "%llX", u);
			if ((i < 0 && buf_chr(&t, '-') == -1) ||
			    (i >= 0 && sp->plus && buf_chr(&t, '+') == -1) ||
			    (i >= 0 && !sp->plus && sp->space &&
			    buf_chr(&t, ' ') == -1) ||
			    (sp->prec > (int)strlen(num) &&
			    buf_pad(&t, '0', (size_t)sp->prec -
			    strlen(num)) == -1) ||
			    buf_str(&t, num) == -1)
				goto out;
			numeric = sp->prec < 0;
			break;
		}
		if (json_is_string(v) && (verb == 'x' || verb == 'X')) {
			p = json_string_value(v);
			for (k = 0; k < json_string_length(v); k++) {
				snprintf(num, sizeof(num), verb == 'x' ?
				    "%02x" : "%02X", (unsigned char)p[k]);
				if (buf_str(&t, num) == -1)
					goto out;
			}
			break;
		}
		goto bad;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
	case 'g':
	case 'G':
		if (!json_is_number(v))
			goto bad;
		d = json_number_value(v);
		prec = sp->prec < 0 ? 6 : sp->prec > 100 ? 100 : sp->prec;
		if ((verb == 'g' || verb == 'G') && sp->prec < 0)
			go_float(d, num, sizeof(num));
		else if (verb == 'e')
			snprintf(num, sizeof(num), "%.*e", prec, d);
		else if (verb == 'E')
			snprintf(num, sizeof(num), "%.*E", prec, d);
		else if (verb == 'f' || verb == 'F')
			snprintf(num, sizeof(num), "%.*f", prec, d);
		else if (verb == 'g')
			snprintf(num, sizeof(num), "%.*g", prec, d);
		else
			snprintf(num, sizeof(num), "%.*G", prec, d);
		if ((d >= 0 && sp->plus && buf_chr(&t, '+') == -1) ||
		    (d >= 0 && !sp->plus && sp->space &&
		    buf_chr(&t, ' ') == -1) || buf_str(&t, num) == -1)
			goto out;
		numeric = 1;
		break;
	case 't':
		if (!json_is_boolean(v))
			goto bad;
		if (buf_str(&t, json_is_true(v) ? "true" : "false") == -1)
			goto out;
		break;
	case 'q':
		if (json_is_string(v)) {
			if (go_quote(&t, json_string_value(v),
			    json_string_length(v)) == -1)
				goto out;
			break;
		}
		goto bad;
	case 's':
	case 'v':
		if (fmt_value(&t, v, 0, 0) == -1)
			goto out;
		if (verb == 's' && sp->prec >= 0 && t.len > (size_t)sp->prec)
			t.len = (size_t)sp->prec;
		break;
	default:
		goto bad;
	}
	rc = pad_field(b, sp, t.p ? t.p : "", t.len, numeric);
	goto out;
bad:
	/* Go's way of showing a verb that does not fit the value. */
	if (buf_str(b, "%!") == -1 || buf_chr(b, verb) == -1 ||
	    buf_chr(b, '(') == -1 || buf_str(b, type_name(v)) == -1 ||
	    buf_chr(b, '=') == -1 || fmt_value(b, v, 0, 0) == -1 ||
	    buf_chr(b, ')') == -1)
		goto out;
	rc = 0;
out:
	free(t.p);
	return rc;
}

static int
f_printf(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };
	struct spec	 sp;
	const char	*f, *end;
	size_t		 argi = 1;
	int		 full = 0;

	if (want_str(s, at, a, 0) == -1)
		return -1;
	f = json_string_value(a[0]);
	end = f + json_string_length(a[0]);
	while (f < end && !full) {
		if (*f != '%') {
			full = buf_chr(&b, *f++) == -1;
			continue;
		}
		f++;
		memset(&sp, 0, sizeof(sp));
		sp.width = sp.prec = -1;
		for (; f < end && strchr("-+# 0", *f) != NULL; f++) {
			sp.minus |= *f == '-';
			sp.plus |= *f == '+';
			sp.sharp |= *f == '#';
			sp.zero |= *f == '0';
			sp.space |= *f == ' ';
		}
		/* Bounded so that "%999999999d" cannot eat memory. */
		for (; f < end && isdigit((unsigned char)*f); f++) {
			sp.width = (sp.width < 0 ? 0 : sp.width) * 10 +
			    (*f - '0');
			if (sp.width > 4096)
				sp.width = 4096;
		}
		if (f < end && *f == '.') {
			sp.prec = 0;
			for (f++; f < end && isdigit((unsigned char)*f); f++) {
				sp.prec = sp.prec * 10 + (*f - '0');
				if (sp.prec > 4096)
					sp.prec = 4096;
			}
		}
		if (f == end) {
			full = buf_str(&b, "%!(NOVERB)") == -1;
			break;
		}
		if (*f == '%') {
			full = buf_chr(&b, '%') == -1;
			f++;
			continue;
		}
		if (argi >= n) {
			full = buf_str(&b, "%!") == -1 ||
			    buf_chr(&b, *f) == -1 ||
			    buf_str(&b, "(MISSING)") == -1;
			f++;
			continue;
		}
		full = fmt_verb(&b, &sp, *f++, a[argi++]) == -1;
	}
	if (!full && argi < n) {
		full = buf_str(&b, "%!(EXTRA ") == -1;
		for (; argi < n && !full; argi++)
			full = buf_str(&b, type_name(a[argi])) == -1 ||
			    buf_chr(&b, '=') == -1 ||
			    fmt_value(&b, a[argi], 0, 0) == -1 ||
			    buf_str(&b, argi + 1 < n ? ", " : ")") == -1;
	}
	return buf_result(s, at, &b, full, out);
}

/* default DEFAULT GIVEN: GIVEN unless it is empty. */
static int
f_default(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	(void)s;
	(void)at;
	*out = json_incref(n < 2 || !is_true(a[1]) ? a[0] : a[1]);
	return 0;
}

static int
f_case(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	char	*p;
	size_t	 i, len;
	int	 upper = at->fn->name[0] == 'u', rc;

	(void)n;
	if (want_str(s, at, a, 0) == -1)
		return -1;
	len = json_string_length(a[0]);
	p = xmemdup(json_string_value(a[0]), len);
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x80)
			p[i] = (char)(upper ? toupper((unsigned char)p[i]) :
			    tolower((unsigned char)p[i]));
	rc = mkstr(s, at, p, len, out);
	free(p);
	return rc;
}

static int
f_trim(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	const char	*p;
	size_t		 len;

	(void)n;
	if (want_str(s, at, a, 0) == -1)
		return -1;
	p = json_string_value(a[0]);
	len = json_string_length(a[0]);
	while (len > 0 && (is_space(*p) || *p == '\v' || *p == '\f')) {
		p++;
		len--;
	}
	while (len > 0 && (is_space(p[len - 1]) || p[len - 1] == '\v' ||
	    p[len - 1] == '\f'))
		len--;
	return mkstr(s, at, p, len, out);
}

static int
has_prefix(json_t *s, json_t *pre)
{
	return json_string_length(pre) <= json_string_length(s) &&
	    memcmp(json_string_value(s), json_string_value(pre),
	    json_string_length(pre)) == 0;
}

static int
has_suffix(json_t *s, json_t *suf)
{
	size_t	 ls = json_string_length(s), lf = json_string_length(suf);

	return lf <= ls && memcmp(json_string_value(s) + ls - lf,
	    json_string_value(suf), lf) == 0;
}

static const char *
find_sub(const char *h, size_t hl, const char *nd, size_t nl)
{
	size_t	 i;

	if (nl == 0)
		return h;
	for (i = 0; nl <= hl && i <= hl - nl; i++)
		if (memcmp(h + i, nd, nl) == 0)
			return h + i;
	return NULL;
}

/*
 * The sprig string functions taking (arg, string): trimPrefix,
 * trimSuffix, hasPrefix, hasSuffix, contains.
 */
static int
f_affix(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	const char	*f = at->fn->name;
	json_t		*x = a[0], *str = a[1];

	(void)n;
	if (want_str(s, at, a, 0) == -1 || want_str(s, at, a, 1) == -1)
		return -1;
	if (strcmp(f, "hasPrefix") == 0)
		*out = json_boolean(has_prefix(str, x));
	else if (strcmp(f, "hasSuffix") == 0)
		*out = json_boolean(has_suffix(str, x));
	else if (strcmp(f, "contains") == 0)
		*out = json_boolean(find_sub(json_string_value(str),
		    json_string_length(str), json_string_value(x),
		    json_string_length(x)) != NULL);
	else if (strcmp(f, "trimPrefix") == 0)
		return has_prefix(str, x) ? mkstr(s, at,
		    json_string_value(str) + json_string_length(x),
		    json_string_length(str) - json_string_length(x), out) :
		    (*out = json_incref(str), 0);
	else
		return has_suffix(str, x) ? mkstr(s, at,
		    json_string_value(str), json_string_length(str) -
		    json_string_length(x), out) : (*out = json_incref(str), 0);
	return 0;
}

/* Length of the UTF-8 character at p (1 for a stray byte). */
static size_t
char_len(const char *p, size_t n)
{
	size_t	 k;

	k = utf8_seq((const unsigned char *)p, n);
	return k == 0 ? 1 : k;
}

/* replace OLD NEW SRC: strings.Replace(SRC, OLD, NEW, -1). */
static int
f_replace(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*old, *new, *src, *hit;
	size_t		 lo, ln, ls, i, k;
	int		 full = 0;

	(void)n;
	if (want_str(s, at, a, 0) == -1 || want_str(s, at, a, 1) == -1 ||
	    want_str(s, at, a, 2) == -1)
		return -1;
	old = json_string_value(a[0]);
	lo = json_string_length(a[0]);
	new = json_string_value(a[1]);
	ln = json_string_length(a[1]);
	src = json_string_value(a[2]);
	ls = json_string_length(a[2]);
	if (lo == 0) {
		/* Go puts NEW around every character. */
		for (i = 0; i < ls && !full; i += k) {
			k = char_len(src + i, ls - i);
			full = buf_add(&b, new, ln) == -1 ||
			    buf_add(&b, src + i, k) == -1;
		}
		if (!full)
			full = buf_add(&b, new, ln) == -1;
		return buf_result(s, at, &b, full, out);
	}
	for (i = 0; i < ls && !full; ) {
		if ((hit = find_sub(src + i, ls - i, old, lo)) == NULL) {
			full = buf_add(&b, src + i, ls - i) == -1;
			break;
		}
		full = buf_add(&b, src + i, (size_t)(hit - src) - i) == -1 ||
		    buf_add(&b, new, ln) == -1;
		i = (size_t)(hit - src) + lo;
	}
	if (b.p == NULL && !full)
		full = buf_add(&b, "", 0) == -1;
	return buf_result(s, at, &b, full, out);
}

/* join SEP LIST: nil elements are skipped, others printed as %v. */
static int
f_join(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };
	json_t		*e;
	size_t		 i, k = 0;
	int		 full = 0;

	(void)n;
	if (want_str(s, at, a, 0) == -1)
		return -1;
	if (!json_is_array(a[1])) {
		if (is_nil(a[1]))
			return mkstr(s, at, "", 0, out);
		return strval(s, at, a[1], out);
	}
	json_array_foreach(a[1], i, e) {
		if (is_nil(e))
			continue;
		if (k++ > 0 && buf_add(&b, json_string_value(a[0]),
		    json_string_length(a[0])) == -1)
			full = 1;
		if (fmt_value(&b, e, 0, 0) == -1)
			full = 1;
		if (full)
			break;
	}
	return buf_result(s, at, &b, full, out);
}

/* split (a map _0, _1, ... as sprig returns) and splitList. */
static int
f_split(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	const char	*sep, *str, *hit;
	size_t		 lsep, ls, i, k, part = 0;
	json_t		*res, *v;
	char		 key[32];
	int		 list = strcmp(at->fn->name, "splitList") == 0;

	(void)n;
	if (want_str(s, at, a, 0) == -1 || want_str(s, at, a, 1) == -1 ||
	    s_map(s, at, 0) == -1)
		return -1;
	sep = json_string_value(a[0]);
	lsep = json_string_length(a[0]);
	str = json_string_value(a[1]);
	ls = json_string_length(a[1]);
	res = list ? json_array() : json_object();
	for (i = 0; ; i += k + lsep) {
		if (lsep == 0) {
			if (i >= ls)
				break;
			k = char_len(str + i, ls - i);
		} else if ((hit = find_sub(str + i, ls - i, sep, lsep)) !=
		    NULL)
			k = (size_t)(hit - str) - i;
		else
			k = ls - i;
		if (mkstr(s, at, str + i, k, &v) == -1) {
			json_decref(res);
			return -1;
		}
		snprintf(key, sizeof(key), "_%zu", part++);
		if (list)
			json_array_append_new(res, v);
		else
			json_object_set_new_nocheck(res, key, v);
		if (lsep != 0 && i + k >= ls)
			break;
	}
	*out = res;
	return 0;
}

static int
f_firstlast(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	size_t	 len;

	(void)n;
	if (is_nil(a[0])) {
		*out = NULL;
		return 0;
	}
	if (!json_is_array(a[0]))
		return s_error(s, at->line, at->col, "%s: cannot find %s on "
		    "type %s", at->fn->name, at->fn->name, type_name(a[0]));
	len = json_array_size(a[0]);
	*out = len == 0 ? NULL : json_incref(json_array_get(a[0],
	    at->fn->name[0] == 'f' ? 0 : len - 1));
	return 0;
}

static int
f_list(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	size_t	 i;

	if (s_map(s, at, n) == -1)
		return -1;
	*out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(*out, a[i] ? json_incref(a[i]) :
		    json_null());
	return 0;
}

static int
f_dict(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	json_t	*res, *k = NULL, *empty;
	size_t	 i;

	if (s_map(s, at, n) == -1)
		return -1;
	res = json_object();
	for (i = 0; i < n; i += 2) {
		if (strval(s, at, a[i], &k) == -1) {
			json_decref(res);
			return -1;
		}
		empty = json_string("");
		json_object_set_nocheck(res, json_string_value(k),
		    i + 1 < n ? (a[i + 1] ? a[i + 1] : json_null()) : empty);
		json_decref(empty);
		json_decref(k);
	}
	*out = res;
	return 0;
}

static int
f_quote(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	struct buf	 b = { NULL, 0, 0 };
	json_t		*v;
	size_t		 i, k = 0;
	int		 full = 0, single = at->fn->name[0] == 's';

	for (i = 0; i < n && !full; i++) {
		if (is_nil(a[i]))
			continue;
		if (strval(s, at, a[i], &v) == -1) {
			free(b.p);
			return -1;
		}
		if (k++ > 0)
			full = buf_chr(&b, ' ') == -1;
		if (single)
			full = full || buf_chr(&b, '\'') == -1 ||
			    buf_add(&b, json_string_value(v),
			    json_string_length(v)) == -1 ||
			    buf_chr(&b, '\'') == -1;
		else
			full = full || go_quote(&b, json_string_value(v),
			    json_string_length(v)) == -1;
		json_decref(v);
	}
	if (b.p == NULL && !full)
		full = buf_add(&b, "", 0) == -1;
	return buf_result(s, at, &b, full, out);
}

static int
f_tostring(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	(void)n;
	return strval(s, at, a[0], out);
}

static int
f_typeis(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	(void)n;
	if (want_str(s, at, a, 0) == -1)
		return -1;
	*out = json_boolean(strcmp(json_string_value(a[0]),
	    type_name(a[1])) == 0);
	return 0;
}

static int
f_fail(struct state *s, const struct arg *at, json_t **a, size_t n,
    json_t **out)
{
	(void)n;
	(void)out;
	if (want_str(s, at, a, 0) == -1)
		return -1;
	return s_error(s, at->line, at->col, "%s", json_string_value(a[0]));
}

static const struct func funcs[] = {
	{ "and",	NULL,		1, -1, 1 },
	{ "contains",	f_affix,	2, 2, 0 },
	{ "default",	f_default,	1, 2, 0 },
	{ "dict",	f_dict,		0, -1, 0 },
	{ "empty",	f_not,		1, 1, 0 },
	{ "eq",		f_eq,		2, -1, 0 },
	{ "fail",	f_fail,		1, 1, 0 },
	{ "first",	f_firstlast,	1, 1, 0 },
	{ "ge",		f_order,	2, 2, 0 },
	{ "gt",		f_order,	2, 2, 0 },
	{ "hasPrefix",	f_affix,	2, 2, 0 },
	{ "hasSuffix",	f_affix,	2, 2, 0 },
	{ "index",	f_index,	1, -1, 0 },
	{ "join",	f_join,		2, 2, 0 },
	{ "last",	f_firstlast,	1, 1, 0 },
	{ "le",		f_order,	2, 2, 0 },
	{ "len",	f_len,		1, 1, 0 },
	{ "list",	f_list,		0, -1, 0 },
	{ "lower",	f_case,		1, 1, 0 },
	{ "lt",		f_order,	2, 2, 0 },
	{ "ne",		f_ne,		2, 2, 0 },
	{ "not",	f_not,		1, 1, 0 },
	{ "or",		NULL,		1, -1, 2 },
	{ "print",	f_print,	0, -1, 0 },
	{ "printf",	f_printf,	1, -1, 0 },
	{ "quote",	f_quote,	0, -1, 0 },
	{ "replace",	f_replace,	3, 3, 0 },
	{ "split",	f_split,	2, 2, 0 },
	{ "splitList",	f_split,	2, 2, 0 },
	{ "squote",	f_quote,	0, -1, 0 },
	{ "toJson",	f_tojson,	1, 1, 0 },
	{ "toString",	f_tostring,	1, 1, 0 },
	{ "trim",	f_trim,		1, 1, 0 },
	{ "trimPrefix",	f_affix,	2, 2, 0 },
	{ "trimSuffix",	f_affix,	2, 2, 0 },
	{ "typeIs",	f_typeis,	2, 2, 0 },
	{ "upper",	f_case,		1, 1, 0 },
};

static const struct func *
func_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}

/* ---- evaluator ----------------------------------------------------- */

static int	eval_pipe(struct state *, const struct pipe *, json_t *, int,
		    json_t **);
static int	eval_arg(struct state *, const struct arg *, json_t *,
		    json_t **);

/* .Name on v: the key as written, then with its first letter lowered. */
static int
field(struct state *s, const struct arg *at, json_t *v, const char *name,
    json_t **out)
{
	json_t	*f;
	char	*low;

	*out = NULL;
	if (is_nil(v))
		return 0;
	if (!json_is_object(v))
		return s_error(s, at->line, at->col, "can't evaluate field %s "
		    "in type %s", name, type_name(v));
	if ((f = json_object_get(v, name)) == NULL &&
	    isupper((unsigned char)name[0])) {
		low = xstrdup(name);
		low[0] = (char)tolower((unsigned char)low[0]);
		f = json_object_get(v, low);
		free(low);
	}
	*out = json_incref(f);
	return 0;
}

/* Call fa's function with args and (has_final) the piped value. */
static int
call(struct state *s, const struct arg *fa, const struct arg *args,
    json_t *dot, int has_final, json_t *final, json_t **out)
{
	const struct func	*fn = fa->fn;
	const struct arg	*x;
	json_t			*argv[TPL_MAX_ARGS + 1], *v = NULL;
	size_t			 n = 0, i, want;
	int			 rc = -1, last;

	*out = NULL;
	for (x = args, want = 0; x != NULL; x = x->next)
		want++;
	want += has_final ? 1 : 0;
	if (want > TPL_MAX_ARGS)
		return s_error(s, fa->line, fa->col, "%s: more than %d "
		    "arguments", fn->name, TPL_MAX_ARGS);
	if ((int)want < fn->min || (fn->max >= 0 && (int)want > fn->max))
		return s_error(s, fa->line, fa->col, "wrong number of args "
		    "for %s: want %s%d got %zu", fn->name, fn->max < 0 ?
		    "at least " : "", fn->min, want);
	if (fn->lazy) {
		/* and/or stop at the first argument that decides. */
		for (x = args, i = 0; i < want; i++) {
			json_decref(v);
			v = NULL;
			if (x != NULL) {
				if (eval_arg(s, x, dot, &v) == -1)
					return -1;
				x = x->next;
			} else
				v = json_incref(final);
			last = i + 1 == want;
			if (!last && (fn->lazy == 1 ? !is_true(v) :
			    is_true(v)))
				break;
		}
		*out = v;
		return 0;
	}
	for (x = args; x != NULL; x = x->next) {
		if (eval_arg(s, x, dot, &argv[n]) == -1)
			goto out;
		n++;
	}
	if (has_final)
		argv[n++] = json_incref(final);
	rc = fn->fn(s, fa, argv, n, out);
out:
	for (i = 0; i < n; i++)
		json_decref(argv[i]);
	return rc;
}

static int
eval_arg(struct state *s, const struct arg *a, json_t *dot, json_t **out)
{
	json_t	*v = NULL, *next;
	size_t	 i;

	*out = NULL;
	if (s_step(s, a->line, a->col) == -1)
		return -1;
	switch (a->kind) {
	case A_DOT:
	case A_FIELD:
		v = json_incref(dot);
		break;
	case A_VAR:
		v = json_incref(var_get(s, a->name));
		break;
	case A_LIT:
		v = json_incref(a->lit);
		break;
	case A_NIL:
		v = json_null();
		break;
	case A_FUNC:
		if (call(s, a, NULL, dot, 0, NULL, &v) == -1)
			return -1;
		break;
	case A_PIPE:
		if (eval_pipe(s, a->pipe, dot, 0, &v) == -1)
			return -1;
		break;
	}
	for (i = 0; i < a->nfields; i++) {
		if (field(s, a, v, a->fields[i], &next) == -1) {
			json_decref(v);
			return -1;
		}
		json_decref(v);
		v = next;
	}
	*out = v;
	return 0;
}

static int
eval_cmd(struct state *s, const struct cmd *c, json_t *dot, int has_final,
    json_t *final, json_t **out)
{
	const struct arg	*a = c->args;

	*out = NULL;
	if (a->kind == A_FUNC && a->nfields == 0)
		return call(s, a, a->next, dot, has_final, final, out);
	if (a->kind == A_NIL)
		return s_error(s, a->line, a->col, "nil is not a command");
	if (c->nargs > 1 || has_final)
		return s_error(s, a->line, a->col, "can't give argument to "
		    "non-function");
	return eval_arg(s, a, dot, out);
}

static int
eval_pipe(struct state *s, const struct pipe *p, json_t *dot, int decl,
    json_t **out)
{
	const struct cmd	*c;
	json_t			*v = NULL, *next;
	int			 first = 1;

	*out = NULL;
	for (c = p->cmds; c != NULL; c = c->next) {
		if (eval_cmd(s, c, dot, !first, v, &next) == -1) {
			json_decref(v);
			return -1;
		}
		json_decref(v);
		v = next;
		first = 0;
	}
	if (decl && p->ndecl > 0)
		var_set(s, p->decl[0], v, !p->assign);
	*out = v;
	return 0;
}

static int	walk(struct state *, const struct node *, json_t *);

static int
walk_range(struct state *s, const struct node *n, json_t *dot)
{
	const struct branch	*br = &n->br[0];
	const struct pipe	*p = br->pipe;
	json_t			*v = NULL, *elem, *key = NULL;
	const char		**keys = NULL;
	size_t			 i, len, mark = s->nvars;
	int			 rc = -1;

	if (eval_pipe(s, p, dot, 0, &v) == -1)
		goto out;
	if (is_nil(v))
		len = 0;
	else if (json_is_array(v))
		len = json_array_size(v);
	else if (json_is_object(v))
		keys = sorted_keys(v, &len);
	else {
		s_error(s, n->line, n->col, "range can't iterate over %s",
		    type_name(v));
		goto out;
	}
	if (len == 0) {
		if (n->elselist != NULL && walk(s, n->elselist, dot) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (s_step(s, n->line, n->col) == -1)
			goto out;
		if (keys != NULL) {
			elem = json_object_get(v, keys[i]);
			key = json_string(keys[i]);
		} else {
			elem = json_array_get(v, i);
			key = json_integer((json_int_t)i);
		}
		/* "range $x = ..." assigns the outer $x, as in Go. */
		if (p->ndecl == 1)
			var_set(s, p->decl[0], elem, !p->assign);
		else if (p->ndecl == 2) {
			var_set(s, p->decl[0], key, 1);
			var_set(s, p->decl[1], elem, 1);
		}
		json_decref(key);
		rc = walk(s, br->list, elem);
		var_pop(s, mark);
		if (rc == -1)
			goto out;
		rc = -1;
		if (s->ctl == CTL_BREAK) {
			s->ctl = CTL_NONE;
			break;
		}
		s->ctl = CTL_NONE;
	}
	rc = 0;
out:
	var_pop(s, mark);
	free(keys);
	json_decref(v);
	return rc;
}

static int
walk_cond(struct state *s, const struct node *n, json_t *dot)
{
	json_t	*v = NULL;
	size_t	 i, mark = s->nvars;
	int	 rc = -1;

	for (i = 0; i < n->nbr; i++) {
		if (eval_pipe(s, n->br[i].pipe, dot, 1, &v) == -1)
			goto out;
		if (is_true(v)) {
			if (walk(s, n->br[i].list, n->kind == N_WITH ? v :
			    dot) == -1)
				goto out;
			rc = 0;
			goto out;
		}
		json_decref(v);
		v = NULL;
	}
	if (n->elselist != NULL && walk(s, n->elselist, dot) == -1)
		goto out;
	rc = 0;
out:
	json_decref(v);
	var_pop(s, mark);
	return rc;
}

static int
walk(struct state *s, const struct node *n, json_t *dot)
{
	json_t	*v;
	int	 r;

	for (; n != NULL && s->ctl == CTL_NONE; n = n->next) {
		if (s_step(s, n->line, n->col) == -1)
			return -1;
		switch (n->kind) {
		case N_TEXT:
			if (buf_add(&s->out, n->text, n->len) == -1)
				return s_error(s, n->line, n->col, "output "
				    "larger than %d bytes", TPL_MAX_OUT);
			break;
		case N_ACTION:
			if (eval_pipe(s, n->pipe, dot, 1, &v) == -1)
				return -1;
			r = n->pipe->ndecl > 0 ? 0 :
			    fmt_value(&s->out, v, 1, 0);
			json_decref(v);
			if (r == -1)
				return s_error(s, n->line, n->col, "output "
				    "larger than %d bytes", TPL_MAX_OUT);
			break;
		case N_IF:
		case N_WITH:
			if (walk_cond(s, n, dot) == -1)
				return -1;
			break;
		case N_RANGE:
			if (walk_range(s, n, dot) == -1)
				return -1;
			break;
		case N_BREAK:
			s->ctl = CTL_BREAK;
			break;
		case N_CONTINUE:
			s->ctl = CTL_CONTINUE;
			break;
		}
	}
	return 0;
}

int
template_render(const struct template *t, json_t *data, char **out,
    struct pica_err *err)
{
	int		 rc = -1;
	struct state	 s;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.err = err;
	var_set(&s, "$", data, 1);
	if (walk(&s, t->root, data) == -1)
		goto out;
	if (s.out.p == NULL)
		s.out.p = xstrdup("");
	*out = s.out.p;
	s.out.p = NULL;
	rc = 0;
out:
	var_pop(&s, 0);
	free(s.vars);
	free(s.out.p);
	return rc;
}
