/*
 * cli: errors, usage, the connection and its session, requests and
 * output, shared by every command.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "crm_wire.h"
#include "i18n.h"

/* Server text on our terminal: no control characters, no escapes. */
static void put_safe(FILE *out, const char *s) {
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s, out);
}

void crm_cli_hint(const char *fmt, ...) {
	va_list ap;

	fputs(_("crm: hint: "), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What to say when the server wants a session we did not give it. */
static void hint_unauthenticated(struct crm_cli *cli, const crm_err *err) {
	bool says_login = strstr(err->msg, "crm login") != NULL;

	if (cli->token_sent && !says_login)
		crm_cli_hint(_("session expired or revoked: run `crm login`"));
	else if (cli->session_other_server)
		crm_cli_hint(_("your session (%s) is for the server %s, not %s; run `crm login "
			     "USERNAME` to log in to this one"),
			     cli->session_path, cli->session.server, cli->server);
	else if (!cli->token_sent && !says_login &&
		 (cli->cmd == NULL || !(cli->cmd->flags & CRM_CMD_NO_SESSION)))
		crm_cli_hint(_("not logged in: run `crm login USERNAME`"));
}

int crm_cli_fail(struct crm_cli *cli, const crm_err *err) {
	const char *name = crm_status_name(err->code);
	char text[1024];

	if (cli->reported)
		return cli->bad_settings ? CRM_EXIT_USAGE : CRM_EXIT_FAILURE;
	fputs(_("crm: error: "), stderr);
	/* the server's error in the user's language when its id is known */
	put_safe(stderr, err->msg[0] ? crm_err_text(err, text, sizeof(text)) : _("unknown error"));
	if (err->field[0]) {
		/* TRANSLATORS: around the name of the field an error is about */
		fputs(_(" (field: "), stderr);
		put_safe(stderr, err->field);
		fputs(_(")"), stderr);
	}
	fprintf(stderr, " [%s]\n", name ? name : "UNKNOWN");
	switch (err->code) {
	case CRM_DEADLINE_EXCEEDED:
		crm_cli_hint(_("the server may be overloaded; try again, or allow more time with "
			     "--timeout MS"));
		break;
	case CRM_RESOURCE_EXHAUSTED:
		crm_cli_hint(_("the server is busy; try again in a moment"));
		break;
	case CRM_UNIMPLEMENTED:
		crm_cli_hint(_("this crm is %s; the server may be older (see 'crm version')"),
			     CRM_VERSION);
		break;
	case CRM_UNAUTHENTICATED:
		hint_unauthenticated(cli, err);
		break;
	case CRM_UNAVAILABLE:
		if (cli->keyed && strstr(err->msg, "outcome unknown") != NULL &&
		    !(cli->cmd != NULL && (cli->cmd->flags & CRM_CMD_OWN_RETRY_HINT)))
			crm_cli_hint(_("check whether the change was made (with a show or list "
				     "command) before running it again"));
		break;
	default:
		crm_cli_hint_next(cli, err);
		break;
	}
	if (cli->bad_settings)
		return CRM_EXIT_USAGE;
	return crm_status_exit_code(err->code);
}

static void command_name(const struct crm_cli_command *cmd, char *out, size_t outsz) {
	snprintf(out, outsz, "crm %s%s%s", cmd->noun, cmd->verb ? " " : "",
		 cmd->verb ? cmd->verb : "");
}

int crm_cli_usage(struct crm_cli *cli, const char *fmt, ...) {
	char name[64];
	va_list ap;

	fputs(_("crm: error: "), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli->cmd == NULL) {
		fputs(_("Try 'crm --help'.\n"), stderr);
		return CRM_EXIT_USAGE;
	}
	command_name(cli->cmd, name, sizeof(name));
	fprintf(stderr, _("usage: %s%s%s\nTry '%s --help'.\n"), name, cli->cmd->args[0] ? " " : "",
		cli->cmd->args, name);
	return CRM_EXIT_USAGE;
}

/*
 * Reads the session file for the connect. False when it must not be used
 * (the reason is printed); a missing file, or one for another server, is
 * fine: the command goes without a session.
 */
static bool load_session(struct crm_cli *cli) {
	char why[CRM_SESSION_WHY_MAX];

	cli->session_status = CRM_SESSION_NONE;
	if (cli->no_session || (cli->cmd != NULL && (cli->cmd->flags & CRM_CMD_NO_SESSION)))
		return true;
	if (cli->session_path == NULL && (cli->session_path = crm_session_path()) == NULL)
		return true; /* no HOME: nowhere a session could be */
	crm_session_clear(&cli->session);
	cli->session_status = crm_session_load(cli->session_path, &cli->session, why);
	if (cli->session_status == CRM_SESSION_UNSAFE || cli->session_status == CRM_SESSION_BAD) {
		fprintf(stderr, _("crm: error: %s\n"), why);
		cli->reported = true;
		return false;
	}
	cli->session_other_server = cli->session_status == CRM_SESSION_OK &&
				    strcmp(cli->session.server, cli->server) != 0;
	return true;
}

bool crm_cli_connect(struct crm_cli *cli, crm_err *err) {
	crm_client_options o;

	if (cli->client != NULL)
		return true;
	if (cli->server == NULL) {
		/* checked here, not before the command: --server may follow it */
		crm_cli_usage(cli, _("no server given; pass --server HOST:PORT, set CRM_SERVER, or put "
				   "'server = HOST:PORT' in the config file"));
		cli->reported = cli->bad_settings = true;
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "server", "no server given");
	}
	if (!load_session(cli))
		return crm_err_set(err, CRM_FAILED_PRECONDITION, NULL, _("session file refused"));
	crm_client_options_init(&o);
	o.server = cli->server;
	o.ca_file = cli->ca;
	o.cert_file = cli->cert;
	o.key_file = cli->key;
	o.client_name = "crm/" CRM_VERSION;
	if (cli->timeout_ms > 0)
		o.connect_timeout_ms = o.request_timeout_ms = cli->timeout_ms;
	cli->token_sent = cli->session_status == CRM_SESSION_OK && !cli->session_other_server;
	if (cli->token_sent)
		o.session_token = cli->session.token;
	cli->client = crm_client_connect(&o, err);
	if (cli->client == NULL && cli->token_sent && err->code == CRM_UNAUTHENTICATED) {
		crm_err_clear(err);
		crm_err_set(err, CRM_UNAUTHENTICATED, NULL,
			    _("session expired or revoked: run `crm login`"));
	}
	/* the server judges nothing in a connect but the session: INVALID_ARGUMENT
	 * elsewhere is about our settings */
	cli->bad_settings = cli->client == NULL && err->code == CRM_INVALID_ARGUMENT &&
			    strncmp(err->field, "resume", 6) != 0;
	return cli->client != NULL;
}

bool crm_cli_call(struct crm_cli *cli, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		  crm_err *err) {
	*reply = NULL;
	if (!req->has_idempotency_key && crm_wire_request_mutates(req)) {
		if (!crm_client_idempotency_key(cli->idem_key, err))
			return false;
		req->has_idempotency_key = true;
		req->idempotency_key.data = (uint8_t *)cli->idem_key;
		req->idempotency_key.len = strlen(cli->idem_key);
	}
	cli->keyed = req->has_idempotency_key;
	return crm_cli_connect(cli, err) && crm_client_call(cli->client, req, reply, err);
}

const void *crm_cli_body(const Crm__ServerFrame *reply, Crm__Response__BodyCase want,
			 crm_err *err) {
	const Crm__Response *r = reply ? reply->response : NULL;
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field(&crm__response__descriptor, (unsigned)want);
	const void *body;

	if (r == NULL || fd == NULL || r->body_case != want) {
		crm_err_set(err, CRM_INTERNAL, NULL,
			    _("the server's reply holds no %s; is this crm (%s) too new or too old "
			    "for the server?"),
			    fd ? fd->name : "body", CRM_VERSION);
		return NULL;
	}
	body = *(const void *const *)((const char *)r + fd->offset);
	if (body == NULL)
		crm_err_set(err, CRM_INTERNAL, NULL, _("the server's reply holds an empty %s"),
			    fd->name);
	return body;
}

const void *crm_cli_request(struct crm_cli *cli, Crm__ClientFrame *req,
			    Crm__Response__BodyCase want, Crm__ServerFrame **reply, int *rc) {
	const void *body = NULL;
	crm_err err;

	crm_err_clear(&err);
	if (crm_cli_call(cli, req, reply, &err))
		body = crm_cli_body(*reply, want, &err);
	if (body == NULL)
		*rc = crm_cli_fail(cli, &err);
	return body;
}

/* The words of a command line the next page repeats: all but --cursor. */
static void put_words(char *const *argv, int argc) {
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--cursor") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--cursor=", 9) == 0)
			continue;
		fputc(' ', stderr);
		crm_args_shell_quote(argv[i], stderr);
	}
}

