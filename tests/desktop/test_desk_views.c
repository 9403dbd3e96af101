/*
 * crm-desktop's data side of the generic views against a live crmd (no
 * display): CrmMeta's record types and fields, CrmPagedModel paging
 * through keyset cursors to the 10,000th row and past the server's count,
 * dropping far pages and fetching them again by their cursors, a sort and
 * filters asked of the server. Started by test_views.py, which bulk-loads
 * the accounts and passes what the server should answer:
 *
 *   CRM_TEST_SERVER, CRM_TEST_CA, CRM_TEST_USER, CRM_TEST_PASSWORD
 *   CRM_TEST_N_ACCOUNTS   how many accounts there are (more than 10,000)
 *   CRM_TEST_DESC_FIRST   the first two names by name, descending ("a|b")
 *   CRM_TEST_PREFIX       a name prefix, CRM_TEST_PREFIX_COUNT its matches
 *   CRM_TEST_ONE_NAME     a name exactly one account has, CRM_TEST_ONE_ID its id
 *
 * Exits 77 (skipped) without CRM_TEST_SERVER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_conn.h"
#include "crm_meta.h"
#include "crm_paged_model.h"
#include "recval.h"
#include "checks.h"

static const char *need(const char *name) {
	const char *v = getenv(name);

	if (v == NULL) {
		fprintf(stderr, "test_desk_views: %s is not set\n", name);
		exit(2);
	}
	return v;
}

/* ---------------------------------------------------------------- the loop */

typedef gboolean (*Pred)(gpointer);

