/*
 * acme-challenge: challenges: answered at once, validated after the response.
 * A FastCGI program started by spawn-fcgi; its logic is in lib/.
 */
#include "config.h"

#include "acme.h"

int
main(int argc, char *argv[])
{
	return acme_main(argc, argv, "acme-challenge", 0, acme_challenge,
	    acme_challenge_after);
}
