/*
 * hints: after a server's error, one line saying what to do next (the
 * command that shows what was expected), from a table matched on the
 * status and the field the error names. Errors whose message already names
 * a crm command get no hint.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_record.h"

/* %T in a hint is the record type (its name: account, contact, ...), %P
 * its plural; a hint with either is left out where the type is unknown. */
static const struct {
	crm_status code;
	/* the error's field, or its tail after a '.': exact, a prefix ending in
	 * '*', or "*" for any */
	const char *field;
	const char *hint;
} hints[] = {
	{CRM_INVALID_ARGUMENT, "filters*", N_("'crm field list %T' shows the fields that filter and sort")},
	{CRM_INVALID_ARGUMENT, "sort", N_("'crm field list %T' shows the fields that filter and sort")},
	{CRM_INVALID_ARGUMENT, "custom*", N_("'crm field list %T' shows the custom fields, their kinds "
					  "and limits")},
	{CRM_INVALID_ARGUMENT, "account.industry", N_("'crm picklist list industry' shows the values")},
	{CRM_INVALID_ARGUMENT, "account.region", N_("'crm picklist list region' shows the values")},
	{CRM_INVALID_ARGUMENT, "account.tier", N_("'crm picklist list tier' shows the values")},
	{CRM_INVALID_ARGUMENT, "role", N_("'crm picklist list relation.contact.account' (or "
				       "relation.contact.contact, relation.account.account) shows "
				       "the roles")},
	{CRM_INVALID_ARGUMENT, "page.cursor", N_("run the list again without --cursor: a cursor "
					      "belongs to the list that printed it")},
	{CRM_NOT_FOUND, "id", N_("'crm %T list' shows the %P you can see ('--deleted': the deleted "
			      "ones)")},
	{CRM_NOT_FOUND, "owner", N_("'crm user list' shows the usernames")},
	{CRM_NOT_FOUND, "user", N_("'crm user list' shows the usernames")},
	{CRM_NOT_FOUND, "team", N_("'crm team list' shows the teams")},
	{CRM_NOT_FOUND, "account.parent_id", N_("'crm account list' shows the accounts you can see")},
	{CRM_NOT_FOUND, "contact.account_id", N_("'crm account list' shows the accounts you can see")},
	{CRM_PERMISSION_DENIED, "*", N_("'crm whoami' shows your role, 'crm role show ROLE' what it may "
				     "do; an admin can change that ('crm permission set')")},
};

static bool matches_at(const char *pattern, const char *field) {
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(field, pattern, n - 1) == 0;
	return strcmp(field, pattern) == 0;
}

/* The pattern matches the field or a tail of it after a '.': the server
 * may name the request first ("record_get.id"). */
static bool field_matches(const char *pattern, const char *field) {
	const char *p = field;

	if (strcmp(pattern, "*") == 0)
		return true;
	for (;;) {
		if (matches_at(pattern, p))
			return true;
		p = strchr(p, '.');
		if (p == NULL)
			return false;
		p++;
	}
}

/* The record type the error is about: the command's noun, else the type
 * whose name is a segment of the error's field ("record_create.record.
 * contact.emails"); NULL when neither names one. */
static const struct crm_rec_type *record_type(const struct crm_cli *cli, const crm_err *err) {
	const struct crm_rec_type *t = cli->cmd ? crm_rec_type_by_noun(cli->cmd->noun) : NULL;
	const char *p = err->field;
	size_t i, len;

	if (t != NULL)
		return t;
	for (;;) {
		for (i = 0; crm_rec_types[i] != NULL; i++) {
			len = strlen(crm_rec_types[i]->noun);
			if (strncmp(p, crm_rec_types[i]->noun, len) == 0 && p[len] == '.')
				return crm_rec_types[i];
		}
		p = strchr(p, '.');
		if (p == NULL)
			return NULL;
		p++;
	}
}

/* The hint with each %T replaced by the type's name and each %P by its
 * plural. */
static void print_hint(const char *hint, const struct crm_rec_type *t) {
	char out[512];
	size_t n = 0;

	for (; *hint && n + 16 < sizeof(out); hint++) {
		if (hint[0] == '%' && (hint[1] == 'T' || hint[1] == 'P')) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s",
					      hint[1] == 'T' ? t->noun : t->plural);
			hint++;
		} else {
			out[n++] = *hint;
		}
	}
	out[n] = '\0';
	crm_cli_hint("%s", out);
}

void crm_cli_hint_next(const struct crm_cli *cli, const crm_err *err) {
	const struct crm_rec_type *type = record_type(cli, err);
	size_t i;

	if (strstr(err->msg, "crm ") != NULL)
		return; /* the server's message says it already */
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if (hints[i].code != err->code || !field_matches(hints[i].field, err->field) ||
		    (type == NULL && (strstr(hints[i].hint, "%T") != NULL ||
				      strstr(hints[i].hint, "%P") != NULL)))
			continue;
		print_hint(_(hints[i].hint), type);
		return;
	}
}