static gboolean timed_out(gpointer data) {
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the main loop until pred holds (TRUE) or ms pass (FALSE). */
static gboolean run_until(Pred pred, gpointer data, guint ms) {
	gboolean late = FALSE;
	guint id = g_timeout_add(ms, timed_out, &late);

	while (!pred(data) && !late)
		g_main_context_iteration(NULL, TRUE);
	if (!late)
		g_source_remove(id);
	return !late;
}

typedef struct {
	gboolean done;
	GAsyncResult *res;
} Wait;

static void got(GObject *src, GAsyncResult *res, gpointer data) {
	Wait *w = data;

	w->res = g_object_ref(res);
	w->done = TRUE;
}

static gboolean is_done(gpointer data) { return ((Wait *)data)->done; }

static GAsyncResult *wait_result(Wait *w) {
	if (!run_until(is_done, w, 30000)) {
		fprintf(stderr, "test_desk_views: no answer in 30 s\n");
		exit(1);
	}
	return w->res;
}

/* ---------------------------------------------------------------- the model */

typedef struct {
	CrmPagedModel *model;
	guint position;
	guint loaded;   /* page-loaded signals */
	GError *error;
} Watch;

static void page_loaded(CrmPagedModel *m, guint page, Watch *w) { w->loaded++; }

static void model_error(CrmPagedModel *m, GError *error, Watch *w) {
	g_clear_error(&w->error);
	w->error = g_error_copy(error);
}

static gboolean idle_model(gpointer data) {
	Watch *w = data;

	return w->error != NULL || !crm_paged_model_get_loading(w->model);
}

/* The row at position, loaded (asking for it as the view does). */
static CrmRow *row_at(Watch *w, guint position) {
	CrmRow *row = g_list_model_get_item(G_LIST_MODEL(w->model), position);

	while (row != NULL && crm_row_get_record(row) == NULL && w->error == NULL) {
		g_object_unref(row);
		if (!run_until(idle_model, w, 120000)) {
			fprintf(stderr, "test_desk_views: row %u did not come\n", position);
			return NULL;
		}
		row = g_list_model_get_item(G_LIST_MODEL(w->model), position);
	}
	return row;
}

static char *name_of(CrmRow *row) {
	crm_sbuf b = {0};
	char *s;

	crm_sbuf_puts(&b, "");
	crm_recval_text(&b, crm_row_get_inner(row), "account", "name", NULL);
	s = g_strdup(b.p);
	crm_sbuf_fini(&b);
	return s;
}

static void wait_first_page(Watch *w) {
	crm_paged_model_want(w->model, 0);
	CHECK(run_until(idle_model, w, 30000));
}

/* ---------------------------------------------------------------- the tests */

static void test_meta(CrmConn *conn) {
	CrmMeta *meta = crm_meta_get(conn);
	Wait w1 = {0}, w2 = {0}, w3 = {0};
	const Crm__RecordTypeListReply *types;
	const Crm__FieldListReply *fields, *again;
	const Crm__FieldDef *name, *legal;
	g_autoptr(GError) error = NULL;

	CHECK(meta == crm_meta_get(conn)); /* one per connection */
	crm_meta_types_async(meta, NULL, got, &w1);
	types = crm_meta_types_finish(meta, wait_result(&w1), &error);
	CHECK(types != NULL && crm_meta_type_info(types, "account") != NULL);
	/* two at once share one call: the same reply */
	crm_meta_fields_async(meta, "account", NULL, got, &w2);
	crm_meta_fields_async(meta, "account", NULL, got, &w3);
	fields = crm_meta_fields_finish(meta, wait_result(&w2), &error);
	again = crm_meta_fields_finish(meta, wait_result(&w3), &error);
	CHECK(fields != NULL && fields == again);
	name = crm_meta_field(fields, "name");
	legal = crm_meta_field(fields, "legal_name");
	CHECK(name != NULL && name->sortable && name->filterable &&
	      name->kind == CRM__FIELD_KIND__FIELD_KIND_TEXT);
	CHECK(legal != NULL && !legal->sortable);
	CHECK(crm_meta_type_value("contact") == CRM__RECORD_TYPE__RECORD_TYPE_CONTACT);
	CHECK(g_strcmp0(crm_meta_type_name(CRM__RECORD_TYPE__RECORD_TYPE_NOTE), "note") == 0);
	g_object_unref(w1.res);
	g_object_unref(w2.res);
	g_object_unref(w3.res);
}

/* To the 10,000th row and past the count to the end; far pages dropped. */
static void test_scroll(Watch *w, guint n_accounts) {
	gboolean capped = FALSE;
	g_autoptr(CrmRow) first = NULL, tenk = NULL, last = NULL, again = NULL, mid = NULL;
	guint loaded;

	crm_paged_model_reload(w->model);
	wait_first_page(w);
	CHECK(crm_paged_model_get_total(w->model, &capped) == 10000 && capped);
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) == 10000);
	first = row_at(w, 0);
	tenk = row_at(w, 9999);
	CHECK(tenk != NULL && crm_row_get_record(tenk) != NULL);
	CHECK(crm_paged_model_get_loaded_pages(w->model) <= 2 * CRM_PAGED_KEEP + 1);
	/* past the count: the model grows a page at a time to the end (a
	 * known page not fetched yet counts as full until it comes) */
	for (guint i = 0; i < 200 && w->error == NULL; i++) {
		guint n = g_list_model_get_n_items(G_LIST_MODEL(w->model));

		g_clear_object(&last);
		last = row_at(w, n - 1);
		if (last != NULL && n == g_list_model_get_n_items(G_LIST_MODEL(w->model)))
			break;
	}
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) == n_accounts);
	g_clear_object(&last);
	last = row_at(w, n_accounts - 1);
	CHECK(last != NULL && crm_row_get_record(last) != NULL);
	CHECK(crm_paged_model_get_loaded_pages(w->model) <= 2 * CRM_PAGED_KEEP + 1);
	/* back to the middle: one fetch by the kept cursor, no walk */
	loaded = w->loaded;
	mid = row_at(w, 5000);
	CHECK(mid != NULL && w->loaded == loaded + 1);
	again = row_at(w, 0);
	CHECK(again != NULL && crm_row_get_record(again) != NULL);
	/* the end's length stays known with its page dropped */
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) == n_accounts);
	CHECK(w->error == NULL);
	/* the same record at row 0 as before, ids ascending by default */
	int64_t a = 0, b = 0;
	CHECK(crm_recval_int(crm_row_get_inner(first), "account", "id", &a) &&
	      crm_recval_int(crm_row_get_inner(again), "account", "id", &b) && a == b);
}

