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
 * Activated over D-Bus (org.gtk.Actions on /org/crm/Desktop). Main thread.
 */
#ifndef CRM_TEST_HOOKS_H
#define CRM_TEST_HOOKS_H

#include <gtk/gtk.h>

#include "crm_conn.h"

/* Adds the hooks to app if the environment asks for them; conn_of gives
 * the active window's connection (or NULL). */
void crm_test_hooks_add(GtkApplication *app, CrmConn *(*conn_of)(GtkApplication *app));

#endif
