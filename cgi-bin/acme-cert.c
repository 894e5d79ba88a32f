/*
 * acme-cert: certificate download (POST-as-GET /acme/cert/ID).
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-cert", 0, acme_cert, NULL);
}
