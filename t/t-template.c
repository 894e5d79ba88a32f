/*
 * t-template: the Go text/template subset of lib/template.c.
 */
#include "config.h"

#include <unistd.h>

#include "../lib/template.c"

#include "test.h"

static const char *data_json =
    "{\"Subject\": {\"commonName\": \"a.test\"},"
    " \"SANs\": [{\"type\": \"dns\", \"value\": \"a.test\"},"
    "   {\"type\": \"ip\", \"value\": \"127.0.0.1\"}],"
    " \"Insecure\": {\"CR\": {\"publicKey\":"
    "   {\"goType\": \"*ecdsa.PublicKey\"}}},"
    " \"n\": 3, \"f\": 1.5, \"s\": \"str\", \"t\": true, \"z\": 0, \"e\": \"\","
    " \"nul\": null, \"m\": {\"b\": 2, \"a\": 1}, \"l\": [\"x\", \"y\", \"z\"],"
    " \"el\": [], \"eo\": {}, \"q\": \"a\\\"b<&>\"}";

static json_t	*data;

/* Render text against data; the output or NULL (err filled). */
static char *
render(const char *text, json_t *d, struct pica_err *err)
{
	struct template	*t;
	char		*out = NULL;

	pica_err_clear(err);
	if (template_parse("t.tpl", text, &t, err) == -1)
		return NULL;
	if (template_render(t, d, &out, err) == -1)
		out = NULL;
	template_free(t);
	return out;
}

/* A template as a one-line test name. */
static const char *
label(const char *text)
{
	static char	 buf[100];
	size_t		 i = 0;

	for (; *text != '\0' && i + 4 < sizeof(buf); text++) {
		if (*text == '\n' || *text == '\t') {
			buf[i++] = '\\';
			buf[i++] = *text == '\n' ? 'n' : 't';
		} else
			buf[i++] = *text;
	}
	buf[i] = '\0';
	return buf;
}

static void
is_render(const char *text, const char *want)
{
	struct pica_err	 err;
	char		*out;

	out = render(text, data, &err);
	is_str(out, want, "render %s", label(text));
	if (out == NULL)
		diag("error: %s", err.msg);
	free(out);
}

static void
is_fail(const char *text, const char *want)
{
	struct pica_err	 err;
	char		*out;

	out = render(text, data, &err);
	if (!ok(out == NULL && strstr(err.msg, want) != NULL &&
	    err.code == PICA_E_CONFIG, "error for %s", label(text)))
		diag("got \"%s\", output %s; want \"%s\"", err.msg,
		    out ? out : "(none)", want);
	free(out);
}

