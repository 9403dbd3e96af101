/*
 * CrmNotifier: see crm_notifier.h. One Pending per event worth telling:
 * the type's field list (CrmMeta, cached) and the record (RecordGet) are
 * asked for, and the notification is made when both came.
 */
#include "crm_notifier.h"

#include <string.h>

#include <glib/gi18n.h>

#include "crm_display.h"
#include "crm_meta.h"
#include "crm_paged_model.h"
#include "crm_test_hooks.h"
#include "crmclient.h"
#include "recval.h"

struct _CrmNotifier {
	GObject parent_instance;
	GApplication *app; /* not owned */
	CrmConn *conn;     /* not owned */
	GCancellable *cancel;
};

G_DEFINE_FINAL_TYPE(CrmNotifier, crm_notifier, G_TYPE_OBJECT)

typedef struct {
	CrmNotifier *self; /* a reference */
	char *type, *kind;
	gint64 id;
	const Crm__FieldListReply *fields; /* CrmMeta's */
	CrmRow *record;
	guint waiting;
	gboolean failed;
} Pending;

static void pending_free(Pending *p) {
	g_clear_object(&p->record);
	g_object_unref(p->self);
	g_free(p->type);
	g_free(p->kind);
	g_free(p);
}

/* ---------------------------------------------------------------- the texts */

/* Who changed it, from the record (RecordMeta.updated_by). */
static char *changed_by(const ProtobufCMessage *rec, const char *type) {
	crm_sbuf b = {0};
	char *by;

	crm_sbuf_puts(&b, "");
	crm_recval_text(&b, rec, type, "updated_by", NULL);
	by = b.len > 0 ? g_strdup(b.p) : NULL;
	crm_sbuf_fini(&b);
	return by;
}

/* The body of a change notification: what was done, by whom. */
static char *change_body(const char *kind, const char *by) {
	if (strcmp(kind, "created") == 0)
		return g_strdup_printf(_("Created by %s"), by);
	if (strcmp(kind, "deleted") == 0)
		return g_strdup_printf(_("Deleted by %s"), by);
	if (strcmp(kind, "restored") == 0)
		return g_strdup_printf(_("Restored by %s"), by);
	if (strcmp(kind, "reassigned") == 0)
		return g_strdup_printf(_("Reassigned by %s"), by);
	if (strcmp(kind, "assigned") == 0)
		return g_strdup_printf(_("Assigned to you by %s"), by);
	return g_strdup_printf(_("Changed by %s"), by);
}

static char *reminder_body(const ProtobufCMessage *rec, const char *type) {
	int64_t due = 0;

	if (crm_recval_int(rec, type, "due_at", &due) && due != 0) {
		g_autofree char *when = crm_display_instant(due);

		/* TRANSLATORS: a reminder's body; %s is when the task is due ("2026-12-05 17:00") */
		return g_strdup_printf(_("Due %s"), when);
	}
	return g_strdup(_("A reminder you set"));
}

static void send(Pending *p, const char *id, const char *title, const char *body,
		 gboolean urgent) {
	g_autoptr(GNotification) n = g_notification_new(title);
	g_autofree char *target = g_strdup_printf("%s/%" G_GINT64_FORMAT, p->type, p->id);

	g_notification_set_body(n, body);
	g_notification_set_priority(n, urgent ? G_NOTIFICATION_PRIORITY_HIGH
					      : G_NOTIFICATION_PRIORITY_NORMAL);
	g_notification_set_default_action_and_target(n, "app.open-record", "s", target);
	g_notification_add_button_with_target(n, _("Open"), "app.open-record", "s", target);
	g_application_send_notification(p->self->app, id, n);
	crm_test_hooks_notification(id, title, body, "app.open-record", target);
}

