/*
 * CrmRecordActions: delete, restore, reassign and share one record; see
 * crm_record_actions.h.
 *
 * The dialogs are AdwMessageDialogs over the window. Delete, restore and
 * reassign go out with the actions' cancellable (cancelled when the page
 * goes); a failed reassign opens its dialog again with what was typed and
 * the server's words. The share dialog sends its own requests (cancelled
 * when it closes) and stays open while shares are added and removed.
 */
#include "crm_record_actions.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_errors.h"
#include "crm_meta.h"
#include "crm_status.h"
#include "recval.h"

/* The record type whose records a reassign can move along with the one
 * reassigned (RecordReassign.with_contacts): offered for the types that
 * one of its fields refers to (FieldDef.references: a contact's primary
 * account), as its field list says. */
#define CONTACTS_TYPE "contact"
#define USERS_MAX 500 /* user names offered for completion (one UserList page) */

struct _CrmRecordActions {
	GObject parent_instance;

	CrmConn *conn;
	char *type;
	gint64 id;
	GtkWidget *page; /* not a reference: the page owns this */
	GCancellable *cancel; /* cancelled when the page goes: page is gone then */
	GSimpleActionGroup *group;

	GtkWidget *buttons, *status, *deleted_box, *deleted_label, *error;
	char *name, *owner;
	gboolean loaded, deleted, busy;
	gboolean may_delete, may_reassign, may_update; /* the role's, for the type */
	gboolean with_contacts;
};

G_DEFINE_FINAL_TYPE(CrmRecordActions, crm_record_actions, G_TYPE_OBJECT)

/* ---------------------------------------------------------------- state */

static void update_state(CrmRecordActions *self) {
	static const char *const names[] = {"delete", "restore", "reassign", "share"};
	gboolean ready = self->loaded && !self->busy;
	gboolean on[] = {ready && !self->deleted && self->may_delete,
			 ready && self->deleted && self->may_delete,
			 ready && !self->deleted && self->may_reassign, ready && !self->deleted};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		g_simple_action_set_enabled(
			G_SIMPLE_ACTION(g_action_map_lookup_action(G_ACTION_MAP(self->group), names[i])),
			on[i]);
	/* the words only while shown: screen readers find no hidden text */
	gtk_label_set_text(GTK_LABEL(self->deleted_label),
			   self->loaded && self->deleted
				   ? _("This record is deleted. Restore it to work with it again.")
				   : "");
	gtk_widget_set_visible(self->deleted_box, self->loaded && self->deleted);
}

/* The words for a failed action: a validation of a field the user gave
 * (an unknown user or team) in the server's own words, already in the
 * user's language; anything else with what to do (crm_error_describe). */
static char *describe(const GError *error) {
	const char *field = crm_conn_error_field(error);

	if (error != NULL && error->domain == CRM_CONN_ERROR && field != NULL &&
	    !g_str_has_suffix(field, ".id") && g_strcmp0(field, "id") != 0 &&
	    (error->code == CRM_INVALID_ARGUMENT || error->code == CRM_NOT_FOUND))
		return g_strdup(error->message);
	return crm_error_describe(error);
}

static void show_error(CrmRecordActions *self, const GError *error) {
	g_autofree char *text = error ? describe(error) : NULL;

	gtk_label_set_text(GTK_LABEL(self->error), text ? text : "");
	gtk_widget_set_visible(self->error, text != NULL);
}

static GtkWindow *window_of(CrmRecordActions *self) {
	GtkRoot *root = gtk_widget_get_root(self->page);

	return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
}

static void unref_closure(gpointer data, GClosure *closure) { g_object_unref(data); }

static gboolean has_action(const Crm__RecordTypeInfo *t, Crm__Action a) {
	for (size_t i = 0; i < t->n_actions; i++)
		if (t->actions[i] == a)
			return TRUE;
	return FALSE;
}

/* ---------------------------------------------------------------- metadata */

