/*
 * crm-desktop: the GTK 4 client for crmd. Everything is in the classes
 * (crm_application.c first); this only sets up gettext (client/i18n.c)
 * and runs the app.
 */
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "config.h"
#include "crm_application.h"
#include "i18n.h"
#include "session.h"

/* The profile locale a session file keeps (malloc'd), or NULL. */
static char *session_locale(char *path) {
	char why[CRM_SESSION_WHY_MAX], *locale = NULL;
	crm_session s = {0};

	if (path != NULL && crm_session_load(path, &s, why) == CRM_SESSION_OK && s.locale &&
	    s.locale[0])
		locale = strdup(s.locale);
	crm_session_clear(&s);
	free(path);
	return locale;
}

/* The language: the profile locale kept by the last login (the desktop's
 * session file, else crm's), else the environment (docs/i18n.md); the
 * catalogs of the build tree when run from it. */
static void init_language(void) {
	char *locale = session_locale(crm_config_sibling_path("desktop-session"));

	if (locale == NULL)
		locale = session_locale(crm_session_path());
	crm_i18n_init(locale);
	free(locale);
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
