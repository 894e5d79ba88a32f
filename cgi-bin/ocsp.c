/*
 * ocsp: the OCSP responder (RFC 6960).  A FastCGI program started by
 * spawn-fcgi; it signs with the delegated responder key (ocsp.key), never
 * with the CA's own unless pica.json names no responder certificate.
 */
#include "config.h"

#include "ocsp.h"

int
main(int argc, char *argv[])
{
	return ocsp_main(argc, argv);
}
