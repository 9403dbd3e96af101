/*
 * cmd_task: the task record type for the generic record commands
 * (cmd_record.h): its list columns, list shortcuts, the list options
 * --mine and --due (filters on assignee, due_at and status, with the
 * days in the user's time zone), its own command `task done` and the
 * words of its help. Its flags and the field add needs are generated from
 * the field options of crm.proto (proto/gen_fields.py).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flags and needs */
#include "i18n.h"

static const struct crm_rec_flag flags[] = {CRM_REC_TASK_FLAGS};
static const char *const needs[] = {CRM_REC_TASK_NEEDS};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"due_at", "due_at", CRM_REC_COL_FIELD},
	{"priority", "priority", CRM_REC_COL_FIELD},
	{"status", "status", CRM_REC_COL_FIELD},
	{"subject", "subject", CRM_REC_COL_FIELD},
	{"assignee", "assignee", CRM_REC_COL_FIELD},
	{"account", "account_name", CRM_REC_COL_FIELD},
};

static const struct crm_rec_shortcut shortcuts[] = {
	{"status", "status"},
	{"priority", "priority"},
	{"assignee", "assignee"},
	{"account", "account_id"},
	{"contact", "contact_id"},
};

static int mine(struct crm_cli *cli, struct crm_rec_list_parse *lp, const char *arg) {
	(void)cli;
	(void)arg;
	return crm_rec_list_filter(lp, "assignee=me");
}

/* Midnight starting the local day `days` after today's, in microseconds. */
static int64_t local_midnight(int64_t now_us, int days) {
	time_t t = (time_t)(now_us / 1000000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000000;
}

/* A filter FIELD OP (microseconds). */
static int due_filter(struct crm_rec_list_parse *lp, const char *op, int64_t us) {
	char expr[64];

	snprintf(expr, sizeof(expr), "due_at%s%lld", op, (long long)us);
	return crm_rec_list_filter(lp, expr);
}

/* --due today|overdue|week: the open tasks (open or in progress) due
 * before now, today or in the seven days from today (local days). */
static int due(struct crm_cli *cli, struct crm_rec_list_parse *lp, const char *arg) {
	int64_t now = crm_rec_list_now(lp);
	int rc;

	if (strcmp(arg, "overdue") == 0)
		rc = due_filter(lp, "<", now);
	else if (strcmp(arg, "today") == 0 || strcmp(arg, "week") == 0) {
		rc = due_filter(lp, ">=", local_midnight(now, 0));
		if (rc == 0)
			rc = due_filter(lp, "<", local_midnight(now, arg[0] == 't' ? 1 : 7));
	} else
		return crm_cli_usage(cli, _("--due is one of today, overdue, week; not '%s'"), arg);
	if (rc == 0)
		rc = crm_rec_list_filter(lp, "status=open");
	return rc == 0 ? crm_rec_list_filter(lp, "status=in_progress") : rc;
}

static const struct crm_rec_list_option list_own[] = {
	{"mine", no_argument, mine},
	{"due", required_argument, due},
};

/* ---------------------------------------------------------------- done */

/* The version task id is at, read from the server; 0 or the exit code of
 * a failure, which was printed. */
static int task_version(struct crm_cli *cli, int64_t id, int64_t *version) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Record *rec;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	get.has_type = get.has_id = true;
	get.type = CRM__RECORD_TYPE__RECORD_TYPE_TASK;
	get.id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	if (!crm_cli_call(cli, &req, &reply, &err) ||
	    (rec = crm_cli_body(reply, CRM__RESPONSE__BODY_RECORD, &err)) == NULL)
		rc = crm_cli_fail(cli, &err);
	else if (rec->task == NULL || !crm_rec_get_int(&rec->task->base, "version", version))
		rc = crm_cli_usage(cli, _("the server did not say which version task %lld is at; "
					"give --version N"),
				   (long long)id);
	crm_client_reply_free(reply);
	return rc;
}

/*
 * The command line of `task done` as `interaction edit` reads it: --log
 * KIND becomes --kind KIND, so that the interaction's own flags (--subject,
 * --body, --at, --duration, ...) are parsed as `interaction add` parses
 * them, and ID and --version stay the task's. *logged: --log was given;
 * without it the line gets a --kind of its own first, so that a done with
 * no log parses (it is never sent: the log goes only with --log).
 * NULL when --kind is given (--log KIND says it).
 */
static char **done_argv(int argc, char **argv, bool *logged) {
	char **out = calloc((size_t)argc * 2 + 3, sizeof(char *));
	int i, n = 0;

	if (out == NULL)
		abort();
	*logged = false;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--log") == 0 || strncmp(argv[i], "--log=", 6) == 0)
			*logged = true;
	for (i = 0; i < argc; i++) {
		if (i == 1 && !*logged) { /* a kind for the parse alone: nothing is logged */
			out[n++] = "--kind";
			out[n++] = "note";
		}
		if (i > 0 && strcmp(argv[i], "--log") == 0) {
			out[n++] = "--kind";
		} else if (i > 0 && strncmp(argv[i], "--log=", 6) == 0) {
			out[n++] = "--kind";
			out[n++] = argv[i] + 6;
		} else if (i > 0 && (strcmp(argv[i], "--kind") == 0 ||
				     strncmp(argv[i], "--kind=", 7) == 0)) {
			free(out); /* --log names the kind */
			return NULL;
		} else {
			out[n++] = argv[i];
		}
	}
	return out;
}

/* Prints the outcome of a done: the task in JSON and CSV; in a table the
 * words, with the id of the interaction logged. */
