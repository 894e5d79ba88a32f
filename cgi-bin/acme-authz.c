/*
 * acme-authz: authorizations (read, deactivate).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-authz", 0, acme_authz, NULL);
}
