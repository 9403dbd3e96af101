/*
 * Unit tests for crm_wire_prescan and crm_wire_peek_id (proto/crm_wire):
 * what a frame may cost before protobuf-c unpacks it, on bytes packed by
 * protobuf-c and on bytes written by hand; and that id 0 is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crm_wire.h"

typedef struct buf {
	uint8_t *p;
	size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t n) {
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_varint(buf *b, uint64_t v) {
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7F);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	put(b, tmp, n);
}

/* Field `num` of wire type 2 holding `inner`. */
static void put_len(buf *b, unsigned num, const buf *inner) {
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, inner->len);
	if (inner->len)
		put(b, inner->p, inner->len);
}

/* A ClientFrame: id 7, then field 47 (record_list) holding `inner`. */
static buf record_list_frame(const buf *inner) {
	buf f = {0};

	put_varint(&f, 1 << 3 | 0);
	put_varint(&f, 7);
	put_len(&f, 47, inner);
	return f;
}

static bool scan(const buf *b, bool *bad, crm_err *err) {
	crm_err_clear(err);
	return crm_wire_prescan(&crm__client_frame__descriptor, b->p, b->len, bad, err);
}

static void expect_refused(const buf *b, const char *field, const char *want, bool malformed) {
	crm_err err;
	bool bad = !malformed;

	if (scan(b, &bad, &err))
		fail_msg("accepted; expected a refusal on %s", field);
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, field);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_int_equal(bad, malformed);
}

static void expect_passed(const buf *b) {
	crm_err err;
	bool bad = true;

	if (!scan(b, &bad, &err))
		fail_msg("refused: %s: %s", err.field, err.msg);
	assert_false(bad);
	assert_false(crm_err_isset(&err));
}

/* The frame: 1 MB of empty filters, refused in a few microseconds
 * at the 201st, naming the field; the scan never reaches the rest (here
 * garbage that would be a malformation). */
static void test_many_empty_submessages(void **state) {
	buf inner = {0}, f;
	struct timespec t0, t1;
	double ms;

	(void)state;
	for (int i = 0; i < 500000; i++)
		put(&inner, "\x12\x00", 2);
	f = record_list_frame(&inner);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(&f, "record_list.filters", "more than 200 values; at most 200", false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 20.0);
	assert_int_equal(crm_wire_peek_id(f.p, f.len), 7);
	/* exactly 200 pass (the validator judges them) */
	inner.len = 400;
	free(f.p);
	f = record_list_frame(&inner);
	expect_passed(&f);
	/* 201 then garbage: the count is what is reported */
	inner.len = 402;
	put(&inner, "\x0b\x0b\x0b", 3);
	free(f.p);
	f = record_list_frame(&inner);
	expect_refused(&f, "record_list.filters", "at most 200", false);
	free(f.p);
	free(inner.p);
}

/* Under the per-field cap at every level, but too many in all. */
static void test_frame_total(void **state) {
	buf filter = {0}, inner = {0}, f, v = {0};

	(void)state;
	for (int i = 0; i < 200; i++)
		put_len(&filter, 3, &v); /* Filter.values, empty */
	for (int i = 0; i < 49; i++)
		put_len(&inner, 2, &filter);
	f = record_list_frame(&inner);
	expect_passed(&f); /* 2 + 49 * 201 fields */
	free(f.p);
	put_len(&inner, 2, &filter);
	f = record_list_frame(&inner);
	expect_refused(&f, "frame", "more than 10000 fields in all", false);
	free(f.p);
	/* unknown fields count too */
	free(inner.p);
	inner = (buf){0};
	for (int i = 0; i < CRM_FRAME_FIELDS_MAX; i++)
		put(&inner, "\xf8\x0f\x01", 3); /* field 255, varint 1: unknown */
	f = record_list_frame(&inner);
	expect_refused(&f, "frame", "at most 10000", false);
	free(f.p);
	free(filter.p);
	free(inner.p);
}

/* A non-repeated field repeated (protobuf-c would merge every copy). */
static void test_repeated_singular_field(void **state) {
	buf f = {0};

	(void)state;
	for (int i = 0; i < CRM_REPEATED_MAX + 1; i++) {
		put_varint(&f, 1 << 3 | 0);
		put_varint(&f, (uint64_t)i + 1);
	}
	expect_refused(&f, "id", "occurs more than 200 times", false);
	assert_int_equal(crm_wire_peek_id(f.p, f.len), CRM_REPEATED_MAX + 1);
	free(f.p);
}

