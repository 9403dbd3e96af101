/*
 * Unit tests for the validators in proto/crm_wire: crm_text_check,
 * crm_wire_check_message and crm_wire_validate, on messages built in
 * memory and on bytes unpacked the way the server unpacks them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crm_wire.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static bool text_ok(const uint8_t *s, size_t len) {
	crm_err err;

	crm_err_clear(&err);
	return crm_text_check(s, len, 0, 1 << 20, "f", &err);
}

/* Expects a refusal naming "f" whose message contains `want`. */
static void text_bad(const uint8_t *s, size_t len, const char *want) {
	crm_err err;

	crm_err_clear(&err);
	if (crm_text_check(s, len, 0, 1 << 20, "f", &err))
		fail_msg("accepted %zu bytes that should be refused (%s)", len, want);
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "f");
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

/* ---------------------------------------------------------- text */

static void test_text_valid(void **state) {
	assert_true(text_ok(S("")));
	assert_true(text_ok(S("plain ASCII ~!@#$%^&*()")));
	assert_true(text_ok(S("tab\tand\nnewline")));
	assert_true(text_ok(S("caf\xC3\xA9")));                      /* café */
	assert_true(text_ok(S("\xE6\xBC\xA2\xE5\xAD\x97")));          /* 漢字 */
	assert_true(text_ok(S("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4"))); /* 한국어 */
	assert_true(text_ok(S("\xF0\x9F\x98\x80")));                  /* 😀 U+1F600 */
	assert_true(text_ok(S("\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"))); /* ZWJ seq */
	assert_true(text_ok(S("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D")));  /* שלום (RTL) */
	assert_true(text_ok(S("\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"))); /* مرحبا */
	assert_true(text_ok(S("\xE2\x80\x8F\xE2\x80\xAE")));          /* RLM, RLO */
	/* Boundaries of each sequence length. */
	assert_true(text_ok(S("\x7F")));
	assert_true(text_ok(S("\xC2\x80")));          /* U+0080 */
	assert_true(text_ok(S("\xDF\xBF")));          /* U+07FF */
	assert_true(text_ok(S("\xE0\xA0\x80")));      /* U+0800 */
	assert_true(text_ok(S("\xED\x9F\xBF")));      /* U+D7FF */
	assert_true(text_ok(S("\xEE\x80\x80")));      /* U+E000 */
	assert_true(text_ok(S("\xEF\xBF\xBF")));      /* U+FFFF */
	assert_true(text_ok(S("\xF0\x90\x80\x80")));  /* U+10000 */
	assert_true(text_ok(S("\xF4\x8F\xBF\xBF")));  /* U+10FFFF */
}

static void test_text_invalid_utf8(void **state) {
	/* Overlong encodings. */
	text_bad(S("\xC0\xAF"), "not valid UTF-8 at offset 0");
	text_bad(S("\xC1\xBF"), "UTF-8");
	text_bad(S("\xE0\x80\xAF"), "UTF-8");
	text_bad(S("\xE0\x9F\xBF"), "UTF-8");
	text_bad(S("\xF0\x80\x80\xAF"), "UTF-8");
	text_bad(S("\xF0\x8F\xBF\xBF"), "UTF-8");
	/* Surrogates. */
	text_bad(S("\xED\xA0\x80"), "UTF-8");
	text_bad(S("\xED\xBF\xBF"), "UTF-8");
	text_bad(S("\xED\xA0\xBD\xED\xB8\x80"), "UTF-8"); /* CESU-8 emoji */
	/* Beyond U+10FFFF. */
	text_bad(S("\xF4\x90\x80\x80"), "UTF-8");
	text_bad(S("\xF5\x80\x80\x80"), "UTF-8");
	text_bad(S("\xF8\x88\x80\x80\x80"), "UTF-8");
	text_bad(S("\xFF"), "UTF-8");
	text_bad(S("\xFE"), "UTF-8");
	/* Truncated sequences, at the end and in the middle. */
	text_bad(S("ok\xE6\xBC"), "at offset 2");
	text_bad(S("\xF0\x9F\x98"), "UTF-8");
	text_bad(S("\xC3"), "UTF-8");
	text_bad(S("\xE6\xBC" "a"), "UTF-8");
	/* Lone continuation bytes. */
	text_bad(S("\x80"), "UTF-8");
	text_bad(S("abc\xBF"), "at offset 3");
	/* Latin-1, not UTF-8. */
	text_bad(S("caf\xE9"), "UTF-8");
}

