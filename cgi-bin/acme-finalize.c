/*
 * acme-finalize: order finalization: the one ACME program that signs.
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-finalize", 1, acme_finalize, NULL);
}
