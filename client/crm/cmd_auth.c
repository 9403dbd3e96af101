/*
 * cmd_auth: `crm login`, `crm logout`, `crm whoami`, `crm passwd`: the
 * commands that create, end, show and re-key the session kept in the
 * session file (session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "prompt.h"

/* --password-stdin, the only option of these commands. */
static int password_stdin_arg(struct crm_cli *cli, int argc, char **argv, bool *from_stdin) {
	static const struct option longopts[] = {{"password-stdin", no_argument, NULL, 'p'},
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'p')
			return CRM_EXIT_USAGE;
		*from_stdin = true;
	}
	return 0;
}

/* The user and session as one record: the User's columns, then the
 * session's. The token is never shown. */
static int print_login(struct crm_cli *cli, const Crm__LoginReply *l, const Crm__User *u) {
	const crm_client_server_info *info = cli->client ? crm_client_server(cli->client) : NULL;
	const char *cols[CRM_CLI_USER_NCOLS + 3];
	Crm__User none = CRM__USER__INIT;
	crm_result *r;
	int rc;

	memcpy(cols, crm_cli_user_cols, sizeof(crm_cli_user_cols));
	cols[CRM_CLI_USER_NCOLS] = "session_id";
	cols[CRM_CLI_USER_NCOLS + 1] = "expires_at";
	cols[CRM_CLI_USER_NCOLS + 2] = "server";
	r = crm_result_new(CRM_CLI_USER_NCOLS + 3, cols);
	crm_result_add_row(r);
	crm_cli_user_cells(r, u ? u : &none);
	if (l == NULL && info != NULL && info->session_id != 0) /* from the resume */
		crm_result_add_int(r, info->session_id);
	else if (l != NULL && l->has_session_id)
		crm_result_add_int(r, (int64_t)l->session_id);
	else
		crm_result_add_null(r);
	if (l == NULL && info != NULL && info->expires_at != 0)
		crm_result_add_time(r, info->expires_at);
	else
		crm_cli_add_opt_time(r, l != NULL && l->has_expires_at, l ? l->expires_at : 0);
	crm_result_add_str(r, cli->server);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	return rc;
}

/* A password for the current user: stdin line or a prompt. */
static bool own_password(struct crm_cli *cli, bool from_stdin, const char *prompt,
			 const char *what, char *buf, int *rc) {
	char why[160];
	bool ok;

	if (from_stdin)
		ok = crm_prompt_stdin_line(what, buf, CRM_PASSWORD_BUF, why, sizeof(why));
	else
		ok = crm_prompt_password(prompt, buf, CRM_PASSWORD_BUF, false, why, sizeof(why));
	if (!ok)
		*rc = crm_cli_usage(cli, "%s", why);
	return ok;
}

/* Ends a session we could not store, so its token does not linger. */
static void logout_quietly(struct crm_cli *cli) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Logout lo = CRM__LOGOUT__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;

	crm_err_clear(&err);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_LOGOUT;
	req.logout = &lo;
	if (!crm_cli_call(cli, &req, &reply, &err))
		crm_cli_hint(_("the new session could not be ended either: %s"), err.msg);
	crm_client_reply_free(reply);
}

static int do_login(struct crm_cli *cli, const char *username, char *password) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Login login = CRM__LOGIN__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__LoginReply *l;
	int rc = 0;

	crm_cli_bytes(&login.username, &login.has_username, username);
	crm_cli_bytes(&login.password, &login.has_password, password);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_LOGIN;
	req.login = &login;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_LOGIN, &reply, &rc);
	OPENSSL_cleanse(password, strlen(password));
	if (l == NULL)
		goto cleanup;
	if (l->token == NULL || l->token[0] == '\0') {
		fputs(_("crm: error: the server accepted the login but sent no session token\n"),
		      stderr);
		rc = CRM_EXIT_FAILURE;
		goto cleanup;
	}
	if (!crm_cli_session_store(cli, l->user && l->user->username ? l->user->username
								    : username,
				   l->token, l->has_session_id ? (int64_t)l->session_id : 0,
				   l->user ? l->user->locale : NULL)) {
		logout_quietly(cli);
		rc = CRM_EXIT_FAILURE;
		goto cleanup;
	}
	rc = print_login(cli, l, l->user);
cleanup:
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_login(struct crm_cli *cli, int argc, char **argv) {
	char password[CRM_PASSWORD_BUF], prompt[128];
	const char *username;
	bool from_stdin = false;
	int rc;

	rc = password_stdin_arg(cli, argc, argv, &from_stdin);
	if (rc != 0)
		return rc;
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one USERNAME"));
	username = argv[crm_cli_optind()];
	if (!from_stdin && !crm_prompt_tty())
		return crm_cli_usage(cli, _("standard input is not a terminal, so crm cannot ask for "
					  "the password: pass it on standard input with "
					  "--password-stdin"));
	snprintf(prompt, sizeof(prompt), _("Password for %.64s: "), username);
	if (!own_password(cli, from_stdin, prompt, _("the password"), password, &rc))
		return rc;
	rc = do_login(cli, username, password);
	OPENSSL_cleanse(password, sizeof(password));
	return rc;
}

/* ---------------------------------------------------------------- logout */

