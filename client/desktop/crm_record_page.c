/*
 * CrmRecordPage: one record, its relationships and its history; see
 * crm_record_page.h.
 *
 * Four requests go out when the page is made (the type's fields through
 * CrmMeta, RecordGet, RelationList, AuditList); each part is filled in as
 * its answer comes, in any order (the fields part waits for both the
 * record and the field list). Made in code: its rows are one per field.
 *
 * A pushed change of the record (CrmConn's "record-event" of its type and
 * id, with another version than the one shown) or a resync asks the same
 * again (reload): each part is replaced by a new group when its answer
 * comes, so the old one stays in view until then and the scroll position
 * is kept. Watch / Stop Watching (WatchAdd, WatchRemove) in the header;
 * whether the record is watched comes from WatchList.
 *
 * Its attachments (CrmAttachments; files dropped anywhere on the page are
 * attached) and its timeline (CrmTimeline) are widgets of their own that
 * ask for themselves; a reload asks them again too.
 */
#include "crm_record_page.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_attachments.h"
#include "crm_display.h"
#include "crm_meta.h"
#include "crm_paged_model.h"
#include "crm_record_actions.h"
#include "crm_timeline.h"
#include "crmclient.h"
#include "recval.h"

#define HISTORY_PAGE 50

struct _CrmRecordPage {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type;
	gint64 id;
	GCancellable *cancel;
	const Crm__FieldListReply *fields; /* CrmMeta's */
	CrmRow *record;                    /* the RecordGet reply */
	CrmRecordActions *actions;         /* delete, restore, reassign, share */

	GtkWidget *box, *title, *spinner, *error, *inner, *watch;
	GtkWidget *fields_group, *relations_group, *history_group;
	GtkWidget *attachments, *timeline; /* CrmAttachments, CrmTimeline */
	guint waiting; /* answers still to come */
	int watched;   /* -1: not known yet */
};

G_DEFINE_FINAL_TYPE(CrmRecordPage, crm_record_page, GTK_TYPE_WIDGET)

enum { SIG_CLOSE, SIG_OPEN_RECORD, SIG_EDIT, SIG_RECORD_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static GtkWidget *value_row(const char *title, const char *value) {
	GtkWidget *row = adw_action_row_new();

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), value);
	adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 0);
	gtk_widget_add_css_class(row, "property");
	return row;
}

static GtkWidget *group(const char *title);

/* A new, empty group in place of *slot (the old one goes). */
static GtkWidget *fresh_group(CrmRecordPage *self, GtkWidget **slot) {
	GtkWidget *g = group(adw_preferences_group_get_title(ADW_PREFERENCES_GROUP(*slot)));

	gtk_box_insert_child_after(GTK_BOX(self->inner), g, *slot);
	gtk_box_remove(GTK_BOX(self->inner), *slot);
	*slot = g;
	return g;
}

static gboolean cancelled(CrmRecordPage *self, const GError *error) {
	return g_cancellable_is_cancelled(self->cancel) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void show_error(CrmRecordPage *self, const GError *error) {
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	gtk_label_set_text(GTK_LABEL(self->error), error->message);
	gtk_widget_set_visible(self->error, TRUE);
}

static void one_done(CrmRecordPage *self) {
	if (self->waiting > 0 && --self->waiting == 0)
		gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), FALSE);
}

/* ---------------------------------------------------------------- fields */

static void fill_fields(CrmRecordPage *self) {
	const ProtobufCMessage *rec = crm_row_get_inner(self->record);
	g_autofree char *title = NULL;
	crm_sbuf b = {0};

	fresh_group(self, &self->fields_group);
	gtk_widget_set_visible(self->error, FALSE);
	for (size_t i = 0; i < self->fields->n_fields; i++) {
		const Crm__FieldDef *f = self->fields->fields[i];
		g_autofree char *name = crm_meta_field_name(f);
		g_autofree char *label = crm_meta_field_label(f);

		crm_sbuf_fini(&b);
		crm_sbuf_puts(&b, "");
		if (!crm_display_value(&b, rec, self->type, name, self->fields))
			crm_sbuf_puts(&b, "—");
		/* the first text people write (not the id): the record's name */
		if (title == NULL && f->kind == CRM__FIELD_KIND__FIELD_KIND_TEXT && !f->read_only &&
		    !f->multi_line && b.len > 0 && strcmp(b.p, "—") != 0)
			title = g_strdup(b.p);
		adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->fields_group),
					  value_row(label, b.p));
	}
	crm_sbuf_fini(&b);
	if (title != NULL)
		gtk_label_set_text(GTK_LABEL(self->title), title);
	crm_record_actions_set_record(self->actions, rec, title);
}

