/*
 * CrmRecordList: a record type's list page; see crm_record_list.h.
 *
 * Made in code rather than from a .ui template: its columns, filters and
 * column menu are one per field of the server's field list, known only
 * when that list comes.
 *
 * Pushed changes (CrmConn's "record-event" of the list's type): a change
 * of a record the list holds, or one that adds or removes a row (created,
 * deleted, restored, purged, assigned), fetches the pages held again in
 * place (crm_paged_model_refresh: the scroll position stays); a resync
 * does so whatever the record. Record pages and forms follow their own
 * record themselves.
 */
#include "crm_record_list.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "config.h"
#include "crm_display.h"
#include "crm_meta.h"
#include "crm_placeholder.h"
#include "crm_record_form.h"
#include "crm_record_page.h"
#include "crm_test_hooks.h"
#include "recval.h"

#define DEFAULT_COLUMNS 6 /* columns shown before the user chooses */

struct _CrmRecordList {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type;
	CrmPagedModel *model;
	const Crm__FieldListReply *fields; /* CrmMeta's */
	GCancellable *cancel;

	GtkWidget *stack;       /* "list", then record pages */
	GtkWidget *search_bar, *search_entry;
	GtkWidget *filters_box; /* a row per filterable field */
	GtkWidget *columns_box; /* a check button per field */
	GtkWidget *count, *spinner, *error_revealer, *error_label;
	GtkWidget *view;
	const char *probe_field; /* set by the sorter probed (probe_sort) */
	char *quick_field; /* the field the quick filter looks at, or NULL */
};

G_DEFINE_FINAL_TYPE(CrmRecordList, crm_record_list, GTK_TYPE_WIDGET)

/* ---------------------------------------------------------------- remembered columns */

char *crm_record_list_views_path(void) {
	char *path = crm_config_sibling_path("desktop-views");

	return path != NULL ? path : g_build_filename(g_get_user_config_dir(), "crm", "desktop-views",
						      NULL);
}

static char *views_group(CrmRecordList *self) {
	const char *user = crm_conn_username(self->conn);

	return g_strdup_printf("%s/%s", user != NULL ? user : "", self->type);
}

/* The names of the columns the user chose, or NULL (never chosen). */
static char **load_columns(CrmRecordList *self) {
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = crm_record_list_views_path();
	g_autofree char *group = views_group(self);

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL))
		return NULL;
	return g_key_file_get_string_list(kf, group, "columns", NULL, NULL);
}

static void save_columns(CrmRecordList *self) {
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = crm_record_list_views_path();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *group = views_group(self);
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GListModel *cols = gtk_column_view_get_columns(GTK_COLUMN_VIEW(self->view));
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < g_list_model_get_n_items(cols); i++) {
		g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item(cols, i);

		if (gtk_column_view_column_get_visible(c))
			g_ptr_array_add(names, g_object_get_data(G_OBJECT(c), "crm-field"));
	}
	g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	g_key_file_set_string_list(kf, group, "columns", (const char *const *)names->pdata,
				   names->len);
	if (g_mkdir_with_parents(dir, 0700) != 0 || !g_key_file_save_to_file(kf, path, &error))
		g_warning("crm-desktop: cannot keep the column choice in %s: %s", path,
			  error ? error->message : g_strerror(errno));
}

char *crm_record_list_last_type(const char *user) {
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = crm_record_list_views_path();
	g_autofree char *group = g_strdup_printf("window/%s", user != NULL ? user : "");

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL))
		return NULL;
	return g_key_file_get_string(kf, group, "last-type", NULL);
}

void crm_record_list_keep_last_type(const char *user, const char *type) {
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = crm_record_list_views_path();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *group = g_strdup_printf("window/%s", user != NULL ? user : "");
	g_autofree char *old = NULL;
	g_autoptr(GError) error = NULL;

	g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	old = g_key_file_get_string(kf, group, "last-type", NULL);
	if (g_strcmp0(old, type) == 0)
		return;
	g_key_file_set_string(kf, group, "last-type", type);
	if (g_mkdir_with_parents(dir, 0700) != 0 || !g_key_file_save_to_file(kf, path, &error))
		g_warning("crm-desktop: cannot keep the list opened last in %s: %s", path,
			  error ? error->message : g_strerror(errno));
}

/* ---------------------------------------------------------------- cells */

