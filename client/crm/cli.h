/*
 * cli: what every `crm` command shares. The settings (config file, then
 * environment, then flags), the lazily opened connection, the one way to
 * print an error and the one way to print a result (client/output.h).
 *
 * A command is a row in the table in commands.c: noun, verb, handler,
 * synopsis, help. The dispatcher in main.c finds the row, answers --help,
 * and calls the handler with argv[0] = "crm NOUN VERB" and the command's
 * own arguments after it. Handlers return the process exit code.
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "crmclient.h"
#include "output.h"

struct crm_cli {
	/* settings; strings owned by the cli */
	char *server, *ca, *cert, *key;
	crm_format format;
	int timeout_ms; /* 0: library defaults */
	bool csv_raw;

	crm_client *client; /* NULL until crm_cli_connect */
	bool bad_settings;  /* connecting failed on our own settings */
	const struct crm_cli_command *cmd; /* the command running */
};

typedef int (*crm_cli_handler)(struct crm_cli *cli, int argc, char **argv);

struct crm_cli_command {
	const char *noun;
	const char *verb; /* NULL: the noun alone is the command ("ping") */
	crm_cli_handler run;
	const char *args;    /* synopsis after "crm NOUN VERB" */
	const char *summary; /* one line, for the command list */
	const char *help;    /* options and details, printed by --help */
};

struct crm_cli_noun {
	const char *noun;
	const char *summary;
};

extern const struct crm_cli_command crm_cli_commands[];
extern const size_t crm_cli_n_commands;
extern const struct crm_cli_noun crm_cli_nouns[];
extern const size_t crm_cli_n_nouns;

/* Handlers (one file per noun). */
int crm_cmd_ping(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_version(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_note_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_note_show(struct crm_cli *cli, int argc, char **argv);

/* Prints "crm: error: MESSAGE (field: F) [CODE]" and a hint where one
 * helps; returns the exit code for err's status. */
int crm_cli_fail(struct crm_cli *cli, const crm_err *err);

/* Prints a usage error for the running command; returns CRM_EXIT_USAGE. */
int crm_cli_usage(struct crm_cli *cli, const char *fmt, ...) CRM_PRINTF(2, 3);

/* "crm: hint: ..." on stderr. */
void crm_cli_hint(const char *fmt, ...) CRM_PRINTF(1, 2);

/* Connects if not connected yet. */
bool crm_cli_connect(struct crm_cli *cli, crm_err *err) CRM_MUSTCHECK;

/* Connects if needed, then crm_client_call. */
bool crm_cli_call(struct crm_cli *cli, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		  crm_err *err) CRM_MUSTCHECK;

/* Renders r in the chosen format on stdout; returns an exit code. */
int crm_cli_print(struct crm_cli *cli, const crm_result *r, bool record);

/*
 * getopt_long over a command's arguments with our own error messages.
 * Returns the option, -1 at the end, or '?' after printing a usage error.
 * *optarg_out gets the argument of options that take one.
 */
int crm_cli_getopt(struct crm_cli *cli, int argc, char **argv, const char *shortopts,
		   const struct option *longopts, char **optarg_out);
/* Index of the first operand once crm_cli_getopt returned -1. */
int crm_cli_optind(void);

/*
 * For commands without options: refuses any option and wants exactly
 * `want` operands (from crm_cli_optind()); `what` names them for the error
 * ("one note id"). Returns 0 or the exit code of the usage error.
 */
int crm_cli_operands(struct crm_cli *cli, int argc, char **argv, int want, const char *what);

/* Parses a positive int64 (an id) or prints a usage error naming what. */
bool crm_cli_parse_id(struct crm_cli *cli, const char *s, const char *what, int64_t *out);

/* Global flags as given on the command line (NULL: not given). */
struct crm_cli_flags {
	const char *server, *ca, *cert, *key, *format, *timeout;
	bool csv_raw;
};

/*
 * Settings from the config file ($XDG_CONFIG_HOME/crm/config, else
 * ~/.config/crm/config), then the environment (CRM_SERVER, CRM_CA,
 * CRM_CERT, CRM_KEY), then the flags: each later source wins. Returns an
 * exit code, 0 when all is well.
 */
int crm_cli_settings(struct crm_cli *cli, const struct crm_cli_flags *flags);

/* Where the config file is looked for (malloc'd; NULL without a home). */
char *crm_cli_config_path(void);

void crm_cli_fini(struct crm_cli *cli);

#endif
