/*
 * settings: where `crm` gets its server, CA and format from. Three
 * sources, each overriding the one before: the config file (read by
 * client/config.c, which crm-desktop shares), the environment, the global
 * flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"


static bool is_path_key(const char *key) {
	return strcmp(key, "ca") == 0 || strcmp(key, "cert") == 0 || strcmp(key, "key") == 0;
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
		return replace(slot, crm_config_resolve_path(value, base)) ? 0
								: bad(origin, "%s", _("out of memory"));
	}
	return bad(origin, _("unknown key '%s'; the keys are server, ca, cert, key, format, timeout"), key);
}

/* crm_config_load's callback: one line of the config file. */
static int file_line(void *cli, const char *key, const char *value, const char *origin,
		     const char *base) {
	return apply(cli, key, value, origin, base);
}

static int load_file(struct crm_cli *cli, const char *path) {
	char why[CRM_CONFIG_WHY_MAX];
	int rc = crm_config_load(path, file_line, cli, why);

	if (rc < 0) {
		fprintf(stderr, _("crm: error: %s\n"), why);
		return CRM_EXIT_USAGE;
	}
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
	char *path = crm_config_path();
	int rc = path ? load_file(cli, path) : 0;

	free(path);
	if (rc == 0)
		rc = apply_env(cli);
	if (rc == 0)
		rc = apply_flags(cli, flags);
	return rc;
}
