/*
 * Unit test of the record commands' parsing and printing without a
 * server: the value parsers in client/crm/args.c (money, dates, yes/no,
 * KEY=VALUE, [KIND:]VALUE, filters), the flags of `crm account|contact
 * add|edit|list` turned into RecordCreate / RecordUpdate / RecordList
 * messages (client/crm/cmd_record_build.c), refusals of bad input (exit
 * 2), and records rendered as JSON, CSV (formula cells neutralised) and
 * list tables (client/crm/cmd_record_view.c). Exits non-zero if a check
 * failed. Usage errors the checks provoke are printed on standard error.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "checks.h"
#include "cmd_record.h"
#include "crm_field_facts.h" /* generated from crm.proto's field options */
#include "crm_rec_flags.h"   /* generated: crm's flag tables */

/* The types under test, as the CLI finds them by their noun. */
#define ACCOUNT crm_rec_type_by_noun("account")
#define CONTACT crm_rec_type_by_noun("contact")

#define NOW INT64_C(1795341600000000) /* 2026-11-22T10:00:00Z */

static bool bytes_is(ProtobufCBinaryData b, const char *s) {
	return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

/* ---------------------------------------------------------------- value parsers */

static void test_values(void) {
	unsigned y = 9, m = 9, d = 9;
	char cur[4], prefix[32];
	const char *v, *kind, *why;
	size_t n, klen;
	bool b;
	static const char *const kinds[] = {"work", "home", "other", NULL};

	CHECK(crm_args_money("1000000 EUR", &n, cur) && n == 7 && strcmp(cur, "EUR") == 0);
	CHECK(crm_args_money("-12.50 usd", &n, cur) && n == 6 && strcmp(cur, "USD") == 0);
	CHECK(crm_args_money("12.5", &n, cur) && n == 4 && cur[0] == '\0');
	CHECK(!crm_args_money("12,50", &n, cur));
	CHECK(!crm_args_money("12,50 EUR", &n, cur));
	CHECK(!crm_args_money("1,000,000 EUR", &n, cur));
	CHECK(!crm_args_money("1e6", &n, cur));
	CHECK(!crm_args_money("12.", &n, cur));
	CHECK(!crm_args_money(".5", &n, cur));
	CHECK(!crm_args_money("+5", &n, cur));
	CHECK(!crm_args_money("EUR 12", &n, cur));
	CHECK(!crm_args_money("12 EURO", &n, cur));
	CHECK(!crm_args_money("12 E1R", &n, cur));
	CHECK(!crm_args_money("", &n, cur));

	CHECK(crm_args_date("1990-02-28", &y, &m, &d) && y == 1990 && m == 2 && d == 28);
	CHECK(crm_args_date("02-29", &y, &m, &d) && y == 0 && m == 2 && d == 29);
	CHECK(crm_args_date("--12-31", &y, &m, &d) && y == 0 && m == 12 && d == 31);
	CHECK(crm_args_date("2024-02-29", &y, &m, &d) && y == 2024);
	CHECK(!crm_args_date("2026-02-30", &y, &m, &d));
	CHECK(!crm_args_date("2026-02-29", &y, &m, &d));
	CHECK(!crm_args_date("02-30", &y, &m, &d));
	CHECK(!crm_args_date("2026-13-01", &y, &m, &d));
	CHECK(!crm_args_date("0000-01-01", &y, &m, &d));
	CHECK(!crm_args_date("2026-1-1", &y, &m, &d));
	CHECK(!crm_args_date("", &y, &m, &d));

	CHECK(crm_args_yesno("yes", &b) && b);
	CHECK(crm_args_yesno("No", &b) && !b);
	CHECK(crm_args_yesno("true", &b) && b);
	CHECK(!crm_args_yesno("maybe", &b));

	CHECK(crm_args_pair("score=12", &n, &v) && n == 5 && strcmp(v, "12") == 0);
	CHECK(crm_args_pair("score=", &n, &v) && n == 5 && v[0] == '\0');
	CHECK(crm_args_pair("a=b=c", &n, &v) && n == 1 && strcmp(v, "b=c") == 0);
	CHECK(!crm_args_pair("score", &n, &v));
	CHECK(!crm_args_pair("=12", &n, &v));

	CHECK(crm_args_typed("work:ada@example.com", kinds, &kind, &klen, &v, &why) &&
	      strcmp(kind, "work") == 0 && klen == 4 && strcmp(v, "ada@example.com") == 0);
	CHECK(crm_args_typed("ada@example.com", kinds, &kind, &klen, &v, &why) && kind == NULL &&
	      strcmp(v, "ada@example.com") == 0);
	CHECK(crm_args_typed("HOME:x@y", kinds, &kind, &klen, &v, &why) &&
	      strcmp(kind, "home") == 0);
	CHECK(!crm_args_typed("work:", kinds, &kind, &klen, &v, &why) &&
	      strcmp(why, "empty") == 0);
	CHECK(!crm_args_typed("", kinds, &kind, &klen, &v, &why) && strcmp(why, "empty") == 0);
	CHECK(!crm_args_typed("fax:1", kinds, &kind, &klen, &v, &why) &&
	      strcmp(why, "unknown kind") == 0);

	CHECK(crm_args_filter("industry=Software", &n, &v) == CRM__FILTER_OP__FILTER_OP_EQ &&
	      n == 8 && strcmp(v, "Software") == 0);
	CHECK(crm_args_filter("employees>=10", &n, &v) == CRM__FILTER_OP__FILTER_OP_GE &&
	      n == 9 && strcmp(v, "10") == 0);
	CHECK(crm_args_filter("employees<=10", &n, &v) == CRM__FILTER_OP__FILTER_OP_LE);
	CHECK(crm_args_filter("employees>10", &n, &v) == CRM__FILTER_OP__FILTER_OP_GT);
	CHECK(crm_args_filter("employees<10", &n, &v) == CRM__FILTER_OP__FILTER_OP_LT);
	CHECK(crm_args_filter("tier!=gold", &n, &v) == CRM__FILTER_OP__FILTER_OP_NE);
	CHECK(crm_args_filter("custom.score>1.5", &n, &v) == CRM__FILTER_OP__FILTER_OP_GT &&
	      n == 12);
	CHECK(crm_args_filter("website=", &n, &v) == CRM__FILTER_OP__FILTER_OP_EMPTY);
	CHECK(crm_args_filter("website!=", &n, &v) == CRM__FILTER_OP__FILTER_OP_NOT_EMPTY);
	CHECK(crm_args_filter("name=a=b", &n, &v) == CRM__FILTER_OP__FILTER_OP_EQ &&
	      strcmp(v, "a=b") == 0);
	CHECK(crm_args_filter("employees>=", &n, &v) == 0);
	CHECK(crm_args_filter("industry", &n, &v) == 0);
	CHECK(crm_args_filter("=x", &n, &v) == 0);
	CHECK(crm_args_filter("Industry=x", &n, &v) == 0);
	CHECK(crm_args_filter("in dustry=x", &n, &v) == 0);

	CHECK(crm_args_enum_prefix(&crm__account_type__descriptor, prefix, sizeof(prefix)) &&
	      strcmp(prefix, "ACCOUNT_TYPE_") == 0);
	CHECK(crm_args_enum_prefix(&crm__channel__descriptor, prefix, sizeof(prefix)) &&
	      strcmp(prefix, "CHANNEL_") == 0);
	CHECK(crm_args_enum_prefix(&crm__filter_op__descriptor, prefix, sizeof(prefix)) &&
	      strcmp(prefix, "FILTER_OP_") == 0);
	CHECK(!crm_args_enum_prefix(&crm__account_type__descriptor, prefix, 8));
}

/* ---------------------------------------------------------------- add, edit */

/* Runs the add (edit false) or edit parser over the words of args. */
static int parse(const struct crm_rec_type *t, bool edit, struct crm_rec_edit *e,
		 const char *const *args) {
	struct crm_cli cli = {0};
	char *argv[64];
	int argc = 0;

	argv[argc++] = edit ? "crm x edit" : "crm x add";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memset(e, 0, sizeof(*e));
	optind = 0;
	return crm_rec_parse_edit(&cli, t, edit, argc, argv, e);
}

static bool refused(const struct crm_rec_type *t, bool edit, const char *const *args) {
	struct crm_rec_edit e;
	int rc = parse(t, edit, &e, args);

	crm_rec_edit_fini(&e);
	return rc == CRM_EXIT_USAGE;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_account_add(void) {
	struct crm_rec_edit e;
	const Crm__Account *a;
	int rc;

	rc = parse(ACCOUNT, false, &e,
		   ARGS("--name", "Acme GmbH", "--type", "Customer", "--individual",
			"--billing-city", "Berlin", "--billing-country", "DE", "--parent", "7",
			"--annual-revenue", "1000000 eur", "--employees", "0", "--tag", "vip",
			"--tag", "eu", "--set", "score=12", "--set", "segment=", "--website",
			"https://acme.example", "--idempotency-key", "k1"));
	CHECK(rc == 0);
	CHECK(e.record.kind_case == CRM__RECORD__KIND_ACCOUNT);
	a = e.record.account;
	CHECK(a != NULL && (const ProtobufCMessage *)a == e.msg);
	if (rc != 0 || a == NULL)
		goto cleanup;
	CHECK(a->has_name && bytes_is(a->name, "Acme GmbH"));
	CHECK(a->has_type && a->type == CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_CUSTOMER);
	CHECK(a->has_individual && a->individual);
	CHECK(a->billing_address != NULL && a->billing_address->has_city &&
	      bytes_is(a->billing_address->city, "Berlin") &&
	      bytes_is(a->billing_address->country, "DE") && !a->billing_address->has_street);
	CHECK(a->shipping_address == NULL);
	CHECK(a->has_parent_id && a->parent_id == 7);
	CHECK(a->annual_revenue != NULL && bytes_is(a->annual_revenue->amount, "1000000") &&
	      bytes_is(a->annual_revenue->currency, "EUR"));
	CHECK(a->has_employees && a->employees == 0);
	/* --tag and --set land in the shared fields (meta) */
	CHECK(a->meta != NULL && a->meta->n_tags == 2 && bytes_is(a->meta->tags[0], "vip") &&
	      bytes_is(a->meta->tags[1], "eu"));
	CHECK(a->meta != NULL && a->meta->n_custom == 2 &&
	      bytes_is(a->meta->custom[0]->field, "score") &&
	      bytes_is(a->meta->custom[0]->value, "12") &&
	      bytes_is(a->meta->custom[1]->field, "segment") && a->meta->custom[1]->has_value &&
	      a->meta->custom[1]->value.len == 0);
	CHECK(a->has_website && !a->has_legal_name && a->meta != NULL && !a->meta->has_id);
	CHECK(e.idempotency_key != NULL && strcmp(e.idempotency_key, "k1") == 0);
cleanup:
	crm_rec_edit_fini(&e);

	rc = parse(ACCOUNT, false, &e, ARGS("--name", "X", "--individual=no"));
	CHECK(rc == 0 && e.record.account->has_individual && !e.record.account->individual);
	crm_rec_edit_fini(&e);

	/* bad input: exit 2 before anything is sent */
	CHECK(refused(ACCOUNT, false, ARGS("--type", "customer"))); /* no --name */
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--type", "vendor")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--type", "unspecified")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--annual-revenue", "12,50")));
	CHECK(refused(ACCOUNT, false,
		      ARGS("--name", "X", "--annual-revenue", "12.50 EURO")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--set", "score")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--set", "=1")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--employees", "-1")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--employees", "ten")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--parent", "0")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--individual=maybe")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--tag", "")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--given-name", "Ada")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--clear", "website")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "Acme")));
	CHECK(refused(ACCOUNT, false, ARGS("--name", "X", "--idempotency-key", "")));
}

