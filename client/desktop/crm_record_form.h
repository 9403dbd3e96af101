/*
 * CrmRecordForm: a record's editable fields as a form, built from the
 * server's field list (recset.h: one form field per editable field, a
 * widget per kind: entry, multi-line text, number, money with currency,
 * date with a calendar, switch, drop-down of an enum's or a pick list's
 * values, a record picker for references, a list one item a line).
 *
 * Editing (id > 0): the record is read when the form opens; Save sends a
 * RecordUpdate with only the fields whose text changed (emptied ones in
 * `clear`) and the version read. Creating (id 0): Save sends a
 * RecordCreate with the fields given. What the form can tell is wrong
 * before sending (a number that is not one) and what the server says is
 * wrong about a field are shown at that field's widget (an error line
 * under it, the widget marked invalid with the message as its accessible
 * description). A version conflict asks the user: reload the record, or
 * merge: fields only the other side changed are taken over, fields both
 * sides changed are chosen one by one, and the merge is saved with the
 * version read again.
 *
 * The request goes through CrmConn: while the connection is down it waits
 * and goes out when it is back, with the same idempotency key, so it is
 * applied once. Signals: "saved" (gint64 id) after the server took it,
 * "close" () when the user cancels (Escape). Main thread only.
 */
#ifndef CRM_RECORD_FORM_H
#define CRM_RECORD_FORM_H

#include <gtk/gtk.h>

#include "crm_conn.h"
#include "crm_paged_model.h" /* CrmRow */

G_BEGIN_DECLS

#define CRM_TYPE_RECORD_FORM (crm_record_form_get_type())
G_DECLARE_FINAL_TYPE(CrmRecordForm, crm_record_form, CRM, RECORD_FORM, GtkWidget)

/* type: a record type's name ("account"); id: the record to edit, 0 for a
 * new one. */
GtkWidget *crm_record_form_new(CrmConn *conn, const char *type, gint64 id);

/* An edit of record as the caller read it (its version), with the form
 * field `path` ("status") set to text ("done") and saved at once: a
 * version conflict then shows the form's conflict dialog (My Tasks'
 * Complete when the task changed since it was listed). */
GtkWidget *crm_record_form_new_with_change(CrmConn *conn, const char *type, CrmRow *record,
					   const char *path, const char *text);

G_END_DECLS

#endif
