/*
 * p11.c: private keys on PKCS#11 tokens through libp11 (see p11.h).
 *
 * p11-kit parses the URI (libp11 0.4.12 exports no parser); libp11 loads
 * the module, finds the token, logs in and wraps the private key in an
 * EVP_PKEY whose operations run on the token.  A module is loaded once
 * per process and stays loaded: the keys handed out use its session.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <openssl/err.h>

#include "p11.h"
#include "util.h"

/* A PIN file is one line. */
#define P11_PIN_MAX	256

/* A loaded module and its slots, kept for the life of the process. */
struct p11_module {
	char			*path;
	PKCS11_CTX		*ctx;
	PKCS11_SLOT		*slots;
	unsigned int		 n_slots;
	struct p11_module	*next;
};

static struct p11_module	*p11_modules;

/* The module at path, loaded now or before. */
static struct p11_module *
p11_module_get(const char *path, struct pica_err *err)
{
	struct p11_module	*m;

	for (m = p11_modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			return m;
	m = xcalloc(1, sizeof(*m));
	if ((m->ctx = PKCS11_CTX_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "PKCS#11 context");
		goto fail;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		pica_err_ssl(err, PICA_E_CONFIG, "PKCS#11 module %s cannot be "
		    "loaded", path);
		goto fail;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->n_slots) != 0) {
		pica_err_ssl(err, PICA_E_CONFIG, "PKCS#11 module %s: listing "
		    "its slots failed", path);
		PKCS11_CTX_unload(m->ctx);
		goto fail;
	}
	m->path = xstrdup(path);
	m->next = p11_modules;
	p11_modules = m;
	return m;
fail:
	if (m->ctx != NULL)
		PKCS11_CTX_free(m->ctx);
	free(m);
	return NULL;
}

/* A PKCS#11 text field: blank-padded, no NUL. */
static void
p11_field(CK_UTF8CHAR *dst, size_t len, const char *src)
{
	size_t	 n = src != NULL ? strlen(src) : 0;

	memset(dst, ' ', len);
	memcpy(dst, src != NULL ? src : "", n < len ? n : len);
}

/* Whether the URI's token attributes (those it sets) match tok. */
static int
p11_token_matches(P11KitUri *uri, const PKCS11_TOKEN *tok)
{
	CK_TOKEN_INFO	 info;

	memset(&info, 0, sizeof(info));
	p11_field(info.label, sizeof(info.label), tok->label);
	p11_field(info.manufacturerID, sizeof(info.manufacturerID),
	    tok->manufacturer);
	p11_field(info.model, sizeof(info.model), tok->model);
	p11_field(info.serialNumber, sizeof(info.serialNumber),
	    tok->serialnr);
	return p11_kit_uri_match_token_info(uri, &info);
}

/* Whether the URI's object attributes (label, id) match key. */
static int
p11_key_matches(P11KitUri *uri, const PKCS11_KEY *key)
{
	CK_ATTRIBUTE	*a;

	if (!key->isPrivate)
		return 0;
	if ((a = p11_kit_uri_get_attribute(uri, CKA_LABEL)) != NULL &&
	    (key->label == NULL || strlen(key->label) != a->ulValueLen ||
	    memcmp(key->label, a->pValue, a->ulValueLen) != 0))
		return 0;
	if ((a = p11_kit_uri_get_attribute(uri, CKA_ID)) != NULL &&
	    (key->id_len != a->ulValueLen ||
	    memcmp(key->id, a->pValue, a->ulValueLen) != 0))
		return 0;
	return 1;
}

/*
 * The PIN: the pin-source file (file:PATH or PATH), else $PICA_PKCS11_PIN,
 * else NULL (a token without login).  The caller cleanses and frees it.
 */
static int
p11_pin(P11KitUri *uri, const char *shown, char **pin, struct pica_err *err)
{
	const char	*src = p11_kit_uri_get_pin_source(uri), *env;
	char		*data = NULL;
	size_t		 len = 0;

	*pin = NULL;
	if (src != NULL) {
		if (strncmp(src, "file:", 5) == 0)
			src += 5;
		if (src[0] != '/')
			return pica_err_set(err, PICA_E_CONFIG, "%s: pin-source "
			    "must be an absolute file path (file:/...)",
			    shown);
		if (util_read_file(src, P11_PIN_MAX, &data, &len, err) == -1)
			return -1;
		while (len > 0 && (data[len - 1] == '\n' ||
		    data[len - 1] == '\r'))
			data[--len] = '\0';
		*pin = data;
		return 0;
	}
	if ((env = getenv(P11_PIN_ENV)) != NULL)
		*pin = xstrdup(env);
	return 0;
}

