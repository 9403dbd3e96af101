/*
 * cmd_note: `crm note add` and `crm note show`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crm_wire.h"

/* Reads all of stdin, up to max bytes (more is an error). */
static int read_stdin(struct crm_cli *cli, char *buf, size_t max, size_t *len) {
	size_t n = fread(buf, 1, max + 1, stdin);

	if (ferror(stdin))
		return crm_cli_usage(cli, "cannot read the text from standard input");
	if (n > max)
		return crm_cli_usage(cli, "the text is longer than %zu bytes", max);
	*len = n;
	return 0;
}

static int print_note(struct crm_cli *cli, const Crm__Note *n, bool with_body) {
	static const char *const cols[] = {"note_id", "created_at", "body"};
	crm_result *r = crm_result_new(with_body ? 3 : 2, cols);
	int rc;

	crm_result_add_row(r);
	crm_result_add_int(r, n->note_id);
	if (n->has_created_at)
		crm_result_add_time(r, n->created_at);
	else
		crm_result_add_null(r);
	if (with_body)
		crm_result_add_strn(r, (const char *)n->body.data, n->body.len);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	return rc;
}

static const Crm__Note *reply_note(const Crm__ServerFrame *reply, crm_err *err) {
	const Crm__Response *r = reply->response;

	if (r->body_case != CRM__RESPONSE__BODY_NOTE || r->note == NULL) {
		crm_err_set(err, CRM_INTERNAL, NULL, "the server's reply holds no note");
		return NULL;
	}
	return r->note;
}

/* The outcome of an add is unknown: say how to find out safely. */
static void hint_retry(const crm_err *err, const char *key) {
	if ((err->code == CRM_UNAVAILABLE || err->code == CRM_DEADLINE_EXCEEDED) &&
	    strstr(err->msg, "outcome unknown") != NULL)
		crm_cli_hint("it was sent with idempotency key %s; running the same command with "
			     "--idempotency-key %s is safe: the note is added at most once",
			     key, key);
}

static int add_args(struct crm_cli *cli, int argc, char **argv, const char **key,
		    const char **text) {
	static const struct option longopts[] = {{"idempotency-key", required_argument, NULL, 'k'},
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'k')
			return CRM_EXIT_USAGE;
		if (arg[0] == '\0' || strlen(arg) > CRM_IDEMPOTENCY_KEY_MAX)
			return crm_cli_usage(cli, "--idempotency-key must be 1 to %d bytes",
					     CRM_IDEMPOTENCY_KEY_MAX);
		*key = arg;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, "%s",
				     crm_cli_optind() == argc ? "the text of the note is missing"
							      : "give the text as one argument (quote it)");
	*text = argv[crm_cli_optind()];
	return 0;
}

int crm_cmd_note_add(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteCreate create = CRM__NOTE_CREATE__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Note *note;
	char keybuf[CRM_CLIENT_KEY_LEN + 1], body[CRM_NOTE_BODY_MAX + 1];
	const char *key = NULL, *text = NULL;
	size_t len = 0;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = add_args(cli, argc, argv, &key, &text);
	if (rc != 0)
		return rc;
	if (strcmp(text, "-") == 0) {
		rc = read_stdin(cli, body, CRM_NOTE_BODY_MAX, &len);
		if (rc != 0)
			return rc;
		text = body;
	} else {
		len = strlen(text);
	}
	if (key == NULL) { /* so that the library may retry after a dropped connection */
		if (!crm_client_idempotency_key(keybuf, &err))
			return crm_cli_fail(cli, &err);
		key = keybuf;
	}
	create.has_body = true;
	create.body.data = (uint8_t *)text;
	create.body.len = len;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_CREATE;
	req.note_create = &create;
	req.has_idempotency_key = true;
	req.idempotency_key.data = (uint8_t *)key;
	req.idempotency_key.len = strlen(key);
	if (!crm_cli_call(cli, &req, &reply, &err) || (note = reply_note(reply, &err)) == NULL) {
		rc = crm_cli_fail(cli, &err);
		hint_retry(&err, key);
	} else {
		rc = print_note(cli, note, false);
	}
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_note_show(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteGet get = CRM__NOTE_GET__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Note *note;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 1, "exactly one note id");
	if (rc != 0)
		return rc;
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &get.note_id))
		return CRM_EXIT_USAGE;
	get.has_note_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_GET;
	req.note_get = &get;
	if (!crm_cli_call(cli, &req, &reply, &err) || (note = reply_note(reply, &err)) == NULL)
		rc = crm_cli_fail(cli, &err);
	else
		rc = print_note(cli, note, true);
	crm_client_reply_free(reply);
	return rc;
}