static void cell_setup(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data) {
	GtkWidget *label = gtk_label_new(NULL);

	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	gtk_label_set_single_line_mode(GTK_LABEL(label), TRUE);
	gtk_list_item_set_child(item, label);
}

static void cell_bind(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data) {
	CrmRecordList *self = data;
	CrmRow *row = gtk_list_item_get_item(item);
	const char *field = g_object_get_data(G_OBJECT(f), "crm-field");
	const ProtobufCMessage *rec = crm_row_get_inner(row);
	crm_sbuf b = {0};

	crm_sbuf_puts(&b, "");
	if (rec == NULL) {
		gtk_label_set_text(GTK_LABEL(gtk_list_item_get_child(item)), "…");
	} else {
		crm_display_value(&b, rec, self->type, field, self->fields);
		g_strdelimit(b.p, "\n", ' '); /* one line in a table */
		gtk_label_set_text(GTK_LABEL(gtk_list_item_get_child(item)), b.p);
	}
	crm_sbuf_fini(&b);
}

/* ---------------------------------------------------------------- sorting by the server */

/*
 * GTK 4.8 does not tell which column the user sorts by
 * (gtk_column_view_sorter_get_primary_sort_column is 4.10). Each sortable
 * column has its own sorter; comparing two rows with the view's sorter
 * calls the primary column's first, which names itself here and answers
 * "less": the view's answer is "less" ascending, "more" descending. The
 * rows are never sorted with it (the model is not a GtkSortListModel).
 */
static int probe_compare(gconstpointer a, gconstpointer b, gpointer data) {
	GtkSorter *sorter = data;
	CrmRecordList *self = g_object_get_data(G_OBJECT(sorter), "crm-list");

	if (self->probe_field == NULL)
		self->probe_field = g_object_get_data(G_OBJECT(sorter), "crm-field");
	return GTK_ORDERING_SMALLER;
}

static void apply_query(CrmRecordList *self);

static void sort_changed(GtkSorter *sorter, GtkSorterChange change, gpointer data) {
	apply_query(data);
}

static void probe_sort(CrmRecordList *self, const char **field, gboolean *desc) {
	GtkSorter *sorter = gtk_column_view_get_sorter(GTK_COLUMN_VIEW(self->view));
	g_autoptr(CrmRow) a = g_object_new(CRM_TYPE_ROW, NULL);
	g_autoptr(CrmRow) b = g_object_new(CRM_TYPE_ROW, NULL);
	GtkOrdering o;

	self->probe_field = NULL;
	o = gtk_sorter_compare(sorter, a, b);
	*field = self->probe_field;
	*desc = o == GTK_ORDERING_LARGER;
}

/* ---------------------------------------------------------------- filters */

static const char *const op_names[] = {N_("is"), N_("is not"), N_("is less than"),
				       N_("is at most"), N_("is more than"), N_("is at least"),
				       N_("is empty"), N_("is not empty"), NULL};
static const Crm__FilterOp op_values[] = {
	CRM__FILTER_OP__FILTER_OP_EQ, CRM__FILTER_OP__FILTER_OP_NE, CRM__FILTER_OP__FILTER_OP_LT,
	CRM__FILTER_OP__FILTER_OP_LE, CRM__FILTER_OP__FILTER_OP_GT, CRM__FILTER_OP__FILTER_OP_GE,
	CRM__FILTER_OP__FILTER_OP_EMPTY, CRM__FILTER_OP__FILTER_OP_NOT_EMPTY};

/* The text one code point past the last of s: names starting with s are
 * those >= s and < this (the server compares names by collation). */
static char *prefix_end(const char *s) {
	glong n = 0;
	g_autofree gunichar *u = g_utf8_to_ucs4_fast(s, -1, &n);

	if (n == 0)
		return NULL;
	u[n - 1]++;
	return g_ucs4_to_utf8(u, n, NULL, NULL, NULL);
}