static void contact_fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordActions) self = data;
	const Crm__FieldListReply *fields = crm_meta_fields_finish(CRM_META(src), res, NULL);
	Crm__RecordType mine = crm_meta_type_value(self->type);

	if (fields == NULL || g_cancellable_is_cancelled(self->cancel))
		return;
	for (size_t i = 0; i < fields->n_fields; i++)
		if (fields->fields[i]->has_references && fields->fields[i]->references == mine)
			self->with_contacts = TRUE;
}

static void types_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordActions) self = data;
	const Crm__RecordTypeListReply *types = crm_meta_types_finish(CRM_META(src), res, NULL);
	const Crm__RecordTypeInfo *t;

	if (types == NULL || g_cancellable_is_cancelled(self->cancel))
		return; /* the server decides each action alone */
	t = crm_meta_type_info(types, self->type);
	if (t != NULL) {
		self->may_delete = has_action(t, CRM__ACTION__DELETE);
		self->may_reassign = has_action(t, CRM__ACTION__REASSIGN);
		self->may_update = has_action(t, CRM__ACTION__UPDATE);
	}
	if (strcmp(self->type, CONTACTS_TYPE) != 0 &&
	    crm_meta_type_info(types, CONTACTS_TYPE) != NULL)
		crm_meta_fields_async(CRM_META(src), CONTACTS_TYPE, self->cancel,
				      contact_fields_loaded, g_object_ref(self));
	update_state(self);
}

/* ---------------------------------------------------------------- user name completion */

static void users_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	GWeakRef *ref = data;
	GtkWidget *entry = g_weak_ref_get(ref);
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, NULL);

	/* a user who may not list users (or an error): a plain entry */
	if (entry != NULL && f != NULL && f->response->body_case == CRM__RESPONSE__BODY_USER_LIST) {
		const Crm__UserListReply *ul = f->response->user_list;
		GtkListStore *store = gtk_list_store_new(1, G_TYPE_STRING);

		G_GNUC_BEGIN_IGNORE_DEPRECATIONS /* GtkEntryCompletion: 4.10 */
		GtkEntryCompletion *c = gtk_entry_completion_new();

		for (size_t i = 0; i < ul->n_users; i++)
			if (ul->users[i]->username != NULL)
				gtk_list_store_insert_with_values(store, NULL, -1, 0,
								  ul->users[i]->username, -1);
		gtk_entry_completion_set_model(c, GTK_TREE_MODEL(store));
		gtk_entry_completion_set_text_column(c, 0);
		/* suggestions only: an inline completion racing fast typing
		 * would add letters after the ones typed */
		gtk_entry_completion_set_inline_completion(c, FALSE);
		gtk_entry_set_completion(GTK_ENTRY(entry), c);
		G_GNUC_END_IGNORE_DEPRECATIONS
		g_object_unref(c);
		g_object_unref(store);
	}
	crm_client_reply_free(f);
	g_clear_object(&entry);
	g_weak_ref_clear(ref);
	g_free(ref);
}

/* Offers the active users' names in entry when the server lets this user
 * list them (UserList). */
static void complete_users(CrmRecordActions *self, GtkWidget *entry, GCancellable *cancel) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserList ul = CRM__USER_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	GWeakRef *ref = g_new0(GWeakRef, 1);

	g_weak_ref_init(ref, entry);
	page.has_limit = TRUE;
	page.limit = USERS_MAX;
	ul.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_LIST;
	req.user_list = &ul;
	crm_conn_call(self->conn, &req, cancel, users_loaded, ref);
}

/* ---------------------------------------------------------------- delete, restore, reassign */

typedef struct {
	CrmRecordActions *self; /* a reference */
	char *owner, *team;     /* a reassign's, to ask again after a failure */
	gboolean reassign, contacts;
} Change;

static void change_free(Change *c) {
	g_object_unref(c->self);
	g_free(c->owner);
	g_free(c->team);
	g_free(c);
}

static void open_reassign(CrmRecordActions *self, const char *owner, const char *team,
			  gboolean contacts, const char *problem);

