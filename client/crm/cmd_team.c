/*
 * cmd_team: `crm team add|list|show|edit|move|delete`. Teams form a tree; edit
 * renames and move re-parents, both through TeamUpdate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const team_cols[] = {"team_id", "name", "parent", "path", "members",
					"managers"};
#define TEAM_NCOLS (sizeof(team_cols) / sizeof(team_cols[0]))

static void team_cells(crm_result *r, const Crm__Team *t) {
	crm_result_add_row(r);
	if (t->has_team_id)
		crm_result_add_int(r, t->team_id);
	else
		crm_result_add_null(r);
	crm_result_add_str(r, t->name);
	crm_result_add_str(r, t->parent);
	crm_result_add_str(r, t->path);
	if (t->has_members)
		crm_result_add_count(r, t->members);
	else
		crm_result_add_null(r);
	crm_result_add_list(r, (const char *const *)t->managers, t->n_managers);
}

/* Sends req and prints the Team it answers with. */
static int call_team(struct crm_cli *cli, Crm__ClientFrame *req) {
	Crm__ServerFrame *reply = NULL;
	const Crm__Team *t;
	crm_result *r;
	int rc = 0;

	t = crm_cli_request(cli, req, CRM__RESPONSE__BODY_TEAM, &reply, &rc);
	if (t != NULL) {
		r = crm_result_new(TEAM_NCOLS, team_cols);
		team_cells(r, t);
		rc = crm_cli_print(cli, r, true);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_team_add(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"parent", required_argument, NULL, 'p'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamCreate tc = CRM__TEAM_CREATE__INIT;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'p')
			return CRM_EXIT_USAGE;
		crm_cli_bytes(&tc.parent, &tc.has_parent, arg);
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one team NAME (quote it if it has spaces)"));
	crm_cli_bytes(&tc.name, &tc.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_CREATE;
	req.team_create = &tc;
	return call_team(cli, &req);
}

int crm_cmd_team_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamList tl = CRM__TEAM_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__TeamListReply *l;
	crm_result *r;
	size_t i;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 0, NULL);
	if (rc != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_LIST;
	req.team_list = &tl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_TEAM_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_result_new(TEAM_NCOLS, team_cols);
		crm_result_hide(r, "parent"); /* the path says it */
		for (i = 0; i < l->n_teams; i++)
			team_cells(r, l->teams[i]);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_team_show(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamGet tg = CRM__TEAM_GET__INIT;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one team NAME"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&tg.name, &tg.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_GET;
	req.team_get = &tg;
	return call_team(cli, &req);
}

int crm_cmd_team_edit(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"name", required_argument, NULL, 'n'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamUpdate tu = CRM__TEAM_UPDATE__INIT;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'n')
			return CRM_EXIT_USAGE;
		crm_cli_bytes(&tu.new_name, &tu.has_new_name, arg);
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one team NAME"));
	if (!tu.has_new_name)
		return crm_cli_usage(cli, _("nothing to change: give --name NEW (to move the team, "
					  "use `crm team move`)"));
	crm_cli_bytes(&tu.name, &tu.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_UPDATE;
	req.team_update = &tu;
	return call_team(cli, &req);
}

int crm_cmd_team_move(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"parent", required_argument, NULL, 'p'},
						 {"root", no_argument, NULL, 'r'},
						 {NULL, 0, NULL, 0}};
	static char *clear_parent[] = {"parent"};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamUpdate tu = CRM__TEAM_UPDATE__INIT;
	bool root = false;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'p')
			crm_cli_bytes(&tu.parent, &tu.has_parent, arg);
		else if (c == 'r')
			root = true;
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one team NAME"));
	if (root == tu.has_parent)
		return crm_cli_usage(cli, _("give either --parent TEAM or --root"));
	if (root) {
		tu.n_clear = 1;
		tu.clear = clear_parent;
	}
	crm_cli_bytes(&tu.name, &tu.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_UPDATE;
	req.team_update = &tu;
	return call_team(cli, &req);
}

int crm_cmd_team_delete(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__TeamDelete td = CRM__TEAM_DELETE__INIT;
	Crm__ServerFrame *reply = NULL;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one team NAME"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&td.name, &td.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_TEAM_DELETE;
	req.team_delete = &td;
	if (crm_cli_request(cli, &req, CRM__RESPONSE__BODY_EMPTY, &reply, &rc) != NULL)
		crm_cli_done(cli, _("team %s deleted"), argv[crm_cli_optind()]);
	crm_client_reply_free(reply);
	return rc;
}