static guint collect_filters(CrmRecordList *self, CrmPagedFilter *out, guint max) {
	guint n = 0;

	for (GtkWidget *row = gtk_widget_get_first_child(self->filters_box); row && n < max;
	     row = gtk_widget_get_next_sibling(row)) {
		GtkWidget *op = g_object_get_data(G_OBJECT(row), "crm-op");
		GtkWidget *entry = g_object_get_data(G_OBJECT(row), "crm-entry");
		guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(op));
		const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));
		gboolean valueless = op_values[i] == CRM__FILTER_OP__FILTER_OP_EMPTY ||
				     op_values[i] == CRM__FILTER_OP__FILTER_OP_NOT_EMPTY;

		if (!valueless && text[0] == '\0')
			continue;
		out[n].field = g_object_get_data(G_OBJECT(row), "crm-field");
		out[n].op = op_values[i];
		out[n].value = valueless ? NULL : (char *)text;
		n++;
	}
	return n;
}

/* The query from the header, the filters and the quick filter. */
static void apply_query(CrmRecordList *self) {
	CrmPagedFilter fs[22];
	const char *sort_field, *quick = gtk_editable_get_text(GTK_EDITABLE(self->search_entry));
	g_autofree char *quick_end = NULL;
	gboolean desc;
	guint n = collect_filters(self, fs, 20);

	probe_sort(self, &sort_field, &desc);
	if (self->quick_field != NULL && quick[0] != '\0' && (quick_end = prefix_end(quick))) {
		fs[n++] = (CrmPagedFilter){self->quick_field, CRM__FILTER_OP__FILTER_OP_GE,
					   (char *)quick};
		fs[n++] = (CrmPagedFilter){self->quick_field, CRM__FILTER_OP__FILTER_OP_LT,
					   quick_end};
	}
	crm_paged_model_set_query(self->model, sort_field, desc, fs, n);
}

static GtkWidget *filter_row(CrmRecordList *self, const Crm__FieldDef *f) {
	g_autofree char *name = crm_meta_field_name(f);
	g_autofree char *label = crm_meta_field_label(f);
	g_autofree char *op_label = g_strdup_printf(_("%s: condition"), label);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *l = gtk_label_new(label), *entry = gtk_entry_new();
	const char *ops[G_N_ELEMENTS(op_names)];
	GtkWidget *op;

	for (guint i = 0; i < G_N_ELEMENTS(op_names); i++)
		ops[i] = op_names[i] ? _(op_names[i]) : NULL;
	op = gtk_drop_down_new_from_strings(ops);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_widget_set_size_request(l, 140, -1);
	gtk_widget_set_hexpand(entry, TRUE);
	gtk_accessible_update_property(GTK_ACCESSIBLE(op), GTK_ACCESSIBLE_PROPERTY_LABEL, op_label,
				       -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
				       -1);
	gtk_box_append(GTK_BOX(row), l);
	gtk_box_append(GTK_BOX(row), op);
	gtk_box_append(GTK_BOX(row), entry);
	g_object_set_data_full(G_OBJECT(row), "crm-field", g_steal_pointer(&name), g_free);
	g_object_set_data(G_OBJECT(row), "crm-op", op);
	g_object_set_data(G_OBJECT(row), "crm-entry", entry);
	g_signal_connect_swapped(entry, "activate", G_CALLBACK(apply_query), self);
	return row;
}

static void clear_filters(CrmRecordList *self) {
	for (GtkWidget *row = gtk_widget_get_first_child(self->filters_box); row;
	     row = gtk_widget_get_next_sibling(row)) {
		gtk_editable_set_text(GTK_EDITABLE(g_object_get_data(G_OBJECT(row), "crm-entry")), "");
		gtk_drop_down_set_selected(GTK_DROP_DOWN(g_object_get_data(G_OBJECT(row), "crm-op")),
					   0);
	}
	apply_query(self);
}

/* ---------------------------------------------------------------- columns */

static void column_toggled(GtkCheckButton *check, CrmRecordList *self) {
	GtkColumnViewColumn *c = g_object_get_data(G_OBJECT(check), "crm-column");

	gtk_column_view_column_set_visible(c, gtk_check_button_get_active(check));
	save_columns(self);
}

static gboolean shown_at_first(const Crm__FieldDef *f, const char *name, guint *n_default,
			       char **chosen) {
	if (chosen != NULL)
		return g_strv_contains((const char *const *)chosen, name);
	if (*n_default >= DEFAULT_COLUMNS || f->multi_line || g_str_equal(name, "id"))
		return FALSE;
	(*n_default)++;
	return TRUE;
}

