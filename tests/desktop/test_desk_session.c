/*
 * crm-desktop's session against a live crmd (no display), as CrmConn and
 * crm_display do it: after a login the profile's time zone and locale are
 * known, the locale is kept in the session file for the next start, a
 * record's instants show in the profile's time zone and its counts and
 * money with the profile locale's separators (crm_display_value, what the
 * list cells and the record page write); then Log Out sends Logout, so the
 * old token no longer resumes. Started by test_desk_session.py, which
 * makes the user and the account and checks the database afterwards:
 *
 *   CRM_TEST_SERVER, CRM_TEST_CA, CRM_TEST_USER, CRM_TEST_PASSWORD
 *   CRM_TEST_SESSION_FILE  where the desktop keeps its session
 *   CRM_TEST_ACCOUNT_ID    an account the user may read
 *   CRM_TEST_ZONE, CRM_TEST_LOCALE  the user's profile (Asia/Shanghai, zh-CN)
 *   CRM_TEST_CREATED       the account's created_at as the zone shows it
 *   CRM_TEST_EMPLOYEES, CRM_TEST_REVENUE  its employees and annual revenue
 *                          as the locale writes them ("12,500")
 *
 * Prints "token=..." (the session's token, for the caller to try) and
 * exits 0 when every check held; 77 (skipped) without CRM_TEST_SERVER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "crm_conn.h"
#include "crm_display.h"
#include "recval.h"
#include "session.h"

#define CHECK_STR(got, want)                                                                \
	do {                                                                                \
		const char *g_ = (got), *w_ = (want);                                       \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                                    \
			fprintf(stderr, "%s:%d: got '%s', want '%s'\n", __FILE__, __LINE__, \
				g_ ? g_ : "(null)", w_);                                    \
			failures++;                                                         \
		}                                                                           \
	} while (0)

static const char *need(const char *name) {
	const char *v = getenv(name);

	if (v == NULL) {
		fprintf(stderr, "test_desk_session: %s is not set\n", name);
		exit(2);
	}
	return v;
}

/* ---------------------------------------------------------------- the loop */

typedef struct {
	gboolean done;
	GAsyncResult *res;
} Wait;

static gboolean timed_out(gpointer data) {
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static void got(GObject *src, GAsyncResult *res, gpointer data) {
	Wait *w = data;

	w->res = g_object_ref(res);
	w->done = TRUE;
}

/* Runs the loop until *flag or 30 s pass. */
static gboolean run_until(const gboolean *flag) {
	gboolean late = FALSE;
	guint id = g_timeout_add(30000, timed_out, &late);

	while (!*flag && !late)
		g_main_context_iteration(NULL, TRUE);
	if (!late)
		g_source_remove(id);
	return !late;
}

static void state_is(CrmConn *conn, GParamSpec *p, gpointer data) {
	gboolean *reached = data;

	*reached = crm_conn_get_state(conn) == CRM_CONN_NEEDS_LOGIN;
}

/* ---------------------------------------------------------------- the checks */

/* The account as the record page gets it. */
static Crm__ServerFrame *get_account(CrmConn *conn, gint64 id) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f;
	Wait w = {0};

	get.has_type = get.has_id = TRUE;
	get.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
	get.id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	crm_conn_call(conn, &req, NULL, got, &w);
	if (!run_until(&w.done)) {
		fprintf(stderr, "test_desk_session: no RecordGet answer\n");
		exit(1);
	}
	f = crm_conn_call_finish(conn, w.res, &error);
	g_object_unref(w.res);
	if (f == NULL)
		fprintf(stderr, "test_desk_session: RecordGet: %s\n", error->message);
	return f;
}

/* Field name of the account as crm_display_value writes it. */
static char *shown(const Crm__ServerFrame *f, const char *name) {
	const ProtobufCMessage *rec = crm_recval_inner(f->response->record);
	crm_sbuf b = {0};
	char *out;

	crm_sbuf_puts(&b, "");
	if (!crm_display_value(&b, rec, "account", name, NULL))
		crm_sbuf_puts(&b, "<none>");
	out = g_strdup(b.p);
	crm_sbuf_fini(&b);
	return out;
}