static void change_done(GObject *src, GAsyncResult *res, gpointer data) {
	Change *c = data;
	CrmRecordActions *self = c->self;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, &error);

	crm_client_reply_free(f);
	if (g_cancellable_is_cancelled(self->cancel))
		goto out;
	self->busy = FALSE;
	update_state(self);
	if (f == NULL && c->reassign) {
		g_autofree char *text = describe(error);

		open_reassign(self, c->owner, c->team, c->contacts, text);
	} else if (f == NULL) {
		show_error(self, error);
	} else {
		show_error(self, NULL);
		g_signal_emit_by_name(self->page, "record-changed");
	}
out:
	change_free(c);
}

static void send_change(CrmRecordActions *self, Crm__ClientFrame *req, Change *c) {
	c->self = g_object_ref(self);
	if (g_cancellable_is_cancelled(self->cancel)) { /* the page went meanwhile */
		change_free(c);
		return;
	}
	self->busy = TRUE;
	update_state(self);
	show_error(self, NULL);
	crm_conn_call(self->conn, req, self->cancel, change_done, c);
}

static void send_deleted(CrmRecordActions *self, gboolean deleted) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordDelete del = CRM__RECORD_DELETE__INIT;
	Crm__RecordRestore res = CRM__RECORD_RESTORE__INIT;

	if (deleted) {
		del.has_type = del.has_id = TRUE;
		del.type = crm_meta_type_value(self->type);
		del.id = self->id;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_DELETE;
		req.record_delete = &del;
	} else {
		res.has_type = res.has_id = TRUE;
		res.type = crm_meta_type_value(self->type);
		res.id = self->id;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_RESTORE;
		req.record_restore = &res;
	}
	send_change(self, &req, g_new0(Change, 1));
}

static void delete_response(AdwMessageDialog *d, const char *response, CrmRecordActions *self) {
	if (g_strcmp0(response, "delete") == 0)
		send_deleted(self, TRUE);
}

static void delete_activated(GSimpleAction *a, GVariant *p, gpointer data) {
	CrmRecordActions *self = data;
	g_autofree char *heading = g_strdup_printf(_("Delete “%s”?"), self->name);
	GtkWidget *d = adw_message_dialog_new(window_of(self), heading,
					      _("It moves to the deleted records of its type "
						"(Deleted, in the list), where it can be "
						"restored."));

	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", _("_Cancel"), "delete",
					 _("_Delete"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "delete",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "cancel");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
	g_signal_connect_data(d, "response", G_CALLBACK(delete_response), g_object_ref(self),
			      unref_closure, 0);
	gtk_window_present(GTK_WINDOW(d));
}

static void restore_activated(GSimpleAction *a, GVariant *p, gpointer data) {
	send_deleted(data, FALSE);
}

static void reassign_response(AdwMessageDialog *d, const char *response,
			      CrmRecordActions *self) {
	const char *owner = gtk_editable_get_text(g_object_get_data(G_OBJECT(d), "crm-owner"));
	const char *team = gtk_editable_get_text(g_object_get_data(G_OBJECT(d), "crm-team"));
	GtkWidget *contacts = g_object_get_data(G_OBJECT(d), "crm-contacts");
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordReassign ra = CRM__RECORD_REASSIGN__INIT;
	Change *c;

	if (g_strcmp0(response, "reassign") != 0 || owner[0] == '\0')
		return;
	c = g_new0(Change, 1);
	c->reassign = TRUE;
	c->owner = g_strstrip(g_strdup(owner));
	c->team = g_strstrip(g_strdup(team));
	c->contacts = gtk_widget_get_visible(contacts) &&
		      gtk_check_button_get_active(GTK_CHECK_BUTTON(contacts));
	ra.has_type = ra.has_id = ra.has_owner = TRUE;
	ra.type = crm_meta_type_value(self->type);
	ra.id = self->id;
	ra.owner.data = (uint8_t *)c->owner;
	ra.owner.len = strlen(c->owner);
	if (c->team[0] != '\0') {
		ra.has_team = TRUE;
		ra.team.data = (uint8_t *)c->team;
		ra.team.len = strlen(c->team);
	}
	ra.has_with_contacts = ra.with_contacts = c->contacts;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_REASSIGN;
	req.record_reassign = &ra;
	send_change(self, &req, c);
}

