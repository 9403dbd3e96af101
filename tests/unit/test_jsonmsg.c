/*
 * Unit tests for server/jsonmsg.c: the JSON form of messages crmd and
 * sql/0004_records.sql exchange. Encoded text is compared byte for byte
 * (crmd hashes it into cursors, so it must not drift); round trips compare
 * the protobuf encodings of the message before and after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "crm.pb-c.h"
#include "jsonmsg.h"

static ProtobufCBinaryData bin(const char *s) {
	ProtobufCBinaryData b = {strlen(s), (uint8_t *)s};
	return b;
}

/* Decodes text as type d, asserting success. */
static void *decode_ok(crm_arena *a, const ProtobufCMessageDescriptor *d, const char *text) {
	crm_err err;
	void *m = NULL;

	crm_err_clear(&err);
	if (!crm_jsonmsg_decode(a, d, text, strlen(text), &m, &err))
		fail_msg("decode of %s failed: %s", text, err.msg);
	assert_non_null(m);
	assert_ptr_equal(((ProtobufCMessage *)m)->descriptor, d);
	return m;
}

/* Asserts that decoding fails with INTERNAL and leaves *out NULL. */
static void decode_bad(crm_arena *a, const ProtobufCMessageDescriptor *d, const char *text,
		       const char *msg_part) {
	crm_err err;
	void *m = (void *)1;

	crm_err_clear(&err);
	if (crm_jsonmsg_decode(a, d, text, strlen(text), &m, &err))
		fail_msg("decode of %s should have failed", text);
	assert_int_equal(err.code, CRM_INTERNAL);
	assert_null(m);
	if (msg_part && strstr(err.msg, msg_part) == NULL)
		fail_msg("error \"%s\" does not mention %s", err.msg, msg_part);
}

/* Encodes m, checks the text, decodes it again and checks that the
 * protobuf encoding did not change; returns the decoded message. */
static void *round_trip(crm_arena *a, const ProtobufCMessage *m, const char *want) {
	uint8_t before[4096], after[4096];
	size_t nb, na;
	char *text = crm_jsonmsg_encode(a, m);
	ProtobufCMessage *back;

	assert_non_null(text);
	if (want)
		assert_string_equal(text, want);
	back = decode_ok(a, m->descriptor, text);
	assert_true(protobuf_c_message_get_packed_size(m) < sizeof(before));
	nb = protobuf_c_message_pack(m, before);
	na = protobuf_c_message_pack(back, after);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	/* and encoding again gives the same text */
	assert_string_equal(crm_jsonmsg_encode(a, back), text);
	return back;
}

