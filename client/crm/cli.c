/*
 * cli: errors, usage, the connection and output, shared by every command.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Server text on our terminal: no control characters, no escapes. */
static void put_safe(FILE *out, const char *s) {
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s, out);
}

void crm_cli_hint(const char *fmt, ...) {
	va_list ap;

	fputs("crm: hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int crm_cli_fail(struct crm_cli *cli, const crm_err *err) {
	const char *name = crm_status_name(err->code);

	fputs("crm: error: ", stderr);
	put_safe(stderr, err->msg[0] ? err->msg : "unknown error");
	if (err->field[0]) {
		fputs(" (field: ", stderr);
		put_safe(stderr, err->field);
		fputc(')', stderr);
	}
	fprintf(stderr, " [%s]\n", name ? name : "UNKNOWN");
	switch (err->code) {
	case CRM_DEADLINE_EXCEEDED:
		crm_cli_hint("the server may be overloaded; try again, or allow more time with "
			     "--timeout MS");
		break;
	case CRM_RESOURCE_EXHAUSTED:
		crm_cli_hint("the server is busy; try again in a moment");
		break;
	case CRM_UNIMPLEMENTED:
		crm_cli_hint("this crm is %s; the server may be older (see 'crm version')",
			     CRM_VERSION);
		break;
	default:
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

	fputs("crm: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli->cmd == NULL) {
		fputs("Try 'crm --help'.\n", stderr);
		return CRM_EXIT_USAGE;
	}
	command_name(cli->cmd, name, sizeof(name));
	fprintf(stderr, "usage: %s%s%s\nTry '%s --help'.\n", name, cli->cmd->args[0] ? " " : "",
		cli->cmd->args, name);
	return CRM_EXIT_USAGE;
}

bool crm_cli_connect(struct crm_cli *cli, crm_err *err) {
	crm_client_options o;

	if (cli->client != NULL)
		return true;
	crm_client_options_init(&o);
	o.server = cli->server;
	o.ca_file = cli->ca;
	o.cert_file = cli->cert;
	o.key_file = cli->key;
	o.client_name = "crm/" CRM_VERSION;
	if (cli->timeout_ms > 0)
		o.connect_timeout_ms = o.request_timeout_ms = cli->timeout_ms;
	cli->client = crm_client_connect(&o, err);
	/* the server never judges a connect: INVALID_ARGUMENT is about our settings */
	cli->bad_settings = cli->client == NULL && err->code == CRM_INVALID_ARGUMENT;
	return cli->client != NULL;
}

bool crm_cli_call(struct crm_cli *cli, Crm__ClientFrame *req, Crm__ServerFrame **reply,
		  crm_err *err) {
	*reply = NULL;
	return crm_cli_connect(cli, err) && crm_client_call(cli->client, req, reply, err);
}

int crm_cli_print(struct crm_cli *cli, const crm_result *r, bool record) {
	crm_output_opts o = {.format = cli->format, .record = record, .csv_raw = cli->csv_raw};

	if (crm_output_render(r, &o, stdout))
		return 0;
	fprintf(stderr, "crm: error: cannot write the output: %s\n", strerror(errno));
	return CRM_EXIT_FAILURE;
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
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	*optarg_out = optarg;
	if (c == ':') {
		crm_cli_usage(cli, "option '%s' needs a value", argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt != 0)
			crm_cli_usage(cli, "unknown option '-%c'", optopt);
		else
			crm_cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
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
		return crm_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	return crm_cli_usage(cli, "give %s", what);
}

bool crm_cli_parse_id(struct crm_cli *cli, const char *s, const char *what, int64_t *out) {
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0) {
		crm_cli_usage(cli, "%s must be a positive whole number, not '%s'", what, s);
		return false;
	}
	*out = (int64_t)v;
	return true;
}

void crm_cli_fini(struct crm_cli *cli) {
	crm_client_free(cli->client);
	cli->client = NULL;
	free(cli->server);
	free(cli->ca);
	free(cli->cert);
	free(cli->key);
}
