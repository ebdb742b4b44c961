/*
 * dispatch-raw: a test tool that sends deliberately bad (or deliberately
 * repeated) requests and prints what the daemon answered, one "key: value"
 * per line, so shell tests can grep it:
 *   status: STATUS_INVALID
 *   field: kind
 *   message: ...
 *   ticket: 17          (when the reply carries a ticket)
 * Exit 0 if a reply arrived, whatever its status; 3 if none; 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_client.h"

#define PROG "dispatch-raw"

static const char usage_text[] =
	"usage: " PROG " [--endpoint EP] MODE...\n"
	"\n"
	"Send one test request to dispatchd and print the reply's status, field,\n"
	"message and ticket id. Without a mode, sends a normal valid submit.\n"
	"\n"
	"modes (--kind, --version and --request-id combine):\n"
	"  --garbage          a frame that is not a protobuf Request\n"
	"  --no-body          a Request without a body\n"
	"  --kind N           a submit with kind = N (e.g. 99, not a known kind)\n"
	"  --version N        a submit with wire version N\n"
	"  --request-id ID    a submit with this fixed request id (idempotency)\n"
	"\n"
	"options:\n"
	"  --endpoint EP      request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --timeout MS       reply timeout per try (default 2500)\n"
	"  --help             this text\n"
	"\n"
	"examples:\n"
	"  " PROG " --garbage\n"
	"  " PROG " --kind 99\n"
	"  " PROG " --request-id test-1; " PROG " --request-id test-1\n"
	"\n"
	"exit codes: 0 a reply arrived (any status), 2 usage error, 3 no reply\n";

enum { OPT_GARBAGE = 256, OPT_NO_BODY, OPT_KIND, OPT_VERSION, OPT_RID, OPT_ENDPOINT,
       OPT_TIMEOUT, OPT_HELP };

static const struct option long_opts[] = {
	{ "garbage", no_argument, NULL, OPT_GARBAGE },
	{ "no-body", no_argument, NULL, OPT_NO_BODY },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "request-id", required_argument, NULL, OPT_RID },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Field 1 with wire type 7, which does not exist: no protobuf parser can
 * read past the first byte. */
static const unsigned char garbage[] = { 0x0f, 0xff, 0xff, 0xff, 0xff, 'n', 'o', 't', ' ',
                                         'a', ' ', 'p', 'r', 'o', 't', 'o', 'b', 'u', 'f' };

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" PROG " --help'\n");
	return DC_EXIT_USAGE;
}

static int parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void print_reply(const Dispatch__Reply *r)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&dispatch__status__descriptor, r->status);
	char buf[1024];

	if (v)
		printf("status: %s\n", v->name);
	else
		printf("status: %d\n", (int)r->status);
	printf("version: %u\n", r->version);
	printf("request_id: %s\n", dc_clean(r->request_id, buf, sizeof buf));
	printf("field: %s\n", dc_clean(r->field, buf, sizeof buf));
	printf("message: %s\n", dc_clean(r->message, buf, sizeof buf));
	if (r->ticket)
		printf("ticket: %" PRIu64 "\n", r->ticket->id);
}

int main(int argc, char **argv)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *reply = NULL;
	const char *endpoint = NULL, *rid = NULL;
	char idbuf[64];
	long long kind = DISPATCH__KIND__KIND_REPAIR, version = DC_WIRE_VERSION, v;
	int garbage_mode = 0, no_body = 0, timeout = DC_DEFAULT_TIMEOUT_MS, c, rc;
	uint8_t *buf = NULL;
	size_t len;
	dc_t *dc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_GARBAGE: garbage_mode = 1; break;
		case OPT_NO_BODY: no_body = 1; break;
		case OPT_RID: rid = optarg; break;
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
		case OPT_KIND:
			/* Any int32: the point is to send values the daemon must reject. */
			if (parse_num(optarg, INT32_MIN, INT32_MAX, &kind) < 0)
				return usage_error("--kind needs an integer, not '%s'", optarg);
			break;
		case OPT_VERSION:
			if (parse_num(optarg, 0, UINT32_MAX, &version) < 0)
				return usage_error("--version needs a number, not '%s'", optarg);
			break;
		case OPT_TIMEOUT:
			if (parse_num(optarg, 1, 600000, &v) < 0)
				return usage_error("--timeout needs milliseconds, not '%s'", optarg);
			timeout = (int)v;
			break;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (rid && (!*rid || strlen(rid) > DC_REQUEST_ID_MAX))
		return usage_error("--request-id must be 1..64 bytes, not '%s'", rid);

	dc = dc_new(endpoint ? endpoint : dc_env_endpoint(), NULL, DISPATCH__ROLE__ROLE_DESK,
	            PROG);
	if (!dc) {
		fprintf(stderr, PROG ": cannot set up the client\n");
		return DC_EXIT_USAGE;
	}
	dc_set_timeout(dc, timeout);
	if (garbage_mode) {
		rc = dc_request_bytes(dc, garbage, sizeof garbage, NULL, &reply);
	} else {
		/* Packed here rather than by dc_request(), which would fill in the
		 * version and check the reply's: this tool wants neither. */
		if (!rid) {
			if (dc_make_request_id(idbuf, sizeof idbuf) < 0) {
				fprintf(stderr, PROG ": cannot make a request id\n");
				dc_destroy(&dc);
				return DC_EXIT_UNAVAILABLE;
			}
			rid = idbuf;
		}
		req.version = (uint32_t)version;
		req.request_id = (char *)rid;
		req.role = DISPATCH__ROLE__ROLE_DESK;
		req.actor = (char *)PROG;
		if (!no_body) {
			sub.kind = (Dispatch__Kind)kind;
			sub.unit = (char *)"1-1A";
			sub.source = DISPATCH__SOURCE__SOURCE_APP;
			sub.text = (char *)"dispatch-raw test request";
			req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
			req.submit = &sub;
		}
		len = dispatch__request__get_packed_size(&req);
		buf = malloc(len ? len : 1);
		if (!buf) {
			fprintf(stderr, PROG ": out of memory\n");
			dc_destroy(&dc);
			return DC_EXIT_UNAVAILABLE;
		}
		dispatch__request__pack(&req, buf);
		/* Any reply: each run is one request on a fresh socket, and a
		 * daemon that fails to echo the id should be seen, not timed out
		 * on; request_id is printed for tests to check. */
		rc = dc_request_bytes(dc, buf, len, NULL, &reply);
		free(buf);
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		dc_destroy(&dc);
		return DC_EXIT_UNAVAILABLE;
	}
	print_reply(reply);
	dispatch__reply__free_unpacked(reply, NULL);
	dc_destroy(&dc);
	return DC_EXIT_OK;
}
