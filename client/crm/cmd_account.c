/*
 * cmd_account: the account record type for the generic record commands
 * (cmd_record.h): its flags, list columns and list shortcuts.
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */

#define ADDRESS_FLAGS(kind)                                             \
	{#kind "-street", #kind "_address.street", CRM_REC_VALUE, NULL},       \
		{#kind "-city", #kind "_address.city", CRM_REC_VALUE, NULL},   \
		{#kind "-region", #kind "_address.region", CRM_REC_VALUE, NULL}, \
		{#kind "-postal-code", #kind "_address.postal_code", CRM_REC_VALUE, NULL}, \
		{#kind "-country", #kind "_address.country", CRM_REC_VALUE, NULL}

static const struct crm_rec_flag flags[] = {
	{"name", "name", CRM_REC_VALUE, NULL},
	{"legal-name", "legal_name", CRM_REC_VALUE, NULL},
	{"type", "type", CRM_REC_VALUE, NULL},
	{"individual", "individual", CRM_REC_SWITCH, NULL},
	{"industry", "industry", CRM_REC_VALUE, NULL},
	{"region", "region", CRM_REC_VALUE, NULL},
	{"tier", "tier", CRM_REC_VALUE, NULL},
	{"website", "website", CRM_REC_VALUE, NULL},
	{"phone", "phone", CRM_REC_VALUE, NULL},
	ADDRESS_FLAGS(billing),
	ADDRESS_FLAGS(shipping),
	{"parent", "parent_id", CRM_REC_VALUE, NULL},
	{"annual-revenue", "annual_revenue", CRM_REC_VALUE, NULL},
	{"employees", "employees", CRM_REC_VALUE, NULL},
	{"description", "description", CRM_REC_VALUE, NULL},
};

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

static const char *const needs[] = {"name", NULL};

const struct crm_rec_type crm_rec_account = {
	.noun = "account",
	.plural = "accounts",
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

	.a_noun = "an account",
	.summary = "accounts: companies and people you do business with",
	.fields_help = CRM_HELP_ACCOUNT_FIELDS
	"  --billing-street TEXT, --billing-city TEXT, --billing-region TEXT,\n"
	"  --billing-postal-code TEXT, --billing-country CODE\n"
	"                              the billing address (country: ISO 3166 code, DE)\n"
	"  --shipping-street ... --shipping-country\n"
	"                              the shipping address, the same way\n",
	.show_lead_more = " (addresses, lists and custom values over several lines)",
	.filter_fields = "name, type, industry, region, tier, country, annual_revenue, employees, "
			 "parent_id, owner, team, tags, updated_at",
	.sort_example = "name,-updated_at",
	.list_options = "  --type, --industry, --region, --tier, --country VALUE, --parent ID\n"
			"                   shortcuts for --filter FIELD=VALUE\n",
	.purge_what = "its tags, custom values, relationships and shares, and blanks its "
		      "personal data in the audit trail",
	.reassign_more = " Without --with-contacts the account's contacts keep their owners, "
			 "and crm says how many stayed with whom.",
	.reassign_options = "  --with-contacts   move the account's contacts (those whose primary account\n"
			    "                    it is) to USER in the same step; refused as a whole if\n"
			    "                    you may not reassign one of them\n",
};