static void test_account(void **state) {
	Crm__Account acc = CRM__ACCOUNT__INIT;
	Crm__RecordMeta meta = CRM__RECORD_META__INIT;
	Crm__Address bill = CRM__ADDRESS__INIT;
	Crm__Money rev = CRM__MONEY__INIT;
	Crm__CustomValue c1 = CRM__CUSTOM_VALUE__INIT, c2 = CRM__CUSTOM_VALUE__INIT;
	Crm__CustomValue *custom[] = {&c1, &c2};
	ProtobufCBinaryData tags[] = {bin("vip"), bin("eu")};
	Crm__Account *back;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	/* set in an order unlike the field numbers: keys still come out sorted */
	acc.has_description = 1, acc.description = bin("Makes everything");
	acc.has_employees = 1, acc.employees = 250;
	acc.meta = &meta; /* inlined: its fields are the account's keys */
	meta.has_id = 1, meta.id = 42;
	meta.has_version = 1, meta.version = 3;
	meta.owner = "alice";
	meta.n_tags = 2, meta.tags = tags;
	c1.has_field = 1, c1.field = bin("score"), c1.has_value = 1, c1.value = bin("12.5");
	c2.has_field = 1, c2.field = bin("note"), c2.has_value = 1, c2.value = bin("");
	meta.n_custom = 2, meta.custom = custom;
	acc.has_name = 1, acc.name = bin("Acme");
	acc.has_type = 1, acc.type = CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_CUSTOMER;
	acc.has_individual = 1, acc.individual = 0;
	bill.has_street = 1, bill.street = bin("1 Main St\nSuite 2");
	bill.has_city = 1, bill.city = bin("Berlin");
	bill.has_country = 1, bill.country = bin("DE");
	acc.billing_address = &bill;
	rev.has_amount = 1, rev.amount = bin("1000000.50");
	rev.has_currency = 1, rev.currency = bin("EUR");
	acc.annual_revenue = &rev;
	acc.has_parent_id = 1, acc.parent_id = 7;
	back = round_trip(&a, &acc.base,
			  "{\"id\":42,\"version\":3,\"owner\":\"alice\",\"tags\":[\"vip\",\"eu\"],"
			  "\"custom\":[{\"field\":\"score\",\"value\":\"12.5\"},"
			  "{\"field\":\"note\",\"value\":\"\"}],"
			  "\"name\":\"Acme\",\"type\":\"customer\",\"individual\":false,"
			  "\"billing_address\":{\"street\":\"1 Main St\\nSuite 2\",\"city\":\"Berlin\","
			  "\"country\":\"DE\"},"
			  "\"parent_id\":7,"
			  "\"annual_revenue\":{\"amount\":\"1000000.50\",\"currency\":\"EUR\"},"
			  "\"employees\":250,\"description\":\"Makes everything\"}");
	assert_non_null(back->meta);
	assert_true(back->meta->has_id);
	assert_int_equal(back->meta->id, 42);
	assert_string_equal(back->meta->owner, "alice");
	assert_null(back->meta->team);
	assert_int_equal(back->meta->n_tags, 2);
	assert_int_equal(back->meta->tags[1].len, 2);
	assert_memory_equal(back->meta->tags[1].data, "eu", 2);
	assert_int_equal(back->meta->n_custom, 2);
	assert_true(back->meta->custom[1]->has_value);
	assert_int_equal(back->meta->custom[1]->value.len, 0);
	assert_true(back->has_individual);
	assert_false(back->individual);
	assert_int_equal(back->type, CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_CUSTOMER);
	assert_non_null(back->billing_address);
	assert_false(back->billing_address->has_region);
	assert_null(back->shipping_address);
	assert_string_equal((char *)back->annual_revenue->currency.data, "EUR");
	assert_false(back->meta->has_deleted_at);
	assert_false(back->meta->has_external_id);
	/* external_id is a shared key too; a nested "meta" object decodes as well */
	back = decode_ok(&a, &crm__account__descriptor,
			 "{\"external_id\":\"ERP-1\",\"name\":\"x\",\"meta\":{\"version\":4}}");
	assert_non_null(back->meta);
	assert_int_equal(back->meta->version, 4);
	back = decode_ok(&a, &crm__account__descriptor, "{\"name\":\"x\",\"external_id\":\"ERP-1\"}");
	assert_true(back->meta->has_external_id);
	assert_memory_equal(back->meta->external_id.data, "ERP-1", 5);
	assert_string_equal(crm_jsonmsg_encode(&a, &back->base), "{\"external_id\":\"ERP-1\",\"name\":\"x\"}");
	/* no shared key: no meta at all */
	back = decode_ok(&a, &crm__account__descriptor, "{\"name\":\"x\"}");
	assert_null(back->meta);
	crm_arena_fini(&a);
}

static void test_contact(void **state) {
	Crm__Contact c = CRM__CONTACT__INIT;
	Crm__ContactEmail e1 = CRM__CONTACT_EMAIL__INIT, e2 = CRM__CONTACT_EMAIL__INIT;
	Crm__ContactEmail *emails[] = {&e1, &e2};
	Crm__Date bday = CRM__DATE__INIT;
	Crm__Contact *back;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	c.has_given_name = 1, c.given_name = bin("Ada");
	c.has_family_name = 1, c.family_name = bin("Lovelace");
	c.has_name_order = 1, c.name_order = CRM__NAME_ORDER__NAME_ORDER_WESTERN;
	e1.has_address = 1, e1.address = bin("ada@example.org");
	e1.has_kind = 1, e1.kind = bin("work");
	e1.has_primary = 1, e1.primary = 1;
	e2.has_address = 1, e2.address = bin("ada@home.example");
	c.n_emails = 2, c.emails = emails;
	bday.has_month = 1, bday.month = 12;
	bday.has_day = 1, bday.day = 10;
	c.birthday = &bday;
	c.has_preferred_channel = 1, c.preferred_channel = CRM__CHANNEL__CHANNEL_IN_PERSON;
	c.has_do_not_contact = 1, c.do_not_contact = 1;
	c.has_account_id = 1, c.account_id = 9007199254740993LL; /* beyond a double */
	back = round_trip(&a, &c.base,
			  "{\"given_name\":\"Ada\",\"family_name\":\"Lovelace\","
			  "\"name_order\":\"western\","
			  "\"emails\":[{\"address\":\"ada@example.org\",\"kind\":\"work\","
			  "\"primary\":true},{\"address\":\"ada@home.example\"}],"
			  "\"birthday\":{\"month\":12,\"day\":10},"
			  "\"preferred_channel\":\"in_person\",\"do_not_contact\":true,"
			  "\"account_id\":9007199254740993}");
	assert_false(back->birthday->has_year);
	assert_int_equal(back->birthday->month, 12);
	assert_true(back->emails[0]->primary);
	assert_false(back->emails[1]->has_primary);
	assert_int_equal(back->account_id, 9007199254740993LL);
	assert_int_equal(back->preferred_channel, CRM__CHANNEL__CHANNEL_IN_PERSON);
	assert_false(back->has_marketing_opt_out);
	assert_int_equal(back->n_phones, 0);
	crm_arena_fini(&a);
}

