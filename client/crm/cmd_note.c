/*
 * cmd_note: the note record type for the generic record commands
 * (cmd_record.h): its list columns, its text operand (`crm note add
 * TEXT`, `crm note edit ID TEXT`; - reads standard input) and the words
 * of its help. Its flag (--body) and the field add needs are generated
 * from the field options of crm.proto (proto/gen_fields.py).
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flag and needs */

static const struct crm_rec_flag flags[] = {CRM_REC_NOTE_FLAGS};
static const char *const needs[] = {CRM_REC_NOTE_NEEDS};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"owner", "owner", CRM_REC_COL_FIELD},
	{"updated_at", "updated_at", CRM_REC_COL_FIELD},
	{"body", "body", CRM_REC_COL_FIELD},
};

const struct crm_rec_type crm_rec_note = {
	.noun = NC_("record type", "note"), /* also the command name */
	.plural = NC_("record types", "notes"),
	.type = CRM__RECORD_TYPE__RECORD_TYPE_NOTE,
	.desc = &crm__note_record__descriptor,
	.needs_one_of = needs,
	.text_operand = "body",
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.help_rank = -1, /* 'crm --help' lists the simple type first */

	.a_noun = N_("a note"),
	.summary = N_("short text notes (a simple record type)"),
	.fields_help = CRM_HELP_NOTE_FIELDS,
	.add_args = "TEXT|--body TEXT [--tag T]... [--set FIELD=VALUE]... [--idempotency-key KEY]",
	.add_lead = N_("Adds a note: TEXT (or --body TEXT) is its text, 1 to 4096 characters, "
		    "several lines allowed; - reads it from standard input."),
	.edit_args = "ID [TEXT|--body TEXT] [--add-tag T]... [--remove-tag T]... "
		     "[--set FIELD=VALUE]...\n"
		     "       [--clear FIELD]... [--version N]",
	.edit_lead = N_("Changes the fields given of note ID; TEXT (or --body TEXT) replaces its "
		     "text; a TEXT of - reads it from standard input."),
	.list_summary = N_("list the notes you can see"),
	.list_lead_more = N_(" (newest first unless --sort)"),
	.purge_what = N_("its tags, custom values and shares, and blanks its text in the audit trail"),
};
