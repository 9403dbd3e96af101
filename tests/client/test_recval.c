/*
 * Unit test of client/recval.c: a record's values by the server's field
 * names (standard fields through the field facts, meta's fields, custom
 * values and their labels), as text and as numbers. No server needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recval.h"
#include "checks.h"

#define BIN(s) ((ProtobufCBinaryData){strlen(s), (uint8_t *)(s)})

/* The text of field name of rec, or "<none>". */
static void expect_text(const ProtobufCMessage *rec, const char *type, const char *name,
			const Crm__FieldListReply *labels, const char *want, int line) {
	crm_sbuf b = {0};
	bool has;

	crm_sbuf_puts(&b, "");
	has = crm_recval_text(&b, rec, type, name, labels);
	if (strcmp(has ? b.p : "<none>", want) != 0) {
		fprintf(stderr, "line %d: %s: got '%s', want '%s'\n", line, name,
			has ? b.p : "<none>", want);
		failures++;
	}
	crm_sbuf_fini(&b);
}
#define EXPECT_TEXT(rec, type, name, labels, want) \
	expect_text(rec, type, name, labels, want, __LINE__)

static void test_account(void) {
	Crm__Account a = CRM__ACCOUNT__INIT;
	Crm__RecordMeta meta = CRM__RECORD_META__INIT;
	Crm__CustomValue cv = CRM__CUSTOM_VALUE__INIT, *cvs[] = {&cv};
	Crm__Money rev = CRM__MONEY__INIT;
	Crm__Record r = CRM__RECORD__INIT;
	Crm__FieldDef score = CRM__FIELD_DEF__INIT, *defs[] = {&score};
	Crm__FieldListReply labels = CRM__FIELD_LIST_REPLY__INIT;
	ProtobufCBinaryData tags[] = {BIN("vip"), BIN("east")};
	struct crm_recval_ref ref;
	int64_t v = 0;

	meta.has_id = true;
	meta.id = 42;
	meta.owner = "alice";
	meta.has_created_at = true;
	meta.created_at = 0;
	meta.n_tags = 2;
	meta.tags = tags;
	cv.has_field = cv.has_value = true;
	cv.field = BIN("tier_score");
	cv.value = BIN("12");
	meta.n_custom = 1;
	meta.custom = cvs;
	a.meta = &meta;
	a.has_name = true;
	a.name = BIN("Acme");
	a.has_type = true;
	a.type = CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_CUSTOMER;
	rev.has_amount = rev.has_currency = true;
	rev.amount = BIN("1250.50");
	rev.currency = BIN("EUR");
	a.annual_revenue = &rev;
	r.kind_case = CRM__RECORD__KIND_ACCOUNT;
	r.account = &a;
	score.has_name = score.has_label = true;
	score.name = BIN("tier_score");
	score.label = BIN("Tier score");
	labels.n_fields = 1;
	labels.fields = defs;

	const ProtobufCMessage *m = crm_recval_inner(&r);
	CHECK(m == &a.base);
	EXPECT_TEXT(m, "account", "name", NULL, "Acme");
	EXPECT_TEXT(m, "account", "type", NULL, "customer");
	EXPECT_TEXT(m, "account", "owner", NULL, "alice");
	EXPECT_TEXT(m, "account", "id", NULL, "42");
	EXPECT_TEXT(m, "account", "tags", NULL, "vip, east");
	EXPECT_TEXT(m, "account", "annual_revenue", NULL, "1250.50 EUR");
	EXPECT_TEXT(m, "account", "created_at", NULL, "1970-01-01T00:00:00.000000Z");
	EXPECT_TEXT(m, "account", "tier_score", NULL, "12");
	EXPECT_TEXT(m, "account", "custom", &labels, "Tier score: 12");
	EXPECT_TEXT(m, "account", "custom", NULL, "tier_score: 12");
	EXPECT_TEXT(m, "account", "industry", NULL, "<none>");     /* standard, empty */
	EXPECT_TEXT(m, "account", "no_such_field", NULL, "<none>");
	CHECK(crm_recval_by_name(m, "account", "industry", &ref) && ref.holder == NULL &&
	      ref.fd != NULL);
	CHECK(!crm_recval_by_name(m, "account", "no_such_field", &ref));
	CHECK(crm_recval_int(m, "account", "id", &v) && v == 42);
	CHECK(!crm_recval_int(m, "account", "name", &v));
	CHECK(crm_recval_custom(m, "tier_score") == &cv);
	CHECK(crm_recval_custom(m, "tier") == NULL);
	CHECK(crm_recval_custom_label(&labels, "tier_score", 10) == &score.label);
	score.standard = true; /* a standard field's label names no custom value */
	CHECK(crm_recval_custom_label(&labels, "tier_score", 10) == NULL);
}

/* An instant as the desktop might write it: a fixed marker and the µs. */
static void marked_instant(crm_sbuf *b, int64_t us, const void *data) {
	crm_sbuf_printf(b, "%s%lld", (const char *)data, (long long)us);
}

static void expect_styled(const ProtobufCMessage *rec, const char *name,
			  const Crm__FieldListReply *labels, const crm_recval_style *st,
			  const char *want, int line) {
	crm_sbuf b = {0};
	bool has;

	crm_sbuf_puts(&b, "");
	has = crm_recval_text_styled(&b, rec, "account", name, labels, st);
	if (strcmp(has ? b.p : "<none>", want) != 0) {
		fprintf(stderr, "line %d: %s: got '%s', want '%s'\n", line, name,
			has ? b.p : "<none>", want);
		failures++;
	}
	crm_sbuf_fini(&b);
}
#define EXPECT_STYLED(rec, name, labels, st, want) \
	expect_styled(rec, name, labels, st, want, __LINE__)