static void test_contact_add(void) {
	struct crm_rec_edit e;
	const Crm__Contact *c;
	int rc;

	rc = parse(CONTACT, false, &e,
		   ARGS("--given-name", "Ada", "--family-name", "Lovelace", "--name-order",
			"western", "--email", "work:ada@example.com", "--email",
			"home:ada@home.example", "--primary-email", "ADA@home.example", "--phone",
			"mobile:+44 20 7946 0958", "--phone", "020 7946 0000", "--birthday",
			"02-29", "--preferred-channel", "in_person", "--do-not-contact", "yes",
			"--marketing-opt-out", "no", "--pref", "language=en", "--account", "12",
			"--title", "Countess"));
	CHECK(rc == 0);
	c = e.record.contact;
	CHECK(e.record.kind_case == CRM__RECORD__KIND_CONTACT && c != NULL);
	if (rc != 0 || c == NULL)
		goto cleanup;
	CHECK(bytes_is(c->given_name, "Ada") && bytes_is(c->family_name, "Lovelace"));
	CHECK(c->has_name_order && c->name_order == CRM__NAME_ORDER__NAME_ORDER_WESTERN);
	CHECK(c->n_emails == 2);
	CHECK(c->n_emails == 2 && bytes_is(c->emails[0]->address, "ada@example.com") &&
	      bytes_is(c->emails[0]->kind, "work") && !c->emails[0]->primary);
	CHECK(c->n_emails == 2 && bytes_is(c->emails[1]->address, "ada@home.example") &&
	      bytes_is(c->emails[1]->kind, "home") && c->emails[1]->has_primary &&
	      c->emails[1]->primary);
	/* no --primary-phone: the first is primary; no kind: the server's default */
	CHECK(c->n_phones == 2 && bytes_is(c->phones[0]->number, "+44 20 7946 0958") &&
	      bytes_is(c->phones[0]->kind, "mobile") && c->phones[0]->primary &&
	      !c->phones[1]->has_kind && !c->phones[1]->primary);
	CHECK(c->birthday != NULL && !c->birthday->has_year && c->birthday->month == 2 &&
	      c->birthday->day == 29);
	CHECK(c->has_preferred_channel &&
	      c->preferred_channel == CRM__CHANNEL__CHANNEL_IN_PERSON);
	CHECK(c->has_do_not_contact && c->do_not_contact);
	CHECK(c->has_marketing_opt_out && !c->marketing_opt_out);
	CHECK(c->n_preferences == 1 && bytes_is(c->preferences[0]->key, "language") &&
	      bytes_is(c->preferences[0]->value, "en"));
	CHECK(c->has_account_id && c->account_id == 12);
cleanup:
	crm_rec_edit_fini(&e);

	rc = parse(CONTACT, false, &e, ARGS("--family-name", "王", "--birthday",
						       "1990-02-28"));
	CHECK(rc == 0 && e.record.contact->birthday->has_year &&
	      e.record.contact->birthday->year == 1990);
	crm_rec_edit_fini(&e);

	CHECK(refused(CONTACT, false, ARGS("--title", "CEO"))); /* no name */
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--email", "")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--email", "work:")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--email", "fax:a@b")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--phone", "pager:1")));
	CHECK(refused(CONTACT, false,
		      ARGS("--given-name", "A", "--email", "a@b", "--primary-email", "c@d")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--primary-email", "a@b")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--birthday", "2026-02-30")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--birthday", "02-30")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--birthday", "30.01.1990")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--name-order", "northern")));
	CHECK(refused(CONTACT, false,
		      ARGS("--given-name", "A", "--preferred-channel", "fax")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--do-not-contact")));
	CHECK(refused(CONTACT, false,
		      ARGS("--given-name", "A", "--do-not-contact", "perhaps")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--pref", "language")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--account", "x")));
	CHECK(refused(CONTACT, false, ARGS("--given-name", "A", "--name", "A")));
}

