/*
 * acme-account: newAccount, account URLs and their orders lists.
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-account", 0, acme_account, NULL);
}
