/*
 * settings: where `crm` gets its server, CA and format from. Three
 * sources, each overriding the one before: the config file, the
 * environment, the global flags. The config file is `key = value` lines;
 * blank lines and lines starting with # are ignored; a value may be put in
 * double quotes; relative paths in it are relative to the file's folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


char *crm_cli_config_path(void) {
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *path = NULL;

	/* the XDG spec says a relative XDG_CONFIG_HOME is invalid: ignore it */
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&path, "%s/crm/config", xdg) < 0)
			path = NULL;
	} else if (home != NULL && home[0] != '\0') {
		if (asprintf(&path, "%s/.config/crm/config", home) < 0)
			path = NULL;
	}
	return path;
}

static bool is_path_key(const char *key) {
	return strcmp(key, "ca") == 0 || strcmp(key, "cert") == 0 || strcmp(key, "key") == 0;
}

/* A path from the config file: ~/ is the home folder, relative paths are
 * relative to base (the config file's folder). */
static char *resolve_path(const char *value, const char *base) {
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

static int bad(const char *origin, const char *fmt, const char *arg) {
	fprintf(stderr, _("crm: error: %s: "), origin);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return CRM_EXIT_USAGE;
}

static bool replace(char **slot, char *value) {
	if (value == NULL)
		return false;
	free(*slot);
	*slot = value;
	return true;
}

/* One setting from any source. base: folder for relative paths, or NULL. */
static int apply(struct crm_cli *cli, const char *key, const char *value, const char *origin,
		 const char *base) {
	char *end;
	long v;

	if (strcmp(key, "format") == 0)
		return crm_format_parse(value, &cli->format)
			       ? 0
			       : bad(origin, _("format must be table, json or csv, not '%s'"), value);
	if (strcmp(key, "timeout") == 0) {
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v <= 0 || v > 86400000)
			return bad(origin, _("timeout must be a number of milliseconds, not '%s'"),
				   value);
		cli->timeout_ms = (int)v;
		return 0;
	}
	if (strcmp(key, "server") == 0)
		return replace(&cli->server, strdup(value)) ? 0 : bad(origin, "%s", _("out of memory"));
	if (is_path_key(key)) {
		char **slot = strcmp(key, "ca") == 0     ? &cli->ca
			      : strcmp(key, "cert") == 0 ? &cli->cert
							 : &cli->key;
		if (value[0] == '\0')
			return bad(origin, _("%s needs a file name"), key);
		return replace(slot, resolve_path(value, base)) ? 0
								: bad(origin, "%s", _("out of memory"));
	}
	return bad(origin, _("unknown key '%s'; the keys are server, ca, cert, key, format, timeout"), key);
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

static int file_line(struct crm_cli *cli, char *line, const char *origin, const char *base) {
	char *eq, *key, *value;
	size_t n;

	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL)
		return bad(origin, "expected 'key = value', got '%s'", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	n = strlen(value);
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		value[n - 1] = '\0';
		value++;
	}
	return apply(cli, key, value, origin, base);
}

static int load_file(struct crm_cli *cli, const char *path) {
	char *line = NULL, *base, *slash, origin[512];
	size_t cap = 0;
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return errno == ENOENT ? 0 : bad(path, _("cannot read it: %s"), strerror(errno));
	base = strdup(path);
	slash = base ? strrchr(base, '/') : NULL;
	if (slash != NULL)
		*slash = '\0';
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		snprintf(origin, sizeof(origin), "%s:%d", path, ++lineno);
		rc = file_line(cli, line, origin, slash ? base : NULL);
	}
	free(line);
	free(base);
	fclose(f);
	return rc;
}

static int apply_env(struct crm_cli *cli) {
	static const struct {
		const char *env, *key;
	} vars[] = {{"CRM_SERVER", "server"}, {"CRM_CA", "ca"}, {"CRM_CERT", "cert"},
		    {"CRM_KEY", "key"}};
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i].env);
		if (v == NULL || v[0] == '\0')
			continue;
		rc = apply(cli, vars[i].key, v, vars[i].env, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int apply_flags(struct crm_cli *cli, const struct crm_cli_flags *fl) {
	const struct {
		const char *value, *key, *flag;
	} vals[] = {{fl->server, "server", "--server"}, {fl->ca, "ca", "--ca"},
		    {fl->cert, "cert", "--cert"},       {fl->key, "key", "--key"},
		    {fl->format, "format", "--format"}, {fl->timeout, "timeout", "--timeout"}};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (vals[i].value == NULL)
			continue;
		rc = apply(cli, vals[i].key, vals[i].value, vals[i].flag, NULL);
		if (rc != 0)
			return rc;
	}
	cli->csv_raw = fl->csv_raw;
	return 0;
}

int crm_cli_setting_flag(struct crm_cli *cli, const char *key, const char *value) {
	char origin[32];

	if (strcmp(key, "raw") == 0) {
		cli->csv_raw = true;
		return 0;
	}
	snprintf(origin, sizeof(origin), "--%s", key);
	return apply(cli, key, value, origin, NULL);
}

int crm_cli_settings(struct crm_cli *cli, const struct crm_cli_flags *flags) {
	char *path = crm_cli_config_path();
	int rc = path ? load_file(cli, path) : 0;

	free(path);
	if (rc == 0)
		rc = apply_env(cli);
	if (rc == 0)
		rc = apply_flags(cli, flags);
	return rc;
}
