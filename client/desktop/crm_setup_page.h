/*
 * CrmSetupPage: the first-run assistant, and the login form when there is
 * no session. It only collects input and shows what the window tells it;
 * the window (crm_window.c) connects and logs in.
 *
 * Signals: "connect" (server, ca_file or NULL) when the user asks to
 * connect; "login" (username, password) when the user logs in; "back"
 * when the user goes back from the login step to the server step.
 * Main thread only.
 */
#ifndef CRM_SETUP_PAGE_H
#define CRM_SETUP_PAGE_H

#include <adwaita.h>

G_BEGIN_DECLS

#define CRM_TYPE_SETUP_PAGE (crm_setup_page_get_type())
G_DECLARE_FINAL_TYPE(CrmSetupPage, crm_setup_page, CRM, SETUP_PAGE, GtkBox)

typedef enum { CRM_SETUP_SERVER, CRM_SETUP_LOGIN } CrmSetupStep;

/* Shows the step, clears the password and focuses the step's first field. */
void crm_setup_page_set_step(CrmSetupPage *self, CrmSetupStep step);
CrmSetupStep crm_setup_page_get_step(CrmSetupPage *self);
void crm_setup_page_set_server(CrmSetupPage *self, const char *server, const char *ca_file);
void crm_setup_page_set_username(CrmSetupPage *self, const char *username);
/* NULL hides the message. */
void crm_setup_page_set_error(CrmSetupPage *self, const char *message);
void crm_setup_page_set_busy(CrmSetupPage *self, gboolean busy);

G_END_DECLS

#endif
