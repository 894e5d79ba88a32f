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
#include <strings.h>
#include <unistd.h>

#include <libp11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "p11.h"
#include "util.h"

/* A PIN file is one line. */
#define P11_PIN_MAX	256
/* Fresh loads of a module whose token does not show at first. */
#define P11_LOAD_TRIES	5

/* A loaded module and its slots, kept for the life of the process. */
struct p11_module {
	char			*path;
	PKCS11_CTX		*ctx;
	PKCS11_SLOT		*slots;
	unsigned int		 n_slots;
	int			 keys_out;	/* keys handed out */
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

/* Unload m and forget it: no key of it may be in use. */
static void
p11_module_drop(struct p11_module *m)
{
	struct p11_module	**pp;

	for (pp = &p11_modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	PKCS11_release_all_slots(m->ctx, m->slots, m->n_slots);
	PKCS11_CTX_unload(m->ctx);
	PKCS11_CTX_free(m->ctx);
	free(m->path);
	free(m);
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

/* The slot of the first initialized token the URI matches, or NULL. */
static PKCS11_SLOT *
p11_slot_find(struct p11_module *m, P11KitUri *uri)
{
	unsigned int	 i;

	for (i = 0; i < m->n_slots; i++)
		if (m->slots[i].token != NULL &&
		    m->slots[i].token->initialized &&
		    p11_token_matches(uri, m->slots[i].token))
			return &m->slots[i];
	return NULL;
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

/* Wipe and free a PIN p11_pin read. */
static void
p11_pin_free(char *pin)
{
	if (pin == NULL)
		return;
	OPENSSL_cleanse(pin, strlen(pin));
	free(pin);
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

/*
 * Parse ref into *uri, refuse a pin-value and any object that is not a
 * private key, and find its module path (the URI's, else module).  shown
 * gets the URI without its query, for messages.
 */
static int
p11_uri_open(const char *ref, const char *module, P11KitUri **uri,
    const char **path, char *shown, size_t shownlen, struct pica_err *err)
{
	CK_ATTRIBUTE	*cls;
	int		 r;

	snprintf(shown, shownlen, "%.*s", (int)strcspn(ref, "?"), ref);
	if ((*uri = p11_kit_uri_new()) == NULL)
		return pica_err_set(err, PICA_E_INTERNAL, "out of memory");
	if ((r = p11_kit_uri_parse(ref, P11_KIT_URI_FOR_ANY, *uri)) !=
	    P11_KIT_URI_OK)
		return pica_err_set(err, PICA_E_CONFIG, "%s: not a PKCS#11 "
		    "URI: %s", shown, p11_kit_uri_message(r));
	if (p11_kit_uri_get_pin_value(*uri) != NULL)
		return pica_err_set(err, PICA_E_CONFIG, "%s: pin-value is "
		    "refused: put the PIN in a file named by "
		    "pin-source=file:/PATH, or in $%s", shown, P11_PIN_ENV);
	if ((cls = p11_kit_uri_get_attribute(*uri, CKA_CLASS)) != NULL &&
	    (cls->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	    *(CK_OBJECT_CLASS *)cls->pValue != CKO_PRIVATE_KEY))
		return pica_err_set(err, PICA_E_CONFIG, "%s: names an object "
		    "that is not a private key (type=private)", shown);
	if ((*path = p11_kit_uri_get_module_path(*uri)) == NULL &&
	    (*path = module) == NULL)
		return pica_err_set(err, PICA_E_CONFIG, "%s: no module-path, "
		    "in the URI or the configuration", shown);
	return 0;
}

/*
 * Log in to slot's token (when it asks) and hand out the private key the
 * URI names.  *final says whether a failure would fail again (a PIN the
 * token refused, or none given); others may pass on a fresh load.
 */
static int
p11_key_open(struct p11_module *m, PKCS11_SLOT *slot, P11KitUri *uri,
    const char *shown, const char *pin, EVP_PKEY **out, int *final,
    struct pica_err *err)
{
	PKCS11_KEY	*keys = NULL;
	unsigned int	 i, n_keys = 0;
	unsigned long	 reason;
	int		 logged_in = 0;

	*final = 0;
	if (slot->token->loginRequired) {
		if (PKCS11_is_logged_in(slot, 0, &logged_in) != 0)
			logged_in = 0;
		if (!logged_in && pin == NULL) {
			*final = 1;
			return pica_err_set(err, PICA_E_CONFIG, "%s: the token "
			    "needs a PIN: pin-source=file:/PATH in the URI, or "
			    "$%s", shown, P11_PIN_ENV);
		}
		if (!logged_in && PKCS11_login(slot, 0, pin) != 0) {
			/*
			 * CKR_PIN_INCORRECT and its kin: a token counts these
			 * and locks itself, so nobody tries again.
			 */
			reason = ERR_GET_REASON(ERR_peek_last_error());
			*final = reason >= CKR_PIN_INCORRECT &&
			    reason <= CKR_PIN_LOCKED;
			return pica_err_ssl(err, *final ? PICA_E_PIN :
			    PICA_E_CONFIG, "%s: login to token \"%s\" failed "
			    "(wrong PIN?)", shown, slot->token->label);
		}
	}
	if (PKCS11_enumerate_keys(slot->token, &keys, &n_keys) != 0)
		return pica_err_ssl(err, PICA_E_CONFIG, "%s: listing the "
		    "token's keys failed", shown);
	for (i = 0; i < n_keys; i++)
		if (p11_key_matches(uri, &keys[i]))
			break;
	if (i == n_keys)
		return pica_err_set(err, PICA_E_CONFIG, "%s: no such private "
		    "key on token \"%s\"", shown, slot->token->label);
	if ((*out = PKCS11_get_private_key(&keys[i])) == NULL)
		return pica_err_ssl(err, PICA_E_CONFIG, "%s: the private key "
		    "cannot be used", shown);
	m->keys_out++;
	return 0;
}

int
p11_key_load(const char *ref, const char *module, EVP_PKEY **out,
    struct pica_err *err)
{
	P11KitUri		*uri = NULL;
	struct p11_module	*m;
	PKCS11_SLOT		*slot;
	char			*pin = NULL, shown[512];
	const char		*path;
	int			 rc = -1, tries, final;

	*out = NULL;
	if (p11_uri_open(ref, module, &uri, &path, shown, sizeof(shown),
	    err) == -1 || p11_pin(uri, shown, &pin, err) == -1)
		goto out;
	/*
	 * A token inserted since the module was loaded, or one the module
	 * could not read (SoftHSM2 fails, or skips a token, while another
	 * process writes it as it logs in): load the module afresh, a few
	 * times, unless a key of it is in use.
	 */
	for (tries = 0; ; tries++) {
		final = 0;
		if ((m = p11_module_get(path, err)) != NULL) {
			if ((slot = p11_slot_find(m, uri)) == NULL)
				pica_err_set(err, PICA_E_CONFIG, "%s: no token "
				    "of module %s matches", shown, path);
			else if (p11_key_open(m, slot, uri, shown, pin, out,
			    &final, err) == 0)
				break;
		}
		if (final || tries == P11_LOAD_TRIES ||
		    (m != NULL && m->keys_out > 0))
			goto out;
		if (m != NULL)
			p11_module_drop(m);
		/* Apart from the other processes starting now. */
		usleep(50000 + (useconds_t)(random() % 200000));
	}
	rc = 0;
out:
	p11_pin_free(pin);
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return rc;
}

/* The DER OIDs of the curves a token key may be on. */
static const unsigned char p11_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char p11_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

/* The slot of the first initialized token the URI matches. */
static int
p11_raw_slot(CK_FUNCTION_LIST *f, P11KitUri *uri, CK_SLOT_ID *out)
{
	CK_SLOT_ID	 slots[64];
	CK_ULONG	 n = 64, i;
	CK_TOKEN_INFO	 info;

	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    (info.flags & CKF_TOKEN_INITIALIZED) &&
		    p11_kit_uri_match_token_info(uri, &info)) {
			*out = slots[i];
			return 0;
		}
	return -1;
}

int
p11_key_generate(const char *ref, const char *module, const char *kty,
    int bits, struct pica_err *err)
{
	P11KitUri		*uri = NULL;
	CK_FUNCTION_LIST	*f = NULL;
	CK_SESSION_HANDLE	 sess = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	 pub, priv;
	CK_SLOT_ID		 slot;
	CK_BBOOL		 yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG		 modbits;
	CK_MECHANISM		 mech = { 0, NULL, 0 };
	CK_ATTRIBUTE		*label, *id, pubt[8], privt[8], find[2];
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE	 found;
	CK_ULONG		 n_found = 0;
	CK_RV			 rv;
	unsigned char		 exp[] = { 0x01, 0x00, 0x01 }, rid[16];
	char			*pin = NULL, shown[512];
	const char		*path;
	size_t			 np = 0, nk = 0;
	int			 rc = -1, inited = 0, logged_in = 0;

	if (p11_uri_open(ref, module, &uri, &path, shown, sizeof(shown),
	    err) == -1)
		goto out;
	if ((label = p11_kit_uri_get_attribute(uri, CKA_LABEL)) == NULL) {
		pica_err_set(err, PICA_E_USAGE, "%s: a new key needs a name: "
		    "object=LABEL", shown);
		goto out;
	}
	if (p11_pin(uri, shown, &pin, err) == -1)
		goto out;
	pubt[np++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pubt[np++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	pubt[np++] = *label;
	privt[nk++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	privt[nk++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	privt[nk++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	privt[nk++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	privt[nk++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	privt[nk++] = *label;
	/* The id ties the two halves together: the URI's, or a random one. */
	if ((id = p11_kit_uri_get_attribute(uri, CKA_ID)) == NULL) {
		if (RAND_bytes(rid, sizeof(rid)) != 1) {
			pica_err_ssl(err, PICA_E_INTERNAL, "random key id");
			goto out;
		}
		pubt[np++] = (CK_ATTRIBUTE){ CKA_ID, rid, sizeof(rid) };
		privt[nk++] = (CK_ATTRIBUTE){ CKA_ID, rid, sizeof(rid) };
	} else {
		pubt[np++] = *id;
		privt[nk++] = *id;
	}
	if (strcasecmp(kty, "EC") == 0 && (bits == 0 || bits == 256 ||
	    bits == 384)) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		pubt[np++] = bits == 384 ?
		    (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p11_p384,
		    sizeof(p11_p384) } :
		    (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p11_p256,
		    sizeof(p11_p256) };
	} else if (strcasecmp(kty, "RSA") == 0 && (bits == 0 ||
	    (bits >= 2048 && bits <= 8192 && bits % 8 == 0))) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		modbits = bits == 0 ? 2048 : (CK_ULONG)bits;
		pubt[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &modbits,
		    sizeof(modbits) };
		pubt[np++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exp,
		    sizeof(exp) };
	} else {
		pica_err_set(err, PICA_E_USAGE, "a key on a token is EC (256 "
		    "or 384) or RSA (2048 to 8192), not %s %d", kty, bits);
		goto out;
	}
	if ((f = p11_kit_module_load(path, 0)) == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "PKCS#11 module %s cannot be "
		    "loaded: %s", path, p11_kit_message());
		goto out;
	}
	if ((rv = p11_kit_module_initialize(f)) != CKR_OK) {
		pica_err_set(err, PICA_E_CONFIG, "PKCS#11 module %s: "
		    "initialization failed: %s", path, p11_kit_strerror(rv));
		goto out;
	}
	inited = 1;
	if (p11_raw_slot(f, uri, &slot) == -1) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no token of module %s "
		    "matches", shown, path);
		goto out;
	}
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &sess)) != CKR_OK) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no session: %s", shown,
		    p11_kit_strerror(rv));
		goto out;
	}
	if (pin != NULL) {
		if ((rv = f->C_Login(sess, CKU_USER, (CK_UTF8CHAR *)pin,
		    strlen(pin))) != CKR_OK &&
		    rv != CKR_USER_ALREADY_LOGGED_IN) {
			pica_err_set(err, PICA_E_CONFIG, "%s: login failed: %s",
			    shown, p11_kit_strerror(rv));
			goto out;
		}
		logged_in = 1;
	}
	/*
	 * Never a second key under the name of one already there.  (Raw
	 * PKCS#11 here: libp11 would keep the token's key list from before
	 * the new key.)
	 */
	find[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	find[1] = *label;
	if ((rv = f->C_FindObjectsInit(sess, find, 2)) != CKR_OK ||
	    (rv = f->C_FindObjects(sess, &found, 1, &n_found)) != CKR_OK) {
		pica_err_set(err, PICA_E_CONFIG, "%s: searching the token "
		    "failed: %s", shown, p11_kit_strerror(rv));
		goto out;
	}
	(void)f->C_FindObjectsFinal(sess);
	if (n_found > 0) {
		pica_err_set(err, PICA_E_USAGE, "%s: the token holds that key "
		    "already; use it without --generate", shown);
		goto out;
	}
	if ((rv = f->C_GenerateKeyPair(sess, &mech, pubt, np, privt, nk,
	    &pub, &priv)) != CKR_OK) {
		pica_err_set(err, PICA_E_CONFIG, "%s: generating the key pair "
		    "failed: %s", shown, p11_kit_strerror(rv));
		goto out;
	}
	rc = 0;
out:
	if (logged_in)
		(void)f->C_Logout(sess);
	if (sess != CK_INVALID_HANDLE)
		(void)f->C_CloseSession(sess);
	if (inited)
		(void)p11_kit_module_finalize(f);
	if (f != NULL)
		p11_kit_module_release(f);
	p11_pin_free(pin);
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return rc;
}
