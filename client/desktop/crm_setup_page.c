/*
 * CrmSetupPage: see crm_setup_page.h.
 */
#include "crm_setup_page.h"

#include <string.h>

#include <glib/gi18n.h>

struct _CrmSetupPage {
	GtkBox parent_instance;

	AdwWindowTitle *title;
	GtkWidget *back, *spinner, *error, *steps, *connect, *login, *ca_button;
	AdwEntryRow *server, *username, *password;
	AdwActionRow *ca_row;
	GtkFileChooserNative *chooser;
	char *ca_file;
};

G_DEFINE_FINAL_TYPE(CrmSetupPage, crm_setup_page, GTK_TYPE_BOX)

enum { SIG_CONNECT, SIG_LOGIN, SIG_BACK, N_SIGNALS };
static guint signals[N_SIGNALS];

static void show_ca(CrmSetupPage *self) {
	adw_action_row_set_subtitle(self->ca_row, self->ca_file ? self->ca_file
							       : _("None: the system's certificates"));
}

void crm_setup_page_set_server(CrmSetupPage *self, const char *server, const char *ca_file) {
	gtk_editable_set_text(GTK_EDITABLE(self->server), server ? server : "");
	g_free(self->ca_file);
	self->ca_file = g_strdup(ca_file);
	show_ca(self);
}

void crm_setup_page_set_username(CrmSetupPage *self, const char *username) {
	gtk_editable_set_text(GTK_EDITABLE(self->username), username ? username : "");
}

void crm_setup_page_set_error(CrmSetupPage *self, const char *message) {
	gtk_label_set_text(GTK_LABEL(self->error), message ? message : "");
	gtk_widget_set_visible(self->error, message != NULL);
}

void crm_setup_page_set_busy(CrmSetupPage *self, gboolean busy) {
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), busy);
	gtk_widget_set_sensitive(self->connect, !busy);
	gtk_widget_set_sensitive(self->login, !busy);
}

void crm_setup_page_set_step(CrmSetupPage *self, CrmSetupStep step) {
	gboolean login = step == CRM_SETUP_LOGIN;

	gtk_stack_set_visible_child_name(GTK_STACK(self->steps), login ? "login" : "server");
	gtk_widget_set_visible(self->back, login);
	adw_window_title_set_title(self->title, login ? _("Log In") : _("Welcome to CRM"));
	adw_window_title_set_subtitle(self->title,
				      login ? gtk_editable_get_text(GTK_EDITABLE(self->server)) : "");
	gtk_editable_set_text(GTK_EDITABLE(self->password), "");
	gtk_widget_grab_focus(login ? (gtk_editable_get_text(GTK_EDITABLE(self->username))[0]
					       ? GTK_WIDGET(self->password)
					       : GTK_WIDGET(self->username))
				    : GTK_WIDGET(self->server));
}

CrmSetupStep crm_setup_page_get_step(CrmSetupPage *self) {
	return g_strcmp0(gtk_stack_get_visible_child_name(GTK_STACK(self->steps)), "login") == 0
		       ? CRM_SETUP_LOGIN
		       : CRM_SETUP_SERVER;
}

static void connect_clicked(CrmSetupPage *self) {
	g_autofree char *server = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->server))));

	if (server[0] == '\0' || strchr(server, ':') == NULL) {
		crm_setup_page_set_error(self, _("Enter the server as HOST:PORT, for example "
						 "crm.example.com:7443."));
		gtk_widget_grab_focus(GTK_WIDGET(self->server));
		return;
	}
	crm_setup_page_set_error(self, NULL);
	g_signal_emit(self, signals[SIG_CONNECT], 0, server, self->ca_file);
}

static void login_clicked(CrmSetupPage *self) {
	const char *user = gtk_editable_get_text(GTK_EDITABLE(self->username));
	const char *password = gtk_editable_get_text(GTK_EDITABLE(self->password));

	if (user[0] == '\0' || password[0] == '\0') {
		crm_setup_page_set_error(self, _("Enter your user name and your password."));
		gtk_widget_grab_focus(GTK_WIDGET(user[0] ? self->password : self->username));
		return;
	}
	crm_setup_page_set_error(self, NULL);
	g_signal_emit(self, signals[SIG_LOGIN], 0, user, password);
}

static void back_clicked(CrmSetupPage *self) {
	crm_setup_page_set_error(self, NULL);
	crm_setup_page_set_step(self, CRM_SETUP_SERVER);
	g_signal_emit(self, signals[SIG_BACK], 0);
}

static void chooser_response(GtkNativeDialog *dialog, int response, CrmSetupPage *self) {
	if (response == GTK_RESPONSE_ACCEPT) {
		g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));

		g_free(self->ca_file);
		self->ca_file = file ? g_file_get_path(file) : NULL;
		show_ca(self);
	}
	g_clear_object(&self->chooser);
}

static void ca_clicked(CrmSetupPage *self) {
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	g_autoptr(GtkFileFilter) pem = gtk_file_filter_new();

	gtk_file_filter_set_name(pem, _("Certificates (PEM)"));
	gtk_file_filter_add_pattern(pem, "*.pem");
	gtk_file_filter_add_pattern(pem, "*.crt");
	self->chooser = gtk_file_chooser_native_new(_("Choose the CA File"), GTK_WINDOW(root),
						    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"),
						    _("_Cancel"));
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), pem);
	gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
	g_signal_connect(self->chooser, "response", G_CALLBACK(chooser_response), self);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

static void crm_setup_page_dispose(GObject *obj) {
	CrmSetupPage *self = CRM_SETUP_PAGE(obj);

	if (self->chooser != NULL)
		gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
	g_clear_object(&self->chooser);
	g_clear_pointer(&self->ca_file, g_free);
	gtk_widget_dispose_template(GTK_WIDGET(obj), CRM_TYPE_SETUP_PAGE);
	G_OBJECT_CLASS(crm_setup_page_parent_class)->dispose(obj);
}

static void crm_setup_page_class_init(CrmSetupPageClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_setup_page_dispose;
	gtk_widget_class_set_template_from_resource(wc, "/org/crm/Desktop/crm_setup_page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, CrmSetupPage, name)
	CHILD(title);
	CHILD(back);
	CHILD(spinner);
	CHILD(error);
	CHILD(steps);
	CHILD(connect);
	CHILD(login);
	CHILD(ca_button);
	CHILD(server);
	CHILD(username);
	CHILD(password);
	CHILD(ca_row);
#undef CHILD
	signals[SIG_CONNECT] = g_signal_new("connect", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
					    G_TYPE_STRING);
	signals[SIG_LOGIN] = g_signal_new("login", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
					  G_TYPE_STRING);
	signals[SIG_BACK] = g_signal_new("back", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					 NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void crm_setup_page_init(CrmSetupPage *self) {
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect_swapped(self->connect, "clicked", G_CALLBACK(connect_clicked), self);
	g_signal_connect_swapped(self->server, "entry-activated", G_CALLBACK(connect_clicked), self);
	g_signal_connect_swapped(self->login, "clicked", G_CALLBACK(login_clicked), self);
	g_signal_connect_swapped(self->password, "entry-activated", G_CALLBACK(login_clicked), self);
	g_signal_connect_swapped(self->back, "clicked", G_CALLBACK(back_clicked), self);
	g_signal_connect_swapped(self->ca_button, "clicked", G_CALLBACK(ca_clicked), self);
	adw_entry_row_set_activates_default(self->server, FALSE);
	adw_entry_row_set_show_apply_button(self->server, FALSE);
}
