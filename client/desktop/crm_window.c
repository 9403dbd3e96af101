/*
 * CrmWindow: see crm_window.h. The connection's state drives what shows:
 *   CONNECTING/RECONNECTING before the main view ever showed: the
 *     assistant (with its error if an attempt failed);
 *   NEEDS_LOGIN: the assistant's login step, or, once the main view has
 *     shown, a password dialog over it (requests wait meanwhile);
 *   RECONNECTING after that: the banner, the view stays;
 *   CONNECTED: the main view; the sidebar is loaded once per login.
 * With a stored session the list its user had open last is made at once
 * (open_early), so its requests wait for the connection beside the
 * sidebar's instead of after it; the sidebar's answer then keeps it (the
 * type is still readable by the user now signed in) or drops it.
 */
#include "crm_window.h"
#include "crm_meta.h"
#include "crm_test_hooks.h"

#include <glib/gi18n.h>

#include "crm_conn.h"
#include "crm_display.h"
#include "crm_errors.h"
#include "crm_my_tasks.h"
#include "crm_notifier.h"
#include "crm_placeholder.h"
#include "crm_record_list.h"
#include "crm_settings.h"
#include "crm_setup_page.h"

struct _CrmWindow {
	AdwApplicationWindow parent_instance;

	GtkWidget *banner, *banner_label, *pages, *leaflet, *types, *content, *back, *spinner;
	AdwWindowTitle *content_title;
	CrmSetupPage *setup;

	CrmSettings settings;
	CrmConn *conn;
	CrmNotifier *notifier; /* the conn's events as notifications */
	GCancellable *cancel;
	gboolean main_shown, types_loaded;
	AdwMessageDialog *relogin;
	char *early_type, *early_user; /* the list open_early made, for whom */
};

G_DEFINE_FINAL_TYPE(CrmWindow, crm_window, ADW_TYPE_APPLICATION_WINDOW)

static void load_types(CrmWindow *self);
static void ask_password(CrmWindow *self);

/* ---------------------------------------------------------------- state */

static void show_banner(CrmWindow *self, const GError *error) {
	g_autofree char *text = NULL, *why = NULL;

	if (error == NULL) {
		gtk_revealer_set_reveal_child(GTK_REVEALER(self->banner), FALSE);
		return;
	}
	why = crm_error_describe(error);
	text = g_strdup_printf(_("Connection to the server lost. Reconnecting… %s"), why);
	/* one line (a wrapping label in a revealer mis-measures in GTK 4.8);
	 * the whole text in the tooltip and the accessible description */
	gtk_label_set_text(GTK_LABEL(self->banner_label), text);
	gtk_widget_set_tooltip_text(self->banner_label, text);
	gtk_revealer_set_reveal_child(GTK_REVEALER(self->banner), TRUE);
}

static void show_main(CrmWindow *self) {
	gtk_stack_set_visible_child_name(GTK_STACK(self->pages), "main");
	self->main_shown = TRUE;
	if (!self->types_loaded)
		load_types(self);
}

static void state_changed(CrmWindow *self) {
	CrmConnState st = crm_conn_get_state(self->conn);

	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), st == CRM_CONN_CONNECTING ||
								     st == CRM_CONN_RECONNECTING);
	switch (st) {
	case CRM_CONN_CONNECTED:
		crm_test_hooks_mark("connected");
		crm_display_set_time_zone(crm_conn_get_time_zone(self->conn));
		show_banner(self, NULL);
		crm_setup_page_set_busy(self->setup, FALSE);
		show_main(self);
		break;
	case CRM_CONN_NEEDS_LOGIN:
		show_banner(self, NULL);
		crm_setup_page_set_busy(self->setup, FALSE);
		if (self->main_shown) {
			ask_password(self);
		} else {
			crm_setup_page_set_username(self->setup, crm_conn_get_login_name(self->conn));
			crm_setup_page_set_step(self->setup, CRM_SETUP_LOGIN);
		}
		break;
	case CRM_CONN_RECONNECTING:
		if (self->main_shown)
			show_banner(self, crm_conn_get_last_error(self->conn));
		break;
	case CRM_CONN_CONNECTING:
	case CRM_CONN_DISCONNECTED:
		break;
	}
}

