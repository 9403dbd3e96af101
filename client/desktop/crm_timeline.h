/*
 * CrmTimeline: a record's timeline on its page (TimelineList; docs/data.md,
 * "The timeline"): its interactions, tasks and change history merged,
 * newest first, 25 items a page. A drop-down filters by kind (every kind,
 * or one: call, meeting, email, visit, message, note, task, change);
 * "Show More" asks for the next page with the reply's keyset cursor and
 * appends it. Times are shown in the user's time zone (crm_display).
 *
 * crm_timeline_reload asks for the first page again (the record page calls
 * it when a pushed event says the record changed, on a resync and after an
 * attachment came or went); the rows shown stay until the answer comes.
 * An interaction's or a task's row opens it: signal "open-record"
 * (const char *type, gint64 id). Main thread only.
 */
#ifndef CRM_TIMELINE_H
#define CRM_TIMELINE_H

#include <gtk/gtk.h>

#include "crm_conn.h"

G_BEGIN_DECLS

#define CRM_TIMELINE_PAGE 25

#define CRM_TYPE_TIMELINE (crm_timeline_get_type())
G_DECLARE_FINAL_TYPE(CrmTimeline, crm_timeline, CRM, TIMELINE, GtkWidget)

/* type: the record type's name ("account"); id: the record's. Asks for the
 * first page at once. */
GtkWidget *crm_timeline_new(CrmConn *conn, const char *type, gint64 id);
/* Asks for the first page again, with the kind chosen. */
void crm_timeline_reload(CrmTimeline *self);
/* Items shown now (tests). */
guint crm_timeline_get_count(CrmTimeline *self);

G_END_DECLS

#endif
