/*
 * crm_errors: the words the desktop shows for a failed request or
 * connection: what went wrong and what to do, in the user's language,
 * followed by the server's (or libcrmclient's) own detail. Pure; any
 * thread.
 */
#ifndef CRM_ERRORS_H
#define CRM_ERRORS_H

#include <glib.h>

/* A new string for the user; error is a CRM_CONN_ERROR or any GError. */
char *crm_error_describe(const GError *error);

/* The same for a failed login, where UNAUTHENTICATED means a wrong user
 * name or password (not an ended session). */
char *crm_error_describe_login(const GError *error);

#endif