/* Both answers are in: the notification, if there is one to make. */
static void notify(Pending *p) {
	const ProtobufCMessage *rec = crm_row_get_inner(p->record);
	const char *me = crm_conn_username(p->self->conn);
	g_autofree char *name = crm_display_record_name(rec, p->type, p->fields);
	g_autofree char *by = changed_by(rec, p->type);
	g_autofree char *id = g_strdup_printf("record-%s-%" G_GINT64_FORMAT, p->type, p->id);
	g_autofree char *title = NULL, *body = NULL;

	if (name == NULL)
		name = g_strdup_printf("#%" G_GINT64_FORMAT, p->id);
	if (strcmp(p->kind, "reminder") == 0) {
		/* TRANSLATORS: a notification's title; %s is the task's subject */
		title = g_strdup_printf(_("Reminder: %s"), name);
		body = reminder_body(rec, p->type);
		send(p, id, title, body, TRUE);
		return;
	}
	if (by == NULL || g_strcmp0(by, me) == 0)
		return; /* the user's own change */
	body = change_body(p->kind, by);
	send(p, id, name, body, FALSE);
}

/* ---------------------------------------------------------------- the requests */

static void one_done(Pending *p) {
	if (--p->waiting > 0)
		return;
	if (!p->failed && !g_cancellable_is_cancelled(p->self->cancel))
		notify(p);
	pending_free(p);
}

static void fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	Pending *p = data;

	p->fields = crm_meta_fields_finish(CRM_META(src), res, NULL);
	p->failed |= p->fields == NULL;
	one_done(p);
}

static void record_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	Pending *p = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, &error);

	if (f != NULL && f->response->body_case == CRM__RESPONSE__BODY_RECORD)
		p->record = crm_row_new_for_reply(f, f->response->record);
	else {
		crm_client_reply_free(f);
		p->failed = TRUE; /* purged, or no longer readable: nothing to tell */
	}
	one_done(p);
}

static gboolean worth_telling(const char *kind) {
	static const char *const kinds[] = {"reminder", "created",    "updated",  "deleted",
					    "restored", "reassigned", "assigned", NULL};

	return g_strv_contains(kinds, kind);
}

static void record_event(CrmConn *conn, const char *type, gint64 id, gint64 version,
			 const char *kind, gint64 at, CrmNotifier *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	Pending *p;

	if (!worth_telling(kind) || crm_meta_type_value(type) == 0)
		return;
	p = g_new0(Pending, 1);
	p->self = g_object_ref(self);
	p->type = g_strdup(type);
	p->kind = g_strdup(kind);
	p->id = id;
	p->waiting = 2;
	crm_meta_fields_async(crm_meta_get(conn), type, self->cancel, fields_loaded, p);
	get.has_type = get.has_id = TRUE;
	get.type = crm_meta_type_value(type);
	get.id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	crm_conn_call(conn, &req, self->cancel, record_loaded, p);
}

/* ---------------------------------------------------------------- GObject */

static void crm_notifier_dispose(GObject *obj) {
	CrmNotifier *self = CRM_NOTIFIER(obj);

	g_cancellable_cancel(self->cancel);
	if (self->conn != NULL)
		g_signal_handlers_disconnect_by_data(self->conn, self);
	self->conn = NULL;
	G_OBJECT_CLASS(crm_notifier_parent_class)->dispose(obj);
}

static void crm_notifier_finalize(GObject *obj) {
	g_clear_object(&CRM_NOTIFIER(obj)->cancel);
	G_OBJECT_CLASS(crm_notifier_parent_class)->finalize(obj);
}

static void crm_notifier_class_init(CrmNotifierClass *klass) {
	G_OBJECT_CLASS(klass)->dispose = crm_notifier_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_notifier_finalize;
}

static void crm_notifier_init(CrmNotifier *self) { self->cancel = g_cancellable_new(); }

CrmNotifier *crm_notifier_new(GApplication *app, CrmConn *conn) {
	CrmNotifier *self = g_object_new(CRM_TYPE_NOTIFIER, NULL);

	self->app = app;
	self->conn = conn;
	g_signal_connect(conn, "record-event", G_CALLBACK(record_event), self);
	return self;
}
