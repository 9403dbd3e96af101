/*
 * cmd_account: the account record type for the generic record commands
 * (cmd_record.h): its list columns, list shortcuts and the words of its
 * help. Its flags, and the field add needs, are generated from the field
 * options of crm.proto (proto/gen_fields.py).
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flags and needs */
#include "i18n.h"

static const struct crm_rec_flag flags[] = {CRM_REC_ACCOUNT_FLAGS};
static const char *const needs[] = {CRM_REC_ACCOUNT_NEEDS};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},	 {"name", "name", CRM_REC_COL_FIELD},
	{"type", "type", CRM_REC_COL_FIELD},	 {"industry", "industry", CRM_REC_COL_FIELD},
	{"region", "region", CRM_REC_COL_FIELD}, {"owner", "owner", CRM_REC_COL_FIELD},
	{"updated_at", "updated_at", CRM_REC_COL_FIELD},
};

static const struct crm_rec_shortcut shortcuts[] = {
	{"type", "type"},
	{"industry", "industry"},
	{"region", "region"},
	{"tier", "tier"},
	{"country", "country"},
	{"parent", "parent_id"},
};

const struct crm_rec_type crm_rec_account = {
	.noun = NC_("record type", "account"), /* also the command name */
	.plural = NC_("record types", "accounts"),
	.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT,
	.desc = &crm__account__descriptor,
	.needs_one_of = needs,
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.shortcuts = shortcuts,
	.n_shortcuts = sizeof(shortcuts) / sizeof(shortcuts[0]),
	.with_contacts = true,

	.a_noun = N_("an account"),
	.summary = N_("accounts: companies and people you do business with"),
	/* the addresses' options (cli_prefix) in one block each */
	.fields_help = CRM_HELP_ACCOUNT_FIELDS
	N_("  --billing-street TEXT, --billing-city TEXT, --billing-region TEXT,\n"
	   "  --billing-postal-code TEXT, --billing-country CODE\n"
	   "                              the billing address (country: ISO 3166 code, DE)\n")
	N_("  --shipping-street ... --shipping-country\n"
	   "                              the shipping address, the same way\n"),
	.show_lead_more = N_(" (addresses, lists and custom values over several lines)"),
	.list_options = N_("  --type, --industry, --region, --tier, --country VALUE, --parent ID\n"
			"                   shortcuts for --filter FIELD=VALUE\n"),
	.purge_what = N_("its tags, custom values, relationships and shares, and blanks its "
		      "personal data in the audit trail"),
	.reassign_more = N_(" Without --with-contacts the account's contacts keep their owners, "
			 "and crm says how many stayed with whom."),
	.reassign_options = N_("  --with-contacts   move the account's contacts (those whose primary account\n"
			    "                    it is) to USER in the same step; refused as a whole if\n"
			    "                    you may not reassign one of them\n"),
};
