/*
 * crm_settings: the desktop's view of the settings file `crm` reads
 * (client/config.c): the server and the CA file. Other keys in the file
 * (format, timeout, cert, key) are the CLI's and are kept untouched when
 * the desktop writes it. Main thread only.
 */
#ifndef CRM_SETTINGS_H
#define CRM_SETTINGS_H

#include <glib.h>

typedef struct {
	char *server; /* "HOST:PORT" or NULL */
	char *ca;     /* absolute path of the CA file, or NULL */
	char *path;   /* the config file's path */
} CrmSettings;

/* Fills s (zeroed first); a missing file is no error. */
gboolean crm_settings_load(CrmSettings *s, GError **error);

/* Writes server and ca into the file (other keys are kept). */
gboolean crm_settings_save(const CrmSettings *s, GError **error);

void crm_settings_clear(CrmSettings *s);

#endif
