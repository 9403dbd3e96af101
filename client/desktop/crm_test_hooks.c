/*
 * crm_test_hooks: see crm_test_hooks.h.
 */
#include "crm_test_hooks.h"

#include <stdio.h>
#include <string.h>

static CrmConn *(*conn_getter)(GtkApplication *app);

static void created(GObject *obj, GAsyncResult *res, gpointer data) {
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *reply = crm_conn_call_finish(CRM_CONN(obj), res, &error);
	const Crm__Record *r = reply ? reply->response->record : NULL;

	if (r != NULL && r->account != NULL && r->account->meta != NULL)
		fprintf(stderr, "test-create-account: ok %lld\n", (long long)r->account->meta->id);
	else
		fprintf(stderr, "test-create-account: error %s\n", error ? error->message : "?");
	crm_client_reply_free(reply);
}

static void create_account(GSimpleAction *action, GVariant *param, gpointer app) {
	CrmConn *conn = conn_getter(GTK_APPLICATION(app));
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Account acc = CRM__ACCOUNT__INIT;
	const char *name = g_variant_get_string(param, NULL);

	if (conn == NULL) {
		fprintf(stderr, "test-create-account: error no connection\n");
		return;
	}
	acc.has_name = TRUE;
	acc.name.data = (uint8_t *)name;
	acc.name.len = strlen(name);
	rec.kind_case = CRM__RECORD__KIND_ACCOUNT;
	rec.account = &acc;
	rc.record = &rec;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	req.record_create = &rc;
	crm_conn_call(conn, &req, NULL, created, NULL);
}

void crm_test_hooks_add(GtkApplication *app, CrmConn *(*conn_of)(GtkApplication *app)) {
	GSimpleAction *a;

	if (g_strcmp0(g_getenv("CRM_DESKTOP_TEST_HOOKS"), "1") != 0)
		return;
	conn_getter = conn_of;
	a = g_simple_action_new("test-create-account", G_VARIANT_TYPE_STRING);
	g_signal_connect(a, "activate", G_CALLBACK(create_account), app);
	g_action_map_add_action(G_ACTION_MAP(app), G_ACTION(a));
	g_object_unref(a);
}