static void test_text_controls(void **state) {
	text_bad(S("a\0b"), "NUL byte at offset 1");
	text_bad(S("\0"), "NUL");
	text_bad(S("\x01"), "control character at offset 0");
	text_bad(S("bell\x07"), "control character at offset 4");
	text_bad(S("esc\x1b[31m"), "control character");
	text_bad(S("cr\r\n"), "control character at offset 2");
	text_bad(S("\x1f"), "control character");
	text_bad(S("\x0b"), "control character"); /* vertical tab */
	text_bad(S("\x0c"), "control character"); /* form feed */
}

static void test_text_limits(void **state) {
	crm_err err;

	crm_err_clear(&err);
	assert_false(crm_text_check(S(""), 1, 10, "name", &err));
	assert_string_equal(err.field, "name");
	assert_string_equal(err.msg, "must not be empty");

	crm_err_clear(&err);
	assert_false(crm_text_check(S("ab"), 3, 10, "name", &err));
	assert_string_equal(err.msg, "must be at least 3 bytes");

	crm_err_clear(&err);
	assert_true(crm_text_check(S("abc"), 3, 3, "name", &err));
	assert_false(crm_text_check(S("abcd"), 3, 3, "name", &err));
	assert_string_equal(err.msg, "must be at most 3 bytes");

	/* Limits count bytes, not characters: 漢字 is 6 bytes. */
	crm_err_clear(&err);
	assert_true(crm_text_check(S("\xE6\xBC\xA2\xE5\xAD\x97"), 1, 6, "n", &err));
	assert_false(crm_text_check(S("\xE6\xBC\xA2\xE5\xAD\x97"), 1, 5, "n", &err));
}

/* ------------------------------------------------------------ frames */

static void expect_bad(const Crm__ClientFrame *f, crm_status code, const char *field) {
	crm_err err;

	crm_err_clear(&err);
	if (crm_wire_validate(f, &err))
		fail_msg("frame accepted; expected %s on %s", crm_status_name(code), field);
	if (err.code != code || strcmp(err.field, field) != 0)
		fail_msg("got %s on \"%s\" (%s); expected %s on \"%s\"", crm_status_name(err.code),
			 err.field, err.msg, crm_status_name(code), field);
}

static void expect_ok(const Crm__ClientFrame *f) {
	crm_err err;

	crm_err_clear(&err);
	if (!crm_wire_validate(f, &err))
		fail_msg("frame refused: %s on %s: %s", crm_status_name(err.code), err.field,
			 err.msg);
}

static void test_hello(void **state) {
	Crm__Version v = CRM__VERSION__INIT;
	Crm__Hello h = CRM__HELLO__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_HELLO;
	f.hello = &h;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.protocol.major");
	h.protocol = &v;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.protocol.major");
	v.has_major = 1;
	v.major = 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.client_name");
	h.has_client_name = 1;
	h.client_name.data = (uint8_t *)"crm/0.1.0";
	h.client_name.len = 9;
	expect_ok(&f);
	assert_string_equal(crm_wire_request_name(&f), "hello");
	assert_false(crm_wire_request_mutates(&f));
	h.client_name.len = 0;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.client_name");
	h.client_name.data = (uint8_t *)"0123456789012345678901234567890123456789012345678901234567890123X";
	h.client_name.len = CRM_CLIENT_NAME_MAX;
	expect_ok(&f);
	h.client_name.len = CRM_CLIENT_NAME_MAX + 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.client_name");
	h.client_name.data = (uint8_t *)"bad\x01name";
	h.client_name.len = 8;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "hello.client_name");
}

