/*
 * cmd_timeline: `crm timeline TYPE/ID`: a record's interactions, tasks and
 * change history merged, newest first, one page at a time (TimelineList;
 * docs/data.md, "The timeline"). Tables for people show when (in the
 * user's time zone), the kind, the record as TYPE/ID, a summary (the
 * subject; a task's status after it; a change's action and the fields it
 * changed) and who; JSON and CSV give every field as the server sent it.
 * The server checks the kinds and the time range (its errors name the
 * field, in the user's language); crm checks only what it must read
 * itself: TYPE/ID, the times, the page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_record.h"
#include "crm_wire.h"

#define KINDS_MAX 16

static const char *const people_cols[] = {"at", "kind", "record", "summary", "who"};
static const char *const machine_cols[] = {"at",      "kind", "record_type", "record_id",
					   "summary", "who",  "action"};

/* The summary people read: "subject", "subject (done)", "update: name". */
static void people_summary(const Crm__TimelineItem *e, char *buf, size_t size) {
	const char *s = e->summary ? e->summary : "", *a = e->action ? e->action : "";

	if (e->kind && strcmp(e->kind, "change") == 0)
		snprintf(buf, size, "%s%s%s", a, a[0] && s[0] ? ": " : "", s);
	else if (a[0])
		snprintf(buf, size, "%s (%s)", s, a);
	else
		snprintf(buf, size, "%s", s);
}

static void people_row(crm_result *r, const Crm__TimelineItem *e) {
	char type[32], record[64], summary[1024];

	crm_result_add_row(r);
	crm_cli_add_opt_time(r, e->has_at, e->at);
	crm_result_add_str(r, e->kind);
	snprintf(record, sizeof(record), "%s/%" PRId64, crm_cli_type_name(e->record_type, type, sizeof(type)),
		 e->record_id);
	crm_result_add_str(r, record);
	people_summary(e, summary, sizeof(summary));
	crm_result_add_str(r, summary);
	crm_result_add_str(r, e->who);
}

static void machine_row(crm_result *r, const Crm__TimelineItem *e) {
	char type[32];

	crm_result_add_row(r);
	crm_cli_add_opt_time(r, e->has_at, e->at);
	crm_result_add_str(r, e->kind);
	crm_result_add_str(r, crm_cli_type_name(e->record_type, type, sizeof(type)));
	if (e->has_record_id)
		crm_result_add_int(r, e->record_id);
	else
		crm_result_add_null(r);
	crm_result_add_str(r, e->summary);
	crm_result_add_str(r, e->who);
	crm_result_add_str(r, e->action);
}

struct timeline_out {
	crm_result *r;
	bool people;
	bool has_total, total_capped;
	uint64_t total;
};

static size_t add_items(void *ctx, const void *body) {
	struct timeline_out *o = ctx;
	const Crm__TimelineListReply *l = body;

	for (size_t i = 0; i < l->n_items; i++) {
		if (o->people)
			people_row(o->r, l->items[i]);
		else
			machine_row(o->r, l->items[i]);
	}
	return l->n_items;
}

static const ProtobufCBinaryData *items_cursor(const void *body) {
	const Crm__TimelineListReply *l = body;

	return l->has_next_cursor ? &l->next_cursor : NULL;
}

static void items_first(void *ctx, const void *body) {
	struct timeline_out *o = ctx;
	const Crm__TimelineListReply *l = body;

	o->has_total = l->has_total;
	o->total = l->total;
	o->total_capped = l->has_total_capped && l->total_capped;
}

/* The rows, and with --total the count: a line after the table, in JSON
 * an object {"total", "total_capped", "items"}, for CSV on standard error. */
static int print_items(struct crm_cli *cli, struct timeline_out *o) {
	static const char *const cols[] = {"total", "total_capped", "items"};
	char num[32];
	crm_result *w;
	int rc;

	if (!o->has_total)
		return crm_cli_print(cli, o->r, false);
	if (cli->format == CRM_FORMAT_JSON) {
		w = crm_result_new(3, cols);
		crm_result_add_row(w);
		crm_result_add_int(w, (int64_t)o->total);
		crm_result_add_bool(w, o->total_capped);
		crm_result_add_json_result(w, o->r, NULL);
		rc = crm_cli_print(cli, w, true);
		crm_result_free(w);
		return rc;
	}
	snprintf(num, sizeof(num), "%llu%s", (unsigned long long)o->total, o->total_capped ? "+" : "");
	rc = crm_cli_print(cli, o->r, false);
	if (cli->format == CRM_FORMAT_TABLE)
		crm_cli_done(cli, crm_ngettext("%s item in the timeline", "%s items in the timeline",
					       o->total_capped ? 2 : (unsigned long)o->total),
			     num);
	else
		fprintf(stderr, "crm: %s items\n", num);
	return rc;
}

/* ---------------------------------------------------------------- options */

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

