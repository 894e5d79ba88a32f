/*
 * acme-key-change: keyChange: an account moves to a new key (RFC 8555 7.3.5).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-key-change", 0, acme_key_change, NULL);
}
