/* Unit tests for the residents' pages (issue 17): the token
 * (daemon/resident.c), the store's secret, the notices in force
 * (daemon/notices.c) and the resident role's rows of the request table. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "notices.h"
#include "resident.h"
#include "store.h"

#define DAY_MS (24LL * 3600 * 1000)

static const uint8_t K1[RESIDENT_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t K2[RESIDENT_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 10 };

START_TEST(token_round_trip)
{
	char tok[RESIDENT_TOKEN_LEN + 1], other[RESIDENT_TOKEN_LEN + 1];
	uint64_t id = 0;

	resident_token(K1, 17, tok);
	ck_assert_uint_eq(strlen(tok), RESIDENT_TOKEN_LEN);
	ck_assert_msg(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(tok),
		      "not base64url: %s", tok);
	ck_assert(resident_token_check(K1, tok, &id));
	ck_assert_uint_eq(id, 17);
	/* the same id, the same token; another id, another token */
	resident_token(K1, 17, other);
	ck_assert_str_eq(tok, other);
	resident_token(K1, 18, other);
	ck_assert_str_ne(tok, other);
	ck_assert(resident_token_check(K1, other, &id));
	ck_assert_uint_eq(id, 18);
	resident_token(K1, UINT64_MAX, other);
	ck_assert(resident_token_check(K1, other, &id));
	ck_assert(id == UINT64_MAX);
}
END_TEST

/* The token is HMAC-SHA256(key, label || id) cut to its MAC length, then
 * the id, base64url: computed here the long way, one-shot, for two keys in
 * turn, so that the daemon's keyed state kept between tokens (resident.c)
 * can never give a token of the key before. */
