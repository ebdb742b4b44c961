/* Unit tests for the key files (clients/lib/keyfile.c through daemon/keys.c)
 * and the clients list (daemon/keys.c), and the role policy that uses them
 * (the request table, daemon/command.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "auth.h"
#include "command.h"
#include "keys.h"

static char err[4096];
static const char K1[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"; /* RFC 26's test keys */
static const char K2[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

static keys_list_t *parse(const char *text)
{
	return keys_parse("clients", text, strlen(text), err, sizeof err);
}

#define ASSERT_ERR(needle) ck_assert_msg(strstr(err, needle) != NULL, "expected '%s' in:\n%s", needle, err)

START_TEST(parses_keys_roles_and_identities)
{
	char text[512];
	keys_list_t *k;
	const struct keys_client *c;

	snprintf(text, sizeof text,
		 "# PUBLIC-KEY ROLE IDENTITY\n\n  %s   desk  desk-1\r\n%s\tcrew\tT07  # the technician on call\n", K1,
		 K2);
	k = parse(text);
	ck_assert_msg(k != NULL, "%s", err);
	ck_assert_uint_eq(k->n, 2);
	c = keys_find(k, K1);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->role, DISPATCH__ROLE__ROLE_DESK);
	ck_assert_str_eq(c->identity, "desk-1");
	ck_assert_uint_eq(c->line, 3);
	c = keys_find(k, K2);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->role, DISPATCH__ROLE__ROLE_CREW);
	ck_assert_str_eq(c->identity, "T07");
	ck_assert_ptr_null(keys_find(k, "0000000000000000000000000000000000000000"));
	keys_destroy(&k);
	ck_assert_ptr_null(k);
	k = parse("");
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->n, 0);
	keys_destroy(&k);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
	char text[512];

	ck_assert_ptr_null(parse("# header\nnot-a-key desk d\n"));
	ASSERT_ERR("clients:2: 'not-a-key' is not a CURVE public key");

	snprintf(text, sizeof text, "%s janitor j1\n", K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:1: unknown role 'janitor'");

	snprintf(text, sizeof text, "%s desk\n", K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:1: expected 'PUBLIC-KEY ROLE IDENTITY'");

	snprintf(text, sizeof text, "%s desk bad!id\n", K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:1: identity 'bad!id'");

	snprintf(text, sizeof text, "%s desk d1 extra\n", K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:1: more than three words");

	snprintf(text, sizeof text, "%s desk d1\n%s monitor m1\n", K1, K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:2: key listed twice (first on line 1)");

	/* every problem, not only the first */
	snprintf(text, sizeof text, "x desk d\n%s boss b\n", K1);
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("clients:1:");
	ASSERT_ERR("clients:2:");
}
END_TEST

/* An estate's list: a thousand handhelds, each found by its own key. */
START_TEST(a_thousand_keys_are_each_found)
{
	enum { N = 1000 };
	static char pub[N][41], text[N * 64];
	char secret[41];
	size_t used = 0;
	keys_list_t *k;

	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(zmq_curve_keypair(pub[i], secret), 0);
		used += (size_t)snprintf(text + used, sizeof text - used, "%s crew M%d\n", pub[i], i);
	}
	k = parse(text);
	ck_assert_msg(k != NULL, "%s", err);
	ck_assert_uint_eq(k->n, N);
	for (int i = 0; i < N; i++) {
		const struct keys_client *c = keys_find(k, pub[i]);
		char id[16];
		ck_assert_ptr_nonnull(c);
		snprintf(id, sizeof id, "M%d", i);
		ck_assert_str_eq(c->identity, id);
		ck_assert_uint_eq(c->line, (unsigned)i + 1);
	}
	ck_assert_ptr_null(keys_find(k, K1));
	keys_destroy(&k);
}
END_TEST

START_TEST(a_key_that_does_not_decode_is_refused)
{
	char text[128];

	/* 40 characters, but '"' is not in the Z85 alphabet */
	snprintf(text, sizeof text, "rq:rM>}U?@Lns47E1%%kR.o@n%%FcmmsL/@{H8]y\"7 desk d1\n");
	ck_assert_ptr_null(parse(text));
	ASSERT_ERR("is not a CURVE public key");
	ck_assert(keys_z85_ok(K1));
	ck_assert(!keys_z85_ok("short"));
}
END_TEST

START_TEST(generated_pairs_read_back_and_stay_secret)
{
	char dir[] = "/tmp/test_keys.XXXXXX", path[256];
	struct keys_pair kp, back;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(keys_generate(dir, "desk-1", &kp, err, sizeof err) == 0, "%s", err);
	snprintf(path, sizeof path, "%s/desk-1.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_msg(keys_read_pair(path, true, &back, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(back.public_key, kp.public_key);
	ck_assert_str_eq(back.secret_key, kp.secret_key);
	/* never overwrites */
	ck_assert_int_ne(keys_generate(dir, "desk-1", NULL, err, sizeof err), 0);
	ASSERT_ERR("never overwrites");
	/* a secret key others may read is refused, naming the file */
	chmod(path, 0644);
	ck_assert_int_ne(keys_read_pair(path, true, &back, err, sizeof err), 0);
	ASSERT_ERR("readable by others");
	ASSERT_ERR(path);
	/* the public half has no secret */
	snprintf(path, sizeof path, "%s/desk-1.pub", dir);
	ck_assert_int_eq(keys_read_pair(path, false, &back, err, sizeof err), 0);
	ck_assert_str_eq(back.public_key, kp.public_key);
	ck_assert_int_ne(keys_read_pair(path, true, &back, err, sizeof err), 0);
	ASSERT_ERR("holds no secret key");
	ck_assert_int_ne(keys_generate(dir, "../escape", NULL, err, sizeof err), 0);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* Write text to dir/name (mode 0600) and read it as a key pair. */
static int read_text(const char *dir, const char *name, const char *text, size_t len, bool need_secret)
{
	char path[256];
	struct keys_pair kp;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	chmod(path, 0600);
	return keys_read_pair(path, need_secret, &kp, err, sizeof err);
}

#define READ_TEXT(dir, name, text, need) read_text(dir, name, text, strlen(text), need)

/* The one reader the daemon and the clients share (clients/lib/keyfile.c)
 * takes the stricter side wherever the two used to differ. */
START_TEST(key_files_are_read_strictly)
{
	char dir[] = "/tmp/test_keys.XXXXXX", text[512], big[KEYFILE_MAX_BYTES + 64];
	struct keys_pair a, b;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(keys_generate(dir, "a", &a, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(keys_generate(dir, "b", &b, err, sizeof err) == 0, "%s", err);
	/* blank lines, comments, blanks around '=' and a CRLF are fine */
	snprintf(text, sizeof text, "# a\r\n\n  public-key=%s\r\nsecret-key =  %s  \n", a.public_key, a.secret_key);
	ck_assert_msg(READ_TEXT(dir, "ok.key", text, true) == 0, "%s", err);
	/* an unknown setting (the client library used to skip it) */
	snprintf(text, sizeof text, "public-key = %s\nsecret-kee = %s\n", a.public_key, a.secret_key);
	ck_assert_int_ne(READ_TEXT(dir, "typo.key", text, true), 0);
	ASSERT_ERR("typo.key:2: unknown setting 'secret-kee'");
	snprintf(text, sizeof text, "public-key = %s\nsecret_key = %s\n", a.public_key, a.secret_key);
	ck_assert_int_ne(READ_TEXT(dir, "under.key", text, true), 0);
	ASSERT_ERR("under.key:2: unknown setting 'secret_key'");
	/* halves of two different pairs (the client library never checked) */
	snprintf(text, sizeof text, "public-key = %s\nsecret-key = %s\n", a.public_key, b.secret_key);
	ck_assert_int_ne(READ_TEXT(dir, "mixed.key", text, true), 0);
	ASSERT_ERR("does not belong to the secret key");
	/* a key given twice: which one was meant? */
	snprintf(text, sizeof text, "public-key = %s\npublic-key = %s\n", a.public_key, b.public_key);
	ck_assert_int_ne(READ_TEXT(dir, "twice.pub", text, false), 0);
	ASSERT_ERR("twice.pub:2: public-key given twice (first on line 1)");
	/* text after the key (both readers used to drop it) */
	snprintf(text, sizeof text, "public-key = %s # mine\n", a.public_key);
	ck_assert_int_ne(READ_TEXT(dir, "trail.pub", text, false), 0);
	ASSERT_ERR("trail.pub:1: text after the key");
	/* not Z85, and no '=' at all */
	ck_assert_int_ne(READ_TEXT(dir, "short.pub", "public-key = abc\n", false), 0);
	ASSERT_ERR("short.pub:1: public-key is not a CURVE key");
	ck_assert_int_ne(READ_TEXT(dir, "word.pub", "hello\n", false), 0);
	ASSERT_ERR("word.pub:1: expected 'public-key = KEY' or 'secret-key = KEY'");
	/* a NUL byte, and a file far larger than a key file */
	snprintf(text, sizeof text, "public-key = %s\n", a.public_key);
	text[strlen(text)] = '\0';
	ck_assert_int_ne(read_text(dir, "nul.pub", text, strlen(text) + 1, false), 0);
	ASSERT_ERR("holds a NUL byte");
	memset(big, '#', sizeof big);
	big[sizeof big - 1] = '\n';
	ck_assert_int_ne(read_text(dir, "big.pub", big, sizeof big, false), 0);
	ASSERT_ERR("too large for a key file");
	/* an empty file has no public key */
	ck_assert_int_ne(READ_TEXT(dir, "empty.pub", "", false), 0);
	ASSERT_ERR("no 'public-key = KEY' line");
	snprintf(text, sizeof text, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(text), 0);
}
END_TEST

static int allow(Dispatch__Role role, Dispatch__Request__BodyCase body, Dispatch__Action action)
{
	struct auth_who who = { .authenticated = true, .role = role };
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	char msg[256];

	snprintf(who.identity, sizeof who.identity, "someone");
	req.body_case = body;
	tr.action = action;
	req.transition = &tr;
	return command_allow_key(&who, &req, msg, sizeof msg);
}

START_TEST(policy_by_role_default_deny)
{
	struct auth_who anon = { .authenticated = false };
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	char msg[256];

	ck_assert_int_eq(allow(DISPATCH__ROLE__ROLE_DESK, DISPATCH__REQUEST__BODY_SUBMIT, 0), 0);
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_MONITOR, DISPATCH__REQUEST__BODY_SUBMIT, 0), 0);
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_SUPERVISOR, DISPATCH__REQUEST__BODY_SUBMIT, 0), 0);
	ck_assert_int_eq(allow(DISPATCH__ROLE__ROLE_QC, DISPATCH__REQUEST__BODY_LIST, 0), 0);
	ck_assert_int_eq(
		allow(DISPATCH__ROLE__ROLE_CREW, DISPATCH__REQUEST__BODY_TRANSITION, DISPATCH__ACTION__ACTION_ACCEPT),
		0);
	ck_assert_int_ne(
		allow(DISPATCH__ROLE__ROLE_CREW, DISPATCH__REQUEST__BODY_TRANSITION, DISPATCH__ACTION__ACTION_CANCEL),
		0);
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_SUPERVISOR, DISPATCH__REQUEST__BODY_TRANSITION,
			       DISPATCH__ACTION__ACTION_CANCEL),
			 0);
	ck_assert_int_eq(allow(DISPATCH__ROLE__ROLE_SUPERVISOR, DISPATCH__REQUEST__BODY_TRANSITION,
			       DISPATCH__ACTION__ACTION_ASSIGN),
			 0);
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_MONITOR, DISPATCH__REQUEST__BODY_TRANSITION,
			       DISPATCH__ACTION__ACTION_ASSIGN),
			 0);
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_ADMIN, DISPATCH__REQUEST__BODY_DECLARE_OUTAGE, 0), 0);
	/* unknown request types: refused while keys are in use (actions are
	 * the transition table's to refuse) */
	ck_assert_int_ne(allow(DISPATCH__ROLE__ROLE_DESK, (Dispatch__Request__BodyCase)39, 0), 0);
	/* ... and left to the rest of the daemon without them (ipc) */
	req.body_case = (Dispatch__Request__BodyCase)39;
	ck_assert_int_eq(command_allow_key(&anon, &req, msg, sizeof msg), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parses_keys_roles_and_identities);
	tcase_add_test(tc, errors_name_file_and_line);
	tcase_add_test(tc, a_key_that_does_not_decode_is_refused);
	tcase_add_test(tc, a_thousand_keys_are_each_found);
	tcase_add_test(tc, generated_pairs_read_back_and_stay_secret);
	tcase_add_test(tc, key_files_are_read_strictly);
	tcase_add_test(tc, policy_by_role_default_deny);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
