/*
 * CrmNotifier: desktop notifications (GNotification, through
 * g_application_send_notification) for what the server pushes on the
 * window's connection (CrmConn "record-event"):
 *
 *   - a reminder falling due ("reminder"): the task's name and when it is
 *     due;
 *   - a change of a record the user watches (created, updated, deleted,
 *     restored, reassigned) made by someone else: the record's updated_by
 *     is not the signed-in user (the user's own edits, here or in `crm`,
 *     notify nothing);
 *   - a task assigned to the user by someone else ("assigned").
 *
 * The record is read (RecordGet) for its name and who changed it; one it
 * can no longer read (purged, access lost) notifies nothing. Each
 * notification's default action, and its Open button, is
 * "app.open-record" with "TYPE/ID", which opens the record's page. A
 * record's notifications replace each other (id "record-TYPE-ID"). Texts
 * from the catalog. Main thread only.
 */
#ifndef CRM_NOTIFIER_H
#define CRM_NOTIFIER_H

#include <gio/gio.h>

#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_TYPE_NOTIFIER (crm_notifier_get_type())
G_DECLARE_FINAL_TYPE(CrmNotifier, crm_notifier, CRM, NOTIFIER, GObject)

/* Follows conn's events for app (both not owned: the window that owns the
 * notifier outlives neither). */
CrmNotifier *crm_notifier_new(GApplication *app, CrmConn *conn);

G_END_DECLS

#endif
