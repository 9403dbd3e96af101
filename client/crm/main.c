/*
 * crm: the command-line client of crmd. This file parses the global
 * options, finds the command in the table (commands.c), answers --help at
 * every level and runs the handler. Everything a command shares is in
 * cli.c; settings in settings.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "crm_wire.h"

static void print_exit_codes(FILE *out) {
	fputs(_("Exit status:\n"
	      "  0   success\n"
	      "  1   failure without a status (output could not be written, session\n"
	      "      file refused or not writable, ...)\n"
	      "  2   usage error (bad command line or settings)\n"),
	      out);
#define X(name, wire, exitc, lvl) \
	if (exitc != 0)           \
		fprintf(out, "  %-3d %s\n", exitc, #name);
	CRM_STATUS_TABLE(X)
#undef X
}

static void print_commands(FILE *out, const char *noun) {
	char name[64];
	size_t i, n;
	const struct crm_cli_command *all = crm_cli_commands(&n);

	for (i = 0; i < n; i++) {
		const struct crm_cli_command *c = &all[i];
		if (noun != NULL && strcmp(noun, c->noun) != 0)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", c->noun, c->verb ? " " : "",
			 c->verb ? c->verb : "");
		fprintf(out, "  %-20s %s\n", name, _(c->summary));
	}
}

static void print_help(void) {
	char *config = crm_config_path(), *session = crm_session_path();

	printf(_("usage: crm [OPTIONS] COMMAND [ARGS]\n"
	       "\n"
	       "The command-line client of crmd, the CRM server.\n"
	       "\n"
	       "Options (before or after the command: crm account list --format json):\n"
	       "  --server HOST:PORT  the server; [ADDRESS]:PORT for IPv6 (or CRM_SERVER)\n"
	       "  --ca FILE           the CA that signed the server's certificate, PEM\n"
	       "                      (or CRM_CA; default: the system's trusted CAs)\n"
	       "  --cert FILE         a client certificate, PEM, if the server wants one\n"
	       "                      (or CRM_CERT)\n"
	       "  --key FILE          its private key, if not in --cert's file (or CRM_KEY)\n"
	       "  --format FORMAT     table (default), json or csv\n"
	       "  --raw, --csv-raw    CSV: keep cells starting with = + - @ as they are\n"
	       "                      (by default they get a leading ' so that spreadsheets\n"
	       "                      do not run them as formulas)\n"
	       "  --timeout MS        give up connecting, or waiting for a reply, after MS\n"
	       "                      milliseconds (default 10000 to connect, 30000 to reply)\n"
	       "  -h, --help          show this help; 'crm COMMAND --help' for a command\n"
	       "  -V, --version       show crm's version\n"
	       "\n"
	       "Commands:\n"));
	print_commands(stdout, NULL);
	printf(_("\n"
	       "Settings: flags win over the environment, which wins over the config file\n"
	       "%s: 'key = value' lines, keys server, ca, cert, key, format and timeout.\n"
	       "\n"
	       "Session: 'crm login' keeps the session token in %s\n"
	       "(mode 0600; CRM_SESSION_FILE names another file). crm refuses a session\n"
	       "file that other users may read, and sends a token only to its own server.\n"
	       "\n"),
	       config ? config : "$XDG_CONFIG_HOME/crm/config",
	       session ? session : "$XDG_CONFIG_HOME/crm/session");
	print_exit_codes(stdout);
	free(config);
	free(session);
}

static void print_noun_help(FILE *out, const struct crm_cli_noun *n) {
	fprintf(out, _("usage: crm %s COMMAND [ARGS]\n\n%s.\n\nCommands:\n"), n->noun,
		_(n->summary));
	print_commands(out, n->noun);
}

static void print_command_help(const struct crm_cli_command *c) {
	printf(_("usage: crm %s%s%s%s%s\n\n%s\n"), c->noun, c->verb ? " " : "", c->verb ? c->verb : "",
	       c->args[0] ? " " : "", c->args, crm_i18n_lines(c->help));
	printf(_("Global options (--format, --raw, --timeout, --server, ...) go before or\n"
	       "after the command; see 'crm --help'.\n"));
}

/* Parses the options before the command; returns -1 to go on, or an exit
 * code. */