static bool clears(const struct crm_rec_edit *e, const char *name) {
	size_t i;

	for (i = 0; i < e->n_clear; i++)
		if (strcmp(e->clear[i], name) == 0)
			return true;
	return false;
}

static void test_edit(void) {
	struct crm_rec_edit e;
	int rc;

	rc = parse(ACCOUNT, true, &e,
		   ARGS("12", "--tier", "gold", "--clear", "billing-city", "--clear",
			"shipping_address", "--clear", "tags", "--clear", "legal-name", "--clear",
			"custom.score", "--clear", "annual_revenue", "--version", "3"));
	CHECK(rc == 0 && e.id == 12 && e.has_version && e.version == 3);
	CHECK(e.n_clear == 6 && clears(&e, "billing_address.city") &&
	      clears(&e, "shipping_address") && clears(&e, "tags") && clears(&e, "legal_name") &&
	      clears(&e, "custom.score") && clears(&e, "annual_revenue"));
	CHECK(e.record.account && e.record.account->has_tier && !e.record.account->has_name);
	crm_rec_edit_fini(&e);

	rc = parse(CONTACT, true, &e, ARGS("--clear", "email", "5", "--clear", "birthday"));
	CHECK(rc == 0 && e.id == 5 && !e.has_version && clears(&e, "emails") &&
	      clears(&e, "birthday"));
	crm_rec_edit_fini(&e);

	CHECK(refused(ACCOUNT, true, ARGS("12")));                   /* nothing to change */
	CHECK(refused(ACCOUNT, true, ARGS("--name", "X")));          /* no id */
	CHECK(refused(ACCOUNT, true, ARGS("0", "--name", "X")));     /* bad id */
	CHECK(refused(ACCOUNT, true, ARGS("1", "2", "--name", "X"))); /* two ids */
	CHECK(refused(ACCOUNT, true, ARGS("1", "--clear", "bogus")));
	CHECK(refused(ACCOUNT, true, ARGS("1", "--clear", "id")));    /* read-only */
	CHECK(refused(ACCOUNT, true, ARGS("1", "--clear", "custom.")));
	CHECK(refused(ACCOUNT, true, ARGS("1", "--website", "")));
	CHECK(refused(ACCOUNT, true, ARGS("1", "--name", "X", "--clear", "name")));
	CHECK(refused(ACCOUNT, true,
		      ARGS("1", "--billing-city", "X", "--clear", "billing-city")));
	CHECK(refused(ACCOUNT, true, ARGS("1", "--name", "X", "--version", "v3")));
}

/* ---------------------------------------------------------------- list */

static int parse_list(const struct crm_rec_type *t, struct crm_rec_list *l,
		      const char *const *args) {
	struct crm_cli cli = {0};
	char *argv[64];
	int argc = 0;

	argv[argc++] = "crm x list";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memset(l, 0, sizeof(*l));
	optind = 0;
	return crm_rec_parse_list(&cli, t, argc, argv, NOW, l);
}