static void test_missing_id(void **state) {
	Crm__Ping p = CRM__PING__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	f.ping = &p;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "id");
	f.has_id = 1; /* id 0 is reserved for connection-level errors */
	expect_bad(&f, CRM_INVALID_ARGUMENT, "id");
	f.id = 1;
	expect_ok(&f);
}

static void test_empty_request(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "request");
	assert_string_equal(crm_wire_request_name(&f), "unknown");
}

static void test_ping(void **state) {
	static uint8_t payload[CRM_PING_PAYLOAD_MAX + 1];
	Crm__Ping p = CRM__PING__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	memset(payload, 'p', sizeof(payload));
	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	f.ping = &p;
	p.has_deep = 1;
	p.deep = 1;
	p.has_payload = 1;
	p.payload.data = payload;
	p.payload.len = CRM_PING_PAYLOAD_MAX;
	expect_ok(&f);
	p.payload.len = CRM_PING_PAYLOAD_MAX + 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "ping.payload");
	/* Every bytes field is text: the generic walk names the path. */
	p.payload.data = (uint8_t *)"\xFF";
	p.payload.len = 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "ping.payload");
}

/* A note travels as a record: its text is checked with the full path. */
static void test_note_record_create(void **state) {
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__NoteRecord note = CRM__NOTE_RECORD__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	f.record_create = &rc;
	rc.record = &rec;
	rec.kind_case = CRM__RECORD__KIND_NOTE;
	rec.note = &note;
	note.has_body = 1;
	note.body.data = (uint8_t *)"a note";
	note.body.len = 6;
	expect_ok(&f);
	assert_true(crm_wire_request_mutates(&f));
	assert_string_equal(crm_wire_request_name(&f), "record_create");
	note.body.data = (uint8_t *)"a\0b";
	note.body.len = 3;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.note.body");
	note.body.data = (uint8_t *)"\xED\xA0\x80";
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.note.body");
	note.body.data = (uint8_t *)"\xE6\xBC\xA2\xE5\xAD\x97\n\xF0\x9F\x98\x80";
	note.body.len = 11;
	expect_ok(&f);
}

static void test_sleep(void **state) {
	Crm__Sleep sl = CRM__SLEEP__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_SLEEP;
	f.sleep = &sl;
	expect_ok(&f);
	sl.has_ms = 1;
	sl.ms = CRM_SLEEP_MS_MAX;
	expect_ok(&f);
	sl.ms = CRM_SLEEP_MS_MAX + 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "sleep.ms");
}

static void test_idempotency_key(void **state) {
	static uint8_t key[CRM_IDEMPOTENCY_KEY_MAX + 1];
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__NoteRecord note = CRM__NOTE_RECORD__INIT;
	Crm__Ping p = CRM__PING__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	memset(key, 'k', sizeof(key));
	note.has_body = 1;
	note.body.data = (uint8_t *)"x";
	note.body.len = 1;
	rec.kind_case = CRM__RECORD__KIND_NOTE;
	rec.note = &note;
	rc.record = &rec;
	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	f.record_create = &rc;
	f.has_idempotency_key = 1;
	f.idempotency_key.data = key;
	f.idempotency_key.len = CRM_IDEMPOTENCY_KEY_MAX;
	expect_ok(&f);
	f.idempotency_key.len = CRM_IDEMPOTENCY_KEY_MAX + 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "idempotency_key");
	f.idempotency_key.len = 0;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "idempotency_key");
	f.idempotency_key.data = (uint8_t *)"k\x01";
	f.idempotency_key.len = 2;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "idempotency_key");

	/* A request that changes nothing takes no key. */
	f.idempotency_key.data = key;
	f.idempotency_key.len = 8;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	f.ping = &p;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "idempotency_key");
}

/* ------------------------------------------- from bytes, as received */

