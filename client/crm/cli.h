/*
 * cli: what every `crm` command shares. The settings (config file, then
 * environment, then flags), the lazily opened connection, the one way to
 * print an error and the one way to print a result (client/output.h).
 *
 * A command is a row in the table in commands.c: noun, verb, handler,
 * synopsis, help (the rows of the record types are made from their tables,
 * cmd_record.h). The dispatcher in main.c finds the row, answers --help,
 * and calls the handler with argv[0] = "crm NOUN VERB" and the command's
 * own arguments after it. Handlers return the process exit code.
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "crmclient.h"
#include "i18n.h"
#include "output.h"
#include "session.h"

/* How a command uses the stored session (crm_cli_command.flags). */
#define CRM_CMD_NO_SESSION 0x1 /* never read or send the session token */
#define CRM_CMD_OWN_RETRY_HINT 0x2 /* prints its own hint when the outcome is unknown */
/* its help's first paragraph is one line (commands.c wraps it) whose %s is
 * the record types' names ("account, contact, note") */
#define CRM_CMD_HELP_TYPES 0x4

struct crm_cli {
	/* settings; strings owned by the cli */
	char *server, *ca, *cert, *key;
	crm_format format;
	int timeout_ms; /* 0: library defaults */
	bool csv_raw;

	crm_client *client; /* NULL until crm_cli_connect */
	bool bad_settings;  /* connecting failed on our own settings */
	bool reported;      /* the error was already printed: exit 1 */
	bool no_session;    /* this run needs no session: do not resume one */
	const struct crm_cli_command *cmd; /* the command running */
	char *const *argv;  /* its arguments (argv[0] = "crm NOUN VERB") */
	int argc;

	/* the session file, read by crm_cli_connect */
	char *session_path;
	crm_session session;
	crm_session_status session_status;
	bool session_other_server; /* a session exists, for another server */
	bool token_sent;           /* this connection resumed that session */

	uint8_t *cursor; /* decoded --cursor, owned */

	/* the global options given before the command (main's argv), repeated
	 * by the next-page line */
	char *const *pre_argv;
	int pre_argc;
	/* crm_cli_getopt: the command's options with the global ones added */
	struct option *longopts;
	const struct option *longopts_of;

	/* the idempotency key of the last mutating request */
	char idem_key[CRM_CLIENT_KEY_LEN + 1];
	bool keyed;
};

typedef int (*crm_cli_handler)(struct crm_cli *cli, int argc, char **argv);

struct crm_cli_command {
	const char *noun;
	const char *verb; /* NULL: the noun alone is the command ("ping") */
	crm_cli_handler run;
	const char *args;    /* synopsis after "crm NOUN VERB" */
	const char *summary; /* one line, for the command list */
	const char *help;    /* options and details, printed by --help */
	unsigned flags;      /* CRM_CMD_* */
};

struct crm_cli_noun {
	const char *noun;
	const char *summary;
};

/* The commands and nouns of crm, in the order of 'crm --help' (*n: how
 * many): commands.c's own, and those of each record type (crm_rec_types),
 * made from its table on the first call. */
const struct crm_cli_command *crm_cli_commands(size_t *n);
const struct crm_cli_noun *crm_cli_nouns(size_t *n);