static void test_record_oneof(void **state) {
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Contact c = CRM__CONTACT__INIT;
	Crm__Record *back;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	c.has_given_name = 1, c.given_name = bin("芳");
	c.has_family_name = 1, c.family_name = bin("王");
	c.has_name_order = 1, c.name_order = CRM__NAME_ORDER__NAME_ORDER_EASTERN;
	c.display_name = "王芳";
	rec.kind_case = CRM__RECORD__KIND_CONTACT;
	rec.contact = &c;
	back = round_trip(&a, &rec.base,
			  "{\"contact\":{\"given_name\":\"芳\",\"family_name\":\"王\","
			  "\"name_order\":\"eastern\",\"display_name\":\"王芳\"}}");
	assert_int_equal(back->kind_case, CRM__RECORD__KIND_CONTACT);
	assert_string_equal(back->contact->display_name, "王芳");

	/* PostgreSQL's jsonb text has spaces and its own key order */
	back = decode_ok(&a, &crm__record__descriptor,
			 "{\"account\": {\"name\": \"Acme\", \"id\": 5, \"type\": \"partner\"}}");
	assert_int_equal(back->kind_case, CRM__RECORD__KIND_ACCOUNT);
	assert_int_equal(back->account->meta->id, 5);
	assert_int_equal(back->account->type, CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_PARTNER);

	/* nothing chosen: no key at all */
	back = round_trip(&a, &(Crm__Record)CRM__RECORD__INIT.base, "{}");
	assert_int_equal(back->kind_case, CRM__RECORD__KIND__NOT_SET);
	crm_arena_fini(&a);
}

