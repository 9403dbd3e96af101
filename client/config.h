/*
 * config: the settings file that `crm` and crm-desktop share
 * ($XDG_CONFIG_HOME/crm/config, else ~/.config/crm/config), read and
 * written the same way by both.
 *
 * The file is `key = value` lines; blank lines and lines starting with #
 * are ignored; a value may be put in double quotes; relative paths in it
 * are relative to the file's folder (crm_config_resolve_path). What each
 * key means is the reader's business (client/crm/settings.c, the
 * desktop's settings); this module only reads and writes lines.
 *
 * Not thread-safe; no network.
 */
#ifndef CRM_CONFIG_H
#define CRM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* room for a 511-byte "PATH:LINE" and the message after it */
#define CRM_CONFIG_WHY_MAX 768

/* The config file's path (malloc'd); NULL when there is no HOME either. */
char *crm_config_path(void);

/* A file beside the config file, $XDG_CONFIG_HOME/crm/NAME (malloc'd). */
char *crm_config_sibling_path(const char *name);

/*
 * Called for each `key = value` line: origin is "PATH:LINE", base the
 * file's folder (for relative paths). A non-zero return stops the reading
 * and is returned by crm_config_load.
 */
typedef int (*crm_config_fn)(void *userdata, const char *key, const char *value,
			     const char *origin, const char *base);

/*
 * Reads path line by line into fn. A missing file is no error (0). Returns
 * 0, fn's non-zero return, or -1 with why set ("ORIGIN: what is wrong")
 * for a file that cannot be read or a line that is not `key = value`.
 */
int crm_config_load(const char *path, crm_config_fn fn, void *userdata,
		    char why[CRM_CONFIG_WHY_MAX]);

/* A path from the config file: ~/ is the home folder, relative paths are
 * relative to base (may be NULL). malloc'd; NULL when out of memory. */
char *crm_config_resolve_path(const char *value, const char *base);

/*
 * Sets keys[i] = values[i] in the file at path, keeping every other line
 * (comments, keys it does not name) as it was; a NULL value removes the
 * key. Written to a new file and renamed into place, in folders created
 * 0700; the file is 0644 (it holds no secret).
 */
bool crm_config_save(const char *path, const char *const *keys, const char *const *values,
		     size_t n, char why[CRM_CONFIG_WHY_MAX]);

#endif
