/*
 * CrmMeta: the server's metadata the generic views are built from, loaded
 * asynchronously and cached per connection: the record types the user may
 * read (RecordTypeList) and each type's fields (FieldList: kind, label,
 * required, limits, filterable, sortable, multi_line, references,
 * read_only; standard and custom fields alike), and pick lists.
 *
 * One CrmMeta per CrmConn (crm_meta_get); it lives as long as the
 * connection. Main thread only. Concurrent requests for the same thing
 * share one call to the server. What a _finish returns is the cache's and
 * stays valid until crm_meta_invalidate (after which the views ask again:
 * a custom field added meanwhile appears then).
 */
#ifndef CRM_META_H
#define CRM_META_H

#include <gio/gio.h>

#include "crm.pb-c.h"
#include "crm_conn.h"
#include "strbuf.h"

G_BEGIN_DECLS

#define CRM_TYPE_META (crm_meta_get_type())
G_DECLARE_FINAL_TYPE(CrmMeta, crm_meta, CRM, META, GObject)

/* The connection's metadata cache (created on first use; not a new
 * reference: it belongs to conn). */
CrmMeta *crm_meta_get(CrmConn *conn);
CrmConn *crm_meta_get_conn(CrmMeta *self);

void crm_meta_types_async(CrmMeta *self, GCancellable *cancel, GAsyncReadyCallback cb,
			  gpointer user_data);
const Crm__RecordTypeListReply *crm_meta_types_finish(CrmMeta *self, GAsyncResult *res,
						      GError **error);

/* type: a RecordTypeInfo name ("account"). */
void crm_meta_fields_async(CrmMeta *self, const char *type, GCancellable *cancel,
			   GAsyncReadyCallback cb, gpointer user_data);
const Crm__FieldListReply *crm_meta_fields_finish(CrmMeta *self, GAsyncResult *res,
						  GError **error);

/* name: a pick list's name ("industry"). */
void crm_meta_picklist_async(CrmMeta *self, const char *name, GCancellable *cancel,
			     GAsyncReadyCallback cb, gpointer user_data);
const Crm__Picklist *crm_meta_picklist_finish(CrmMeta *self, GAsyncResult *res, GError **error);

/* Drops everything cached; signal "changed" tells the views. */
void crm_meta_invalidate(CrmMeta *self);

/* ---- helpers over the replies (no I/O) ---- */

/* RECORD_TYPE_ACCOUNT for "account"; RECORD_TYPE_UNSPECIFIED if unknown. */
Crm__RecordType crm_meta_type_value(const char *type);
/* "account" for RECORD_TYPE_ACCOUNT (static), NULL if unknown. */
const char *crm_meta_type_name(Crm__RecordType type);
/* The field named name ("industry") in fields, or NULL. */
const Crm__FieldDef *crm_meta_field(const Crm__FieldListReply *fields, const char *name);
/* A field's name / label as a new string (g_free). */
char *crm_meta_field_name(const Crm__FieldDef *f);
char *crm_meta_field_label(const Crm__FieldDef *f);
/* The type's label ("Account"; plural: "Accounts") in the user's
 * language (the catalog's CRM_LABELS), or its name. */
const char *crm_meta_type_label(const Crm__RecordTypeInfo *t, gboolean plural);
/* The type's info in types, or NULL. */
const Crm__RecordTypeInfo *crm_meta_type_info(const Crm__RecordTypeListReply *types,
					      const char *type);

G_END_DECLS

#endif
