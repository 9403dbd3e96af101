/*
 * CrmPagedModel: a GListModel of one record type's list (RecordList with
 * filters and a sort), fetched page by page as the view asks for rows.
 *
 * A keyset cursor cannot jump: page k is asked for with the cursor the
 * reply of page k-1 gave. Every page's cursor is kept once known, so a
 * page far from the view is dropped (only its cursor stays) and fetched
 * again when the view comes back to it; reaching page k first walks the
 * pages before it whose cursors are unknown (each dropped again when it
 * is far from the view). At most CRM_PAGED_KEEP pages on each side of the
 * last page asked for stay loaded, so memory does not grow with the
 * list's length.
 *
 * The number of items: the server's total for the query (RecordList.total,
 * asked with the first page) while it is exact; past 10,000 the server
 * stops counting (total_capped), and the model has 10,000 items and grows
 * a page at a time as pages beyond are reached; once the last page came
 * its exact length. A row not loaded yet is a CrmRow without a record (a
 * placeholder): the model asks for its page and, when the page comes,
 * replaces the placeholders (items-changed over the page's range).
 *
 * Nothing blocks: every request goes through CrmConn. Main thread only.
 * Sorting and filtering change the query (crm_paged_model_set_query):
 * the model empties and asks the server again; it never sorts rows it
 * holds.
 */
#ifndef CRM_PAGED_MODEL_H
#define CRM_PAGED_MODEL_H

#include <gio/gio.h>

#include "crm.pb-c.h"
#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_PAGED_PAGE_SIZE 200 /* rows a page (the server allows 1..500) */
#define CRM_PAGED_KEEP 3        /* pages kept loaded each side of the view */

/* One row of the list: the record, or nothing yet (a placeholder). The
 * record's memory (the page's reply) lives as long as the row. */
#define CRM_TYPE_ROW (crm_row_get_type())
G_DECLARE_FINAL_TYPE(CrmRow, crm_row, CRM, ROW, GObject)

const Crm__Record *crm_row_get_record(CrmRow *self);
/* The account, contact, ... inside the record; NULL for a placeholder. */
const ProtobufCMessage *crm_row_get_inner(CrmRow *self);
guint crm_row_get_position(CrmRow *self);
/* A row holding rec, a record inside frame (a reply, taken: freed with
 * crm_client_reply_free when the last row holding it goes). For the
 * record page: a record fetched on its own. */
CrmRow *crm_row_new_for_reply(Crm__ServerFrame *frame, const Crm__Record *rec);
/* A row per record of recs (n of them, inside frame), sharing frame as
 * above (freed with the last row; at once when n is 0): a GPtrArray of
 * CrmRow (unref frees them). */
GPtrArray *crm_rows_new_for_reply(Crm__ServerFrame *frame, Crm__Record *const *recs, size_t n);

#define CRM_TYPE_PAGED_MODEL (crm_paged_model_get_type())
G_DECLARE_FINAL_TYPE(CrmPagedModel, crm_paged_model, CRM, PAGED_MODEL, GObject)

/* Empty until crm_paged_model_set_query or _reload starts it. */
CrmPagedModel *crm_paged_model_new(CrmConn *conn, Crm__RecordType type);

/* One filter of the query: field FIELD OP VALUE (value NULL for EMPTY /
 * NOT_EMPTY). */
typedef struct {
	char *field;
	Crm__FilterOp op;
	char *value;
} CrmPagedFilter;

/*
 * Sets the query and asks again from the first page: sort_field NULL for
 * the server's order (by id), filters copied (n_filters at most 20). The
 * query the model already has is a no-op (the list asks for its first
 * page before its columns are known, and again once they are: one
 * request). reload asks again whatever the query.
 */
void crm_paged_model_set_query(CrmPagedModel *self, const char *sort_field, gboolean desc,
			       const CrmPagedFilter *filters, guint n_filters);
/* The soft-deleted records of the type (RecordList.deleted) instead of
 * the others, with the same query; asks again from the first page. */
void crm_paged_model_set_deleted(CrmPagedModel *self, gboolean deleted);
gboolean crm_paged_model_get_deleted(CrmPagedModel *self);
/* Forgets every page and asks again (same query). */
void crm_paged_model_reload(CrmPagedModel *self);
/* Fetches the pages the model holds again, each by its kept cursor, with
 * the count, and replaces their rows in place: the view keeps its scroll
 * position (a pushed change: docs/desktop.md, "Live updates"). A page
 * whose next cursor changed (a row came or went before its end) makes the
 * next page's rows be fetched again too; the cursors of pages not held
 * stay as they were (a row may show twice or not at all at such a page's
 * edge until the list is asked again). One fetch at a time, as always. */
void crm_paged_model_refresh(CrmPagedModel *self);
/* Whether a row the model holds now is record id. */
gboolean crm_paged_model_holds(CrmPagedModel *self, gint64 id);
/* Rows a page (tests); resets like reload. */
void crm_paged_model_set_page_size(CrmPagedModel *self, guint rows);

/* The server's count (exact unless *capped: then "more than"); 0 before
 * the first page. */
guint64 crm_paged_model_get_total(CrmPagedModel *self, gboolean *capped);
/* True while a page is being fetched (property "loading"). */
gboolean crm_paged_model_get_loading(CrmPagedModel *self);
/* Pages whose rows the model holds now (the view's and those near it). */
guint crm_paged_model_get_loaded_pages(CrmPagedModel *self);
/* Asks for the page holding position (as get_item does) without an item. */
void crm_paged_model_want(CrmPagedModel *self, guint position);

/* Signals: "error" (GError *) when a page could not be fetched (the rows
 * stay placeholders; asking again retries); "page-loaded" (guint page). */

G_END_DECLS

#endif