static Crm__ClientFrame *unpack(const uint8_t *buf, size_t len) {
	Crm__ClientFrame *f = crm__client_frame__unpack(NULL, len, buf);

	assert_non_null(f);
	assert_true(protobuf_c_message_check(&f->base));
	return f;
}

static void test_unknown_request_type(void **state) {
	/* id = 7 (field 1, varint), then field 500 (a request this build does
	 * not know), length-delimited, empty: tag 500<<3|2 = 4002. */
	static const uint8_t buf[] = {0x08, 0x07, 0xA2, 0x1F, 0x00};
	Crm__ClientFrame *f = unpack(buf, sizeof(buf));

	assert_int_equal(f->request_case, CRM__CLIENT_FRAME__REQUEST__NOT_SET);
	expect_bad(f, CRM_UNIMPLEMENTED, "request");
	crm__client_frame__free_unpacked(f, NULL);

	/* With an idempotency key too: still UNIMPLEMENTED, not a key error. */
	static const uint8_t keyed[] = {0x08, 0x07, 0x12, 0x01, 'k', 0xA2, 0x1F, 0x00};
	f = unpack(keyed, sizeof(keyed));
	expect_bad(f, CRM_UNIMPLEMENTED, "request");
	crm__client_frame__free_unpacked(f, NULL);
}

static void test_empty_frame_bytes(void **state) {
	Crm__ClientFrame *f = crm__client_frame__unpack(NULL, 0, (const uint8_t *)"");

	assert_non_null(f);
	expect_bad(f, CRM_INVALID_ARGUMENT, "id");
	crm__client_frame__free_unpacked(f, NULL);

	static const uint8_t id_only[] = {0x08, 0x01};
	f = unpack(id_only, sizeof(id_only));
	expect_bad(f, CRM_INVALID_ARGUMENT, "request");
	crm__client_frame__free_unpacked(f, NULL);
}

static void test_embedded_nul_survives_unpack(void **state) {
	/* record_create (field 44) { record (1) { note (3) { body (20) =
	 * "a\0b" } } }: bytes keep the NUL, so the validator sees it. */
	static const uint8_t buf[] = {0x08, 0x01, 0xE2, 0x02, 0x0A, 0x0A, 0x08, 0x1A, 0x06,
				      0xA2, 0x01, 0x03, 'a',  0x00, 'b'};
	Crm__ClientFrame *f = unpack(buf, sizeof(buf));

	assert_int_equal(f->request_case, CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE);
	assert_int_equal(f->record_create->record->note->body.len, 3);
	expect_bad(f, CRM_INVALID_ARGUMENT, "record_create.record.note.body");
	crm__client_frame__free_unpacked(f, NULL);
}

static void test_pack_round_trip(void **state) {
	Crm__Version v = CRM__VERSION__INIT;
	Crm__Hello h = CRM__HELLO__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT, *g;
	uint8_t buf[256];
	size_t n;

	v.has_major = 1;
	v.major = CRM_PROTO_MAJOR;
	h.protocol = &v;
	h.has_client_name = 1;
	h.client_name.data = (uint8_t *)"test";
	h.client_name.len = 4;
	f.has_id = 1;
	f.id = UINT64_MAX;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_HELLO;
	f.hello = &h;
	n = crm__client_frame__get_packed_size(&f);
	assert_true(n < sizeof(buf));
	assert_int_equal(crm__client_frame__pack(&f, buf), n);
	g = unpack(buf, n);
	assert_int_equal(g->id, UINT64_MAX);
	expect_ok(g);
	crm__client_frame__free_unpacked(g, NULL);
}

/* An enum value the .proto does not declare is refused naming the field,
 * wherever it sits (ClientFrame has no enum yet; Response does). */
