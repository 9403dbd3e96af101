/*
 * CrmMeta: the metadata cache of one connection; see crm_meta.h.
 *
 * Each thing cached is an Entry under a key ("types", "fields/account",
 * "picklist/industry"): the server's reply once it came, or the tasks
 * waiting for the one call in flight. A failed call caches nothing (the
 * next view asks again).
 */
#include "crm_meta.h"
#include "recval.h"

#include <string.h>

#include <glib/gi18n.h>

#include "crm_status.h"
#include "crmclient.h"

typedef struct {
	Crm__ServerFrame *reply; /* NULL while loading */
	GPtrArray *waiters;      /* GTask*, finished when the reply comes */
	guint generation;        /* the cache's generation when asked */
} Entry;

struct _CrmMeta {
	GObject parent_instance;
	CrmConn *conn; /* not a reference: the conn owns this object */
	GHashTable *entries; /* key -> Entry* */
	guint generation;    /* bumped by invalidate: late replies are not cached */
	GPtrArray *stale;    /* replies that came after an invalidate */
};

G_DEFINE_FINAL_TYPE(CrmMeta, crm_meta, G_TYPE_OBJECT)

enum { SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void entry_free(gpointer p) {
	Entry *e = p;

	if (e->reply != NULL)
		crm_client_reply_free(e->reply);
	if (e->waiters != NULL)
		g_ptr_array_unref(e->waiters);
	g_free(e);
}

static void crm_meta_finalize(GObject *object) {
	CrmMeta *self = CRM_META(object);

	g_hash_table_unref(self->entries);
	g_ptr_array_unref(self->stale);
	G_OBJECT_CLASS(crm_meta_parent_class)->finalize(object);
}

static void crm_meta_class_init(CrmMetaClass *klass) {
	G_OBJECT_CLASS(klass)->finalize = crm_meta_finalize;
	signals[SIG_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void crm_meta_init(CrmMeta *self) {
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	self->stale = g_ptr_array_new_with_free_func((GDestroyNotify)crm_client_reply_free);
}

CrmMeta *crm_meta_get(CrmConn *conn) {
	CrmMeta *self = g_object_get_data(G_OBJECT(conn), "crm-meta");

	if (self == NULL) {
		self = g_object_new(CRM_TYPE_META, NULL);
		self->conn = conn;
		g_object_set_data_full(G_OBJECT(conn), "crm-meta", self, g_object_unref);
	}
	return self;
}

CrmConn *crm_meta_get_conn(CrmMeta *self) { return self->conn; }

void crm_meta_invalidate(CrmMeta *self) {
	GHashTableIter it;
	gpointer v;

	self->generation++;
	/* loading entries stay (their waiters still get the reply) */
	g_hash_table_iter_init(&it, self->entries);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		Entry *e = v;

		if (e->reply == NULL)
			continue;
		/* a task answered with it may not have called back yet */
		g_ptr_array_add(self->stale, e->reply);
		e->reply = NULL;
		g_hash_table_iter_remove(&it);
	}
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

/* ---------------------------------------------------------------- one cached call */

typedef struct {
	CrmMeta *self; /* a reference while the call runs */
	char *key;
} Pending;

static void finish_waiters(GPtrArray *waiters, const Crm__ServerFrame *reply, const GError *error) {
	for (guint i = 0; i < waiters->len; i++) {
		GTask *t = g_ptr_array_index(waiters, i);

		if (error != NULL)
			g_task_return_error(t, g_error_copy(error));
		else
			g_task_return_pointer(t, (gpointer)reply, NULL);
	}
}

static void call_done(GObject *src, GAsyncResult *res, gpointer user_data) {
	Pending *p = user_data;
	Entry *e = g_hash_table_lookup(p->self->entries, p->key);
	GError *error = NULL;
	Crm__ServerFrame *reply = crm_conn_call_finish(CRM_CONN(src), res, &error);
	GPtrArray *waiters = e->waiters;

	e->waiters = NULL;
	if (error == NULL && e->generation == p->self->generation) {
		e->reply = reply; /* the waiters read it from the cache */
		finish_waiters(waiters, reply, NULL);
	} else {
		/* failed, or invalidated meanwhile: answer, keep nothing */
		finish_waiters(waiters, reply, error);
		/* the waiters may read it later: kept until the end (rare) */
		if (reply != NULL)
			g_ptr_array_add(p->self->stale, reply);
		g_clear_error(&error);
		g_hash_table_remove(p->self->entries, p->key); /* e is empty now */
	}
	g_ptr_array_unref(waiters);
	g_object_unref(p->self);
	g_free(p->key);
	g_free(p);
}

/* The three kinds of metadata; want[kind] is the reply each must be, and
 * its address the tasks' source tag. */
typedef enum { META_TYPES, META_FIELDS, META_PICKLIST } Kind;

static const Crm__Response__BodyCase want[] = {
	[META_TYPES] = CRM__RESPONSE__BODY_RECORD_TYPE_LIST,
	[META_FIELDS] = CRM__RESPONSE__BODY_FIELD_LIST,
	[META_PICKLIST] = CRM__RESPONSE__BODY_PICKLIST_LIST,
};

/* Answers from the cache, or joins the call in flight, or makes one
 * (req: the request to send for key). */
static void cached_call(CrmMeta *self, const char *key, Crm__ClientFrame *req, Kind kind,
			GCancellable *cancel, GAsyncReadyCallback cb, gpointer user_data) {
	GTask *task = g_task_new(self, cancel, cb, user_data);
	Entry *e = g_hash_table_lookup(self->entries, key);
	Pending *p;

	g_task_set_source_tag(task, (gpointer)&want[kind]);
	g_task_set_check_cancellable(task, FALSE);
	if (e != NULL && e->reply != NULL) {
		g_task_return_pointer(task, e->reply, NULL);
		g_object_unref(task);
		return;
	}
	if (e != NULL) {
		g_ptr_array_add(e->waiters, task);
		return;
	}
	e = g_new0(Entry, 1);
	e->waiters = g_ptr_array_new_with_free_func(g_object_unref);
	e->generation = self->generation;
	g_ptr_array_add(e->waiters, task);
	g_hash_table_insert(self->entries, g_strdup(key), e);
	p = g_new0(Pending, 1);
	p->self = g_object_ref(self);
	p->key = g_strdup(key);
	/* one call for every waiter: it is not cancelled with one of them */
	crm_conn_call(self->conn, req, NULL, call_done, p);
}

/* Asks for one kind: arg is the type ("account") or the pick list's name,
 * NULL for the types. Cached under "types", "fields/account",
 * "picklist/industry". */
static void meta_async(CrmMeta *self, Kind kind, const char *arg, GCancellable *cancel,
		       GAsyncReadyCallback cb, gpointer user_data) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordTypeList tl = CRM__RECORD_TYPE_LIST__INIT;
	Crm__FieldList fl = CRM__FIELD_LIST__INIT;
	Crm__PicklistList pl = CRM__PICKLIST_LIST__INIT;
	g_autofree char *key = NULL;

	switch (kind) {
	case META_TYPES:
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_TYPE_LIST;
		req.record_type_list = &tl;
		key = g_strdup("types");
		break;
	case META_FIELDS:
		fl.has_record_type = TRUE;
		fl.record_type = crm_meta_type_value(arg);
		req.request_case = CRM__CLIENT_FRAME__REQUEST_FIELD_LIST;
		req.field_list = &fl;
		key = g_strconcat("fields/", arg, NULL);
		break;
	case META_PICKLIST:
		pl.has_name = TRUE;
		pl.name.data = (uint8_t *)arg;
		pl.name.len = strlen(arg);
		req.request_case = CRM__CLIENT_FRAME__REQUEST_PICKLIST_LIST;
		req.picklist_list = &pl;
		key = g_strconcat("picklist/", arg, NULL);
		break;
	}
	cached_call(self, key, &req, kind, cancel, cb, user_data);
}

/* The reply's body for a task of meta_async(kind), or NULL with *error set. */
static const Crm__Response *meta_finish(CrmMeta *self, GAsyncResult *res, Kind kind,
					GError **error) {
	const Crm__ServerFrame *reply;

	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(res)) == &want[kind], NULL);
	reply = g_task_propagate_pointer(G_TASK(res), error);
	if (reply == NULL)
		return NULL;
	if (reply->kind_case != CRM__SERVER_FRAME__KIND_RESPONSE ||
	    reply->response->body_case != want[kind]) {
		g_set_error(error, CRM_CONN_ERROR, CRM_INTERNAL, "%s",
			    _("The server sent an answer of the wrong kind."));
		return NULL;
	}
	return reply->response;
}

