/*
 * cmd_note: `crm note add|show|list|edit|delete|restore|reassign|share`:
 * the fixture record type that exercises ownership, sharing, soft delete,
 * optimistic concurrency (versions) and the audit trail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
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

/* The note's text: the argument, or standard input when it is "-".
 * buf holds CRM_NOTE_BODY_MAX + 1 bytes. */
static int note_text(struct crm_cli *cli, const char **text, char *buf, size_t *len) {
	int rc;

	if (strcmp(*text, "-") != 0) {
		*len = strlen(*text);
		return 0;
	}
	rc = read_stdin(cli, buf, CRM_NOTE_BODY_MAX, len);
	if (rc == 0)
		*text = buf;
	return rc;
}

static const char *const note_cols[] = {"note_id",    "owner",	 "team",       "version",
					"created_at", "updated_at", "deleted_at", "body"};
#define NOTE_NCOLS (sizeof(note_cols) / sizeof(note_cols[0]))

static void add_opt_int(crm_result *r, protobuf_c_boolean has, int64_t v) {
	if (has)
		crm_result_add_int(r, v);
	else
		crm_result_add_null(r);
}

static void note_cells(crm_result *r, const Crm__Note *n) {
	crm_result_add_row(r);
	add_opt_int(r, n->has_note_id, n->note_id);
	crm_result_add_str(r, n->owner);
	crm_result_add_str(r, n->team);
	add_opt_int(r, n->has_version, n->version);
	crm_cli_add_opt_time(r, n->has_created_at, n->created_at);
	crm_cli_add_opt_time(r, n->has_updated_at, n->updated_at);
	crm_cli_add_opt_time(r, n->has_deleted_at, n->deleted_at);
	if (n->has_body)
		crm_result_add_strn(r, (const char *)n->body.data, n->body.len);
	else
		crm_result_add_null(r);
}

static int print_note(struct crm_cli *cli, const Crm__Note *n) {
	crm_result *r = crm_result_new(NOTE_NCOLS, note_cols);
	int rc;

	note_cells(r, n);
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
	if (rc != 0 || (rc = note_text(cli, &text, body, &len)) != 0)
		return rc;
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
		rc = print_note(cli, note);
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
		rc = print_note(cli, note);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- list */

int crm_cmd_note_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"deleted", no_argument, NULL, 'd'},
						 {"export", no_argument, NULL, 'e'},
						 CRM_CLI_PAGE_OPTIONS,
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteList nl = CRM__NOTE_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__NoteListReply *l;
	crm_result *r;
	char *arg;
	size_t i;
	int c, rc = 0;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'd')
			nl.has_deleted = nl.deleted = true;
		else if (c == 'e')
			nl.has_export = nl.export = true;
		else if (crm_cli_page_option(cli, c, arg, &page) != 1)
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() != argc)
		return crm_cli_usage(cli, "unexpected argument '%s'", argv[crm_cli_optind()]);
	nl.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_LIST;
	req.note_list = &nl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_NOTE_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_result_new(NOTE_NCOLS, note_cols);
		crm_result_hide(r, "created_at");
		if (!nl.deleted)
			crm_result_hide(r, "deleted_at");
		for (i = 0; i < l->n_notes; i++)
			note_cells(r, l->notes[i]);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
		crm_cli_next_page(cli, l->has_next_cursor, &l->next_cursor);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- edit */

/* The note's current version, read with NoteGet. */
static bool current_version(struct crm_cli *cli, int64_t id, int64_t *version, int *rc) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteGet get = CRM__NOTE_GET__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Note *n;

	get.has_note_id = true;
	get.note_id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_GET;
	req.note_get = &get;
	n = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_NOTE, &reply, rc);
	if (n != NULL && !n->has_version) {
		fprintf(stderr, "crm: error: the server did not say which version note %lld is "
				"at; give --version N\n",
			(long long)id);
		*rc = CRM_EXIT_FAILURE;
		n = NULL;
	}
	if (n != NULL)
		*version = n->version;
	crm_client_reply_free(reply);
	return n != NULL;
}

static int edit_args(struct crm_cli *cli, int argc, char **argv, Crm__NoteUpdate *nu,
		     const char **text) {
	static const struct option longopts[] = {{"version", required_argument, NULL, 'v'},
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'v' || !crm_cli_parse_id(cli, arg, "--version", &nu->version))
			return CRM_EXIT_USAGE;
		nu->has_version = true;
	}
	if (crm_cli_optind() + 2 != argc)
		return crm_cli_usage(cli, "give the note's ID and its new TEXT (quote it)");
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &nu->note_id))
		return CRM_EXIT_USAGE;
	nu->has_note_id = true;
	*text = argv[crm_cli_optind() + 1];
	return 0;
}