static bool list_refused(const char *const *args) {
	struct crm_rec_list l;
	int rc = parse_list(ACCOUNT, &l, args);

	crm_rec_list_fini(&l);
	return rc == CRM_EXIT_USAGE;
}

static const Crm__Filter *filter(const Crm__RecordList *rl, const char *field, int op) {
	size_t i;

	for (i = 0; i < rl->n_filters; i++)
		if (bytes_is(rl->filters[i]->field, field) && (int)rl->filters[i]->op == op)
			return rl->filters[i];
	return NULL;
}

static void test_list(void) {
	struct crm_rec_list l;
	const Crm__Filter *f;
	int rc;

	rc = parse_list(ACCOUNT, &l,
			ARGS("--filter", "industry=Software", "--industry", "Retail", "--filter",
			     "employees>=10", "--filter", "website=", "--owner", "ada", "--tag",
			     "vip", "--updated-since", "-1d", "--filter", "created_at<2026-01-01",
			     "--sort", "name,-updated_at", "--total", "--deleted", "--limit", "20"));
	CHECK(rc == 0);
	CHECK(l.rl.has_type && l.rl.type == CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT);
	CHECK(l.rl.n_filters == 7);
	f = filter(&l.rl, "industry", CRM__FILTER_OP__FILTER_OP_EQ);
	CHECK(f != NULL && f->n_values == 2 && bytes_is(f->values[0], "Software") &&
	      bytes_is(f->values[1], "Retail"));
	f = filter(&l.rl, "employees", CRM__FILTER_OP__FILTER_OP_GE);
	CHECK(f != NULL && f->n_values == 1 && bytes_is(f->values[0], "10"));
	f = filter(&l.rl, "website", CRM__FILTER_OP__FILTER_OP_EMPTY);
	CHECK(f != NULL && f->n_values == 0);
	f = filter(&l.rl, "owner", CRM__FILTER_OP__FILTER_OP_EQ);
	CHECK(f != NULL && bytes_is(f->values[0], "ada"));
	f = filter(&l.rl, "tags", CRM__FILTER_OP__FILTER_OP_EQ);
	CHECK(f != NULL && bytes_is(f->values[0], "vip"));
	f = filter(&l.rl, "updated_at", CRM__FILTER_OP__FILTER_OP_GE);
	CHECK(f != NULL && bytes_is(f->values[0], "1795255200000000")); /* NOW - 1 day */
	f = filter(&l.rl, "created_at", CRM__FILTER_OP__FILTER_OP_LT);
	CHECK(f != NULL && bytes_is(f->values[0], "1767225600000000")); /* 2026-01-01 UTC */
	CHECK(l.rl.n_sort == 2 && bytes_is(l.rl.sort[0]->field, "name") && !l.rl.sort[0]->desc &&
	      bytes_is(l.rl.sort[1]->field, "updated_at") && l.rl.sort[1]->desc);
	CHECK(l.rl.total && l.rl.deleted && !l.rl.export && !l.all);
	CHECK(l.rl.page == &l.page && l.page.has_limit && l.page.limit == 20);
	crm_rec_list_fini(&l);

	rc = parse_list(ACCOUNT, &l, ARGS("--all", "--export"));
	CHECK(rc == 0 && l.all && l.rl.export && l.page.limit == 500 && l.rl.n_filters == 0);
	crm_rec_list_fini(&l);

	rc = parse_list(CONTACT, &l, ARGS("--account", "12", "--filter", "family_name!=Li"));
	CHECK(rc == 0 && filter(&l.rl, "account_id", CRM__FILTER_OP__FILTER_OP_EQ) != NULL &&
	      filter(&l.rl, "family_name", CRM__FILTER_OP__FILTER_OP_NE) != NULL);
	crm_rec_list_fini(&l);

	CHECK(list_refused(ARGS("--filter", "industry")));
	CHECK(list_refused(ARGS("--filter", "employees>")));
	CHECK(list_refused(ARGS("--filter", "Name=x")));
	CHECK(list_refused(ARGS("--sort", "name,")));
	CHECK(list_refused(ARGS("--sort", "-")));
	CHECK(list_refused(ARGS("--sort", "a,b,c,d")));
	CHECK(list_refused(ARGS("--updated-since", "last week")));
	CHECK(list_refused(ARGS("--limit", "0")));
	CHECK(list_refused(ARGS("--limit", "501")));
	CHECK(list_refused(ARGS("--owner", "")));
	CHECK(list_refused(ARGS("extra")));
	CHECK(list_refused(ARGS("--email", "a@b"))); /* a contact shortcut, not an account's */
}

/* ---------------------------------------------------------------- printing */

static char *render(const crm_result *r, crm_format format, bool record, bool raw) {
	crm_output_opts o = {.format = format, .record = record, .csv_raw = raw, .utc = true};
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	CHECK(f != NULL && crm_output_render(r, &o, f));
	fclose(f);
	return got;
}

static void expect(const char *got, const char *want, int line) {
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "line %d: output differs\n--- want\n%s--- got\n%s---\n", line, want,
			got);
		failures++;
	}
}

