/*
 * profile.h: a certificate profile is a rendered template (a JSON
 * document with step-ca's x509 template fields) applied to a certificate.
 */
#ifndef PICA_PROFILE_H
#define PICA_PROFILE_H

#include <jansson.h>
#include <openssl/x509.h>

#include "err.h"

/*
 * Build the template data step-ca templates expect:
 *   .Subject   {"commonName": cn, ...}            (from the CSR or request)
 *   .SANs      [{"type": "dns"|"ip"|"email"|"uri", "value": ...}, ...]
 *   .Insecure.CR  the CSR: {"subject", "dnsNames", "ipAddresses",
 *                 "emailAddresses", "uris", "publicKey": {"goType": ...},
 *                 "publicKeyAlgorithm"}
 *   .Token, .Insecure.User  empty objects
 * subject may be NULL (empty subject); sans holds strings "DNS:name",
 * "IP:addr", "email:addr", "URI:uri"; csr may be NULL.
 */
json_t	*profile_data(const char *common_name, char *const *sans, size_t n_sans,
	    X509_REQ *csr, EVP_PKEY *pubkey);

/*
 * Apply a rendered profile document to cert: subject, SANs (sans, and
 * dnsNames/ipAddresses/emailAddresses/uris), keyUsage, extKeyUsage,
 * unknownExtKeyUsage, basicConstraints, crlDistributionPoints, ocspServer,
 * issuingCertificateURL, policies/policyIdentifiers and raw extensions.
 * Unknown fields, unknown usage names and values of the wrong JSON type
 * are errors (PICA_E_CONFIG) naming the field.  Fields the document does
 * not set are left as they are.  issuer is not settable here.
 */
int	 profile_apply(X509 *cert, json_t *doc, struct pica_err *err);

/*
 * Whether doc sets each of these (so that issuance adds the CA's own
 * defaults only where the profile is silent).
 */
int	 profile_sets(json_t *doc, const char *field);

#endif
