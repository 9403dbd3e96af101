/*
 * config: reading and writing the shared settings file; see config.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *config_dir(void) {
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *path = NULL;

	/* the XDG spec says a relative XDG_CONFIG_HOME is invalid: ignore it */
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&path, "%s/crm", xdg) < 0)
			path = NULL;
	} else if (home != NULL && home[0] != '\0') {
		if (asprintf(&path, "%s/.config/crm", home) < 0)
			path = NULL;
	}
	return path;
}

char *crm_config_sibling_path(const char *name) {
	char *dir = config_dir(), *path = NULL;

	if (dir != NULL && asprintf(&path, "%s/%s", dir, name) < 0)
		path = NULL;
	free(dir);
	return path;
}

char *crm_config_path(void) { return crm_config_sibling_path("config"); }

char *crm_config_resolve_path(const char *value, const char *base) {
	const char *home = getenv("HOME");
	char *out = NULL;
	int n;

	if (value[0] == '~' && value[1] == '/' && home != NULL)
		n = asprintf(&out, "%s%s", home, value + 1);
	else if (value[0] != '/' && base != NULL)
		n = asprintf(&out, "%s/%s", base, value);
	else
		n = asprintf(&out, "%s", value);
	return n < 0 ? NULL : out;
}

static char *trim(char *s) {
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Splits a line in place; false for a line that is not `key = value`.
 * *key is NULL for a blank line or a comment. */
static bool split(char *line, char **key, char **value) {
	char *eq;
	size_t n;

	*key = *value = NULL;
	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return true;
	eq = strchr(line, '=');
	if (eq == NULL)
		return false;
	*eq = '\0';
	*key = trim(line);
	*value = trim(eq + 1);
	n = strlen(*value);
	if (n >= 2 && (*value)[0] == '"' && (*value)[n - 1] == '"') {
		(*value)[n - 1] = '\0';
		(*value)++;
	}
	return true;
}

int crm_config_load(const char *path, crm_config_fn fn, void *userdata,
		    char why[CRM_CONFIG_WHY_MAX]) {
	char *line = NULL, *base, *slash, *key, *value, origin[512];
	size_t cap = 0;
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	why[0] = '\0';
	if (f == NULL && errno == ENOENT)
		return 0;
	if (f == NULL) {
		snprintf(why, CRM_CONFIG_WHY_MAX, "%s: cannot read it: %s", path, strerror(errno));
		return -1;
	}
	base = strdup(path);
	slash = base ? strrchr(base, '/') : NULL;
	if (slash != NULL)
		*slash = '\0';
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		snprintf(origin, sizeof(origin), "%s:%d", path, ++lineno);
		if (!split(line, &key, &value)) {
			/* the line may be long: say its first 80 bytes */
			snprintf(why, CRM_CONFIG_WHY_MAX, "%s: expected 'key = value', got '%.80s'",
				 origin, trim(line));
			rc = -1;
		} else if (key != NULL) {
			rc = fn(userdata, key, value, origin, slash ? base : NULL);
		}
	}
	free(line);
	free(base);
	fclose(f);
	return rc;
}

/* ---------------------------------------------------------------- saving */

static bool make_dirs(const char *path, char *why) {
	char *dir = strdup(path), *p;
	bool ok = true;

	if (dir == NULL)
		return snprintf(why, CRM_CONFIG_WHY_MAX, "out of memory") < 0;
	p = strrchr(dir, '/');
	if (p != NULL && p != dir) {
		*p = '\0';
		for (p = dir + 1; ok; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				snprintf(why, CRM_CONFIG_WHY_MAX, "cannot create the folder %s: %s",
					 dir, strerror(errno));
				ok = false;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
	return ok;
}

static ssize_t key_index(const char *line, const char *const *keys, size_t n) {
	char *copy = strdup(line), *key, *value;
	ssize_t found = -1;

	if (copy != NULL && split(copy, &key, &value) && key != NULL)
		for (size_t i = 0; i < n && found < 0; i++)
			if (strcmp(keys[i], key) == 0)
				found = (ssize_t)i;
	free(copy);
	return found;
}

/* The old file's lines with the keys replaced, then the keys it lacked. */
static bool build(const char *path, const char *const *keys, const char *const *values,
		  size_t n, FILE *out) {
	bool *done = calloc(n ? n : 1, sizeof(bool));
	char *line = NULL;
	size_t cap = 0;
	FILE *in = fopen(path, "r");
	ssize_t i;

	if (done == NULL)
		return false;
	while (in != NULL && getline(&line, &cap, in) >= 0) {
		i = key_index(line, keys, n);
		if (i < 0) {
			fputs(line, out);
			if (line[0] != '\0' && line[strlen(line) - 1] != '\n')
				fputc('\n', out);
		} else if (!done[i] && values[i] != NULL) {
			fprintf(out, "%s = \"%s\"\n", keys[i], values[i]);
		}
		if (i >= 0)
			done[i] = true;
	}
	for (size_t k = 0; k < n; k++)
		if (!done[k] && values[k] != NULL)
			fprintf(out, "%s = \"%s\"\n", keys[k], values[k]);
	free(line);
	free(done);
	if (in != NULL)
		fclose(in);
	return true;
}

bool crm_config_save(const char *path, const char *const *keys, const char *const *values,
		     size_t n, char why[CRM_CONFIG_WHY_MAX]) {
	char *tmp = NULL;
	FILE *out = NULL;
	bool ok = false;
	int fd = -1;

	why[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (values[i] != NULL && strpbrk(values[i], "\"\n\r") != NULL) {
			snprintf(why, CRM_CONFIG_WHY_MAX, "%s cannot hold a quote or a line break",
				 keys[i]);
			return false;
		}
	if (!make_dirs(path, why))
		return false;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		snprintf(why, CRM_CONFIG_WHY_MAX, "out of memory");
		return false;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0644) == 0)
		out = fdopen(fd, "w");
	if (out == NULL) {
		snprintf(why, CRM_CONFIG_WHY_MAX, "cannot write %s: %s", path, strerror(errno));
		goto cleanup;
	}
	fd = -1;
	ok = build(path, keys, values, n, out) && fflush(out) == 0 && fsync(fileno(out)) == 0;
	ok = fclose(out) == 0 && ok;
	out = NULL;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		snprintf(why, CRM_CONFIG_WHY_MAX, "cannot write %s: %s", path, strerror(errno));
cleanup:
	if (fd >= 0)
		close(fd);
	if (!ok && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return ok;
}