int
p11_key_load(const char *ref, const char *module, EVP_PKEY **out,
    struct pica_err *err)
{
	P11KitUri		*uri = NULL;
	CK_ATTRIBUTE		*cls;
	struct p11_module	*m;
	PKCS11_SLOT		*slot = NULL;
	PKCS11_KEY		*keys = NULL;
	unsigned int		 i, n_keys = 0;
	char			*pin = NULL, shown[512];
	const char		*path;
	int			 rc = -1, r, logged_in = 0;

	*out = NULL;
	/* What errors show: the URI without its query part. */
	snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(ref, "?"), ref);
	if ((uri = p11_kit_uri_new()) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = p11_kit_uri_parse(ref, P11_KIT_URI_FOR_ANY, uri)) !=
	    P11_KIT_URI_OK) {
		pica_err_set(err, PICA_E_CONFIG, "%s: not a PKCS#11 URI: %s",
		    shown, p11_kit_uri_message(r));
		goto out;
	}
	if (p11_kit_uri_get_pin_value(uri) != NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s: pin-value is refused: "
		    "put the PIN in a file named by pin-source=file:/PATH, or "
		    "in $%s", shown, P11_PIN_ENV);
		goto out;
	}
	if ((cls = p11_kit_uri_get_attribute(uri, CKA_CLASS)) != NULL &&
	    (cls->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	    *(CK_OBJECT_CLASS *)cls->pValue != CKO_PRIVATE_KEY)) {
		pica_err_set(err, PICA_E_CONFIG, "%s: names an object that "
		    "is not a private key (type=private)", shown);
		goto out;
	}
	if ((path = p11_kit_uri_get_module_path(uri)) == NULL &&
	    (path = module) == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no module-path, in the "
		    "URI or the configuration", shown);
		goto out;
	}
	if ((m = p11_module_get(path, err)) == NULL)
		goto out;
	for (i = 0; i < m->n_slots && slot == NULL; i++)
		if (m->slots[i].token != NULL &&
		    m->slots[i].token->initialized &&
		    p11_token_matches(uri, m->slots[i].token))
			slot = &m->slots[i];
	if (slot == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no token of module %s "
		    "matches", shown, path);
		goto out;
	}
	if (p11_pin(uri, shown, &pin, err) == -1)
		goto out;
	if (slot->token->loginRequired) {
		if (PKCS11_is_logged_in(slot, 0, &logged_in) != 0)
			logged_in = 0;
		if (!logged_in && pin == NULL) {
			pica_err_set(err, PICA_E_CONFIG, "%s: the token needs "
			    "a PIN: pin-source=file:/PATH in the URI, or $%s",
			    shown, P11_PIN_ENV);
			goto out;
		}
		if (!logged_in && PKCS11_login(slot, 0, pin) != 0) {
			pica_err_ssl(err, PICA_E_CONFIG, "%s: login to token "
			    "\"%s\" failed (wrong PIN?)", shown,
			    slot->token->label);
			goto out;
		}
	}
	if (PKCS11_enumerate_keys(slot->token, &keys, &n_keys) != 0) {
		pica_err_ssl(err, PICA_E_CONFIG, "%s: listing the token's "
		    "keys failed", shown);
		goto out;
	}
	for (i = 0; i < n_keys; i++)
		if (p11_key_matches(uri, &keys[i]))
			break;
	if (i == n_keys) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no such private key on "
		    "token \"%s\"", shown, slot->token->label);
		goto out;
	}
	if ((*out = PKCS11_get_private_key(&keys[i])) == NULL) {
		pica_err_ssl(err, PICA_E_CONFIG, "%s: the private key cannot "
		    "be used", shown);
		goto out;
	}
	rc = 0;
out:
	if (pin != NULL) {
		OPENSSL_cleanse(pin, strlen(pin));
		free(pin);
	}
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return rc;
}