static void maybe_fill_fields(CrmRecordPage *self) {
	if (self->fields != NULL && self->record != NULL)
		fill_fields(self);
}

static void fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	g_autoptr(GError) error = NULL;
	const Crm__FieldListReply *fields = crm_meta_fields_finish(CRM_META(src), res, &error);

	if (cancelled(self, error))
		return;
	one_done(self);
	if (fields == NULL) {
		show_error(self, error);
		return;
	}
	self->fields = fields;
	maybe_fill_fields(self);
}

static void record_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_RECORD, &error);

	if (cancelled(self, error)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return;
	}
	one_done(self);
	if (f == NULL) {
		show_error(self, error);
		return;
	}
	g_clear_object(&self->record);
	self->record = crm_row_new_for_reply(f, f->response->record);
	maybe_fill_fields(self);
}

/* ---------------------------------------------------------------- relationships */

static void relation_activated(AdwActionRow *row, CrmRecordPage *self) {
	const char *type = g_object_get_data(G_OBJECT(row), "crm-type");
	gint64 *id = g_object_get_data(G_OBJECT(row), "crm-id");

	g_signal_emit(self, signals[SIG_OPEN_RECORD], 0, type, *id);
}

static GtkWidget *relation_row(CrmRecordPage *self, const Crm__Relation *r) {
	gboolean from_me = r->from_id == self->id;
	const char *name = from_me ? r->to_name : r->from_name;
	Crm__RecordType t = from_me ? r->to_type : r->from_type;
	gint64 other = from_me ? r->to_id : r->from_id;
	g_autofree char *role = g_strndup((const char *)r->role.data, r->role.len);
	g_autofree char *title = name && name[0] ? g_strdup(name) : g_strdup_printf("#%" G_GINT64_FORMAT, other);
	g_autofree char *sub = NULL;
	GtkWidget *row = adw_action_row_new();
	gint64 *idp = g_new(gint64, 1);

	sub = r->primary ? g_strdup_printf(_("%s (primary), %s"), role, crm_meta_type_name(t))
			 : g_strdup_printf(_("%s, %s"), role, crm_meta_type_name(t));
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
	adw_action_row_add_suffix(ADW_ACTION_ROW(row), gtk_image_new_from_icon_name("go-next-symbolic"));
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
	*idp = other;
	g_object_set_data(G_OBJECT(row), "crm-type", (gpointer)crm_meta_type_name(t));
	g_object_set_data_full(G_OBJECT(row), "crm-id", idp, g_free);
	g_signal_connect(row, "activated", G_CALLBACK(relation_activated), self);
	return row;
}

/* The reply for a part of the page (relationships, history), or NULL:
 * the page closed meanwhile, or the request failed (its message then is
 * the part's description). */
static Crm__ServerFrame *part_answer(CrmRecordPage *self, GAsyncResult *res,
				     Crm__Response__BodyCase want, GtkWidget *group) {
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish_body(self->conn, res, want, &error);

	if (cancelled(self, error)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return NULL;
	}
	one_done(self);
	if (f == NULL)
		adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), error->message);
	return f;
}

static void relations_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	/* (a type without relationships answers with an error: the part stays empty) */
	Crm__ServerFrame *f =
		part_answer(self, res, CRM__RESPONSE__BODY_RELATION_LIST, self->relations_group);
	const Crm__RelationListReply *rl;

	if (f == NULL)
		return;
	fresh_group(self, &self->relations_group);
	rl = f->response->relation_list;
	for (size_t i = 0; i < rl->n_relations; i++)
		adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->relations_group),
					  relation_row(self, rl->relations[i]));
	if (rl->n_relations == 0)
		adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->relations_group),
						      _("No relationships."));
	crm_client_reply_free(f);
}

/* ---------------------------------------------------------------- history */

static GtkWidget *history_row(const Crm__AuditEntry *e) {
	g_autofree char *when = crm_display_instant(e->at);
	g_autofree char *title = g_strdup_printf(_("%s by %s"), e->action ? e->action : "?",
						 e->username ? e->username : _("the system"));
	const char *shown = e->new_shown ? e->new_shown : e->new_values;
	g_autofree char *sub = shown && shown[0] && strcmp(shown, "{}") != 0
				       ? g_strdup_printf("%s\n%s", when, shown)
				       : g_strdup(when);

	return value_row(title, sub);
}