static int forget_session(struct crm_cli *cli, const char *done) {
	char why[CRM_SESSION_WHY_MAX];

	if (!crm_session_remove(cli->session_path, why)) {
		fprintf(stderr, _("crm: error: %s\n"), why);
		return CRM_EXIT_FAILURE;
	}
	crm_cli_done(cli, "%s", done);
	return 0;
}

int crm_cmd_logout(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Logout lo = CRM__LOGOUT__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 0, NULL);
	if (rc != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_LOGOUT;
	req.logout = &lo;
	if (!crm_cli_connect(cli, &err)) {
		if (cli->token_sent && err.code == CRM_UNAUTHENTICATED)
			return forget_session(cli, _("the session had already ended; logged out"));
		return crm_cli_fail(cli, &err);
	}
	if (cli->session_other_server) {
		fprintf(stderr,
			_("crm: error: the session in %s is for the server %s, not %s; run `crm "
			"--server %s logout` to end it\n"),
			cli->session_path, cli->session.server, cli->server, cli->session.server);
		return CRM_EXIT_FAILURE;
	}
	if (!cli->token_sent) {
		crm_cli_done(cli, _("not logged in"));
		return 0;
	}
	if (!crm_cli_call(cli, &req, &reply, &err) && err.code != CRM_UNAUTHENTICATED) {
		rc = crm_cli_fail(cli, &err);
		crm_cli_hint(_("the session is still valid; run `crm logout` again once the server "
			     "answers, or remove %s to forget it here"),
			     cli->session_path);
	} else {
		rc = forget_session(cli, _("logged out"));
	}
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- whoami */

int crm_cmd_whoami(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__WhoAmI who = CRM__WHO_AM_I__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Response *r;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 0, NULL);
	if (rc != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_WHOAMI;
	req.whoami = &who;
	if (!crm_cli_call(cli, &req, &reply, &err)) {
		rc = crm_cli_fail(cli, &err);
		goto cleanup;
	}
	r = reply->response;
	if (r->body_case == CRM__RESPONSE__BODY_LOGIN && r->login != NULL) {
		if (r->login->user)
			crm_cli_session_locale(cli, r->login->user->locale);
		rc = print_login(cli, r->login, r->login->user);
	} else if (r->body_case == CRM__RESPONSE__BODY_USER && r->user != NULL) {
		crm_cli_session_locale(cli, r->user->locale);
		rc = print_login(cli, NULL, r->user);
	} else {
		(void)crm_cli_body(reply, CRM__RESPONSE__BODY_LOGIN, &err); /* says what is amiss */
		rc = crm_cli_fail(cli, &err);
	}
cleanup:
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- passwd */

static int do_passwd(struct crm_cli *cli, char *old, char *new_pw) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PasswordChange pc = CRM__PASSWORD_CHANGE__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Response *r;
	const char *token;
	crm_err err;
	int rc = 0;

	crm_err_clear(&err);
	crm_cli_bytes(&pc.old_password, &pc.has_old_password, old);
	crm_cli_bytes(&pc.new_password, &pc.has_new_password, new_pw);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PASSWORD_CHANGE;
	req.password_change = &pc;
	if (!crm_cli_call(cli, &req, &reply, &err)) {
		rc = crm_cli_fail(cli, &err);
		goto cleanup;
	}
	r = reply->response;
	/* every old session is revoked, ours too: keep the new one the reply carries */
	token = r->body_case == CRM__RESPONSE__BODY_LOGIN && r->login ? r->login->token : NULL;
	if (token != NULL && token[0] != '\0') {
		if (!crm_cli_session_store(cli, cli->session.username, token,
					   r->login->has_session_id ? (int64_t)r->login->session_id
								    : 0,
					   r->login->user ? r->login->user->locale
							  : cli->session.locale))
			rc = CRM_EXIT_FAILURE;
		else
			crm_cli_done(cli, _("password changed; other sessions were ended"));
	} else {
		rc = forget_session(cli, _("password changed; log in again with `crm login`"));
	}
cleanup:
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_passwd(struct crm_cli *cli, int argc, char **argv) {
	char old[CRM_PASSWORD_BUF], new_pw[CRM_PASSWORD_BUF], why[160];
	bool from_stdin = false;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = password_stdin_arg(cli, argc, argv, &from_stdin);
	if (rc != 0)
		return rc;
	if (crm_cli_optind() != argc)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind()]);
	if (!from_stdin && !crm_prompt_tty())
		return crm_cli_usage(cli, _("standard input is not a terminal, so crm cannot ask for "
					  "the passwords: give the old and the new one on two "
					  "lines of standard input with --password-stdin"));
	/* the session first: no point typing passwords for a dead session */
	if (!crm_cli_connect(cli, &err))
		return crm_cli_fail(cli, &err);
	if (!cli->token_sent) {
		crm_err_set(&err, CRM_UNAUTHENTICATED, NULL, _("changing your password needs a session"));
		return crm_cli_fail(cli, &err);
	}
	if (!own_password(cli, from_stdin, _("Current password: "), _("the current password"), old,
			  &rc))
		return rc;
	if (!crm_prompt_new_password(cli->session.username ? cli->session.username : "you",
				     from_stdin, false, new_pw, sizeof(new_pw), why, sizeof(why))) {
		OPENSSL_cleanse(old, sizeof(old));
		return crm_cli_usage(cli, "%s", why);
	}
	rc = do_passwd(cli, old, new_pw);
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(new_pw, sizeof(new_pw));
	return rc;
}
