/* crm_messages: the table of every message id (crm_messages.h). */
#include "crm_messages.h"

#include <string.h>

#include "crm_messages_sql.h" /* generated: CRM_MESSAGES_SQL(X), the SQL's ids */

static const struct {
	const char *id;
	const char *tmpl;
} messages[] = {
#define X(id, tmpl) {id, tmpl},
	CRM_MESSAGES_C(X)
	CRM_MESSAGES_SQL(X)
#undef X
};

#define N_MESSAGES (sizeof(messages) / sizeof(messages[0]))

const char *crm_msg_template(const char *id) {
	if (id == NULL)
		return NULL;
	for (size_t i = 0; i < N_MESSAGES; i++)
		if (strcmp(messages[i].id, id) == 0)
			return messages[i].tmpl;
	return NULL;
}

int crm_msg_at(size_t i, const char **id, const char **tmpl) {
	if (i >= N_MESSAGES)
		return 0;
	*id = messages[i].id;
	*tmpl = messages[i].tmpl;
	return 1;
}
