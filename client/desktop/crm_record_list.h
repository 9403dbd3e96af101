/*
 * CrmRecordList: the list page of one record type, built from the
 * server's field list (CrmMeta), so a new type or custom field needs no
 * code here.
 *
 *   - a GtkColumnView over a CrmPagedModel: a column per field, those
 *     shown chosen by the user (the Columns menu) and remembered per user
 *     and type in a key file beside the config file ("desktop-views");
 *   - clicking the header of a sortable field's column asks the server
 *     again with that sort (the rows are never sorted here);
 *   - filters per filterable field (the Filters menu) and a quick filter
 *     box (action "list.filter", Ctrl+F): names starting with the text;
 *   - activating a row opens its CrmRecordPage; its back button returns
 *     to the list as it was;
 *   - a pushed change (CrmConn "record-event") of a record it holds
 *     fetches its pages again in place, keeping the scroll position.
 *
 * Main thread only.
 */
#ifndef CRM_RECORD_LIST_H
#define CRM_RECORD_LIST_H

#include <gtk/gtk.h>

#include "crm_conn.h"
#include "crm_paged_model.h"

G_BEGIN_DECLS

#define CRM_TYPE_RECORD_LIST (crm_record_list_get_type())
G_DECLARE_FINAL_TYPE(CrmRecordList, crm_record_list, CRM, RECORD_LIST, GtkWidget)

/* type: a RecordTypeInfo name ("account"). */
GtkWidget *crm_record_list_new(CrmConn *conn, const char *type);
CrmPagedModel *crm_record_list_get_model(CrmRecordList *self);
/* Opens record id's page over what the list shows (unless it shows it
 * already): a notification's action. */
void crm_record_list_open_record(CrmRecordList *self, gint64 id);

/* The file the column choices are kept in (g_free). */
char *crm_record_list_views_path(void);

/* The list user had open last (group "window/USER", key "last-type" of
 * the same file), or NULL (g_free); and keeping it when user opens one.
 * The window reopens it at the next start. */
char *crm_record_list_last_type(const char *user);
void crm_record_list_keep_last_type(const char *user, const char *type);

G_END_DECLS

#endif
