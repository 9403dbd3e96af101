/*
 * CrmMyTasks: the sidebar's "My Tasks": the open tasks (status neither
 * done nor cancelled) assigned to the signed-in user, in three
 * CrmRecordSections by their due time in the user's profile time zone:
 * Overdue (due before now), Today (the rest of today) and This Week (the
 * six days after today), as `crm task list --mine --due overdue|today|
 * week` asks, each sorted by due time. Each row's Complete sets the
 * task's status to done (RecordUpdate with the version listed); when the
 * task changed since, the form opens over the page with that change and
 * shows its conflict dialog (compare and merge). Activating a row emits
 * "open-record" (the window opens it in its type's list).
 *
 * It asks again when shown, on a pushed event of a task (assigned to the
 * user, a reminder, a watched task's change), on a resync and with
 * Refresh (F5 is the connection's). Main thread only.
 */
#ifndef CRM_MY_TASKS_H
#define CRM_MY_TASKS_H

#include <gtk/gtk.h>

#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_MY_TASKS_PAGE "my-tasks" /* its name in the window's content stack */

#define CRM_TYPE_MY_TASKS (crm_my_tasks_get_type())
G_DECLARE_FINAL_TYPE(CrmMyTasks, crm_my_tasks, CRM, MY_TASKS, GtkWidget)

GtkWidget *crm_my_tasks_new(CrmConn *conn);
void crm_my_tasks_reload(CrmMyTasks *self);

/* Signals: "open-record" (const char *type, gint64 id). */

G_END_DECLS

#endif