/* As the response's button does: the response, then the dialog closes
 * (adw_message_dialog_response alone leaves it open). */
static gboolean respond_reassign(gpointer dialog) {
	adw_message_dialog_response(ADW_MESSAGE_DIALOG(dialog), "reassign");
	gtk_window_close(GTK_WINDOW(dialog));
	return G_SOURCE_REMOVE;
}

/* Enter in an entry: the response from an idle, so that the dialog does
 * not close (and free the entry) inside the entry's own handler. */
static void reassign_entry_activated(GtkEntry *entry, AdwMessageDialog *d) {
	if (adw_message_dialog_get_response_enabled(d, "reassign"))
		g_idle_add_full(G_PRIORITY_DEFAULT, respond_reassign, g_object_ref(d),
				g_object_unref);
}

static void owner_changed(GtkEditable *owner, AdwMessageDialog *d) {
	g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(owner)));

	adw_message_dialog_set_response_enabled(d, "reassign", text[0] != '\0');
}

static GtkWidget *labelled_entry(GtkWidget *box, const char *label, const char *value) {
	GtkWidget *l = gtk_label_new_with_mnemonic(label), *e = gtk_entry_new();

	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
	gtk_editable_set_text(GTK_EDITABLE(e), value ? value : "");
	gtk_accessible_update_relation(GTK_ACCESSIBLE(e), GTK_ACCESSIBLE_RELATION_LABELLED_BY, l,
				       NULL, -1);
	gtk_box_append(GTK_BOX(box), l);
	gtk_box_append(GTK_BOX(box), e);
	return e;
}

static GtkWidget *reassign_form(CrmRecordActions *self, AdwMessageDialog *d, const char *owner,
				const char *team, gboolean contacts) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *o = labelled_entry(box, _("New _owner (user name)"), owner);
	GtkWidget *t = labelled_entry(box, _("_Team (empty: the new owner's)"), team);
	GtkWidget *c = gtk_check_button_new_with_mnemonic(_("Also move the _contacts whose "
							    "primary account it is"));

	gtk_accessible_update_property(GTK_ACCESSIBLE(o), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("New owner"), -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(t), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Team"),
				       -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(c), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Also move its contacts"), -1);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(c), contacts);
	gtk_widget_set_visible(c, self->with_contacts);
	gtk_box_append(GTK_BOX(box), c);
	g_object_set_data(G_OBJECT(d), "crm-owner", o);
	g_object_set_data(G_OBJECT(d), "crm-team", t);
	g_object_set_data(G_OBJECT(d), "crm-contacts", c);
	g_signal_connect(o, "changed", G_CALLBACK(owner_changed), d);
	g_signal_connect(o, "activate", G_CALLBACK(reassign_entry_activated), d);
	g_signal_connect(t, "activate", G_CALLBACK(reassign_entry_activated), d);
	return box;
}

/* The reassign dialog, with the values typed before and what went wrong
 * (problem) when asked again after a failure. */
static void open_reassign(CrmRecordActions *self, const char *owner, const char *team,
			  gboolean contacts, const char *problem) {
	g_autofree char *heading = g_strdup_printf(_("Reassign “%s”"), self->name);
	g_autofree char *body = problem ? g_strdup(problem)
				: self->owner ? g_strdup_printf(_("It belongs to %s now."), self->owner)
					      : NULL;
	GtkWidget *d = adw_message_dialog_new(window_of(self), heading, body);
	GtkWidget *form = reassign_form(self, ADW_MESSAGE_DIALOG(d), owner, team, contacts);
	GtkWidget *o = g_object_get_data(G_OBJECT(d), "crm-owner");

	adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(d), form);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", _("_Cancel"), "reassign",
					 _("_Reassign"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "reassign",
						   ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "reassign");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
	owner_changed(GTK_EDITABLE(o), ADW_MESSAGE_DIALOG(d));
	g_signal_connect_data(d, "response", G_CALLBACK(reassign_response), g_object_ref(self),
			      unref_closure, 0);
	complete_users(self, o, self->cancel);
	gtk_window_present(GTK_WINDOW(d));
	gtk_widget_grab_focus(o);
}

