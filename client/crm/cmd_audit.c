/*
 * cmd_audit: `crm audit list`: the audit trail, filtered by record, user
 * and time, one page at a time or every page (--all). Tables summarise
 * each entry's old and new values as "field: old → new" in the server's
 * form for people (user and team names beside ids, money with its
 * currency), cut at CHANGES_SHOWN_MAX columns; like every list table the
 * table is cut to the terminal (crm_cli_print), leaving out request_id,
 * then client_addr, when it cannot fit otherwise. JSON keeps the recorded
 * values as JSON objects, CSV as JSON text.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_record.h"
#include "crm_wire.h"
#include "textwidth.h"

#define VALUE_SHOWN_MAX 40	/* bytes of one value in the changes column */
#define CHANGES_SHOWN_MAX 60 /* columns of the whole changes cell */

/* A growable string; out of memory aborts (CLI code, like output.c). */
struct text {
	char *p;
	size_t len;
};

static void put(struct text *t, const char *s, size_t n) {
	char *p = realloc(t->p, t->len + n + 1);

	if (p == NULL) {
		fputs(_("crm: out of memory\n"), stderr);
		abort();
	}
	memcpy(p + t->len, s, n);
	t->p = p;
	t->len += n;
	t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

/* A value, shortened to about VALUE_SHOWN_MAX bytes at a cluster edge:
 * a string as its text, anything else as compact JSON. */
static void put_value(struct text *t, const json_t *v) {
	char *json = NULL;
	const char *s;
	size_t len, cut = 0, n, cols;

	if (json_is_string(v)) {
		s = json_string_value(v);
		len = json_string_length(v);
	} else {
		json = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (json == NULL) {
			puts_(t, "?");
			return;
		}
		s = json;
		len = strlen(json);
	}
	while (cut < len && cut < VALUE_SHOWN_MAX) { /* whole grapheme clusters */
		n = crm_textwidth_next(s + cut, len - cut, &cols);
		if (cut + n > len)
			break;
		cut += n;
	}
	put(t, s, cut);
	if (cut < len)
		puts_(t, "…");
	free(json);
}

static void put_key(struct text *t, const char *key, const char *mark) {
	if (t->len > 0)
		puts_(t, "; ");
	puts_(t, mark);
	puts_(t, key);
	puts_(t, ": ");
}

/* An object read from text, or NULL when text is absent or not a JSON
 * object; *bad tells the two apart. Integers past 64 bits read as reals. */
static json_t *object_of(const char *text, bool *bad) {
	json_t *v;

	if (text == NULL)
		return NULL;
	v = json_loads(text, JSON_DECODE_INT_AS_REAL, NULL);
	if (v != NULL && json_is_object(v))
		return v;
	json_decref(v);
	*bad = true;
	return NULL;
}

/* "a: 1 → 2; +b: x; -c: y" from two JSON objects (either may be absent);
 * members in the order the server wrote them. */
static char *changes(const char *old_json, const char *new_json) {
	bool bad = false;
	json_t *o = object_of(old_json, &bad), *n = object_of(new_json, &bad);
	struct text t = {0};
	const char *key;
	json_t *m, *other;

	puts_(&t, "");
	if (bad) { /* not what the server promised: show it as it came */
		puts_(&t, old_json ? old_json : "");
		puts_(&t, " → ");
		puts_(&t, new_json ? new_json : "");
		goto cleanup;
	}
	json_object_foreach(n, key, m) {
		other = json_object_get(o, key);
		put_key(&t, key, other ? "" : "+");
		if (other) {
			put_value(&t, other);
			puts_(&t, " → ");
		}
		put_value(&t, m);
	}
	json_object_foreach(o, key, m) {
		if (json_object_get(n, key) != NULL)
			continue;
		put_key(&t, key, "-");
		put_value(&t, m);
	}
cleanup:
	json_decref(o);
	json_decref(n);
	return t.p;
}

/* Cuts t (malloc'd) at max display columns, ending in "…" when anything
 * was cut; returns the string, which may have moved. */
static char *cut_columns(char *t, size_t max) {
	size_t len = strlen(t), at = 0, n, cols = 0, keep = 0, w;

	while (at < len) { /* whole grapheme clusters only */
		n = crm_textwidth_next(t + at, len - at, &w);
		if (cols + w > max - 1 && keep == 0)
			keep = at; /* where "…" goes if the rest does not fit */
		if (cols + w > max)
			break;
		cols += w;
		at += n;
	}
	if (at < len) {
		char *p = realloc(t, keep + sizeof("…"));

		if (p == NULL) {
			fputs(_("crm: out of memory\n"), stderr);
			abort();
		}
		t = p;
		memcpy(t + keep, "…", sizeof("…"));
	}
	return t;
}

/* ---------------------------------------------------------------- rendering */

static const char *const people_cols[] = {"at",		 "user",	"action", "record",
					  "request_id", "client_addr", "changes"};
static const char *const machine_cols[] = {
	"audit_id",    "at",	     "user_id",	    "username",	  "action",	"record_type",
	"record_id",   "record_name", "request_id", "client_addr", "old_values", "new_values"};

static void add_opt_int(crm_result *r, protobuf_c_boolean has, int64_t v) {
	if (has)
		crm_result_add_int(r, v);
	else
		crm_result_add_null(r);
}

static void people_row(crm_result *r, const Crm__AuditEntry *e) {
	char record[320], *ch;
	const char *name = e->record_name && e->record_name[0] ? e->record_name : NULL;

	crm_result_add_row(r);
	crm_cli_add_opt_time(r, e->has_at, e->at);
	crm_result_add_str(r, e->username);
	crm_result_add_str(r, e->action);
	if (e->record_type && e->has_record_id && name)
		snprintf(record, sizeof(record), "%s/%" PRId64 " (%.200s)", e->record_type, e->record_id,
			 name);
	else if (e->record_type && e->has_record_id)
		snprintf(record, sizeof(record), "%s/%" PRId64, e->record_type, e->record_id);
	else
		snprintf(record, sizeof(record), "%s", e->record_type ? e->record_type : "");
	crm_result_add_str(r, record);
	add_opt_int(r, e->has_request_id, (int64_t)e->request_id);
	crm_result_add_str(r, e->client_addr);
	/* the server's form for people when it sent one */
	if (e->old_shown || e->new_shown)
		ch = changes(e->old_shown, e->new_shown);
	else
		ch = changes(e->old_values, e->new_values);
	ch = cut_columns(ch, CHANGES_SHOWN_MAX);
	crm_result_add_str(r, ch);
	free(ch);
}

static void add_json_or_null(crm_result *r, const char *json) {
	if (json == NULL || json[0] == '\0')
		crm_result_add_null(r);
	else
		crm_result_add_json(r, json, strlen(json), NULL);
}

static void machine_row(crm_result *r, const Crm__AuditEntry *e) {
	crm_result_add_row(r);
	add_opt_int(r, e->has_audit_id, e->audit_id);
	crm_cli_add_opt_time(r, e->has_at, e->at);
	add_opt_int(r, e->has_user_id, e->user_id);
	crm_result_add_str(r, e->username);
	crm_result_add_str(r, e->action);
	crm_result_add_str(r, e->record_type);
	add_opt_int(r, e->has_record_id, e->record_id);
	crm_result_add_str(r, e->record_name);
	add_opt_int(r, e->has_request_id, (int64_t)e->request_id);
	crm_result_add_str(r, e->client_addr);
	add_json_or_null(r, e->old_values);
	add_json_or_null(r, e->new_values);
}

/* The rows of every page go to one table. */
struct audit_out {
	crm_result *r;
	bool people;
};

static size_t add_entries(void *ctx, const void *body) {
	struct audit_out *o = ctx;
	const Crm__AuditListReply *l = body;

	for (size_t i = 0; i < l->n_entries; i++) {
		if (o->people)
			people_row(o->r, l->entries[i]);
		else
			machine_row(o->r, l->entries[i]);
	}
	return l->n_entries;
}

static const ProtobufCBinaryData *entries_cursor(const void *body) {
	const Crm__AuditListReply *l = body;

	return l->has_next_cursor ? &l->next_cursor : NULL;
}

/* ---------------------------------------------------------------- the command */

static bool time_option(struct crm_cli *cli, const char *flag, const char *s, int64_t *out) {
	if (crm_args_time(s, crm_now_us(), out))
		return true;
	crm_cli_usage(cli,
		      _("%s takes an RFC 3339 time (2026-11-22T10:00:00Z, or with an offset "
		      "like +01:00), a date (2026-11-22, midnight UTC) or a time back from now "
		      "(-30m, -1h, -7d), not '%s'"),
		      flag, s);
	return false;
}

static int audit_option(struct crm_cli *cli, int c, char *arg, Crm__AuditList *al) {
	const char *type;
	size_t type_len;

	switch (c) {
	case 'r':
		if (!crm_args_record(arg, &type, &type_len, &al->record_id))
			return crm_cli_usage(cli, _("--record takes TYPE/ID (note/42) or TYPE, not "
						  "'%s'"),
					     arg);
		arg[type_len] = '\0'; /* argv is ours to edit: TYPE/ID becomes TYPE */
		crm_cli_bytes(&al->record_type, &al->has_record_type, type);
		al->has_record_id = al->record_id != 0;
		return 0;
	case 'u':
		crm_cli_bytes(&al->username, &al->has_username, arg);
		return 0;
	case 's':
		al->has_since = true;
		return time_option(cli, "--since", arg, &al->since) ? 0 : CRM_EXIT_USAGE;
	case 't':
		al->has_until = true;
		return time_option(cli, "--until", arg, &al->until) ? 0 : CRM_EXIT_USAGE;
	default:
		return crm_cli_page_option(cli, c, arg, al->page) == 1 ? 0 : CRM_EXIT_USAGE;
	}
}

/* Reads the options into al (and *all); 0 or the exit code of a usage error. */
static int parse_list(struct crm_cli *cli, int argc, char **args, Crm__AuditList *al, bool *all) {
	static const struct option longopts[] = {{"record", required_argument, NULL, 'r'},
						 {"user", required_argument, NULL, 'u'},
						 {"since", required_argument, NULL, 's'},
						 {"until", required_argument, NULL, 't'},
						 {"all", no_argument, NULL, 'a'},
						 CRM_CLI_PAGE_OPTIONS,
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c, rc = 0;

	while (rc == 0 && (c = crm_cli_getopt(cli, argc, args, "", longopts, &arg)) != -1) {
		if (c == 'a')
			*all = true;
		else
			rc = audit_option(cli, c, arg, al);
	}
	if (rc == 0 && crm_cli_optind() != argc)
		rc = crm_cli_usage(cli, _("unexpected argument '%s'"), args[crm_cli_optind()]);
	if (rc == 0 && al->has_since && al->has_until && al->since > al->until)
		rc = crm_cli_usage(cli, _("--since is after --until"));
	if (rc == 0 && *all && !al->page->has_limit) {
		al->page->has_limit = true; /* fewer round trips */
		al->page->limit = CRM_PAGE_MAX;
	}
	return rc;
}

int crm_cmd_audit_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AuditList al = CRM__AUDIT_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	struct audit_out o = {.people = cli->format == CRM_FORMAT_TABLE};
	struct crm_rec_pager p = {0};
	bool all = false;
	char **args;
	int i, rc;

	/* --record is cut in place: keep the original words for the next-page line */
	args = calloc((size_t)argc + 1, sizeof(char *));
	if (args == NULL)
		return CRM_EXIT_FAILURE;
	for (i = 0; i < argc; i++)
		args[i] = strdup(argv[i]);
	al.page = &page;
	rc = parse_list(cli, argc, args, &al, &all);
	if (rc == 0) {
		req.request_case = CRM__CLIENT_FRAME__REQUEST_AUDIT_LIST;
		req.audit_list = &al;
		o.r = o.people ? crm_result_new(7, people_cols) : crm_result_new(12, machine_cols);
		if (o.people) { /* what a narrow terminal goes without (JSON keeps them) */
			crm_result_optional(o.r, "request_id");
			crm_result_optional(o.r, "client_addr");
		}
		p = (struct crm_rec_pager){.req = &req,
					   .page = &page,
					   .want = CRM__RESPONSE__BODY_AUDIT_LIST,
					   .all = all,
					   .what = _("audit entries"),
					   .add = add_entries,
					   .ctx = &o,
					   .next_cursor = entries_cursor};
		rc = crm_rec_page_all(cli, &p);
		if (rc == 0)
			rc = crm_cli_print(cli, o.r, false);
		crm_result_free(o.r);
	}
	for (i = 0; i < argc; i++)
		free(args[i]);
	free(args);
	return rc;
}
