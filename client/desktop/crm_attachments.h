/*
 * CrmAttachments: a record's attachments on its page (AttachList,
 * AttachBegin/Chunk/Commit/Abort, AttachRead, AttachDelete; docs/data.md,
 * "Attachments"): the list (name, size, who, when in the user's time
 * zone), "Attach File…" (GtkFileChooserNative), files dropped on the
 * widget given to crm_attachments_add_drop_target (GtkDropTarget of
 * GDK_TYPE_FILE_LIST), and per attachment Open (downloaded into the
 * user's cache directory, then the default application), Save As… and
 * Delete (after an AdwMessageDialog asks).
 *
 * Nothing blocks the main loop: files are read and hashed in GTask
 * threads, downloads written in them; requests go through CrmConn. An
 * upload sends the chunks the server plans, one at a time, each with its
 * SHA-256, with a progress bar; files dropped together go one after the
 * other. A download is written to a temporary file beside its
 * destination, its SHA-256 checked against the server's, and only then
 * given its name; a name from the server becomes a path only through
 * crm_attachments_sanitize_name.
 *
 * Signal "changed" (): an attachment came or went (the record page asks
 * its timeline again). Main thread only.
 */
#ifndef CRM_ATTACHMENTS_H
#define CRM_ATTACHMENTS_H

#include <gtk/gtk.h>

#include "crm_conn.h"

G_BEGIN_DECLS

/* A sanitised name's bytes at most (the server allows 255 characters). */
#define CRM_ATTACHMENTS_NAME_MAX 200

#define CRM_TYPE_ATTACHMENTS (crm_attachments_get_type())
G_DECLARE_FINAL_TYPE(CrmAttachments, crm_attachments, CRM, ATTACHMENTS, GtkWidget)

/* type: the record type's name ("account"); id: the record's. Lists the
 * attachments at once. */
GtkWidget *crm_attachments_new(CrmConn *conn, const char *type, gint64 id);
/* Lists them again. */
void crm_attachments_reload(CrmAttachments *self);
/* Files dropped on target are attached (the record page gives itself). */
void crm_attachments_add_drop_target(CrmAttachments *self, GtkWidget *target);
/* Attaches files (GFile), one after the other: what a drop does. */
void crm_attachments_upload(CrmAttachments *self, GSList *files);

/* What a save or an open ended with: path written (NULL on error). */
typedef void (*CrmAttachmentsDone)(const char *path, const GError *error, gpointer data);
/* Downloads attachment id to path (replacing it), checked: what Save As
 * does once the user chose. done may be NULL. */
void crm_attachments_save_to(CrmAttachments *self, gint64 id, const char *path,
			     CrmAttachmentsDone done, gpointer data);
/* Attachments listed now, uploads still going (tests). */
guint crm_attachments_get_count(CrmAttachments *self);

/*
 * A name from the server as one file name component (g_free): `crm attach
 * get`'s rules (crm_file_name_safe, client/filename.h: '_' for invalid
 * UTF-8, controls, bidi controls, '/', '\' and a leading '.'), at most
 * CRM_ATTACHMENTS_NAME_MAX bytes cut at a character's start;
 * "attachment-ID" when nothing is left.
 */
char *crm_attachments_sanitize_name(const char *name, gint64 id);

G_END_DECLS

#endif