/* Bytes protobuf-c refuses: the scan says malformed, and so does unpack. */
static void test_malformed(void **state) {
	static const struct {
		const char *bytes;
		size_t len;
	} cases[] = {
		{"\x08", 1},                    /* id without its varint */
		{"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12}, /* varint > 10 bytes */
		{"\xfa\x02\x05\x12", 4},        /* record_list longer than the frame */
		{"\xfa\x02\x02\x12\x05", 5},    /* a filter longer than record_list */
		{"\x0b\x0c", 2},                /* a group */
		{"\x0e\x00", 2},                /* wire type 6 */
		{"\x09\x01\x02\x03", 4},        /* 64-bit value cut short */
		{"\x80", 1},                    /* a key cut short */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf b = {(uint8_t *)cases[i].bytes, cases[i].len, cases[i].len};
		Crm__ClientFrame *f;

		expect_refused(&b, "frame", "malformed frame: not a ClientFrame message", true);
		f = crm__client_frame__unpack(NULL, b.len, b.p);
		if (f != NULL)
			fail_msg("case %zu: protobuf-c accepts what the scan calls malformed", i);
	}
}

static buf pack(const Crm__ClientFrame *f) {
	buf b = {0};

	b.cap = b.len = crm__client_frame__get_packed_size(f);
	b.p = malloc(b.len);
	assert_non_null(b.p);
	crm__client_frame__pack(f, b.p);
	return b;
}

/* What a real client packs passes: the limits sit above every valid
 * frame; one value more is refused with the path the validator uses. */
static void test_packed_frames(void **state) {
	static ProtobufCBinaryData tags[CRM_REPEATED_MAX];
	static Crm__ContactEmail emails[CRM_REPEATED_MAX + 1], *pe[CRM_REPEATED_MAX + 1];
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordCreate rc = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Contact ct = CRM__CONTACT__INIT;
	Crm__RecordMeta meta = CRM__RECORD_META__INIT;
	buf b;

	(void)state;
	for (int i = 0; i <= CRM_REPEATED_MAX; i++) {
		tags[i % CRM_REPEATED_MAX] = (ProtobufCBinaryData){3, (uint8_t *)"tag"};
		crm__contact_email__init(&emails[i]);
		pe[i] = &emails[i];
	}
	ct.meta = &meta;
	meta.tags = tags;
	meta.n_tags = CRM_REPEATED_MAX;
	ct.emails = pe;
	ct.n_emails = CRM_REPEATED_MAX;
	rec.kind_case = CRM__RECORD__KIND_CONTACT;
	rec.contact = &ct;
	rc.record = &rec;
	f.has_id = 1;
	f.id = 99;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
	f.record_create = &rc;
	b = pack(&f);
	expect_passed(&b);
	assert_int_equal(crm_wire_peek_id(b.p, b.len), 99);
	free(b.p);
	ct.n_emails = CRM_REPEATED_MAX + 1;
	b = pack(&f);
	expect_refused(&b, "record_create.record.contact.emails", "at most 200", false);
	free(b.p);
}

/* Every message a client can send fits the scan's per-field counters. */
static void check_fits(const ProtobufCMessageDescriptor *d, int depth) {
	assert_true(d->n_fields <= CRM_SCAN_FIELDS_COUNTED);
	assert_true(depth < CRM_NESTING_MAX);
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE && d->fields[i].descriptor != d)
			check_fits(d->fields[i].descriptor, depth + 1);
}

static void test_counters_cover_every_message(void **state) {
	(void)state;
	check_fits(&crm__client_frame__descriptor, 0);
}

static void test_peek_id(void **state) {
	(void)state;
	assert_int_equal(crm_wire_peek_id((const uint8_t *)"", 0), 0);
	assert_int_equal(crm_wire_peek_id((const uint8_t *)"\xfa\x02\x00", 3), 0);
	assert_int_equal(crm_wire_peek_id((const uint8_t *)"\xfa\x02\x00\x08\x2a", 5), 42);
	assert_int_equal(crm_wire_peek_id((const uint8_t *)"\x08", 1), 0);
}

/* Id 0 is what the server puts on connection-level errors. */
static void test_id_zero_refused(void **state) {
	Crm__Ping p = CRM__PING__INIT;
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	crm_err err;

	(void)state;
	f.has_id = 1;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	f.ping = &p;
	crm_err_clear(&err);
	assert_false(crm_wire_validate(&f, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "id");
	assert_non_null(strstr(err.msg, "0 is reserved for connection-level errors"));
	f.id = 1;
	crm_err_clear(&err);
	assert_true(crm_wire_validate(&f, &err));
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_empty_submessages),
		cmocka_unit_test(test_frame_total),
		cmocka_unit_test(test_repeated_singular_field),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_packed_frames),
		cmocka_unit_test(test_counters_cover_every_message),
		cmocka_unit_test(test_peek_id),
		cmocka_unit_test(test_id_zero_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
