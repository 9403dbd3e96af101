/*
 * cmd_note: the note record type for the generic record commands
 * (cmd_record.h): its flag, list columns, and its text operand
 * (`crm note add TEXT`, `crm note edit ID TEXT`; - reads standard input).
 */
#include "cmd_record.h"

static const struct crm_rec_flag flags[] = {
	{"body", "body", CRM_REC_VALUE, NULL},
};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"owner", "owner", CRM_REC_COL_FIELD},
	{"updated_at", "updated_at", CRM_REC_COL_FIELD},
	{"body", "body", CRM_REC_COL_FIELD},
};

static const char *const needs[] = {"body", NULL};

const struct crm_rec_type crm_rec_note = {
	.noun = "note",
	.plural = "notes",
	.type = CRM__RECORD_TYPE__RECORD_TYPE_NOTE,
	.desc = &crm__note_record__descriptor,
	.needs_one_of = needs,
	.text_operand = "body",
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
};