static const struct {
	const char	*text, *want;
} cases[] = {
	/* text, fields, variables */
	{ "plain text", "plain text" },
	{ "", "" },
	{ "{{ .Subject.CommonName }}", "a.test" },
	{ "{{ .Subject.commonName }}", "a.test" },
	{ "{{ .subject.CommonName }}", "<no value>" },
	{ "{{ .Missing }}", "<no value>" },
	{ "{{ .Missing.Deeper }}", "<no value>" },
	{ "{{ .nul }}", "<no value>" },
	{ "{{ toJson .Missing }}", "null" },
	{ "{{ print .Missing }}", "<nil>" },
	{ "{{ . | len }}", "15" },
	{ "{{ $.s }}", "str" },
	{ "{{ $x := .s }}{{ $x }}", "str" },
	{ "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2" },
	{ "{{ with $x := .s }}{{ $x }}{{ . }}{{ end }}", "strstr" },
	{ "{{ (index .SANs 1).Value }}", "127.0.0.1" },
	{ "{{ $s := index .SANs 0 }}{{ $s.Type }}", "dns" },
	{ "{{ .n }} {{ .f }} {{ .t }} {{ .z }}", "3 1.5 true 0" },
	{ "{{ .l }} {{ .m }} {{ .el }}", "[x y z] map[a:1 b:2] []" },
	{ "{{ 1000000.0 }} {{ 123456.0 }} {{ 0.25 }} {{ 1e-7 }}",
	    "1e+06 123456 0.25 1e-07" },
	{ "{{ -3 }} {{ 0x1F }} {{ +2 }}", "-3 31 2" },
	{ "{{ \"a\\tb\\u00e9\\x41\\101\" }}", "a\tb\xc3\xa9" "AA" },
	{ "{{ `raw \\n` }}", "raw \\n" },
	{ "{{ true }} {{ false }}", "true false" },
	/* trimming and comments */
	{ "a  {{- .s -}}  b", "astrb" },
	{ "a {{- /* gone */ -}} b", "ab" },
	{ "a{{/* gone */}}b", "ab" },
	{ "x\n\t{{- if true }}\n\ty{{- end }}\n", "x\n\ty\n" },
	{ "{{ -1 }}", "-1" },
	{ "{{- 1 -}}", "1" },
	/* if, else if, else */
	{ "{{ if .t }}yes{{ end }}", "yes" },
	{ "{{ if .z }}yes{{ else }}no{{ end }}", "no" },
	{ "{{ if .e }}1{{ else if .el }}2{{ else if .eo }}3{{ else }}4"
	    "{{ end }}",
	    "4" },
	{ "{{ if .e }}1{{ else if .n }}2{{ else }}3{{ end }}", "2" },
	{ "{{ if .Missing }}1{{ else }}2{{ end }}", "2" },
	{ "{{ if $x := .n }}{{ $x }}{{ else }}{{ $x }}{{ end }}", "3" },
	/* with */
	{ "{{ with .Subject }}{{ .CommonName }}{{ end }}", "a.test" },
	{ "{{ with .Missing }}x{{ else }}none{{ end }}", "none" },
	{ "{{ with .e }}x{{ else with .s }}{{ . }}{{ end }}", "str" },
	/* range */
	{ "{{ range .l }}{{ . }},{{ end }}", "x,y,z," },
	{ "{{ range $i, $v := .l }}{{ $i }}={{ $v }} {{ end }}",
	    "0=x 1=y 2=z " },
	{ "{{ range $v := .l }}{{ $v }}{{ end }}", "xyz" },
	{ "{{ range $k, $v := .m }}{{ $k }}:{{ $v }};{{ end }}", "a:1;b:2;" },
	{ "{{ range .m }}{{ . }}{{ end }}", "12" },
	{ "{{ range .el }}x{{ else }}empty{{ end }}", "empty" },
	{ "{{ range .Missing }}x{{ else }}none{{ end }}", "none" },
	{ "{{ range .l }}{{ if eq . \"y\" }}{{ break }}{{ end }}{{ . }}"
	    "{{ end }}",
	    "x" },
	{ "{{ range .l }}{{ if eq . \"y\" }}{{ continue }}{{ end }}{{ . }}"
	    "{{ end }}", "xz" },
	{ "{{ range $i, $a := .l }}{{ range $b := $.l }}{{ $a }}{{ $b }} "
	    "{{ end }}{{ end }}", "xx xy xz yx yy yz zx zy zz " },
	{ "{{ $n := 0 }}{{ range .l }}{{ $n = . }}{{ end }}{{ $n }}", "z" },
	{ "{{ $v := 0 }}{{ range $v = .l }}{{ end }}{{ $v }}", "z" },
	{ "{{ range .SANs }}{{ .Type }}:{{ .Value }} {{ end }}",
	    "dns:a.test ip:127.0.0.1 " },
	/* pipelines and parentheses */
	{ "{{ .s | upper }}", "STR" },
	{ "{{ .s | printf \"%s-%s\" \"x\" }}", "x-str" },
	{ "{{ \"A\" | lower | printf \"<%s>\" }}", "<a>" },
	{ "{{ (len (index .l 0)) }}", "1" },
	{ "{{ ((index .SANs 0).Value) | toJson }}", "\"a.test\"" },
	/* toJson */
	{ "{{ toJson .Subject }}", "{\"commonName\":\"a.test\"}" },
	{ "{{ toJson .SANs }}", "[{\"type\":\"dns\",\"value\":\"a.test\"},"
	    "{\"type\":\"ip\",\"value\":\"127.0.0.1\"}]" },
	{ "{{ toJson ((index .SANs 0).Value) }}", "\"a.test\"" },
	{ "{{ toJson .q }}", "\"a\\\"b<&>\"" },
	{ "{{ toJson \"\\n\\u0001\" }}", "\"\\n\\u0001\"" },
	{ "{{ toJson .n }} {{ toJson .t }} {{ toJson .nul }}", "3 true null" },
	/* index, len */
	{ "{{ index .l 2 }}", "z" },
	{ "{{ index .m \"b\" }}", "2" },
	{ "{{ index .m \"nope\" }}", "<no value>" },
	{ "{{ index .SANs 0 \"value\" }}", "a.test" },
	{ "{{ index .s 0 }}", "115" },
	{ "{{ len .l }} {{ len .m }} {{ len .s }} {{ len .el }}", "3 2 3 0" },
	/* comparisons */
	{ "{{ eq .n 3 }} {{ eq .s \"str\" }} {{ eq .s \"a\" \"str\" }}",
	    "true true true" },
	{ "{{ eq .nul nil }} {{ eq .Missing nil }} {{ eq .s nil }}",
	    "true true false" },
	{ "{{ eq .f 1.5 }} {{ eq .t true }}", "true true" },
	{ "{{ ne .n 4 }} {{ ne .s \"str\" }}", "true false" },
	{ "{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge \"b\" \"a\" }}",
	    "true true false true" },
	{ "{{ lt 1 1.5 }}", "true" },
	/* and, or, not */
	{ "{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" \"z\" }} {{ or 0 \"\" }}",
	    "0 2 z " },
	{ "{{ not 0 }} {{ not .s }} {{ not .el }}", "true false true" },
	{ "{{ and .z (index .l 9) }}", "0" },
	{ "{{ or .n (fail \"not reached\") }}", "3" },
	/* print, printf */
	{ "{{ print 1 2 \"a\" \"b\" 3 }}", "1 2ab3" },
	{ "{{ print }}", "" },
	{ "{{ printf \"%d|%5d|%-4d|%05d|%+d|%x|%X|%o\" 7 7 7 -7 7 255 255 8 }}",
	    "7|    7|7   |-0007|+7|ff|FF|10" },
	{ "{{ printf \"%s|%q|%v|%t|%c|%%\" .s .q .l .t 65 }}",
	    "str|\"a\\\"b<&>\"|[x y z]|true|A|%" },
	{ "{{ printf \"%.2f|%8.3f|%e|%g|%.3s\" 3.14159 2.5 1000.0 0.5 "
	    "\"abcdef\" }}",
	    "3.14|   2.500|1.000000e+03|0.5|abc" },
	{ "{{ printf \"%x\" \"hi\" }}", "6869" },
	{ "{{ printf \"%d %d\" 1 }}", "1 %!d(MISSING)" },
	{ "{{ printf \"%d\" 1 2 }}", "1%!(EXTRA float64=2)" },
	{ "{{ printf \"%d\" \"x\" }}", "%!d(string=x)" },
	/* sprig functions */
	{ "{{ default \"d\" .Missing }} {{ default \"d\" .e }} "
	    "{{ default \"d\" .s }}",
	    "d d str" },
	{ "{{ .Missing | default \"d\" }} {{ .n | default 5 }}", "d 3" },
	{ "{{ empty .e }} {{ empty .z }} {{ empty .el }} {{ empty .eo }} "
	    "{{ empty .Missing }} {{ empty .s }} {{ empty .m }}",
	    "true true true true true false false" },
	{ "{{ lower \"AbC\" }} {{ upper \"aBc\" }}", "abc ABC" },
	{ "{{ trim \"  a b \\n\" }}|", "a b|" },
	{ "{{ trimPrefix \"a\" \"abc\" }} {{ trimPrefix \"x\" \"abc\" }}",
	    "bc abc" },
	{ "{{ trimSuffix \"c\" \"abc\" }} {{ trimSuffix \"x\" \"abc\" }}",
	    "ab abc" },
	{ "{{ hasPrefix \"ab\" \"abc\" }} {{ hasPrefix \"b\" \"abc\" }}",
	    "true false" },
	{ "{{ hasSuffix \"bc\" \"abc\" }} {{ hasSuffix \"b\" \"abc\" }}",
	    "true false" },
	{ "{{ contains \"b\" \"abc\" }} {{ contains \"x\" \"abc\" }}",
	    "true false" },
	{ "{{ replace \"a\" \"o\" \"banana\" }} "
	    "{{ replace \"\" \"-\" \"ab\" }}",
	    "bonono -a-b-" },
	{ "{{ join \", \" .l }} {{ join \"-\" (list 1 nil \"b\") }}",
	    "x, y, z 1-b" },
	{ "{{ split \".\" \"a.b.c\" }} {{ (split \".\" \"a.b\")._1 }}",
	    "map[_0:a _1:b _2:c] b" },
	{ "{{ splitList \".\" \"a..b\" }} {{ len (splitList \",\" \"\") }}",
	    "[a  b] 1" },
	{ "{{ first .l }} {{ last .l }} {{ first .el }}", "x z <no value>" },
	{ "{{ list 1 \"a\" (list 2) }} {{ len (list) }}", "[1 a [2]] 0" },
	{ "{{ dict \"k\" 1 \"z\" }} {{ (dict \"a\" \"b\").a }}",
	    "map[k:1 z:] b" },
	{ "{{ toJson (dict \"a\" (list 1 true nil)) }}",
	    "{\"a\":[1,true,null]}" },
	{ "{{ quote \"a\" 1 nil \"t\\\"\\n\" }} {{ squote \"b\" 2 }}",
	    "\"a\" \"1\" \"t\\\"\\n\" 'b' '2'" },
	{ "{{ toString 5 }}{{ toString \"s\" }}{{ toString .l }}",
	    "5s[x y z]" },
	{ "{{ typeIs \"*ecdsa.PublicKey\" .Insecure.CR.PublicKey }} "
	    "{{ typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}",
	    "true false" },
	{ "{{ typeIs \"string\" .s }} {{ typeIs \"float64\" .n }} "
	    "{{ typeIs \"bool\" .t }} {{ typeIs \"[]interface {}\" .l }} "
	    "{{ typeIs \"map[string]interface {}\" .m }} "
	    "{{ typeIs \"<nil>\" .Missing }}",
	    "true true true true true true" },
};

