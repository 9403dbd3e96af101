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
#include "crm_conn.h"
#include "crm_display.h"
#include "crm_test_hooks.h"
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

/* True when the environment sets var to something. */
static int env_names(const char *var) {
	const char *v = getenv(var);

	return v != NULL && v[0] != '\0';
}

/* The language: the profile locale kept by the last login (the desktop's
 * session file, else crm's), unless the environment names a language for
 * messages itself (LANGUAGE, LC_ALL, LC_MESSAGES; LANG alone does not);
 * numbers and money by the same rule (crm_display_init). The catalogs of
 * the build tree when run from it. See docs/i18n.md. */
static void init_language(void) {
	char *locale = session_locale(crm_config_sibling_path("desktop-session"));

	if (locale == NULL)
		locale = session_locale(crm_session_path());
	if (env_names("LANGUAGE") || env_names("LC_ALL") || env_names("LC_MESSAGES"))
		crm_i18n_init(NULL);
	else
		crm_i18n_init(locale);
	crm_display_init(locale);
	free(locale);
}

int main(int argc, char **argv) {
	CrmApplication *app;
	int rc;

	crm_test_hooks_mark("main");
	init_language();
	app = crm_application_new();
	rc = g_application_run(G_APPLICATION(app), argc, argv);
	g_object_unref(app);
	/* a connect (or reconnect) may still be running: not exiting under it */
	crm_conn_wait_for_threads(30000);
	return rc;
}