static void connect_error(CrmWindow *self, GError *error) {
	g_autofree char *text = crm_error_describe(error);

	if (self->main_shown) {
		show_banner(self, error);
		return;
	}
	/* every failed retry comes here: never move the focus of someone
	 * typing, only go back to the server step from the login step */
	crm_setup_page_set_busy(self->setup, FALSE);
	crm_setup_page_set_error(self->setup, text);
	if (crm_setup_page_get_step(self->setup) != CRM_SETUP_SERVER)
		crm_setup_page_set_step(self->setup, CRM_SETUP_SERVER);
}

static void drop_conn(CrmWindow *self) {
	if (self->conn == NULL)
		return;
	if (self->notifier != NULL)
		g_object_run_dispose(G_OBJECT(self->notifier));
	g_clear_object(&self->notifier);
	g_signal_handlers_disconnect_by_data(self->conn, self);
	/* fails what still waits (the calls' tasks hold references to the
	 * conn, so unref alone would keep it while the server is away) */
	g_object_run_dispose(G_OBJECT(self->conn));
	g_clear_object(&self->conn);
}

static void make_conn(CrmWindow *self) {
	drop_conn(self);
	self->conn = crm_conn_new(self->settings.server, self->settings.ca);
	g_signal_connect_swapped(self->conn, "notify::state", G_CALLBACK(state_changed), self);
	g_signal_connect_swapped(self->conn, "connect-error", G_CALLBACK(connect_error), self);
	crm_setup_page_set_busy(self->setup, TRUE);
	crm_test_hooks_mark("connecting");
	crm_conn_subscribe(self->conn); /* live updates: once logged in */
	/* (made in init, before the window's "application" is set) */
	self->notifier = crm_notifier_new(g_application_get_default(), self->conn);
	crm_conn_start(self->conn);
}

/* ---------------------------------------------------------------- the assistant */

static void setup_connect(CrmWindow *self, const char *server, const char *ca) {
	g_autoptr(GError) error = NULL;

	g_free(self->settings.server);
	self->settings.server = g_strdup(server);
	g_free(self->settings.ca);
	self->settings.ca = g_strdup(ca);
	if (!crm_settings_save(&self->settings, &error)) {
		crm_setup_page_set_error(self->setup, error->message);
		return;
	}
	make_conn(self);
}

static void login_done(GObject *obj, GAsyncResult *res, gpointer data) {
	CrmWindow *self = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (crm_conn_login_finish(CRM_CONN(obj), res, &error) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_object_unref(self);
		return;
	}
	text = crm_error_describe_login(error);
	crm_setup_page_set_busy(self->setup, FALSE);
	crm_setup_page_set_error(self->setup, text);
	crm_setup_page_set_step(self->setup, CRM_SETUP_LOGIN);
	g_object_unref(self);
}

static void setup_login(CrmWindow *self, const char *user, const char *password) {
	if (self->conn == NULL)
		return;
	crm_setup_page_set_busy(self->setup, TRUE);
	crm_conn_login(self->conn, user, password, self->cancel, login_done, g_object_ref(self));
}

/* ---------------------------------------------------------------- the password dialog */

static void relogin_done(GObject *obj, GAsyncResult *res, gpointer data) {
	CrmWindow *self = data;
	g_autoptr(GError) error = NULL;

	if (!crm_conn_login_finish(CRM_CONN(obj), res, &error) &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_autofree char *text = crm_error_describe_login(error);

		ask_password(self);
		if (self->relogin != NULL)
			adw_message_dialog_set_body(self->relogin, text);
	}
	g_object_unref(self);
}

static void relogin_response(AdwMessageDialog *dialog, const char *response, CrmWindow *self) {
	GtkEditable *entry = GTK_EDITABLE(adw_message_dialog_get_extra_child(dialog));
	const char *user = self->conn ? crm_conn_get_login_name(self->conn) : NULL;

	self->relogin = NULL;
	if (self->conn == NULL)
		return;
	if (g_strcmp0(response, "login") == 0 && user != NULL)
		crm_conn_login(self->conn, user, gtk_editable_get_text(entry), self->cancel,
			       relogin_done, g_object_ref(self));
	else
		gtk_widget_activate_action(GTK_WIDGET(self), "win.logout", NULL);
}

static gboolean respond_login(gpointer dialog) {
	adw_message_dialog_response(ADW_MESSAGE_DIALOG(dialog), "login");
	gtk_window_close(GTK_WINDOW(dialog)); /* as its button does; response alone does not */
	return G_SOURCE_REMOVE;
}

/* Enter in the password: the "login" response, from an idle, so the
 * dialog does not close (and free the entry) inside the entry's own
 * activate handler. */