static void reassign_activated(GSimpleAction *a, GVariant *p, gpointer data) {
	open_reassign(data, NULL, NULL, FALSE, NULL);
}

/* ---------------------------------------------------------------- sharing */

typedef struct {
	CrmRecordActions *self; /* a reference */
	GCancellable *cancel;   /* cancelled when the dialog goes */
	GtkWidget *list, *kind, *name, *access, *add, *error;
	gboolean changed;       /* a share was added or removed */
	gboolean adding;        /* the call out adds the name typed */
} Share;

static void share_free(Share *s) {
	g_object_unref(s->self);
	g_object_unref(s->cancel);
	g_free(s);
}

static void share_send(AdwMessageDialog *d, const char *user, const char *team,
		       Crm__Access access, gboolean revoke);

static void remove_clicked(GtkButton *b, AdwMessageDialog *d) {
	share_send(d, g_object_get_data(G_OBJECT(b), "crm-user"),
		   g_object_get_data(G_OBJECT(b), "crm-team"), CRM__ACCESS__ACCESS_READ, TRUE);
}

static GtkWidget *share_row(AdwMessageDialog *d, const Crm__Share *sh) {
	gboolean edit = sh->access == CRM__ACCESS__ACCESS_EDIT;
	const char *how = edit ? _("Can read and edit") : _("Can read");
	g_autofree char *title = sh->user ? g_strdup(sh->user) : g_strdup_printf(_("Team %s"), sh->team);
	g_autofree char *sub = sh->shared_by ? g_strdup_printf(_("%s, shared by %s"), how, sh->shared_by)
					     : g_strdup(how);
	g_autofree char *drop = g_strdup_printf(_("Remove the share of %s"), title);
	GtkWidget *row = adw_action_row_new(), *b = gtk_button_new_from_icon_name("list-remove-symbolic");

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(b, "flat");
	gtk_widget_set_tooltip_text(b, drop);
	gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, drop, -1);
	g_object_set_data_full(G_OBJECT(b), "crm-user", g_strdup(sh->user), g_free);
	g_object_set_data_full(G_OBJECT(b), "crm-team", g_strdup(sh->team), g_free);
	g_signal_connect(b, "clicked", G_CALLBACK(remove_clicked), d);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), b);
	return row;
}

static void shares_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(AdwMessageDialog) d = data;
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, &error);
	GtkListBoxRow *row;
	gboolean added;

	if (g_cancellable_is_cancelled(s->cancel))
		goto out;
	gtk_widget_set_sensitive(s->add, s->self->may_update);
	added = s->adding;
	s->adding = FALSE;
	if (f == NULL || f->response->body_case != CRM__RESPONSE__BODY_SHARE_LIST) {
		g_autofree char *text = describe(error);

		gtk_label_set_text(GTK_LABEL(s->error), text);
		gtk_widget_set_visible(s->error, TRUE);
		goto out;
	}
	gtk_widget_set_visible(s->error, FALSE);
	if (added) /* else what was typed stays, to be corrected */
		gtk_editable_set_text(GTK_EDITABLE(s->name), "");
	while ((row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(s->list), 0)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(s->list), GTK_WIDGET(row));
	for (size_t i = 0; i < f->response->share_list->n_shares; i++)
		gtk_list_box_append(GTK_LIST_BOX(s->list),
				    share_row(d, f->response->share_list->shares[i]));
out:
	crm_client_reply_free(f);
}

/* Sends ShareList (user and team NULL) or RecordShare; the reply is the
 * record's shares either way. */
static void share_call(AdwMessageDialog *d, Crm__ClientFrame *req) {
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");

	if (g_cancellable_is_cancelled(s->self->cancel))
		return; /* the page went (and its connection with it) */
	gtk_widget_set_sensitive(s->add, FALSE);
	crm_conn_call(s->self->conn, req, s->cancel, shares_loaded, g_object_ref(d));
}

