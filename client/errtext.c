/* errtext: an error's text in the user's language (crm_err_text). */
#include <libintl.h>
#include <stdio.h>
#include <string.h>

#include "crm_messages.h"
#include "crmclient.h"

#define NC_(ctx, s) s /* marks text with a context (xgettext -kNC_:1c,2) */

/*
 * Arguments the server fills with a fixed English phrase of its own rather
 * than with data (sql/modules/50_records.sql: which kind of contact detail,
 * what a filter value must be, "none" for an empty list): translated here,
 * in the context "error argument", when the argument is one of these.
 */
static const char *const phrases[] = {
	NC_("error argument", "e-mail address"),
	NC_("error argument", "phone number"),
	NC_("error argument", "none"),
	NC_("error argument", "an id"),
	NC_("error argument", "a user name (or me)"),
	NC_("error argument", "a team name"),
};
static const struct {
	const char *id;
	unsigned arg; /* 0-based */
} phrase_args[] = {
	{"record.contact_has_no_has", 1},	   {"record.contact_has_no_has", 3},
	{"record.contact_has_no_make_primary", 1}, {"record.contact_has_no_make_primary", 3},
	{"record.has_no_tag_tags", 3},		   {"record.filter_not_kind", 1},
};

/* The translation of a, when argument i of message id is one of the
 * phrases; else a. */
static const char *arg_text(const char *id, unsigned i, const char *a) {
	char key[128];
	const char *t;
	size_t k, p;

	for (k = 0; k < sizeof(phrase_args) / sizeof(phrase_args[0]); k++) {
		if (phrase_args[k].arg != i || strcmp(phrase_args[k].id, id) != 0)
			continue;
		for (p = 0; p < sizeof(phrases) / sizeof(phrases[0]); p++) {
			if (strcmp(phrases[p], a) != 0)
				continue;
			snprintf(key, sizeof(key), "error argument\004%s", a);
			t = dgettext("crm", key);
			return t == key ? a : t;
		}
	}
	return a;
}

/* err with its phrase arguments translated, in *out. */
static void translate_args(const crm_err *err, crm_err *out) {
	size_t used = 0, n;
	const char *a;

	*out = *err;
	for (unsigned i = 0; i < err->nargs; i++) {
		a = arg_text(err->id, i, crm_err_arg(err, i));
		n = strlen(a);
		if (used + n + 1 > sizeof(out->args)) { /* no room: the rest as they came */
			*out = *err;
			return;
		}
		memcpy(out->args + used, a, n + 1);
		used += n + 1;
	}
}

const char *crm_err_text(const crm_err *err, char *buf, size_t size) {
	const char *tmpl = err->id[0] ? crm_msg_template(err->id) : NULL;
	const char *local = tmpl ? dgettext("crm", tmpl) : NULL;
	crm_err shown;

	if (size == 0)
		return buf;
	if (local == NULL || local == tmpl) { /* no id, unknown id, or untranslated */
		snprintf(buf, size, "%s", err->msg);
		return buf;
	}
	translate_args(err, &shown);
	crm_err_format(&shown, local, buf, size);
	return buf;
}
