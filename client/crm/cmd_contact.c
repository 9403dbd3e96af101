/*
 * cmd_contact: the contact record type for the generic record commands
 * (cmd_record.h): its flags, list columns and list shortcuts. `crm contact
 * link|unlink` are in cmd_relation.c.
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */

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

/* Its own commands: links to accounts (the same as 'crm relation add'). */
static const struct crm_cli_command verbs[] = {
	{"contact", "link", crm_cmd_contact_link, "CONTACT ACCOUNT --role ROLE [--primary]",
	 "link a contact to an account",
	 "Links contact CONTACT to account ACCOUNT in a role: a value of the pick list\n"
	 "relation.contact.account (at first employee, decision_maker, billing,\n"
	 "technical, influencer, champion, former_employee, other; 'crm picklist list\n"
	 "relation.contact.account' shows the current ones). --primary makes it the\n"
	 "contact's primary account. The same as 'crm relation add'. Prints the\n"
	 "relation's id (for 'crm contact unlink').\n", 0},
	{"contact", "unlink", crm_cmd_contact_unlink, "RELATION_ID", "remove a contact's link",
	 "Removes the link with this id (see 'crm relation list CONTACT').\n", 0},

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
	.verbs = verbs,
	.n_verbs = sizeof(verbs) / sizeof(verbs[0]),

	.a_noun = "a contact",
	.summary = "contacts: people, their e-mail addresses, phones and accounts",
	.fields_help = CRM_HELP_CONTACT_FIELDS
	"  --primary-email ADDRESS     which --email is primary (default: the first); on\n"
	"                              edit, alone: which of the contact's is primary\n"
	"  --add-email [KIND:]ADDRESS, --remove-email ADDRESS\n"
	"                              edit: add or remove one, keep the others\n"
	"  --primary-phone NUMBER      which --phone is primary (default: the first); on\n"
	"                              edit, alone: which of the contact's is primary\n"
	"  --add-phone [KIND:]NUMBER, --remove-phone NUMBER\n"
	"                              edit: add or remove one, keep the others (numbers\n"
	"                              match on their digits)\n",
	.edit_args = "ID [--FIELD VALUE]... [--add-email|--remove-email|--add-phone|--remove-phone V]...\n"
		     "       [--primary-email A] [--add-tag T]... [--remove-tag T]... [--set FIELD=VALUE]...\n"
		     "       [--clear FIELD]... [--version N]",
	.show_lead_more = " (addresses, lists and custom values over several lines)",
	.filter_fields = "display_name, family_name, email, phone, account_id, preferred_channel, "
			 "do_not_contact, owner, team, tags, updated_at",
	.sort_example = "family_name,-updated_at",
	.list_options = "  --account ID, --email ADDRESS, --phone NUMBER, --family-name NAME\n"
			"                   shortcuts for --filter account_id=ID and so on\n",
	.purge_what = "its tags, custom values, relationships and shares, and blanks its "
		      "personal data in the audit trail",
};