static void test_enums(void **state) {
	static const char *const spellings[] = {"ge", "GE", "FILTER_OP_GE", "filter_op_ge",
						"Filter_Op_Ge", "6"};
	Crm__Filter f = CRM__FILTER__INIT, f2 = CRM__FILTER__INIT;
	Crm__Sort s = CRM__SORT__INIT;
	ProtobufCBinaryData vals[] = {bin("Software"), bin("Retail")};
	ProtobufCMessage *filters[] = {&f.base, &f2.base};
	ProtobufCMessage *sorts[] = {&s.base};
	Crm__FieldDef *fd;
	Crm__Filter *back;
	char text[128];
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	f.has_field = 1, f.field = bin("industry");
	f.has_op = 1, f.op = CRM__FILTER_OP__FILTER_OP_EQ;
	f.n_values = 2, f.values = vals;
	f2.has_field = 1, f2.field = bin("custom.score");
	f2.has_op = 1, f2.op = CRM__FILTER_OP__FILTER_OP_NOT_EMPTY;
	round_trip(&a, &f2.base, "{\"field\":\"custom.score\",\"op\":\"not_empty\"}");
	s.has_field = 1, s.field = bin("name");
	s.has_desc = 1, s.desc = 1;
	assert_string_equal(crm_jsonmsg_encode_array(&a, filters, 2),
			    "[{\"field\":\"industry\",\"op\":\"eq\",\"values\":[\"Software\","
			    "\"Retail\"]},{\"field\":\"custom.score\",\"op\":\"not_empty\"}]");
	assert_string_equal(crm_jsonmsg_encode_array(&a, sorts, 1),
			    "[{\"field\":\"name\",\"desc\":true}]");
	assert_string_equal(crm_jsonmsg_encode_array(&a, NULL, 0), "[]");

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		if (spellings[i][0] == '6')
			snprintf(text, sizeof(text), "{\"op\":6}");
		else
			snprintf(text, sizeof(text), "{\"op\":\"%s\"}", spellings[i]);
		back = decode_ok(&a, &crm__filter__descriptor, text);
		assert_true(back->has_op);
		assert_int_equal(back->op, CRM__FILTER_OP__FILTER_OP_GE);
	}
	decode_bad(&a, &crm__filter__descriptor, "{\"op\":\"greater\"}", "crm.Filter.op");
	decode_bad(&a, &crm__filter__descriptor, "{\"op\":\"op_ge\"}", "crm.Filter.op");
	decode_bad(&a, &crm__filter__descriptor, "{\"op\":99}", "crm.Filter.op");
	decode_bad(&a, &crm__filter__descriptor, "{\"op\":true}", "crm.Filter.op");

	fd = decode_ok(&a, &crm__field_def__descriptor,
		       "{\"record_type\":\"ACCOUNT\",\"name\":\"tier_score\",\"kind\":\"picklist\","
		       "\"options\":[\"a\",\"b\"],\"standard\":false,\"max_length\":4096}");
	assert_int_equal(fd->record_type, CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT);
	assert_int_equal(fd->kind, CRM__FIELD_KIND__FIELD_KIND_PICKLIST);
	assert_int_equal(fd->n_options, 2);
	assert_true(fd->has_standard);
	assert_int_equal(fd->max_length, 4096);
	round_trip(&a, &fd->base,
		   "{\"record_type\":\"account\",\"name\":\"tier_score\",\"kind\":\"picklist\","
		   "\"max_length\":4096,\"options\":[\"a\",\"b\"],\"standard\":false}");

	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__record_type__descriptor, 2), "contact");
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__name_order__descriptor, 2), "eastern");
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__channel__descriptor, 5), "in_person");
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__field_kind__descriptor, 6), "picklist");
	/* values without the prefix keep their whole name */
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__code__descriptor, 1), "ok");
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__code__descriptor, 2), "invalid_argument");
	assert_string_equal(crm_jsonmsg_enum_name(&a, &crm__code__descriptor, 0), "unspecified");
	assert_null(crm_jsonmsg_enum_name(&a, &crm__record_type__descriptor, 77));
	crm_arena_fini(&a);
}

static void test_unset_absent(void **state) {
	Crm__Account acc = CRM__ACCOUNT__INIT;
	Crm__Account *back;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	/* values without their has_ flag (or n_) are not set */
	acc.employees = 5;
	acc.name = bin("ghost");
	acc.type = CRM__ACCOUNT_TYPE__ACCOUNT_TYPE_PARTNER;
	back = round_trip(&a, &acc.base, "{}");
	assert_false(back->has_employees);
	assert_false(back->has_name);
	assert_null(back->meta);
	assert_null(back->billing_address);
	/* an empty sub-message is still there */
	acc.billing_address = &(Crm__Address)CRM__ADDRESS__INIT;
	back = round_trip(&a, &acc.base, "{\"billing_address\":{}}");
	assert_non_null(back->billing_address);
	crm_arena_fini(&a);
}

static void test_escaping(void **state) {
	/* quotes, backslash, tab, emoji (4-byte UTF-8), RTL text, a combining mark */
	const char *name = "Say \"hi\" \\ back\tnow 😀 שלום עולם e\xcc\x81";
	Crm__Account acc = CRM__ACCOUNT__INIT;
	Crm__Account *back;
	crm_arena a;
	char *text;

	(void)state;
	crm_arena_init(&a);
	acc.has_name = 1, acc.name = bin(name);
	back = round_trip(&a, &acc.base,
			  "{\"name\":\"Say \\\"hi\\\" \\\\ back\\tnow 😀 שלום עולם e\xcc\x81\"}");
	assert_int_equal(back->name.len, strlen(name));
	assert_memory_equal(back->name.data, name, strlen(name));
	assert_int_equal(back->name.data[back->name.len], '\0'); /* usable as a C string */

	/* \u escapes (a surrogate pair) decode to UTF-8 */
	back = decode_ok(&a, &crm__account__descriptor, "{\"name\":\"\\ud83d\\ude00\\u00e9\\/\"}");
	assert_int_equal(back->name.len, 7);
	assert_memory_equal(back->name.data, "😀é/", 7);

	/* not UTF-8: cannot be JSON text */
	acc.name = bin("bad \xff byte");
	assert_null(crm_jsonmsg_encode(&a, &acc.base));
	text = crm_jsonmsg_encode(&a, &(Crm__Money)CRM__MONEY__INIT.base);
	assert_string_equal(text, "{}");
	crm_arena_fini(&a);
}

