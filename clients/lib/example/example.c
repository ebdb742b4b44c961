/*
 * example: the smallest useful dispatchd client, for third parties.
 * It pings the daemon and prints the estate's name and the latest event
 * sequence number.
 *
 *   cc example.c -ldispatchclient $(pkg-config --libs libzmq libprotobuf-c)
 *   ./client-example [REQUEST_ENDPOINT]     (default tcp://127.0.0.1:7450)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_client.h"

int main(int argc, char **argv)
{
	const char *endpoint = argc > 1 ? argv[1] : getenv("DISPATCH_ENDPOINT");
	Dispatch__Reply *reply = NULL;
	dc_t *dc;
	int rc, code;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: client-example [REQUEST_ENDPOINT]\n"
		       "Ping dispatchd and print the estate's name and the latest event seq.\n"
		       "The endpoint defaults to $DISPATCH_ENDPOINT, else " DC_DEFAULT_ENDPOINT ".\n"
		       "example: client-example ipc:///run/dispatchd/request\n"
		       "exit codes: 0 ok, 1 refused, 3 daemon unreachable\n");
		return DC_EXIT_OK;
	}
	if (!endpoint || !*endpoint)
		endpoint = DC_DEFAULT_ENDPOINT;
	/* No events endpoint: this program only sends requests. */
	dc = dc_new(endpoint, NULL, DISPATCH__ROLE__ROLE_MONITOR, "client-example");
	if (!dc) {
		fprintf(stderr, "client-example: cannot create a client for %s\n", endpoint);
		return DC_EXIT_UNAVAILABLE;
	}
	rc = dc_ping(dc, &reply);
	if (rc < 0) {
		fprintf(stderr, "client-example: %s\n", dc_error(dc));
		dc_destroy(&dc);
		return dc_err_exit(rc);
	}
	/* A reply arrived; it is ours to free whatever its status. */
	code = dc_status_exit(reply->status);
	if (reply->status == DISPATCH__STATUS__STATUS_OK)
		printf("estate: %s\nlast seq: %llu\n", reply->estate, (unsigned long long)reply->last_seq);
	else
		fprintf(stderr, "client-example: %s\n", reply->message);
	dispatch__reply__free_unpacked(reply, NULL);
	dc_destroy(&dc);
	return code;
}
