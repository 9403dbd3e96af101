/*
 * Unit test of client/recset.c, the form side of a record: the form
 * fields a type has (from a field list like the server's), each kind
 * written from text and read back as the same text (through a packed and
 * unpacked message, as the server would get it), bad texts refused with a
 * message, and a server error's field path mapped to the form field.
 * No server needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "recset.h"
#include "recval.h"

#define BIN(s) ((ProtobufCBinaryData){strlen(s), (uint8_t *)(s)})

static Crm__FieldDef defs[16];
static Crm__FieldDef *def_ptrs[16];
static Crm__FieldListReply list = CRM__FIELD_LIST_REPLY__INIT;

static void add_def(const char *name, Crm__FieldKind kind, bool standard, bool read_only,
		    Crm__RecordType references) {
	Crm__FieldDef *d = &defs[list.n_fields];

	crm__field_def__init(d);
	d->has_name = d->has_label = d->has_kind = true;
	d->name = BIN(name);
	d->label = BIN(name);
	d->kind = kind;
	d->standard = standard;
	d->read_only = read_only;
	if (references) {
		d->has_references = true;
		d->references = references;
	}
	def_ptrs[list.n_fields++] = d;
	list.fields = def_ptrs;
}

static const struct crm_recset_field *find(const struct crm_recset_field *fs, size_t n,
					   const char *path) {
	for (size_t i = 0; i < n; i++)
		if (strcmp(fs[i].path, path) == 0)
			return &fs[i];
	return NULL;
}

/* Sets each (path, text), packs and unpacks the record, reads each back. */
static void roundtrip(const struct crm_recset_field *fs, size_t n, const char *type,
		      const char *const *pairs, int line) {
	ProtobufCMessage *inner;
	Crm__Record *rec = crm_recset_record_new(type, &inner), *back;
	uint8_t buf[4096];
	size_t len;

	for (size_t i = 0; pairs[i] != NULL; i += 2) {
		const struct crm_recset_field *f = find(fs, n, pairs[i]);
		crm_sbuf err = {0};

		if (f == NULL) {
			fprintf(stderr, "line %d: no form field %s\n", line, pairs[i]);
			failures++;
			continue;
		}
		if (!crm_recset_set(inner, f, pairs[i + 1], &err)) {
			fprintf(stderr, "line %d: %s='%s' refused: %s\n", line, pairs[i], pairs[i + 1],
				err.p);
			failures++;
		}
		crm_sbuf_fini(&err);
	}
	len = protobuf_c_message_get_packed_size(&rec->base);
	CHECK(len < sizeof(buf));
	protobuf_c_message_pack(&rec->base, buf);
	back = crm__record__unpack(NULL, len, buf);
	CHECK(back != NULL);
	for (size_t i = 0; back != NULL && pairs[i] != NULL; i += 2) {
		const struct crm_recset_field *f = find(fs, n, pairs[i]);
		crm_sbuf b = {0};

		crm_sbuf_puts(&b, "");
		if (f != NULL)
			crm_recset_get(&b, crm_recval_inner(back), f);
		if (f != NULL && strcmp(b.p, pairs[i + 1]) != 0) {
			fprintf(stderr, "line %d: %s: got '%s', want '%s'\n", line, pairs[i], b.p,
				pairs[i + 1]);
			failures++;
		}
		crm_sbuf_fini(&b);
	}
	crm__record__free_unpacked(back, NULL);
	protobuf_c_message_free_unpacked(&rec->base, NULL);
}

static void expect_refused(const struct crm_recset_field *fs, size_t n, const char *type,
			   const char *path, const char *text, const char *said, int line) {
	ProtobufCMessage *inner;
	Crm__Record *rec = crm_recset_record_new(type, &inner);
	const struct crm_recset_field *f = find(fs, n, path);
	crm_sbuf err = {0};

	if (f == NULL || crm_recset_set(inner, f, text, &err) || err.p == NULL ||
	    strstr(err.p, said) == NULL) {
		fprintf(stderr, "line %d: %s='%s' not refused as expected (%s)\n", line, path, text,
			err.p ? err.p : "accepted");
		failures++;
	}
	crm_sbuf_fini(&err);
	protobuf_c_message_free_unpacked(&rec->base, NULL);
}