static void password_activated(GtkWidget *entry, AdwMessageDialog *dialog) {
	g_idle_add_full(G_PRIORITY_DEFAULT, respond_login, g_object_ref(dialog), g_object_unref);
}

static void ask_password(CrmWindow *self) {
	GtkWidget *entry;
	g_autofree char *body = NULL;

	if (self->relogin != NULL)
		return;
	body = g_strdup_printf(_("Your session has ended. Enter the password of %s to go on; "
				 "what you were doing is kept."),
			       crm_conn_get_login_name(self->conn) ? crm_conn_get_login_name(self->conn)
								      : "");
	self->relogin = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_WINDOW(self),
								  _("Log In Again"), body));
	entry = gtk_password_entry_new();
	gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(entry), TRUE);
	gtk_accessible_update_property(GTK_ACCESSIBLE(entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Password"), -1);
	g_signal_connect(entry, "activate", G_CALLBACK(password_activated), self->relogin);
	adw_message_dialog_set_extra_child(self->relogin, entry);
	adw_message_dialog_add_responses(self->relogin, "logout", _("Log _Out"), "login",
					 _("_Log In"), NULL);
	adw_message_dialog_set_response_appearance(self->relogin, "login",
						   ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(self->relogin, "login");
	adw_message_dialog_set_close_response(self->relogin, "logout");
	g_signal_connect(self->relogin, "response", G_CALLBACK(relogin_response), self);
	gtk_window_present(GTK_WINDOW(self->relogin));
	gtk_widget_grab_focus(entry);
}

/* ---------------------------------------------------------------- the sidebar */

static gboolean may_read(const Crm__RecordTypeInfo *t) {
	for (size_t i = 0; i < t->n_actions; i++)
		if (t->actions[i] == CRM__ACTION__READ)
			return TRUE;
	return FALSE;
}

static void type_selected(CrmWindow *self, GtkListBoxRow *row);

/* A sidebar row opening content page `name` titled label. */
static GtkWidget *sidebar_row(const char *name, const char *label) {
	GtkWidget *text = gtk_label_new(label), *row = gtk_list_box_row_new();

	gtk_label_set_xalign(GTK_LABEL(text), 0);
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), text);
	gtk_widget_set_name(row, name);
	g_object_set_data_full(G_OBJECT(row), "crm-type", g_strdup(name), g_free);
	g_object_set_data_full(G_OBJECT(row), "crm-title", g_strdup(label), g_free);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
				       -1);
	return row;
}

static void types_loaded(GObject *obj, GAsyncResult *res, gpointer data) {
	CrmWindow *self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *reply = crm_conn_call_finish(CRM_CONN(obj), res, &error);
	const Crm__RecordTypeListReply *list = reply ? reply->response->record_type_list : NULL;
	GtkWidget *child, *early_row = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		goto done; /* the window is going away */
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), FALSE);
	if (list == NULL) {
		g_autofree char *text = crm_error_describe(error);

		self->types_loaded = FALSE;
		adw_status_page_set_description(
			ADW_STATUS_PAGE(gtk_stack_get_child_by_name(GTK_STACK(self->content), "empty")),
			text);
		goto done;
	}
	while ((child = gtk_widget_get_first_child(self->types)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(self->types), child);
	for (size_t i = 0; i < list->n_types; i++) {
		const Crm__RecordTypeInfo *t = list->types[i];

		/* My Tasks first, when the user may read tasks */
		if (may_read(t) && g_strcmp0(t->name, "task") == 0)
			gtk_list_box_append(GTK_LIST_BOX(self->types),
					    sidebar_row(CRM_MY_TASKS_PAGE, _("My Tasks")));
	}
	for (size_t i = 0; i < list->n_types; i++) {
		const Crm__RecordTypeInfo *t = list->types[i];
		GtkWidget *row;

		if (!may_read(t) || t->name == NULL)
			continue;
		row = sidebar_row(t->name, crm_meta_type_label(t, TRUE));
		gtk_list_box_append(GTK_LIST_BOX(self->types), row);
		if (g_strcmp0(self->early_type, t->name) == 0)
			early_row = row;
	}
	crm_test_hooks_mark("types-loaded");
	if (self->early_type != NULL) {
		GtkWidget *page = gtk_stack_get_child_by_name(GTK_STACK(self->content),
							      self->early_type);

		/* made for the user of the stored session: another may have
		 * logged in since, or the type is no longer readable */
		if (early_row != NULL &&
		    g_strcmp0(self->early_user, crm_conn_username(self->conn)) == 0) {
			gtk_list_box_select_row(GTK_LIST_BOX(self->types), GTK_LIST_BOX_ROW(early_row));
			type_selected(self, GTK_LIST_BOX_ROW(early_row));
		} else if (page != NULL) {
			gtk_stack_remove(GTK_STACK(self->content), page);
			gtk_stack_set_visible_child_name(GTK_STACK(self->content), "empty");
		}
		g_clear_pointer(&self->early_type, g_free);
		g_clear_pointer(&self->early_user, g_free);
	}
done:
	crm_client_reply_free(reply);
	g_object_unref(self);
}

