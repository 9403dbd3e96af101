/*
 * cmd_contact: the contact record type for the generic record commands
 * (cmd_record.h): its flags, list columns and list shortcuts. `crm contact
 * link|unlink` are in cmd_relation.c.
 */
#include "cmd_record.h"

static const char *const email_kinds[] = {"work", "home", "other", NULL};
static const char *const phone_kinds[] = {"work", "mobile", "home", "fax", "other", NULL};

static const struct crm_rec_flag flags[] = {
	{"given-name", "given_name", CRM_REC_VALUE, NULL},
	{"family-name", "family_name", CRM_REC_VALUE, NULL},
	{"name-order", "name_order", CRM_REC_VALUE, NULL},
	{"title", "title", CRM_REC_VALUE, NULL},
	{"email", "emails", CRM_REC_TYPED, email_kinds},
	{"primary-email", "emails", CRM_REC_PRIMARY, NULL},
	{"add-email", "emails", CRM_REC_ADD, email_kinds},
	{"remove-email", "emails", CRM_REC_REMOVE, NULL},
	{"phone", "phones", CRM_REC_TYPED, phone_kinds},
	{"primary-phone", "phones", CRM_REC_PRIMARY, NULL},
	{"add-phone", "phones", CRM_REC_ADD, phone_kinds},
	{"remove-phone", "phones", CRM_REC_REMOVE, NULL},
	{"birthday", "birthday", CRM_REC_VALUE, NULL},
	{"preferred-channel", "preferred_channel", CRM_REC_VALUE, NULL},
	{"do-not-contact", "do_not_contact", CRM_REC_VALUE, NULL},
	{"marketing-opt-out", "marketing_opt_out", CRM_REC_VALUE, NULL},
	{"pref", "preferences", CRM_REC_PAIR, NULL},
	{"account", "account_id", CRM_REC_VALUE, NULL},
	{"description", "description", CRM_REC_VALUE, NULL},
};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"display_name", "display_name", CRM_REC_COL_FIELD},
	{"title", "title", CRM_REC_COL_FIELD},
	{"email", "emails", CRM_REC_COL_PRIMARY},
	{"phone", "phones", CRM_REC_COL_PRIMARY},
	{"account", "account_name", CRM_REC_COL_FIELD},
	{"owner", "owner", CRM_REC_COL_FIELD},
};

static const struct crm_rec_shortcut shortcuts[] = {
	{"account", "account_id"},
	{"email", "email"},
	{"phone", "phone"},
	{"family-name", "family_name"},
};

static const char *const needs[] = {"given_name", "family_name", NULL};

const struct crm_rec_type crm_rec_contact = {
	.noun = "contact",
	.plural = "contacts",
	.type = CRM__RECORD_TYPE__RECORD_TYPE_CONTACT,
	.desc = &crm__contact__descriptor,
	.needs_one_of = needs,
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.shortcuts = shortcuts,
	.n_shortcuts = sizeof(shortcuts) / sizeof(shortcuts[0]),
};
