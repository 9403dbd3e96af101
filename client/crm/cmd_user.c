/*
 * cmd_user: `crm user add|list|show|edit|disable|enable|reset-password`,
 * and the columns of a User that other commands (login, whoami) share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "prompt.h"

const char *const crm_cli_user_cols[CRM_CLI_USER_NCOLS] = {
	"user_id", "username", "display_name", "email",	 "role",       "team",         "manages",
	"active",  "time_zone", "locale",      "created_at", "updated_at", "last_login_at"};

void crm_cli_user_cells(crm_result *r, const Crm__User *u) {
	if (u->has_user_id)
		crm_result_add_int(r, u->user_id);
	else
		crm_result_add_null(r);
	crm_result_add_str(r, u->username);
	crm_result_add_str(r, u->display_name);
	crm_result_add_str(r, u->email);
	crm_result_add_str(r, u->role);
	crm_result_add_str(r, u->team);
	crm_result_add_list(r, (const char *const *)u->manages, u->n_manages);
	if (u->has_active)
		crm_result_add_bool(r, u->active);
	else
		crm_result_add_null(r);
	crm_result_add_str(r, u->time_zone);
	crm_result_add_str(r, u->locale);
	crm_cli_add_opt_time(r, u->has_created_at, u->created_at);
	crm_cli_add_opt_time(r, u->has_updated_at, u->updated_at);
	crm_cli_add_opt_time(r, u->has_last_login_at, u->last_login_at);
}

void crm_cli_user_hide(crm_result *r) {
	static const char *const hidden[] = {"user_id",	   "manages",	 "time_zone",
					     "locale",	   "created_at", "updated_at"};
	size_t i;

	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		crm_result_hide(r, hidden[i]);
}

static int print_user(struct crm_cli *cli, const Crm__User *u) {
	crm_result *r = crm_result_new(CRM_CLI_USER_NCOLS, crm_cli_user_cols);
	int rc;

	crm_result_add_row(r);
	crm_cli_user_cells(r, u);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	return rc;
}

/* Sends req and prints the User it answers with. */
static int call_user(struct crm_cli *cli, Crm__ClientFrame *req) {
	Crm__ServerFrame *reply = NULL;
	const Crm__User *u;
	int rc = 0;

	u = crm_cli_request(cli, req, CRM__RESPONSE__BODY_USER, &reply, &rc);
	if (u != NULL)
		rc = print_user(cli, u);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- add */

enum {
	OPT_ROLE = 256,
	OPT_TEAM,
	OPT_EMAIL,
	OPT_DISPLAY_NAME,
	OPT_TIME_ZONE,
	OPT_LOCALE,
	OPT_PASSWORD_STDIN,
	OPT_ALL,
	OPT_CLEAR_EMAIL,
	OPT_MANAGES,
	OPT_CLEAR_MANAGES,
};

#define PROFILE_OPTIONS                                                       \
	{"role", required_argument, NULL, OPT_ROLE},                          \
		{"team", required_argument, NULL, OPT_TEAM},                  \
		{"email", required_argument, NULL, OPT_EMAIL},                \
		{"display-name", required_argument, NULL, OPT_DISPLAY_NAME},  \
		{"time-zone", required_argument, NULL, OPT_TIME_ZONE},        \
		{"locale", required_argument, NULL, OPT_LOCALE}

/* The profile options add and edit share; false if c is not one. */
static bool profile_option(int c, char *arg, const char **role, const char **team,
			   const char **email, const char **display, const char **tz,
			   const char **locale) {
	switch (c) {
	case OPT_ROLE: *role = arg; return true;
	case OPT_TEAM: *team = arg; return true;
	case OPT_EMAIL: *email = arg; return true;
	case OPT_DISPLAY_NAME: *display = arg; return true;
	case OPT_TIME_ZONE: *tz = arg; return true;
	case OPT_LOCALE: *locale = arg; return true;
	default: return false;
	}
}

static int add_password(struct crm_cli *cli, const char *username, bool from_stdin, char *buf,
			bool *have) {
	char why[160];

	*have = false;
	if (!from_stdin && !crm_prompt_tty())
		return 0; /* a script without --password-stdin: no password for now */
	if (!crm_prompt_new_password(username, from_stdin, true, buf, CRM_PASSWORD_BUF, why,
				     sizeof(why)))
		return crm_cli_usage(cli, "%s", why);
	*have = buf[0] != '\0';
	return 0;
}

int crm_cmd_user_add(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {
		PROFILE_OPTIONS,
		{"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
		{NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserCreate uc = CRM__USER_CREATE__INIT;
	const char *role = NULL, *team = NULL, *email = NULL, *display = NULL, *tz = NULL,
		   *locale = NULL, *username;
	char password[CRM_PASSWORD_BUF], *arg;
	bool from_stdin = false, have_pw = false;
	int c, rc;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == OPT_PASSWORD_STDIN)
			from_stdin = true;
		else if (!profile_option(c, arg, &role, &team, &email, &display, &tz, &locale))
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one USERNAME"));
	if (role == NULL)
		return crm_cli_usage(cli, _("--role is required (see `crm role list`)"));
	username = argv[crm_cli_optind()];
	rc = add_password(cli, username, from_stdin, password, &have_pw);
	if (rc != 0)
		return rc;
	crm_cli_bytes(&uc.username, &uc.has_username, username);
	crm_cli_bytes(&uc.role, &uc.has_role, role);
	crm_cli_bytes(&uc.team, &uc.has_team, team);
	crm_cli_bytes(&uc.email, &uc.has_email, email);
	crm_cli_bytes(&uc.display_name, &uc.has_display_name, display);
	crm_cli_bytes(&uc.time_zone, &uc.has_time_zone, tz);
	crm_cli_bytes(&uc.locale, &uc.has_locale, locale);
	crm_cli_bytes(&uc.password, &uc.has_password, have_pw ? password : NULL);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_CREATE;
	req.user_create = &uc;
	rc = call_user(cli, &req);
	OPENSSL_cleanse(password, sizeof(password));
	if (rc == 0 && !have_pw)
		fprintf(stderr, _("crm: %s has no password yet: set one with `crm user "
				"reset-password %s`\n"),
			username, username);
	return rc;
}

/* ---------------------------------------------------------------- list, show */

int crm_cmd_user_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"team", required_argument, NULL, OPT_TEAM},
						 {"role", required_argument, NULL, OPT_ROLE},
						 {"all", no_argument, NULL, OPT_ALL},
						 CRM_CLI_PAGE_OPTIONS,
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserList ul = CRM__USER_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__UserListReply *l;
	crm_result *r;
	char *arg;
	size_t i;
	int c, rc = 0;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == OPT_TEAM)
			crm_cli_bytes(&ul.team, &ul.has_team, arg);
		else if (c == OPT_ROLE)
			crm_cli_bytes(&ul.role, &ul.has_role, arg);
		else if (c == OPT_ALL)
			ul.has_include_inactive = ul.include_inactive = true;
		else if (crm_cli_page_option(cli, c, arg, &page) != 1)
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() != argc)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind()]);
	ul.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_LIST;
	req.user_list = &ul;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_USER_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_result_new(CRM_CLI_USER_NCOLS, crm_cli_user_cols);
		crm_cli_user_hide(r);
		for (i = 0; i < l->n_users; i++) {
			crm_result_add_row(r);
			crm_cli_user_cells(r, l->users[i]);
		}
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
		crm_cli_next_page(cli, l->has_next_cursor, &l->next_cursor);
	}
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_user_show(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserGet ug = CRM__USER_GET__INIT;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one USERNAME"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&ug.username, &ug.has_username, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_GET;
	req.user_get = &ug;
	return call_user(cli, &req);
}

