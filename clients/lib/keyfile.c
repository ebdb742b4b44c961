/*
 * keyfile: CURVE key files, read the same way by the daemon and the
 * clients (see keyfile.h for the format).
 *
 * Design: the whole file is read into a buffer on the stack (a key file is
 * tiny; a larger one is not a key file) through one descriptor, so that
 * the mode that is checked is the mode of the file that was read. Lines
 * are then cut in place. Until issue 16 the daemon and the client library
 * each had a reader, and the client's ignored unknown lines and never
 * checked that the two halves belong together: a typo in "secret-key"
 * would pass on one side and fail on the other.
 */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

bool keyfile_z85_ok(const char *s)
{
	uint8_t raw[32];

	return s && strlen(s) == KEYFILE_Z85_LEN && zmq_z85_decode(raw, s) != NULL;
}

/* Read path into buf (NUL-terminated); its mode into *mode. */
static int keyfile_slurp(const char *path, char *buf, size_t size, mode_t *mode, char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	*mode = st.st_mode;
	for (;;) {
		ssize_t got = read(fd, buf + n, size - 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == size - 1) {
			snprintf(err, errlen,
				 "%s: too large for a key file (%zu bytes or more); is it a key file from dispatchd "
				 "--gen-keys?",
				 path, size - 1);
			goto fail;
		}
	}
	close(fd);
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: holds a NUL byte; is it a key file from dispatchd --gen-keys?", path);
		return -1;
	}
	buf[n] = '\0';
	return 0;
fail:
	close(fd);
	return -1;
}

/* Next line of *p (cut in place), without surrounding blanks; NULL at the end. */
char *keyfile_next_line(char **p)
{
	char *line = *p, *end;

	if (line == NULL || *line == '\0')
		return NULL;
	end = strchr(line, '\n');
	if (end) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = line + strlen(line);
	}
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return line;
}

/* Split "name = value": blanks around "=" optional, nothing after the
 * value. A name may hold "_" so that "secret_key" is named in the message
 * as a setting we do not know rather than as a line we cannot read. */
static int keyfile_split(char *line, char **name, char **value, int *trailing)
{
	char *p = line;

	*trailing = 0;
	while ((*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_')
		p++;
	if (p == line)
		return -1;
	*name = line;
	while (*p == ' ' || *p == '\t')
		*p++ = '\0';
	if (*p != '=')
		return -1;
	*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return -1;
	*value = p;
	p += strcspn(p, " \t");
	if (*p) {
		*p = '\0';
		*trailing = 1;
	}
	return 0;
}

int keyfile_read(const char *path, bool need_secret, struct keyfile_pair *out, char *err, size_t errlen)
{
	char data[KEYFILE_MAX_BYTES + 1], *p = data, *line;
	unsigned lineno = 0, pub_line = 0, sec_line = 0;
	mode_t mode = 0;

	memset(out, 0, sizeof *out);
	if (keyfile_slurp(path, data, sizeof data, &mode, err, errlen) != 0)
		return -1;
	while ((line = keyfile_next_line(&p)) != NULL) {
		char *name, *value, *dest;
		unsigned *seen;
		int trailing;

		lineno++;
		if (*line == '\0' || *line == '#')
			continue;
		if (keyfile_split(line, &name, &value, &trailing) != 0) {
			snprintf(err, errlen, "%s:%u: expected 'public-key = KEY' or 'secret-key = KEY'", path, lineno);
			goto fail;
		}
		if (strcmp(name, "public-key") == 0) {
			dest = out->public_key;
			seen = &pub_line;
		} else if (strcmp(name, "secret-key") == 0) {
			dest = out->secret_key;
			seen = &sec_line;
		} else {
			snprintf(err, errlen,
				 "%s:%u: unknown setting '%.32s'; a key file holds public-key and secret-key", path,
				 lineno, name);
			goto fail;
		}
		if (trailing) {
			snprintf(err, errlen, "%s:%u: text after the key; a comment needs '#' at the start of a line",
				 path, lineno);
			goto fail;
		}
		if (!keyfile_z85_ok(value)) {
			snprintf(err, errlen, "%s:%u: %s is not a CURVE key (40 characters of Z85)", path, lineno,
				 name);
			goto fail;
		}
		if (*seen) {
			snprintf(err, errlen, "%s:%u: %s given twice (first on line %u)", path, lineno, name, *seen);
			goto fail;
		}
		*seen = lineno;
		memcpy(dest, value, KEYFILE_Z85_LEN + 1);
	}
	if (out->public_key[0] == '\0') {
		snprintf(err, errlen, "%s: no 'public-key = KEY' line; is this a key file from dispatchd --gen-keys?",
			 path);
		goto fail;
	}
	if (need_secret && out->secret_key[0] == '\0') {
		snprintf(err, errlen, "%s: holds no secret key; name the NAME.key file, not NAME.pub", path);
		goto fail;
	}
	if (need_secret && (mode & 077) != 0) {
		snprintf(err, errlen, "%s: the secret key is readable by others (mode %04o); chmod 600 %s", path,
			 (unsigned)(mode & 07777), path);
		goto fail;
	}
	if (out->secret_key[0]) {
		/* The two halves must belong together. */
		char derived[KEYFILE_Z85_LEN + 1];

		if (zmq_curve_public(derived, out->secret_key) != 0 || strcmp(derived, out->public_key) != 0) {
			snprintf(err, errlen, "%s: the public key does not belong to the secret key", path);
			goto fail;
		}
	}
	explicit_bzero(data, sizeof data); /* the secret key, on the stack */
	return 0;
fail:
	explicit_bzero(data, sizeof data);
	memset(out, 0, sizeof *out);
	return -1;
}
