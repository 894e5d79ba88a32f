/*
 * acme-revoke: certificate revocation (POST /acme/revoke-cert).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-revoke", 0, acme_revoke, NULL);
}