static void share_list(AdwMessageDialog *d) {
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__ShareList sl = CRM__SHARE_LIST__INIT;

	sl.has_type = sl.has_id = TRUE;
	sl.type = crm_meta_type_value(s->self->type);
	sl.id = s->self->id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SHARE_LIST;
	req.share_list = &sl;
	share_call(d, &req);
}

static void share_send(AdwMessageDialog *d, const char *user, const char *team,
		       Crm__Access access, gboolean revoke) {
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordShare rs = CRM__RECORD_SHARE__INIT;

	rs.has_type = rs.has_id = TRUE;
	rs.type = crm_meta_type_value(s->self->type);
	rs.id = s->self->id;
	rs.has_user = user != NULL;
	rs.user.data = (uint8_t *)user;
	rs.user.len = user ? strlen(user) : 0;
	rs.has_team = team != NULL;
	rs.team.data = (uint8_t *)team;
	rs.team.len = team ? strlen(team) : 0;
	rs.has_access = !revoke;
	rs.access = access;
	rs.has_revoke = rs.revoke = revoke;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_SHARE;
	req.record_share = &rs;
	s->changed = TRUE;
	s->adding = FALSE;
	share_call(d, &req);
}

static void add_clicked(AdwMessageDialog *d) {
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");
	g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(s->name))));
	gboolean team = gtk_drop_down_get_selected(GTK_DROP_DOWN(s->kind)) == 1;
	gboolean edit = gtk_drop_down_get_selected(GTK_DROP_DOWN(s->access)) == 1;

	if (name[0] == '\0' || !gtk_widget_get_sensitive(s->add))
		return;
	share_send(d, team ? NULL : name, team ? name : NULL,
		   edit ? CRM__ACCESS__ACCESS_EDIT : CRM__ACCESS__ACCESS_READ, FALSE);
	s->adding = TRUE;
}

