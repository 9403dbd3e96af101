/*
 * crm_errors: see crm_errors.h. One table: the first row whose status,
 * field and message start match gives the advice.
 */
#include "crm_errors.h"

#include <string.h>

#include <glib/gi18n.h>

#include "crm_conn.h"
#include "crm_status.h"

static const struct {
	int code;
	const char *field; /* NULL: any */
	const char *starts; /* the detail's start, NULL: any */
	const char *advice;
} advice[] = {
	{CRM_UNAVAILABLE, "ca", NULL,
	 N_("The server's certificate is not signed by the CA file you chose. Choose the CA "
	    "file your administrator gave you.")},
	{CRM_UNAVAILABLE, "server", "host name mismatch",
	 N_("The server's certificate is for another name. Enter the server under a name its "
	    "certificate lists.")},
	{CRM_UNAVAILABLE, NULL, NULL,
	 N_("The server cannot be reached. Check its address and your network; trying again "
	    "by itself.")},
	{CRM_INVALID_ARGUMENT, "ca", NULL,
	 N_("The CA file cannot be used. Choose a PEM certificate file.")},
	{CRM_INVALID_ARGUMENT, "server", NULL,
	 N_("The server address is not valid. Enter it as HOST:PORT.")},
	{CRM_UNAUTHENTICATED, NULL, NULL,
	 N_("The user name or password is wrong, or your session has ended. Check them and "
	    "log in again.")},
	{CRM_RESOURCE_EXHAUSTED, NULL, "too many failed logins",
	 N_("Logging in is locked for a while after too many failed attempts. Wait, then try "
	    "again.")},
	{CRM_RESOURCE_EXHAUSTED, NULL, NULL,
	 N_("The server is busy. Wait a moment, then try again.")},
	{CRM_PERMISSION_DENIED, NULL, NULL,
	 N_("You are not allowed to do this. Ask your administrator for access.")},
	{CRM_DEADLINE_EXCEEDED, NULL, NULL,
	 N_("The server did not answer in time. Try again.")},
	{CRM_NOT_FOUND, NULL, NULL,
	 N_("It is not there any more: someone may have deleted it. Reload the list.")},
	{CRM_CONN_ERROR_BUSY, NULL, NULL, N_("Too many requests are waiting. Try again soon.")},
};

char *crm_error_describe(const GError *error) {
	const char *field = crm_conn_error_field(error);

	if (error == NULL)
		return g_strdup(_("Something went wrong."));
	if (error->domain == CRM_CONN_ERROR)
		for (gsize i = 0; i < G_N_ELEMENTS(advice); i++) {
			if (advice[i].code != error->code)
				continue;
			if (advice[i].field != NULL && g_strcmp0(advice[i].field, field) != 0)
				continue;
			if (advice[i].starts != NULL && strstr(error->message, advice[i].starts) == NULL)
				continue;
			return g_strdup_printf("%s\n(%s)", _(advice[i].advice), error->message);
		}
	return g_strdup(error->message);
}

char *crm_error_describe_login(const GError *error) {
	if (error != NULL && error->domain == CRM_CONN_ERROR && error->code == CRM_UNAUTHENTICATED)
		return g_strdup_printf("%s\n(%s)",
				       _("The user name or password is wrong. Check them and try "
					 "again."),
				       error->message);
	return crm_error_describe(error);
}