static void add_column(CrmRecordList *self, const Crm__FieldDef *f, gboolean visible) {
	g_autofree char *name = crm_meta_field_name(f);
	g_autofree char *label = crm_meta_field_label(f);
	GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
	GtkColumnViewColumn *c;
	GtkWidget *check;

	g_object_set_data_full(G_OBJECT(factory), "crm-field", g_strdup(name), g_free);
	g_signal_connect(factory, "setup", G_CALLBACK(cell_setup), self);
	g_signal_connect(factory, "bind", G_CALLBACK(cell_bind), self);
	c = gtk_column_view_column_new(label, factory);
	g_object_set_data_full(G_OBJECT(c), "crm-field", g_strdup(name), g_free);
	gtk_column_view_column_set_resizable(c, TRUE);
	gtk_column_view_column_set_visible(c, visible);
	if (f->sortable) {
		GtkSorter *s = GTK_SORTER(gtk_custom_sorter_new(probe_compare, NULL, NULL));

		/* the sorter names its column when probed (probe_sort) */
		gtk_custom_sorter_set_sort_func(GTK_CUSTOM_SORTER(s), probe_compare, s, NULL);
		g_object_set_data_full(G_OBJECT(s), "crm-field", g_strdup(name), g_free);
		g_object_set_data(G_OBJECT(s), "crm-list", self);
		gtk_column_view_column_set_sorter(c, s);
		g_object_unref(s);
	}
	gtk_column_view_append_column(GTK_COLUMN_VIEW(self->view), c);
	check = gtk_check_button_new_with_label(label);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(check), visible);
	g_object_set_data_full(G_OBJECT(check), "crm-column", c, g_object_unref);
	g_signal_connect(check, "toggled", G_CALLBACK(column_toggled), self);
	gtk_box_append(GTK_BOX(self->columns_box), check);
}

/* The first sortable, filterable text field (the name): the quick
 * filter's. */
static void pick_quick_field(CrmRecordList *self) {
	for (size_t i = 0; i < self->fields->n_fields; i++) {
		const Crm__FieldDef *f = self->fields->fields[i];

		if (f->kind == CRM__FIELD_KIND__FIELD_KIND_TEXT && f->sortable && f->filterable) {
			self->quick_field = crm_meta_field_name(f);
			return;
		}
	}
}

static void show_error(CrmRecordList *self, const GError *error) {
	gtk_label_set_text(GTK_LABEL(self->error_label), error ? error->message : "");
	gtk_revealer_set_reveal_child(GTK_REVEALER(self->error_revealer), error != NULL);
}

static void fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordList) self = data;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) chosen = NULL;
	guint n_default = 0;

	const Crm__FieldListReply *fields = crm_meta_fields_finish(CRM_META(src), res, &error);

	if (g_cancellable_is_cancelled(self->cancel)) /* disposed meanwhile */
		return;
	self->fields = fields;
	if (self->fields == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			show_error(self, error);
		return;
	}
	chosen = load_columns(self);
	for (size_t i = 0; i < self->fields->n_fields; i++) {
		const Crm__FieldDef *f = self->fields->fields[i];
		g_autofree char *name = crm_meta_field_name(f);

		add_column(self, f, shown_at_first(f, name, &n_default, chosen));
		if (f->filterable)
			gtk_box_append(GTK_BOX(self->filters_box), filter_row(self, f));
	}
	pick_quick_field(self);
	gtk_widget_set_visible(self->search_entry, self->quick_field != NULL);
	g_signal_connect(gtk_column_view_get_sorter(GTK_COLUMN_VIEW(self->view)), "changed",
			 G_CALLBACK(sort_changed), self);
	apply_query(self);
}

/* ---------------------------------------------------------------- the model's state */

static void update_count(CrmRecordList *self) {
	gboolean capped;
	guint64 total = crm_paged_model_get_total(self->model, &capped);
	/* the number grouped as the locale does; the sentence from the catalog
	 * (a format macro inside a msgid would keep xgettext from seeing it) */
	g_autofree char *n = g_strdup_printf("%'" G_GUINT64_FORMAT, total);
	g_autofree char *text = NULL;

	if (capped)
		text = g_strdup_printf(_("More than %s records"), n);
	else
		text = g_strdup_printf(ngettext("%s record", "%s records", (gulong)total), n);
	gtk_label_set_text(GTK_LABEL(self->count), text);
}

