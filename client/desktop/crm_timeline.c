/*
 * CrmTimeline: see crm_timeline.h. An AdwPreferencesGroup whose header
 * holds the kind drop-down, a boxed GtkListBox of the items and a "Show
 * More" button under it, shown while the last reply had a next cursor.
 *
 * One request at a time: a new first page (reload, another kind) cancels
 * whatever is in flight, so a late answer of an older query never lands.
 * A first page replaces the rows when it comes; a next page appends.
 */
#include "crm_timeline.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_display.h"
#include "crm_meta.h"

struct _CrmTimeline {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type;
	gint64 id;
	GCancellable *cancel; /* the request in flight */
	GBytes *cursor;       /* the next page's, NULL at the end */
	guint count;

	GtkWidget *group, *kinds, *list, *more, *spinner;
};

G_DEFINE_FINAL_TYPE(CrmTimeline, crm_timeline, GTK_TYPE_WIDGET)

enum { SIG_OPEN_RECORD, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The drop-down's kinds, in its order: the word sent (NULL: every kind)
 * and the name people read in the list; a row's kind name. */
static const struct {
	const char *kind;
	const char *filter; /* the drop-down's entry */
	const char *one;    /* one item of the kind */
} kinds[] = {
	{NULL, N_("All Kinds"), NULL},
	{"call", N_("Calls"), N_("Call")},
	{"meeting", N_("Meetings"), N_("Meeting")},
	{"email", N_("E-mails"), N_("E-mail")},
	{"visit", N_("Visits"), N_("Visit")},
	{"message", N_("Messages"), N_("Message")},
	{"note", N_("Notes"), N_("Note")},
	{"task", N_("Tasks"), N_("Task")},
	{"change", N_("Changes"), N_("Change")},
};

static const char *kind_name(const char *kind) {
	for (gsize i = 1; kind != NULL && i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return _(kinds[i].one);
	return kind != NULL ? kind : "?";
}

/* ---------------------------------------------------------------- rows */

static void row_activated(AdwActionRow *row, CrmTimeline *self) {
	const char *type = g_object_get_data(G_OBJECT(row), "crm-type");
	gint64 *id = g_object_get_data(G_OBJECT(row), "crm-id");

	if (type != NULL && id != NULL)
		g_signal_emit(self, signals[SIG_OPEN_RECORD], 0, type, *id);
}

/* The audit trail's actions in the user's language (an unknown one as it
 * is); a task's status is an enum value, which the catalog has already. */
static const char *action_name(const char *kind, const char *action) {
	static const char *const actions[][2] = {
		{"create", NC_("audit action", "create")},     {"update", NC_("audit action", "update")},
		{"delete", NC_("audit action", "delete")},     {"restore", NC_("audit action", "restore")},
		{"reassign", NC_("audit action", "reassign")}, {"purge", NC_("audit action", "purge")},
		{"share", NC_("audit action", "share")},
	};

	if (action == NULL || action[0] == '\0')
		return "";
	if (g_strcmp0(kind, "change") != 0)
		return _(action);
	for (gsize i = 0; i < G_N_ELEMENTS(actions); i++)
		if (strcmp(actions[i][0], action) == 0)
			return g_dpgettext2(NULL, "audit action", actions[i][1]);
	return action;
}

/* What people read first: the subject ("Call back", "Call back (done)"),
 * a change's action and the fields it changed ("update: name, website"). */
static char *item_title(const Crm__TimelineItem *e) {
	const char *s = e->summary ? e->summary : "", *a = action_name(e->kind, e->action);

	if (g_strcmp0(e->kind, "change") == 0)
		return g_strdup_printf("%s%s%s", a, a[0] && s[0] ? ": " : "", s);
	if (a[0])
		/* TRANSLATORS: a task's subject and its status */
		return g_strdup_printf(_("%s (%s)"), s, a);
	return g_strdup(s[0] ? s : "—");
}

static GtkWidget *item_row(CrmTimeline *self, const Crm__TimelineItem *e) {
	g_autofree char *title = item_title(e);
	g_autofree char *when = e->has_at ? crm_display_instant(e->at) : g_strdup("—");
	g_autofree char *sub = e->who && e->who[0]
				       /* TRANSLATORS: when · kind · who, under a timeline item */
				       ? g_strdup_printf(_("%s · %s · %s"), when, kind_name(e->kind), e->who)
				       : g_strdup_printf("%s · %s", when, kind_name(e->kind));
	GtkWidget *row = adw_action_row_new();
	const char *type = crm_meta_type_name(e->record_type);

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
	/* an interaction or a task opens; a change is of this record */
	if (g_strcmp0(e->kind, "change") != 0 && type != NULL && e->has_record_id) {
		gint64 *idp = g_new(gint64, 1);

		*idp = e->record_id;
		g_object_set_data(G_OBJECT(row), "crm-type", (gpointer)type);
		g_object_set_data_full(G_OBJECT(row), "crm-id", idp, g_free);
		adw_action_row_add_suffix(ADW_ACTION_ROW(row),
					  gtk_image_new_from_icon_name("go-next-symbolic"));
		gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
		g_signal_connect(row, "activated", G_CALLBACK(row_activated), self);
	}
	return row;
}

static void clear_rows(CrmTimeline *self) {
	GtkListBoxRow *row;

	/* rows only: the placeholder is a child of the list too */
	while ((row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->list), 0)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(self->list), GTK_WIDGET(row));
	self->count = 0;
}

/* ---------------------------------------------------------------- requests */

static void page_loaded(GObject *src, GAsyncResult *res, gpointer data);

/* Asks for a page: the first (cursor NULL) or the next. */
static void ask(CrmTimeline *self, GBytes *cursor) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TimelineList tl = CRM__TIMELINE_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	ProtobufCBinaryData kind;
	guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->kinds));
	gsize len = 0;

	g_cancellable_cancel(self->cancel);
	g_clear_object(&self->cancel);
	self->cancel = g_cancellable_new();
	tl.has_type = tl.has_id = TRUE;
	tl.type = crm_meta_type_value(self->type);
	tl.id = self->id;
	if (k > 0 && k < G_N_ELEMENTS(kinds)) {
		kind.data = (uint8_t *)kinds[k].kind;
		kind.len = strlen(kinds[k].kind);
		tl.kinds = &kind;
		tl.n_kinds = 1;
	}
	page.has_limit = TRUE;
	page.limit = CRM_TIMELINE_PAGE;
	if (cursor != NULL) {
		page.has_cursor = TRUE;
		page.cursor.data = (uint8_t *)g_bytes_get_data(cursor, &len);
		page.cursor.len = len;
	}
	tl.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TIMELINE_LIST;
	req.timeline_list = &tl;
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), TRUE);
	gtk_widget_set_sensitive(self->more, FALSE);
	g_object_set_data(G_OBJECT(self->cancel), "crm-next", GINT_TO_POINTER(cursor != NULL));
	crm_conn_call(self->conn, &req, self->cancel, page_loaded, g_object_ref(self));
}