/* ---------------------------------------------------------------- edit */

struct edit {
	Crm__UserUpdate uu;
	char *clear[2];
	bool clear_email, clear_manages;
	int changes;
};

static int edit_option(struct crm_cli *cli, struct edit *e, int c, char *arg) {
	const char *role = NULL, *team = NULL, *email = NULL, *display = NULL, *tz = NULL,
		   *locale = NULL;
	Crm__UserUpdate *uu = &e->uu;

	e->changes++;
	if (c == OPT_CLEAR_EMAIL) {
		e->clear_email = true;
	} else if (c == OPT_CLEAR_MANAGES) {
		e->clear_manages = true;
	} else if (c == OPT_MANAGES) {
		uu->manages[uu->n_manages].data = (uint8_t *)arg;
		uu->manages[uu->n_manages++].len = strlen(arg);
	} else if (profile_option(c, arg, &role, &team, &email, &display, &tz, &locale)) {
		if (role)
			crm_cli_bytes(&uu->role, &uu->has_role, role);
		if (team)
			crm_cli_bytes(&uu->team, &uu->has_team, team);
		if (email)
			crm_cli_bytes(&uu->email, &uu->has_email, email);
		if (display)
			crm_cli_bytes(&uu->display_name, &uu->has_display_name, display);
		if (tz)
			crm_cli_bytes(&uu->time_zone, &uu->has_time_zone, tz);
		if (locale)
			crm_cli_bytes(&uu->locale, &uu->has_locale, locale);
	} else {
		return CRM_EXIT_USAGE;
	}
	return 0;
}

