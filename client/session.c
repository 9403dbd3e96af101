/*
 * session: reading and writing the session file. See session.h for the
 * rules; the comments here say how they are kept.
 */
#include "session.h"
#include "i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

char *crm_session_path(void) {
	const char *env = getenv("CRM_SESSION_FILE"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;
	int n = -1;

	if (env != NULL && env[0] != '\0')
		n = asprintf(&path, "%s", env);
	else if (xdg != NULL && xdg[0] == '/') /* a relative XDG_CONFIG_HOME is invalid */
		n = asprintf(&path, "%s/crm/session", xdg);
	else if (home != NULL && home[0] != '\0')
		n = asprintf(&path, "%s/.config/crm/session", home);
	return n < 0 ? NULL : path;
}

void crm_session_clear(crm_session *s) {
	if (s->token != NULL)
		OPENSSL_cleanse(s->token, strlen(s->token));
	free(s->token);
	free(s->server);
	free(s->username);
	free(s->locale);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- loading */

/* Explains which of group/others may read or write. */
static void describe_mode(mode_t mode, char *out, size_t outsz) {
	bool r = mode & (S_IRGRP | S_IROTH), w = mode & (S_IWGRP | S_IWOTH);
	bool g = mode & (S_IRWXG), o = mode & (S_IRWXO);

	const char *what = r && w ? _("readable and writable") : r ? _("readable")
				 : w	  ? _("writable")
					  : _("accessible");
	const char *who = g && o ? _("its group and other users") : g ? _("its group")
								     : _("other users");

	/* TRANSLATORS: "readable by its group": what, then who */
	snprintf(out, outsz, _("%s by %s"), what, who);
}

/* The checks on an open file: ours, a regular file, private. */
static crm_session_status check_file(int fd, const char *path, char *why) {
	char how[96];
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("cannot check the session file %s: %s"), path,
			 strerror(errno));
		return CRM_SESSION_BAD;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, CRM_SESSION_WHY_MAX,
			 _("the session file %s is not a regular file, so it was not used; remove it "
			 "and run `crm login`"),
			 path);
		return CRM_SESSION_UNSAFE;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, CRM_SESSION_WHY_MAX,
			 _("the session file %s belongs to another user (uid %ld), so it was not "
			 "used; remove it and run `crm login`"),
			 path, (long)st.st_uid);
		return CRM_SESSION_UNSAFE;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		describe_mode(st.st_mode, how, sizeof(how));
		snprintf(why, CRM_SESSION_WHY_MAX,
			 _("the session file %s is %s (mode %04o), so its token was not used: a "
			 "session token must be private. Fix it with `chmod 600 %s` (or run `crm "
			 "login` again)"),
			 path, how, (unsigned)(st.st_mode & 07777), path);
		return CRM_SESSION_UNSAFE;
	}
	return CRM_SESSION_OK;
}

static bool set_value(crm_session *s, const char *key, const char *value) {
	char **slot = NULL, *end;

	if (strcmp(key, "session_id") == 0) {
		errno = 0;
		s->session_id = strtoll(value, &end, 10);
		return errno == 0 && end != value && *end == '\0' && s->session_id >= 0;
	}
	if (strcmp(key, "server") == 0)
		slot = &s->server;
	else if (strcmp(key, "username") == 0)
		slot = &s->username;
	else if (strcmp(key, "token") == 0)
		slot = &s->token;
	else if (strcmp(key, "locale") == 0)
		slot = &s->locale;
	else
		return true; /* a newer crm may write more: ignore what we do not know */
	free(*slot);
	*slot = strdup(value);
	return *slot != NULL;
}

/* Parses `key = value` lines in place. */
static bool parse(crm_session *s, char *text) {
	char *line, *save = NULL, *eq, *key, *value, *e;

	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			return false;
		for (e = eq; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		key = line;
		for (value = eq + 1; *value == ' ' || *value == '\t'; value++)
			;
		for (e = value + strlen(value); e > value && (e[-1] == ' ' || e[-1] == '\t' ||
							     e[-1] == '\r');
		     e--)
			;
		*e = '\0';
		if (!set_value(s, key, value))
			return false;
	}
	return s->server != NULL && s->server[0] && s->token != NULL && s->token[0];
}

