/*
 * cmd_relation: `crm relation add|list|remove` (relationships between
 * records: contact -> account, contact -> contact, account -> account),
 * and `crm contact link|unlink`, the same for a contact and an account.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_record.h"
#include "i18n.h"

/* ---------------------------------------------------------------- add, link */

static int add_args(struct crm_cli *cli, int argc, char **argv, Crm__RelationAdd *ra) {
	static const struct option longopts[] = {{"role", required_argument, NULL, 'r'},
						 {"primary", no_argument, NULL, 'p'},
						 {NULL, 0, NULL, 0}};
	char *arg;
	int c, first;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'r')
			crm_cli_bytes(&ra->role, &ra->has_role, arg);
		else if (c == 'p')
			ra->has_primary = ra->primary = true;
		else
			return CRM_EXIT_USAGE;
	}
	first = crm_cli_optind();
	if (first + 2 != argc)
		return crm_cli_usage(cli, _("give the two record ids, from and to"));
	if (!ra->has_role || ra->role.len == 0)
		return crm_cli_usage(cli, _("--role ROLE is required (the roles allowed are in "
					  "`crm picklist list`)"));
	if (!crm_cli_parse_id(cli, argv[first], "FROM", &ra->from_id) ||
	    !crm_cli_parse_id(cli, argv[first + 1], "TO", &ra->to_id))
		return CRM_EXIT_USAGE;
	ra->has_from_id = ra->has_to_id = true;
	return 0;
}

/* Prints the new relation's id (tables) or the relation. */
static int call_add(struct crm_cli *cli, Crm__RelationAdd *ra) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Relation *rel;
	int rc = 0;

	req.request_case = CRM__CLIENT_FRAME__REQUEST_RELATION_ADD;
	req.relation_add = ra;
	rel = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_RELATION, &reply, &rc);
	if (rel != NULL && cli->format == CRM_FORMAT_TABLE && rel->has_relation_id)
		crm_cli_done(cli, "%lld", (long long)rel->relation_id);
	else if (rel != NULL)
		rc = crm_rec_print(cli, &rel->base);
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_relation_add(struct crm_cli *cli, int argc, char **argv) {
	Crm__RelationAdd ra = CRM__RELATION_ADD__INIT;
	int rc = add_args(cli, argc, argv, &ra);

	return rc != 0 ? rc : call_add(cli, &ra);
}

int crm_cmd_contact_link(struct crm_cli *cli, int argc, char **argv) {
	return crm_cmd_relation_add(cli, argc, argv);
}

/* ---------------------------------------------------------------- list */

struct rel_out {
	crm_result *r;
};

static size_t rel_add(void *ctx, const void *body) {
	const Crm__RelationListReply *l = body;
	struct rel_out *o = ctx;
	size_t i;

	for (i = 0; i < l->n_relations; i++)
		crm_rec_add_message(o->r, &l->relations[i]->base);
	return l->n_relations;
}

static const ProtobufCBinaryData *rel_cursor(const void *body) {
	const Crm__RelationListReply *l = body;

	return l->has_next_cursor ? &l->next_cursor : NULL;
}

int crm_cmd_relation_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"all", no_argument, NULL, 'a'},
						 CRM_CLI_PAGE_OPTIONS,
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RelationList rl = CRM__RELATION_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	struct rel_out o = {0};
	struct crm_rec_pager p = {0};
	bool all = false;
	char *arg;
	int c, rc;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'a')
			all = true;
		else if (crm_cli_page_option(cli, c, arg, &page) != 1)
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 1 != argc)
		return crm_cli_usage(cli, _("give exactly one record id"));
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "ID", &rl.record_id))
		return CRM_EXIT_USAGE;
	rl.has_record_id = true;
	rl.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RELATION_LIST;
	req.relation_list = &rl;
	o.r = crm_rec_result(&crm__relation__descriptor);
	crm_result_hide(o.r, "created_at");
	p = (struct crm_rec_pager){.req = &req,
				   .page = &page,
				   .want = CRM__RESPONSE__BODY_RELATION_LIST,
				   .all = all,
				   .what = "relations",
				   .add = rel_add,
				   .ctx = &o,
				   .next_cursor = rel_cursor};
	rc = crm_rec_page_all(cli, &p);
	if (rc == 0)
		rc = crm_cli_print(cli, o.r, false);
	crm_result_free(o.r);
	return rc;
}

/* ---------------------------------------------------------------- remove, unlink */

int crm_cmd_relation_remove(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RelationRemove rr = CRM__RELATION_REMOVE__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 1, _("exactly one relation id (see `crm relation "
						  "list ID`)"));
	if (rc != 0)
		return rc;
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], "RELATION_ID", &rr.relation_id))
		return CRM_EXIT_USAGE;
	rr.has_relation_id = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RELATION_REMOVE;
	req.relation_remove = &rr;
	if (!crm_cli_call(cli, &req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else
		crm_cli_done(cli, _("relation %lld removed"), (long long)rr.relation_id);
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_contact_unlink(struct crm_cli *cli, int argc, char **argv) {
	return crm_cmd_relation_remove(cli, argc, argv);
}