static int edit_check(struct crm_cli *cli, struct edit *e) {
	Crm__UserUpdate *uu = &e->uu;

	if (e->changes == 0)
		return crm_cli_usage(cli, _("nothing to change: give at least one option"));
	if (e->clear_email && uu->has_email)
		return crm_cli_usage(cli, _("--email and --clear-email contradict each other"));
	if (e->clear_manages && uu->n_manages > 0)
		return crm_cli_usage(cli, _("--manages and --clear-manages contradict each other"));
	if (e->clear_email)
		e->clear[uu->n_clear++] = "email";
	if (e->clear_manages)
		e->clear[uu->n_clear++] = "manages";
	uu->clear = e->clear;
	return 0;
}

int crm_cmd_user_edit(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {
		PROFILE_OPTIONS,
		{"clear-email", no_argument, NULL, OPT_CLEAR_EMAIL},
		{"manages", required_argument, NULL, OPT_MANAGES},
		{"clear-manages", no_argument, NULL, OPT_CLEAR_MANAGES},
		{NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	struct edit e = {.uu = CRM__USER_UPDATE__INIT};
	char *arg;
	int c, rc;

	/* at most one --manages per argument */
	e.uu.manages = calloc((size_t)argc, sizeof(ProtobufCBinaryData));
	if (e.uu.manages == NULL)
		return CRM_EXIT_FAILURE;
	rc = 0;
	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = edit_option(cli, &e, c, arg);
	if (rc == 0 && crm_cli_optind() + 1 != argc)
		rc = crm_cli_usage(cli, _("give exactly one USERNAME"));
	if (rc == 0)
		rc = edit_check(cli, &e);
	if (rc == 0) {
		crm_cli_bytes(&e.uu.username, &e.uu.has_username, argv[crm_cli_optind()]);
		req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_UPDATE;
		req.user_update = &e.uu;
		rc = call_user(cli, &req);
	}
	free(e.uu.manages);
	return rc;
}

/* ---------------------------------------------------------------- enable, disable */

static int set_active(struct crm_cli *cli, int argc, char **argv, bool active) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserSetActive sa = CRM__USER_SET_ACTIVE__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one USERNAME"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&sa.username, &sa.has_username, argv[crm_cli_optind()]);
	sa.has_active = true;
	sa.active = active;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_SET_ACTIVE;
	req.user_set_active = &sa;
	if (!crm_cli_call(cli, &req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else if (reply->response->body_case == CRM__RESPONSE__BODY_USER && reply->response->user)
		rc = print_user(cli, reply->response->user);
	else
		crm_cli_done(cli, "%s %s", argv[crm_cli_optind()], active ? "enabled" : "disabled");
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_user_disable(struct crm_cli *cli, int argc, char **argv) {
	return set_active(cli, argc, argv, false);
}

int crm_cmd_user_enable(struct crm_cli *cli, int argc, char **argv) {
	return set_active(cli, argc, argv, true);
}

/* ---------------------------------------------------------------- reset-password */

int crm_cmd_user_reset_password(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {
		{"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__UserResetPassword rp = CRM__USER_RESET_PASSWORD__INIT;
	Crm__ServerFrame *reply = NULL;
	char password[CRM_PASSWORD_BUF], why[160], *arg;
	const char *username;
	bool from_stdin = false;
	crm_err err;
	int c, rc = 0;

	crm_err_clear(&err);
	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != OPT_PASSWORD_STDIN)
			return CRM_EXIT_USAGE;
		from_stdin = true;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one USERNAME"));
	username = argv[crm_cli_optind()];
	if (!from_stdin && !crm_prompt_tty())
		return crm_cli_usage(cli, _("standard input is not a terminal, so crm cannot ask for "
					  "the new password: pass it on standard input with "
					  "--password-stdin"));
	if (!crm_prompt_new_password(username, from_stdin, false, password, sizeof(password), why,
				     sizeof(why)))
		return crm_cli_usage(cli, "%s", why);
	crm_cli_bytes(&rp.username, &rp.has_username, username);
	crm_cli_bytes(&rp.new_password, &rp.has_new_password, password);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_USER_RESET_PASSWORD;
	req.user_reset_password = &rp;
	if (!crm_cli_call(cli, &req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else if (reply->response->body_case == CRM__RESPONSE__BODY_USER && reply->response->user)
		rc = print_user(cli, reply->response->user);
	else
		crm_cli_done(cli, _("password of %s reset"), username);
	OPENSSL_cleanse(password, sizeof(password));
	crm_client_reply_free(reply);
	return rc;
}