static void show_page(CrmTimeline *self, const Crm__TimelineListReply *l, gboolean next) {
	if (!next)
		clear_rows(self);
	for (size_t i = 0; i < l->n_items; i++)
		gtk_list_box_append(GTK_LIST_BOX(self->list), item_row(self, l->items[i]));
	self->count += l->n_items;
	g_clear_pointer(&self->cursor, g_bytes_unref);
	if (l->has_next_cursor && l->next_cursor.len > 0 && l->n_items > 0)
		self->cursor = g_bytes_new(l->next_cursor.data, l->next_cursor.len);
	gtk_widget_set_visible(self->more, self->cursor != NULL);
	gtk_widget_set_sensitive(self->more, TRUE);
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group), NULL);
}

static void page_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmTimeline) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_TIMELINE_LIST, &error);
	gboolean next;

	if (f == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (self->cancel == NULL || g_cancellable_is_cancelled(self->cancel)) {
		crm_client_reply_free(f); /* an older query's */
		return;
	}
	next = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(self->cancel), "crm-next"));
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), FALSE);
	gtk_widget_set_sensitive(self->more, TRUE);
	if (f == NULL) {
		adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group),
						      error->message);
		return;
	}
	show_page(self, f->response->timeline_list, next);
	crm_client_reply_free(f);
}