static GtkWidget *drop_down(const char *const *items, const char *label) {
	GtkWidget *dd = gtk_drop_down_new_from_strings(items);

	gtk_accessible_update_property(GTK_ACCESSIBLE(dd), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
	return dd;
}

static GtkWidget *share_add_row(AdwMessageDialog *d, Share *s) {
	const char *kinds[] = {_("User"), _("Team"), NULL};
	const char *levels[] = {_("Can read"), _("Can read and edit"), NULL};
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

	s->kind = drop_down(kinds, _("Share with a user or a team"));
	s->access = drop_down(levels, _("Access"));
	s->name = gtk_entry_new();
	gtk_widget_set_hexpand(s->name, TRUE);
	gtk_entry_set_placeholder_text(GTK_ENTRY(s->name), _("Name"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(s->name), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("User or team to share with"), -1);
	s->add = gtk_button_new_with_mnemonic(_("_Add"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(s->add), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Add the share"), -1);
	gtk_widget_set_sensitive(s->add, FALSE);
	g_signal_connect_swapped(s->add, "clicked", G_CALLBACK(add_clicked), d);
	g_signal_connect_swapped(s->name, "activate", G_CALLBACK(add_clicked), d);
	gtk_box_append(GTK_BOX(box), s->kind);
	gtk_box_append(GTK_BOX(box), s->name);
	gtk_box_append(GTK_BOX(box), s->access);
	gtk_box_append(GTK_BOX(box), s->add);
	return box;
}

static GtkWidget *share_form(AdwMessageDialog *d, Share *s) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *none = gtk_label_new(_("Not shared with anyone."));

	s->list = gtk_list_box_new();
	gtk_widget_add_css_class(s->list, "boxed-list");
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(s->list), GTK_SELECTION_NONE);
	gtk_widget_add_css_class(none, "dim-label");
	gtk_widget_set_margin_top(none, 12);
	gtk_widget_set_margin_bottom(none, 12);
	gtk_list_box_set_placeholder(GTK_LIST_BOX(s->list), none);
	gtk_accessible_update_property(GTK_ACCESSIBLE(s->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Shares"), -1);
	s->error = gtk_label_new(NULL);
	gtk_label_set_wrap(GTK_LABEL(s->error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(s->error), 0);
	gtk_widget_add_css_class(s->error, "error");
	gtk_widget_set_visible(s->error, FALSE);
	gtk_box_append(GTK_BOX(box), s->list);
	gtk_box_append(GTK_BOX(box), share_add_row(d, s));
	gtk_box_append(GTK_BOX(box), s->error);
	return box;
}

static void share_closed(AdwMessageDialog *d, const char *response, CrmRecordActions *self) {
	Share *s = g_object_get_data(G_OBJECT(d), "crm-share");

	g_cancellable_cancel(s->cancel);
	/* the history shows the change: the page again */
	if (s->changed && !g_cancellable_is_cancelled(self->cancel))
		g_signal_emit_by_name(self->page, "record-changed");
}

static void share_activated(GSimpleAction *a, GVariant *p, gpointer data) {
	CrmRecordActions *self = data;
	g_autofree char *heading = g_strdup_printf(_("Share “%s”"), self->name);
	GtkWidget *d = adw_message_dialog_new(window_of(self), heading,
					      _("These users and teams may read it, or read and "
						"edit it, beyond what their roles allow."));
	Share *s = g_new0(Share, 1);

	s->self = g_object_ref(self);
	s->cancel = g_cancellable_new();
	g_object_set_data_full(G_OBJECT(d), "crm-share", s, (GDestroyNotify)share_free);
	adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(d), share_form(ADW_MESSAGE_DIALOG(d), s));
	adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(d), "close", _("_Close"));
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "close");
	g_signal_connect_data(d, "response", G_CALLBACK(share_closed), g_object_ref(self),
			      unref_closure, 0);
	g_signal_connect_swapped(d, "destroy", G_CALLBACK(g_cancellable_cancel), s->cancel);
	complete_users(self, s->name, s->cancel);
	share_list(ADW_MESSAGE_DIALOG(d));
	gtk_window_present(GTK_WINDOW(d));
	gtk_widget_grab_focus(s->name);
}

/* ---------------------------------------------------------------- building */

static GtkWidget *action_button(const char *mnemonic, const char *label, const char *tooltip,
				const char *action) {
	GtkWidget *b = gtk_button_new_with_mnemonic(mnemonic);

	gtk_widget_set_tooltip_text(b, tooltip);
	gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
	gtk_actionable_set_action_name(GTK_ACTIONABLE(b), action);
	return b;
}

static void build_buttons(CrmRecordActions *self) {
	self->buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_append(GTK_BOX(self->buttons),
		       action_button(_("_Share…"), _("Share"), _("Share (Ctrl+Shift+S)"), "rec.share"));
	gtk_box_append(GTK_BOX(self->buttons),
		       action_button(_("Reassi_gn…"), _("Reassign"),
				     _("Give it to another owner (Ctrl+Shift+O)"), "rec.reassign"));
	gtk_box_append(GTK_BOX(self->buttons),
		       action_button(_("_Delete"), _("Delete"), _("Delete (Delete)"), "rec.delete"));
	g_object_ref_sink(self->buttons);
}

static void build_status(CrmRecordActions *self) {
	GtkWidget *label = self->deleted_label = gtk_label_new(NULL);
	GtkWidget *restore = action_button(_("_Restore"), _("Restore"), _("Restore (Ctrl+Z)"),
					   "rec.restore");

	self->status = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	self->deleted_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_widget_add_css_class(self->deleted_box, "card");
	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_widget_set_hexpand(label, TRUE);
	gtk_widget_set_margin_start(label, 12);
	gtk_widget_add_css_class(restore, "suggested-action");
	gtk_widget_set_margin_top(restore, 6);
	gtk_widget_set_margin_bottom(restore, 6);
	gtk_widget_set_margin_end(restore, 6);
	gtk_box_append(GTK_BOX(self->deleted_box), label);
	gtk_box_append(GTK_BOX(self->deleted_box), restore);
	self->error = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->error, "error");
	gtk_label_set_wrap(GTK_LABEL(self->error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->error), 0);
	gtk_box_append(GTK_BOX(self->status), self->deleted_box);
	gtk_box_append(GTK_BOX(self->status), self->error);
	g_object_ref_sink(self->status);
}

static void add_shortcuts(CrmRecordActions *self) {
	static const struct {
		guint key;
		GdkModifierType mods;
		const char *action;
	} keys[] = {
		{GDK_KEY_Delete, 0, "rec.delete"},
		{GDK_KEY_KP_Delete, 0, "rec.delete"},
		{GDK_KEY_z, GDK_CONTROL_MASK, "rec.restore"},
		{GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "rec.reassign"},
		{GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "rec.share"},
	};
	GtkEventController *sc = gtk_shortcut_controller_new();

	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		gtk_shortcut_controller_add_shortcut(
			GTK_SHORTCUT_CONTROLLER(sc),
			gtk_shortcut_new(gtk_keyval_trigger_new(keys[i].key, keys[i].mods),
					 gtk_named_action_new(keys[i].action)));
	gtk_widget_add_controller(self->page, sc);
}

static void crm_record_actions_dispose(GObject *object) {
	CrmRecordActions *self = CRM_RECORD_ACTIONS(object);

	/* kept until finalize: an open dialog's response still asks it */
	g_cancellable_cancel(self->cancel);
	g_clear_object(&self->buttons);
	g_clear_object(&self->status);
	g_clear_object(&self->group);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_record_actions_parent_class)->dispose(object);
}