static void test_unknown_enum_value(void **state) {
	Crm__Status st = CRM__STATUS__INIT;
	Crm__Response r = CRM__RESPONSE__INIT, *u;
	crm_err err;
	uint8_t buf[64];
	size_t n;

	st.has_code = 1;
	st.code = CRM__CODE__OK;
	r.has_id = 1;
	r.status = &st;
	crm_err_clear(&err);
	assert_true(crm_wire_check_message(&r.base, NULL, &err));

	st.code = (Crm__Code)99;
	crm_err_clear(&err);
	assert_false(crm_wire_check_message(&r.base, NULL, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "status.code");
	assert_non_null(strstr(err.msg, "99"));

	crm_err_clear(&err);
	assert_false(crm_wire_check_message(&r.base, "response", &err));
	assert_string_equal(err.field, "response.status.code");

	/* The same after a trip through the wire: protobuf-c 1.4 keeps the
	 * unknown value, so only the walk catches it. */
	n = crm__response__pack(&r, buf);
	u = crm__response__unpack(NULL, n, buf);
	if (u != NULL) {
		crm_err_clear(&err);
		if (u->status && u->status->has_code) {
			assert_false(crm_wire_check_message(&u->base, NULL, &err));
			assert_string_equal(err.field, "status.code");
		}
		crm__response__free_unpacked(u, NULL);
	}
}

/* Record requests: the record must say which kind it is; nested text is
 * checked with its full path; repeated fields are capped. */
static void test_record_create(void **state) {
	static ProtobufCBinaryData tags[CRM_REPEATED_MAX + 1];
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Account acc = CRM__ACCOUNT__INIT;
	Crm__RecordMeta meta = CRM__RECORD_META__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	f.record_create = &rc;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record");
	rc.record = &rec;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record");
	rec.kind_case = CRM__RECORD__KIND_ACCOUNT;
	rec.account = &acc;
	expect_ok(&f);
	assert_true(crm_wire_request_mutates(&f));
	acc.has_name = 1;
	acc.name.data = (uint8_t *)"a\0b";
	acc.name.len = 3;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.account.name");
	acc.name.data = (uint8_t *)"Acme";
	acc.name.len = 4;
	for (size_t i = 0; i < CRM_REPEATED_MAX + 1; i++)
		tags[i] = (ProtobufCBinaryData){1, (uint8_t *)"t"};
	acc.meta = &meta;
	meta.tags = tags;
	meta.n_tags = CRM_REPEATED_MAX;
	expect_ok(&f);
	/* the shared fields are named as the record's own (no .meta.) */
	meta.n_tags = CRM_REPEATED_MAX + 1;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.account.tags");
	meta.n_tags = 0;
	meta.has_external_id = 1;
	meta.external_id.data = (uint8_t *)"x\0y";
	meta.external_id.len = 3;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.account.external_id");
	meta.has_external_id = 0;
	acc.has_type = 1;
	acc.type = (Crm__AccountType)42;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_create.record.account.type");
}

static void test_record_get_and_list(void **state) {
	Crm__RecordGet g = CRM__RECORD_GET__INIT;
	Crm__RecordList l = CRM__RECORD_LIST__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;

	f.has_id = 1;
	f.id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	f.record_get = &g;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_get.type");
	g.has_type = 1;
	g.type = CRM__RECORD_TYPE__RECORD_TYPE_CONTACT;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_get.id");
	g.has_id = 1;
	g.id = -5;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_get.id");
	g.id = 5;
	expect_ok(&f);
	assert_false(crm_wire_request_mutates(&f));
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
	f.record_list = &l;
	expect_bad(&f, CRM_INVALID_ARGUMENT, "record_list.type");
	l.has_type = 1;
	l.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
	expect_ok(&f);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_create),
		cmocka_unit_test(test_record_get_and_list),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_text_invalid_utf8),
		cmocka_unit_test(test_text_controls),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_missing_id),
		cmocka_unit_test(test_empty_request),
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_note_record_create),
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_idempotency_key),
		cmocka_unit_test(test_unknown_request_type),
		cmocka_unit_test(test_empty_frame_bytes),
		cmocka_unit_test(test_embedded_nul_survives_unpack),
		cmocka_unit_test(test_pack_round_trip),
		cmocka_unit_test(test_unknown_enum_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