static void history_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	Crm__ServerFrame *f =
		part_answer(self, res, CRM__RESPONSE__BODY_AUDIT_LIST, self->history_group);
	const Crm__AuditListReply *al;

	if (f == NULL)
		return;
	fresh_group(self, &self->history_group);
	al = f->response->audit_list;
	for (size_t i = 0; i < al->n_entries; i++)
		adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->history_group),
					  history_row(al->entries[i]));
	crm_client_reply_free(f);
}

/* ---------------------------------------------------------------- watching */

static void show_watched(CrmRecordPage *self, gboolean watched) {
	const char *label = watched ? _("Stop _Watching") : _("_Watch");

	self->watched = watched;
	gtk_button_set_label(GTK_BUTTON(self->watch), label);
	gtk_widget_set_tooltip_text(self->watch,
				    watched ? _("Stop being told when others change this record")
					    : _("Be told when others change this record"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->watch), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       watched ? _("Stop watching") : _("Watch"), -1);
	gtk_widget_set_sensitive(self->watch, TRUE);
}

static void watches_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_WATCH_LIST, &error);
	const Crm__WatchListReply *wl;
	gboolean watched = FALSE;

	if (cancelled(self, error)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return;
	}
	one_done(self);
	if (f == NULL)
		return; /* the button stays insensitive */
	wl = f->response->watch_list;
	for (size_t i = 0; i < wl->n_watches; i++)
		if (wl->watches[i]->id == self->id &&
		    wl->watches[i]->type == crm_meta_type_value(self->type))
			watched = TRUE;
	show_watched(self, watched);
	crm_client_reply_free(f);
}

static void watch_changed(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordPage) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(self->conn, res, &error);

	if (cancelled(self, error)) {
		crm_client_reply_free(f);
		return;
	}
	one_done(self);
	if (f == NULL) {
		show_error(self, error);
		gtk_widget_set_sensitive(self->watch, TRUE);
		return;
	}
	crm_client_reply_free(f);
	show_watched(self, !self->watched);
}

/* Watch / Stop Watching: WatchAdd or WatchRemove. */
static void watch_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmRecordPage *self = CRM_RECORD_PAGE(widget);
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__WatchAdd add = CRM__WATCH_ADD__INIT;
	Crm__WatchRemove rm = CRM__WATCH_REMOVE__INIT;

	if (self->watched < 0)
		return;
	add.has_type = add.has_id = rm.has_type = rm.has_id = TRUE;
	add.type = rm.type = crm_meta_type_value(self->type);
	add.id = rm.id = self->id;
	if (self->watched) {
		req.request_case = CRM__CLIENT_FRAME__REQUEST_WATCH_REMOVE;
		req.watch_remove = &rm;
	} else {
		req.request_case = CRM__CLIENT_FRAME__REQUEST_WATCH_ADD;
		req.watch_add = &add;
	}
	gtk_widget_set_sensitive(self->watch, FALSE);
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), TRUE);
	self->waiting++;
	crm_conn_call(self->conn, &req, self->cancel, watch_changed, g_object_ref(self));
}

/* ---------------------------------------------------------------- requests */

static void ask(CrmRecordPage *self, Crm__ClientFrame *req, GAsyncReadyCallback cb) {
	self->waiting++;
	crm_conn_call(self->conn, req, self->cancel, cb, g_object_ref(self));
}

static void load(CrmRecordPage *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	Crm__RelationList rel = CRM__RELATION_LIST__INIT;
	Crm__AuditList audit = CRM__AUDIT_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;

	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), TRUE);
	self->waiting++;
	crm_meta_fields_async(crm_meta_get(self->conn), self->type, self->cancel, fields_loaded,
			      g_object_ref(self));
	get.has_type = get.has_id = TRUE;
	get.type = crm_meta_type_value(self->type);
	get.id = self->id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	ask(self, &req, record_loaded);
	rel.has_record_id = TRUE;
	rel.record_id = self->id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RELATION_LIST;
	req.relation_list = &rel;
	ask(self, &req, relations_loaded);
	audit.has_record_type = audit.has_record_id = TRUE;
	audit.record_type.data = (uint8_t *)self->type;
	audit.record_type.len = strlen(self->type);
	audit.record_id = self->id;
	page.has_limit = TRUE;
	page.limit = HISTORY_PAGE;
	audit.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_AUDIT_LIST;
	req.audit_list = &audit;
	ask(self, &req, history_loaded);
}