static const struct {
	const char	*text, *want;
} errors[] = {
	/* lexer */
	{ "a\n  {{ .s", "t.tpl:2:3: unclosed action" },
	{ "{{ \"abc }}", "t.tpl:1:4: unterminated quoted string" },
	{ "{{ `abc }}", "t.tpl:1:4: unterminated raw quoted string" },
	{ "x {{/* c }}", "t.tpl:1:3: unclosed comment" },
	{ "{{/* c */ .s }}", "t.tpl:1:1: comment ends before closing" },
	{ "{{ 12ab }}", "t.tpl:1:4: bad number syntax" },
	{ "{{ .a:b }}", "t.tpl:1:6: expected :=" },
	{ "{{ # }}", "t.tpl:1:4: unexpected character" },
	{ "{{ \"\\q\" }}", "t.tpl:1:5: unknown escape sequence" },
	{ "{{ 'a' }}", "character constants are not supported" },
	/* parser */
	{ "{{ if .t }}x", "t.tpl:1:13: unexpected end of template: {{if}} "
	    "at 1:4 has no {{end}}" },
	{ "x\n{{ end }}", "t.tpl:2:4: unexpected {{end}}" },
	{ "{{ else }}", "t.tpl:1:4: unexpected {{else}}" },
	{ "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
	    "t.tpl:1:24: expected {{end}}, found {{else}}" },
	{ "{{ with 1 }}{{ else if 1 }}{{ end }}", "unexpected {{if}}" },
	{ "{{ range .l }}{{ else if 1 }}{{ end }}", "unexpected {{if}}" },
	{ "{{ end 1 }}", "unexpected \"1\" in {{end}}" },
	{ "{{ nosuch 1 }}", "t.tpl:1:4: function \"nosuch\" not defined" },
	{ "{{ $x }}", "t.tpl:1:4: undefined variable \"$x\"" },
	{ "{{ $x = 1 }}", "undefined variable \"$x\"" },
	{ "{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}", "undefined variable" },
	{ "{{ break }}", "{{break}} outside {{range}}" },
	{ "{{ range .l }}{{ else }}{{ continue }}{{ end }}",
	    "{{continue}} outside {{range}}" },
	{ "{{ (1 }}", "t.tpl:1:7: unclosed left paren" },
	{ "{{ 1) }}", "t.tpl:1:5: unexpected \")\" in command" },
	{ "{{ }}", "t.tpl:1:4: empty command" },
	{ "{{ .s | }}", "empty command" },
	{ "{{ if }}{{ end }}", "empty command" },
	{ "{{ range $a, $b, $c := .l }}{{ end }}", "too many declarations" },
	{ "{{ with $a, $b := .l }}{{ end }}", "too many declarations in with" },
	{ "{{ ($x := 1) }}", "cannot declare variables" },
	{ "{{ \"a\".b }}", "unexpected . after term" },
	{ "{{ define \"x\" }}{{ end }}", "{{define}} is not supported" },
	{ "{{ template \"x\" }}", "{{template}} is not supported" },
	{ "{{ print(1) }}", "missing space" },
	/* run time */
	{ "{{ fail \"no such thing\" }}", "t.tpl:1:4: no such thing" },
	{ "x\n {{ if .t }}{{ fail (printf \"bad %s\" .s) }}{{ end }}",
	    "t.tpl:2:16: bad str" },
	{ "{{ index .l 5 }}", "index out of range: 5" },
	{ "{{ index .l \"a\" }}", "cannot index slice with string" },
	{ "{{ index .Missing 0 }}", "index of untyped nil" },
	{ "{{ .s.x }}", "can't evaluate field x in type string" },
	{ "{{ len 3 }}", "len of float64" },
	{ "{{ eq .s 1 }}", "incompatible types for comparison" },
	{ "{{ eq .l .l }}", "cannot compare" },
	{ "{{ lt true false }}", "cannot compare" },
	{ "{{ upper 1 }}", "upper: argument 1 must be a string" },
	{ "{{ toJson }}", "wrong number of args for toJson" },
	{ "{{ eq 1 }}", "wrong number of args for eq" },
	{ "{{ .s 1 }}", "can't give argument to non-function" },
	{ "{{ 1 | 2 }}", "can't give argument to non-function" },
	{ "{{ nil }}", "nil is not a command" },
	{ "{{ range .s }}{{ end }}", "range can't iterate over string" },
	{ "{{ first .s }}", "first: cannot find first" },
};

