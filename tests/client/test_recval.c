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
	return checks_result("test_recval");
}