static void check_values(CrmConn *conn) {
	Crm__ServerFrame *f = get_account(conn, g_ascii_strtoll(need("CRM_TEST_ACCOUNT_ID"), NULL, 10));
	g_autofree char *created = NULL, *employees = NULL, *revenue = NULL, *id = NULL;

	if (f == NULL) {
		failures++;
		return;
	}
	created = shown(f, "created_at");
	employees = shown(f, "employees");
	revenue = shown(f, "annual_revenue");
	id = shown(f, "id");
	CHECK_STR(created, need("CRM_TEST_CREATED"));
	CHECK_STR(employees, need("CRM_TEST_EMPLOYEES"));
	CHECK_STR(revenue, need("CRM_TEST_REVENUE"));
	CHECK_STR(id, need("CRM_TEST_ACCOUNT_ID")); /* identifiers are never grouped */
	crm_client_reply_free(f);
	/* a zone this machine does not know: the environment's (TZ=UTC here) */
	crm_display_set_time_zone("Mars/Olympus_Mons");
	g_autofree char *epoch = crm_display_instant(0);
	CHECK_STR(epoch, "1970-01-01 00:00");
	crm_display_set_time_zone(need("CRM_TEST_ZONE"));
}

int main(void) {
	const char *server = getenv("CRM_TEST_SERVER"), *path;
	g_autoptr(GError) error = NULL;
	char why[CRM_SESSION_WHY_MAX];
	crm_session s = {0};
	gboolean logged_out = FALSE;
	Wait login = {0};
	CrmConn *conn;

	if (server == NULL)
		return 77;
	path = need("CRM_TEST_SESSION_FILE");
	/* what main.c does at start: the separators of the session's locale,
	 * none kept yet, so the profile's is passed as the next start would */
	crm_display_init(need("CRM_TEST_LOCALE"));
	conn = crm_conn_new(server, need("CRM_TEST_CA"));
	crm_conn_set_session_file(conn, path);
	crm_conn_start(conn);
	crm_conn_login(conn, need("CRM_TEST_USER"), need("CRM_TEST_PASSWORD"), NULL, got, &login);
	if (!run_until(&login.done) || !crm_conn_login_finish(conn, login.res, &error)) {
		fprintf(stderr, "test_desk_session: login: %s\n", error ? error->message : "timeout");
		return 1;
	}
	g_object_unref(login.res);

	/* the profile from the LoginReply, the locale kept for the next start */
	CHECK_STR(crm_conn_get_time_zone(conn), need("CRM_TEST_ZONE"));
	CHECK_STR(crm_conn_get_locale(conn), need("CRM_TEST_LOCALE"));
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_OK);
	CHECK_STR(s.locale, need("CRM_TEST_LOCALE"));
	CHECK(s.token != NULL && s.session_id > 0);
	if (s.token != NULL)
		printf("token=%s\n", s.token);
	crm_session_clear(&s);

	crm_display_set_time_zone(crm_conn_get_time_zone(conn)); /* as CrmWindow does */
	check_values(conn);

	/* Log Out: Logout goes to crmd, then the session is forgotten */
	g_signal_connect(conn, "notify::state", G_CALLBACK(state_is), &logged_out);
	crm_conn_logout(conn);
	CHECK(run_until(&logged_out));
	CHECK(crm_conn_get_state(conn) == CRM_CONN_NEEDS_LOGIN);
	CHECK(crm_conn_username(conn) == NULL);
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_NONE);
	crm_session_clear(&s);
	/* the next login goes out on the new connection: a wrong password is
	 * refused there (and the connect thread has ended before the exit) */
	login = (Wait){0};
	g_clear_error(&error);
	crm_conn_login(conn, need("CRM_TEST_USER"), "not-the-password", NULL, got, &login);
	CHECK(run_until(&login.done));
	CHECK(login.res != NULL && !crm_conn_login_finish(conn, login.res, &error) &&
	      error != NULL && error->code == CRM_UNAUTHENTICATED);
	g_clear_object(&login.res);
	g_object_run_dispose(G_OBJECT(conn));
	g_object_unref(conn);
	fflush(stdout);
	return checks_result("test_desk_session");
}
