/*
 * crm_test_hooks: actions only tests/desktop uses, added to the
 * application when CRM_DESKTOP_TEST_HOOKS=1 is in the environment (never
 * otherwise), so a test can make a request through the window's CrmConn
 * at a moment it chooses (while crmd is down, say) before the record
 * forms exist:
 *
 *   app.test-create-account (s): creates an account with that name;
 *     prints "test-create-account: ok ID" or "...: error MESSAGE" on
 *     standard error when the reply comes.
 *
 *   app.test-bench-scroll (s) "ROWS STEP", app.test-bench-static (s) "N":
 *     the desktop benchmark's (tests/bench/desk_bench.py): scroll the open
 *     list STEP pixels a frame past ROWS rows and print the frame gaps and
 *     the resident memory; put a static in-memory model of N rows under
 *     the same view. The first list made prints "bench: first-page-drawn"
 *     after the frame that first shows its columns and a loaded row.
 *
 *   crm_test_hooks_notification: each notification sent, as
 *     "test-notification: {JSON}" on standard error (id, title, body,
 *     action, target): what went to g_application_send_notification, for
 *     tests/desktop/test_live.py (no notification server runs under test).
 *
 *   app.test-drop-files (s): the files (paths, one a line) dropped on the
 *     record page shown last, as a drag and drop does (the same code from
 *     there on); each upload's end is reported as "test-upload: ok NAME"
 *     or "test-upload: error NAME: MESSAGE".
 *
 *   app.test-save-attachment (s) "ID PATH": Save As… on the record page
 *     shown last without the file dialog: attachment ID downloaded to
 *     PATH; "test-save-attachment: ok PATH" or "...: error MESSAGE".
 *     Open reports the file it wrote: "test-open-attachment: ok PATH".
 *
 *   crm_test_hooks_mark: "bench: mark WHAT ms=N" on standard error, N the
 *     milliseconds since the process started (where start-up time goes).
 *
 * Activated over D-Bus (org.gtk.Actions on /org/crm/Desktop). Main thread.
 */
#ifndef CRM_TEST_HOOKS_H
#define CRM_TEST_HOOKS_H

#include <gtk/gtk.h>

#include "crm_conn.h"

/* Adds the hooks to app if the environment asks for them; conn_of gives
 * the active window's connection (or NULL). */
void crm_test_hooks_add(GtkApplication *app, CrmConn *(*conn_of)(GtkApplication *app));
/* Whether the hooks are on. */
gboolean crm_test_hooks_enabled(void);
/* A list's view and model, for the benchmark's hooks (nothing when off). */
void crm_test_hooks_watch_list(GtkWidget *view, GListModel *model);
/* A moment of start-up, with the time since the process started (nothing
 * when CRM_DESKTOP_TEST_HOOKS is not 1; may be called before
 * crm_test_hooks_add). */
void crm_test_hooks_mark(const char *what);
/* A notification sent (nothing when the hooks are off). */
void crm_test_hooks_notification(const char *id, const char *title, const char *body,
				 const char *action, const char *target);

/* The attachments of the record page made last (weak; nothing when off). */
void crm_test_hooks_watch_attachments(GtkWidget *attachments);
/* "test-WHAT: ..." on standard error (nothing when the hooks are off). */
void crm_test_hooks_report(const char *what, const char *format, ...) G_GNUC_PRINTF(2, 3);

#endif