crm_session_status crm_session_load(const char *path, crm_session *s,
				    char why[CRM_SESSION_WHY_MAX]) {
	char buf[CRM_SESSION_FILE_MAX + 1];
	crm_session_status st;
	ssize_t n;
	size_t len = 0;
	int fd;

	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	/* O_NOFOLLOW: a symbolic link planted in our place is refused;
	 * O_NONBLOCK: a FIFO planted there cannot hang us before fstat */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return CRM_SESSION_NONE;
	if (fd < 0 && errno == ELOOP) {
		snprintf(why, CRM_SESSION_WHY_MAX,
			 _("the session file %s is a symbolic link, so it was not used; remove it "
			 "and run `crm login`"),
			 path);
		return CRM_SESSION_UNSAFE;
	}
	if (fd < 0) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("cannot read the session file %s: %s"), path,
			 strerror(errno));
		return CRM_SESSION_BAD;
	}
	st = check_file(fd, path, why);
	while (st == CRM_SESSION_OK && len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, CRM_SESSION_WHY_MAX, _("cannot read the session file %s: %s"),
				 path, strerror(errno));
			st = CRM_SESSION_BAD;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (st == CRM_SESSION_OK) {
		buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
		if (len >= sizeof(buf) || memchr(buf, '\0', len) != NULL || !parse(s, buf)) {
			snprintf(why, CRM_SESSION_WHY_MAX,
				 _("%s is not a session file crm wrote; remove it and run `crm login`"),
				 path);
			crm_session_clear(s);
			st = CRM_SESSION_BAD;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return st;
}

/* ---------------------------------------------------------------- saving */

/* Creates the missing folders above path, each 0700. */
static bool make_parents(const char *path, char *why) {
	char *dir = strdup(path), *p;
	bool ok = true;

	if (dir == NULL) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("out of memory"));
		return false;
	}
	p = strrchr(dir, '/');
	if (p == NULL || p == dir) { /* in the current folder, or in / */
		free(dir);
		return true;
	}
	*p = '\0';
	for (p = dir + 1; ok; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(why, CRM_SESSION_WHY_MAX, _("cannot create the folder %s: %s"), dir,
				 strerror(errno));
			ok = false;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return ok;
}

static bool one_line(const char *v) { return v == NULL || strpbrk(v, "\n\r") == NULL; }

static bool write_all(int fd, const char *p, size_t n) {
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool crm_session_save(const char *path, const crm_session *s, char why[CRM_SESSION_WHY_MAX]) {
	char *tmp = NULL, *text = NULL;
	bool created = false, ok = false;
	int fd = -1, n;

	why[0] = '\0';
	if (s->server == NULL || s->token == NULL || !one_line(s->server) ||
	    !one_line(s->username) || !one_line(s->token) || !one_line(s->locale)) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("the session cannot be stored: bad values"));
		return false;
	}
	n = asprintf(&text,
		     "# crm session: written by `crm login`; keep it private (mode 0600)\n"
		     "server = %s\nusername = %s\nsession_id = %" PRId64 "\nlocale = %s\ntoken = %s\n",
		     s->server, s->username ? s->username : "", s->session_id,
		     s->locale ? s->locale : "", s->token);
	if (n < 0)
		text = NULL; /* asprintf leaves it undefined on failure */
	if (n >= 0 && asprintf(&tmp, "%s.XXXXXX", path) < 0)
		tmp = NULL;
	if (text == NULL || tmp == NULL) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("out of memory"));
		goto cleanup;
	}
	if (!make_parents(path, why))
		goto cleanup;
	/* mkostemp: O_CREAT | O_EXCL, mode 0600; fchmod in case of an odd umask */
	fd = mkostemp(tmp, O_CLOEXEC);
	created = fd >= 0;
	if (fd < 0 || fchmod(fd, 0600) != 0 || !write_all(fd, text, (size_t)n) ||
	    fsync(fd) != 0) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("cannot write the session file %s: %s"), path,
			 strerror(errno));
		goto cleanup;
	}
	n = close(fd);
	fd = -1;
	if (n != 0 || rename(tmp, path) != 0) {
		snprintf(why, CRM_SESSION_WHY_MAX, _("cannot write the session file %s: %s"), path,
			 strerror(errno));
		goto cleanup;
	}
	ok = true;
cleanup:
	if (fd >= 0)
		close(fd);
	if (!ok && created)
		unlink(tmp);
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	free(tmp);
	return ok;
}

bool crm_session_remove(const char *path, char why[CRM_SESSION_WHY_MAX]) {
	why[0] = '\0';
	if (unlink(path) == 0 || errno == ENOENT)
		return true;
	snprintf(why, CRM_SESSION_WHY_MAX, _("cannot remove the session file %s: %s"), path,
		 strerror(errno));
	return false;
}
