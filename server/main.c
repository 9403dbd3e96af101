/* crmd: command line. `crmd serve|migrate|check-config --config FILE`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "crm_wire.h"
#include "log.h"
#include "migrate.h"
#include "server.h"

static void usage(FILE *out) {
	fprintf(out,
		"usage: crmd COMMAND --config FILE\n"
		"\n"
		"commands:\n"
		"  serve         run the server (SIGHUP reloads TLS, SIGTERM drains and exits)\n"
		"  migrate       apply pending schema migrations as the db_owner role\n"
		"  check-config  validate the configuration file and exit\n"
		"\n"
		"options:\n"
		"  -c, --config FILE  configuration file (see deploy/crmd.conf.example)\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n");
}

static int load(const char *path, crm_config *cfg) {
	crm_err err;

	crm_err_clear(&err);
	crm_config_defaults(cfg);
	if (!crm_config_load(path, cfg, &err)) {
		fprintf(stderr, "crmd: %s: %s%s%s\n", path, err.field, err.field[0] ? ": " : "",
			err.msg);
		return 2;
	}
	crm_log_set_level(cfg->log_level);
	return 0;
}

int main(int argc, char **argv) {
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {NULL, 0, NULL, 0}};
	static crm_config cfg;
	const char *cmd = NULL, *path = NULL;
	crm_err err;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1 ||
	       (optind < argc && cmd == NULL)) {
		if (c == -1) {
			cmd = argv[optind++];
			continue;
		}
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("crmd %s (protocol %d.%d, schema %d..%d)\n", CRM_VERSION,
			       CRM_PROTO_MAJOR, CRM_PROTO_MINOR, CRM_SCHEMA_MIN,
			       crm_migrations[crm_migrations_count - 1].version);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || cmd == NULL || path == NULL) {
		fprintf(stderr, cmd == NULL ? "crmd: no command given\n"
					    : path == NULL ? "crmd: --config FILE is required\n"
							   : "crmd: unexpected argument\n");
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 &&
	    strcmp(cmd, "check-config") != 0) {
		fprintf(stderr, "crmd: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if ((rc = load(path, &cfg)) != 0)
		return rc;
	if (strcmp(cmd, "check-config") == 0) {
		printf("%s: configuration is valid\n", path);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return crm_serve(path, &cfg);
	crm_err_clear(&err);
	if (!crm_migrate_run(&cfg, &err)) {
		fprintf(stderr, "crmd migrate: %s%s%s\n", err.field, err.field[0] ? ": " : "",
			err.msg);
		return 1;
	}
	return 0;
}
