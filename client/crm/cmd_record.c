/*
 * cmd_record: `crm TYPE add|show|list|edit|delete|restore|purge|reassign`
 * for every business record type (TYPE from the command's noun; the
 * type's table in cmd_<type>.c). See cmd_record.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_record.h"
#include "crm_wire.h"
#include "prompt.h"
#include "i18n.h"

/* The record inside a reply's Record, or NULL with err set. */
static const ProtobufCMessage *reply_record(const Crm__ServerFrame *reply, crm_err *err) {
	const Crm__Record *rec = crm_cli_body(reply, CRM__RESPONSE__BODY_RECORD, err);
	const ProtobufCMessage *m = rec ? crm_recval_inner(rec) : NULL;

	if (rec != NULL && m == NULL)
		crm_err_set(err, CRM_INTERNAL, NULL, _("the server's reply holds an empty record"));
	return m;
}

/* The one ID operand of show, delete, restore (no options). */
static int id_operand(struct crm_cli *cli, const struct crm_rec_type *t, int argc, char **argv,
		      int64_t *id) {
	char what[64];
	int rc;

	snprintf(what, sizeof(what), _("exactly one %s id"), t->noun);
	rc = crm_cli_operands(cli, argc, argv, 1, what);
	if (rc != 0)
		return rc;
	return crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", id) ? 0 : CRM_EXIT_USAGE;
}

/* ---------------------------------------------------------------- add */

/* The outcome of an add is unknown: say how to retry safely. */
static void hint_retry(struct crm_cli *cli, const struct crm_rec_type *t, const crm_err *err,
		       const char *key) {
	if ((err->code == CRM_UNAVAILABLE || err->code == CRM_DEADLINE_EXCEEDED) &&
	    strstr(err->msg, "outcome unknown") != NULL && cli->keyed)
		crm_cli_hint(_("it was sent with idempotency key %s; running the same command with "
			     "--idempotency-key %s is safe: the %s is added at most once"),
			     key, key, t->noun);
}

int crm_cmd_record_add(struct crm_cli *cli, int argc, char **argv) {
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordCreate create = CRM__RECORD_CREATE__INIT;
	Crm__ServerFrame *reply = NULL;
	struct crm_rec_edit e = {0};
	struct crm_rec_mem own = {0};
	const ProtobufCMessage *m;
	int64_t id = 0;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	if (t->add_own != NULL)
		rc = t->add_own(cli, &argc, argv, &own, &create);
	if (rc == 0)
		rc = crm_rec_parse_edit(cli, t, false, argc, argv, &e);
	if (rc != 0)
		goto cleanup;
	create.record = &e.record;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	req.record_create = &create;
	if (e.idempotency_key != NULL)
		crm_cli_bytes(&req.idempotency_key, &req.has_idempotency_key, e.idempotency_key);
	if (!crm_cli_call(cli, &req, &reply, &err) || (m = reply_record(reply, &err)) == NULL) {
		rc = crm_cli_fail(cli, &err);
		hint_retry(cli, t, &err, e.idempotency_key ? e.idempotency_key : cli->idem_key);
	} else if (cli->format == CRM_FORMAT_TABLE && crm_rec_get_int(m, "id", &id)) {
		crm_cli_done(cli, "%lld", (long long)id); /* for $(crm account add ...) */
	} else {
		rc = crm_rec_print(cli, m);
	}
cleanup:
	crm_client_reply_free(reply);
	crm_rec_edit_fini(&e);
	crm_rec_mem_free(&own);
	return rc;
}

/* ---------------------------------------------------------------- show */

/* Reads record id of type t; *reply holds it (the caller frees it). */
static const ProtobufCMessage *get_record(struct crm_cli *cli, const struct crm_rec_type *t,
					  int64_t id, Crm__ServerFrame **reply, int *rc) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	const ProtobufCMessage *m = NULL;
	crm_err err;

	crm_err_clear(&err);
	get.has_type = get.has_id = true;
	get.type = t->type;
	get.id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	if (!crm_cli_call(cli, &req, reply, &err) || (m = reply_record(*reply, &err)) == NULL)
		*rc = crm_cli_fail(cli, &err);
	return m;
}

