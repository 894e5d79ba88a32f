/*
 * acme-nonce: newNonce (HEAD, GET /acme/new-nonce).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-nonce", 0, acme_nonce, NULL);
}
