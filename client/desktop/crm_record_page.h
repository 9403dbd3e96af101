/*
 * CrmRecordPage: one record shown whole, built from the server's field
 * list: every field that has a value by its label (custom fields by their
 * labels, from the same list), the relationships it has (RelationList;
 * each one's other record can be opened: signal "open-record") and its
 * history from the audit trail (AuditList for the record, newest first).
 *
 * Everything is fetched asynchronously when the page is made; a spinner
 * shows while it comes, an error is shown on the page. Signal "close":
 * the user pressed Back (or Escape). Its header has the record's actions
 * (CrmRecordActions: delete, restore, reassign, share); signal
 * "record-changed": one of them changed the record on the server (the
 * list then reloads and opens the record again). Main thread only.
 */
#ifndef CRM_RECORD_PAGE_H
#define CRM_RECORD_PAGE_H

#include <gtk/gtk.h>

#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_TYPE_RECORD_PAGE (crm_record_page_get_type())
G_DECLARE_FINAL_TYPE(CrmRecordPage, crm_record_page, CRM, RECORD_PAGE, GtkWidget)

/* type: a record type's name ("account"); id: the record's. */
GtkWidget *crm_record_page_new(CrmConn *conn, const char *type, gint64 id);
gint64 crm_record_page_get_id(CrmRecordPage *self);
const char *crm_record_page_get_type_name(CrmRecordPage *self);

/* Signals: "close" (), "open-record" (const char *type, gint64 id),
 * "edit" () (the user asked to edit it: Edit, Ctrl+E),
 * "record-changed" (). */

G_END_DECLS

#endif
