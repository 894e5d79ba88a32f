/*
 * acme-renewal-info: renewalInfo: when to renew a certificate (RFC 9773).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-renewal-info", 0, acme_renewal_info, NULL);
}