START_TEST(token_is_the_hmac_for_each_key_in_turn)
{
	static const char label[] = "dispatchd resident page v1";
	const uint8_t *keys[3] = { K1, K2, K1 };

	for (int k = 0; k < 3; k++) {
		uint8_t msg[sizeof label + 8], full[crypto_auth_hmacsha256_BYTES], raw[RESIDENT_MAC_LEN + 8];
		char want[RESIDENT_TOKEN_LEN + 1], got[RESIDENT_TOKEN_LEN + 1];
		crypto_auth_hmacsha256_state st;
		uint64_t id = 1000 + (uint64_t)k;

		memcpy(msg, label, sizeof label);
		for (int i = 0; i < 8; i++)
			msg[sizeof label + i] = raw[RESIDENT_MAC_LEN + i] = (uint8_t)(id >> (56 - 8 * i));
		crypto_auth_hmacsha256_init(&st, keys[k], RESIDENT_SECRET_LEN);
		crypto_auth_hmacsha256_update(&st, msg, sizeof msg);
		crypto_auth_hmacsha256_final(&st, full);
		memcpy(raw, full, RESIDENT_MAC_LEN);
		sodium_bin2base64(want, sizeof want, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		resident_token(keys[k], id, got);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(every_altered_character_is_refused)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char tok[RESIDENT_TOKEN_LEN + 1], t[RESIDENT_TOKEN_LEN + 1];
	uint64_t id = 1;

	resident_token(K1, 4711, tok);
	for (size_t i = 0; i < RESIDENT_TOKEN_LEN; i++)
		for (size_t a = 0; a < sizeof alphabet - 1; a++) {
			if (alphabet[a] == tok[i])
				continue;
			memcpy(t, tok, sizeof t);
			t[i] = alphabet[a];
			ck_assert_msg(!resident_token_check(K1, t, &id), "accepted %s (position %zu)", t, i);
			ck_assert_uint_eq(id, 0);
		}
}
END_TEST

START_TEST(other_keys_and_shapes_are_refused)
{
	char tok[RESIDENT_TOKEN_LEN + 1], t[64];
	uint64_t id = 1;

	resident_token(K1, 5, tok);
	ck_assert(!resident_token_check(K2, tok, &id)); /* another store's secret */
	ck_assert(!resident_token_check(K1, "", &id));
	ck_assert(!resident_token_check(K1, NULL, &id));
	snprintf(t, sizeof t, "%sA", tok); /* too long */
	ck_assert(!resident_token_check(K1, t, &id));
	snprintf(t, sizeof t, "%.31s", tok); /* too short */
	ck_assert(!resident_token_check(K1, t, &id));
	snprintf(t, sizeof t, "%.31s=", tok); /* padding, '+' and '/' are not base64url */
	ck_assert(!resident_token_check(K1, t, &id));
	snprintf(t, sizeof t, "%.31s+", tok);
	ck_assert(!resident_token_check(K1, t, &id));
	snprintf(t, sizeof t, "%.31s/", tok);
	ck_assert(!resident_token_check(K1, t, &id));
	/* a MAC of ticket 0 is no ticket's */
	resident_token(K1, 0, tok);
	ck_assert(!resident_token_check(K1, tok, &id));
	ck_assert_uint_eq(id, 0);
}
END_TEST

START_TEST(another_tickets_id_with_this_mac_is_refused)
{
	char tok[RESIDENT_TOKEN_LEN + 1], t2[RESIDENT_TOKEN_LEN + 1], forged[RESIDENT_TOKEN_LEN + 1];
	uint64_t id = 1;

	/* the last 11 characters carry the id's 8 bytes (and the MAC's last
	 * bits): ticket 2's ending on ticket 1's beginning */
	resident_token(K1, 1, tok);
	resident_token(K1, 2, t2);
	memcpy(forged, tok, 21);
	memcpy(forged + 21, t2 + 21, RESIDENT_TOKEN_LEN - 21 + 1);
	ck_assert(!resident_token_check(K1, forged, &id));
}
END_TEST

START_TEST(the_secret_is_made_once_and_kept)
{
	char dir[] = "/tmp/test_resident.XXXXXX", err[512];
	uint8_t a[RESIDENT_SECRET_LEN], b[RESIDENT_SECRET_LEN], zero[RESIDENT_SECRET_LEN] = { 0 };
	store_t *s;
	MDB_txn *txn;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	s = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(resident_secret(s, txn, false, a), STORE_NOTFOUND); /* none until one is needed */
	ck_assert_int_eq(resident_secret(s, txn, true, a), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert(memcmp(a, zero, sizeof a) != 0);
	store_destroy(&s);
	/* after a restart: the same */
	s = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(resident_secret(s, txn, true, b), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert(memcmp(a, b, sizeof a) == 0);
	store_destroy(&s);
	/* another store, another secret */
	{
		char dir2[] = "/tmp/test_resident.XXXXXX";
		ck_assert_ptr_nonnull(mkdtemp(dir2));
		s = store_open(dir2, 0, err, sizeof err);
		ck_assert_msg(s != NULL, "%s", err);
		ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
		ck_assert_int_eq(resident_secret(s, txn, true, b), 0);
		store_txn_abort(txn);
		ck_assert(memcmp(a, b, sizeof a) != 0);
		store_destroy(&s);
	}
}
END_TEST

/* A notice event as the daemon stores it. */
static Dispatch__Event *notice(Dispatch__Event *ev, Dispatch__Notice *n, uint64_t seq, int64_t published,
			       const char *text, int64_t from, int64_t to, char **buildings, size_t nb)
{
	dispatch__event__init(ev);
	dispatch__notice__init(n);
	ev->seq = seq;
	ev->type = DISPATCH__EVENT_TYPE__EVENT_NOTICE;
	ev->time_ms = published;
	ev->notice = n;
	n->text = (char *)text;
	n->from_ms = from;
	n->to_ms = to;
	n->buildings = buildings;
	n->n_buildings = nb;
	return ev;
}

static int has(const Dispatch__Notice **v, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->text, text) == 0)
			return 1;
	return 0;
}

START_TEST(notices_in_force_by_building_and_time)
{
	notices_t *ns = notices_new();
	Dispatch__Event ev;
	Dispatch__Notice n;
	char *b12[] = { (char *)"12" }, *b2[] = { (char *)"2", (char *)"3" };
	const Dispatch__Notice *out[16];
	const int64_t now = 100 * DAY_MS;
	size_t k;

	notices_add(ns, notice(&ev, &n, 1, now - DAY_MS, "b12 tomorrow", now + DAY_MS, now + DAY_MS + 3600000, b12, 1),
		    now);
	notices_add(ns, notice(&ev, &n, 2, now - DAY_MS, "b2 b3 now", 0, 0, b2, 2), now);
	notices_add(ns, notice(&ev, &n, 3, now - DAY_MS, "estate", 0, 0, NULL, 0), now);
	notices_add(ns, notice(&ev, &n, 4, now - 2 * DAY_MS, "b12 past", now - 2 * DAY_MS, now - DAY_MS, b12, 1), now);
	notices_add(ns, notice(&ev, &n, 5, now - 20 * DAY_MS, "old, no end", 0, 0, NULL, 0), now);
	notices_add(ns, notice(&ev, &n, 3, now - DAY_MS, "estate", 0, 0, NULL, 0), now); /* seen already */
	ck_assert_uint_eq(notices_count(ns), 3);

	k = notices_for(ns, "12", now, out, 16);
	ck_assert_uint_eq(k, 2);
	ck_assert(has(out, k, "b12 tomorrow") && has(out, k, "estate"));
	k = notices_for(ns, "3", now, out, 16);
	ck_assert_uint_eq(k, 2);
	ck_assert(has(out, k, "b2 b3 now") && has(out, k, "estate"));
	k = notices_for(ns, "5", now, out, 16);
	ck_assert_uint_eq(k, 1);
	ck_assert(has(out, k, "estate"));
	k = notices_for(ns, NULL, now, out, 16);
	ck_assert_uint_eq(k, 1);
	/* a window ends; one without an end is shown for NOTICES_OPEN_DAYS */
	k = notices_for(ns, "12", now + DAY_MS + 3600000, out, 16);
	ck_assert(!has(out, k, "b12 tomorrow"));
	k = notices_for(ns, "5", now - DAY_MS + NOTICES_OPEN_DAYS * DAY_MS + 1, out, 16);
	ck_assert_uint_eq(k, 0);
	/* max is honoured */
	ck_assert_uint_eq(notices_for(ns, "12", now, out, 1), 1);
	notices_destroy(&ns);
	ck_assert_ptr_null(ns);
	notices_destroy(&ns);
}
END_TEST

START_TEST(notices_are_bounded)
{
	notices_t *ns = notices_new();
	Dispatch__Event ev;
	Dispatch__Notice n;
	const int64_t now = 100 * DAY_MS;
	const Dispatch__Notice *out[1];
	char text[32];

	for (uint64_t i = 1; i <= NOTICES_MAX + 10; i++) {
		snprintf(text, sizeof text, "n%llu", (unsigned long long)i);
		/* later notices end later */
		notices_add(ns, notice(&ev, &n, i, now, text, 0, now + (int64_t)i * 1000, NULL, 0), now);
	}
	ck_assert_uint_eq(notices_count(ns), NOTICES_MAX);
	/* the ones that end first went */
	ck_assert_uint_eq(notices_for(ns, "1", now + 10 * 1000, out, 1), 1);
	ck_assert_str_eq(out[0]->text, "n11");
	notices_destroy(&ns);
}
END_TEST

START_TEST(notices_load_from_the_log)
{
	char dir[] = "/tmp/test_resident.XXXXXX", err[512];
	char *b12[] = { (char *)"12" };
	const int64_t now = 100 * DAY_MS;
	const Dispatch__Notice *out[8];
	Dispatch__Event ev, other = DISPATCH__EVENT__INIT;
	Dispatch__Notice n;
	notices_t *ns = notices_new();
	bool from_log = false;
	store_t *s;
	MDB_txn *txn;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	s = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	other.type = DISPATCH__EVENT_TYPE__EVENT_DUTY;
	other.actor = (char *)"T07";
	other.time_ms = now;
	ck_assert_int_eq(store_append_event(s, txn, &other, NULL, NULL), 0);
	ck_assert_int_eq(
		store_append_event(s, txn, notice(&ev, &n, 0, now, "water off", 0, now + DAY_MS, b12, 1), NULL, NULL),
		0);
	ck_assert_int_eq(store_append_event(s, txn, &other, NULL, NULL), 0);
	ck_assert_int_eq(store_append_event(s, txn,
					    notice(&ev, &n, 0, now - 3 * DAY_MS, "gone", 0, now - DAY_MS, NULL, 0),
					    NULL, NULL),
			 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	/* no list in meta yet: read from the log, and kept */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(notices_load(ns, s, txn, now, &from_log), 0);
	ck_assert(from_log);
	ck_assert_int_eq(notices_save(ns, s, txn), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_uint_eq(notices_count(ns), 1);
	ck_assert_uint_eq(notices_for(ns, "12", now, out, 8), 1);
	ck_assert_str_eq(out[0]->text, "water off");
	ck_assert_uint_eq(notices_for(ns, "2", now, out, 8), 0);
	/* a notice published afterwards goes into meta in its transaction */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	notice(&ev, &n, 0, now, "lanterns", 0, now + DAY_MS, NULL, 0);
	ck_assert_int_eq(store_append_event(s, txn, &ev, NULL, NULL), 0);
	ck_assert_int_eq(notices_publish(s, txn, &ev, now), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	/* ... and the next start reads meta, not the log */
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(notices_load(ns, s, txn, now, &from_log), 0);
	store_txn_abort(txn);
	ck_assert(!from_log);
	ck_assert_uint_eq(notices_count(ns), 2);
	ck_assert_uint_eq(notices_for(ns, "12", now, out, 8), 2);
	ck_assert_str_eq(out[1]->text, "lanterns");
	/* a day on, the window of both has ended */
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(notices_load(ns, s, txn, now + DAY_MS, &from_log), 0);
	store_txn_abort(txn);
	ck_assert_uint_eq(notices_count(ns), 0);
	/* a value that is not a list: read from the log again */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_meta_put_bytes(s, txn, NOTICES_META, "\0\0\0\x09xx", 6), 0);
	ck_assert_int_eq(notices_load(ns, s, txn, now, &from_log), 0);
	store_txn_abort(txn);
	ck_assert(from_log);
	ck_assert_uint_eq(notices_count(ns), 2);
	notices_destroy(&ns);
	store_destroy(&s);
}
END_TEST

/* The sample estate, its residents: block replaced by tail. */
static config_t *load_with(const char *tail, char *err, size_t errlen)
{
	extern const char config_sample[];
	extern const size_t config_sample_len;
	const char *cut = strstr(config_sample, "\nresidents:");
	size_t head = cut ? (size_t)(cut - config_sample) + 1 : config_sample_len;
	char *text = malloc(config_sample_len + strlen(tail) + 2);
	config_t *cfg;

	ck_assert_ptr_nonnull(text);
	memcpy(text, config_sample, head);
	/* what followed the block: from the next top-level key on */
	if (cut) {
		const char *rest = cut + 1;
		while ((rest = strchr(rest, '\n')) != NULL && (rest[1] == ' ' || rest[1] == '\n'))
			rest++;
		if (rest) {
			memcpy(text + head, rest + 1, strlen(rest + 1));
			head += strlen(rest + 1);
		}
	}
	memcpy(text + head, tail, strlen(tail) + 1);
	cfg = config_load_data("estate.yaml", text, strlen(text), err, errlen);
	free(text);
	return cfg;
}

START_TEST(the_residents_block_is_vetted)
{
	char err[8192];
	config_t *cfg;

	cfg = load_with("residents:\n  page_url: \"https://help.example/res/\"\n  show_member_name: true\n", err,
			sizeof err);
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->residents->page_url, "https://help.example/res"); /* the '/' dropped */
	ck_assert(cfg->residents->show_member_name);
	config_destroy(&cfg);
	cfg = load_with("", err, sizeof err);
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_ptr_null(cfg->residents);
	config_destroy(&cfg);
	static const char *const bad[] = { "ftp://x",
					   "http://",
					   "https://a b",
					   "https://a/?q=1",
					   "https://a/#x",
					   "https://a/<script>",
					   "javascript:alert(1)" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char tail[256];
		snprintf(tail, sizeof tail, "residents:\n  page_url: \"%s\"\n", bad[i]);
		cfg = load_with(tail, err, sizeof err);
		ck_assert_msg(cfg == NULL, "accepted page_url %s", bad[i]);
		ck_assert_msg(strstr(err, "estate.yaml:") && strstr(err, "residents.page_url"), "for %s: %s", bad[i],
			      err);
	}
	cfg = load_with("residents:\n  page_url: \"http://a\"\n  show_member: yes\n", err, sizeof err);
	ck_assert(cfg == NULL);
	ck_assert_msg(strstr(err, "show_member") != NULL, "%s", err);
}
END_TEST

static int allow(Dispatch__Role role, Dispatch__Request__BodyCase body)
{
	struct auth_who who = { .authenticated = true, .role = role };
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	char msg[256];

	snprintf(who.identity, sizeof who.identity, "gateway");
	req.body_case = body;
	tr.action = DISPATCH__ACTION__ACTION_FOLLOW_UP;
	req.transition = &tr;
	return command_allow_key(&who, &req, msg, sizeof msg);
}

START_TEST(a_resident_key_views_and_rates_only)
{
	const ProtobufCFieldDescriptor *f = dispatch__request__descriptor.fields;

	/* every body of the Request: a resident key may send two, and those
	 * two no other key may send */
	for (unsigned i = 0; i < dispatch__request__descriptor.n_fields; i++) {
		Dispatch__Request__BodyCase body = (Dispatch__Request__BodyCase)f[i].id;
		bool mine =
			body == DISPATCH__REQUEST__BODY_RESIDENT_VIEW || body == DISPATCH__REQUEST__BODY_RESIDENT_RATE;
		if (!(f[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue; /* not a body */
		ck_assert_msg((allow(DISPATCH__ROLE__ROLE_RESIDENT, body) == 0) == mine, "resident and body %s",
			      f[i].name);
		for (Dispatch__Role r = DISPATCH__ROLE__ROLE_DESK; r <= DISPATCH__ROLE__ROLE_ADMIN; r++)
			if (mine)
				ck_assert_msg(allow(r, body) != 0, "role %d may send %s", (int)r, f[i].name);
	}
	/* both are in the table: view reads, rate changes (needs a request id) */
	ck_assert(!command_find(DISPATCH__REQUEST__BODY_RESIDENT_VIEW)->mutating);
	ck_assert(command_find(DISPATCH__REQUEST__BODY_RESIDENT_RATE)->mutating);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resident");
	TCase *tc = tcase_create("resident");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, token_round_trip);
	tcase_add_test(tc, token_is_the_hmac_for_each_key_in_turn);
	tcase_add_test(tc, every_altered_character_is_refused);
	tcase_add_test(tc, other_keys_and_shapes_are_refused);
	tcase_add_test(tc, another_tickets_id_with_this_mac_is_refused);
	tcase_add_test(tc, the_secret_is_made_once_and_kept);
	tcase_add_test(tc, notices_in_force_by_building_and_time);
	tcase_add_test(tc, notices_are_bounded);
	tcase_add_test(tc, notices_load_from_the_log);
	tcase_add_test(tc, a_resident_key_views_and_rates_only);
	tcase_add_test(tc, the_residents_block_is_vetted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