static void test_print(void) {
	Crm__Account a = CRM__ACCOUNT__INIT;
	Crm__RecordMeta am = CRM__RECORD_META__INIT, cm = CRM__RECORD_META__INIT;
	Crm__Address addr = CRM__ADDRESS__INIT;
	Crm__Money rev = CRM__MONEY__INIT;
	Crm__CustomValue cv = CRM__CUSTOM_VALUE__INIT, *cvs[] = {&cv};
	ProtobufCBinaryData tags[] = {{3, (uint8_t *)"vip"}, {2, (uint8_t *)"eu"}};
	Crm__Contact c = CRM__CONTACT__INIT;
	Crm__ContactEmail e1 = CRM__CONTACT_EMAIL__INIT, e2 = CRM__CONTACT_EMAIL__INIT;
	Crm__ContactEmail *emails[] = {&e1, &e2};
	crm_result *r;
	char *got;

	a.meta = &am;
	am.has_id = am.has_version = am.has_updated_at = true;
	am.id = 12;
	am.version = 3;
	am.updated_at = 0;
	am.owner = "ada";
	a.has_name = a.has_type = true;
	a.name.data = (uint8_t *)"=HYPERLINK(\"x\")";
	a.name.len = strlen((char *)a.name.data);
	a.type = CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_CUSTOMER;
	addr.has_city = addr.has_country = true;
	addr.city.data = (uint8_t *)"Berlin";
	addr.city.len = 6;
	addr.country.data = (uint8_t *)"DE";
	addr.country.len = 2;
	a.billing_address = &addr;
	rev.has_amount = rev.has_currency = true;
	rev.amount.data = (uint8_t *)"1000000.50";
	rev.amount.len = 10;
	rev.currency.data = (uint8_t *)"EUR";
	rev.currency.len = 3;
	a.annual_revenue = &rev;
	am.n_tags = 2;
	am.tags = tags;
	cv.has_field = cv.has_value = true;
	cv.field.data = (uint8_t *)"score";
	cv.field.len = 5;
	cv.value.data = (uint8_t *)"12";
	cv.value.len = 2;
	am.n_custom = 1;
	am.custom = cvs;

	r = crm_rec_result(&crm__account__descriptor);
	crm_rec_add_message(r, &a.base);
	got = render(r, CRM_FORMAT_JSON, true, false);
	expect(got,
	       "{\"id\":12,\"name\":\"=HYPERLINK(\\\"x\\\")\",\"legal_name\":null,"
	       "\"type\":\"customer\",\"individual\":null,\"industry\":null,\"region\":null,"
	       "\"tier\":null,\"website\":null,\"phone\":null,"
	       "\"billing_address\":{\"city\":\"Berlin\",\"country\":\"DE\"},"
	       "\"shipping_address\":null,\"parent_id\":null,\"parent_name\":null,"
	       "\"annual_revenue\":{\"amount\":\"1000000.50\",\"currency\":\"EUR\"},"
	       "\"employees\":null,\"description\":null,\"tags\":[\"vip\",\"eu\"],"
	       "\"custom\":[{\"field\":\"score\",\"value\":\"12\"}],\"version\":3,"
	       "\"owner\":\"ada\",\"team\":null,\"created_at\":null,\"created_by\":null,"
	       "\"updated_at\":\"1970-01-01T00:00:00.000000Z\",\"updated_by\":null,"
	       "\"deleted_at\":null,\"external_id\":null}\n",
	       __LINE__);
	free(got);
	/* CSV: the formula-like name gets a leading ', unless raw */
	got = render(r, CRM_FORMAT_CSV, false, false);
	CHECK(strstr(got, "\r\n12,\"'=HYPERLINK(\"\"x\"\")\",,customer,") != NULL);
	CHECK(strstr(got, "\"{\"\"amount\"\":\"\"1000000.50\"\",\"\"currency\"\":\"\"EUR\"\"}\"") !=
	      NULL);
	free(got);
	got = render(r, CRM_FORMAT_CSV, false, true);
	CHECK(strstr(got, "\r\n12,\"=HYPERLINK(\"\"x\"\")\",,customer,") != NULL);
	free(got);
	crm_result_free(r);

	/* tables for people: nested values as text */
	r = crm_rec_result(&crm__account__descriptor);
	crm_rec_add_message(r, &a.base);
	got = render(r, CRM_FORMAT_TABLE, true, false);
	CHECK(strstr(got, "billing_address   city: Berlin\n                  country: DE\n") !=
	      NULL);
	CHECK(strstr(got, "annual_revenue    1000000.50 EUR\n") != NULL);
	CHECK(strstr(got, "tags              vip, eu\n") != NULL);
	CHECK(strstr(got, "custom            score: 12\n") != NULL);
	free(got);
	crm_result_free(r);

	r = crm_rec_people_result(ACCOUNT);
	crm_rec_add_people_row(r, ACCOUNT, &a.base);
	got = render(r, CRM_FORMAT_TABLE, false, false);
	expect(got,
	       "id  name             type      industry  region  owner  updated_at\n"
	       "--  ---------------  --------  --------  ------  -----  -----------------------\n"
	       "12  =HYPERLINK(\"x\")  customer                    ada    1970-01-01 00:00:00 UTC\n",
	       __LINE__);
	free(got);
	crm_result_free(r);

	/* contacts: the primary e-mail in the list, all of them in show */
	c.meta = &cm;
	cm.has_id = true;
	cm.id = 5;
	c.display_name = "Ada Lovelace";
	e1.has_address = e1.has_kind = true;
	e1.address.data = (uint8_t *)"ada@example.com";
	e1.address.len = 15;
	e1.kind.data = (uint8_t *)"work";
	e1.kind.len = 4;
	e2.has_address = e2.has_primary = true;
	e2.address.data = (uint8_t *)"ada@home.example";
	e2.address.len = 16;
	e2.primary = true;
	c.n_emails = 2;
	c.emails = emails;
	r = crm_rec_people_result(CONTACT);
	crm_rec_add_people_row(r, CONTACT, &c.base);
	got = render(r, CRM_FORMAT_JSON, false, false);
	expect(got,
	       "[\n{\"id\":5,\"display_name\":\"Ada Lovelace\",\"title\":null,"
	       "\"email\":\"ada@home.example\",\"phone\":null,\"account\":null,\"owner\":null}\n]\n",
	       __LINE__);
	free(got);
	crm_result_free(r);
	r = crm_rec_result(&crm__contact__descriptor);
	crm_rec_add_message(r, &c.base);
	got = render(r, CRM_FORMAT_TABLE, true, false);
	CHECK(strstr(got, "emails                ada@example.com (work)\n"
			  "                      ada@home.example (primary)\n") != NULL);
	free(got);
	crm_result_free(r);
}

/* The flags of the record types' tables agree with the field options of
 * crm.proto (proto/gen_fields.py): every option a type's own field names
 * is a flag of that type setting that field, and every type has a table. */
