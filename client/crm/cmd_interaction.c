/*
 * cmd_interaction: the interaction record type (calls, meetings, e-mails,
 * visits, messages, notes with a customer) for the generic record
 * commands (cmd_record.h): its list columns, list shortcuts and the words
 * of its help. Its flags (--kind, --subject, --at, --duration, ...) and
 * the field add needs are generated from the field options of crm.proto
 * (proto/gen_fields.py).
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flags and needs */
#include "i18n.h"

static const struct crm_rec_flag flags[] = {CRM_REC_INTERACTION_FLAGS};
static const char *const needs[] = {CRM_REC_INTERACTION_NEEDS};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"occurred_at", "occurred_at", CRM_REC_COL_FIELD},
	{"kind", "kind", CRM_REC_COL_FIELD},
	{"direction", "direction", CRM_REC_COL_FIELD},
	{"subject", "subject", CRM_REC_COL_FIELD},
	{"account", "account_name", CRM_REC_COL_FIELD},
	{"owner", "owner", CRM_REC_COL_FIELD},
};

static const struct crm_rec_shortcut shortcuts[] = {
	{"kind", "kind"},
	{"account", "account_id"},
	{"contact", "contact_id"},
};

const struct crm_rec_type crm_rec_interaction = {
	.noun = NC_("record type", "interaction"), /* also the command name */
	.plural = NC_("record types", "interactions"),
	.type = CRM__RECORD_TYPE__RECORD_TYPE_INTERACTION,
	.desc = &crm__interaction__descriptor,
	.needs_one_of = needs,
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.shortcuts = shortcuts,
	.n_shortcuts = sizeof(shortcuts) / sizeof(shortcuts[0]),

	.a_noun = N_("an interaction"),
	.summary = N_("interactions: calls, meetings, e-mails and visits with customers"),
	.fields_help = CRM_HELP_INTERACTION_FIELDS,
	.add_args = "--kind KIND --subject TEXT [--account ID] [--contact ID] [--at TIME]\n"
		    "       [--duration MINUTES] [--direction in|out] [--body TEXT] [--tag T]...\n"
		    "       [--set FIELD=VALUE]... [--idempotency-key KEY]",
	.add_lead = N_("Records an interaction: its kind and subject are required; it happened now "
		    "unless --at says when."),
	.list_summary = N_("list the interactions you can see"),
	.list_lead_more = N_(" (newest first unless --sort)"),
	.list_options = N_("  --kind KIND, --account ID, --contact ID\n"
			"                   shortcuts for --filter kind=KIND and so on\n"),
	.purge_what = N_("its tags, custom values and shares, and blanks its personal data in the "
		      "audit trail"),
};
