/*
 * cmd_field: `crm field add|list|remove` (custom fields of a record type)
 * and `crm picklist add|list|remove` (the admin-managed value lists that
 * pick-list fields and relationship roles draw from).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd_record.h"
#include "i18n.h"

/* ---------------------------------------------------------------- field add */

enum {
	OPT_KIND = 256,
	OPT_LABEL,
	OPT_REQUIRED,
	OPT_MAX_LENGTH,
	OPT_MIN,
	OPT_MAX,
	OPT_OPTION,
};

#define MAX_LENGTH_MAX 4096

/* --min / --max in the form the field's kind takes. */
static int check_bound(struct crm_cli *cli, Crm__FieldKind kind, const char *flag,
		       const char *s) {
	unsigned y, m, d;
	char currency[4];
	size_t len;

	switch (kind) {
	case CRM__FIELD_KIND__FIELD_KIND_NUMBER:
	case CRM__FIELD_KIND__FIELD_KIND_MONEY:
		if (crm_args_money(s, &len, currency) && currency[0] == '\0')
			return 0;
		return crm_cli_usage(cli, _("%s takes a number such as 12.5 (a point before the "
					  "decimals, no currency), not '%s'"),
				     flag, s);
	case CRM__FIELD_KIND__FIELD_KIND_DATE:
		if (crm_args_date(s, &y, &m, &d) && y != 0)
			return 0;
		return crm_cli_usage(cli, _("%s takes a date, YYYY-MM-DD, not '%s'"), flag, s);
	default:
		return crm_cli_usage(cli, _("%s is for --kind number, money or date"), flag);
	}
}

struct field_args {
	Crm__FieldDef fd;
	bool has_min, has_max;
	const char *min, *max;
};

static int field_option(struct crm_cli *cli, struct field_args *a, int c, char *arg) {
	Crm__FieldDef *fd = &a->fd;
	char list[128], *end;
	unsigned long v;
	int kind;

	switch (c) {
	case OPT_KIND:
		if (!crm_args_enum(&crm__field_kind__descriptor, "FIELD_KIND_", arg, &kind))
			return crm_cli_usage(cli, _("--kind is one of %s; not '%s'"),
					     crm_args_enum_list(&crm__field_kind__descriptor,
								"FIELD_KIND_", list, sizeof(list)),
					     arg);
		fd->has_kind = true;
		fd->kind = (Crm__FieldKind)kind;
		return 0;
	case OPT_LABEL:
		crm_cli_bytes(&fd->label, &fd->has_label, arg);
		return 0;
	case OPT_REQUIRED:
		fd->has_required = fd->required = true;
		return 0;
	case OPT_MAX_LENGTH:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > MAX_LENGTH_MAX ||
		    arg[0] == '-' || arg[0] == '+')
			return crm_cli_usage(cli, _("--max-length must be a number from 1 to %d, not '%s'"),
					     MAX_LENGTH_MAX, arg);
		fd->has_max_length = true;
		fd->max_length = (uint32_t)v;
		return 0;
	case OPT_MIN:
		a->min = arg;
		return 0;
	case OPT_MAX:
		a->max = arg;
		return 0;
	case OPT_OPTION:
		if (arg[0] == '\0')
			return crm_cli_usage(cli, _("--option needs a value"));
		fd->options[fd->n_options].data = (uint8_t *)arg;
		fd->options[fd->n_options++].len = strlen(arg);
		return 0;
	default:
		return CRM_EXIT_USAGE;
	}
}

/* What only some kinds take. */
static int field_check(struct crm_cli *cli, struct field_args *a) {
	Crm__FieldDef *fd = &a->fd;
	int rc = 0;

	if (!fd->has_kind)
		return crm_cli_usage(cli, _("--kind is required: text, number, money, date, boolean "
					  "or picklist"));
	if (fd->n_options > 0 && fd->kind != CRM__FIELD_KIND__FIELD_KIND_PICKLIST)
		return crm_cli_usage(cli, _("--option is for --kind picklist"));
	if (fd->has_max_length && fd->kind != CRM__FIELD_KIND__FIELD_KIND_TEXT)
		return crm_cli_usage(cli, _("--max-length is for --kind text"));
	if (a->min != NULL && (rc = check_bound(cli, fd->kind, "--min", a->min)) != 0)
		return rc;
	if (a->max != NULL && (rc = check_bound(cli, fd->kind, "--max", a->max)) != 0)
		return rc;
	crm_cli_bytes(&fd->min, &fd->has_min, a->min);
	crm_cli_bytes(&fd->max, &fd->has_max, a->max);
	return 0;
}