static void loading_changed(CrmRecordList *self) {
	gboolean on = crm_paged_model_get_loading(self->model);

	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), on);
	if (on)
		show_error(self, NULL);
}

static void model_error(CrmPagedModel *model, GError *error, CrmRecordList *self) {
	if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		show_error(self, error);
}

/* ---------------------------------------------------------------- pushed changes */

static void list_event(CrmConn *conn, const char *type, gint64 id, gint64 version,
		       const char *kind, gint64 at, CrmRecordList *self) {
	static const char *const moves[] = {"created", "deleted", "restored", "purged",
					    "assigned", NULL};

	if (g_strcmp0(kind, "reminder") == 0)
		return; /* nothing of the record changed */
	if (g_strv_contains(moves, kind) || crm_paged_model_holds(self->model, id))
		crm_paged_model_refresh(self->model);
}

static void list_resync(CrmRecordList *self) { crm_paged_model_refresh(self->model); }

/* ---------------------------------------------------------------- record pages */

static void open_record(CrmRecordList *self, const char *type, gint64 id);

static void page_closed(CrmRecordPage *page, CrmRecordList *self) {
	GtkWidget *prev = gtk_widget_get_prev_sibling(GTK_WIDGET(page));

	gtk_stack_set_visible_child(GTK_STACK(self->stack), prev);
	gtk_stack_remove(GTK_STACK(self->stack), GTK_WIDGET(page));
	if (prev == gtk_stack_get_child_by_name(GTK_STACK(self->stack), "list"))
		gtk_widget_grab_focus(self->view);
}

static void page_open_record(CrmRecordPage *page, const char *type, gint64 id,
			     CrmRecordList *self) {
	open_record(self, type, id);
}

static void page_edit(CrmRecordPage *page, CrmRecordList *self);
static void page_record_changed(CrmRecordPage *page, CrmRecordList *self);

/* A record page, shown. */
static GtkWidget *open_page(CrmRecordList *self, const char *type, gint64 id) {
	GtkWidget *page = crm_record_page_new(self->conn, type, id);

	g_signal_connect(page, "close", G_CALLBACK(page_closed), self);
	g_signal_connect(page, "open-record", G_CALLBACK(page_open_record), self);
	g_signal_connect(page, "edit", G_CALLBACK(page_edit), self);
	g_signal_connect(page, "record-changed", G_CALLBACK(page_record_changed), self);
	g_object_set_data_full(G_OBJECT(page), "crm-type", g_strdup(type), g_free);
	gtk_stack_add_child(GTK_STACK(self->stack), page);
	gtk_stack_set_visible_child(GTK_STACK(self->stack), page);
	/* the page's keys (Escape, Delete, ...) want the focus in it */
	gtk_widget_child_focus(page, GTK_DIR_TAB_FORWARD);
	return page;
}

static void open_record(CrmRecordList *self, const char *type, gint64 id) {
	open_page(self, type, id);
}

void crm_record_list_open_record(CrmRecordList *self, gint64 id) {
	GtkWidget *top = gtk_stack_get_visible_child(GTK_STACK(self->stack));

	if (CRM_IS_RECORD_PAGE(top) && crm_record_page_get_id(CRM_RECORD_PAGE(top)) == id)
		return; /* open already */
	open_record(self, self->type, id);
}

/* Deleted, restored, reassigned or shared: the list asks again, and the
 * record is shown anew in place of the page that changed it. */
static void page_record_changed(CrmRecordPage *page, CrmRecordList *self) {
	GtkStack *stack = GTK_STACK(self->stack);
	GtkStackTransitionType t = gtk_stack_get_transition_type(stack);

	crm_paged_model_reload(self->model);
	if (gtk_stack_get_visible_child(stack) != GTK_WIDGET(page))
		return;
	gtk_stack_set_transition_type(stack, GTK_STACK_TRANSITION_TYPE_NONE);
	open_page(self, g_object_get_data(G_OBJECT(page), "crm-type"),
		  crm_record_page_get_id(page));
	gtk_stack_remove(stack, GTK_WIDGET(page));
	gtk_stack_set_transition_type(stack, t);
}

/* ---------------------------------------------------------------- forms */

/* A form closed: back to what was under it (the record page or the
 * list). */