static void test_unknown_and_null(void **state) {
	Crm__Account *acc;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	acc = decode_ok(&a, &crm__account__descriptor,
			"{\"name\":\"x\",\"no_such\":{\"a\":[1,2,{\"b\":null}]},\"website\":null,"
			"\"tags\":[\"a\",null,\"b\"],\"billing_address\":{\"planet\":\"Mars\","
			"\"city\":\"Bonn\"},\"custom\":null,\"shipping_address\":null}");
	assert_true(acc->has_name);
	assert_false(acc->has_website);
	assert_int_equal(acc->meta->n_tags, 2);
	assert_memory_equal(acc->meta->tags[1].data, "b", 1);
	assert_string_equal((char *)acc->billing_address->city.data, "Bonn");
	assert_int_equal(acc->meta->n_custom, 0);
	assert_null(acc->shipping_address);
	acc = decode_ok(&a, &crm__account__descriptor, "{\"tags\":[]}");
	assert_int_equal(acc->meta->n_tags, 0);
	crm_arena_fini(&a);
}

static void test_bad_json(void **state) {
	static const char *const broken[] = {"", "{", "{\"name\":}", "{\"name\":\"x\"} trailing",
					     "nul\x01l", "\"just a string\""};
	const ProtobufCMessageDescriptor *acc = &crm__account__descriptor;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		decode_bad(&a, acc, broken[i], "crm.Account");
	decode_bad(&a, acc, "[{\"name\":\"x\"}]", "no JSON object");
	decode_bad(&a, acc, "null", NULL);
	decode_bad(&a, acc, "{\"employees\":\"12\"}", "crm.Account.employees");
	decode_bad(&a, acc, "{\"employees\":1.5}", "crm.Account.employees");
	decode_bad(&a, acc, "{\"name\":12}", "crm.Account.name");
	decode_bad(&a, acc, "{\"owner\":[\"alice\"]}", "crm.RecordMeta.owner");
	decode_bad(&a, acc, "{\"individual\":1}", "crm.Account.individual");
	decode_bad(&a, acc, "{\"tags\":\"vip\"}", "crm.RecordMeta.tags");
	decode_bad(&a, acc, "{\"tags\":[\"vip\",3]}", "crm.RecordMeta.tags");
	decode_bad(&a, acc, "{\"billing_address\":[]}", "crm.Account.billing_address");
	decode_bad(&a, acc, "{\"billing_address\":{\"city\":false}}", "crm.Address.city");
	decode_bad(&a, acc, "{\"custom\":[{\"field\":\"a\"},\"b\"]}", "crm.RecordMeta.custom");
	decode_bad(&a, &crm__date__descriptor, "{\"month\":-1}", "crm.Date.month");
	decode_bad(&a, &crm__date__descriptor, "{\"year\":4294967296}", "crm.Date.year");
	decode_bad(&a, &crm__record__descriptor, "{\"account\":\"x\"}", "crm.Record.account");
	/* the data itself never reaches the message (it may be personal) */
	decode_bad(&a, acc, "{\"name\":\"secret-value\" oops}", NULL);
	{
		crm_err err;
		void *m;
		const char *t = "{\"name\":\"secret-value\" oops}";

		crm_err_clear(&err);
		assert_false(crm_jsonmsg_decode(&a, acc, t, strlen(t), &m, &err));
		assert_null(strstr(err.msg, "secret"));
		assert_null(strstr(err.msg, "oops"));
	}
	crm_arena_fini(&a);
}

/* Decoding takes a length: the text need not end in NUL. */
static void test_length(void **state) {
	const char text[] = "{\"employees\":12}{\"employees\":99}";
	Crm__Account *acc;
	crm_err err;
	crm_arena a;

	(void)state;
	crm_arena_init(&a);
	crm_err_clear(&err);
	assert_true(crm_jsonmsg_decode(&a, &crm__account__descriptor, text, 16, (void **)&acc,
				       &err));
	assert_int_equal(acc->employees, 12);
	crm_arena_fini(&a);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account),      cmocka_unit_test(test_contact),
		cmocka_unit_test(test_record_oneof), cmocka_unit_test(test_enums),
		cmocka_unit_test(test_unset_absent), cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_unknown_and_null), cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