static void test_facts(void) {
	size_t i, j, own = 0;

	for (i = 0; i < CRM_N_FIELD_FACTS; i++) {
		const struct crm_field_facts *f = &crm_field_facts[i];
		const struct crm_rec_type *t = crm_rec_type_by_noun(f->record_type);
		bool found = false;

		CHECK(t != NULL);
		if (t == NULL || f->cli_option == NULL ||
		    protobuf_c_message_descriptor_get_field_by_name(t->desc, f->field) == NULL)
			continue; /* no option, or a shared (RecordMeta) field: common flags */
		own++;
		for (j = 0; j < t->n_flags && !found; j++)
			found = strcmp(t->flags[j].flag, f->cli_option) == 0 &&
				strcmp(t->flags[j].path, f->field) == 0;
		if (!found)
			fprintf(stderr, "test_record: %s.%s: crm.proto says --%s, %s's flags do not\n",
				f->record_type, f->field, f->cli_option, t->noun);
		CHECK(found);
	}
	CHECK(own > 20);
}

/* The generated tables (crm_rec_flags.h), as arrays of their own. */
#define GENERATED(noun, NOUN)                                                   \
	static const struct crm_rec_flag gen_flags_##noun[] = {CRM_REC_##NOUN##_FLAGS}; \
	static const char *const gen_needs_##noun[] = {CRM_REC_##NOUN##_NEEDS};