static void form_closed(CrmRecordForm *form, CrmRecordList *self) {
	page_closed((CrmRecordPage *)form, self);
}

/* Saved: an edit shows the record page again, read anew (the page under
 * the form is replaced); a new record opens its page. The list asks the
 * server again, so the row shows as it is now. */
static void form_saved(CrmRecordForm *form, gint64 id, CrmRecordList *self) {
	GtkWidget *under = gtk_widget_get_prev_sibling(GTK_WIDGET(form));
	const char *type = g_object_get_data(G_OBJECT(form), "crm-type");

	open_page(self, type, id);
	gtk_stack_remove(GTK_STACK(self->stack), GTK_WIDGET(form));
	if (CRM_IS_RECORD_PAGE(under) && crm_record_page_get_id(CRM_RECORD_PAGE(under)) == id)
		gtk_stack_remove(GTK_STACK(self->stack), under);
	crm_paged_model_reload(self->model);
}

static void open_form(CrmRecordList *self, const char *type, gint64 id) {
	GtkWidget *form = crm_record_form_new(self->conn, type, id);

	g_object_set_data_full(G_OBJECT(form), "crm-type", g_strdup(type), g_free);
	g_signal_connect(form, "close", G_CALLBACK(form_closed), self);
	g_signal_connect(form, "saved", G_CALLBACK(form_saved), self);
	gtk_stack_add_child(GTK_STACK(self->stack), form);
	gtk_stack_set_visible_child(GTK_STACK(self->stack), form);
}

static void page_edit(CrmRecordPage *page, CrmRecordList *self) {
	open_form(self, crm_record_page_get_type_name(page), crm_record_page_get_id(page));
}

static void new_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmRecordList *self = CRM_RECORD_LIST(widget);

	open_form(self, self->type, 0);
}

static void row_activated(GtkColumnView *view, guint position, CrmRecordList *self) {
	g_autoptr(CrmRow) row = g_list_model_get_item(G_LIST_MODEL(self->model), position);
	int64_t id;

	if (row != NULL && crm_row_get_inner(row) != NULL &&
	    crm_recval_int(crm_row_get_inner(row), self->type, "id", &id))
		open_record(self, self->type, id);
}

/* ---------------------------------------------------------------- building */

static void filter_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmRecordList *self = CRM_RECORD_LIST(widget);

	gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "list");
	gtk_search_bar_set_search_mode(GTK_SEARCH_BAR(self->search_bar), TRUE);
	gtk_widget_grab_focus(self->search_entry);
}

static GtkWidget *menu_button(const char *label, GtkWidget *content) {
	GtkWidget *b = gtk_menu_button_new(), *pop = gtk_popover_new();
	GtkWidget *scroll = gtk_scrolled_window_new();

	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), content);
	gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(scroll), TRUE);
	gtk_scrolled_window_set_max_content_height(GTK_SCROLLED_WINDOW(scroll), 480);
	gtk_scrolled_window_set_propagate_natural_width(GTK_SCROLLED_WINDOW(scroll), TRUE);
	gtk_popover_set_child(GTK_POPOVER(pop), scroll);
	gtk_menu_button_set_popover(GTK_MENU_BUTTON(b), pop);
	gtk_menu_button_set_label(GTK_MENU_BUTTON(b), label);
	gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
	return b;
}

static GtkWidget *build_filters(CrmRecordList *self) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *apply = gtk_button_new_with_mnemonic(_("_Apply")), *clear;

	clear = gtk_button_new_with_mnemonic(_("_Clear"));
	self->filters_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_add_css_class(apply, "suggested-action");
	g_signal_connect_swapped(apply, "clicked", G_CALLBACK(apply_query), self);
	g_signal_connect_swapped(clear, "clicked", G_CALLBACK(clear_filters), self);
	gtk_widget_set_halign(buttons, GTK_ALIGN_END);
	gtk_box_append(GTK_BOX(buttons), clear);
	gtk_box_append(GTK_BOX(buttons), apply);
	gtk_box_append(GTK_BOX(box), self->filters_box);
	gtk_box_append(GTK_BOX(box), buttons);
	return box;
}

static void deleted_toggled(GtkToggleButton *b, CrmRecordList *self) {
	crm_paged_model_set_deleted(self->model, gtk_toggle_button_get_active(b));
}

