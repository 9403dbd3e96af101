/*
 * test_client_session: libcrmclient's session handling against a live
 * crmd.
 *
 *  1. Before login the frame limit is the server's pre-login one: a large
 *     request is refused locally, never sent.
 *  2. Login through crm_client_call: the client keeps the token and takes
 *     the larger limit from the LoginReply; the same request now goes out.
 *  3. A dropped connection: the next call reconnects and resumes the
 *     session by itself (WhoAmI answers with the same user), and so does
 *     an explicit crm_client_reconnect.
 *  4. A client connecting with the token resumes; a made-up token fails
 *     the connect with UNAUTHENTICATED.
 *  5. Logout clears the token and the limit; the revoked token no longer
 *     connects.
 *
 * Needs CRM_TEST_SERVER, CRM_TEST_CA, CRM_TEST_USER and CRM_TEST_PASSWORD
 * (tests/client/test_cli_identity.py sets them); without them it exits 77
 * (skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crmclient.h"
#include "checks.h"

static const char *server, *ca, *user, *password;

static crm_client *connect_with(const char *token, crm_err *err) {
	crm_client_options o;

	crm_client_options_init(&o);
	o.server = server;
	o.ca_file = ca;
	o.client_name = "test_client_session";
	o.session_token = token;
	crm_err_clear(err);
	return crm_client_connect(&o, err);
}

static void set_bytes(ProtobufCBinaryData *b, protobuf_c_boolean *has, const char *s) {
	*has = true;
	b->data = (uint8_t *)s;
	b->len = strlen(s);
}

/* A UserUpdate naming many teams to manage: ~24 KiB, above the pre-login
 * limit (16 KiB by default) and far below the logged-in one. */
static bool send_big(crm_client *c, crm_err *err) {
	static ProtobufCBinaryData names[600];
	static char name[] = "no-such-team-0123456789012345678";
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__UserUpdate uu = CRM__USER_UPDATE__INIT;
	Crm__ServerFrame *reply = NULL;
	size_t i;
	bool ok;

	for (i = 0; i < 600; i++) {
		names[i].data = (uint8_t *)name;
		names[i].len = strlen(name);
	}
	set_bytes(&uu.username, &uu.has_username, user);
	uu.manages = names;
	uu.n_manages = 600;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_USER_UPDATE;
	f.user_update = &uu;
	crm_err_clear(err);
	ok = crm_client_call(c, &f, &reply, err);
	crm_client_reply_free(reply);
	return ok;
}

/* WhoAmI; true when it names our user. */
static bool whoami(crm_client *c, crm_err *err) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__WhoAmI w = CRM__WHO_AM_I__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__User *u = NULL;
	bool ok;

	f.request_case = CRM__CLIENT_FRAME__REQUEST_WHOAMI;
	f.whoami = &w;
	crm_err_clear(err);
	ok = crm_client_call(c, &f, &reply, err);
	if (ok && reply->response->body_case == CRM__RESPONSE__BODY_USER)
		u = reply->response->user;
	else if (ok && reply->response->body_case == CRM__RESPONSE__BODY_LOGIN)
		u = reply->response->login->user;
	ok = ok && u != NULL && u->username != NULL && strcmp(u->username, user) == 0;
	crm_client_reply_free(reply);
	return ok;
}

static bool simple(crm_client *c, Crm__ClientFrame *f, crm_err *err) {
	Crm__ServerFrame *reply = NULL;
	bool ok;

	crm_err_clear(err);
	ok = crm_client_call(c, f, &reply, err);
	crm_client_reply_free(reply);
	return ok;
}

static bool login(crm_client *c, crm_err *err) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__Login l = CRM__LOGIN__INIT;

	set_bytes(&l.username, &l.has_username, user);
	set_bytes(&l.password, &l.has_password, password);
	f.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
	f.login = &l;
	return simple(c, &f, err);
}

static bool logout(crm_client *c, crm_err *err) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__Logout l = CRM__LOGOUT__INIT;

	f.request_case = CRM__CLIENT_FRAME__REQUEST_LOGOUT;
	f.logout = &l;
	return simple(c, &f, err);
}

int main(void) {
	crm_client *c, *c2;
	uint32_t preauth;
	char *token = NULL;
	crm_err err;

	server = getenv("CRM_TEST_SERVER");
	ca = getenv("CRM_TEST_CA");
	user = getenv("CRM_TEST_USER");
	password = getenv("CRM_TEST_PASSWORD");
	if (!server || !ca || !user || !password) {
		printf("test_client_session: skipped (CRM_TEST_SERVER, CRM_TEST_CA, CRM_TEST_USER, "
		       "CRM_TEST_PASSWORD not set)\n");
		return 77;
	}
	c = connect_with(NULL, &err);
	if (c == NULL) {
		fprintf(stderr, "connect: %s\n", err.msg);
		return 1;
	}

	/* 1 */
	preauth = crm_client_server(c)->max_frame;
	CHECK(!crm_client_server(c)->authenticated);
	CHECK(crm_client_session_token(c) == NULL);
	CHECK(!send_big(c, &err) && err.code == CRM_INVALID_ARGUMENT &&
	      strstr(err.msg, "accepts at most") != NULL);
	CHECK(crm_client_connected(c)); /* refused locally: the connection is fine */

	/* 2 */
	CHECK(login(c, &err));
	CHECK(crm_client_session_token(c) != NULL);
	CHECK(crm_client_server(c)->authenticated);
	CHECK(crm_client_server(c)->session_id > 0);
	CHECK(crm_client_server(c)->max_frame > preauth);
	CHECK(strcmp(crm_client_server(c)->time_zone, "UTC") == 0); /* the profile's default */
	if (!send_big(c, &err)) { /* sent: the server may not like the teams, but got it */
		CHECK(strstr(err.msg, "accepts at most") == NULL);
		CHECK(err.code != CRM_RESOURCE_EXHAUSTED && err.code != CRM_UNAVAILABLE);
	}
	CHECK(crm_client_connected(c));
	if (crm_client_session_token(c) != NULL)
		token = strdup(crm_client_session_token(c));

	/* 3 */
	shutdown(crm_client_fd(c), SHUT_RDWR);
	CHECK(whoami(c, &err));
	CHECK(crm_client_server(c)->authenticated);
	CHECK(crm_client_server(c)->max_frame > preauth);
	CHECK(crm_client_reconnect(c, &err));
	CHECK(whoami(c, &err));

	/* 4 */
	c2 = connect_with(token, &err);
	CHECK(c2 != NULL && whoami(c2, &err));
	CHECK(c2 != NULL && strcmp(crm_client_server(c2)->time_zone, "UTC") == 0); /* resume */
	crm_client_free(c2);
	c2 = connect_with("made-up-token", &err);
	CHECK(c2 == NULL && err.code == CRM_UNAUTHENTICATED &&
	      strstr(err.msg, "session expired or revoked") != NULL);
	crm_client_free(c2);

	/* 5 */
	CHECK(logout(c, &err));
	CHECK(crm_client_session_token(c) == NULL);
	CHECK(!crm_client_server(c)->authenticated);
	CHECK(crm_client_server(c)->max_frame == preauth);
	CHECK(crm_client_server(c)->time_zone[0] == '\0');
	CHECK(!whoami(c, &err) && err.code == CRM_UNAUTHENTICATED);
	c2 = connect_with(token, &err);
	CHECK(c2 == NULL && err.code == CRM_UNAUTHENTICATED);
	crm_client_free(c2);

	crm_client_free(c);
	free(token);
	return checks_result("test_client_session");
}
