/*
 * CrmRecordSection: see crm_record_section.h. The type's field list
 * (CrmMeta) and the query's answer are both needed to draw; a new group
 * replaces the old one when they are in, so what was shown stays until
 * then.
 */
#include "crm_record_section.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_display.h"
#include "crm_meta.h"
#include "crmclient.h"
#include "recset.h"
#include "recval.h"

struct _CrmRecordSection {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type, *title, *empty;
	char **details;
	char *quick_label, *quick_a11y, *quick_path, *quick_text;
	char *sort_field;
	CrmPagedFilter *filters;
	guint n_filters, count;

	GCancellable *cancel; /* the current query's */
	const Crm__FieldListReply *fields; /* CrmMeta's */
	Crm__ServerFrame *answer;          /* the RecordList reply shown */
	GPtrArray *rows;                   /* CrmRow* of answer */
	GtkWidget *box, *group;
};

G_DEFINE_FINAL_TYPE(CrmRecordSection, crm_record_section, GTK_TYPE_WIDGET)

enum { SIG_OPEN_RECORD, SIG_QUICK_CONFLICT, SIG_QUICK_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- rows */

static gint64 row_id(CrmRecordSection *self, CrmRow *row) {
	int64_t id = 0;

	crm_recval_int(crm_row_get_inner(row), self->type, "id", &id);
	return id;
}

/* "Due: 2026-12-05 17:00 · Priority: high · Account: Acme" */
static char *subtitle(CrmRecordSection *self, const ProtobufCMessage *rec) {
	GString *s = g_string_new(NULL);

	for (guint i = 0; self->details != NULL && self->details[i] != NULL; i++) {
		const Crm__FieldDef *f = crm_meta_field(self->fields, self->details[i]);
		g_autofree char *label = f != NULL ? crm_meta_field_label(f) : NULL;
		crm_sbuf b = {0};

		crm_sbuf_puts(&b, "");
		if (label != NULL &&
		    crm_display_value(&b, rec, self->type, self->details[i], self->fields) &&
		    b.len > 0) {
			if (s->len > 0)
				g_string_append(s, " · ");
			/* TRANSLATORS: one detail in a row's subtitle: "Priority: high" */
			g_string_append_printf(s, _("%s: %s"), label, b.p);
		}
		crm_sbuf_fini(&b);
	}
	return g_string_free(s, FALSE);
}

static void row_activated(AdwActionRow *ar, CrmRecordSection *self) {
	CrmRow *row = g_object_get_data(G_OBJECT(ar), "crm-row");

	g_signal_emit(self, signals[SIG_OPEN_RECORD], 0, self->type, row_id(self, row));
}

static void quick_clicked(GtkButton *button, CrmRecordSection *self);

static GtkWidget *make_row(CrmRecordSection *self, CrmRow *row) {
	const ProtobufCMessage *rec = crm_row_get_inner(row);
	g_autofree char *name = crm_display_record_name(rec, self->type, self->fields);
	g_autofree char *sub = subtitle(self, rec);
	GtkWidget *ar = adw_action_row_new();

	if (name == NULL)
		name = g_strdup_printf("#%" G_GINT64_FORMAT, row_id(self, row));
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(ar), name);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(ar), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(ar), sub);
	g_object_set_data(G_OBJECT(ar), "crm-row", row);
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(ar), TRUE);
	g_signal_connect(ar, "activated", G_CALLBACK(row_activated), self);
	if (self->quick_label != NULL) {
		GtkWidget *b = gtk_button_new_with_mnemonic(self->quick_label);
		g_autofree char *a11y = g_strdup_printf(self->quick_a11y, name);

		gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
		gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y,
					       -1);
		gtk_widget_set_tooltip_text(b, a11y);
		g_object_set_data(G_OBJECT(b), "crm-row", row);
		g_signal_connect(b, "clicked", G_CALLBACK(quick_clicked), self);
		adw_action_row_add_suffix(ADW_ACTION_ROW(ar), b);
	}
	return ar;
}

/* A new group with the rows (or the empty text) in place of the old. */
static void draw(CrmRecordSection *self) {
	const Crm__RecordListReply *rl = self->answer->response->record_list;
	GtkWidget *g = adw_preferences_group_new();

	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g), self->title);
	g_ptr_array_unref(self->rows);
	/* the rows hold the reply now */
	self->rows = crm_rows_new_for_reply(g_steal_pointer(&self->answer), rl->records,
					    rl->n_records);
	for (guint i = 0; i < self->rows->len; i++)
		adw_preferences_group_add(ADW_PREFERENCES_GROUP(g),
					  make_row(self, g_ptr_array_index(self->rows, i)));
	self->count = self->rows->len;
	if (self->count == 0)
		adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(g), self->empty);
	gtk_box_append(GTK_BOX(self->box), g);
	if (self->group != NULL)
		gtk_box_remove(GTK_BOX(self->box), self->group);
	self->group = g;
}

static void show_error(CrmRecordSection *self, const GError *error) {
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->group == NULL)
		return;
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group), error->message);
}

/* ---------------------------------------------------------------- the query */