/*
 * The field definitions of type t, for the labels of custom values; NULL
 * when the server does not give them (the values are then shown by name:
 * nothing to report). *reply holds them.
 */
static const Crm__FieldListReply *field_defs(struct crm_cli *cli, const struct crm_rec_type *t,
					     Crm__ServerFrame **reply) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__FieldList fl = CRM__FIELD_LIST__INIT;
	const Crm__FieldListReply *l = NULL;
	crm_err err;

	crm_err_clear(&err);
	fl.has_record_type = true;
	fl.record_type = t->type;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_FIELD_LIST;
	req.field_list = &fl;
	if (crm_cli_call(cli, &req, reply, &err))
		l = crm_cli_body(*reply, CRM__RESPONSE__BODY_FIELD_LIST, &err);
	return l;
}

static bool has_custom(const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fd = NULL;

	/* without mem the walk only reads: the cast does not let it write */
	m = crm_rec_walk(NULL, (ProtobufCMessage *)m, "custom", &fd);
	return m != NULL && crm_recval_has(m, fd);
}

int crm_cmd_record_show(struct crm_cli *cli, int argc, char **argv) {
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ServerFrame *reply = NULL, *fields = NULL;
	const Crm__FieldListReply *defs = NULL;
	const ProtobufCMessage *m;
	int64_t id = 0;
	int rc = id_operand(cli, t, argc, argv, &id);

	if (rc != 0)
		return rc;
	m = get_record(cli, t, id, &reply, &rc);
	/* people read custom fields by their labels; scripts keep the names */
	if (m != NULL && cli->format == CRM_FORMAT_TABLE && has_custom(m))
		defs = field_defs(cli, t, &fields);
	if (m != NULL)
		rc = crm_rec_print_labeled(cli, m, defs);
	crm_client_reply_free(fields);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- list */

struct list_out {
	struct crm_cli *cli;
	const struct crm_rec_type *t;
	crm_result *r;
	bool people; /* the table for people, else every field */
	uint64_t total;
	bool has_total, total_capped;
};

static size_t list_add(void *ctx, const void *body) {
	const Crm__RecordListReply *l = body;
	struct list_out *o = ctx;
	const ProtobufCMessage *m;
	size_t i, n = 0;

	for (i = 0; i < l->n_records; i++) {
		m = crm_recval_inner(l->records[i]);
		if (m == NULL || m->descriptor != o->t->desc)
			continue;
		if (o->people)
			crm_rec_add_people_row(o->r, o->t, m);
		else
			crm_rec_add_message(o->r, m);
		n++;
	}
	return n;
}

static const ProtobufCBinaryData *list_cursor(const void *body) {
	const Crm__RecordListReply *l = body;

	return l->has_next_cursor ? &l->next_cursor : NULL;
}

static void list_first(void *ctx, const void *body) {
	const Crm__RecordListReply *l = body;
	struct list_out *o = ctx;

	o->has_total = l->has_total;
	o->total = l->total;
	o->total_capped = l->has_total_capped && l->total_capped;
}

/* "12,345" */
static void thousands(uint64_t v, char *buf, size_t bufsz) {
	char digits[32];
	size_t n, i, k = 0;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	n = strlen(digits);
	for (i = 0; i < n && k + 2 < bufsz; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
}

/* The count after the rows: a line after the table; in JSON an object
 * {"total", "total_capped", PLURAL: [rows]}; for CSV on standard error. */
static int print_list(struct list_out *o) {
	static const char *cols[3] = {"total", "total_capped", NULL};
	char num[40];
	crm_result *w;
	int rc;

	if (!o->has_total)
		return crm_cli_print(o->cli, o->r, false);
	thousands(o->total, num, sizeof(num));
	if (o->cli->format == CRM_FORMAT_JSON) {
		cols[2] = o->t->plural;
		w = crm_result_new(3, cols);
		crm_result_add_row(w);
		crm_result_add_int(w, (int64_t)o->total);
		crm_result_add_bool(w, o->total_capped);
		crm_result_add_json_result(w, o->r, NULL);
		rc = crm_cli_print(o->cli, w, true);
		crm_result_free(w);
		return rc;
	}
	rc = crm_cli_print(o->cli, o->r, false);
	if (o->cli->format == CRM_FORMAT_TABLE)
		crm_cli_done(o->cli, "%s%s %s", num, o->total_capped ? "+" : "",
			     o->total == 1 && !o->total_capped ? crm_rec_noun(o->t)
								: crm_rec_plural(o->t));
	else
		fprintf(stderr, "crm: %s%s %s\n", num, o->total_capped ? "+" : "",
			o->total == 1 && !o->total_capped ? o->t->noun : o->t->plural);
	return rc;
}

int crm_cmd_record_list(struct crm_cli *cli, int argc, char **argv) {
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	struct crm_rec_list l = {0};
	struct list_out o = {.cli = cli, .t = t};
	struct crm_rec_pager p = {0};
	int rc;

	rc = crm_rec_parse_list(cli, t, argc, argv, crm_now_us(), &l);
	if (rc != 0)
		goto cleanup;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
	req.record_list = &l.rl;
	o.people = cli->format == CRM_FORMAT_TABLE;
	o.r = o.people ? crm_rec_people_result(t) : crm_rec_result(t->desc);
	p = (struct crm_rec_pager){.req = &req,
				   .page = &l.page,
				   .want = CRM__RESPONSE__BODY_RECORD_LIST,
				   .all = l.all,
				   .what = t->plural,
				   .add = list_add,
				   .ctx = &o,
				   .next_cursor = list_cursor,
				   .first = list_first};
	rc = crm_rec_page_all(cli, &p);
	if (rc == 0)
		rc = print_list(&o);
cleanup:
	if (o.r != NULL)
		crm_result_free(o.r);
	crm_rec_list_fini(&l);
	return rc;
}

/* ---------------------------------------------------------------- paging */

static void progress(const struct crm_rec_pager *p, size_t rows, bool done) {
	if (done)
		fputs("\r\033[K", stderr);
	else
		fputc('\r', stderr), fprintf(stderr, _("crm: %zu %s so far..."), rows, p->what);
	fflush(stderr);
}

int crm_rec_page_all(struct crm_cli *cli, struct crm_rec_pager *p) {
	const ProtobufCBinaryData *cur;
	Crm__ServerFrame *reply = NULL;
	bool tty = p->all && isatty(STDERR_FILENO), shown = false;
	uint8_t *owned = NULL;
	size_t rows = 0, pages = 0;
	const void *body;
	int rc = 0;

	for (;;) {
		body = crm_cli_request(cli, p->req, p->want, &reply, &rc);
		if (body == NULL)
			break;
		if (pages++ == 0 && p->first != NULL)
			p->first(p->ctx, body);
		rows += p->add(p->ctx, body);
		cur = p->next_cursor(body);
		if (!p->all || cur == NULL || cur->len == 0) {
			if (!p->all)
				crm_cli_next_page(cli, cur != NULL, cur);
			break;
		}
		/* the next page; a total is counted once */
		free(owned);
		owned = malloc(cur->len);
		if (owned == NULL) {
			fputs(_("crm: out of memory\n"), stderr);
			abort();
		}
		memcpy(owned, cur->data, cur->len);
		p->page->has_cursor = true;
		p->page->cursor.data = owned;
		p->page->cursor.len = cur->len;
		if (p->req->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_LIST)
			p->req->record_list->has_total = p->req->record_list->total = false;
		crm_client_reply_free(reply);
		reply = NULL;
		if (tty && pages >= 2) {
			progress(p, rows, false);
			shown = true;
		}
	}
	if (shown)
		progress(p, rows, true);
	crm_client_reply_free(reply);
	free(owned);
	return rc;
}

/* ---------------------------------------------------------------- edit */

static void hint_conflict(const struct crm_rec_type *t, const struct crm_rec_edit *e,
			  bool version_given) {
	if (version_given)
		crm_cli_hint(_("%s %lld is no longer at version %lld: see `crm %s show %lld`, then run "
			     "the command again without --version (or with the current one)"),
			     crm_rec_noun(t), (long long)e->id, (long long)e->version, t->noun,
			     (long long)e->id);
	else
		crm_cli_hint(_("%s %lld changed after crm read it at version %lld: run the command "
			     "again (it reads the current version first)"),
			     crm_rec_noun(t), (long long)e->id, (long long)e->version);
}

/* Reads the version of the record to edit (the server wants the version
 * an update that sets or clears fields was made against). */
static int read_version(struct crm_cli *cli, const struct crm_rec_type *t,
			struct crm_rec_edit *e) {
	Crm__ServerFrame *read = NULL;
	const ProtobufCMessage *m;
	int rc = 0;

	m = get_record(cli, t, e->id, &read, &rc);
	if (m != NULL && !crm_rec_get_int(m, "version", &e->version)) {
		fprintf(stderr, _("crm: error: the server did not say which version %s %lld is at; "
				"give --version N\n"),
			crm_rec_noun(t), (long long)e->id);
		rc = CRM_EXIT_FAILURE;
	}
	crm_client_reply_free(read);
	return rc;
}

/* The field of a refused --remove-X or --primary-X (the record lacks the
 * item): "record_update.remove_emails". */
static bool list_edit_field(const char *field) {
	const char *name = strrchr(field, '.');

	name = name ? name + 1 : field;
	return strncmp(name, "remove_", 7) == 0 || strncmp(name, "primary_", 8) == 0;
}

/* A --remove-X or --primary-X the record lacks (the server's message says
 * what it has) is a usage error, exit 2, as when crm checked it itself. */
static int item_refused(const struct crm_rec_type *t, const crm_err *err) {
	const char *name = strrchr(err->field, '.');

	name = name ? name + 1 : err->field;
	if (strncmp(name, "primary_", 8) == 0)
		crm_cli_hint(_("add it with --add-%s, or name one the %s has"), name + 8, t->noun);
	return CRM_EXIT_USAGE;
}

/* Edits made only of --add-X / --remove-X / a lone --primary-X do not
 * depend on what crm read: they go without a version (unless --version is
 * given), and the server applies them to the lists as they are when the
 * update runs, so concurrent ones all land. Any other edit carries the
 * version it was made against: --version, or the one crm reads first. */
int crm_cmd_record_edit(struct crm_cli *cli, int argc, char **argv) {
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordUpdate up = CRM__RECORD_UPDATE__INIT;
	Crm__ServerFrame *reply = NULL;
	struct crm_rec_edit e = {0};
	const ProtobufCMessage *m;
	crm_err err;
	int rc;

	rc = crm_rec_parse_edit(cli, t, true, argc, argv, &e);
	if (rc != 0)
		goto cleanup;
	if (!e.has_version && e.list_edits != e.changes && (rc = read_version(cli, t, &e)) != 0)
		goto cleanup;
	up.has_id = true;
	up.id = e.id;
	up.has_version = e.has_version || e.list_edits != e.changes;
	up.version = e.version;
	up.changes = &e.record;
	up.clear = e.clear;
	up.n_clear = e.n_clear;
	crm_rec_list_ops(t, &e, &up);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
	req.record_update = &up;
	crm_err_clear(&err);
	if (!crm_cli_call(cli, &req, &reply, &err) || (m = reply_record(reply, &err)) == NULL) {
		rc = crm_cli_fail(cli, &err);
		if (err.code == CRM_CONFLICT)
			hint_conflict(t, &e, e.has_version);
		else if (err.code == CRM_INVALID_ARGUMENT && list_edit_field(err.field))
			rc = item_refused(t, &err); /* an item the record lacks */
	} else {
		rc = crm_rec_print(cli, m);
	}
cleanup:
	crm_client_reply_free(reply);
	crm_rec_edit_fini(&e);
	return rc;
}

/* ---------------------------------------------------------------- delete, restore, purge */

/*
 * Sends req. JSON and CSV print the record the server answers with (if
 * any); tables print `done` ("account 12 deleted ...").
 */
static int call_record(struct crm_cli *cli, Crm__ClientFrame *req, const char *done) {
	Crm__ServerFrame *reply = NULL;
	const ProtobufCMessage *m;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	if (!crm_cli_call(cli, req, &reply, &err)) {
		rc = crm_cli_fail(cli, &err);
	} else if (cli->format != CRM_FORMAT_TABLE &&
		   reply->response->body_case == CRM__RESPONSE__BODY_RECORD &&
		   (m = crm_recval_inner(reply->response->record)) != NULL) {
		rc = crm_rec_print(cli, m);
	} else {
		crm_cli_done(cli, "%s", done);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* RecordDelete and RecordRestore have the same shape. */
static int set_deleted(struct crm_cli *cli, int argc, char **argv, bool deleted) {
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordDelete del = CRM__RECORD_DELETE__INIT;
	Crm__RecordRestore res = CRM__RECORD_RESTORE__INIT;
	char done[160];
	int64_t id = 0;
	int rc = id_operand(cli, t, argc, argv, &id);

	if (rc != 0)
		return rc;
	if (deleted) {
		del.has_type = del.has_id = true;
		del.type = t->type;
		del.id = id;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_DELETE;
		req.record_delete = &del;
		snprintf(done, sizeof(done), _("%s %lld deleted (`crm %s restore %lld` brings it back)"),
			 crm_rec_noun(t), (long long)id, t->noun, (long long)id);
	} else {
		res.has_type = res.has_id = true;
		res.type = t->type;
		res.id = id;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_RESTORE;
		req.record_restore = &res;
		snprintf(done, sizeof(done), _("%s %lld restored"), crm_rec_noun(t), (long long)id);
	}
	return call_record(cli, &req, done);
}

int crm_cmd_record_delete(struct crm_cli *cli, int argc, char **argv) {
	return set_deleted(cli, argc, argv, true);
}

int crm_cmd_record_restore(struct crm_cli *cli, int argc, char **argv) {
	return set_deleted(cli, argc, argv, false);
}

bool crm_rec_confirm(struct crm_cli *cli, const char *question, int *rc) {
	char line[16];

	if (!crm_prompt_tty()) {
		*rc = crm_cli_usage(cli, _("this cannot be undone, and standard input is not a "
					 "terminal to ask on: add --yes to go ahead"));
		return false;
	}
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0 && strcmp(line, "Y\n") != 0)) {
		fputs(_("crm: nothing done\n"), stderr);
		*rc = CRM_EXIT_FAILURE;
		return false;
	}
	return true;
}

int crm_cmd_record_purge(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"yes", no_argument, NULL, 'y'},
						 {NULL, 0, NULL, 0}};
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordPurge pu = CRM__RECORD_PURGE__INIT;
	char question[256], done[96], *arg;
	bool yes = false;
	int c, rc = 0;

	while ((c = crm_cli_getopt(cli, argc, argv, "y", longopts, &arg)) != -1) {
		if (c != 'y')
			return CRM_EXIT_USAGE;
		yes = true;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one %s id"), t->noun);
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &pu.id))
		return CRM_EXIT_USAGE;
	snprintf(question, sizeof(question),
		 _("Purge %s %lld for good? Its tags, custom values, relationships and shares go "
		 "with it, and its personal data is blanked in the audit trail."),
		 crm_rec_noun(t), (long long)pu.id);
	if (!yes && !crm_rec_confirm(cli, question, &rc))
		return rc;
	pu.has_type = pu.has_id = true;
	pu.type = t->type;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_PURGE;
	req.record_purge = &pu;
	snprintf(done, sizeof(done), _("%s %lld purged"), crm_rec_noun(t), (long long)pu.id);
	return call_record(cli, &req, done);
}