static void test_account(void) {
	struct crm_recset_field fs[CRM_RECSET_FIELDS_MAX];
	size_t n;
	const struct crm_recset_field *f;

	list.n_fields = 0;
	add_def("id", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, true, 0);
	add_def("name", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("type", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("individual", CRM__FIELD_KIND__FIELD_KIND_BOOLEAN, true, false, 0);
	add_def("industry", CRM__FIELD_KIND__FIELD_KIND_PICKLIST, true, false, 0);
	add_def("billing_address", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("country", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0); /* a part's */
	add_def("parent_id", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false,
		CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT);
	add_def("annual_revenue", CRM__FIELD_KIND__FIELD_KIND_MONEY, true, false, 0);
	add_def("employees", CRM__FIELD_KIND__FIELD_KIND_NUMBER, true, false, 0);
	add_def("tags", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("owner", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, true, 0);
	add_def("health_score", CRM__FIELD_KIND__FIELD_KIND_NUMBER, false, false, 0);
	add_def("renewal", CRM__FIELD_KIND__FIELD_KIND_DATE, false, false, 0);
	defs[1].has_required = defs[1].required = true;
	n = crm_recset_form_fields(&crm__account__descriptor, "account", &list, fs, CRM_RECSET_FIELDS_MAX);

	/* read-only fields are not in the form; an address is one field a part */
	CHECK(find(fs, n, "id") == NULL && find(fs, n, "owner") == NULL);
	CHECK(find(fs, n, "country") == NULL);
	CHECK((f = find(fs, n, "name")) && f->how == CRM_RECSET_TEXT && f->required);
	CHECK((f = find(fs, n, "type")) && f->how == CRM_RECSET_CHOICE && !f->picklist);
	CHECK((f = find(fs, n, "industry")) && f->how == CRM_RECSET_CHOICE && f->picklist);
	CHECK((f = find(fs, n, "individual")) && f->how == CRM_RECSET_BOOL);
	CHECK((f = find(fs, n, "billing_address.city")) && f->how == CRM_RECSET_TEXT &&
	      strcmp(f->part, "city") == 0);
	CHECK((f = find(fs, n, "billing_address.street")) && f->how == CRM_RECSET_MULTI_LINE);
	CHECK((f = find(fs, n, "billing_address.country")) != NULL);
	CHECK((f = find(fs, n, "parent_id")) && f->how == CRM_RECSET_REF &&
	      strcmp(f->references, "account") == 0);
	CHECK((f = find(fs, n, "annual_revenue")) && f->how == CRM_RECSET_MONEY);
	CHECK((f = find(fs, n, "employees")) && f->how == CRM_RECSET_NUMBER);
	CHECK((f = find(fs, n, "tags")) && f->how == CRM_RECSET_LIST);
	CHECK((f = find(fs, n, "custom.health_score")) && f->how == CRM_RECSET_NUMBER && !f->fd);
	CHECK((f = find(fs, n, "custom.renewal")) && f->how == CRM_RECSET_DATE);

	roundtrip(fs, n, "account",
		  (const char *const[]){"name", "Aperture 光圈 AG", "type", "customer", "individual",
					"true", "industry", "Consulting", "billing_address.city",
					"上海", "billing_address.country", "CN", "parent_id", "42",
					"annual_revenue", "1250.50 EUR", "employees", "3636", "tags",
					"vip\nrenewal 2027", "custom.health_score", "71",
					"custom.renewal", "2027-11-16", NULL},
		  __LINE__);
	roundtrip(fs, n, "account", (const char *const[]){"individual", "false", NULL}, __LINE__);

	expect_refused(fs, n, "account", "employees", "12x", "whole number", __LINE__);
	expect_refused(fs, n, "account", "employees", "99999999999999999999", "whole number",
		       __LINE__);
	expect_refused(fs, n, "account", "parent_id", "Aperture", "id", __LINE__);
	expect_refused(fs, n, "account", "annual_revenue", "1,250.50 EUR", "1250.50 EUR", __LINE__);
	expect_refused(fs, n, "account", "annual_revenue", "12 EURO", "1250.50 EUR", __LINE__);
	expect_refused(fs, n, "account", "type", "client", "not one of", __LINE__);
	expect_refused(fs, n, "account", "individual", "maybe", "yes or no", __LINE__);

	/* the server's error paths name the form field */
	CHECK(crm_recset_field_of_error(fs, n, "account",
					"record_update.changes.account.custom.health_score") ==
	      (int)(find(fs, n, "custom.health_score") - fs));
	CHECK(crm_recset_field_of_error(fs, n, "account", "record_create.record.account.name") ==
	      (int)(find(fs, n, "name") - fs));
	CHECK(crm_recset_field_of_error(fs, n, "account",
					"record_update.changes.account.billing_address.city") ==
	      (int)(find(fs, n, "billing_address.city") - fs));
	CHECK(crm_recset_field_of_error(fs, n, "account", "record_update.version") == -1);
	CHECK(crm_recset_field_of_error(fs, n, "account", NULL) == -1);
}

static void test_contact(void) {
	struct crm_recset_field fs[CRM_RECSET_FIELDS_MAX];
	size_t n;
	const struct crm_recset_field *f;

	list.n_fields = 0;
	add_def("given_name", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("email", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("phone", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("birthday", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("preferences", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false, 0);
	add_def("account_id", CRM__FIELD_KIND__FIELD_KIND_TEXT, true, false,
		CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT);
	n = crm_recset_form_fields(&crm__contact__descriptor, "contact", &list, fs, CRM_RECSET_FIELDS_MAX);
	CHECK((f = find(fs, n, "emails")) && f->how == CRM_RECSET_LIST);
	CHECK((f = find(fs, n, "birthday")) && f->how == CRM_RECSET_DATE);
	roundtrip(fs, n, "contact",
		  (const char *const[]){"given_name", "Ada", "emails",
					"home:ada@example.com\nwork:ada@work.example", "phones",
					"mobile:+86 138 0000 0000", "birthday", "--12-10",
					"preferences", "language=zh", "account_id", "7", NULL},
		  __LINE__);
	roundtrip(fs, n, "contact", (const char *const[]){"birthday", "1815-12-10", NULL}, __LINE__);
	expect_refused(fs, n, "contact", "birthday", "1815-13-10", "YYYY-MM-DD", __LINE__);
	expect_refused(fs, n, "contact", "birthday", "10.12.1815", "YYYY-MM-DD", __LINE__);
	CHECK(crm_recset_field_of_error(fs, n, "contact",
					"record_create.record.contact.emails[1].address") ==
	      (int)(find(fs, n, "emails") - fs));
	/* the primary e-mail is the first line */
	{
		ProtobufCMessage *inner;
		Crm__Record *rec = crm_recset_record_new("contact", &inner);
		crm_sbuf err = {0};
		Crm__Contact *c = (Crm__Contact *)inner;

		CHECK(crm_recset_set(inner, find(fs, n, "emails"), "b@x.example\nwork:a@x.example", &err));
		CHECK(c->n_emails == 2 && c->emails[0]->primary && !c->emails[1]->primary);
		CHECK(c->n_emails == 2 && !c->emails[0]->has_kind &&
		      c->emails[1]->kind.len == 4 && memcmp(c->emails[1]->kind.data, "work", 4) == 0);
		protobuf_c_message_free_unpacked(&rec->base, NULL);
	}
	CHECK(crm_recset_record_new("no_such_type", &(ProtobufCMessage *){NULL}) == NULL);
}

int main(void) {
	test_account();
	test_contact();
	return checks_result("test_recset");
}
