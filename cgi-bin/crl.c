/*
 * crl: makes the CRL when the web server finds no /crl or /crl.pem.
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "crl.h"

int
main(int argc, char *argv[])
{
	return crl_main(argc, argv);
}