int crm_cmd_note_edit(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteUpdate nu = CRM__NOTE_UPDATE__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Note *note;
	char body[CRM_NOTE_BODY_MAX + 1];
	const char *text = NULL;
	size_t len;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = edit_args(cli, argc, argv, &nu, &text);
	if (rc != 0 || (rc = note_text(cli, &text, body, &len)) != 0)
		return rc;
	if (!nu.has_version && !current_version(cli, nu.note_id, &nu.version, &rc))
		return rc;
	nu.has_version = true;
	nu.has_body = true;
	nu.body.data = (uint8_t *)text;
	nu.body.len = len;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_UPDATE;
	req.note_update = &nu;
	if (!crm_cli_call(cli, &req, &reply, &err) || (note = reply_note(reply, &err)) == NULL) {
		if (err.code == CRM_CONFLICT) {
			crm_err_clear(&err);
			crm_err_set(&err, CRM_CONFLICT, NULL,
				    "note %lld changed since you read it; run crm note show %lld "
				    "and retry",
				    (long long)nu.note_id, (long long)nu.note_id);
		}
		rc = crm_cli_fail(cli, &err);
	} else {
		rc = print_note(cli, note);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- delete, restore */

/* Sends req; prints the Note the server answers with, or `done` if none. */
static int call_note(struct crm_cli *cli, Crm__ClientFrame *req, const char *done, int64_t id) {
	Crm__ServerFrame *reply = NULL;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	if (!crm_cli_call(cli, req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else if (reply->response->body_case == CRM__RESPONSE__BODY_NOTE && reply->response->note)
		rc = print_note(cli, reply->response->note);
	else
		crm_cli_done(cli, "note %lld %s", (long long)id, done);
	crm_client_reply_free(reply);
	return rc;
}

/* The one ID operand of delete and restore. */
static int id_operand(struct crm_cli *cli, int argc, char **argv, int64_t *id) {
	int rc = crm_cli_operands(cli, argc, argv, 1, "exactly one note id");

	if (rc != 0)
		return rc;
	return crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", id) ? 0 : CRM_EXIT_USAGE;
}

int crm_cmd_note_delete(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteDelete nd = CRM__NOTE_DELETE__INIT;
	int rc = id_operand(cli, argc, argv, &nd.note_id);

	if (rc != 0)
		return rc;
	nd.has_note_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_DELETE;
	req.note_delete = &nd;
	return call_note(cli, &req, "deleted (`crm note restore` brings it back)", nd.note_id);
}

int crm_cmd_note_restore(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteRestore nr = CRM__NOTE_RESTORE__INIT;
	int rc = id_operand(cli, argc, argv, &nr.note_id);

	if (rc != 0)
		return rc;
	nr.has_note_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_RESTORE;
	req.note_restore = &nr;
	return call_note(cli, &req, "restored", nr.note_id);
}

/* ---------------------------------------------------------------- reassign, share */

int crm_cmd_note_reassign(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"owner", required_argument, NULL, 'o'},
						 {"team", required_argument, NULL, 't'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteReassign nr = CRM__NOTE_REASSIGN__INIT;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'o')
			crm_cli_bytes(&nr.owner, &nr.has_owner, arg);
		else if (c == 't')
			crm_cli_bytes(&nr.team, &nr.has_team, arg);
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, "give exactly one note id");
	if (!nr.has_owner)
		return crm_cli_usage(cli, "--owner USER is required");
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &nr.note_id))
		return CRM_EXIT_USAGE;
	nr.has_note_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_REASSIGN;
	req.note_reassign = &nr;
	return call_note(cli, &req, "reassigned", nr.note_id);
}

static int share_option(struct crm_cli *cli, int c, const char *arg, Crm__NoteShare *ns) {
	char list[64];
	int access;

	switch (c) {
	case 'u':
		crm_cli_bytes(&ns->user, &ns->has_user, arg);
		return 0;
	case 't':
		crm_cli_bytes(&ns->team, &ns->has_team, arg);
		return 0;
	case 'r':
		ns->has_revoke = ns->revoke = true;
		return 0;
	case 'a':
		if (!crm_args_enum(&crm__access__descriptor, "ACCESS_", arg, &access))
			return crm_cli_usage(cli, "--access is one of %s, not '%s'",
					     crm_args_enum_list(&crm__access__descriptor, "ACCESS_",
								list, sizeof(list)),
					     arg);
		ns->has_access = true;
		ns->access = (Crm__Access)access;
		return 0;
	default:
		return CRM_EXIT_USAGE;
	}
}

int crm_cmd_note_share(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"user", required_argument, NULL, 'u'},
						 {"team", required_argument, NULL, 't'},
						 {"access", required_argument, NULL, 'a'},
						 {"revoke", no_argument, NULL, 'r'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__NoteShare ns = CRM__NOTE_SHARE__INIT;
	char *arg;
	int c, rc = 0;

	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = share_option(cli, c, arg, &ns);
	if (rc != 0)
		return rc;
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, "give exactly one note id");
	if (ns.has_user == ns.has_team)
		return crm_cli_usage(cli, "give exactly one of --user USER or --team TEAM");
	if (ns.revoke && ns.has_access)
		return crm_cli_usage(cli, "--revoke takes no --access");
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &ns.note_id))
		return CRM_EXIT_USAGE;
	ns.has_note_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_NOTE_SHARE;
	req.note_share = &ns;
	return call_note(cli, &req, ns.revoke ? "no longer shared" : "shared", ns.note_id);
}
