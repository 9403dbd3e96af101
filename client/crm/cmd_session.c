/*
 * cmd_session: `crm session list|revoke`: the sessions of the current user
 * or, for an admin, of anyone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const session_cols[] = {"session_id", "username",   "client_addr",
					   "client_name", "created_at", "last_used_at",
					   "expires_at", "current"};

int crm_cmd_session_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"user", required_argument, NULL, 'u'},
						 {"all", no_argument, NULL, 'a'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__SessionList sl = CRM__SESSION_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__SessionListReply *l;
	crm_result *r;
	char *arg;
	size_t i;
	int c, rc = 0;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'u')
			crm_cli_bytes(&sl.username, &sl.has_username, arg);
		else if (c == 'a')
			sl.has_all = sl.all = true;
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() != argc)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind()]);
	if (sl.has_username && sl.all)
		return crm_cli_usage(cli, _("give --user USER or --all, not both"));
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SESSION_LIST;
	req.session_list = &sl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_SESSION_LIST, &reply, &rc);
	if (l == NULL)
		goto cleanup;
	r = crm_result_new(sizeof(session_cols) / sizeof(session_cols[0]), session_cols);
	crm_result_hide(r, "created_at");
	for (i = 0; i < l->n_sessions; i++) {
		const Crm__Session *s = l->sessions[i];
		crm_result_add_row(r);
		if (s->has_session_id)
			crm_result_add_int(r, s->session_id);
		else
			crm_result_add_null(r);
		crm_result_add_str(r, s->username);
		crm_result_add_str(r, s->client_addr);
		crm_result_add_str(r, s->client_name);
		crm_cli_add_opt_time(r, s->has_created_at, s->created_at);
		crm_cli_add_opt_time(r, s->has_last_used_at, s->last_used_at);
		crm_cli_add_opt_time(r, s->has_expires_at, s->expires_at);
		crm_result_add_bool(r, s->has_current && s->current);
	}
	rc = crm_cli_print(cli, r, false);
	crm_result_free(r);
cleanup:
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_session_revoke(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__SessionRevoke sr = CRM__SESSION_REVOKE__INIT;
	Crm__ServerFrame *reply = NULL;
	char why[CRM_SESSION_WHY_MAX];
	bool own;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one session ID (see `crm session list`)"));
	if (rc != 0)
		return rc;
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &sr.session_id))
		return CRM_EXIT_USAGE;
	sr.has_session_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SESSION_REVOKE;
	req.session_revoke = &sr;
	if (!crm_cli_call(cli, &req, &reply, &err)) {
		rc = crm_cli_fail(cli, &err);
		goto cleanup;
	}
	/* our own session: the token in the file is dead now */
	own = cli->token_sent &&
	      ((cli->session.session_id != 0 && cli->session.session_id == sr.session_id) ||
	       crm_client_server(cli->client)->session_id == sr.session_id);
	if (own && !crm_session_remove(cli->session_path, why)) {
		fprintf(stderr, _("crm: error: %s\n"), why);
		rc = CRM_EXIT_FAILURE;
		goto cleanup;
	}
	crm_cli_done(cli, _("session %lld revoked%s"), (long long)sr.session_id,
		     own ? _(" (it was this one: you are logged out)") : "");
cleanup:
	crm_client_reply_free(reply);
	return rc;
}
