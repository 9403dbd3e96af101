/*
 * crm_test_hooks: see crm_test_hooks.h.
 */
#include "crm_test_hooks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crm_attachments.h"
#include "crm_paged_model.h"

static CrmConn *(*conn_getter)(GtkApplication *app);

static void created(GObject *obj, GAsyncResult *res, gpointer data) {
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *reply = crm_conn_call_finish(CRM_CONN(obj), res, &error);
	const Crm__Record *r = reply ? reply->response->record : NULL;

	if (r != NULL && r->account != NULL && r->account->meta != NULL)
		fprintf(stderr, "test-create-account: ok %lld\n", (long long)r->account->meta->id);
	else
		fprintf(stderr, "test-create-account: error %s\n", error ? error->message : "?");
	crm_client_reply_free(reply);
}

static void create_account(GSimpleAction *action, GVariant *param, gpointer app) {
	CrmConn *conn = conn_getter(GTK_APPLICATION(app));
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Account acc = CRM__ACCOUNT__INIT;
	const char *name = g_variant_get_string(param, NULL);

	if (conn == NULL) {
		fprintf(stderr, "test-create-account: error no connection\n");
		return;
	}
	acc.has_name = TRUE;
	acc.name.data = (uint8_t *)name;
	acc.name.len = strlen(name);
	rec.kind_case = CRM__RECORD__KIND_ACCOUNT;
	rec.account = &acc;
	rc.record = &rec;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	req.record_create = &rc;
	crm_conn_call(conn, &req, NULL, created, NULL);
}

/* ---------------------------------------------------------------- attachments */

static gboolean enabled;
static GtkWidget *attachments; /* the last record page's (weak) */

void crm_test_hooks_watch_attachments(GtkWidget *w) {
	if (!enabled)
		return;
	if (attachments != NULL)
		g_object_remove_weak_pointer(G_OBJECT(attachments), (gpointer *)&attachments);
	attachments = w;
	g_object_add_weak_pointer(G_OBJECT(w), (gpointer *)&attachments);
}

void crm_test_hooks_report(const char *what, const char *format, ...) {
	va_list ap;

	if (!enabled)
		return;
	fprintf(stderr, "test-%s: ", what);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* app.test-drop-files "PATH\nPATH...": what a drop of those files does. */
static void drop_files(GSimpleAction *action, GVariant *param, gpointer app) {
	g_auto(GStrv) paths = g_strsplit(g_variant_get_string(param, NULL), "\n", -1);
	GSList *files = NULL;

	if (attachments == NULL) {
		crm_test_hooks_report("drop-files", "error no record page");
		return;
	}
	for (guint i = 0; paths[i] != NULL; i++)
		if (paths[i][0] != '\0')
			files = g_slist_append(files, g_file_new_for_path(paths[i]));
	crm_attachments_upload(CRM_ATTACHMENTS(attachments), files);
	g_slist_free_full(files, g_object_unref);
	crm_test_hooks_report("drop-files", "ok %u", g_strv_length(paths));
}

static void saved(const char *path, const GError *error, gpointer data) {
	if (error != NULL)
		crm_test_hooks_report("save-attachment", "error %s", error->message);
	else
		crm_test_hooks_report("save-attachment", "ok %s", path);
}

/* app.test-save-attachment "ID PATH": Save As… without the dialog. */
static void save_attachment(GSimpleAction *action, GVariant *param, gpointer app) {
	const char *arg = g_variant_get_string(param, NULL), *space = strchr(arg, ' ');
	gint64 id = g_ascii_strtoll(arg, NULL, 10);

	if (attachments == NULL || space == NULL || id <= 0) {
		crm_test_hooks_report("save-attachment", "error no record page or bad argument");
		return;
	}
	crm_attachments_save_to(CRM_ATTACHMENTS(attachments), id, space + 1, saved, NULL);
}

/* ---------------------------------------------------------------- the benchmark's hooks */

static GtkWidget *list_view; /* the last list's column view (weak) */

static long rss_kib(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kib;
}

/* Milliseconds since the process started (its start time in
 * /proc/self/stat, clock ticks since boot), or -1. */
static long long ms_since_start(void) {
	char buf[1024], *p;
	unsigned long long start = 0;
	struct timespec now;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f != NULL)
		fclose(f);
	buf[n] = '\0';
	/* after the command's closing parenthesis, p is at the space before
	 * the line's third field (state); each step goes to the space before
	 * the next, to the twenty-second (starttime) */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (int field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, "%llu", &start) != 1 ||
	    clock_gettime(CLOCK_BOOTTIME, &now) != 0)
		return -1;
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 -
	       (long long)(start * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK));
}

