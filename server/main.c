/* crmd: command line. `crmd serve|migrate|check-config --config FILE`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
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
		"  migrate       apply pending migrations, changed sql/modules and crm.proto's\n"
		"                field facts as db_owner\n"
		"  check-config  validate the configuration file and exit\n"
		"  create-admin USERNAME\n"
		"                create the first administrator; the password is read\n"
		"                from stdin (prompted for, twice, on a terminal)\n"
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
	const char *cmd = NULL, *path = NULL, *arg = NULL;
	crm_err err;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1 ||
	       (optind < argc && cmd == NULL)) {
		if (c == -1) {
			cmd = argv[optind++];
			if (strcmp(cmd, "create-admin") == 0 && optind < argc && argv[optind][0] != '-')
				arg = argv[optind++];
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
	if (cmd && strcmp(cmd, "create-admin") == 0 && arg == NULL && optind < argc)
		arg = argv[optind++];
	if (optind < argc || cmd == NULL || path == NULL) {
		fprintf(stderr, cmd == NULL ? "crmd: no command given\n"
					    : path == NULL ? "crmd: --config FILE is required\n"
							   : "crmd: unexpected argument\n");
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 &&
	    strcmp(cmd, "check-config") != 0 && strcmp(cmd, "create-admin") != 0) {
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
	if (strcmp(cmd, "create-admin") == 0) {
		if (arg == NULL) {
			fprintf(stderr, "crmd create-admin: USERNAME is required\n");
			return 2;
		}
		if (!crm_create_admin(&cfg, arg, &err)) {
			fprintf(stderr, "crmd create-admin: %s%s%s\n", err.field,
				err.field[0] ? ": " : "", err.msg);
			return crm_status_exit_code(err.code);
		}
		return 0;
	}
	if (!crm_migrate_run(&cfg, &err)) {
		fprintf(stderr, "crmd migrate: %s%s%s\n", err.field, err.field[0] ? ": " : "",
			err.msg);
		return 1;
	}
	return 0;
}