static int parse_global(int argc, char **argv, struct crm_cli_flags *fl) {
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'}, {"ca", required_argument, NULL, 'a'},
		{"cert", required_argument, NULL, 'c'},   {"key", required_argument, NULL, 'k'},
		{"format", required_argument, NULL, 'f'}, {"timeout", required_argument, NULL, 't'},
		{"csv-raw", no_argument, NULL, 'r'},      {"raw", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
	struct crm_cli none = {0};
	char *arg;
	int c;

	/* '+': stop at the command, its options are its own */
	while ((c = crm_cli_getopt(&none, argc, argv, "+hV", longopts, &arg)) != -1) {
		switch (c) {
		case 's': fl->server = arg; break;
		case 'a': fl->ca = arg; break;
		case 'c': fl->cert = arg; break;
		case 'k': fl->key = arg; break;
		case 'f': fl->format = arg; break;
		case 't': fl->timeout = arg; break;
		case 'r': fl->csv_raw = true; break;
		case 'h': print_help(); return 0;
		case 'V':
			printf("crm %s (protocol %d.%d)\n", CRM_VERSION, CRM_PROTO_MAJOR,
			       CRM_PROTO_MINOR);
			return 0;
		default: return CRM_EXIT_USAGE;
		}
	}
	return -1;
}

static bool wants_help(int argc, char **argv) {
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static const struct crm_cli_noun *find_noun(const char *noun) {
	size_t i, n;
	const struct crm_cli_noun *all = crm_cli_nouns(&n);

	for (i = 0; i < n; i++)
		if (strcmp(all[i].noun, noun) == 0)
			return &all[i];
	return NULL;
}

static const struct crm_cli_command *find_command(const char *noun, const char *verb) {
	size_t i, n;
	const struct crm_cli_command *all = crm_cli_commands(&n);

	for (i = 0; i < n; i++) {
		const struct crm_cli_command *c = &all[i];
		if (strcmp(c->noun, noun) == 0 &&
		    (c->verb == NULL || (verb != NULL && strcmp(c->verb, verb) == 0)))
			return c;
	}
	return NULL;
}

static bool noun_has_verbs(const char *noun) {
	const struct crm_cli_command *c = find_command(noun, NULL);
	return c == NULL || c->verb != NULL;
}

/* Finds the command in args; on failure prints why and sets *rc. */
static const struct crm_cli_command *lookup(struct crm_cli *cli, int argc, char **argv, int *rc) {
	const struct crm_cli_noun *n = find_noun(argv[0]);
	const struct crm_cli_command *c;

	if (n == NULL) {
		*rc = crm_cli_usage(cli, _("unknown command '%s'"), argv[0]);
		return NULL;
	}
	if (!noun_has_verbs(n->noun))
		return find_command(n->noun, NULL);
	if (argc >= 2 && wants_help(1, argv + 1)) {
		print_noun_help(stdout, n);
		*rc = 0;
		return NULL;
	}
	c = argc >= 2 ? find_command(n->noun, argv[1]) : NULL;
	if (c == NULL) {
		if (argc < 2)
			fprintf(stderr, _("crm: error: '%s' needs a command\n"), n->noun);
		else
			fprintf(stderr, _("crm: error: unknown command '%s %s'\n"), n->noun, argv[1]);
		print_noun_help(stderr, n);
		*rc = CRM_EXIT_USAGE;
	}
	return c;
}

static int run(struct crm_cli *cli, const struct crm_cli_flags *fl, int argc, char **argv) {
	const struct crm_cli_command *c;
	char name[64], **cargv;
	int rc = 0, skip, cargc;

	c = lookup(cli, argc, argv, &rc);
	if (c == NULL)
		return rc;
	cli->cmd = c;
	skip = c->verb ? 2 : 1;
	if (wants_help(argc - skip, argv + skip)) {
		print_command_help(c);
		return 0;
	}
	rc = crm_cli_settings(cli, fl);
	if (rc == 0)
		rc = crm_cli_early_globals(cli, argc - skip, argv + skip);
	if (rc != 0)
		return rc;
	/* the handler sees argv[0] = "crm NOUN VERB", then its own arguments */
	snprintf(name, sizeof(name), "crm %s%s%s", c->noun, c->verb ? " " : "",
		 c->verb ? c->verb : "");
	cargc = argc - skip + 1;
	cargv = calloc((size_t)cargc + 1, sizeof(char *));
	if (cargv == NULL)
		return CRM_EXIT_FAILURE;
	cargv[0] = name;
	memcpy(cargv + 1, argv + skip, (size_t)(argc - skip) * sizeof(char *));
	cli->argv = cargv;
	cli->argc = cargc;
	optind = 0; /* a fresh getopt scan for the command */
	rc = c->run(cli, cargc, cargv);
	free(cargv);
	return rc;
}

/* The language: the profile locale of the user logged in (kept in the
 * session file by `crm login` and `crm whoami`), else the environment. */
static void init_language(void) {
	char why[CRM_SESSION_WHY_MAX], *path = crm_session_path();
	crm_session s = {0};

	if (path != NULL && crm_session_load(path, &s, why) != CRM_SESSION_OK)
		crm_session_clear(&s);
	crm_i18n_init(s.locale);
	crm_session_clear(&s);
	free(path);
}

int main(int argc, char **argv) {
	struct crm_cli cli = {0};
	struct crm_cli_flags fl = {0};
	int rc;

	init_language();
	rc = parse_global(argc, argv, &fl);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		fputs(_("crm: error: no command given\nusage: crm [OPTIONS] COMMAND [ARGS]\n"
		      "Try 'crm --help'.\n"),
		      stderr);
		return CRM_EXIT_USAGE;
	}
	cli.pre_argv = argv + 1;
	cli.pre_argc = optind - 1;
	rc = run(&cli, &fl, argc - optind, argv + optind);
	crm_cli_fini(&cli);
	return rc;
}