void crm_test_hooks_mark(const char *what) {
	static int on = -1;

	if (on < 0)
		on = g_strcmp0(g_getenv("CRM_DESKTOP_TEST_HOOKS"), "1") == 0;
	if (on)
		fprintf(stderr, "bench: mark %s ms=%lld\n", what, ms_since_start());
}

static void first_paint(GdkFrameClock *clock, gpointer data) {
	g_signal_handlers_disconnect_by_func(clock, first_paint, data);
	crm_test_hooks_mark("first-page-drawn");
	fprintf(stderr, "bench: first-page-drawn rss_kib=%ld\n", rss_kib());
}

/* Each frame of the first list until it has its columns and a loaded
 * first row (the field list and the first page come in either order):
 * then the paint after this frame is the first page drawn. */
static gboolean watch_tick(GtkWidget *view, GdkFrameClock *clock, gpointer model) {
	g_autoptr(CrmRow) row = g_list_model_get_n_items(model) > 0 ? g_list_model_get_item(model, 0)
								    : NULL;
	GListModel *cols = gtk_column_view_get_columns(GTK_COLUMN_VIEW(view));

	if (row == NULL || crm_row_get_inner(row) == NULL || g_list_model_get_n_items(cols) == 0)
		return G_SOURCE_CONTINUE;
	crm_test_hooks_mark("first-page-ready");
	g_signal_connect(clock, "after-paint", G_CALLBACK(first_paint), NULL);
	gtk_widget_queue_draw(view);
	return G_SOURCE_REMOVE;
}

void crm_test_hooks_watch_list(GtkWidget *view, GListModel *model) {
	static gboolean first = TRUE;

	if (!enabled)
		return;
	if (list_view != NULL)
		g_object_remove_weak_pointer(G_OBJECT(list_view), (gpointer *)&list_view);
	list_view = view;
	g_object_add_weak_pointer(G_OBJECT(view), (gpointer *)&list_view);
	if (first)
		gtk_widget_add_tick_callback(view, watch_tick, g_object_ref(model), g_object_unref);
	first = FALSE;
}

typedef struct {
	guint target;  /* rows to scroll past */
	guint idle;    /* frames at the bottom without the list growing */
	guint last_n;  /* the list's length at the previous frame */
	double step;   /* pixels a frame */
	gint64 last;   /* the previous frame's time */
	GArray *gaps;  /* microseconds between frames */
} Scroll;

static int cmp_gap(const void *a, const void *b) {
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

static gboolean scroll_tick(GtkWidget *view, GdkFrameClock *clock, gpointer data) {
	Scroll *s = data;
	GtkAdjustment *adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(view));
	GListModel *model = G_LIST_MODEL(gtk_column_view_get_model(GTK_COLUMN_VIEW(view)));
	guint n = g_list_model_get_n_items(model);
	double upper = gtk_adjustment_get_upper(adj), value = gtk_adjustment_get_value(adj);
	gint64 now = gdk_frame_clock_get_frame_time(clock);
	double row_px = n > 0 ? upper / n : 1;

	if (s->last != 0)
		g_array_append_val(s->gaps, (gint64){now - s->last});
	s->last = now;
	/* at the bottom of a list that grows a page at a time past the
	 * server's count (10,000): wait for the next page, up to 10 s */
	s->idle = value + gtk_adjustment_get_page_size(adj) >= upper && n == s->last_n ? s->idle + 1 : 0;
	s->last_n = n;
	if (value / row_px >= s->target || s->idle > 600) {
		gint64 *g = (gint64 *)(void *)s->gaps->data;
		guint k = s->gaps->len;

		qsort(g, k, sizeof(gint64), cmp_gap);
		fprintf(stderr,
			"bench-scroll: rows=%.0f frames=%u p50_us=%" G_GINT64_FORMAT
			" p99_us=%" G_GINT64_FORMAT " rss_kib=%ld\n",
			value / row_px, k, k ? g[k / 2] : 0, k ? g[k * 99 / 100] : 0, rss_kib());
		g_array_unref(s->gaps);
		g_free(s);
		return G_SOURCE_REMOVE;
	}
	gtk_adjustment_set_value(adj, value + s->step);
	return G_SOURCE_CONTINUE;
}

/* app.test-bench-scroll "ROWS STEP": scrolls the list STEP pixels a frame
 * until ROWS rows are above the view, then prints the frame gaps and the
 * resident memory. */
