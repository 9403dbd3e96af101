/*
 * cmd_task: the task record type for the generic record commands
 * (cmd_record.h): its list columns, list shortcuts, the list options
 * --mine and --due (filters on assignee, due_at and status, with the
 * days in the user's time zone) and the words of its help. Its flags
 * and the field add needs are generated from the field options of
 * crm.proto (proto/gen_fields.py).
 */
#include <getopt.h>
#include <stdio.h>
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
