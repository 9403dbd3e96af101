/*
 * CrmPagedModel and CrmRow; see crm_paged_model.h.
 *
 * pages[k] is page k of the current query: its cursor once known (page 0
 * needs none), and while loaded the reply and a CrmRow per record. Pages
 * are known contiguously from 0 (a cursor comes with the page before), so
 * the number of known pages is the frontier: a page beyond it is reached
 * by fetching the frontier page, again and again. One fetch runs at a
 * time; `pending` holds the pages the view asked for, newest last.
 */
#include "crm_paged_model.h"

#include <string.h>

#include <glib/gi18n.h>

#include "crm_meta.h"
#include "crm_status.h"
#include "crmclient.h"
#include "recval.h"

#define TOTAL_CAP 10000 /* the server counts up to here (total_capped beyond) */

/* ---------------------------------------------------------------- a reply shared by rows */

typedef struct {
	Crm__ServerFrame *frame;
} Reply;

static void reply_clear(gpointer p) { crm_client_reply_free(((Reply *)p)->frame); }

static Reply *reply_new(Crm__ServerFrame *frame) {
	Reply *r = g_rc_box_new0(Reply);

	r->frame = frame;
	return r;
}

static void reply_unref(Reply *r) { g_rc_box_release_full(r, reply_clear); }

/* ---------------------------------------------------------------- CrmRow */

struct _CrmRow {
	GObject parent_instance;
	Reply *reply; /* NULL: a placeholder */
	const Crm__Record *record;
	guint position;
};

G_DEFINE_FINAL_TYPE(CrmRow, crm_row, G_TYPE_OBJECT)

static void crm_row_finalize(GObject *object) {
	CrmRow *self = CRM_ROW(object);

	if (self->reply != NULL)
		reply_unref(self->reply);
	G_OBJECT_CLASS(crm_row_parent_class)->finalize(object);
}

static void crm_row_class_init(CrmRowClass *klass) {
	G_OBJECT_CLASS(klass)->finalize = crm_row_finalize;
}

static void crm_row_init(CrmRow *self) { (void)self; }

static CrmRow *row_new(Reply *reply, const Crm__Record *rec, guint position) {
	CrmRow *row = g_object_new(CRM_TYPE_ROW, NULL);

	row->reply = reply ? g_rc_box_acquire(reply) : NULL;
	row->record = rec;
	row->position = position;
	return row;
}

CrmRow *crm_row_new_for_reply(Crm__ServerFrame *frame, const Crm__Record *rec) {
	Reply *r = reply_new(frame);
	CrmRow *row = row_new(r, rec, 0);

	reply_unref(r);
	return row;
}

GPtrArray *crm_rows_new_for_reply(Crm__ServerFrame *frame, Crm__Record *const *recs, size_t n) {
	Reply *r = reply_new(frame);
	GPtrArray *rows = g_ptr_array_new_full((guint)n, g_object_unref);

	for (size_t i = 0; i < n; i++)
		g_ptr_array_add(rows, row_new(r, recs[i], (guint)i));
	reply_unref(r);
	return rows;
}

const Crm__Record *crm_row_get_record(CrmRow *self) { return self->record; }
const ProtobufCMessage *crm_row_get_inner(CrmRow *self) { return crm_recval_inner(self->record); }
guint crm_row_get_position(CrmRow *self) { return self->position; }

/* ---------------------------------------------------------------- the model */

typedef struct {
	gboolean known;    /* cursor known (page 0: always, with no cursor) */
	GBytes *cursor;    /* NULL for page 0 */
	Reply *reply;      /* loaded: the reply, and rows */
	GPtrArray *rows;   /* CrmRow* */
} Page;

struct _CrmPagedModel {
	GObject parent_instance;
	CrmConn *conn;
	Crm__RecordType type;
	char *sort_field;
	gboolean sort_desc;
	CrmPagedFilter *filters;
	guint n_filters;
	gboolean deleted; /* the soft-deleted records instead */
	gboolean queried; /* set_query ran: a repeat of the same query is a no-op */