/* The token types of a lexed text, as letters. */
static char *
lex_types(const char *text, struct pica_err *err)
{
	struct lexer	 lx;
	static char	 buf[256];
	const char	*letters = "ETLRIKFDVSNBZ()|:=,";
	size_t		 i;

	memset(&lx, 0, sizeof(lx));
	lx.name = "t.tpl";
	lx.s = text;
	lx.n = strlen(text);
	lx.err = err;
	buf[0] = '\0';
	if (lx_run(&lx) == 0) {
		for (i = 0; i < lx.ntoks && i + 1 < sizeof(buf); i++)
			buf[i] = letters[lx.toks[i].type];
		buf[i] = '\0';
	}
	for (i = 0; i < lx.ntoks; i++)
		free(lx.toks[i].val);
	free(lx.toks);
	return buf;
}

static void
test_lexer(void)
{
	struct pica_err	 err;
	struct lexer	 lx;
	size_t		 i;

	is_str(lex_types("a {{ .X.y | f $v 1 \"s\" -}} b", &err),
	    "TLFF|IVNSRTE", "lexer: token types");
	is_str(lex_types("{{ if $x := (eq . nil) }}{{ end }}", &err),
	    "LKV:(IDZ)RLKRE", "lexer: control and declaration");
	is_str(lex_types("{{/* c */}}{{- /* c */ -}}", &err), "E",
	    "lexer: comments leave nothing");
	is_str(lex_types("{{ $i, $v := true }}", &err), "LV,V:BRE",
	    "lexer: two declarations");

	/* Positions, space flags, trimmed text and decoded strings. */
	memset(&lx, 0, sizeof(lx));
	lx.name = "t.tpl";
	lx.s = "ab  \n {{- .X.y \"q\\n\" -}}\n  cd";
	lx.n = strlen(lx.s);
	lx.err = &err;
	ok(lx_run(&lx) == 0 && lx.ntoks == 8, "lexer: runs");
	if (lx.ntoks == 8) {
		is_str(lx.toks[0].val, "ab", "lexer: {{- trims before");
		is_int(lx.toks[2].line, 2, "lexer: field line");
		is_int(lx.toks[2].col, 6, "lexer: field column");
		ok(lx.toks[2].space && !lx.toks[3].space,
		    "lexer: .X.y chains without space");
		is_str(lx.toks[4].val, "q\n", "lexer: string escapes");
		is_str(lx.toks[6].val, "cd", "lexer: -}} trims after");
	} else
		for (i = 0; i < 6; i++)
			ok(0, "lexer: token %zu", i);
	for (i = 0; i < lx.ntoks; i++)
		free(lx.toks[i].val);
	free(lx.toks);
}