static void maybe_draw(CrmRecordSection *self) {
	if (self->fields != NULL && self->answer != NULL)
		draw(self);
}

static void fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordSection) self = data;
	g_autoptr(GError) error = NULL;
	const Crm__FieldListReply *fields = crm_meta_fields_finish(CRM_META(src), res, &error);

	if (g_cancellable_is_cancelled(self->cancel))
		return;
	if (fields == NULL) {
		show_error(self, error);
		return;
	}
	self->fields = fields;
	maybe_draw(self);
}

static void listed(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordSection) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(CRM_CONN(src), res, CRM__RESPONSE__BODY_RECORD_LIST, &error);

	if (self->cancel == NULL || g_cancellable_is_cancelled(self->cancel) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		crm_client_reply_free(f);
		return;
	}
	if (f == NULL) {
		show_error(self, error);
		return;
	}
	crm_client_reply_free(self->answer);
	self->answer = f;
	maybe_draw(self);
}

void crm_record_section_reload(CrmRecordSection *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordList rl = CRM__RECORD_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	Crm__Sort sort = CRM__SORT__INIT, *sorts[1] = {&sort};
	g_autofree Crm__Filter *fs = g_new0(Crm__Filter, self->n_filters + 1);
	g_autofree Crm__Filter **fps = g_new0(Crm__Filter *, self->n_filters + 1);
	g_autofree ProtobufCBinaryData *vals = g_new0(ProtobufCBinaryData, self->n_filters + 1);

	if (self->cancel != NULL)
		g_cancellable_cancel(self->cancel);
	g_clear_object(&self->cancel);
	self->cancel = g_cancellable_new();
	rl.has_type = TRUE;
	rl.type = crm_meta_type_value(self->type);
	page.has_limit = TRUE;
	page.limit = CRM_RECORD_SECTION_MAX;
	rl.page = &page;
	if (self->sort_field != NULL) {
		sort.has_field = TRUE;
		sort.field.data = (uint8_t *)self->sort_field;
		sort.field.len = strlen(self->sort_field);
		rl.n_sort = 1;
		rl.sort = sorts;
	}
	for (guint i = 0; i < self->n_filters; i++) {
		crm__filter__init(&fs[i]);
		fs[i].has_field = fs[i].has_op = TRUE;
		fs[i].field.data = (uint8_t *)self->filters[i].field;
		fs[i].field.len = strlen(self->filters[i].field);
		fs[i].op = self->filters[i].op;
		if (self->filters[i].value != NULL) {
			vals[i].data = (uint8_t *)self->filters[i].value;
			vals[i].len = strlen(self->filters[i].value);
			fs[i].n_values = 1;
			fs[i].values = &vals[i];
		}
		fps[i] = &fs[i];
	}
	rl.n_filters = self->n_filters;
	rl.filters = fps;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
	req.record_list = &rl;
	crm_conn_call(self->conn, &req, self->cancel, listed, g_object_ref(self));
	if (self->fields == NULL)
		crm_meta_fields_async(crm_meta_get(self->conn), self->type, self->cancel, fields_loaded,
				      g_object_ref(self));
}

void crm_record_section_set_query(CrmRecordSection *self, const char *sort_field,
				  const CrmPagedFilter *filters, guint n_filters) {
	for (guint i = 0; i < self->n_filters; i++) {
		g_free(self->filters[i].field);
		g_free(self->filters[i].value);
	}
	g_free(self->filters);
	self->filters = g_new0(CrmPagedFilter, n_filters + 1);
	self->n_filters = n_filters;
	for (guint i = 0; i < n_filters; i++) {
		self->filters[i].field = g_strdup(filters[i].field);
		self->filters[i].op = filters[i].op;
		self->filters[i].value = g_strdup(filters[i].value);
	}
	g_free(self->sort_field);
	self->sort_field = g_strdup(sort_field);
	crm_record_section_reload(self);
}

/* ---------------------------------------------------------------- the quick action */

typedef struct {
	CrmRecordSection *self; /* a reference */
	CrmRow *row;
	GtkWidget *button;
} Quick;

static void quick_done(GObject *src, GAsyncResult *res, gpointer data) {
	Quick *q = data;
	CrmRecordSection *self = q->self;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, &error);

	if (f != NULL) {
		g_signal_emit(self, signals[SIG_QUICK_DONE], 0, row_id(self, q->row));
		crm_record_section_reload(self);
	} else if (g_error_matches(error, CRM_CONN_ERROR, CRM_CONFLICT)) {
		g_signal_emit(self, signals[SIG_QUICK_CONFLICT], 0, q->row);
	} else {
		show_error(self, error);
		gtk_widget_set_sensitive(q->button, TRUE);
	}
	crm_client_reply_free(f);
	g_object_unref(q->button);
	g_object_unref(q->row);
	g_object_unref(q->self);
	g_free(q);
}