/* ---------------------------------------------------------------- the public calls */

void crm_meta_types_async(CrmMeta *self, GCancellable *cancel, GAsyncReadyCallback cb,
			  gpointer user_data) {
	meta_async(self, META_TYPES, NULL, cancel, cb, user_data);
}

void crm_meta_fields_async(CrmMeta *self, const char *type, GCancellable *cancel,
			   GAsyncReadyCallback cb, gpointer user_data) {
	meta_async(self, META_FIELDS, type, cancel, cb, user_data);
}

void crm_meta_picklist_async(CrmMeta *self, const char *name, GCancellable *cancel,
			     GAsyncReadyCallback cb, gpointer user_data) {
	meta_async(self, META_PICKLIST, name, cancel, cb, user_data);
}

const Crm__RecordTypeListReply *crm_meta_types_finish(CrmMeta *self, GAsyncResult *res,
						      GError **error) {
	const Crm__Response *r = meta_finish(self, res, META_TYPES, error);

	return r ? r->record_type_list : NULL;
}

const Crm__FieldListReply *crm_meta_fields_finish(CrmMeta *self, GAsyncResult *res,
						  GError **error) {
	const Crm__Response *r = meta_finish(self, res, META_FIELDS, error);

	return r ? r->field_list : NULL;
}