static void
test_parser(void)
{
	struct template	*t = NULL;
	struct pica_err	 err;
	struct node	*n;

	ok(template_parse("t.tpl", "{{ if .a }}1{{ else if .b }}2{{ else if "
	    ".c }}3{{ else }}4{{ end }}", &t, &err) == 0,
	    "parser: else-if chain parses");
	n = t ? t->root : NULL;
	ok(n != NULL && n->kind == N_IF && n->nbr == 3 &&
	    n->elselist != NULL && n->next == NULL,
	    "parser: else-if chain is one flat node");
	template_free(t);
	t = NULL;
	ok(template_parse("t.tpl", "{{ (index .SANs 0).Value.X }}", &t,
	    &err) == 0 && t->root->pipe->cmds->args->kind == A_PIPE &&
	    t->root->pipe->cmds->args->nfields == 2,
	    "parser: field chain on parentheses");
	template_free(t);
}

/* open n times, mid, close n times, inside "{{ }}" when action. */
static char *
nest(const char *open, const char *mid, const char *close, int n,
    int action)
{
	struct buf	 b = { NULL, 0, 0 };
	int		 i;

	if (action)
		buf_str(&b, "{{ ");
	for (i = 0; i < n; i++)
		buf_str(&b, open);
	buf_str(&b, mid);
	for (i = 0; i < n; i++)
		buf_str(&b, close);
	if (action)
		buf_str(&b, " }}");
	return b.p;
}