/* Handlers (one file per noun). */
int crm_cmd_ping(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_version(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_login(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_logout(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_whoami(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_passwd(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_show(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_edit(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_disable(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_enable(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_user_reset_password(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_show(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_edit(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_move(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_team_delete(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_role_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_role_show(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_permission_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_permission_set(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_session_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_session_revoke(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_audit_list(struct crm_cli *cli, int argc, char **argv);
/* Business records, every type (cmd_record.c; the type from the noun). */
int crm_cmd_record_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_show(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_edit(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_delete(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_restore(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_purge(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_reassign(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_record_share(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_contact_link(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_contact_unlink(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_task_done(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_relation_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_relation_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_relation_remove(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_share(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_watch_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_watch_remove(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_watch_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_timeline(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_watch_follow(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_attach_put(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_attach_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_attach_get(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_attach_delete(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_field_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_field_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_type_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_field_remove(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_picklist_add(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_picklist_list(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_picklist_move(struct crm_cli *cli, int argc, char **argv);
int crm_cmd_picklist_remove(struct crm_cli *cli, int argc, char **argv);

/* Prints "crm: error: MESSAGE (field: F) [CODE]" and a hint where one
 * helps; returns the exit code for err's status. */
int crm_cli_fail(struct crm_cli *cli, const crm_err *err);

/* After a server's error: "crm: hint: ..." naming the command that shows
 * what the server expected, where one helps (hints.c). */
void crm_cli_hint_next(const struct crm_cli *cli, const crm_err *err);

/* Prints a usage error for the running command; returns CRM_EXIT_USAGE. */
int crm_cli_usage(struct crm_cli *cli, const char *fmt, ...) CRM_PRINTF(2, 3);

/* "crm: hint: ..." on stderr. */
void crm_cli_hint(const char *fmt, ...) CRM_PRINTF(1, 2);

/*
 * Connects if not connected yet, resuming the stored session unless the
 * command has CRM_CMD_NO_SESSION: the session file is read (and refused,
 * with the reason printed, when others may read it); its token is sent
 * only to the server it belongs to. A refused token fails the connect
 * with UNAUTHENTICATED "session expired or revoked: run `crm login`".
 */
bool crm_cli_connect(struct crm_cli *cli, crm_err *err) CRM_MUSTCHECK;

/*
 * Connects if needed, then crm_client_call. A request that changes data
 * (crm_wire_request_mutates) without an idempotency key gets a random one,
 * so that the library may resend it safely after a dropped connection.
 */
bool crm_cli_call(struct crm_cli *cli, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		  crm_err *err) CRM_MUSTCHECK;

/*
 * The reply's body of the wanted kind (a Crm__User *, ...), or NULL with
 * err set (INTERNAL: the server answered with something else).
 */
const void *crm_cli_body(const Crm__ServerFrame *reply, Crm__Response__BodyCase want,
			 crm_err *err);

/* Sends req, then prints a failure or returns the wanted body; on
 * failure *rc is the exit code and NULL is returned. The reply is freed
 * with crm_client_reply_free(*reply) by the caller in both cases. */
const void *crm_cli_request(struct crm_cli *cli, Crm__ClientFrame *req,
			    Crm__Response__BodyCase want, Crm__ServerFrame **reply, int *rc);

/*
 * When a list reply carries a cursor: prints on standard error
 * "next page: crm NOUN VERB [the same options] --cursor C".
 */
void crm_cli_next_page(struct crm_cli *cli, bool has_cursor, const ProtobufCBinaryData *cursor);

/* Parses --limit (1..500) or --cursor into a ListPage; usage errors print. */
bool crm_cli_parse_limit(struct crm_cli *cli, const char *s, Crm__ListPage *page);
bool crm_cli_parse_cursor(struct crm_cli *cli, const char *s, Crm__ListPage *page);

/* --limit N and --cursor C for list commands' getopt tables. */
#define CRM_OPT_LIMIT 1000
#define CRM_OPT_CURSOR 1001
#define CRM_CLI_PAGE_OPTIONS                                        \
	{"limit", required_argument, NULL, CRM_OPT_LIMIT},          \
	{                                                           \
		"cursor", required_argument, NULL, CRM_OPT_CURSOR   \
	}
/* 1: c was a page option and is now in page; 0: not one; -1: a usage
 * error was printed. */
int crm_cli_page_option(struct crm_cli *cli, int c, const char *arg, Crm__ListPage *page);

/* Sets a bytes field from a C string (not copied). */
void crm_cli_bytes(ProtobufCBinaryData *b, protobuf_c_boolean *has, const char *s);

/* For commands whose success has nothing to show: prints the message
 * (a line, printf-style) in table format; JSON and CSV print nothing. */
void crm_cli_done(struct crm_cli *cli, const char *fmt, ...) CRM_PRINTF(2, 3);

/* A time cell when has is set, else NULL. */
void crm_cli_add_opt_time(crm_result *r, protobuf_c_boolean has, int64_t us);

/* The columns of a User (proto field names) and its cells, in order;
 * cmd_user.c. List tables hide the less used ones (crm_cli_user_hide). */
#define CRM_CLI_USER_NCOLS 13
extern const char *const crm_cli_user_cols[CRM_CLI_USER_NCOLS];
void crm_cli_user_cells(crm_result *r, const Crm__User *u);
void crm_cli_user_hide(crm_result *r);

/* Writes the session file (locale: the user's profile locale, NULL if
 * unknown); prints why on failure. */
bool crm_cli_session_store(struct crm_cli *cli, const char *username, const char *token,
			   int64_t session_id, const char *locale);

/* After a reply that names the session's user: keeps the user's profile
 * locale in the session file when it changed, so that the next commands
 * speak the new language. Quiet: a failure only keeps the old one. */
void crm_cli_session_locale(struct crm_cli *cli, const char *locale);

/* The column names tables show translated (headings.c; NULL-terminated). */
extern const char *const crm_cli_headings[];

/* Renders r in the chosen format on stdout; returns an exit code. */
int crm_cli_print(struct crm_cli *cli, const crm_result *r, bool record);

/*
 * getopt_long over a command's arguments with our own error messages.
 * Returns the option, -1 at the end, or '?' after printing a usage error.
 * *optarg_out gets the argument of options that take one.
 *
 * While a command runs (cli->cmd set), the global options (--format,
 * --raw, --timeout, --server, ...) are accepted among its own and applied
 * here (crm_cli_setting_flag): `crm account list --format json` is
 * `crm --format json account list`. The caller never sees them.
 */
int crm_cli_getopt(struct crm_cli *cli, int argc, char **argv, const char *shortopts,
		   const struct option *longopts, char **optarg_out);
/*
 * Applies the global options among a command's arguments before its
 * handler runs (up to "--"; exact names, as typed), so that a handler may
 * read cli->format before its own getopt loop; crm_cli_getopt applies them
 * again in order. Returns 0 or the exit code of a printed error.
 */
int crm_cli_early_globals(struct crm_cli *cli, int argc, char *const *argv);

/* Index of the first operand once crm_cli_getopt returned -1. */
int crm_cli_optind(void);

/*
 * For commands without options: refuses any option and wants exactly
 * `want` operands (from crm_cli_optind()); `what` names them for the error
 * ("one note id"). Returns 0 or the exit code of the usage error.
 */
int crm_cli_operands(struct crm_cli *cli, int argc, char **argv, int want, const char *what);

/* A record named TYPE/ID on the command line (account/42). */
struct crm_cli_target {
	Crm__RecordType type;
	int64_t id;
};
/* Parses a TYPE/ID operand (s is edited: the '/' becomes a NUL); false
 * after printing a usage error. cmd_share.c. */
bool crm_cli_record_target(struct crm_cli *cli, char *s, struct crm_cli_target *t);
/* The type's name in lower case ("account") in buf. cmd_share.c. */
const char *crm_cli_type_name(Crm__RecordType t, char *buf, size_t size);

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

/*
 * One global flag given after the command: key is the setting (format,
 * timeout, server, ca, cert, key, raw). Wins over everything before it.
 * Returns 0 or the exit code of the printed error.
 */
int crm_cli_setting_flag(struct crm_cli *cli, const char *key, const char *value);


void crm_cli_fini(struct crm_cli *cli);

#endif
