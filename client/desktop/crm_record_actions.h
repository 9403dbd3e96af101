/*
 * CrmRecordActions: what a record page can do to its record besides
 * showing it, for every record type alike: delete (RecordDelete, after a
 * confirmation naming the record), restore (RecordRestore), reassign
 * (RecordReassign: a new owner, a team, and "move its contacts too" where
 * the type has contacts) and share (ShareList, RecordShare: add and
 * remove shares of users and teams).
 *
 * Made by a CrmRecordPage, which owns it (page is not referenced) and
 * puts its two widgets in place: the buttons (for the page's header) and
 * the status (above the fields: "this record is deleted" with Restore,
 * and the words for a failed action, from crm_error_describe). The
 * actions are the action group "rec" on the page (rec.delete,
 * rec.restore, rec.reassign, rec.share), enabled from what the record is
 * (deleted or not) and what the user's role may do with its type
 * (RecordTypeInfo.actions: delete, reassign, update for sharing); the
 * server decides the rest (a scope that does not reach this record is
 * its PERMISSION_DENIED, shown in the status). Keys on the page: Delete,
 * Ctrl+Z (restore), Ctrl+Shift+O (reassign), Ctrl+Shift+S (share).
 *
 * After a change that succeeded the page's signal "record-changed" is
 * emitted (the list reloads and shows the record again). Main thread
 * only.
 */
#ifndef CRM_RECORD_ACTIONS_H
#define CRM_RECORD_ACTIONS_H

#include <gtk/gtk.h>

#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_TYPE_RECORD_ACTIONS (crm_record_actions_get_type())
G_DECLARE_FINAL_TYPE(CrmRecordActions, crm_record_actions, CRM, RECORD_ACTIONS, GObject)

/* type: a RecordTypeInfo name ("account"); page: the record page. */
CrmRecordActions *crm_record_actions_new(CrmConn *conn, const char *type, gint64 id,
					 GtkWidget *page);
/* The header's buttons and the status area (the actions' own widgets). */
GtkWidget *crm_record_actions_get_buttons(CrmRecordActions *self);
GtkWidget *crm_record_actions_get_status(CrmRecordActions *self);

/* The record as loaded (the account, contact, ... message: its owner and
 * deleted_at are read; not kept) and its name for the dialogs. */
void crm_record_actions_set_record(CrmRecordActions *self, const ProtobufCMessage *rec,
				   const char *name);

G_END_DECLS

#endif
