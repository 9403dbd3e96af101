/*
 * CrmWindow: crm-desktop's main window. It owns the CrmConn, switches
 * between the first-run assistant (CrmSetupPage) and the main view (an
 * AdwLeaflet: the sidebar of record types the user may read | the
 * content page of the chosen type), shows the connection banner, and asks
 * for the password again when the session ends, keeping the open view.
 * Main thread only.
 */
#ifndef CRM_WINDOW_H
#define CRM_WINDOW_H

#include "crm_application.h"
#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_TYPE_WINDOW (crm_window_get_type())
G_DECLARE_FINAL_TYPE(CrmWindow, crm_window, CRM, WINDOW, AdwApplicationWindow)

CrmWindow *crm_window_new(CrmApplication *app);

/* The window's connection, or NULL before the server is known. */
CrmConn *crm_window_get_conn(CrmWindow *self);
/* Shows record TYPE/ID: its type's list in the content, the record's page
 * over it (a notification's action). FALSE when the window cannot (not
 * signed in, a type the user may not read). */
gboolean crm_window_open_record(CrmWindow *self, const char *type, gint64 id);

G_END_DECLS

#endif
