/*
 * cmd_share: `crm share TYPE/ID (--user U | --team T) [--access read|edit]
 * [--revoke]` and `crm share list TYPE/ID`: sharing a record of any type
 * with a user or a team (RecordShare, ShareList); and `crm TYPE share ID
 * ...` (crm note share 3 --user bob), the same for a record of the
 * command's type.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmd_record.h"
#include "i18n.h"

#define TYPE_PREFIX "RECORD_TYPE_"

bool crm_cli_record_target(struct crm_cli *cli, char *s, struct crm_cli_target *t) {
	char list[128];
	const char *type;
	size_t type_len;
	int v;

	if (!crm_args_record(s, &type, &type_len, &t->id) || t->id == 0) {
		crm_cli_usage(cli, _("give the record as TYPE/ID (account/42), not '%s'"), s);
		return false;
	}
	s[type_len] = '\0'; /* argv is ours to edit: TYPE/ID becomes TYPE */
	if (!crm_args_enum(&crm__record_type__descriptor, TYPE_PREFIX, type, &v)) {
		crm_cli_usage(cli, _("TYPE is one of %s, not '%s'"),
			      crm_args_enum_list(&crm__record_type__descriptor, TYPE_PREFIX, list,
						 sizeof(list)),
			      type);
		return false;
	}
	t->type = (Crm__RecordType)v;
	return true;
}

/* Prints a ShareListReply: a table (user, team, access, created_at,
 * shared_by), JSON objects or CSV rows. */
static int print_shares(struct crm_cli *cli, const Crm__ShareListReply *l) {
	crm_result *r = crm_rec_result(&crm__share__descriptor);
	int rc;

	for (size_t i = 0; i < l->n_shares; i++)
		crm_rec_add_message(r, &l->shares[i]->base);
	rc = crm_cli_print(cli, r, false);
	crm_result_free(r);
	return rc;
}

/* Sends req, whose reply is a ShareListReply, and prints it. */
static int call_shares(struct crm_cli *cli, Crm__ClientFrame *req) {
	Crm__ServerFrame *reply = NULL;
	const Crm__ShareListReply *l;
	int rc = 0;

	l = crm_cli_request(cli, req, CRM__RESPONSE__BODY_SHARE_LIST, &reply, &rc);
	if (l != NULL)
		rc = print_shares(cli, l);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- share list */

static int share_list(struct crm_cli *cli, int argc, char **argv, int first) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__ShareList sl = CRM__SHARE_LIST__INIT;
	struct crm_cli_target t = {0};

	if (first + 2 != argc)
		return crm_cli_usage(cli, _("give one record: crm share list TYPE/ID"));
	if (!crm_cli_record_target(cli, argv[first + 1], &t))
		return CRM_EXIT_USAGE;
	sl.has_type = sl.has_id = true;
	sl.type = t.type;
	sl.id = t.id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SHARE_LIST;
	req.share_list = &sl;
	return call_shares(cli, &req);
}

/* ---------------------------------------------------------------- share */

struct share_opts {
	const char *user, *team;
	bool has_access, revoke;
	Crm__Access access;
};

static int share_option(struct crm_cli *cli, int c, const char *arg, struct share_opts *o) {
	char list[64];
	int access;

	switch (c) {
	case 'u':
		o->user = arg;
		return 0;
	case 't':
		o->team = arg;
		return 0;
	case 'r':
		o->revoke = true;
		return 0;
	case 'a':
		if (!crm_args_enum(&crm__access__descriptor, "ACCESS_", arg, &access))
			return crm_cli_usage(cli, _("--access is one of %s, not '%s'"),
					     crm_args_enum_list(&crm__access__descriptor, "ACCESS_",
								list, sizeof(list)),
					     arg);
		o->has_access = true;
		o->access = (Crm__Access)access;
		return 0;
	default:
		return CRM_EXIT_USAGE;
	}
}

/* Reads the options of `crm share` and `crm TYPE share` into o; *first
 * is then the index of the first operand. Nonzero after a usage error. */
static int share_getopt(struct crm_cli *cli, int argc, char **argv, struct share_opts *o,
			int *first) {
	static const struct option longopts[] = {{"user", required_argument, NULL, 'u'},
						 {"team", required_argument, NULL, 't'},
						 {"access", required_argument, NULL, 'a'},
						 {"revoke", no_argument, NULL, 'r'},
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c, rc = 0;

	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = share_option(cli, c, arg, o);
	*first = crm_cli_optind();
	return rc;
}

/* The rules a share's options follow together; nonzero after a usage error. */
static int share_check(struct crm_cli *cli, const struct share_opts *o) {
	if ((o->user != NULL) == (o->team != NULL))
		return crm_cli_usage(cli, _("give exactly one of --user USER or --team TEAM"));
	if (o->revoke && o->has_access)
		return crm_cli_usage(cli, _("--revoke takes no --access"));
	return 0;
}

/* Shares t with o's user or team (or revokes it) and prints the shares;
 * o has passed share_check. */
static int share_record(struct crm_cli *cli, const struct crm_cli_target *t,
			const struct share_opts *o) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordShare rs = CRM__RECORD_SHARE__INIT;

	rs.has_type = rs.has_id = true;
	rs.type = t->type;
	rs.id = t->id;
	crm_cli_bytes(&rs.user, &rs.has_user, o->user);
	crm_cli_bytes(&rs.team, &rs.has_team, o->team);
	rs.has_access = o->has_access;
	rs.access = o->access;
	rs.has_revoke = rs.revoke = o->revoke;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_SHARE;
	req.record_share = &rs;
	return call_shares(cli, &req);
}

/* crm TYPE share ID (--user U | --team T) [--access A] [--revoke] */
int crm_cmd_record_share(struct crm_cli *cli, int argc, char **argv) {
	struct share_opts o = {0};
	struct crm_cli_target t = {.type = crm_rec_type_of(cli)->type};
	int rc, first;

	if ((rc = share_getopt(cli, argc, argv, &o, &first)) != 0)
		return rc;
	if (first + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one %s id"), crm_rec_type_of(cli)->noun);
	if (!crm_cli_parse_id(cli, argv[first], "ID", &t.id))
		return CRM_EXIT_USAGE;
	if ((rc = share_check(cli, &o)) != 0)
		return rc;
	return share_record(cli, &t, &o);
}

int crm_cmd_share(struct crm_cli *cli, int argc, char **argv) {
	struct share_opts o = {0};
	struct crm_cli_target t = {0};
	int rc, first;

	if ((rc = share_getopt(cli, argc, argv, &o, &first)) != 0)
		return rc;
	if (first < argc && strcmp(argv[first], "list") == 0) {
		if (o.user || o.team || o.has_access || o.revoke)
			return crm_cli_usage(cli, _("crm share list takes no --user, --team, "
						  "--access or --revoke"));
		return share_list(cli, argc, argv, first);
	}
	if (first + 1 != argc)
		return crm_cli_usage(cli, _("give one record as TYPE/ID (account/42)"));
	if ((rc = share_check(cli, &o)) != 0)
		return rc;
	if (!crm_cli_record_target(cli, argv[first], &t))
		return CRM_EXIT_USAGE;
	return share_record(cli, &t, &o);
}

/* The type's name in lower case ("account"), from the RecordType value. */
const char *crm_cli_type_name(Crm__RecordType t, char *buf, size_t size) {
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&crm__record_type__descriptor, (int)t);
	const char *s = v ? v->name : "?";
	size_t i, plen = strlen(TYPE_PREFIX);

	if (strncmp(s, TYPE_PREFIX, plen) == 0)
		s += plen;
	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
	return buf;
}
