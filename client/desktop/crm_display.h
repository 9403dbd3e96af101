/*
 * crm_display: how crm-desktop writes values for people, the same way in
 * the list cells and on the record page: instants in the signed-in user's
 * profile time zone, counts and money amounts with the separators of the
 * profile locale (the formatting `crm`'s tables use: client/output.c's
 * crm_numfmt, through client/recval.c). docs/i18n.md has the rules.
 *
 * Process-wide settings; main thread only (crm_display_init before any
 * other thread runs: it reads the locale with setlocale).
 */
#ifndef CRM_DISPLAY_H
#define CRM_DISPLAY_H

#include <glib.h>

#include "crm.pb-c.h"
#include "strbuf.h"

G_BEGIN_DECLS

/*
 * The separators of profile_locale ("zh-CN"), unless the environment
 * names a locale for numbers or money itself (LC_ALL, LC_NUMERIC,
 * LC_MONETARY) or the machine lacks it: then the environment's. NULL: the
 * environment's. Call once, in main, before any thread starts.
 */
void crm_display_init(const char *profile_locale);

/* The zone instants are shown in: an IANA name ("Asia/Shanghai"); NULL,
 * "" or a name this machine's tzdata lacks: the environment's (TZ, else
 * the system's). */
void crm_display_set_time_zone(const char *iana);

/* Now in that zone (g_date_time_unref): where the user's days begin. */
GDateTime *crm_display_now(void);

/* An instant (µs since the epoch) as "2026-12-05 00:47" in that zone
 * (g_free it). */
char *crm_display_instant(gint64 us);

/* crm_recval_text in this style, a standard enum field's value
 * ("prospect") and yes/no in the user's language from the catalog: false
 * (nothing written) when rec has no value for field `name`. */
gboolean crm_display_value(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
			   const char *name, const Crm__FieldListReply *labels);

/* The name people know a record by: the first text field they write (not
 * read-only, one line, not empty) in the order of fields ("Acme", a
 * task's subject), or NULL (g_free). The record page's title, the
 * notifications' and My Tasks' rows. */
char *crm_display_record_name(const ProtobufCMessage *rec, const char *type,
			      const Crm__FieldListReply *fields);

G_END_DECLS

#endif
