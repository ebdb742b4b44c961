/* keys: CURVE key files and the clients list (see keys.h); the key files
 * themselves are read by keyfile.c, which the clients share. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "keyfile.h"
#include "xalloc.h"

#define KEYS_FILE_MAX (1024 * 1024) /* a clients list of some thousands of keys */

static const char *const keys_roles[] = {
	[DISPATCH__ROLE__ROLE_DESK] = "desk",
	[DISPATCH__ROLE__ROLE_CREW] = "crew",
	[DISPATCH__ROLE__ROLE_MONITOR] = "monitor",
	[DISPATCH__ROLE__ROLE_QC] = "qc",
	[DISPATCH__ROLE__ROLE_SUPERVISOR] = "supervisor",
	[DISPATCH__ROLE__ROLE_ADMIN] = "admin",
	[DISPATCH__ROLE__ROLE_RESIDENT] = "resident", /* the web gateway's key for the residents' pages */
};

int keys_role_parse(const char *word, Dispatch__Role *out)
{
	for (size_t i = 0; i < sizeof keys_roles / sizeof keys_roles[0]; i++)
		if (keys_roles[i] && strcmp(keys_roles[i], word) == 0) {
			*out = (Dispatch__Role)i;
			return 0;
		}
	return -1;
}

const char *keys_role_word(Dispatch__Role role)
{
	if ((size_t)role < sizeof keys_roles / sizeof keys_roles[0] && keys_roles[role])
		return keys_roles[role];
	return "unknown";
}

bool keys_z85_ok(const char *s)
{
	return keyfile_z85_ok(s);
}

static bool keys_identity_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > KEYS_IDENTITY_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return false;
	return true;
}

/* Read a whole (small) file; NUL-terminated. */
static char *keys_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, got;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(KEYS_FILE_MAX + 1);
	while ((got = fread(data + n, 1, KEYS_FILE_MAX - n, f)) > 0)
		n += got;
	if (ferror(f) || n == KEYS_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? strerror(errno) : "too large for a key file (1 MiB or more)");
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* The format is shared with the clients: keyfile.c reads it for both. */
int keys_read_pair(const char *path, bool need_secret, struct keys_pair *out, char *err, size_t errlen)
{
	struct keyfile_pair kp;

	memset(out, 0, sizeof *out);
	if (keyfile_read(path, need_secret, &kp, err, errlen) != 0)
		return -1;
	memcpy(out->public_key, kp.public_key, sizeof out->public_key);
	memcpy(out->secret_key, kp.secret_key, sizeof out->secret_key);
	explicit_bzero(&kp, sizeof kp);
	return 0;
}

