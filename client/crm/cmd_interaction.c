/*
 * cmd_interaction: the interaction record type (calls, meetings, e-mails,
 * visits, messages, notes with a customer) for the generic record
 * commands (cmd_record.h): its list columns, list shortcuts and the words
 * of its help, and the options of add that become RecordCreate.links
 * (several --contact, --participant, --link). Its flags (--kind,
 * --subject, --at, --duration, ...) and the field add needs are generated
 * from the field options of crm.proto (proto/gen_fields.py).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_record.h"
#include "crm_field_help.h" /* generated: the help of its fields' options */
#include "crm_rec_flags.h"  /* generated: its flags and needs */
#include "i18n.h"

static const struct crm_rec_flag flags[] = {CRM_REC_INTERACTION_FLAGS};
static const char *const needs[] = {CRM_REC_INTERACTION_NEEDS};

static const struct crm_rec_col cols[] = {
	{"id", "id", CRM_REC_COL_FIELD},
	{"occurred_at", "occurred_at", CRM_REC_COL_FIELD},
	{"kind", "kind", CRM_REC_COL_FIELD},
	{"direction", "direction", CRM_REC_COL_FIELD},
	{"subject", "subject", CRM_REC_COL_FIELD},
	{"account", "account_name", CRM_REC_COL_FIELD},
	{"owner", "owner", CRM_REC_COL_FIELD},
};

static const struct crm_rec_shortcut shortcuts[] = {
	{"kind", "kind"},
	{"account", "account_id"},
	{"contact", "contact_id"},
};

/* The value of option `name` at argv[*i] ("--name V" or "--name=V"), *i
 * moved past it; NULL when argv[*i] is not that option. *missing: the
 * option without its value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing) {
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return NULL;
	if (a[2 + n] == '=')
		return a + 3 + n;
	if (a[2 + n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static Crm__RecordLink *new_link(struct crm_rec_mem *mem, Crm__RecordCreate *c, size_t cap) {
	Crm__RecordLink *l = crm_rec_alloc(mem, sizeof(*l));

	if (c->links == NULL)
		c->links = crm_rec_alloc(mem, cap * sizeof(*c->links));
	crm__record_link__init(l);
	c->links[c->n_links++] = l;
	return l;
}

static void set_bytes(ProtobufCBinaryData *b, protobuf_c_boolean *has, const char *s, size_t len) {
	b->data = (uint8_t *)s;
	b->len = len;
	*has = true;
}

/* --link TYPE/ID into l; false after a usage error. */
static bool parse_link(struct crm_cli *cli, const char *v, Crm__RecordLink *l) {
	const char *slash = strchr(v, '/');

	if (slash == NULL || slash == v) {
		crm_cli_usage(cli, _("--link takes a record as TYPE/ID (account/42); not '%s'"), v);
		return false;
	}
	set_bytes(&l->target_type, &l->has_target_type, v, (size_t)(slash - v));
	l->has_target_id = true;
	return crm_cli_parse_id(cli, slash + 1, "--link", &l->target_id);
}

/*
 * interaction add: the first --contact stays the contact (contact_id);
 * each further one, each --participant USER and each --link TYPE/ID
 * becomes a link of RecordCreate.links, made with the interaction in one
 * transaction.
 */
static int add_own(struct crm_cli *cli, int *argc, char **argv, struct crm_rec_mem *mem,
		   Crm__RecordCreate *create) {
	int i, out = 1, contacts = 0;
	size_t cap = (size_t)*argc;
	bool missing = false;
	const char *v;
	Crm__RecordLink *l;

	for (i = 1; i < *argc; i++) {
		int at = i;

		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if ((v = opt_value(*argc, argv, &i, "contact", &missing)) != NULL && contacts++ == 0) {
			argv[out++] = argv[at];
			if (i != at)
				argv[out++] = argv[i];
		} else if (v != NULL) {
			l = new_link(mem, create, cap);
			set_bytes(&l->target_type, &l->has_target_type, "contact", 7);
			l->has_target_id = true;
			if (!crm_cli_parse_id(cli, v, "--contact", &l->target_id))
				return CRM_EXIT_USAGE;
		} else if (!missing && (v = opt_value(*argc, argv, &i, "participant", &missing)) != NULL) {
			l = new_link(mem, create, cap);
			set_bytes(&l->user, &l->has_user, v, strlen(v));
		} else if (!missing && (v = opt_value(*argc, argv, &i, "link", &missing)) != NULL) {
			if (!parse_link(cli, v, new_link(mem, create, cap)))
				return CRM_EXIT_USAGE;
		} else if (missing) {
			return crm_cli_usage(cli, _("%s needs a value"), argv[at]);
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

const struct crm_rec_type crm_rec_interaction = {
	.noun = NC_("record type", "interaction"), /* also the command name */
	.plural = NC_("record types", "interactions"),
	.type = CRM__RECORD_TYPE__RECORD_TYPE_INTERACTION,
	.desc = &crm__interaction__descriptor,
	.needs_one_of = needs,
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.cols = cols,
	.n_cols = sizeof(cols) / sizeof(cols[0]),
	.shortcuts = shortcuts,
	.n_shortcuts = sizeof(shortcuts) / sizeof(shortcuts[0]),
	.add_own = add_own,

	.a_noun = N_("an interaction"),
	.summary = N_("interactions: calls, meetings, e-mails and visits with customers"),
	.fields_help = CRM_HELP_INTERACTION_FIELDS,
	.add_args = "--kind KIND --subject TEXT [--account ID] [--contact ID]... [--at TIME]\n"
		    "       [--participant USER]... [--link TYPE/ID]...\n"
		    "       [--duration MINUTES] [--direction in|out] [--body TEXT] [--tag T]...\n"
		    "       [--set FIELD=VALUE]... [--idempotency-key KEY]",
	.add_lead = N_("Records an interaction: its kind and subject are required; it happened now "
		    "unless --at says when. --contact may be given several times: the first is its "
		    "contact, the others further participants; --participant USER names a user who "
		    "took part; --link TYPE/ID (account/42, contact/7) a record it is about. Each "
		    "is shown by show and puts the interaction on that record's timeline; a record "
		    "you cannot see is refused as not found."),
	.list_summary = N_("list the interactions you can see"),
	.list_lead_more = N_(" (newest first unless --sort)"),
	.list_options = N_("  --kind KIND, --account ID, --contact ID\n"
			"                   shortcuts for --filter kind=KIND and so on\n"),
	.purge_what = N_("its tags, custom values and shares, and blanks its personal data in the "
		      "audit trail"),
};