static int done_print(struct crm_cli *cli, const Crm__Task *t) {
	if (cli->format != CRM_FORMAT_TABLE)
		return crm_rec_print(cli, &t->base);
	if (t->has_logged_interaction_id)
		crm_cli_done(cli, _("task %lld done; interaction %lld logged"),
			     (long long)(t->meta ? t->meta->id : 0), (long long)t->logged_interaction_id);
	else
		crm_cli_done(cli, _("task %lld done"), (long long)(t->meta ? t->meta->id : 0));
	return 0;
}

/*
 * crm task done ID [--version N] [--log KIND --subject S [--body T] ...]:
 * one RecordUpdate that sets the status to done and, with --log, carries
 * the interaction the task led to (RecordUpdate.log): the server creates
 * it in the same transaction, with the task's account and contact unless
 * given, or refuses both.
 */
int crm_cmd_task_done(struct crm_cli *cli, int argc, char **argv) {
	const struct crm_rec_type *it = crm_rec_type_by_noun("interaction");
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordUpdate up = CRM__RECORD_UPDATE__INIT;
	Crm__Record changes = CRM__RECORD__INIT;
	Crm__Task task = CRM__TASK__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Record *rec;
	struct crm_rec_edit e = {0};
	bool logged;
	char **args = done_argv(argc, argv, &logged);
	int n = 0, rc;
	crm_err err;

	if (args == NULL)
		return crm_cli_usage(cli, _("the kind of the interaction to log is --log KIND, not --kind"));
	while (args[n] != NULL)
		n++;
	rc = crm_rec_parse_edit(cli, it, true, n, args, &e);
	if (rc == 0 && (e.n_clear > 0 || e.list_edits > 0))
		rc = crm_cli_usage(cli, _("task done logs a new interaction: it takes no --clear, "
					"--add-X or --remove-X"));
	else if (rc == 0 && !logged && e.changes > 1)
		rc = crm_cli_usage(cli, _("the interaction's options need --log KIND (call, meeting, "
					"email, visit, message or note)"));
	if (rc != 0 || (!e.has_version && (rc = task_version(cli, e.id, &e.version)) != 0))
		goto cleanup;
	task.has_status = true;
	task.status = CRM__TASK_STATUS__TASK_STATUS_DONE;
	changes.kind_case = CRM__RECORD__KIND_TASK;
	changes.task = &task;
	up.has_id = up.has_version = true;
	up.id = e.id;
	up.version = e.version;
	up.changes = &changes;
	if (logged)
		up.log = &e.record;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
	req.record_update = &up;
	crm_err_clear(&err);
	if (!crm_cli_call(cli, &req, &reply, &err) ||
	    (rec = crm_cli_body(reply, CRM__RESPONSE__BODY_RECORD, &err)) == NULL)
		rc = crm_cli_fail(cli, &err);
	else if (rec->task == NULL && !crm_err_set(&err, CRM_INTERNAL, NULL,
						   _("the server's reply holds no task")))
		rc = crm_cli_fail(cli, &err);
	else
		rc = done_print(cli, rec->task);
cleanup:
	crm_client_reply_free(reply);
	crm_rec_edit_fini(&e);
	free(args);
	return rc;
}

static const struct crm_cli_command verbs[] = {
	{"task", "done", crm_cmd_task_done,
	 "ID [--version N] [--log KIND --subject TEXT [--body TEXT] [--at TIME] ...]",
	 N_("complete a task, logging the interaction it led to"),
	 N_("Sets the task's status to done. With --log, the interaction the task led to\n"
	    "is recorded in the same transaction: both are saved or neither is.\n"
	    "  --version N      the version of the task you read (default: the current one)\n"
	    "  --log KIND       log an interaction: call, meeting, email, visit, message,\n"
	    "                   note; then --subject is required, and every option of\n"
	    "                   'crm interaction add' may follow (--body, --at, --duration,\n"
	    "                   --direction, --outcome, --account, --contact, --tag, ...)\n"
	    "The interaction is linked to the task's account and contact unless --account\n"
	    "or --contact says otherwise. Prints the new interaction's id.\n"), 0},
};

const struct crm_rec_type crm_rec_task = {
	.noun = NC_("record type", "task"), /* also the command name */
	.plural = NC_("record types", "tasks"),
	.type = CRM__RECORD_TYPE__RECORD_TYPE_TASK,
	.desc = &crm__task__descriptor,
	.needs_one_of = needs,
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.shortcuts = shortcuts,
	.n_shortcuts = sizeof(shortcuts) / sizeof(shortcuts[0]),
	.list_own = list_own,
	.n_list_own = sizeof(list_own) / sizeof(list_own[0]),
	.verbs = verbs,
	.n_verbs = sizeof(verbs) / sizeof(verbs[0]),

	.a_noun = N_("a task"),
	.summary = N_("tasks: what is to be done, by whom and when, with reminders"),
	.fields_help = CRM_HELP_TASK_FIELDS,
	.add_lead = N_("Adds a task: its subject is required; it is assigned to you unless "
		    "--assignee names another active user."),
	.list_summary = N_("list the tasks you can see"),
	.list_options = N_("  --mine           the tasks assigned to you (--filter assignee=me)\n"
			"  --due today|overdue|week\n"
			"                   open tasks (open or in_progress) due today, before now,\n"
			"                   or in the seven days from today (days in your time zone)\n"
			"  --status, --priority VALUE, --assignee USER, --account ID, --contact ID\n"
			"                   shortcuts for --filter status=VALUE and so on\n"),
	.purge_what = N_("its tags, custom values and shares, and blanks its personal data in the "
		      "audit trail"),
};