static int keys_write(const char *path, mode_t mode, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (dispatchd never overwrites a key; remove it first to replace it)" : "");
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int keys_generate(const char *dir, const char *name, struct keys_pair *out, char *err, size_t errlen)
{
	char path[4096], text[512];
	struct keys_pair kp;

	if (!keys_identity_ok(name)) {
		snprintf(err, errlen, "key name '%s': use 1 to %d letters, digits, '-' or '_'", name,
			 KEYS_IDENTITY_MAX);
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the key directory: %s", dir, strerror(errno));
		return -1;
	}
	if (zmq_curve_keypair(kp.public_key, kp.secret_key) != 0) {
		snprintf(err, errlen, "cannot make a CURVE key pair: %s (is libzmq built with CURVE?)",
			 zmq_strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	snprintf(text, sizeof text,
		 "# dispatchd CURVE key pair \"%s\": keep it secret (mode 0600)\npublic-key = %s\nsecret-key = %s\n",
		 name, kp.public_key, kp.secret_key);
	if (keys_write(path, 0600, text, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s.pub", dir, name);
	snprintf(text, sizeof text, "# dispatchd CURVE public key \"%s\"\npublic-key = %s\n", name, kp.public_key);
	if (keys_write(path, 0644, text, err, errlen) != 0) {
		snprintf(path, sizeof path, "%s/%s.key", dir, name);
		unlink(path);
		return -1;
	}
	if (out)
		*out = kp;
	return 0;
}

static void keys_problem(char *err, size_t errlen, size_t *used, unsigned *problems, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void keys_problem(char *err, size_t errlen, size_t *used, unsigned *problems, const char *fmt, ...)
{
	va_list ap;
	int n;

	(*problems)++;
	if (*used >= errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err + *used, errlen - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n < errlen - *used ? (size_t)n : errlen - *used;
}

static int keys_cmp(const void *a, const void *b)
{
	const struct keys_client *x = a, *y = b;
	int c = strcmp(x->public_key, y->public_key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

keys_list_t *keys_parse(const char *name, const char *data, size_t len, char *err, size_t errlen)
{
	keys_list_t *k = xcalloc(1, sizeof *k);
	char *copy = xmalloc(len + 1), *p = copy, *line;
	size_t cap = 0, used = 0;
	unsigned lineno = 0, problems = 0;

	memcpy(copy, data, len);
	copy[len] = '\0';
	if (errlen)
		err[0] = '\0';
	if (memchr(data, '\0', len) != NULL)
		keys_problem(err, errlen, &used, &problems, "%s: holds a NUL byte; is it a text file?\n", name);
	while ((line = keyfile_next_line(&p)) != NULL) {
		char key[64], role[32], id[64], extra[8];
		struct keys_client *c;
		Dispatch__Role r;
		int n;

		lineno++;
		if (*line == '\0' || *line == '#')
			continue;
		n = sscanf(line, "%63s %31s %63s %7s", key, role, id, extra);
		if (n < 3) {
			keys_problem(err, errlen, &used, &problems,
				     "%s:%u: expected 'PUBLIC-KEY ROLE IDENTITY' (three words), found %d\n", name,
				     lineno, n < 0 ? 0 : n);
			continue;
		}
		if (n == 4 && extra[0] != '#') {
			keys_problem(err, errlen, &used, &problems,
				     "%s:%u: more than three words; a comment needs '#' at the start of a line\n", name,
				     lineno);
			continue;
		}
		if (!keys_z85_ok(key)) {
			keys_problem(
				err, errlen, &used, &problems,
				"%s:%u: '%.50s' is not a CURVE public key (40 characters of Z85, as in a .pub file)\n",
				name, lineno, key);
			continue;
		}
		if (keys_role_parse(role, &r) != 0) {
			keys_problem(err, errlen, &used, &problems,
				     "%s:%u: unknown role '%s'; use desk, crew, monitor, qc, supervisor, admin or "
				     "resident\n",
				     name, lineno, role);
			continue;
		}
		if (!keys_identity_ok(id)) {
			keys_problem(err, errlen, &used, &problems,
				     "%s:%u: identity '%.40s': use 1 to %d letters, digits, '-' or '_'\n", name, lineno,
				     id, KEYS_IDENTITY_MAX);
			continue;
		}
		if (k->n == cap)
			k->v = xrealloc(k->v, (cap = cap ? cap * 2 : 16) * sizeof *k->v);
		c = &k->v[k->n++];
		memcpy(c->public_key, key, KEYS_Z85_LEN + 1);
		c->role = r;
		snprintf(c->identity, sizeof c->identity, "%.32s", id); /* keys_identity_ok: at most 32 */
		c->line = lineno;
	}
	free(copy);
	/* Sorted by key (then line), so that keys_find() is a binary search:
	 * it runs on every request, and an estate may list a thousand keys. */
	if (k->n > 1)
		qsort(k->v, k->n, sizeof *k->v, keys_cmp);
	for (size_t i = 1; i < k->n; i++) {
		size_t first = i - 1;
		while (first > 0 && strcmp(k->v[first - 1].public_key, k->v[i].public_key) == 0)
			first--;
		if (strcmp(k->v[i - 1].public_key, k->v[i].public_key) == 0)
			keys_problem(err, errlen, &used, &problems, "%s:%u: key listed twice (first on line %u)\n",
				     name, k->v[i].line, k->v[first].line);
	}
	if (problems) {
		keys_destroy(&k);
		return NULL;
	}
	return k;
}

keys_list_t *keys_load(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *data = keys_slurp(path, &len, err, errlen);
	keys_list_t *k;

	if (data == NULL)
		return NULL;
	k = keys_parse(path, data, len, err, errlen);
	free(data);
	return k;
}

void keys_destroy(keys_list_t **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	free((*kp)->v);
	free(*kp);
	*kp = NULL;
}

const struct keys_client *keys_find(const keys_list_t *k, const char *public_key)
{
	size_t lo = 0, hi = k ? k->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->v[mid].public_key, public_key);
		if (c == 0)
			return &k->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