void crm_cli_next_page(struct crm_cli *cli, bool has_cursor, const ProtobufCBinaryData *cursor) {
	char *enc;

	if (!has_cursor || cursor->len == 0)
		return;
	enc = crm_args_cursor_encode(cursor->data, cursor->len);
	if (enc == NULL)
		return;
	/* the global options given before the command go after it: the line
	 * reads as people type it, and runs the same */
	fprintf(stderr, _("next page: %s"), cli->argv[0]);
	put_words(cli->argv + 1, cli->argc - 1);
	put_words(cli->pre_argv, cli->pre_argc);
	fputs(" --cursor ", stderr);
	crm_args_shell_quote(enc, stderr);
	fputc('\n', stderr);
	free(enc);
}

bool crm_cli_parse_limit(struct crm_cli *cli, const char *s, Crm__ListPage *page) {
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > CRM_PAGE_MAX) {
		crm_cli_usage(cli, _("--limit must be a number from 1 to %d, not '%s'"), CRM_PAGE_MAX,
			      s);
		return false;
	}
	page->has_limit = true;
	page->limit = (uint32_t)v;
	return true;
}

bool crm_cli_parse_cursor(struct crm_cli *cli, const char *s, Crm__ListPage *page) {
	size_t len = 0;

	free(cli->cursor);
	cli->cursor = crm_args_cursor_decode(s, &len);
	if (cli->cursor == NULL || len == 0 || len > CRM_CURSOR_MAX) {
		crm_cli_usage(cli, _("--cursor takes the value a 'next page' line printed"));
		return false;
	}
	page->has_cursor = true;
	page->cursor.data = cli->cursor;
	page->cursor.len = len;
	return true;
}