void crm_timeline_reload(CrmTimeline *self) { ask(self, NULL); }

static void more_clicked(GtkButton *button, CrmTimeline *self) {
	if (self->cursor != NULL)
		ask(self, self->cursor);
}

static void kind_changed(GObject *dd, GParamSpec *pspec, CrmTimeline *self) {
	crm_timeline_reload(self);
}

guint crm_timeline_get_count(CrmTimeline *self) { return self->count; }

/* ---------------------------------------------------------------- building */

static GtkWidget *build_kinds(CrmTimeline *self) {
	const char *names[G_N_ELEMENTS(kinds) + 1];
	GtkWidget *dd;

	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		names[i] = _(kinds[i].filter);
	names[G_N_ELEMENTS(kinds)] = NULL;
	dd = gtk_drop_down_new_from_strings(names);
	gtk_widget_set_valign(dd, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(dd, _("Show one kind only"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(dd), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Timeline kind"), -1);
	return dd;
}

static void build(CrmTimeline *self) {
	GtkWidget *header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *empty = gtk_label_new(_("Nothing in the timeline."));

	self->group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self->group), _("Timeline"));
	self->spinner = gtk_spinner_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Loading the timeline"), -1);
	self->kinds = build_kinds(self);
	gtk_box_append(GTK_BOX(header), self->spinner);
	gtk_box_append(GTK_BOX(header), self->kinds);
	adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self->group), header);

	self->list = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(self->list), GTK_SELECTION_NONE);
	gtk_widget_add_css_class(self->list, "boxed-list");
	gtk_widget_add_css_class(empty, "dim-label");
	gtk_widget_set_margin_top(empty, 12);
	gtk_widget_set_margin_bottom(empty, 12);
	gtk_list_box_set_placeholder(GTK_LIST_BOX(self->list), empty);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Timeline items"), -1);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->group), self->list);

	self->more = gtk_button_new_with_mnemonic(_("Show _More"));
	gtk_widget_set_halign(self->more, GTK_ALIGN_CENTER);
	gtk_widget_set_margin_top(self->more, 12);
	gtk_widget_add_css_class(self->more, "pill");
	gtk_widget_set_tooltip_text(self->more, _("The next items, older ones"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->more), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Show More"), -1);
	gtk_widget_set_visible(self->more, FALSE);
	g_signal_connect(self->more, "clicked", G_CALLBACK(more_clicked), self);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->group), self->more);
	g_signal_connect(self->kinds, "notify::selected", G_CALLBACK(kind_changed), self);
	gtk_widget_set_parent(self->group, GTK_WIDGET(self));
}

static void crm_timeline_dispose(GObject *object) {
	CrmTimeline *self = CRM_TIMELINE(object);

	if (self->cancel != NULL)
		g_cancellable_cancel(self->cancel);
	g_clear_object(&self->cancel);
	g_clear_pointer(&self->group, gtk_widget_unparent);
	g_clear_pointer(&self->cursor, g_bytes_unref);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_timeline_parent_class)->dispose(object);
}

static void crm_timeline_finalize(GObject *object) {
	g_free(CRM_TIMELINE(object)->type);
	G_OBJECT_CLASS(crm_timeline_parent_class)->finalize(object);
}

static void crm_timeline_class_init(CrmTimelineClass *klass) {
	G_OBJECT_CLASS(klass)->dispose = crm_timeline_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_timeline_finalize;
	gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
	signals[SIG_OPEN_RECORD] = g_signal_new("open-record", G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
}

static void crm_timeline_init(CrmTimeline *self) {}

GtkWidget *crm_timeline_new(CrmConn *conn, const char *type, gint64 id) {
	CrmTimeline *self = g_object_new(CRM_TYPE_TIMELINE, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	build(self);
	crm_timeline_reload(self);
	return GTK_WIDGET(self);
}