static void load_watched(CrmRecordPage *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__WatchList wl = CRM__WATCH_LIST__INIT;

	req.request_case = CRM__CLIENT_FRAME__REQUEST_WATCH_LIST;
	req.watch_list = &wl;
	ask(self, &req, watches_loaded);
}

/* Asks everything again; what is shown stays until the answers come. */
static void reload(CrmRecordPage *self) {
	g_cancellable_cancel(self->cancel);
	g_object_unref(self->cancel);
	self->cancel = g_cancellable_new();
	self->waiting = 0;
	load(self);
	crm_timeline_reload(CRM_TIMELINE(self->timeline));
	crm_attachments_reload(CRM_ATTACHMENTS(self->attachments));
}

static gint64 shown_version(CrmRecordPage *self) {
	int64_t v = 0;

	if (self->record != NULL)
		crm_recval_int(crm_row_get_inner(self->record), self->type, "version", &v);
	return v;
}

/* A pushed change of this type (detail of the signal): this record, in
 * another version than the one shown, is read again. */
static void record_event(CrmConn *conn, const char *type, gint64 id, gint64 version,
			 const char *kind, gint64 at, CrmRecordPage *self) {
	if (id != self->id || g_strcmp0(kind, "reminder") == 0)
		return;
	if (version != 0 && self->record != NULL && version == shown_version(self))
		return; /* what is shown already (the user's own save, say) */
	reload(self);
}

/* ---------------------------------------------------------------- building */

static void close_action(GtkWidget *widget, const char *name, GVariant *param) {
	g_signal_emit(widget, signals[SIG_CLOSE], 0);
}

static void edit_action(GtkWidget *widget, const char *name, GVariant *param) {
	g_signal_emit(widget, signals[SIG_EDIT], 0);
}

static GtkWidget *group(const char *title) {
	GtkWidget *g = adw_preferences_group_new();

	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g), title);
	return g;
}

static void timeline_open_record(CrmTimeline *t, const char *type, gint64 id,
				 CrmRecordPage *self) {
	g_signal_emit(self, signals[SIG_OPEN_RECORD], 0, type, id);
}

static GtkWidget *build_header(CrmRecordPage *self) {
	GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *back = gtk_button_new_from_icon_name("go-previous-symbolic"), *edit;

	gtk_widget_add_css_class(bar, "toolbar");
	gtk_widget_set_tooltip_text(back, _("Back to the list (Escape)"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(back), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Back"), -1);
	gtk_actionable_set_action_name(GTK_ACTIONABLE(back), "record.close");
	self->title = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->title, "title-2");
	gtk_label_set_ellipsize(GTK_LABEL(self->title), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(self->title, TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->title), 0);
	self->spinner = gtk_spinner_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Loading"), -1);
	edit = gtk_button_new_with_mnemonic(_("_Edit"));
	gtk_widget_set_tooltip_text(edit, _("Edit the record (Ctrl+E)"));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(edit), "record.edit");
	gtk_accessible_update_property(GTK_ACCESSIBLE(edit), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Edit"), -1);
	gtk_box_append(GTK_BOX(bar), back);
	gtk_box_append(GTK_BOX(bar), self->title);
	gtk_box_append(GTK_BOX(bar), self->spinner);
	self->watch = gtk_button_new_with_mnemonic(_("_Watch"));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(self->watch), "record.watch");
	gtk_widget_set_sensitive(self->watch, FALSE); /* until WatchList says */
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->watch), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Watch"), -1);
	gtk_box_append(GTK_BOX(bar), self->watch);
	gtk_box_append(GTK_BOX(bar), crm_record_actions_get_buttons(self->actions));
	gtk_box_append(GTK_BOX(bar), edit);
	return bar;
}

