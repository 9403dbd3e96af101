/*
 * cmd_contact: the contact record type for the generic record commands
 * (cmd_record.h): its list columns, list shortcuts and the words of its
 * help. Its flags (--email, --primary-email, --add-email, ...) and the
 * fields add needs one of are generated from the field options of
 * crm.proto (proto/gen_fields.py). `crm contact link|unlink` are in
 * cmd_relation.c.
 */
#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flags and needs */
#include "i18n.h"

static const struct crm_rec_flag flags[] = {CRM_REC_CONTACT_FLAGS};
static const char *const needs[] = {CRM_REC_CONTACT_NEEDS};

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
	 N_("link a contact to an account"),
	 N_("Links contact CONTACT to account ACCOUNT in a role: a value of the pick list\n"
	 "relation.contact.account (at first employee, decision_maker, billing,\n"
	 "technical, influencer, champion, former_employee, other; 'crm picklist list\n"
	 "relation.contact.account' shows the current ones). --primary makes it the\n"
	 "contact's primary account. The same as 'crm relation add'. Prints the\n"
	 "relation's id (for 'crm contact unlink').\n"), 0},
	{"contact", "unlink", crm_cmd_contact_unlink, "RELATION_ID", N_("remove a contact's link"),
	 N_("Removes the link with this id (see 'crm relation list CONTACT').\n"), 0},

};

const struct crm_rec_type crm_rec_contact = {
	.noun = NC_("record type", "contact"), /* also the command name */
	.plural = NC_("record types", "contacts"),
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

	.a_noun = N_("a contact"),
	.summary = N_("contacts: people, their e-mail addresses, phones and accounts"),
	/* the item-by-item edits of the lists (--primary-X, --add-X, --remove-X) */
	.fields_help = CRM_HELP_CONTACT_FIELDS
	N_("  --primary-email ADDRESS     which --email is primary (default: the first); on\n"
	   "                              edit, alone: which of the contact's is primary\n")
	N_("  --add-email [KIND:]ADDRESS, --remove-email ADDRESS\n"
	   "                              edit: add or remove one, keep the others\n")
	N_("  --primary-phone NUMBER      which --phone is primary (default: the first); on\n"
	   "                              edit, alone: which of the contact's is primary\n")
	N_("  --add-phone [KIND:]NUMBER, --remove-phone NUMBER\n"
	   "                              edit: add or remove one, keep the others (numbers\n"
	   "                              match on their digits)\n"),
	.edit_args = "ID [--FIELD VALUE]... [--add-email|--remove-email|--add-phone|--remove-phone V]...\n"
		     "       [--primary-email A] [--add-tag T]... [--remove-tag T]... [--set FIELD=VALUE]...\n"
		     "       [--clear FIELD]... [--version N]",
	.show_lead_more = N_(" (addresses, lists and custom values over several lines)"),
	.list_options = N_("  --account ID, --email ADDRESS, --phone NUMBER, --family-name NAME\n"
			"                   shortcuts for --filter account_id=ID and so on\n"),
	.purge_what = N_("its tags, custom values, relationships and shares, and blanks its "
		      "personal data in the audit trail"),
};
