/*
 * t-landing.c: the template engine as the landing page drives it (lib/web.c
 * with landing_escape): HTML escaping of every value, sections, refusals
 * of a broken template; the file-name slug.
 */
#include "config.h"

#include "test.h"
#include "../lib/landing.c"

/* Render text with vars and secs; the output, or NULL with err set. */
static char *
render(const char *text, const struct web_var *vars, size_t nv,
    const struct web_section *secs, size_t ns, struct pica_err *err)
{
	char	*out = NULL;
	size_t	 len;

	pica_err_clear(err);
	if (web_render_text("t.html.in", text, vars, nv, secs, ns,
	    landing_escape, &out, &len, err) == -1)
		return NULL;
	if (strlen(out) != len) {
		free(out);
		return NULL;
	}
	return out;
}

static void
check(const char *text, const char *want, const char *what)
{
	static const struct web_var vars[] = {
		{ "NAME", "R&D <lab> \"one\" 'two'" },
		{ "URL", "https://ca.test/acme/directory?a=1&b=2" },
		{ "EMPTY", NULL },
		{ "A1_B", "x" },
	};
	static const struct web_section secs[] = {
		{ "ON", 1 },
		{ "OFF", 0 },
	};
	struct pica_err	 err;
	char		*got;

	got = render(text, vars, sizeof(vars) / sizeof(vars[0]), secs,
	    sizeof(secs) / sizeof(secs[0]), &err);
	is_str(got, want, "%s", what);
	if (got == NULL)
		diag("error: %s", err.msg);
	free(got);
}

static void
refuse(const char *text, const char *want_msg, const char *what)
{
	static const struct web_var vars[] = { { "NAME", "n" } };
	static const struct web_section secs[] = {
		{ "OFF", 0 },
		{ "ON", 1 },
	};
	struct pica_err	 err;
	char		*got;

	got = render(text, vars, 1, secs, 2, &err);
	ok(got == NULL && strstr(err.msg, want_msg) != NULL, "%s", what);
	if (got != NULL || strstr(err.msg, want_msg) == NULL)
		diag("got \"%s\", error \"%s\"", got ? got : "(null)",
		    err.msg);
	free(got);
}

static void
slug(const char *name, const char *want)
{
	char	 buf[LANDING_SLUG_MAX + 1];

	landing_slug(name, buf, sizeof(buf));
	is_str(buf, want, "slug of \"%s\"", name);
}

int
main(void)
{
	plan(21);

	check("<h1>@NAME@</h1>",
	    "<h1>R&amp;D &lt;lab&gt; &quot;one&quot; &#39;two&#39;</h1>",
	    "the five HTML characters are escaped");
	check("<a href=\"@URL@\">@URL@</a>",
	    "<a href=\"https://ca.test/acme/directory?a=1&amp;b=2\">"
	    "https://ca.test/acme/directory?a=1&amp;b=2</a>",
	    "a URL is escaped in an attribute and in text");
	check("no placeholder", "no placeholder", "text without one");
	check("", "", "an empty template");
	check("[@EMPTY@]", "[]", "a NULL value is empty");
	check("@A1_B@@A1_B@", "xx", "placeholders side by side");
	check("admin@your-host.example, a@b@c, @ @, @@, x@",
	    "admin@your-host.example, a@b@c, @ @, @@, x@",
	    "an @ that starts no placeholder stays");
	check("a@IF_ON@b@END_ON@c", "abc", "a section that applies is kept");
	check("a@IF_OFF@b@NAME@@IF_ON@x@END_ON@@END_OFF@c", "ac",
	    "a section that does not apply is dropped, whatever it holds");
	check("@IF_OFF@1@END_OFF@@IF_ON@2@END_ON@@IF_OFF@3@END_OFF@", "2",
	    "sections one after the other");

	refuse("@NAMES@", "unknown placeholder @NAMES@",
	    "an unknown placeholder is refused");
	refuse("@IF_OFF@ never closed", "@IF_OFF@ without @END_OFF@",
	    "a section without its end is refused");
	refuse("@IF_ON@ never closed either", "@IF_ON@ without @END_ON@",
	    "so is one that applies");
	refuse("@IF_NOPE@x@END_NOPE@", "unknown placeholder @IF_NOPE@",
	    "an unknown section is refused");

	slug("Test <Lab> & Co", "test-lab-co");
	slug("pica demo", "pica-demo");
	slug("--ACME--", "acme");
	slug("\xc3\x9c" "ber Lab 2", "ber-lab-2");
	slug("<>&", "pica");
	slug("", "pica");
	slug("a very long name for a certificate authority of the lab",
	    "a-very-long-name-for-a-certificate-autho");
	return done();
}
