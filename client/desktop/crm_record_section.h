/*
 * CrmRecordSection: a titled group of the records one RecordList query
 * finds (at most CRM_RECORD_SECTION_MAX), for overviews such as My Tasks.
 * Built from the server's field list like the other views: each row is
 * titled by the record's name (crm_display_record_name) and its subtitle
 * gives the values of the detail fields chosen, by their labels; no code
 * per type.
 *
 * A quick action per row (crm_record_section_set_quick: a button that
 * sets one form field to a value, as "Complete" sets a task's status to
 * done) sends RecordUpdate with the version the row was listed with;
 * afterwards the section asks again. A version conflict is signalled
 * ("quick-conflict", the CrmRow as listed) for the caller to show the
 * form's conflict dialog; other errors show in the group's description.
 *
 * Signals: "open-record" (const char *type, gint64 id) on a row's
 * activation; "quick-conflict" (CrmRow *); "quick-done" (gint64 id).
 * Main thread only.
 */
#ifndef CRM_RECORD_SECTION_H
#define CRM_RECORD_SECTION_H

#include <gtk/gtk.h>

#include "crm_conn.h"
#include "crm_paged_model.h"

G_BEGIN_DECLS

#define CRM_RECORD_SECTION_MAX 100

#define CRM_TYPE_RECORD_SECTION (crm_record_section_get_type())
G_DECLARE_FINAL_TYPE(CrmRecordSection, crm_record_section, CRM, RECORD_SECTION, GtkWidget)

/* type: "task"; title: the group's; empty: shown when nothing is found. */
GtkWidget *crm_record_section_new(CrmConn *conn, const char *type, const char *title,
				  const char *empty);
/* The fields whose values make a row's subtitle (NULL-terminated). */
void crm_record_section_set_details(CrmRecordSection *self, const char *const *fields);
/* A button per row labelled label (a mnemonic) that sets form field path
 * (recset.h) to text; a11y_format names the row's record in its
 * accessible name ("Complete “%s”"). */
void crm_record_section_set_quick(CrmRecordSection *self, const char *label,
				  const char *a11y_format, const char *path, const char *text);
/* Sets the query (filters copied; sort_field NULL: the server's order)
 * and asks the server. */
void crm_record_section_set_query(CrmRecordSection *self, const char *sort_field,
				  const CrmPagedFilter *filters, guint n_filters);
/* Asks again with the same query. */
void crm_record_section_reload(CrmRecordSection *self);
/* Records shown now (tests). */
guint crm_record_section_get_count(CrmRecordSection *self);

G_END_DECLS

#endif