/* Render text against d and check for output want or error wanterr. */
static void
bound(const char *text, json_t *d, const char *want, const char *wanterr,
    const char *name)
{
	struct pica_err	 err;
	char		*out;

	out = render(text, d, &err);
	if (want != NULL)
		is_str(out, want, "%s", name);
	else if (!ok(out == NULL && strstr(err.msg, wanterr) != NULL, "%s",
	    name))
		diag("got %s", out ? "output" : err.msg);
	free(out);
}

static void
test_bounds(void)
{
	char	*text;
	json_t	*d;

	text = nest("(", "1", ")", 31, 1);
	bound(text, data, "1", NULL, "31 nested parentheses are fine");
	free(text);
	text = nest("(", "1", ")", 40, 1);
	bound(text, data, NULL, "nesting deeper than 32",
	    "40 nested parentheses are refused");
	free(text);
	text = nest("{{ if 1 }}", "x", "{{ end }}", 32, 0);
	bound(text, data, "x", NULL, "32 nested ifs are fine");
	free(text);
	text = nest("{{ if 1 }}", "x", "{{ end }}", 50000, 0);
	bound(text, data, NULL, "nesting deeper than 32",
	    "50000 nested ifs are refused, not a stack overflow");
	free(text);
	text = nest("{{ range .l }}", "x", "{{ end }}", 17, 0);
	bound(text, data, NULL, "nested deeper than 16",
	    "17 nested ranges are refused");
	free(text);
	/* A long else-if chain is flat: it costs no depth. */
	text = nest("{{ else if 0 }}", "", "", 200, 0);
	{
		struct buf	 b = { NULL, 0, 0 };

		buf_str(&b, "{{ if 0 }}");
		buf_str(&b, text);
		buf_str(&b, "{{ else }}last{{ end }}");
		bound(b.p, data, "last", NULL, "200 else-if branches");
		free(b.p);
	}
	free(text);

	d = json_pack("{s:[s,s,s,s,s,s,s,s,s,s], s:s}", "l", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "s", "0123456789");
	bound("{{ range .l }}{{ range $.l }}{{ range $.l }}{{ range $.l }}"
	    "{{ range $.l }}{{ range $.l }}{{ range $.l }}{{ end }}{{ end }}"
	    "{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}", d, NULL, "steps",
	    "a loop without output is bounded in steps");
	bound("{{ $s := \"xxxxxxxxxxxxxxxx\" }}{{ range .l }}{{ range $.l }}"
	    "{{ $s = printf \"%s%s\" $s $s }}{{ end }}{{ end }}", d, NULL,
	    "larger than 1048576 bytes", "doubling a string is bounded");
	text = nest("{{ .s }}", "", "", 110000, 0);
	bound(text, d, NULL, "output larger than 1048576 bytes",
	    "output is at most 1 MiB");
	free(text);
	bound("{{ printf \"%999999999d\" 1 | len }}", d, "4096", NULL,
	    "printf widths are capped");
	bound("{{ $x := list }}{{ range .l }}{{ range $.l }}{{ range $.l }}"
	    "{{ range $.l }}{{ $x = list $x }}{{ end }}{{ end }}{{ end }}"
	    "{{ end }}{{ toJson $x }}", d,
	    NULL, "more than 1024 lists and maps",
	    "nesting built by a loop is bounded");
	json_decref(d);
}