/* The type's deleted records instead of the others (to restore one). */
static GtkWidget *deleted_toggle(CrmRecordList *self) {
	GtkWidget *b = gtk_toggle_button_new_with_mnemonic(_("_Deleted"));

	gtk_widget_set_tooltip_text(b, _("Show the deleted records, to restore one"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Show deleted records"), -1);
	g_signal_connect(b, "toggled", G_CALLBACK(deleted_toggled), self);
	return b;
}

static GtkWidget *build_toolbar(CrmRecordList *self) {
	GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *search = gtk_toggle_button_new();

	gtk_widget_add_css_class(bar, "toolbar");
	gtk_button_set_icon_name(GTK_BUTTON(search), "system-search-symbolic");
	gtk_widget_set_tooltip_text(search, _("Quick filter (Ctrl+F)"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(search), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Quick filter"), -1);
	g_object_bind_property(search, "active", self->search_bar, "search-mode-enabled",
			       G_BINDING_BIDIRECTIONAL);
	gtk_box_append(GTK_BOX(bar), search);
	gtk_box_append(GTK_BOX(bar), menu_button(_("Filters"), build_filters(self)));
	self->columns_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	gtk_box_append(GTK_BOX(bar), menu_button(_("Columns"), self->columns_box));
	gtk_box_append(GTK_BOX(bar), deleted_toggle(self));
	self->count = gtk_label_new(NULL);
	gtk_widget_set_hexpand(self->count, TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->count), 1);
	gtk_widget_add_css_class(self->count, "dim-label");
	self->spinner = gtk_spinner_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Loading"), -1);
	gtk_box_append(GTK_BOX(bar), self->count);
	gtk_box_append(GTK_BOX(bar), self->spinner);
	return bar;
}

static GtkWidget *build_error(CrmRecordList *self) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *retry = gtk_button_new_with_mnemonic(_("_Try Again"));

	self->error_label = gtk_label_new(NULL);
	gtk_label_set_wrap(GTK_LABEL(self->error_label), TRUE);
	gtk_widget_set_hexpand(self->error_label, TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->error_label), 0);
	gtk_widget_add_css_class(box, "toolbar");
	gtk_widget_add_css_class(self->error_label, "error");
	g_signal_connect_swapped(retry, "clicked", G_CALLBACK(crm_paged_model_reload), self->model);
	gtk_box_append(GTK_BOX(box), self->error_label);
	gtk_box_append(GTK_BOX(box), retry);
	self->error_revealer = gtk_revealer_new();
	gtk_revealer_set_child(GTK_REVEALER(self->error_revealer), box);
	return self->error_revealer;
}

/* The model grew at its end while the view shows its end (past the
 * server's count): GTK 4.8's list view, scrolled there by its adjustment,
 * realises none of the rows appended, so it never asks for them and the
 * list stops growing. Anchoring it on the last row it had makes it lay
 * the new ones out. */
static void grown_at_end(GListModel *model, guint pos, guint removed, guint added,
			 GtkWidget *view) {
	GtkWidget *list;
	GtkAdjustment *adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(view));

	if (removed != 0 || added == 0 || pos == 0 || pos + added != g_list_model_get_n_items(model) ||
	    adj == NULL ||
	    gtk_adjustment_get_value(adj) + 2 * gtk_adjustment_get_page_size(adj) <
		    gtk_adjustment_get_upper(adj))
		return;
	for (list = gtk_widget_get_first_child(view); list != NULL;
	     list = gtk_widget_get_next_sibling(list))
		if (GTK_IS_LIST_VIEW(list))
			gtk_widget_activate_action(list, "list.scroll-to-item", "u", pos - 1);
}