/* crm_recval_text_styled (crm-desktop's cells): counts, money and custom
 * numbers with the locale's separators, identifiers never, instants
 * through the style's function; without a style as crm_recval_text. */
static void test_styled(void) {
	Crm__Account a = CRM__ACCOUNT__INIT;
	Crm__RecordMeta meta = CRM__RECORD_META__INIT;
	Crm__Money rev = CRM__MONEY__INIT;
	Crm__CustomValue n = CRM__CUSTOM_VALUE__INIT, m = CRM__CUSTOM_VALUE__INIT, t = CRM__CUSTOM_VALUE__INIT;
	Crm__CustomValue *cvs[] = {&n, &m, &t};
	Crm__FieldDef dn = CRM__FIELD_DEF__INIT, dm = CRM__FIELD_DEF__INIT, dt = CRM__FIELD_DEF__INIT;
	Crm__FieldDef *defs[] = {&dn, &dm, &dt};
	Crm__FieldListReply labels = CRM__FIELD_LIST_REPLY__INIT;
	/* de_DE's numbers (point ",", groups of three by "."), money in
	 * groups of three by a space */
	crm_numfmt nf = {.point = ",", .sep = ".", .grouping = "\3",
			 .mon_point = ",", .mon_sep = " ", .mon_grouping = "\3"};
	crm_recval_style st = {.numbers = &nf, .instant = marked_instant, .data = "at:"};

	meta.has_id = meta.has_version = meta.has_created_at = true;
	meta.id = 1234567;
	meta.version = 1234;
	meta.created_at = 1700000000000000;
	meta.n_custom = 3;
	meta.custom = cvs;
	a.meta = &meta;
	a.has_employees = true;
	a.employees = 1250000;
	a.has_parent_id = true;
	a.parent_id = 7654321;
	rev.has_amount = rev.has_currency = true;
	rev.amount = BIN("-1250000.50");
	rev.currency = BIN("EUR");
	a.annual_revenue = &rev;
	n.has_field = n.has_value = m.has_field = m.has_value = t.has_field = t.has_value = true;
	n.field = BIN("seats");
	n.value = BIN("25000");
	m.field = BIN("budget");
	m.value = BIN("99000.25 USD");
	t.field = BIN("code");
	t.value = BIN("12345");
	dn.has_name = dm.has_name = dt.has_name = dn.has_kind = dm.has_kind = dt.has_kind = true;
	dn.name = BIN("seats");
	dn.kind = CRM__FIELD_KIND__FIELD_KIND_NUMBER;
	dm.name = BIN("budget");
	dm.kind = CRM__FIELD_KIND__FIELD_KIND_MONEY;
	dt.name = BIN("code");
	dt.kind = CRM__FIELD_KIND__FIELD_KIND_TEXT;
	labels.n_fields = 3;
	labels.fields = defs;

	EXPECT_STYLED(&a.base, "employees", NULL, &st, "1.250.000");
	EXPECT_STYLED(&a.base, "annual_revenue", NULL, &st, "-1 250 000,50 EUR");
	EXPECT_STYLED(&a.base, "id", NULL, &st, "1234567");        /* identifiers never */
	EXPECT_STYLED(&a.base, "version", NULL, &st, "1234");
	EXPECT_STYLED(&a.base, "parent_id", NULL, &st, "7654321");
	EXPECT_STYLED(&a.base, "created_at", NULL, &st, "at:1700000000000000");
	EXPECT_STYLED(&a.base, "seats", &labels, &st, "25.000");
	EXPECT_STYLED(&a.base, "budget", &labels, &st, "99 000,25 USD");
	EXPECT_STYLED(&a.base, "code", &labels, &st, "12345");     /* text stays text */
	EXPECT_STYLED(&a.base, "seats", NULL, &st, "25000");       /* kind unknown */
	/* no style: what crm_recval_text writes */
	EXPECT_STYLED(&a.base, "employees", NULL, NULL, "1250000");
	EXPECT_STYLED(&a.base, "annual_revenue", NULL, NULL, "-1250000.50 EUR");
	EXPECT_STYLED(&a.base, "created_at", NULL, NULL, "2023-11-14T22:13:20.000000Z");
	EXPECT_STYLED(&a.base, "seats", &labels, NULL, "25000");
}

/* "email" in the field list is the contact's field `emails`. */
static void test_contact(void) {
	Crm__Contact c = CRM__CONTACT__INIT;
	Crm__ContactEmail e1 = CRM__CONTACT_EMAIL__INIT, e2 = CRM__CONTACT_EMAIL__INIT;
	Crm__ContactEmail *es[] = {&e1, &e2};
	const ProtobufCFieldDescriptor *fds[CRM_RECVAL_FIELDS_MAX];
	size_t n;

	e1.has_address = e2.has_address = true;
	e1.address = BIN("ada@example.com");
	e1.has_kind = true;
	e1.kind = BIN("work");
	e1.has_primary = true;
	e1.primary = true;
	e2.address = BIN("ada@home.example");
	c.n_emails = 2;
	c.emails = es;
	EXPECT_TEXT(&c.base, "contact", "email", NULL,
		    "ada@example.com (work, primary)\nada@home.example");
	EXPECT_TEXT(&c.base, "contact", "owner", NULL, "<none>"); /* no meta */
	n = crm_recval_fields(c.base.descriptor, fds);
	CHECK(n > 3 && strcmp(fds[0]->name, "id") == 0);
}

int main(void) {
	test_account();
	test_contact();
	test_styled();
	return checks_result("test_recval");
}