static void bench_scroll(GSimpleAction *action, GVariant *param, gpointer app) {
	Scroll *s;
	unsigned rows = 0, step = 0;

	if (list_view == NULL || sscanf(g_variant_get_string(param, NULL), "%u %u", &rows, &step) != 2) {
		fprintf(stderr, "bench-scroll: error no list or bad argument\n");
		return;
	}
	s = g_new0(Scroll, 1);
	s->target = rows;
	s->step = step;
	s->gaps = g_array_new(FALSE, FALSE, sizeof(gint64));
	gtk_widget_add_tick_callback(list_view, scroll_tick, s, NULL);
}

/* app.test-bench-static N: the list's view gets a static model in memory
 * of N rows (the first loaded page's rows over and over), scrolled to the
 * top: the same view without the network or paging, to compare with. */
static void bench_static(GSimpleAction *action, GVariant *param, gpointer app) {
	GListModel *model;
	g_autoptr(GListStore) store = g_list_store_new(CRM_TYPE_ROW);
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_object_unref);
	guint n = (guint)strtoul(g_variant_get_string(param, NULL), NULL, 10);

	if (list_view == NULL) {
		fprintf(stderr, "bench-static: error no list\n");
		return;
	}
	model = G_LIST_MODEL(gtk_column_view_get_model(GTK_COLUMN_VIEW(list_view)));
	for (guint i = 0; i < g_list_model_get_n_items(model) && rows->len < CRM_PAGED_PAGE_SIZE; i++) {
		CrmRow *r = g_list_model_get_item(model, i);

		if (crm_row_get_inner(r) != NULL)
			g_ptr_array_add(rows, r);
		else
			g_object_unref(r);
	}
	if (rows->len == 0) {
		fprintf(stderr, "bench-static: error no loaded rows\n");
		return;
	}
	for (guint i = 0; i < n; i++)
		g_list_store_append(store, g_ptr_array_index(rows, i % rows->len));
	gtk_column_view_set_model(GTK_COLUMN_VIEW(list_view),
				  GTK_SELECTION_MODEL(gtk_single_selection_new(G_LIST_MODEL(g_object_ref(store)))));
	gtk_adjustment_set_value(gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(list_view)), 0);
	fprintf(stderr, "bench-static: ok rows=%u\n", n);
}

static void add(GtkApplication *app, const char *name, const GVariantType *type,
		GCallback cb) {
	GSimpleAction *a = g_simple_action_new(name, type);

	g_signal_connect(a, "activate", cb, app);
	g_action_map_add_action(G_ACTION_MAP(app), G_ACTION(a));
	g_object_unref(a);
}

void crm_test_hooks_add(GtkApplication *app, CrmConn *(*conn_of)(GtkApplication *app)) {
	if (g_strcmp0(g_getenv("CRM_DESKTOP_TEST_HOOKS"), "1") != 0)
		return;
	enabled = TRUE;
	conn_getter = conn_of;
	add(app, "test-create-account", G_VARIANT_TYPE_STRING, G_CALLBACK(create_account));
	add(app, "test-bench-scroll", G_VARIANT_TYPE_STRING, G_CALLBACK(bench_scroll));
	add(app, "test-bench-static", G_VARIANT_TYPE_STRING, G_CALLBACK(bench_static));
	add(app, "test-drop-files", G_VARIANT_TYPE_STRING, G_CALLBACK(drop_files));
	add(app, "test-save-attachment", G_VARIANT_TYPE_STRING, G_CALLBACK(save_attachment));
}

gboolean crm_test_hooks_enabled(void) { return enabled; }

/* s as a JSON string (UTF-8 kept as it is). */
static void json_string(GString *out, const char *s) {
	g_string_append_c(out, '"');
	for (; s != NULL && *s; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_printf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			g_string_append_printf(out, "\\u%04x", (unsigned char)*s);
		else
			g_string_append_c(out, *s);
	}
	g_string_append_c(out, '"');
}

void crm_test_hooks_notification(const char *id, const char *title, const char *body,
				 const char *action, const char *target) {
	const char *keys[] = {"id", "title", "body", "action", "target"};
	const char *values[] = {id, title, body, action, target};
	g_autoptr(GString) line = g_string_new("test-notification: {");

	if (!enabled)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_string_append_printf(line, "%s\"%s\":", i ? "," : "", keys[i]);
		json_string(line, values[i]);
	}
	g_string_append(line, "}\n");
	fputs(line->str, stderr);
	fflush(stderr);
}
