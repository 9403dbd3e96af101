/*
 * cmd_role: `crm role list|show` and `crm permission list|set`: the
 * permission matrix (role × record type × action → scope). Actions and
 * scopes are spoken as the lower-case names of the proto enums.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

#define ENUM_NAME_MAX 32

static const char *action_name(int v, char *buf) {
	return crm_args_enum_name(&crm__action__descriptor, "", v, buf, ENUM_NAME_MAX);
}

static const char *scope_name(int v, char *buf) {
	return crm_args_enum_name(&crm__scope__descriptor, "", v, buf, ENUM_NAME_MAX);
}

/* ---------------------------------------------------------------- permissions */

static const char *const perm_cols[] = {"role", "record_type", "action", "scope"};

static crm_result *permission_rows(Crm__Permission *const *p, size_t n) {
	crm_result *r = crm_result_new(4, perm_cols);
	char buf[ENUM_NAME_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		crm_result_add_row(r);
		crm_result_add_str(r, p[i]->role);
		crm_result_add_str(r, p[i]->record_type);
		if (p[i]->has_action)
			crm_result_add_str(r, action_name(p[i]->action, buf));
		else
			crm_result_add_null(r);
		if (p[i]->has_scope)
			crm_result_add_str(r, scope_name(p[i]->scope, buf));
		else
			crm_result_add_null(r);
	}
	return r;
}

