/*
 * crm_settings: server and ca from the shared settings file; see
 * crm_settings.h.
 */
#include "crm_settings.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "config.h"

static int one_key(void *data, const char *key, const char *value, const char *origin,
		   const char *base) {
	CrmSettings *s = data;

	if (strcmp(key, "server") == 0) {
		g_free(s->server);
		s->server = g_strdup(value);
	} else if (strcmp(key, "ca") == 0 && value[0] != '\0') {
		char *p = crm_config_resolve_path(value, base);

		g_free(s->ca);
		s->ca = g_strdup(p);
		free(p);
	}
	return 0; /* the CLI's keys are the CLI's business */
}

gboolean crm_settings_load(CrmSettings *s, GError **error) {
	char why[CRM_CONFIG_WHY_MAX], *path = crm_config_path();

	memset(s, 0, sizeof(*s));
	if (path == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    _("There is no home folder to keep the settings in."));
		return FALSE;
	}
	s->path = g_strdup(path);
	free(path);
	if (crm_config_load(s->path, one_key, s, why) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    _("The settings file could not be read: %s. Fix or remove it."), why);
		return FALSE;
	}
	return TRUE;
}

gboolean crm_settings_save(const CrmSettings *s, GError **error) {
	static const char *const keys[] = {"server", "ca"};
	const char *values[] = {s->server, s->ca};
	char why[CRM_CONFIG_WHY_MAX];

	if (s->path == NULL || !crm_config_save(s->path, keys, values, 2, why)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    _("The settings could not be saved: %s"), s->path ? why : _("there is no home folder"));
		return FALSE;
	}
	return TRUE;
}

void crm_settings_clear(CrmSettings *s) {
	g_free(s->server);
	g_free(s->ca);
	g_free(s->path);
	memset(s, 0, sizeof(*s));
}