/* ---------------------------------------------------------------- reassign */

/* "2 with ada, 1 with sal" into buf; returns how many stayed. */
static unsigned stayed_text(const Crm__ReassignOutcome *o, char *buf, size_t bufsz) {
	unsigned total = 0;
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < o->n_contacts_stayed; i++) {
		const Crm__ContactsStayed *c = o->contacts_stayed[i];
		if (c == NULL || c->count == 0)
			continue;
		total += c->count;
		if (n < bufsz)
			n += (size_t)snprintf(buf + n, bufsz - n, "%s%u with %.64s", n ? ", " : "",
					      c->count, c->owner ? c->owner : "?");
	}
	return total;
}

/*
 * What happened to an account's contacts: after the table's line on
 * standard output, else (JSON, CSV: the record is the output) on standard
 * error.
 */
static void say_outcome(struct crm_cli *cli, const Crm__RecordReassign *ra,
			const Crm__ReassignOutcome *o) {
	FILE *out = cli->format == CRM_FORMAT_TABLE ? stdout : stderr;
	const char *pre = cli->format == CRM_FORMAT_TABLE ? "" : "crm: ";
	char who[512];
	unsigned stayed;

	if (o == NULL)
		return;
	if (o->has_contacts_moved && o->contacts_moved > 0)
		fprintf(out,
			crm_ngettext("%s%u contact moved with it\n", "%s%u contacts moved with it\n",
				     o->contacts_moved),
			pre, o->contacts_moved);
	stayed = stayed_text(o, who, sizeof(who));
	if (stayed > 0)
		fprintf(out,
			crm_ngettext("%s%u of its contacts stayed with its owner (%s)%s\n",
				     "%s%u of its contacts stayed with their owners (%s)%s\n", stayed),
			pre, stayed,
			who, ra->with_contacts ? "" : _("; --with-contacts moves them too"));
	fflush(out);
}