int crm_cmd_permission_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"role", required_argument, NULL, 'r'},
						 {"type", required_argument, NULL, 't'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PermissionList pl = CRM__PERMISSION_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__PermissionListReply *l;
	crm_result *r;
	char *arg;
	int c, rc = 0;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'r')
			crm_cli_bytes(&pl.role, &pl.has_role, arg);
		else if (c == 't')
			crm_cli_bytes(&pl.record_type, &pl.has_record_type, arg);
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() != argc)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PERMISSION_LIST;
	req.permission_list = &pl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_PERMISSION_LIST, &reply, &rc);
	if (l != NULL) {
		r = permission_rows(l->permissions, l->n_permissions);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* An action or scope operand; a usage error lists the valid names. */
static bool enum_operand(struct crm_cli *cli, const ProtobufCEnumDescriptor *d, const char *what,
			 const char *s, int *out) {
	char list[256];

	if (crm_args_enum(d, "", s, out))
		return true;
	crm_cli_usage(cli, _("unknown %s '%s'; the %ss are: %s"), what, s, what,
		      crm_args_enum_list(d, "", list, sizeof(list)));
	return false;
}

int crm_cmd_permission_set(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PermissionSet ps = CRM__PERMISSION_SET__INIT;
	Crm__ServerFrame *reply = NULL;
	Crm__Permission *p;
	crm_result *r;
	crm_err err;
	int action, scope, rc, i;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 4, "ROLE TYPE ACTION SCOPE");
	if (rc != 0)
		return rc;
	i = crm_cli_optind();
	if (!enum_operand(cli, &crm__action__descriptor, "action", argv[i + 2], &action) ||
	    !enum_operand(cli, &crm__scope__descriptor, "scope", argv[i + 3], &scope))
		return CRM_EXIT_USAGE;
	crm_cli_bytes(&ps.role, &ps.has_role, argv[i]);
	crm_cli_bytes(&ps.record_type, &ps.has_record_type, argv[i + 1]);
	ps.has_action = ps.has_scope = true;
	ps.action = (Crm__Action)action;
	ps.scope = (Crm__Scope)scope;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PERMISSION_SET;
	req.permission_set = &ps;
	if (!crm_cli_call(cli, &req, &reply, &err)) {
		rc = crm_cli_fail(cli, &err);
	} else if (reply->response->body_case == CRM__RESPONSE__BODY_PERMISSION &&
		   (p = reply->response->permission) != NULL) {
		r = permission_rows(&p, 1);
		rc = crm_cli_print(cli, r, true);
		crm_result_free(r);
	} else {
		crm_cli_done(cli, _("%s may now %s %s records: %s"), argv[i], argv[i + 2],
			     argv[i + 1], argv[i + 3]);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- roles */

static const char *const role_cols[] = {"name", "description", "builtin", "users",
					"permissions"};

static void role_cells(crm_result *r, const Crm__Role *role, bool with_permissions) {
	crm_result *perms;
	char summary[32];

	crm_result_add_row(r);
	crm_result_add_str(r, role->name);
	crm_result_add_str(r, role->description);
	if (role->has_builtin)
		crm_result_add_bool(r, role->builtin);
	else
		crm_result_add_null(r);
	if (role->has_users)
		crm_result_add_count(r, role->users);
	else
		crm_result_add_null(r);
	if (!with_permissions)
		return;
	perms = permission_rows(role->permissions, role->n_permissions);
	snprintf(summary, sizeof(summary), "%zu", role->n_permissions);
	crm_result_add_json_result(r, perms, summary);
	crm_result_free(perms);
}

int crm_cmd_role_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RoleList rl = CRM__ROLE_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__RoleListReply *l;
	crm_result *r;
	size_t i;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 0, NULL);
	if (rc != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ROLE_LIST;
	req.role_list = &rl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ROLE_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_result_new(4, role_cols);
		for (i = 0; i < l->n_roles; i++)
			role_cells(r, l->roles[i], false);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* The record types in the order they first appear. */
static size_t record_types(const Crm__Role *role, const char **types) {
	size_t n = 0, i, j;

	for (i = 0; i < role->n_permissions; i++) {
		const char *t = role->permissions[i]->record_type ? role->permissions[i]->record_type
								  : "";
		for (j = 0; j < n && strcmp(types[j], t) != 0; j++)
			;
		if (j == n)
			types[n++] = t;
	}
	return n;
}

/* For people: record types down, actions across, the scope in each cell. */
static crm_result *matrix(const Crm__Role *role) {
	const ProtobufCEnumDescriptor *d = &crm__action__descriptor;
	const char **cols = calloc(d->n_values + 1, sizeof(char *));
	const char **types = calloc(role->n_permissions + 1, sizeof(char *));
	char names[16][ENUM_NAME_MAX], abuf[ENUM_NAME_MAX], sbuf[ENUM_NAME_MAX];
	size_t ncols = 1, nt, t, a, i;
	crm_result *r = NULL;

	if (cols == NULL || types == NULL || d->n_values > 16)
		goto cleanup;
	cols[0] = "record_type";
	for (a = 0; a < d->n_values; a++) {
		if (d->values[a].value == 0)
			continue;
		cols[ncols] = action_name(d->values[a].value, names[ncols]);
		ncols++;
	}
	r = crm_result_new(ncols, cols);
	nt = record_types(role, types);
	for (t = 0; t < nt; t++) {
		crm_result_add_row(r);
		crm_result_add_str(r, types[t]);
		for (a = 1; a < ncols; a++) {
			const char *scope = NULL;
			for (i = 0; i < role->n_permissions; i++) {
				const Crm__Permission *p = role->permissions[i];
				if (strcmp(p->record_type ? p->record_type : "", types[t]) == 0 &&
				    p->has_action && p->has_scope &&
				    strcmp(action_name(p->action, abuf), cols[a]) == 0)
					scope = scope_name(p->scope, sbuf);
			}
			crm_result_add_str(r, scope ? scope : "-");
		}
	}
cleanup:
	free(cols);
	free(types);
	return r;
}

static int print_role(struct crm_cli *cli, const Crm__Role *role) {
	crm_result *r, *m;
	int rc;

	if (cli->format == CRM_FORMAT_CSV) { /* for machines: one permission a line */
		r = permission_rows(role->permissions, role->n_permissions);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
		return rc;
	}
	r = crm_result_new(cli->format == CRM_FORMAT_JSON ? 5 : 4, role_cols);
	role_cells(r, role, cli->format == CRM_FORMAT_JSON);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	if (rc != 0 || cli->format == CRM_FORMAT_JSON)
		return rc;
	m = matrix(role);
	if (m == NULL)
		return CRM_EXIT_FAILURE;
	putchar('\n');
	rc = crm_cli_print(cli, m, false);
	crm_result_free(m);
	return rc;
}

int crm_cmd_role_show(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RoleGet rg = CRM__ROLE_GET__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Role *role;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one ROLE"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&rg.name, &rg.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ROLE_GET;
	req.role_get = &rg;
	role = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ROLE, &reply, &rc);
	if (role != NULL)
		rc = print_role(cli, role);
	crm_client_reply_free(reply);
	return rc;
}
