/*
 * fuzz_handlers: well-formed requests with fuzzed contents, so the
 * handlers and the state machine are explored rather than the decoder:
 * the input chooses the body, the role, the actor, the ticket, the action
 * and the strings. Tickets pile up in one store across inputs, so
 * transitions meet tickets in every state. A resident's view or rating
 * gets a ticket's real token (the harness reads the store's secret), a
 * token with one byte changed, or the input's bytes.
 */
#include "fuzz_common.h"
#include "resident.h"

/* The token of ticket id, as the daemon would give it ("" before any
 * submission made the secret). */
static void fuzz_token(uint64_t id, char out[RESIDENT_TOKEN_LEN + 1])
{
	uint8_t key[RESIDENT_SECRET_LEN];
	MDB_txn *txn;

	out[0] = '\0';
	if (store_txn_begin(fuzz_store, NULL, 1, &txn) != 0)
		return;
	if (resident_secret(fuzz_store, txn, false, key) == 0)
		resident_token(key, id, out);
	store_txn_abort(txn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct input *in, unsigned mod)
{
	unsigned v;
	if (in->n == 0)
		return 0;
	v = *in->p++;
	in->n--;
	return mod ? v % mod : v;
}

/* A string of up to max bytes from the input (may be invalid UTF-8). */
static char *take_str(struct input *in, char *buf, size_t max)
{
	size_t len = take(in, (unsigned)max + 1);
	if (len > in->n)
		len = in->n;
	memcpy(buf, in->p, len);
	buf[len] = '\0';
	in->p += len;
	in->n -= len;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *actors[] = { "desk", "T07", "T08", "T12", "S01", "S02", "C02", "K01", "X99", "" };
	static const char *units[] = { "12-1A", "12-1A", "5-2B", "2A-1B", "3-3C", "" };
	static const char *cats[] = { "", "plumbing", "electrical", "lift", "fire-alarm" };
	struct input in = { data, size };
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Replay replay = DISPATCH__REPLAY__INIT;
	Dispatch__Duty duty = DISPATCH__DUTY__INIT;
	Dispatch__Explain explain = DISPATCH__EXPLAIN__INIT;
	Dispatch__ResidentView rview = DISPATCH__RESIDENT_VIEW__INIT;
	Dispatch__ResidentRate rrate = DISPATCH__RESIDENT_RATE__INIT;
	char id[40], note[80], text[80], member[16], token[RESIDENT_TOKEN_LEN + 1 + 40];
	uint8_t buf[4096];
	size_t len;

	fuzz_init();
	req.version = take(&in, 8) == 0 ? take(&in, 0) : 1;
	snprintf(id, sizeof id, "r%u-%u", take(&in, 0), take(&in, 0)); /* repeats: idempotency */
	req.request_id = id;
	req.role = take(&in, 9);
	req.actor = (char *)actors[take(&in, sizeof actors / sizeof actors[0])];
	switch (take(&in, 9)) {
	case 0:
	case 1:
		sub.kind = take(&in, 8);
		sub.unit = (char *)units[take(&in, sizeof units / sizeof units[0])];
		sub.category = (char *)cats[take(&in, sizeof cats / sizeof cats[0])];
		sub.source = take(&in, 7);
		sub.priority = take(&in, 7);
		sub.text = take_str(&in, text, 60);
		sub.fee_cents = take(&in, 3) == 0 ? (int64_t)take(&in, 0) * 100 : 0;
		sub.about_member =
			take(&in, 4) == 0 ? (char *)actors[take(&in, sizeof actors / sizeof actors[0])] : (char *)"";
		req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
		req.submit = &sub;
		if (take(&in, 4) == 0) {
			explain.submit = &sub;
			req.body_case = DISPATCH__REQUEST__BODY_EXPLAIN;
			req.explain = &explain;
		}
		break;
	case 2:
	case 3:
	case 4:
		tr.ticket_id = take(&in, 40);
		tr.action = take(&in, 15);
		tr.note = take_str(&in, note, 40);
		tr.hold_reason = take(&in, 7);
		tr.satisfaction = take(&in, 7);
		tr.inspection = take(&in, 4);
		tr.charged_cents = take(&in, 0);
		tr.cause = take(&in, 2) ? (char *)"cause" : (char *)"";
		tr.corrective_action = take(&in, 2) ? (char *)"fix" : (char *)"";
		tr.member = (char *)actors[take(&in, sizeof actors / sizeof actors[0])];
		req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
		req.transition = &tr;
		break;
	case 5:
		get.ticket_id = take(&in, 40);
		get.history = take(&in, 2);
		req.body_case = DISPATCH__REQUEST__BODY_GET;
		req.get = &get;
		break;
	case 6:
		list.member = take(&in, 2) ? take_str(&in, member, 6) : (char *)"";
		list.include_closed = take(&in, 2);
		list.limit = take(&in, 0);
		req.body_case = DISPATCH__REQUEST__BODY_LIST;
		req.list = &list;
		if (take(&in, 3) == 0) {
			replay.from_seq = take(&in, 0);
			replay.limit = take(&in, 0);
			req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
			req.replay = &replay;
		}
		break;
	case 7: {
		unsigned how = take(&in, 4);
		fuzz_token(take(&in, 40), token);
		if (how == 1 && token[0]) /* one character changed */
			token[take(&in, RESIDENT_TOKEN_LEN)] ^= (char)(1 + take(&in, 0x3f));
		else if (how == 2)
			take_str(&in, token, 40);
		if (take(&in, 2)) {
			rview.token = token;
			req.body_case = DISPATCH__REQUEST__BODY_RESIDENT_VIEW;
			req.resident_view = &rview;
		} else {
			rrate.token = token;
			rrate.satisfaction = take(&in, 7);
			rrate.remark = take_str(&in, note, 40);
			req.body_case = DISPATCH__REQUEST__BODY_RESIDENT_RATE;
			req.resident_rate = &rrate;
		}
		/* mostly the role that may send them */
		if (take(&in, 4))
			req.role = DISPATCH__ROLE__ROLE_RESIDENT;
		break;
	}
	default:
		duty.on = take(&in, 2);
		req.body_case = DISPATCH__REQUEST__BODY_DUTY;
		req.duty = &duty;
		break;
	}
	len = dispatch__request__get_packed_size(&req);
	if (len > sizeof buf)
		return 0;
	dispatch__request__pack(&req, buf);
	fuzz_feed(buf, len);
	return 0;
}