/* Sends the reassign; prints `done` (tables) or the record, then what
 * happened to the contacts. */
static int send_reassign(struct crm_cli *cli, Crm__ClientFrame *req, const char *done) {
	const Crm__RecordReassign *ra = req->record_reassign;
	Crm__ServerFrame *reply = NULL;
	const Crm__Record *rec = NULL;
	const ProtobufCMessage *m;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	if (!crm_cli_call(cli, req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else if (reply->response->body_case == CRM__RESPONSE__BODY_RECORD)
		rec = reply->response->record;
	if (rc == 0 && cli->format != CRM_FORMAT_TABLE && (m = crm_recval_inner(rec)) != NULL)
		rc = crm_rec_print(cli, m);
	else if (rc == 0)
		crm_cli_done(cli, "%s", done);
	if (rc == 0 && rec != NULL)
		say_outcome(cli, ra, rec->reassign);
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_record_reassign(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"owner", required_argument, NULL, 'o'},
						 {"team", required_argument, NULL, 't'},
						 {"with-contacts", no_argument, NULL, 'w'},
						 {NULL, 0, NULL, 0}};
	const struct crm_rec_type *t = crm_rec_type_of(cli);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordReassign ra = CRM__RECORD_REASSIGN__INIT;
	char done[256], *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'o')
			crm_cli_bytes(&ra.owner, &ra.has_owner, arg);
		else if (c == 't')
			crm_cli_bytes(&ra.team, &ra.has_team, arg);
		else if (c == 'w' && t->with_contacts)
			ra.has_with_contacts = ra.with_contacts = true;
		else if (c == 'w')
			return crm_cli_usage(cli, _("--with-contacts is for accounts: 'crm account "
						  "reassign ID --owner USER --with-contacts'"));
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one %s id"), t->noun);
	if (!ra.has_owner || ra.owner.len == 0)
		return crm_cli_usage(cli, _("--owner USER is required (the user who gets the %s)"),
				     crm_rec_noun(t));
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &ra.id))
		return CRM_EXIT_USAGE;
	ra.has_type = ra.has_id = true;
	ra.type = t->type;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_REASSIGN;
	req.record_reassign = &ra;
	snprintf(done, sizeof(done), _("%s %lld now belongs to %.64s%s%.100s%s"), crm_rec_noun(t),
		 (long long)ra.id, (const char *)ra.owner.data, ra.has_team ? _(", team ") : "",
		 ra.has_team ? (const char *)ra.team.data : "",
		 ra.with_contacts ? _(", with its contacts") : "");
	return send_reassign(cli, &req, done);
}

const char *crm_rec_noun(const struct crm_rec_type *t) {
	return crm_i18n_pgettext("record type", t->noun);
}

const char *crm_rec_plural(const struct crm_rec_type *t) {
	return crm_i18n_pgettext("record types", t->plural);
}