const Crm__Picklist *crm_meta_picklist_finish(CrmMeta *self, GAsyncResult *res, GError **error) {
	const Crm__Response *r = meta_finish(self, res, META_PICKLIST, error);

	if (r == NULL)
		return NULL;
	if (r->picklist_list->n_picklists == 0) {
		g_set_error(error, CRM_CONN_ERROR, CRM_NOT_FOUND, "%s",
			    _("The pick list does not exist."));
		return NULL;
	}
	return r->picklist_list->picklists[0];
}

/* ---------------------------------------------------------------- helpers */

Crm__RecordType crm_meta_type_value(const char *type) {
	g_autofree char *up = g_ascii_strup(type, -1);
	g_autofree char *name = g_strconcat("RECORD_TYPE_", up, NULL);
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value_by_name(&crm__record_type__descriptor, name);

	return v != NULL ? (Crm__RecordType)v->value : CRM__RECORD_TYPE__RECORD_TYPE_UNSPECIFIED;
}

const char *crm_meta_type_name(Crm__RecordType type) {
	static GHashTable *names; /* value -> "account"; main thread only */
	const ProtobufCEnumValue *v;

	if (names == NULL)
		names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (!g_hash_table_contains(names, GINT_TO_POINTER(type))) {
		v = protobuf_c_enum_descriptor_get_value(&crm__record_type__descriptor, (int)type);
		if (v == NULL || type == CRM__RECORD_TYPE__RECORD_TYPE_UNSPECIFIED)
			return NULL;
		g_hash_table_insert(names, GINT_TO_POINTER(type),
				    g_ascii_strdown(v->name + strlen("RECORD_TYPE_"), -1));
	}
	return g_hash_table_lookup(names, GINT_TO_POINTER(type));
}

static gboolean bytes_is(const ProtobufCBinaryData *b, const char *s) {
	size_t n = strlen(s);

	return b->len == n && memcmp(b->data, s, n) == 0;
}

const Crm__FieldDef *crm_meta_field(const Crm__FieldListReply *fields, const char *name) {
	for (size_t i = 0; fields != NULL && i < fields->n_fields; i++)
		if (fields->fields[i]->has_name && bytes_is(&fields->fields[i]->name, name))
			return fields->fields[i];
	return NULL;
}

char *crm_meta_field_name(const Crm__FieldDef *f) {
	return g_strndup((const char *)f->name.data, f->has_name ? f->name.len : 0);
}

/* A standard field's label is one of the catalog's (CRM_LABELS, made from
 * crm.proto): shown in the user's language. A custom field's is the
 * administrator's own words, shown as written. */
char *crm_meta_field_label(const Crm__FieldDef *f) {
	g_autofree char *label = NULL;

	if (!f->has_label || f->label.len == 0)
		return crm_meta_field_name(f);
	label = g_strndup((const char *)f->label.data, f->label.len);
	return f->standard ? g_strdup(_(label)) : g_steal_pointer(&label);
}

const char *crm_meta_type_label(const Crm__RecordTypeInfo *t, gboolean plural) {
	const char *l = plural ? t->plural_label : t->label;

	return l != NULL && l[0] != '\0' ? _(l) : t->name;
}

const Crm__RecordTypeInfo *crm_meta_type_info(const Crm__RecordTypeListReply *types,
					      const char *type) {
	for (size_t i = 0; types != NULL && i < types->n_types; i++)
		if (g_strcmp0(types->types[i]->name, type) == 0)
			return types->types[i];
	return NULL;
}