	guint page_size;
	GArray *pages;     /* Page */
	guint n_items;
	gboolean end_known; /* the last page came (no next cursor) */
	guint end_rows;     /* then: its rows (the page may be dropped since) */
	gboolean has_total, total_capped;
	guint64 total;

	GArray *pending;   /* guint page numbers the view asked for, newest last */
	GArray *stale;     /* guint pages held whose rows are to be fetched again, ascending */
	gboolean ask_total; /* the next refresh fetch asks for the count */
	guint want;        /* the page asked for last */
	GCancellable *loading; /* set while a fetch runs */
	guint generation;  /* bumped by a reset: late replies are dropped */
};

static void list_model_iface_init(GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE(CrmPagedModel, crm_paged_model, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

enum { PROP_0, PROP_LOADING, PROP_TOTAL, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIG_ERROR, SIG_PAGE_LOADED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void pump(CrmPagedModel *self);

static void page_drop(Page *p) {
	g_clear_pointer(&p->rows, g_ptr_array_unref);
	g_clear_pointer(&p->reply, reply_unref);
}

static void page_clear(gpointer data) {
	Page *p = data;

	page_drop(p);
	g_clear_pointer(&p->cursor, g_bytes_unref);
}

static Page *page_at(CrmPagedModel *self, guint k) {
	return k < self->pages->len ? &g_array_index(self->pages, Page, k) : NULL;
}

static void filters_free(CrmPagedFilter *f, guint n) {
	for (guint i = 0; i < n; i++) {
		g_free(f[i].field);
		g_free(f[i].value);
	}
	g_free(f);
}

static void crm_paged_model_dispose(GObject *object) {
	CrmPagedModel *self = CRM_PAGED_MODEL(object);

	if (self->loading != NULL)
		g_cancellable_cancel(self->loading);
	g_clear_object(&self->loading);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_paged_model_parent_class)->dispose(object);
}

static void crm_paged_model_finalize(GObject *object) {
	CrmPagedModel *self = CRM_PAGED_MODEL(object);

	g_array_unref(self->pages);
	g_array_unref(self->pending);
	g_array_unref(self->stale);
	g_free(self->sort_field);
	filters_free(self->filters, self->n_filters);
	G_OBJECT_CLASS(crm_paged_model_parent_class)->finalize(object);
}

static void crm_paged_model_get_property(GObject *object, guint id, GValue *value,
					 GParamSpec *pspec) {
	CrmPagedModel *self = CRM_PAGED_MODEL(object);

	switch (id) {
	case PROP_LOADING: g_value_set_boolean(value, self->loading != NULL); break;
	case PROP_TOTAL: g_value_set_uint64(value, self->total); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void crm_paged_model_class_init(CrmPagedModelClass *klass) {
	GObjectClass *oc = G_OBJECT_CLASS(klass);

	oc->dispose = crm_paged_model_dispose;
	oc->finalize = crm_paged_model_finalize;
	oc->get_property = crm_paged_model_get_property;
	props[PROP_LOADING] = g_param_spec_boolean("loading", NULL, NULL, FALSE,
						   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_TOTAL] = g_param_spec_uint64("total", NULL, NULL, 0, G_MAXUINT64, 0,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(oc, N_PROPS, props);
	signals[SIG_ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
	signals[SIG_PAGE_LOADED] = g_signal_new("page-loaded", G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void crm_paged_model_init(CrmPagedModel *self) {
	self->page_size = CRM_PAGED_PAGE_SIZE;
	self->pages = g_array_new(FALSE, TRUE, sizeof(Page));
	g_array_set_clear_func(self->pages, page_clear);
	self->pending = g_array_new(FALSE, FALSE, sizeof(guint));
	self->stale = g_array_new(FALSE, FALSE, sizeof(guint));
}

CrmPagedModel *crm_paged_model_new(CrmConn *conn, Crm__RecordType type) {
	CrmPagedModel *self = g_object_new(CRM_TYPE_PAGED_MODEL, NULL);

	Page first = {.known = TRUE};

	self->conn = g_object_ref(conn);
	self->type = type;
	g_array_append_val(self->pages, first);
	return self;
}

/* ---------------------------------------------------------------- GListModel */

static GType model_get_item_type(GListModel *list) {
	(void)list;
	return CRM_TYPE_ROW;
}

static guint model_get_n_items(GListModel *list) { return CRM_PAGED_MODEL(list)->n_items; }

static gpointer model_get_item(GListModel *list, guint position) {
	CrmPagedModel *self = CRM_PAGED_MODEL(list);
	guint k = position / self->page_size, i = position % self->page_size;
	Page *p = page_at(self, k);

	if (position >= self->n_items)
		return NULL;
	if (p != NULL && p->rows != NULL && i < p->rows->len)
		return g_object_ref(g_ptr_array_index(p->rows, i));
	crm_paged_model_want(self, position);
	return row_new(NULL, NULL, position);
}

static void list_model_iface_init(GListModelInterface *iface) {
	iface->get_item_type = model_get_item_type;
	iface->get_n_items = model_get_n_items;
	iface->get_item = model_get_item;
}

/* ---------------------------------------------------------------- asking for pages */

void crm_paged_model_want(CrmPagedModel *self, guint position) {
	guint k = position / self->page_size;
	Page *p = page_at(self, k);

	if (p != NULL && p->rows != NULL)
		return;
	self->want = k;
	for (guint i = 0; i < self->pending->len; i++)
		if (g_array_index(self->pending, guint, i) == k) {
			g_array_remove_index(self->pending, i); /* moved to the end */
			break;
		}
	g_array_append_val(self->pending, k);
	pump(self);
}

static guint distance(guint a, guint b) { return a > b ? a - b : b - a; }

static gint cmp_page(gconstpointer a, gconstpointer b) {
	guint x = *(const guint *)a, y = *(const guint *)b;

	return (x > y) - (x < y);
}

/* Forgets asked-for pages the view has left, and loaded pages far from it
 * (their cursors stay). */
static void prune(CrmPagedModel *self) {
	for (guint i = self->pending->len; i-- > 0;)
		if (distance(g_array_index(self->pending, guint, i), self->want) > CRM_PAGED_KEEP)
			g_array_remove_index(self->pending, i);
	for (guint k = 0; k < self->pages->len; k++)
		if (distance(k, self->want) > CRM_PAGED_KEEP)
			page_drop(page_at(self, k));
}

static void set_loading(CrmPagedModel *self, GCancellable *c) {
	gboolean was = self->loading != NULL;

	g_clear_object(&self->loading);
	self->loading = c;
	if (was != (c != NULL))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LOADING]);
}

typedef struct {
	CrmPagedModel *self; /* a reference while the call runs */
	guint page, generation;
	gboolean refresh; /* a page held, fetched again (crm_paged_model_refresh) */
} Fetch;

static void fetch_done(GObject *src, GAsyncResult *res, gpointer user_data);

static void fetch(CrmPagedModel *self, guint k, gboolean refresh) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordList rl = CRM__RECORD_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	Crm__Sort sort = CRM__SORT__INIT, *sorts[1] = {&sort};
	g_autofree Crm__Filter *fs = g_new0(Crm__Filter, self->n_filters + 1);
	g_autofree Crm__Filter **fps = g_new0(Crm__Filter *, self->n_filters + 1);
	g_autofree ProtobufCBinaryData *vals = g_new0(ProtobufCBinaryData, self->n_filters + 1);
	Page *p = page_at(self, k);
	Fetch *f = g_new0(Fetch, 1);

	rl.has_type = TRUE;
	rl.type = self->type;
	page.has_limit = TRUE;
	page.limit = self->page_size;
	if (p->cursor != NULL) {
		page.has_cursor = TRUE;
		page.cursor.data = (uint8_t *)g_bytes_get_data(p->cursor, &page.cursor.len);
	}
	rl.page = &page;
	rl.has_total = rl.total = k == 0 || (refresh && self->ask_total);
	if (refresh)
		self->ask_total = FALSE;
	rl.has_deleted = rl.deleted = self->deleted;
	if (self->sort_field != NULL) {
		sort.has_field = sort.has_desc = TRUE;
		sort.field.data = (uint8_t *)self->sort_field;
		sort.field.len = strlen(self->sort_field);
		sort.desc = self->sort_desc;
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
	f->self = g_object_ref(self);
	f->page = k;
	f->generation = self->generation;
	f->refresh = refresh;
	set_loading(self, g_cancellable_new());
	crm_conn_call(self->conn, &req, self->loading, fetch_done, f);
}

/* Starts the next fetch the view needs, if none runs. */
static void pump(CrmPagedModel *self) {
	guint target, known;
	Page *p;

	if (self->loading != NULL)
		return;
	while (self->stale->len > 0) {
		target = g_array_index(self->stale, guint, 0);
		g_array_remove_index(self->stale, 0);
		p = page_at(self, target);
		if (p != NULL && p->rows != NULL) {
			fetch(self, target, TRUE);
			return;
		}
	}
	while (self->pending->len > 0) {
		target = g_array_index(self->pending, guint, self->pending->len - 1);
		p = page_at(self, target);
		if (p != NULL && p->rows != NULL) {
			g_array_remove_index(self->pending, self->pending->len - 1);
			continue;
		}
		known = self->pages->len;
		if (target >= known && self->end_known) {
			/* beyond the end (the list shrank) */
			g_array_remove_index(self->pending, self->pending->len - 1);
			continue;
		}
		fetch(self, target < known ? target : known - 1, FALSE);
		return;
	}
}

/* ---------------------------------------------------------------- a page arrived */

/* The model's length from what is known now. */
static guint length_now(CrmPagedModel *self) {
	guint known = self->pages->len;
	guint64 n;

	if (self->end_known)
		return (known - 1) * self->page_size + self->end_rows;
	n = self->has_total ? (self->total_capped ? MAX(self->total, TOTAL_CAP) : self->total) : 0;
	/* a known page past the count (rows added since) has rows too */
	return (guint)MAX(n, (guint64)known * self->page_size);
}

static void set_length(CrmPagedModel *self, guint n) {
	guint old = self->n_items;

	self->n_items = n;
	if (n > old)
		g_list_model_items_changed(G_LIST_MODEL(self), old, 0, n - old);
	else if (n < old)
		g_list_model_items_changed(G_LIST_MODEL(self), n, old - n, 0);
}

/* A page on the way to the one the view wants (it would be dropped at
 * once): only its cursor and count are taken, and no rows are made or
 * replaced. */
static gboolean passing(CrmPagedModel *self, guint k) {
	return distance(k, self->want) > CRM_PAGED_KEEP;
}

static gboolean stale_has(CrmPagedModel *self, guint k) {
	for (guint i = 0; i < self->stale->len; i++)
		if (g_array_index(self->stale, guint, i) == k)
			return TRUE;
	return FALSE;
}

/* A page fetched again brought next, the cursor of page k + 1: when it
 * moved, that page (if held) is fetched again next. */
static void next_cursor(CrmPagedModel *self, guint k, const ProtobufCBinaryData *next) {
	Page *n = page_at(self, k + 1);
	g_autoptr(GBytes) b = g_bytes_new(next->data, next->len);

	if (n == NULL || (n->cursor != NULL && g_bytes_equal(n->cursor, b)))
		return;
	g_clear_pointer(&n->cursor, g_bytes_unref);
	n->cursor = g_bytes_ref(b);
	if (n->rows != NULL && !stale_has(self, k + 1))
		g_array_prepend_val(self->stale, (guint){k + 1});
}

static void take_page(CrmPagedModel *self, guint k, Crm__ServerFrame *frame, gboolean refresh) {
	const Crm__RecordListReply *rl = frame->response->record_list;
	Page *p = page_at(self, k), next = {0};
	guint first = k * self->page_size, replaced, n_rows = (guint)rl->n_records;
	gboolean pass = passing(self, k);

	page_drop(p);
	p->reply = reply_new(frame);
	if (!pass) {
		p->rows = g_ptr_array_new_full(n_rows, g_object_unref);
		for (size_t i = 0; i < rl->n_records; i++)
			g_ptr_array_add(p->rows, row_new(p->reply, rl->records[i], first + (guint)i));
	}
	if (rl->has_total) {
		self->has_total = TRUE;
		self->total = rl->total;
		self->total_capped = rl->has_total_capped && rl->total_capped;
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TOTAL]);
	}
	if (rl->has_next_cursor && rl->next_cursor.len > 0) {
		if (k + 1 == self->pages->len) { /* p moves with the array */
			next.known = TRUE;
			next.cursor = g_bytes_new(rl->next_cursor.data, rl->next_cursor.len);
			g_array_append_val(self->pages, next);
			self->end_known = FALSE; /* the last page grew past its end */
		} else if (refresh)
			next_cursor(self, k, &rl->next_cursor);
	} else {
		self->end_known = TRUE;
		self->end_rows = n_rows;
		/* pages beyond the end (fewer rows now than before) go */
		g_array_set_size(self->pages, k + 1);
		for (guint i = self->stale->len; i-- > 0;)
			if (g_array_index(self->stale, guint, i) > k)
				g_array_remove_index(self->stale, i);
	}
	p = page_at(self, k); /* the array may have moved */
	if (pass) {
		g_clear_pointer(&p->reply, reply_unref);
		set_length(self, length_now(self));
		return;
	}
	/* placeholders in the page's range become its rows */
	replaced = first < self->n_items ? MIN(self->n_items - first, n_rows) : 0;
	if (replaced > 0)
		g_list_model_items_changed(G_LIST_MODEL(self), first, replaced, replaced);
	set_length(self, length_now(self));
}

static void fetch_done(GObject *src, GAsyncResult *res, gpointer user_data) {
	Fetch *f = user_data;
	CrmPagedModel *self = f->self;
	GError *error = NULL;
	Crm__ServerFrame *frame =
		crm_conn_call_finish_body(CRM_CONN(src), res, CRM__RESPONSE__BODY_RECORD_LIST, &error);

	if (f->generation != self->generation) { /* reset meanwhile */
		g_clear_error(&error);
		if (frame != NULL)
			crm_client_reply_free(frame);
		goto out;
	}
	set_loading(self, NULL);
	if (frame == NULL) {
		g_array_set_size(self->pending, 0); /* asking again retries */
		g_signal_emit(self, signals[SIG_ERROR], 0, error);
		g_clear_error(&error);
		goto out;
	}
	take_page(self, f->page, frame, f->refresh);
	prune(self);
	g_signal_emit(self, signals[SIG_PAGE_LOADED], 0, f->page);
	pump(self);
out:
	g_object_unref(self);
	g_free(f);
}

/* ---------------------------------------------------------------- the query */

void crm_paged_model_reload(CrmPagedModel *self) {
	Page first = {.known = TRUE};

	self->generation++;
	if (self->loading != NULL)
		g_cancellable_cancel(self->loading);
	set_loading(self, NULL);
	g_array_set_size(self->pages, 0);
	g_array_append_val(self->pages, first);
	g_array_set_size(self->pending, 0);
	g_array_set_size(self->stale, 0);
	self->end_known = self->has_total = self->total_capped = FALSE;
	self->total = 0;
	self->want = 0;
	set_length(self, 0);
	crm_paged_model_want(self, 0);
}

static gboolean same_query(CrmPagedModel *self, const char *sort_field, gboolean desc,
			   const CrmPagedFilter *filters, guint n_filters) {
	if (!self->queried || g_strcmp0(self->sort_field, sort_field) != 0 ||
	    (sort_field != NULL && !desc != !self->sort_desc) || n_filters != self->n_filters)
		return FALSE;
	for (guint i = 0; i < n_filters; i++)
		if (g_strcmp0(filters[i].field, self->filters[i].field) != 0 ||
		    filters[i].op != self->filters[i].op ||
		    g_strcmp0(filters[i].value, self->filters[i].value) != 0)
			return FALSE;
	return TRUE;
}

void crm_paged_model_set_query(CrmPagedModel *self, const char *sort_field, gboolean desc,
			       const CrmPagedFilter *filters, guint n_filters) {
	if (same_query(self, sort_field, desc, filters, n_filters))
		return;
	self->queried = TRUE;
	g_free(self->sort_field);
	self->sort_field = g_strdup(sort_field);
	self->sort_desc = desc;
	filters_free(self->filters, self->n_filters);
	self->filters = g_new0(CrmPagedFilter, n_filters + 1);
	self->n_filters = n_filters;
	for (guint i = 0; i < n_filters; i++) {
		self->filters[i].field = g_strdup(filters[i].field);
		self->filters[i].op = filters[i].op;
		self->filters[i].value = g_strdup(filters[i].value);
	}
	crm_paged_model_reload(self);
}

void crm_paged_model_set_deleted(CrmPagedModel *self, gboolean deleted) {
	self->deleted = deleted;
	crm_paged_model_reload(self);
}

gboolean crm_paged_model_get_deleted(CrmPagedModel *self) { return self->deleted; }

void crm_paged_model_set_page_size(CrmPagedModel *self, guint rows) {
	self->page_size = CLAMP(rows, 1, 500);
	crm_paged_model_reload(self);
}

guint64 crm_paged_model_get_total(CrmPagedModel *self, gboolean *capped) {
	if (capped != NULL)
		*capped = self->total_capped;
	return self->total;
}

gboolean crm_paged_model_get_loading(CrmPagedModel *self) { return self->loading != NULL; }

guint crm_paged_model_get_loaded_pages(CrmPagedModel *self) {
	guint n = 0;

	for (guint k = 0; k < self->pages->len; k++)
		n += page_at(self, k)->rows != NULL;
	return n;
}

void crm_paged_model_refresh(CrmPagedModel *self) {
	gboolean any = FALSE;

	if (!self->queried && self->pages->len == 1 && page_at(self, 0)->rows == NULL)
		return; /* nothing asked yet */
	for (guint k = 0; k < self->pages->len; k++)
		if (page_at(self, k)->rows != NULL && !stale_has(self, k)) {
			g_array_append_val(self->stale, k);
			any = TRUE;
		}
	if (!any) { /* nothing held (a failed first page): ask again */
		crm_paged_model_reload(self);
		return;
	}
	g_array_sort(self->stale, cmp_page);
	self->ask_total = TRUE;
	pump(self);
}

gboolean crm_paged_model_holds(CrmPagedModel *self, gint64 id) {
	const char *type = crm_meta_type_name(self->type);

	for (guint k = 0; k < self->pages->len; k++) {
		Page *p = page_at(self, k);

		for (guint i = 0; p->rows != NULL && i < p->rows->len; i++) {
			int64_t v;

			if (crm_recval_int(crm_row_get_inner(g_ptr_array_index(p->rows, i)), type, "id",
					   &v) &&
			    v == id)
				return TRUE;
		}
	}
	return FALSE;
}