static const char *step_default =
    "{\n"
    "\t\"subject\": {{ toJson .Subject }},\n"
    "\t\"sans\": {{ toJson .SANs }},\n"
    "{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}\n"
    "\t\"keyUsage\": [\"keyEncipherment\", \"digitalSignature\"],\n"
    "{{- else }}\n"
    "\t\"keyUsage\": [\"digitalSignature\"],\n"
    "{{- end }}\n"
    "\t\"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]\n"
    "}";

static const char *seed =
    "{\"subject\": {\"commonName\": {{ toJson ((index .SANs 0).Value) }}}, "
    "\"sans\": {{ toJson .SANs }}, \"keyUsage\": [\"digitalSignature\", "
    "\"keyEncipherment\"], \"extKeyUsage\": [\"serverAuth\", \"clientAuth\"], "
    "\"crlDistributionPoints\": [\"http://ca.domain.de/1.0/crl\"], "
    "\"ocspServer\": [\"http://ca.domain.de/ocsp\"]}";

static void
test_step_templates(void)
{
	struct pica_err	 err;
	json_t		*d, *doc, *want;
	char		*out;
	const char	*key;
	int		 rsa;

	for (rsa = 0; rsa < 2; rsa++) {
		key = rsa ? "*rsa.PublicKey" : "*ecdsa.PublicKey";
		d = json_pack("{s:{s:s}, s:[{s:s,s:s},{s:s,s:s}], s:{}, "
		    "s:{s:{s:{s:s}}, s:{}}}",
		    "Subject", "commonName", "web.test",
		    "SANs", "type", "dns", "value", "web.test", "type", "ip",
		    "value", "10.0.0.1", "Token",
		    "Insecure", "CR", "publicKey", "goType", key, "User");
		out = render(step_default, d, &err);
		doc = out ? json_loads(out, JSON_REJECT_DUPLICATES, NULL) :
		    NULL;
		want = json_pack("{s:{s:s}, s:[{s:s,s:s},{s:s,s:s}], s:[s*,s], "
		    "s:[s,s]}", "subject", "commonName", "web.test",
		    "sans", "type", "dns", "value", "web.test", "type", "ip",
		    "value", "10.0.0.1",
		    "keyUsage", rsa ? "keyEncipherment" : NULL,
		    "digitalSignature",
		    "extKeyUsage", "serverAuth", "clientAuth");
		ok(doc != NULL && json_equal(doc, want),
		    "step-ca default leaf template, %s key", key);
		if (doc == NULL || !json_equal(doc, want))
			diag("got %s (%s)", out ? out : "nothing", err.msg);
		json_decref(doc);
		json_decref(want);
		free(out);

		out = render(seed, d, &err);
		doc = out ? json_loads(out, JSON_REJECT_DUPLICATES, NULL) :
		    NULL;
		ok(doc != NULL && strcmp(json_string_value(json_object_get(
		    json_object_get(doc, "subject"), "commonName")),
		    "web.test") == 0 && json_array_size(json_object_get(doc,
		    "sans")) == 2 && strcmp(json_string_value(json_array_get(
		    json_object_get(doc, "ocspServer"), 0)),
		    "http://ca.domain.de/ocsp") == 0,
		    "seed template, %s key", key);
		if (doc == NULL)
			diag("got %s (%s)", out ? out : "nothing", err.msg);
		json_decref(doc);
		free(out);
		json_decref(d);
	}
}