static void load_types(CrmWindow *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordTypeList body = CRM__RECORD_TYPE_LIST__INIT;

	self->types_loaded = TRUE;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_TYPE_LIST;
	req.record_type_list = &body;
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), TRUE);
	crm_conn_call(self->conn, &req, self->cancel, types_loaded, g_object_ref(self));
}

static void type_selected(CrmWindow *self, GtkListBoxRow *row) {
	const char *type, *title;
	GtkWidget *page;

	if (row == NULL)
		return;
	type = g_object_get_data(G_OBJECT(row), "crm-type");
	title = g_object_get_data(G_OBJECT(row), "crm-title");
	page = gtk_stack_get_child_by_name(GTK_STACK(self->content), type);
	if (page == NULL && g_str_equal(type, CRM_MY_TASKS_PAGE)) {
		page = crm_my_tasks_new(self->conn);
		g_signal_connect_swapped(page, "open-record", G_CALLBACK(crm_window_open_record),
					 self);
		gtk_stack_add_named(GTK_STACK(self->content), page, type);
	} else if (page == NULL) {
		page = crm_record_list_new(self->conn, type);
		gtk_stack_add_named(GTK_STACK(self->content), page, type);
	}
	gtk_stack_set_visible_child(GTK_STACK(self->content), page);
	adw_window_title_set_title(self->content_title, title);
	adw_leaflet_navigate(ADW_LEAFLET(self->leaflet), ADW_NAVIGATION_DIRECTION_FORWARD);
	crm_record_list_keep_last_type(crm_conn_username(self->conn), type);
}

/* With a stored session: the list its user had open last, made now (its
 * field list and first page wait in the connection's queue), shown when
 * the main view shows. */
static void open_early(CrmWindow *self) {
	const char *user = crm_conn_get_login_name(self->conn);
	g_autofree char *type = NULL;
	GtkWidget *page;

	if (user == NULL || (type = crm_record_list_last_type(user)) == NULL ||
	    crm_meta_type_value(type) == 0)
		return;
	page = crm_record_list_new(self->conn, type);
	gtk_stack_add_named(GTK_STACK(self->content), page, type);
	gtk_stack_set_visible_child(GTK_STACK(self->content), page);
	self->early_user = g_strdup(user);
	self->early_type = g_steal_pointer(&type);
}

static void back_clicked(CrmWindow *self) {
	adw_leaflet_navigate(ADW_LEAFLET(self->leaflet), ADW_NAVIGATION_DIRECTION_BACK);
	gtk_widget_grab_focus(self->types);
}

/* ---------------------------------------------------------------- actions */

/* Ctrl+F / Ctrl+N: the visible content page's own "list.*" action. */
static void forward_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmWindow *self = CRM_WINDOW(widget);
	GtkWidget *page = gtk_stack_get_visible_child(GTK_STACK(self->content));
	const char *action = g_str_equal(name, "win.filter") ? "list.filter" : "list.new";

	if (page != NULL && self->main_shown)
		gtk_widget_activate_action(page, action, NULL);
}

static void retry_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmWindow *self = CRM_WINDOW(widget);

	if (self->conn != NULL)
		crm_conn_retry_now(self->conn);
}

static void change_server_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmWindow *self = CRM_WINDOW(widget);

	crm_setup_page_set_step(self->setup, CRM_SETUP_SERVER);
	gtk_stack_set_visible_child_name(GTK_STACK(self->pages), "setup");
	self->main_shown = FALSE;
	show_banner(self, NULL);
}