static void test_sort_and_filter(Watch *w) {
	g_auto(GStrv) desc = g_strsplit(need("CRM_TEST_DESC_FIRST"), "|", 2);
	const char *prefix = need("CRM_TEST_PREFIX");
	g_autofree char *end = g_strdup(prefix);
	CrmPagedFilter f[2];
	g_autoptr(CrmRow) r0 = NULL, r1 = NULL, one = NULL;
	g_autofree char *n0 = NULL, *n1 = NULL;
	int64_t id = 0;

	crm_paged_model_set_query(w->model, "name", TRUE, NULL, 0);
	wait_first_page(w);
	r0 = row_at(w, 0);
	r1 = row_at(w, 1);
	n0 = r0 ? name_of(r0) : NULL;
	n1 = r1 ? name_of(r1) : NULL;
	CHECK(g_strcmp0(n0, desc[0]) == 0 && g_strcmp0(n1, desc[1]) == 0);
	if (g_strcmp0(n0, desc[0]) != 0)
		fprintf(stderr, "  sorted first: '%s', want '%s'\n", n0, desc[0]);

	f[0] = (CrmPagedFilter){"name", CRM__FILTER_OP__FILTER_OP_EQ, (char *)need("CRM_TEST_ONE_NAME")};
	crm_paged_model_set_query(w->model, NULL, FALSE, f, 1);
	wait_first_page(w);
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) == 1);
	one = row_at(w, 0);
	CHECK(one != NULL && crm_recval_int(crm_row_get_inner(one), "account", "id", &id) &&
	      id == g_ascii_strtoll(need("CRM_TEST_ONE_ID"), NULL, 10));

	/* the list's quick filter: names from the prefix to just past it */
	end[strlen(end) - 1]++;
	f[0] = (CrmPagedFilter){"name", CRM__FILTER_OP__FILTER_OP_GE, (char *)prefix};
	f[1] = (CrmPagedFilter){"name", CRM__FILTER_OP__FILTER_OP_LT, end};
	crm_paged_model_set_query(w->model, NULL, FALSE, f, 2);
	wait_first_page(w);
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) ==
	      (guint)atoi(need("CRM_TEST_PREFIX_COUNT")));
	/* the same query again (the list's columns arriving after its first
	 * page) keeps the rows and asks nothing */
	crm_paged_model_set_query(w->model, NULL, FALSE, f, 2);
	CHECK(!crm_paged_model_get_loading(w->model));
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) ==
	      (guint)atoi(need("CRM_TEST_PREFIX_COUNT")));

	/* a field the server cannot sort by: its error, not a sort here */
	crm_paged_model_set_query(w->model, "legal_name", FALSE, NULL, 0);
	wait_first_page(w);
	CHECK(w->error != NULL && w->error->domain == CRM_CONN_ERROR);
	CHECK(g_list_model_get_n_items(G_LIST_MODEL(w->model)) == 0);
	g_clear_error(&w->error);
}

int main(void) {
	const char *server = getenv("CRM_TEST_SERVER");
	Wait login = {0};
	g_autoptr(GError) error = NULL;
	Watch w = {0};
	CrmConn *conn;

	if (server == NULL)
		return 77;
	conn = crm_conn_new(server, need("CRM_TEST_CA"));
	crm_conn_set_session_file(conn, NULL);
	crm_conn_start(conn);
	crm_conn_login(conn, need("CRM_TEST_USER"), need("CRM_TEST_PASSWORD"), NULL, got, &login);
	if (!crm_conn_login_finish(conn, wait_result(&login), &error)) {
		fprintf(stderr, "test_desk_views: login: %s\n", error->message);
		return 1;
	}
	g_object_unref(login.res);
	test_meta(conn);
	w.model = crm_paged_model_new(conn, CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT);
	g_signal_connect(w.model, "page-loaded", G_CALLBACK(page_loaded), &w);
	g_signal_connect(w.model, "error", G_CALLBACK(model_error), &w);
	test_scroll(&w, (guint)atoi(need("CRM_TEST_N_ACCOUNTS")));
	test_sort_and_filter(&w);
	g_object_unref(w.model);
	g_clear_error(&w.error);
	g_object_unref(conn);
	return checks_result("test_desk_views");
}
