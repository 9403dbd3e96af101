/*
 * crm-desktop: the GTK 4 client for crmd. Everything is in the classes
 * (crm_application.c first); this only sets up gettext and runs the app.
 */
#include <locale.h>

#include <glib/gi18n.h>

#include "crm_application.h"

int main(int argc, char **argv) {
	CrmApplication *app;
	int rc;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, CRM_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	app = crm_application_new();
	rc = g_application_run(G_APPLICATION(app), argc, argv);
	g_object_unref(app);
	return rc;
}