static void logout_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmWindow *self = CRM_WINDOW(widget);

	if (self->conn == NULL)
		return;
	self->main_shown = FALSE;
	self->types_loaded = FALSE;
	crm_conn_logout(self->conn);
	/* already NEEDS_LOGIN (an ended session) gives no notify: show it here */
	crm_setup_page_set_username(self->setup, crm_conn_get_login_name(self->conn));
	crm_setup_page_set_step(self->setup, CRM_SETUP_LOGIN);
	gtk_stack_set_visible_child_name(GTK_STACK(self->pages), "setup");
}

/* ---------------------------------------------------------------- GObject */

static void crm_window_dispose(GObject *obj) {
	CrmWindow *self = CRM_WINDOW(obj);

	if (self->cancel != NULL)
		g_cancellable_cancel(self->cancel);
	g_clear_object(&self->cancel);
	drop_conn(self);
	crm_settings_clear(&self->settings);
	g_clear_pointer(&self->early_type, g_free);
	g_clear_pointer(&self->early_user, g_free);
	gtk_widget_dispose_template(GTK_WIDGET(obj), CRM_TYPE_WINDOW);
	G_OBJECT_CLASS(crm_window_parent_class)->dispose(obj);
}

static void crm_window_class_init(CrmWindowClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	g_type_ensure(CRM_TYPE_SETUP_PAGE);
	G_OBJECT_CLASS(klass)->dispose = crm_window_dispose;
	gtk_widget_class_set_template_from_resource(wc, "/org/crm/Desktop/crm_window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, CrmWindow, name)
	CHILD(banner);
	CHILD(banner_label);
	CHILD(pages);
	CHILD(leaflet);
	CHILD(types);
	CHILD(content);
	CHILD(content_title);
	CHILD(back);
	CHILD(spinner);
	CHILD(setup);
#undef CHILD
	gtk_widget_class_install_action(wc, "win.filter", NULL, forward_action);
	gtk_widget_class_install_action(wc, "win.new", NULL, forward_action);
	gtk_widget_class_install_action(wc, "win.retry", NULL, retry_action);
	gtk_widget_class_install_action(wc, "win.change-server", NULL, change_server_action);
	gtk_widget_class_install_action(wc, "win.logout", NULL, logout_action);
}

static void crm_window_init(CrmWindow *self) {
	g_autoptr(GError) error = NULL;

	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
	g_signal_connect_swapped(self->setup, "connect", G_CALLBACK(setup_connect), self);
	g_signal_connect_swapped(self->setup, "login", G_CALLBACK(setup_login), self);
	g_signal_connect_swapped(self->types, "row-activated", G_CALLBACK(type_selected), self);
	g_signal_connect_swapped(self->back, "clicked", G_CALLBACK(back_clicked), self);
	gtk_stack_set_visible_child_name(GTK_STACK(self->pages), "setup");
	if (!crm_settings_load(&self->settings, &error)) {
		crm_setup_page_set_error(self->setup, error->message);
		return;
	}
	crm_setup_page_set_server(self->setup, self->settings.server, self->settings.ca);
	if (self->settings.server != NULL) {
		make_conn(self);
		open_early(self);
	} else
		crm_setup_page_set_step(self->setup, CRM_SETUP_SERVER);
}

CrmWindow *crm_window_new(CrmApplication *app) {
	return g_object_new(CRM_TYPE_WINDOW, "application", app, NULL);
}

CrmConn *crm_window_get_conn(CrmWindow *self) { return self->conn; }

/* The sidebar's row of type, or NULL. */
static GtkListBoxRow *type_row(CrmWindow *self, const char *type) {
	for (GtkWidget *row = gtk_widget_get_first_child(self->types); row != NULL;
	     row = gtk_widget_get_next_sibling(row))
		if (g_strcmp0(g_object_get_data(G_OBJECT(row), "crm-type"), type) == 0)
			return GTK_LIST_BOX_ROW(row);
	return NULL;
}

gboolean crm_window_open_record(CrmWindow *self, const char *type, gint64 id) {
	GtkListBoxRow *row = self->main_shown ? type_row(self, type) : NULL;
	GtkWidget *page;

	if (row == NULL)
		return FALSE; /* not signed in yet, or a type the user may not read */
	gtk_list_box_select_row(GTK_LIST_BOX(self->types), row);
	type_selected(self, row);
	page = gtk_stack_get_child_by_name(GTK_STACK(self->content), type);
	if (!CRM_IS_RECORD_LIST(page))
		return FALSE;
	crm_record_list_open_record(CRM_RECORD_LIST(page), id);
	return TRUE;
}