static GtkWidget *build_list(CrmRecordList *self) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *scroll = gtk_scrolled_window_new();
	GtkSelectionModel *sel;

	self->search_entry = gtk_search_entry_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->search_entry),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Quick filter"), -1);
	gtk_widget_set_tooltip_text(self->search_entry, _("Names starting with this text"));
	g_signal_connect_swapped(self->search_entry, "search-changed", G_CALLBACK(apply_query),
				 self);
	self->search_bar = gtk_search_bar_new();
	gtk_search_bar_set_child(GTK_SEARCH_BAR(self->search_bar), self->search_entry);
	gtk_search_bar_connect_entry(GTK_SEARCH_BAR(self->search_bar),
				     GTK_EDITABLE(self->search_entry));
	gtk_search_bar_set_show_close_button(GTK_SEARCH_BAR(self->search_bar), TRUE);
	sel = GTK_SELECTION_MODEL(gtk_single_selection_new(g_object_ref(G_LIST_MODEL(self->model))));
	gtk_single_selection_set_autoselect(GTK_SINGLE_SELECTION(sel), FALSE);
	self->view = gtk_column_view_new(sel);
	gtk_column_view_set_show_row_separators(GTK_COLUMN_VIEW(self->view), TRUE);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Records"), -1);
	g_signal_connect(self->view, "activate", G_CALLBACK(row_activated), self);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), self->view);
	g_signal_connect_object(self->model, "items-changed", G_CALLBACK(grown_at_end), self->view,
				G_CONNECT_AFTER);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(box), build_toolbar(self));
	gtk_box_append(GTK_BOX(box), self->search_bar);
	gtk_box_append(GTK_BOX(box), build_error(self));
	gtk_box_append(GTK_BOX(box), scroll);
	return box;
}

static void crm_record_list_dispose(GObject *object) {
	CrmRecordList *self = CRM_RECORD_LIST(object);

	g_cancellable_cancel(self->cancel);
	if (self->conn != NULL)
		g_signal_handlers_disconnect_by_data(self->conn, self);
	/* the columns going must not ask the server again */
	if (self->view != NULL)
		g_signal_handlers_disconnect_by_data(
			gtk_column_view_get_sorter(GTK_COLUMN_VIEW(self->view)), self);
	self->view = NULL;
	g_clear_pointer(&self->stack, gtk_widget_unparent);
	if (self->model != NULL)
		g_signal_handlers_disconnect_by_data(self->model, self);
	g_clear_object(&self->model);
	g_clear_object(&self->cancel);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_record_list_parent_class)->dispose(object);
}

static void crm_record_list_finalize(GObject *object) {
	CrmRecordList *self = CRM_RECORD_LIST(object);

	g_free(self->type);
	g_free(self->quick_field);
	G_OBJECT_CLASS(crm_record_list_parent_class)->finalize(object);
}

static void crm_record_list_class_init(CrmRecordListClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_record_list_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_record_list_finalize;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "list.filter", NULL, filter_action);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_f, GDK_CONTROL_MASK, "list.filter", NULL);
	gtk_widget_class_install_action(wc, "list.new", NULL, new_action);
}

static void crm_record_list_init(CrmRecordList *self) { self->cancel = g_cancellable_new(); }

GtkWidget *crm_record_list_new(CrmConn *conn, const char *type) {
	CrmRecordList *self = g_object_new(CRM_TYPE_RECORD_LIST, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->model = crm_paged_model_new(conn, crm_meta_type_value(type));
	g_signal_connect_swapped(self->model, "notify::loading", G_CALLBACK(loading_changed), self);
	g_signal_connect_swapped(self->model, "notify::total", G_CALLBACK(update_count), self);
	g_signal_connect(self->model, "error", G_CALLBACK(model_error), self);
	self->stack = gtk_stack_new();
	gtk_stack_set_transition_type(GTK_STACK(self->stack), GTK_STACK_TRANSITION_TYPE_SLIDE_LEFT_RIGHT);
	gtk_stack_add_named(GTK_STACK(self->stack), build_list(self), "list");
	gtk_widget_set_parent(self->stack, GTK_WIDGET(self));
	crm_test_hooks_watch_list(self->view, G_LIST_MODEL(self->model));
	crm_meta_fields_async(crm_meta_get(conn), type, self->cancel, fields_loaded,
			      g_object_ref(self));
	/* the first page in the server's order beside the field list, not
	 * after it: the query fields_loaded makes when nothing is sorted or
	 * filtered yet is this one, and asks nothing more */
	crm_paged_model_set_query(self->model, NULL, FALSE, NULL, 0);
	{
		g_autofree char *signal = g_strdup_printf("record-event::%s", type);

		g_signal_connect(conn, signal, G_CALLBACK(list_event), self);
		g_signal_connect_swapped(conn, "resync", G_CALLBACK(list_resync), self);
	}
	return GTK_WIDGET(self);
}

CrmPagedModel *crm_record_list_get_model(CrmRecordList *self) { return self->model; }
