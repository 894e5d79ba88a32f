/*
 * acme-order: newOrder and order URLs.
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-order", 0, acme_order, NULL);
}