CRM_REC_FLAG_TYPES(GENERATED)
#define GENERATED_ROW(noun, NOUN)                                                        \
	{#noun, gen_flags_##noun, sizeof(gen_flags_##noun) / sizeof(gen_flags_##noun[0]), \
	 gen_needs_##noun},
static const struct {
	const char *noun;
	const struct crm_rec_flag *flags;
	size_t n;
	const char *const *needs;
} generated[] = {CRM_REC_FLAG_TYPES(GENERATED_ROW)};
#define N_GENERATED (sizeof(generated) / sizeof(generated[0]))

static bool same_list(const char *const *a, const char *const *b) {
	for (; a != NULL && b != NULL && *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return a == b || (a != NULL && b != NULL && *a == NULL && *b == NULL);
}

static bool has_flag(const struct crm_rec_type *t, const char *path, enum crm_rec_flag_kind kind) {
	for (size_t i = 0; i < t->n_flags; i++)
		if (t->flags[i].kind == kind && strcmp(t->flags[i].path, path) == 0)
			return true;
	return false;
}

/* RecordUpdate has a field prefix + path (singular: without its last s). */
static bool update_has(const char *prefix, const char *path, bool singular) {
	char name[64];
	int n = snprintf(name, sizeof(name), "%s%s", prefix, path);

	if (singular && n > 1 && name[n - 1] == 's')
		name[n - 1] = '\0';
	return protobuf_c_message_descriptor_get_field_by_name(&crm__record_update__descriptor,
							       name) != NULL;
}

/* A row of a type's flag table names a field of the type's message that
 * its kind can set. */
static bool flag_fits(const struct crm_rec_type *t, const struct crm_rec_flag *f) {
	struct crm_rec_mem mem = {0};
	ProtobufCMessage *m = crm_rec_alloc(&mem, t->desc->sizeof_message);
	const ProtobufCFieldDescriptor *fd = NULL;
	bool list, ok;

	protobuf_c_message_init(t->desc, m);
	ok = crm_rec_walk(&mem, m, f->path, &fd) != NULL && fd != NULL;
	list = ok && fd->label == PROTOBUF_C_LABEL_REPEATED && fd->type == PROTOBUF_C_TYPE_MESSAGE;
	switch (f->kind) {
	case CRM_REC_VALUE:
		ok = ok && !list && f->kinds == NULL;
		break;
	case CRM_REC_SWITCH:
		ok = ok && fd->type == PROTOBUF_C_TYPE_BOOL && fd->label != PROTOBUF_C_LABEL_REPEATED;
		break;
	case CRM_REC_MINUTES:
		ok = ok && fd->type == PROTOBUF_C_TYPE_INT64 && fd->label != PROTOBUF_C_LABEL_REPEATED;
		break;
	case CRM_REC_TYPED:
		ok = ok && list && f->kinds != NULL && f->kinds[0] != NULL;
		break;
	case CRM_REC_PAIR:
		ok = ok && list && f->kinds == NULL;
		break;
	case CRM_REC_PRIMARY:
		ok = ok && has_flag(t, f->path, CRM_REC_TYPED) && update_has("primary_", f->path, true);
		break;
	case CRM_REC_ADD:
		ok = ok && has_flag(t, f->path, CRM_REC_TYPED) && update_has("add_", f->path, false) &&
		     f->kinds != NULL;
		break;
	case CRM_REC_REMOVE:
		ok = ok && has_flag(t, f->path, CRM_REC_ADD) && update_has("remove_", f->path, false);
		break;
	}
	crm_rec_mem_free(&mem);
	return ok;
}

/* The help of a type's own options (fields_help: generated for one
 * field's option, words of cmd_<type>.c for the others) names flag f: as
 * "--flag", or for a part of a message (--shipping-city) its prefix
 * ("--shipping-street ... --shipping-country"). */
static bool in_help(const struct crm_rec_type *t, const struct crm_rec_flag *f) {
	char want[72];
	const char *dash = strchr(f->flag, '-');
	int n = snprintf(want, sizeof(want), "--%s", f->flag);

	if (strchr(f->path, '.') != NULL && dash != NULL)
		n = snprintf(want, sizeof(want), "--%.*s", (int)(dash - f->flag + 1), f->flag);
	for (const char *p = t->fields_help; n > 0 && p != NULL && (p = strstr(p, want)) != NULL;
	     p += n)
		if (strchr(" ,[\n", p[n]) != NULL || strchr(f->path, '.') != NULL)
			return true;
	return false;
}

/* The CLI's flag tables are the ones generated from crm.proto's options
 * (crm_rec_flags.h), for every record type it has, and each row sets a
 * field its kind fits: SWITCH a bool, TYPED and PAIR a list of messages,
 * the list edits (PRIMARY, ADD, REMOVE) a TYPED list that RecordUpdate
 * can edit item by item; the fields add needs one of have flags; the help
 * names each flag. */
static void test_flags(void) {
	size_t i, j, k;

	for (i = 0; crm_rec_types[i] != NULL; i++) {
		const struct crm_rec_type *t = crm_rec_types[i];

		for (k = 0; k < N_GENERATED && strcmp(generated[k].noun, t->noun) != 0; k++)
			;
		CHECK(k < N_GENERATED);
		if (k == N_GENERATED)
			continue;
		CHECK(t->n_flags == generated[k].n);
		for (j = 0; j < t->n_flags && j < generated[k].n; j++) {
			const struct crm_rec_flag *f = &t->flags[j], *g = &generated[k].flags[j];

			CHECK(strcmp(f->flag, g->flag) == 0 && strcmp(f->path, g->path) == 0 &&
			      f->kind == g->kind && same_list(f->kinds, g->kinds));
			if (!flag_fits(t, f))
				fprintf(stderr, "test_record: %s --%s (%s) does not fit its field\n",
					t->noun, f->flag, f->path);
			CHECK(flag_fits(t, f));
			if (!in_help(t, f))
				fprintf(stderr, "test_record: %s add --help lacks --%s\n", t->noun,
					f->flag);
			CHECK(in_help(t, f));
		}
		CHECK(same_list(t->needs_one_of, generated[k].needs));
		CHECK(t->needs_one_of != NULL && t->needs_one_of[0] != NULL);
		for (j = 0; t->needs_one_of != NULL && t->needs_one_of[j] != NULL; j++)
			CHECK(has_flag(t, t->needs_one_of[j], CRM_REC_VALUE));
	}
	CHECK(N_GENERATED >= 3);
	for (k = 0; k < N_GENERATED; k++)
		CHECK(crm_rec_type_by_noun(generated[k].noun) != NULL);
	/* the checks can fail: a switch on a text field, a list edit of a
	 * list RecordUpdate cannot edit */
	CHECK(!flag_fits(ACCOUNT, &(struct crm_rec_flag){"x", "name", CRM_REC_SWITCH, NULL}));
	CHECK(!flag_fits(CONTACT, &(struct crm_rec_flag){"x", "preferences", CRM_REC_ADD, NULL}));
	CHECK(!flag_fits(ACCOUNT, &(struct crm_rec_flag){"x", "billing_address.town", CRM_REC_VALUE,
						       NULL}));
}

/* The longest line of s in characters (UTF-8). */
static size_t widest_line(const char *s) {
	size_t widest = 0, col = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			col = 0;
		else if (((unsigned char)*s & 0xC0) != 0x80)
			col++;
		if (col > widest)
			widest = col;
	}
	return widest;
}

static const struct crm_cli_command *command(const char *noun, const char *verb) {
	size_t i, n;
	const struct crm_cli_command *all = crm_cli_commands(&n);

	for (i = 0; i < n; i++)
		if (strcmp(all[i].noun, noun) == 0 && all[i].verb != NULL &&
		    strcmp(all[i].verb, verb) == 0)
			return &all[i];
	return NULL;
}

/* Every record type has every verb, made from its table: help that names
 * it, fits 80 columns and holds no stray printf directive. */
static void test_commands(void) {
	static const char *const verbs[] = {"add",     "show",  "list",	    "edit",  "delete",
					    "restore", "purge", "reassign", "share"};
	const struct crm_cli_noun *nouns;
	size_t i, j, k, n_nouns;

	nouns = crm_cli_nouns(&n_nouns);
	CHECK(crm_rec_types[0] != NULL);
	for (i = 0; crm_rec_types[i] != NULL; i++) {
		const struct crm_rec_type *t = crm_rec_types[i];
		bool noun = false;

		for (k = 0; k < n_nouns; k++)
			noun = noun || strcmp(nouns[k].noun, t->noun) == 0;
		CHECK(noun);
		CHECK(crm_rec_type_by_noun(t->noun) == t);
		CHECK(t->a_noun != NULL && t->summary != NULL);
		for (j = 0; j < sizeof(verbs) / sizeof(verbs[0]); j++) {
			const struct crm_cli_command *c = command(t->noun, verbs[j]);

			CHECK(c != NULL);
			if (c == NULL)
				continue;
			CHECK(strstr(c->summary, t->noun) != NULL ||
			      strstr(c->summary, t->plural) != NULL);
			CHECK(c->help[0] != '\0' && c->help[strlen(c->help) - 1] == '\n');
			CHECK(widest_line(c->help) <= 80);
			CHECK(strstr(c->help, "%") == NULL);
			CHECK(strstr(c->summary, "%") == NULL);
		}
		/* --with-contacts where the type says so, and only there */
		CHECK(command(t->noun, "reassign") != NULL &&
		      (strstr(command(t->noun, "reassign")->args, "--with-contacts") != NULL) ==
			      t->with_contacts);
	}
	CHECK(command("account", "add") != NULL &&
	      strcmp(command("account", "add")->summary, "add an account") == 0);
	CHECK(command("note", "list") != NULL &&
	      strstr(command("note", "list")->help, "'crm field list note'") != NULL);
	CHECK(command("contact", "link") != NULL);       /* a type's own verb */
	CHECK(command("account", "link") == NULL);
}

/* ---------------------------------------------------------------- the types */

/* What is written on standard error between capture_begin and capture_end. */
static FILE *captured;
static int saved_stderr = -1;

static void capture_begin(void) {
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(2);
	if (captured == NULL || saved_stderr < 0 || dup2(fileno(captured), 2) < 0)
		abort();
}

static const char *capture_end(void) {
	static char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(captured);
	n = fread(buf, 1, sizeof(buf) - 1, captured);
	buf[n] = '\0';
	fclose(captured);
	return buf;
}

/* crm has a table for every record type crm.proto has, and only those:
 * each RecordType value but 0 is one type of crm_rec_types, named as the
 * value without RECORD_TYPE_ and as its member of Record's oneof kind,
 * whose message is the table's. And what crm says about types names each:
 * 'crm --help', 'crm field add --help', field list's usage error, the
 * hints after an error about a field of the type, and the hint after an
 * edit whose outcome is unknown (the same for every type). */
static void test_types(void) {
	const ProtobufCEnumDescriptor *ed = &crm__record_type__descriptor;
	const struct crm_rec_type *in_help[CRM_N_RECORD_TYPES];
	const struct crm_cli_command *field_add = command("field", "add");
	size_t i, j, n = 0, n_help;
	char want[128];

	for (i = 0; i < ed->n_values; i++) {
		const ProtobufCFieldDescriptor *member;
		const struct crm_rec_type *t;
		char noun[64];

		if (ed->values[i].value == 0)
			continue;
		n++;
		CHECK(strncmp(ed->values[i].name, "RECORD_TYPE_", 12) == 0);
		for (j = 0; ed->values[i].name[12 + j] != '\0' && j + 1 < sizeof(noun); j++)
			noun[j] = (char)(ed->values[i].name[12 + j] | 0x20);
		noun[j] = '\0';
		t = crm_rec_type_by_noun(noun);
		if (t == NULL)
			fprintf(stderr, "test_record: RecordType %s has no table in crm\n",
				ed->values[i].name);
		CHECK(t != NULL);
		if (t == NULL)
			continue;
		CHECK((int)t->type == ed->values[i].value);
		member = protobuf_c_message_descriptor_get_field_by_name(&crm__record__descriptor,
									 noun);
		CHECK(member != NULL && member->descriptor == t->desc);
		CHECK(strstr(crm_rec_type_names(), noun) != NULL);
		CHECK(field_add != NULL && strstr(field_add->help, noun) != NULL);
	}
	for (i = 0; crm_rec_types[i] != NULL; i++)
		;
	CHECK(i == n && n == CRM_N_RECORD_TYPES && n >= 3);
	n_help = crm_rec_types_in_help_order(in_help);
	CHECK(n_help == n);
	for (i = 0; i + 1 < n_help; i++)
		CHECK(in_help[i]->help_rank <= in_help[i + 1]->help_rank);
	/* the order of 'crm --help' (notes first) */
	CHECK(strcmp(in_help[0]->noun, "note") == 0);

	for (i = 0; crm_rec_types[i] != NULL; i++) {
		const struct crm_rec_type *t = crm_rec_types[i];
		const struct crm_cli_command *list = command(t->noun, "list");
		struct crm_cli cli = {0};
		char help[8192], fields[1024];
		size_t o = 0, k;
		crm_err err;
		const char *out;

		/* list --help names the fields that filter as crm.proto's field
		 * options say, every one, and each shortcut of the type */
		CHECK(list != NULL);
		for (out = list ? list->help : ""; *out != '\0' && o + 1 < sizeof(help); out++)
			if (!(isspace((unsigned char)*out) && o > 0 && help[o - 1] == ' '))
				help[o++] = isspace((unsigned char)*out) ? ' ' : *out;
		help[o] = '\0';
		o = (size_t)snprintf(fields, sizeof(fields), "standard field (");
		for (k = 0; k < CRM_N_FIELD_FACTS && o < sizeof(fields); k++)
			if (strcmp(crm_field_facts[k].record_type, t->noun) == 0 &&
			    crm_field_facts[k].filterable)
				o += (size_t)snprintf(fields + o, sizeof(fields) - o, "%s, ",
						      crm_field_facts[k].name);
		if (o < sizeof(fields))
			snprintf(fields + o, sizeof(fields) - o, "...)");
		if (strstr(help, fields) == NULL)
			fprintf(stderr, "test_record: crm %s list --help lacks %s\n", t->noun, fields);
		CHECK(strstr(help, fields) != NULL);
		for (k = 0; k < t->n_shortcuts; k++) {
			bool named = false;
			int wl = snprintf(want, sizeof(want), "--%s", t->shortcuts[k].flag);

			for (out = help; !named && (out = strstr(out, want)) != NULL; out += wl)
				named = out[wl] == ' ' || out[wl] == ',';
			if (!named)
				fprintf(stderr, "test_record: crm %s list --help lacks %s\n", t->noun,
					want);
			CHECK(named);
		}

		/* field list's usage error names every type */
		cli.cmd = command("field", "list");
		CHECK(cli.cmd != NULL);
		if (cli.cmd != NULL) {
			char arg0[] = "list", *argv[] = {arg0, NULL};

			optind = 0;
			capture_begin();
			CHECK(cli.cmd->run(&cli, 1, argv) == CRM_EXIT_USAGE);
			out = capture_end();
			snprintf(want, sizeof(want), "TYPE (%s)", crm_rec_type_names());
			CHECK(strstr(out, want) != NULL && strstr(out, t->noun) != NULL);
		}

		/* a bad custom value of the type, the command not naming it */
		cli.cmd = NULL;
		crm_err_clear(&err);
		crm_err_set(&err, CRM_INVALID_ARGUMENT, "", "not a number");
		snprintf(err.field, sizeof(err.field), "record_update.changes.%s.custom.score",
			 t->noun);
		capture_begin();
		crm_cli_hint_next(&cli, &err);
		out = capture_end();
		snprintf(want, sizeof(want), "'crm field list %s' shows the custom fields", t->noun);
		if (strstr(out, want) == NULL)
			fprintf(stderr, "test_record: no hint for %s: %s\n", err.field, out);
		CHECK(strstr(out, want) != NULL);
		/* an id it does not have */
		cli.cmd = command(t->noun, "show");
		crm_err_clear(&err);
		crm_err_set(&err, CRM_NOT_FOUND, "record_get.id", "no such record");
		capture_begin();
		crm_cli_hint_next(&cli, &err);
		out = capture_end();
		snprintf(want, sizeof(want), "'crm %s list' shows the %s you can see", t->noun,
			 t->plural);
		CHECK(strstr(out, want) != NULL);
		/* an edit sent with a key whose outcome is unknown */
		cli.cmd = command(t->noun, "edit");
		cli.keyed = true;
		crm_err_clear(&err);
		crm_err_set(&err, CRM_UNAVAILABLE, "", "outcome unknown: the connection broke");
		capture_begin();
		crm_cli_fail(&cli, &err);
		out = capture_end();
		if (strstr(out, "check whether the change was made") == NULL)
			fprintf(stderr, "test_record: crm %s edit: no hint: %s\n", t->noun, out);
		CHECK(strstr(out, "check whether the change was made") != NULL);
		free(cli.longopts); /* what crm_cli_fini frees of a cli like this */
	}
}

int main(void) {
	test_values();
	test_account_add();
	test_contact_add();
	test_edit();
	test_list();
	test_print();
	test_facts();
	test_flags();
	test_commands();
	test_types();
	return checks_result("test_record");
}
