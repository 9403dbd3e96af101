/*
 * crm-desktop: the GTK 4 client for crmd. Everything is in the classes
 * (crm_application.c first); this only sets up gettext (client/i18n.c)
 * and runs the app.
 */
#include <stdlib.h>

#include <glib/gi18n.h>

#include "crm_application.h"
#include "i18n.h"
#include "session.h"

/* The language: the profile locale kept in the session file by the last
 * login (crm's or the desktop's), else the environment (docs/i18n.md);
 * the catalogs of the build tree when run from it. */
static void init_language(void) {
	char why[CRM_SESSION_WHY_MAX], *path = crm_session_path();
	crm_session s = {0};

	if (path != NULL && crm_session_load(path, &s, why) != CRM_SESSION_OK)
		crm_session_clear(&s);
	crm_i18n_init(s.locale);
	crm_session_clear(&s);
	free(path);
}

int main(int argc, char **argv) {
	CrmApplication *app;
	int rc;

	init_language();
	app = crm_application_new();
	rc = g_application_run(G_APPLICATION(app), argc, argv);
	g_object_unref(app);
	return rc;
}