/* --kind call,meeting (repeatable): the words as the server will check
 * them (an empty word is sent too, for the server to refuse). */
static bool kind_option(struct crm_cli *cli, char *arg, Crm__TimelineList *tl,
			ProtobufCBinaryData *kinds) {
	char *save = NULL, *w;

	if (arg[0] == '\0' || arg[strlen(arg) - 1] == ',' || arg[0] == ',' || strstr(arg, ",,")) {
		crm_cli_usage(cli, _("--kind takes kinds separated by commas (call,meeting,task), "
				     "not '%s'"),
			      arg);
		return false;
	}
	for (w = strtok_r(arg, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		if (tl->n_kinds == KINDS_MAX) {
			crm_cli_usage(cli, _("--kind takes at most %d kinds"), KINDS_MAX);
			return false;
		}
		kinds[tl->n_kinds].data = (uint8_t *)w;
		kinds[tl->n_kinds].len = strlen(w);
		tl->n_kinds++;
	}
	return true;
}

static int timeline_option(struct crm_cli *cli, int c, char *arg, Crm__TimelineList *tl,
			   ProtobufCBinaryData *kinds) {
	switch (c) {
	case 'k':
		return kind_option(cli, arg, tl, kinds) ? 0 : CRM_EXIT_USAGE;
	case 's':
		tl->has_since = true;
		return time_option(cli, "--since", arg, &tl->since) ? 0 : CRM_EXIT_USAGE;
	case 'u':
		tl->has_until = true;
		return time_option(cli, "--until", arg, &tl->until) ? 0 : CRM_EXIT_USAGE;
	case 'T':
		tl->has_total = tl->total = true;
		return 0;
	default:
		return crm_cli_page_option(cli, c, arg, tl->page) == 1 ? 0 : CRM_EXIT_USAGE;
	}
}

/* Reads the options and the one operand into tl; 0 or a usage error's
 * exit code. args are copies: --kind's words and TYPE/ID are cut in them. */
static int parse_timeline(struct crm_cli *cli, int argc, char **args, Crm__TimelineList *tl,
			  ProtobufCBinaryData *kinds) {
	static const struct option longopts[] = {{"kind", required_argument, NULL, 'k'},
						 {"since", required_argument, NULL, 's'},
						 {"until", required_argument, NULL, 'u'},
						 {"total", no_argument, NULL, 'T'},
						 CRM_CLI_PAGE_OPTIONS,
						 {NULL, 0, NULL, 0}};
	struct crm_cli_target t = {0};
	char *arg;
	int c, rc = 0;

	while (rc == 0 && (c = crm_cli_getopt(cli, argc, args, "", longopts, &arg)) != -1)
		rc = c == '?' ? CRM_EXIT_USAGE : timeline_option(cli, c, arg, tl, kinds);
	if (rc != 0)
		return rc;
	if (argc - crm_cli_optind() > 1)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), args[crm_cli_optind() + 1]);
	if (argc - crm_cli_optind() < 1)
		return crm_cli_usage(cli, _("give %s"), _("one record as TYPE/ID"));
	if (!crm_cli_record_target(cli, args[crm_cli_optind()], &t))
		return CRM_EXIT_USAGE;
	tl->has_type = tl->has_id = true;
	tl->type = t.type;
	tl->id = t.id;
	return 0;
}

int crm_cmd_timeline(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TimelineList tl = CRM__TIMELINE_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	ProtobufCBinaryData kinds[KINDS_MAX];
	struct timeline_out o = {.people = cli->format == CRM_FORMAT_TABLE};
	struct crm_rec_pager p = {0};
	char **args;
	int i, rc;

	/* the options are cut in place: keep the original words for the
	 * next-page line */
	args = calloc((size_t)argc + 1, sizeof(char *));
	if (args == NULL)
		return CRM_EXIT_FAILURE;
	for (i = 0; i < argc; i++)
		if ((args[i] = strdup(argv[i])) == NULL)
			abort();
	tl.page = &page;
	tl.kinds = kinds;
	rc = parse_timeline(cli, argc, args, &tl, kinds);
	if (rc == 0) {
		req.request_case = CRM__CLIENT_FRAME__REQUEST_TIMELINE_LIST;
		req.timeline_list = &tl;
		o.r = o.people ? crm_result_new(5, people_cols) : crm_result_new(7, machine_cols);
		p = (struct crm_rec_pager){.req = &req,
					   .page = &page,
					   .want = CRM__RESPONSE__BODY_TIMELINE_LIST,
					   .what = _("timeline items"),
					   .add = add_items,
					   .ctx = &o,
					   .next_cursor = items_cursor,
					   .first = items_first};
		rc = crm_rec_page_all(cli, &p);
		if (rc == 0)
			rc = print_items(cli, &o);
		crm_result_free(o.r);
	}
	for (i = 0; i < argc; i++)
		free(args[i]);
	free(args);
	return rc;
}