static void build(CrmRecordPage *self) {
	GtkWidget *scroll = gtk_scrolled_window_new();
	GtkWidget *clamp = adw_clamp_new(), *inner = gtk_box_new(GTK_ORIENTATION_VERTICAL, 24);

	self->inner = inner;
	g_autofree char *id_text = g_strdup_printf("%" G_GINT64_FORMAT, self->id);
	g_autofree char *title = g_strdup_printf(_("Record %s"), id_text);

	self->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_box_append(GTK_BOX(self->box), build_header(self));
	gtk_label_set_text(GTK_LABEL(self->title), title);
	self->error = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->error, "error");
	gtk_label_set_wrap(GTK_LABEL(self->error), TRUE);
	gtk_widget_set_visible(self->error, FALSE);
	self->fields_group = group(_("Fields"));
	self->relations_group = group(_("Relationships"));
	self->history_group = group(_("History"));
	self->attachments = crm_attachments_new(self->conn, self->type, self->id);
	self->timeline = crm_timeline_new(self->conn, self->type, self->id);
	/* files dropped anywhere on the page are attached */
	crm_attachments_add_drop_target(CRM_ATTACHMENTS(self->attachments), GTK_WIDGET(self));
	g_signal_connect_swapped(self->attachments, "changed", G_CALLBACK(crm_timeline_reload),
				 self->timeline);
	g_signal_connect(self->timeline, "open-record", G_CALLBACK(timeline_open_record), self);
	gtk_widget_set_margin_top(inner, 12);
	gtk_widget_set_margin_bottom(inner, 24);
	gtk_box_append(GTK_BOX(inner), crm_record_actions_get_status(self->actions));
	gtk_box_append(GTK_BOX(inner), self->error);
	gtk_box_append(GTK_BOX(inner), self->fields_group);
	gtk_box_append(GTK_BOX(inner), self->attachments);
	gtk_box_append(GTK_BOX(inner), self->timeline);
	gtk_box_append(GTK_BOX(inner), self->relations_group);
	gtk_box_append(GTK_BOX(inner), self->history_group);
	adw_clamp_set_child(ADW_CLAMP(clamp), inner);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), clamp);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(self->box), scroll);
	gtk_widget_set_parent(self->box, GTK_WIDGET(self));
}

static void crm_record_page_dispose(GObject *object) {
	CrmRecordPage *self = CRM_RECORD_PAGE(object);

	g_cancellable_cancel(self->cancel);
	if (self->conn != NULL)
		g_signal_handlers_disconnect_by_data(self->conn, self);
	g_clear_pointer(&self->box, gtk_widget_unparent);
	g_clear_object(&self->actions);
	g_clear_object(&self->record);
	g_clear_object(&self->cancel);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_record_page_parent_class)->dispose(object);
}

static void crm_record_page_finalize(GObject *object) {
	g_free(CRM_RECORD_PAGE(object)->type);
	G_OBJECT_CLASS(crm_record_page_parent_class)->finalize(object);
}

static void crm_record_page_class_init(CrmRecordPageClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_record_page_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_record_page_finalize;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "record.close", NULL, close_action);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "record.close", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_Left, GDK_ALT_MASK, "record.close", NULL);
	gtk_widget_class_install_action(wc, "record.edit", NULL, edit_action);
	gtk_widget_class_install_action(wc, "record.watch", NULL, watch_action);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_e, GDK_CONTROL_MASK, "record.edit", NULL);
	signals[SIG_CLOSE] = g_signal_new("close", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIG_OPEN_RECORD] = g_signal_new("open-record", G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
	signals[SIG_EDIT] = g_signal_new("edit", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					 NULL, NULL, NULL, G_TYPE_NONE, 0);
	signals[SIG_RECORD_CHANGED] = g_signal_new("record-changed", G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						   G_TYPE_NONE, 0);
}

static void crm_record_page_init(CrmRecordPage *self) {
	self->cancel = g_cancellable_new();
	self->watched = -1;
}

GtkWidget *crm_record_page_new(CrmConn *conn, const char *type, gint64 id) {
	CrmRecordPage *self = g_object_new(CRM_TYPE_RECORD_PAGE, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	self->actions = crm_record_actions_new(conn, type, id, GTK_WIDGET(self));
	build(self);
	load(self);
	load_watched(self);
	{
		g_autofree char *signal = g_strdup_printf("record-event::%s", type);

		g_signal_connect(conn, signal, G_CALLBACK(record_event), self);
		g_signal_connect_swapped(conn, "resync", G_CALLBACK(reload), self);
	}
	return GTK_WIDGET(self);
}

gint64 crm_record_page_get_id(CrmRecordPage *self) { return self->id; }

const char *crm_record_page_get_type_name(CrmRecordPage *self) { return self->type; }