static void
test_load(void)
{
	struct template	*t;
	struct pica_err	 err;
	char		 path[] = "/tmp/t-template.XXXXXX";
	char		*out = NULL;
	int		 fd;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, "{{ .s }}\n{{ fail \"x\" }}", 23) != 23) {
		ok(0, "template_load: temporary file");
		ok(0, "template_load: error names the file");
		return;
	}
	close(fd);
	ok(template_load(path, &t, &err) == 0, "template_load");
	ok(template_render(t, data, &out, &err) == -1 &&
	    strncmp(err.msg, path, strlen(path)) == 0 &&
	    strstr(err.msg, ":2:4: x") != NULL,
	    "template_load: errors name the file, line and column");
	free(out);
	template_free(t);
	unlink(path);
}

int
main(void)
{
	json_error_t	 jerr;
	size_t		 i;

	data = json_loads(data_json, 0, &jerr);
	if (data == NULL) {
		printf("Bail out! test data: %s\n", jerr.text);
		return 1;
	}
	plan((int)(sizeof(cases) / sizeof(cases[0]) +
	    sizeof(errors) / sizeof(errors[0])) + 11 + 3 + 11 + 4 + 2);
	test_lexer();
	test_parser();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_render(cases[i].text, cases[i].want);
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		is_fail(errors[i].text, errors[i].want);
	test_bounds();
	test_step_templates();
	test_load();
	json_decref(data);
	return done();
}