/* The form field the quick action sets, from the type's form fields. */
static gboolean quick_field(CrmRecordSection *self, const ProtobufCMessageDescriptor *d,
			    struct crm_recset_field *out) {
	g_autofree struct crm_recset_field *fs = g_new0(struct crm_recset_field,
							  CRM_RECSET_FIELDS_MAX);
	size_t n = crm_recset_form_fields(d, self->type, self->fields, fs, CRM_RECSET_FIELDS_MAX);

	for (size_t i = 0; i < n; i++)
		if (strcmp(fs[i].path, self->quick_path) == 0) {
			*out = fs[i];
			return TRUE;
		}
	return FALSE;
}

static void quick_clicked(GtkButton *button, CrmRecordSection *self) {
	CrmRow *row = g_object_get_data(G_OBJECT(button), "crm-row");
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordUpdate up = CRM__RECORD_UPDATE__INIT;
	ProtobufCMessage *inner;
	Crm__Record *rec = crm_recset_record_new(self->type, &inner);
	struct crm_recset_field f;
	crm_sbuf err = {0};
	int64_t version = 0;
	Quick *q;

	if (rec == NULL || self->fields == NULL || !quick_field(self, inner->descriptor, &f) ||
	    !crm_recset_set(inner, &f, self->quick_text, &err)) {
		GError *e = g_error_new(CRM_CONN_ERROR, CRM_INTERNAL, "%s",
					err.p ? err.p : _("This cannot be done to this record."));

		show_error(self, e);
		g_error_free(e);
		crm_sbuf_fini(&err);
		if (rec != NULL)
			protobuf_c_message_free_unpacked(&rec->base, NULL);
		return;
	}
	crm_recval_int(crm_row_get_inner(row), self->type, "version", &version);
	up.has_id = up.has_version = TRUE;
	up.id = row_id(self, row);
	up.version = version;
	up.changes = rec;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
	req.record_update = &up;
	q = g_new0(Quick, 1);
	q->self = g_object_ref(self);
	q->row = g_object_ref(row);
	q->button = g_object_ref(GTK_WIDGET(button));
	gtk_widget_set_sensitive(GTK_WIDGET(button), FALSE);
	crm_conn_call(self->conn, &req, NULL, quick_done, q);
	protobuf_c_message_free_unpacked(&rec->base, NULL);
}

/* ---------------------------------------------------------------- GObject */

void crm_record_section_set_details(CrmRecordSection *self, const char *const *fields) {
	g_strfreev(self->details);
	self->details = g_strdupv((char **)fields);
}

void crm_record_section_set_quick(CrmRecordSection *self, const char *label,
				  const char *a11y_format, const char *path, const char *text) {
	g_free(self->quick_label);
	g_free(self->quick_a11y);
	g_free(self->quick_path);
	g_free(self->quick_text);
	self->quick_label = g_strdup(label);
	self->quick_a11y = g_strdup(a11y_format);
	self->quick_path = g_strdup(path);
	self->quick_text = g_strdup(text);
}

guint crm_record_section_get_count(CrmRecordSection *self) { return self->count; }

static void crm_record_section_dispose(GObject *object) {
	CrmRecordSection *self = CRM_RECORD_SECTION(object);

	if (self->cancel != NULL)
		g_cancellable_cancel(self->cancel);
	g_clear_object(&self->cancel);
	g_clear_pointer(&self->box, gtk_widget_unparent);
	self->group = NULL;
	g_clear_pointer(&self->rows, g_ptr_array_unref);
	g_clear_pointer(&self->answer, crm_client_reply_free);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_record_section_parent_class)->dispose(object);
}

static void crm_record_section_finalize(GObject *object) {
	CrmRecordSection *self = CRM_RECORD_SECTION(object);

	for (guint i = 0; i < self->n_filters; i++) {
		g_free(self->filters[i].field);
		g_free(self->filters[i].value);
	}
	g_free(self->filters);
	g_free(self->sort_field);
	g_free(self->type);
	g_free(self->title);
	g_free(self->empty);
	g_strfreev(self->details);
	g_free(self->quick_label);
	g_free(self->quick_a11y);
	g_free(self->quick_path);
	g_free(self->quick_text);
	G_OBJECT_CLASS(crm_record_section_parent_class)->finalize(object);
}

static void crm_record_section_class_init(CrmRecordSectionClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_record_section_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_record_section_finalize;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	signals[SIG_OPEN_RECORD] = g_signal_new("open-record", G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
	signals[SIG_QUICK_CONFLICT] = g_signal_new("quick-conflict", G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						   G_TYPE_NONE, 1, CRM_TYPE_ROW);
	signals[SIG_QUICK_DONE] = g_signal_new("quick-done", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
					       1, G_TYPE_INT64);
}

static void crm_record_section_init(CrmRecordSection *self) {
	self->rows = g_ptr_array_new_with_free_func(g_object_unref);
}

GtkWidget *crm_record_section_new(CrmConn *conn, const char *type, const char *title,
				  const char *empty) {
	CrmRecordSection *self = g_object_new(CRM_TYPE_RECORD_SECTION, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->title = g_strdup(title);
	self->empty = g_strdup(empty);
	self->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_widget_set_parent(self->box, GTK_WIDGET(self));
	self->group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self->group), title);
	gtk_box_append(GTK_BOX(self->box), self->group);
	return GTK_WIDGET(self);
}
