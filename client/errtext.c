/* errtext: an error's text in the user's language (crm_err_text). */
#include <libintl.h>
#include <stdio.h>

#include "crm_messages.h"
#include "crmclient.h"

const char *crm_err_text(const crm_err *err, char *buf, size_t size) {
	const char *tmpl = err->id[0] ? crm_msg_template(err->id) : NULL;
	const char *local = tmpl ? dgettext("crm", tmpl) : NULL;

	if (size == 0)
		return buf;
	if (local == NULL || local == tmpl) /* no id, unknown id, or untranslated */
		snprintf(buf, size, "%s", err->msg);
	else
		crm_err_format(err, local, buf, size);
	return buf;
}