int crm_cmd_field_add(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {
		{"kind", required_argument, NULL, OPT_KIND},
		{"label", required_argument, NULL, OPT_LABEL},
		{"required", no_argument, NULL, OPT_REQUIRED},
		{"max-length", required_argument, NULL, OPT_MAX_LENGTH},
		{"min", required_argument, NULL, OPT_MIN},
		{"max", required_argument, NULL, OPT_MAX},
		{"option", required_argument, NULL, OPT_OPTION},
		{NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__FieldAdd add = CRM__FIELD_ADD__INIT;
	Crm__ServerFrame *reply = NULL;
	struct field_args a = {.fd = CRM__FIELD_DEF__INIT};
	const Crm__FieldDef *got;
	char *arg;
	int c, rc = 0, first;

	/* at most one --option per argument */
	a.fd.options = calloc((size_t)argc, sizeof(ProtobufCBinaryData));
	if (a.fd.options == NULL)
		return CRM_EXIT_FAILURE;
	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = field_option(cli, &a, c, arg);
	first = crm_cli_optind();
	if (rc == 0 && first + 2 != argc)
		rc = crm_cli_usage(cli, _("give the record TYPE and the field's NAME"));
	if (rc == 0 && crm_rec_parse_type(cli, argv[first], &a.fd.record_type))
		a.fd.has_record_type = true;
	else if (rc == 0)
		rc = CRM_EXIT_USAGE;
	if (rc == 0)
		rc = field_check(cli, &a);
	if (rc == 0) {
		crm_cli_bytes(&a.fd.name, &a.fd.has_name, argv[first + 1]);
		add.field = &a.fd;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_FIELD_ADD;
		req.field_add = &add;
		got = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_FIELD, &reply, &rc);
		if (got != NULL)
			rc = crm_rec_print(cli, &got->base);
	}
	crm_client_reply_free(reply);
	free(a.fd.options);
	return rc;
}

/* ---------------------------------------------------------------- field list, remove */

int crm_cmd_field_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__FieldList fl = CRM__FIELD_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__FieldListReply *l;
	crm_result *r;
	char what[256];
	size_t i;
	int rc;

	snprintf(what, sizeof(what), _("the record TYPE (%s)"), crm_rec_type_names());
	rc = crm_cli_operands(cli, argc, argv, 1, what);
	if (rc != 0)
		return rc;
	if (!crm_rec_parse_type(cli, argv[crm_cli_optind()], &fl.record_type))
		return CRM_EXIT_USAGE;
	fl.has_record_type = true;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_FIELD_LIST;
	req.field_list = &fl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_FIELD_LIST, &reply, &rc);
	if (l != NULL) {
		r = crm_rec_result(&crm__field_def__descriptor);
		crm_result_hide(r, "record_type");
		crm_result_hide(r, "created_at");
		/* for clients that build views (JSON and CSV); too wide for a table */
		crm_result_hide(r, "help");
		crm_result_hide(r, "multi_line");
		crm_result_hide(r, "personal");
		crm_result_optional(r, "cli_option");
		crm_result_optional(r, "references");
		crm_result_optional(r, "read_only");
		for (i = 0; i < l->n_fields; i++)
			crm_rec_add_message(r, &l->fields[i]->base);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_field_remove(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"yes", no_argument, NULL, 'y'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__FieldRemove fr = CRM__FIELD_REMOVE__INIT;
	Crm__ServerFrame *reply = NULL;
	char question[256], *arg;
	bool yes = false;
	crm_err err;
	int c, rc = 0;

	crm_err_clear(&err);
	while ((c = crm_cli_getopt(cli, argc, argv, "y", longopts, &arg)) != -1) {
		if (c != 'y')
			return CRM_EXIT_USAGE;
		yes = true;
	}
	if (crm_cli_optind() + 2 != argc)
		return crm_cli_usage(cli, _("give the record TYPE and the field's NAME"));
	if (!crm_rec_parse_type(cli, argv[crm_cli_optind()], &fr.record_type))
		return CRM_EXIT_USAGE;
	fr.has_record_type = true;
	crm_cli_bytes(&fr.name, &fr.has_name, argv[crm_cli_optind() + 1]);
	snprintf(question, sizeof(question),
		 _("Remove field %s.%s? Its value is deleted from every %s that has one."),
		 argv[crm_cli_optind()], argv[crm_cli_optind() + 1], argv[crm_cli_optind()]);
	if (!yes && !crm_rec_confirm(cli, question, &rc))
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_FIELD_REMOVE;
	req.field_remove = &fr;
	if (!crm_cli_call(cli, &req, &reply, &err))
		rc = crm_cli_fail(cli, &err);
	else
		crm_cli_done(cli, _("field %s.%s removed"), argv[crm_cli_optind()],
			     argv[crm_cli_optind() + 1]);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- pick lists */

static const char *const picklist_cols[] = {"name", "value", "label", "position", "active"};
#define PICKLIST_NCOLS (sizeof(picklist_cols) / sizeof(picklist_cols[0]))

/* One row per value: the lists flattened, in every format. */
static int print_picklists(struct crm_cli *cli, const Crm__PicklistListReply *l) {
	crm_result *r = crm_result_new(PICKLIST_NCOLS, picklist_cols);
	const Crm__PicklistValue *v;
	size_t i, j;
	int rc;

	for (i = 0; i < l->n_picklists; i++) {
		for (j = 0; j < l->picklists[i]->n_values; j++) {
			v = l->picklists[i]->values[j];
			crm_result_add_row(r);
			crm_result_add_str(r, l->picklists[i]->name);
			if (v->has_value)
				crm_result_add_strn(r, (const char *)v->value.data, v->value.len);
			else
				crm_result_add_null(r);
			if (v->has_label)
				crm_result_add_strn(r, (const char *)v->label.data, v->label.len);
			else
				crm_result_add_null(r);
			if (v->has_position)
				crm_result_add_int(r, v->position);
			else
				crm_result_add_null(r);
			if (v->has_active)
				crm_result_add_bool(r, v->active);
			else
				crm_result_add_null(r);
		}
	}
	rc = crm_cli_print(cli, r, false);
	crm_result_free(r);
	return rc;
}

static int call_picklists(struct crm_cli *cli, Crm__ClientFrame *req) {
	Crm__ServerFrame *reply = NULL;
	const Crm__PicklistListReply *l;
	int rc = 0;

	l = crm_cli_request(cli, req, CRM__RESPONSE__BODY_PICKLIST_LIST, &reply, &rc);
	if (l != NULL)
		rc = print_picklists(cli, l);
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_picklist_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PicklistList pl = CRM__PICKLIST_LIST__INIT;
	char *arg;

	if (crm_cli_getopt(cli, argc, argv, "", none, &arg) != -1)
		return CRM_EXIT_USAGE;
	if (crm_cli_optind() + 1 < argc)
		return crm_cli_usage(cli, _("give at most one pick list NAME"));
	if (crm_cli_optind() < argc)
		crm_cli_bytes(&pl.name, &pl.has_name, argv[crm_cli_optind()]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PICKLIST_LIST;
	req.picklist_list = &pl;
	return call_picklists(cli, &req);
}

int crm_cmd_picklist_add(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"label", required_argument, NULL, 'l'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PicklistAdd pa = CRM__PICKLIST_ADD__INIT;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c != 'l')
			return CRM_EXIT_USAGE;
		crm_cli_bytes(&pa.label, &pa.has_label, arg);
	}
	if (crm_cli_optind() + 2 != argc)
		return crm_cli_usage(cli, _("give the pick list's NAME and the VALUE to add"));
	crm_cli_bytes(&pa.name, &pa.has_name, argv[crm_cli_optind()]);
	crm_cli_bytes(&pa.value, &pa.has_value, argv[crm_cli_optind() + 1]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PICKLIST_ADD;
	req.picklist_add = &pa;
	return call_picklists(cli, &req);
}

int crm_cmd_picklist_remove(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PicklistRemove pr = CRM__PICKLIST_REMOVE__INIT;
	int rc;

	rc = crm_cli_operands(cli, argc, argv, 2, _("the pick list's NAME and the VALUE to retire"));
	if (rc != 0)
		return rc;
	crm_cli_bytes(&pr.name, &pr.has_name, argv[crm_cli_optind()]);
	crm_cli_bytes(&pr.value, &pr.has_value, argv[crm_cli_optind() + 1]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PICKLIST_REMOVE;
	req.picklist_remove = &pr;
	return call_picklists(cli, &req);
}

int crm_cmd_picklist_move(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"before", required_argument, NULL, 'b'},
						 {"after", required_argument, NULL, 'a'},
						 {NULL, 0, NULL, 0}};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__PicklistMove pm = CRM__PICKLIST_MOVE__INIT;
	char *arg;
	int c;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'b')
			crm_cli_bytes(&pm.before, &pm.has_before, arg);
		else if (c == 'a')
			crm_cli_bytes(&pm.after, &pm.has_after, arg);
		else
			return CRM_EXIT_USAGE;
	}
	if (crm_cli_optind() + 2 != argc)
		return crm_cli_usage(cli, _("give the pick list's NAME and the VALUE to move"));
	if (pm.has_before == pm.has_after)
		return crm_cli_usage(cli, _("give either --before OTHER or --after OTHER"));
	crm_cli_bytes(&pm.name, &pm.has_name, argv[crm_cli_optind()]);
	crm_cli_bytes(&pm.value, &pm.has_value, argv[crm_cli_optind() + 1]);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PICKLIST_MOVE;
	req.picklist_move = &pm;
	return call_picklists(cli, &req);
}
