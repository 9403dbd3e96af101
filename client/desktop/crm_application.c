/*
 * CrmApplication: see crm_application.h.
 */
#include "crm_application.h"

#include <string.h>

#include <glib/gi18n.h>

#include "crm_test_hooks.h"
#include "crm_window.h"

struct _CrmApplication {
	AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE(CrmApplication, crm_application, ADW_TYPE_APPLICATION)

static void quit_activated(GSimpleAction *a, GVariant *p, gpointer app) {
	GList *l;

	/* closing the windows first lets each drop its connection cleanly */
	while ((l = gtk_application_get_windows(GTK_APPLICATION(app))) != NULL)
		gtk_window_destroy(GTK_WINDOW(l->data));
	g_application_quit(G_APPLICATION(app));
}

static void about_activated(GSimpleAction *a, GVariant *p, gpointer app) {
	GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));

	adw_show_about_window(win, "application-name", _("CRM"), "application-icon", CRM_APP_ID,
			      "version", CRM_VERSION, "comments",
			      _("The desktop client for the CRM server"), NULL);
}

static CrmConn *active_conn(GtkApplication *app) {
	GtkWindow *win = gtk_application_get_active_window(app);

	return CRM_IS_WINDOW(win) ? crm_window_get_conn(CRM_WINDOW(win)) : NULL;
}

/* app.open-record "TYPE/ID" (a notification's action): the record's page
 * in the window, which comes to the front. */
static void open_record_activated(GSimpleAction *a, GVariant *p, gpointer app) {
	const char *target = g_variant_get_string(p, NULL);
	const char *slash = strchr(target, '/');
	GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));
	g_autofree char *type = slash ? g_strndup(target, (gsize)(slash - target)) : NULL;
	gint64 id = slash ? g_ascii_strtoll(slash + 1, NULL, 10) : 0;

	if (win == NULL) {
		g_application_activate(G_APPLICATION(app));
		win = gtk_application_get_active_window(GTK_APPLICATION(app));
	}
	if (!CRM_IS_WINDOW(win) || type == NULL || id <= 0)
		return;
	gtk_window_present(win);
	if (!crm_window_open_record(CRM_WINDOW(win), type, id))
		g_message("crm-desktop: cannot open %s now", target);
}

static const GActionEntry app_actions[] = {
	{.name = "quit", .activate = quit_activated},
	{.name = "about", .activate = about_activated},
	{.name = "open-record", .activate = open_record_activated, .parameter_type = "s"},
};

static void crm_application_startup(GApplication *app) {
	static const struct {
		const char *action, *accels[3];
	} accels[] = {
		{"app.quit", {"<Control>q", NULL}},
		{"window.close", {"<Control>w", NULL}},
		{"win.filter", {"<Control>f", NULL}},
		{"win.new", {"<Control>n", NULL}},
		{"win.retry", {"F5", NULL}},
		{"win.show-help-overlay", {"<Control>question", NULL}},
	};

	G_APPLICATION_CLASS(crm_application_parent_class)->startup(app);
	crm_test_hooks_mark("startup");
	g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions),
					app);
	crm_test_hooks_add(GTK_APPLICATION(app), active_conn);
	for (gsize i = 0; i < G_N_ELEMENTS(accels); i++)
		gtk_application_set_accels_for_action(GTK_APPLICATION(app), accels[i].action,
						      accels[i].accels);
}

static void crm_application_activate(GApplication *app) {
	GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));

	if (win == NULL)
		win = GTK_WINDOW(crm_window_new(CRM_APPLICATION(app)));
	crm_test_hooks_mark("window-made");
	gtk_window_present(win);
	crm_test_hooks_mark("window-presented");
}

static void crm_application_class_init(CrmApplicationClass *klass) {
	GApplicationClass *ac = G_APPLICATION_CLASS(klass);

	ac->startup = crm_application_startup;
	ac->activate = crm_application_activate;
}

static void crm_application_init(CrmApplication *self) {}

CrmApplication *crm_application_new(void) {
	return g_object_new(CRM_TYPE_APPLICATION, "application-id", CRM_APP_ID, "flags",
			    G_APPLICATION_DEFAULT_FLAGS, "resource-base-path", "/org/crm/Desktop",
			    NULL);
}