static void crm_record_actions_finalize(GObject *object) {
	CrmRecordActions *self = CRM_RECORD_ACTIONS(object);

	g_object_unref(self->cancel);
	g_free(self->type);
	g_free(self->name);
	g_free(self->owner);
	G_OBJECT_CLASS(crm_record_actions_parent_class)->finalize(object);
}

static void crm_record_actions_class_init(CrmRecordActionsClass *klass) {
	G_OBJECT_CLASS(klass)->dispose = crm_record_actions_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_record_actions_finalize;
}

static void crm_record_actions_init(CrmRecordActions *self) {
	self->cancel = g_cancellable_new();
	self->may_delete = self->may_reassign = self->may_update = TRUE;
}

CrmRecordActions *crm_record_actions_new(CrmConn *conn, const char *type, gint64 id,
					 GtkWidget *page) {
	static const GActionEntry entries[] = {
		{.name = "delete", .activate = delete_activated},
		{.name = "restore", .activate = restore_activated},
		{.name = "reassign", .activate = reassign_activated},
		{.name = "share", .activate = share_activated},
	};
	CrmRecordActions *self = g_object_new(CRM_TYPE_RECORD_ACTIONS, NULL);
	g_autofree char *num = g_strdup_printf("%" G_GINT64_FORMAT, id);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	self->page = page;
	/* TRANSLATORS: a record without a name yet, by its id */
	self->name = g_strdup_printf(_("Record %s"), num);
	self->group = g_simple_action_group_new();
	g_action_map_add_action_entries(G_ACTION_MAP(self->group), entries, G_N_ELEMENTS(entries),
					self);
	gtk_widget_insert_action_group(page, "rec", G_ACTION_GROUP(self->group));
	build_buttons(self);
	build_status(self);
	add_shortcuts(self);
	update_state(self);
	crm_meta_types_async(crm_meta_get(conn), self->cancel, types_loaded, g_object_ref(self));
	return self;
}

GtkWidget *crm_record_actions_get_buttons(CrmRecordActions *self) { return self->buttons; }

GtkWidget *crm_record_actions_get_status(CrmRecordActions *self) { return self->status; }

void crm_record_actions_set_record(CrmRecordActions *self, const ProtobufCMessage *rec,
				   const char *name) {
	int64_t deleted_at = 0;
	crm_sbuf b = {0};

	crm_sbuf_puts(&b, "");
	g_free(self->owner);
	self->owner = crm_recval_text(&b, rec, self->type, "owner", NULL) ? g_strdup(b.p) : NULL;
	crm_sbuf_fini(&b);
	if (name != NULL) {
		g_free(self->name);
		self->name = g_strdup(name);
	}
	self->deleted = crm_recval_int(rec, self->type, "deleted_at", &deleted_at) && deleted_at != 0;
	self->loaded = TRUE;
	update_state(self);
}