int crm_cli_page_option(struct crm_cli *cli, int c, const char *arg, Crm__ListPage *page) {
	if (c == CRM_OPT_LIMIT)
		return crm_cli_parse_limit(cli, arg, page) ? 1 : -1;
	if (c == CRM_OPT_CURSOR)
		return crm_cli_parse_cursor(cli, arg, page) ? 1 : -1;
	return 0;
}

void crm_cli_done(struct crm_cli *cli, const char *fmt, ...) {
	va_list ap;

	if (cli->format != CRM_FORMAT_TABLE)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void crm_cli_add_opt_time(crm_result *r, protobuf_c_boolean has, int64_t us) {
	if (has)
		crm_result_add_time(r, us);
	else
		crm_result_add_null(r);
}

void crm_cli_bytes(ProtobufCBinaryData *b, protobuf_c_boolean *has, const char *s) {
	*has = s != NULL;
	b->data = (uint8_t *)s;
	b->len = s ? strlen(s) : 0;
}

bool crm_cli_session_store(struct crm_cli *cli, const char *username, const char *token,
			   int64_t session_id, const char *locale) {
	crm_session s = {.server = cli->server,
			 .username = (char *)username,
			 .token = (char *)token,
			 .session_id = session_id,
			 .locale = (char *)locale};
	char why[CRM_SESSION_WHY_MAX];

	if (cli->session_path == NULL && (cli->session_path = crm_session_path()) == NULL) {
		fputs(_("crm: error: nowhere to keep the session: set HOME, XDG_CONFIG_HOME or "
		      "CRM_SESSION_FILE\n"),
		      stderr);
		return false;
	}
	if (!crm_session_save(cli->session_path, &s, why)) {
		fprintf(stderr, _("crm: error: %s\n"), why);
		return false;
	}
	return true;
}

void crm_cli_session_locale(struct crm_cli *cli, const char *locale) {
	crm_session s = cli->session;
	char why[CRM_SESSION_WHY_MAX];

	if (!cli->token_sent || cli->session_path == NULL || locale == NULL ||
	    (cli->session.locale != NULL && strcmp(cli->session.locale, locale) == 0))
		return;
	s.locale = (char *)locale;
	(void)crm_session_save(cli->session_path, &s, why);
}

/* How wide list tables may be: $COLUMNS when set, else the terminal's
 * width, else (a pipe, a file) no limit. */
static size_t terminal_width(void) {
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long v;

	if (env != NULL && env[0] != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 && v < 100000)
			return (size_t)v;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* True when name is a zone this machine's tzdata has: glibc would show
 * an unknown one as UTC under a made-up abbreviation. */
static bool zone_installed(const char *name) {
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat st;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo",
		     name) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Tables show times in the user's profile time zone, which the Login or
 * Resume reply carried; without one (no session, or a zone this machine's
 * tzdata lacks) in the TZ environment's. The CLI is single-threaded, so
 * setting TZ for the process is safe.
 */
static void use_profile_zone(const struct crm_cli *cli) {
	const crm_client_server_info *info;

	if (cli->client == NULL)
		return;
	info = crm_client_server(cli->client);
	if (!info->authenticated || !zone_installed(info->time_zone))
		return;
	if (setenv("TZ", info->time_zone, 1) == 0)
		tzset();
}

int crm_cli_print(struct crm_cli *cli, const crm_result *r, bool record) {
	crm_output_opts o = {.format = cli->format, .record = record, .csv_raw = cli->csv_raw,
			     .heading = crm_i18n_heading};
	crm_numfmt nf;

	if (cli->format == CRM_FORMAT_TABLE && !record)
		o.max_width = terminal_width();
	if (cli->format == CRM_FORMAT_TABLE) { /* JSON and CSV stay UTC and exact */
		char posix[64];
		const crm_client_server_info *info =
			cli->client != NULL ? crm_client_server(cli->client) : NULL;
		const char *profile = info != NULL && info->authenticated && info->locale[0] != '\0'
					      ? info->locale
					      : cli->session.locale;

		use_profile_zone(cli);
		/* the profile's separators, as crm-desktop shows them */
		crm_numfmt_for_user(&nf, profile != NULL && profile[0] != '\0' &&
						 crm_i18n_posix_locale(profile, posix, sizeof(posix))
					     ? posix
					     : NULL);
		o.numbers = &nf;
	}

	if (crm_output_render(r, &o, stdout))
		return 0;
	fprintf(stderr, _("crm: error: cannot write the output: %s\n"), strerror(errno));
	return CRM_EXIT_FAILURE;
}

/* The global options, accepted after the command too; codes above any
 * command's own. */
#define GLOBAL_OPT 0x4000
static const struct {
	const char *name, *key;
	int has_arg;
} globals[] = {
	{"format", "format", required_argument}, {"raw", "raw", no_argument},
	{"csv-raw", "raw", no_argument},         {"timeout", "timeout", required_argument},
	{"server", "server", required_argument}, {"ca", "ca", required_argument},
	{"cert", "cert", required_argument},     {"key", "key", required_argument},
};
#define N_GLOBALS (sizeof(globals) / sizeof(globals[0]))

/* The command's long options followed by the global ones (kept in cli,
 * rebuilt when a command passes another table). */
static const struct option *with_globals(struct crm_cli *cli, const struct option *own) {
	size_t n = 0, i;

	if (cli->longopts_of == own && cli->longopts != NULL)
		return cli->longopts;
	while (own[n].name != NULL)
		n++;
	free(cli->longopts);
	cli->longopts = calloc(n + N_GLOBALS + 1, sizeof(struct option));
	if (cli->longopts == NULL) {
		fputs(_("crm: out of memory\n"), stderr);
		abort();
	}
	memcpy(cli->longopts, own, n * sizeof(struct option));
	for (i = 0; i < N_GLOBALS; i++)
		cli->longopts[n + i] = (struct option){globals[i].name, globals[i].has_arg, NULL,
							GLOBAL_OPT + (int)i};
	cli->longopts_of = own;
	return cli->longopts;
}

/* The global option a word names ("--format", "--format=csv"); -1 when
 * none. *value: after '=', else NULL. */
static int global_word(const char *w, const char **value) {
	size_t i, n;

	if (strncmp(w, "--", 2) != 0)
		return -1;
	for (i = 0; i < N_GLOBALS; i++) {
		n = strlen(globals[i].name);
		if (strncmp(w + 2, globals[i].name, n) != 0 || (w[2 + n] != '\0' && w[2 + n] != '='))
			continue;
		*value = w[2 + n] == '=' ? w + 3 + n : NULL;
		return (int)i;
	}
	return -1;
}

int crm_cli_early_globals(struct crm_cli *cli, int argc, char *const *argv) {
	const char *value;
	int i, g, rc;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if ((g = global_word(argv[i], &value)) < 0)
			continue;
		if (value == NULL && globals[g].has_arg == required_argument) {
			if (i + 1 >= argc)
				return 0; /* getopt says what is missing */
			value = argv[++i];
		}
		rc = crm_cli_setting_flag(cli, globals[g].key, value);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int crm_cli_getopt(struct crm_cli *cli, int argc, char **argv, const char *shortopts,
		   const struct option *longopts, char **optarg_out) {
	char opts[64];
	int c;

	/* a ':' makes a missing argument ':' rather than '?'; it goes after a
	 * leading '+' (stop at the first operand) */
	if (shortopts[0] == '+')
		snprintf(opts, sizeof(opts), "+:%s", shortopts + 1);
	else
		snprintf(opts, sizeof(opts), ":%s", shortopts);
	if (cli->cmd != NULL)
		longopts = with_globals(cli, longopts);
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, opts, longopts, NULL);
		if (c < GLOBAL_OPT || c >= GLOBAL_OPT + (int)N_GLOBALS)
			break;
		if (crm_cli_setting_flag(cli, globals[c - GLOBAL_OPT].key, optarg) != 0)
			return '?';
	}
	*optarg_out = optarg;
	if (c == ':') {
		crm_cli_usage(cli, _("option '%s' needs a value"), argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt != 0)
			crm_cli_usage(cli, _("unknown option '-%c'"), optopt);
		else
			crm_cli_usage(cli, _("unknown option '%s'"), argv[optind - 1]);
	}
	return c;
}

int crm_cli_optind(void) { return optind; }

int crm_cli_operands(struct crm_cli *cli, int argc, char **argv, int want, const char *what) {
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	char *arg;

	if (crm_cli_getopt(cli, argc, argv, "", none, &arg) != -1)
		return CRM_EXIT_USAGE;
	if (argc - optind == want)
		return 0;
	if (want == 0)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[optind]);
	return crm_cli_usage(cli, _("give %s"), what);
}

bool crm_cli_parse_id(struct crm_cli *cli, const char *s, const char *what, int64_t *out) {
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0) {
		crm_cli_usage(cli, _("%s must be a positive whole number, not '%s'"), what, s);
		return false;
	}
	*out = (int64_t)v;
	return true;
}

void crm_cli_fini(struct crm_cli *cli) {
	crm_client_free(cli->client);
	cli->client = NULL;
	crm_session_clear(&cli->session);
	free(cli->session_path);
	free(cli->cursor);
	free(cli->longopts);
	free(cli->server);
	free(cli->ca);
	free(cli->cert);
	free(cli->key);
}
