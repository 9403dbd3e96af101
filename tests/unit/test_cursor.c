/*
 * Unit tests for server/cursor.c: make/read round trips, and every way a
 * cursor must be refused (tampered, another user, other filters, expired,
 * another key, not a cursor at all), each as INVALID_ARGUMENT naming the
 * field. Expired and otherwise crafted cursors are built here from the
 * layout in cursor.c's header and signed with the same key, so each test
 * changes one thing only. Also crm_cursor_set_key's checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cursor.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define OTHER_HEX "ffeeddccbbaa99887766554433221100"
#define FIELD "user_list.cursor"
#define FILTERS "active=true;sort=username"

/* Layout: version(1) user_id(8) expires(8) filters_hash(16) key_len(2) key mac(16) */
#define HEAD 35
#define MACLEN 16

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

typedef struct {
	uint8_t b[1024];
	size_t n;
} raw_cursor;

static void set_key(const char *hex) {
	crm_err err;

	crm_err_clear(&err);
	assert_true(crm_cursor_set_key(hex, &err));
	assert_false(crm_err_isset(&err));
}

/* Base64url without padding: false for anything else. Strict also wants
 * the unused low bits of the last character zero, as an encoder writes. */
static bool decode_bits(const ProtobufCBinaryData *in, raw_cursor *out, bool strict) {
	uint32_t acc = 0;
	int bits = 0;

	out->n = 0;
	for (size_t i = 0; i < in->len; i++) {
		const char *p = in->data[i] ? strchr(alphabet, in->data[i]) : NULL;
		if (p == NULL || out->n >= sizeof(out->b))
			return false;
		acc = acc << 6 | (uint32_t)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->b[out->n++] = (uint8_t)(acc >> bits);
		}
	}
	return bits < 6 && (!strict || (acc & ((1u << bits) - 1)) == 0);
}

static bool decode(const ProtobufCBinaryData *in, raw_cursor *out) {
	return decode_bits(in, out, true);
}

static ProtobufCBinaryData encode(crm_arena *a, const raw_cursor *raw) {
	char *s = crm_arena_alloc(a, raw->n * 4 / 3 + 4);
	ProtobufCBinaryData out = {0, (uint8_t *)s};
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < raw->n; i++) {
		acc = acc << 8 | raw->b[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			s[out.len++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		s[out.len++] = alphabet[(acc << (6 - bits)) & 63];
	return out;
}

static uint64_t get64(const uint8_t *p) {
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v) {
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Signs raw (everything before the MAC) with the key given in hex. */
static void sign(raw_cursor *raw, const char *hex) {
	uint8_t key[64], full[EVP_MAX_MD_SIZE];
	size_t klen = strlen(hex) / 2, body = raw->n - MACLEN;
	unsigned int n = 0;

	for (size_t i = 0; i < klen; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		key[i] = (uint8_t)v;
	}
	assert_non_null(HMAC(EVP_sha256(), key, (int)klen, raw->b, body, full, &n));
	memcpy(raw->b + body, full, MACLEN);
}

static void expect_ok(crm_arena *a, const ProtobufCBinaryData *c, int64_t user,
		      const char *filters, const char *want) {
	const char *key = NULL;
	crm_err err;

	crm_err_clear(&err);
	assert_true(crm_cursor_read(a, c, user, filters, FIELD, &key, &err));
	assert_false(crm_err_isset(&err));
	assert_non_null(key);
	assert_string_equal(key, want);
}

/* Refused as INVALID_ARGUMENT on FIELD; the message must contain `why`
 * when given. */
static void expect_refused(crm_arena *a, const ProtobufCBinaryData *c, int64_t user,
			   const char *filters, const char *why) {
	const char *key = "untouched";
	crm_err err;

	crm_err_clear(&err);
	assert_false(crm_cursor_read(a, c, user, filters, FIELD, &key, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, FIELD);
	assert_true(err.msg[0] != '\0');
	if (why != NULL && strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" does not say \"%s\"", err.msg, why);
	assert_string_equal(key, "untouched");
}

static int setup(void **state) {
	set_key(KEY_HEX);
	return 0;
}

static void test_round_trip(void **state) {
	static const char *keys[] = {"", "a", "ab", "abc", "2024-05-01T10:00:00Z|42",
				     "Zoë, \"quoted\" \\ back", "x\ty\nz"};
	static const int64_t users[] = {1, 42, 0, -1, INT64_MAX, INT64_MIN};
	char long_key[CRM_CURSOR_KEY_MAX + 1];
	crm_arena a;

	crm_arena_init(&a);
	for (size_t u = 0; u < sizeof(users) / sizeof(users[0]); u++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			ProtobufCBinaryData c = crm_cursor_make(&a, users[u], FILTERS, keys[k]);
			raw_cursor raw;

			/* base64url, no padding, nothing else: safe in a URL or a CLI argument */
			for (size_t i = 0; i < c.len; i++)
				assert_non_null(memchr(alphabet, c.data[i], 64));
			assert_true(decode(&c, &raw));
			assert_int_equal(raw.n, HEAD + strlen(keys[k]) + MACLEN);
			expect_ok(&a, &c, users[u], FILTERS, keys[k]);
		}
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	ProtobufCBinaryData c = crm_cursor_make(&a, 7, "", long_key);
	expect_ok(&a, &c, 7, "", long_key);
	crm_arena_fini(&a);
}

/* The layout is as the file header says: version 1, big-endian user id,
 * expiry about a day ahead, key length and key. */
static void test_layout(void **state) {
	ProtobufCBinaryData c;
	raw_cursor raw;
	crm_arena a;
	uint64_t exp, now = (uint64_t)time(NULL);

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 0x0102030405060708, FILTERS, "key");
	assert_true(decode(&c, &raw));
	assert_int_equal(raw.n, HEAD + 3 + MACLEN);
	assert_int_equal(raw.b[0], 1);
	assert_int_equal(get64(raw.b + 1), 0x0102030405060708);
	exp = get64(raw.b + 9);
	assert_true(exp >= now + CRM_CURSOR_TTL_S && exp <= now + CRM_CURSOR_TTL_S + 5);
	assert_int_equal(raw.b[33], 0);
	assert_int_equal(raw.b[34], 3);
	assert_memory_equal(raw.b + HEAD, "key", 3);
	crm_arena_fini(&a);
}

static void test_tampered_bytes(void **state) {
	ProtobufCBinaryData c, t;
	raw_cursor raw, bad;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "page-2|1234");
	assert_true(decode(&c, &raw));
	for (size_t i = 0; i < raw.n; i++)
		for (int bit = 0; bit < 8; bit++) {
			bad = raw;
			bad.b[i] ^= (uint8_t)(1u << bit);
			t = encode(&a, &bad);
			expect_refused(&a, &t, 42, FILTERS, NULL);
		}
	/* Truncated or extended by whole bytes. */
	for (size_t n = 0; n < raw.n; n++) {
		bad = raw;
		bad.n = n;
		t = encode(&a, &bad);
		expect_refused(&a, &t, 42, FILTERS, NULL);
	}
	bad = raw;
	bad.b[bad.n++] = 0;
	t = encode(&a, &bad);
	expect_refused(&a, &t, 42, FILTERS, NULL);
	crm_arena_fini(&a);
}

/* Any character replaced by another, where that changes the bytes the
 * cursor stands for. */
static void test_tampered_text(void **state) {
	static const char *keys[] = {"k", "ke", "key"}; /* each length mod 3 */
	crm_arena a;

	crm_arena_init(&a);
	for (size_t k = 0; k < 3; k++) {
		ProtobufCBinaryData c = crm_cursor_make(&a, 42, FILTERS, keys[k]), t;
		raw_cursor raw, other;
		uint8_t *copy = crm_arena_alloc(&a, c.len);

		assert_true(decode(&c, &raw));
		t.data = copy;
		t.len = c.len;
		for (size_t i = 0; i < c.len; i++)
			for (size_t j = 0; j < 64; j++) {
				memcpy(copy, c.data, c.len);
				copy[i] = (uint8_t)alphabet[j];
				if (copy[i] == c.data[i])
					continue;
				if (decode_bits(&t, &other, false) && other.n == raw.n &&
				    memcmp(other.b, raw.b, raw.n) == 0)
					continue; /* same bytes: unused low bits only */
				expect_refused(&a, &t, 42, FILTERS, NULL);
			}
	}
	crm_arena_fini(&a);
}

static void test_other_user(void **state) {
	ProtobufCBinaryData c;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "k");
	expect_refused(&a, &c, 43, FILTERS, "another user");
	expect_refused(&a, &c, -42, FILTERS, "another user");
	expect_refused(&a, &c, 42 + ((int64_t)1 << 32), FILTERS, "another user");
	expect_ok(&a, &c, 42, FILTERS, "k");
	crm_arena_fini(&a);
}

static void test_other_filters(void **state) {
	ProtobufCBinaryData c;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "k");
	expect_refused(&a, &c, 42, "active=false;sort=username", "other filters");
	expect_refused(&a, &c, 42, "", "other filters");
	expect_refused(&a, &c, 42, FILTERS " ", "other filters");
	c = crm_cursor_make(&a, 42, "", "k");
	expect_refused(&a, &c, 42, FILTERS, "other filters");
	expect_ok(&a, &c, 42, "", "k");
	crm_arena_fini(&a);
}

/* Same cursor, expiry moved and signed again with the right key. */
static void test_expired(void **state) {
	uint64_t now = (uint64_t)time(NULL);
	ProtobufCBinaryData c, t;
	raw_cursor raw;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "page|9");
	assert_true(decode(&c, &raw));

	/* Re-signing alone changes nothing: the test's HMAC is the server's. */
	sign(&raw, KEY_HEX);
	t = encode(&a, &raw);
	assert_int_equal(t.len, c.len);
	assert_memory_equal(t.data, c.data, c.len);

	put64(raw.b + 9, now - 1);
	sign(&raw, KEY_HEX);
	t = encode(&a, &raw);
	expect_refused(&a, &t, 42, FILTERS, "expired");

	put64(raw.b + 9, now - CRM_CURSOR_TTL_S);
	sign(&raw, KEY_HEX);
	t = encode(&a, &raw);
	expect_refused(&a, &t, 42, FILTERS, "expired");

	put64(raw.b + 9, 0);
	sign(&raw, KEY_HEX);
	t = encode(&a, &raw);
	expect_refused(&a, &t, 42, FILTERS, "expired");

	/* Still valid a minute before it expires. */
	put64(raw.b + 9, now + 60);
	sign(&raw, KEY_HEX);
	t = encode(&a, &raw);
	expect_ok(&a, &t, 42, FILTERS, "page|9");

	/* Signed with another key: altered, whatever the expiry. */
	sign(&raw, OTHER_HEX);
	t = encode(&a, &raw);
	expect_refused(&a, &t, 42, FILTERS, "altered");
	crm_arena_fini(&a);
}

/* Well signed, but not a layout this server writes. */
static void test_bad_layout_signed(void **state) {
	ProtobufCBinaryData c, t;
	raw_cursor raw, bad;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "abcdef");
	assert_true(decode(&c, &raw));
	for (int v = 0; v < 256; v++) {
		if (v == 1)
			continue;
		bad = raw;
		bad.b[0] = (uint8_t)v;
		sign(&bad, KEY_HEX);
		t = encode(&a, &bad);
		expect_refused(&a, &t, 42, FILTERS, NULL);
	}
	/* key_len saying more or less than there is */
	for (int d = -6; d <= 6; d++) {
		if (d == 0)
			continue;
		bad = raw;
		bad.b[34] = (uint8_t)(6 + d);
		sign(&bad, KEY_HEX);
		t = encode(&a, &bad);
		expect_refused(&a, &t, 42, FILTERS, NULL);
	}
	bad = raw;
	bad.b[33] = 0xFF;
	sign(&bad, KEY_HEX);
	t = encode(&a, &bad);
	expect_refused(&a, &t, 42, FILTERS, NULL);
	crm_arena_fini(&a);
}

static void test_garbage(void **state) {
	static const char *inputs[] = {
		"",
		"A",
		"AAAA",
		"not a cursor",
		"abc+/def",     /* standard base64, not base64url */
		"QUJDRA==",     /* padding */
		" QUJD",
		"QUJD\n",
		"%41%42",
		"////////////////////////////////////////////////////////////////////////////",
	};
	uint8_t zeros[HEAD + MACLEN + 10] = {0};
	ProtobufCBinaryData c;
	raw_cursor raw;
	crm_arena a;

	crm_arena_init(&a);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		c.data = (uint8_t *)inputs[i];
		c.len = strlen(inputs[i]);
		expect_refused(&a, &c, 42, FILTERS, NULL);
	}
	c.data = NULL;
	c.len = 0;
	expect_refused(&a, &c, 42, FILTERS, NULL);
	/* A NUL inside otherwise good characters. */
	c = crm_cursor_make(&a, 42, FILTERS, "k");
	{
		uint8_t *copy = crm_arena_alloc(&a, c.len);
		memcpy(copy, c.data, c.len);
		copy[c.len / 2] = '\0';
		c.data = copy;
		expect_refused(&a, &c, 42, FILTERS, NULL);
	}
	/* Valid base64url of too few bytes, and of zeros of a plausible size. */
	for (size_t n = 0; n < HEAD + MACLEN; n++) {
		memset(raw.b, 'x', n);
		raw.n = n;
		c = encode(&a, &raw);
		expect_refused(&a, &c, 42, FILTERS, NULL);
	}
	memcpy(raw.b, zeros, sizeof(zeros));
	raw.n = sizeof(zeros);
	c = encode(&a, &raw);
	expect_refused(&a, &c, 0, FILTERS, NULL);
	crm_arena_fini(&a);
}

/* Every instance shares the key: a cursor from another key is refused. */
static void test_other_key(void **state) {
	ProtobufCBinaryData c;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "k");
	set_key(OTHER_HEX);
	expect_refused(&a, &c, 42, FILTERS, "altered");
	set_key(KEY_HEX);
	expect_ok(&a, &c, 42, FILTERS, "k");
	/* Same key spelt in upper case. */
	set_key("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
	expect_ok(&a, &c, 42, FILTERS, "k");
	crm_arena_fini(&a);
}

static void expect_bad_key(const char *hex) {
	crm_err err;

	crm_err_clear(&err);
	if (crm_cursor_set_key(hex, &err))
		fail_msg("crm_cursor_set_key accepted \"%s\"", hex);
	assert_int_equal(err.code, CRM_FAILED_PRECONDITION);
	assert_string_equal(err.field, "cursor_key");
	assert_true(err.msg[0] != '\0');
}

static void test_set_key(void **state) {
	char hex[300];

	expect_bad_key("");
	expect_bad_key("00");
	expect_bad_key("000102030405060708090a0b0c0d0e"); /* 30 digits */
	memset(hex, 'a', 130);
	hex[130] = '\0';
	expect_bad_key(hex); /* 65 bytes */
	memset(hex, 'a', 299);
	hex[299] = '\0';
	expect_bad_key(hex);
	expect_bad_key("zz0102030405060708090a0b0c0d0e0f");
	expect_bad_key("000102030405060708090a0b0c0d0e0g");
	expect_bad_key("0001020304050607 8090a0b0c0d0e0f");
	expect_bad_key("0x0102030405060708090a0b0c0d0e0f");
	/* 32 and 128 digits are the bounds. */
	set_key("000102030405060708090a0b0c0d0e0f");
	memset(hex, 'F', 128);
	hex[128] = '\0';
	set_key(hex);
	set_key(KEY_HEX);
}

/* An odd number of digits is not a whole number of bytes: the last digit
 * must not be dropped unchecked. */
static void test_set_key_odd(void **state) {
	expect_bad_key(KEY_HEX "0");
	expect_bad_key(KEY_HEX "z");
	set_key(KEY_HEX);
}

/* A refused key leaves the key in use as it was. */
static void test_set_key_failure_keeps_key(void **state) {
	ProtobufCBinaryData c;
	crm_arena a;

	crm_arena_init(&a);
	c = crm_cursor_make(&a, 42, FILTERS, "k");
	expect_bad_key("ffffffffffffffffffffffffffffffzz");
	expect_ok(&a, &c, 42, FILTERS, "k");
	set_key(KEY_HEX);
	crm_arena_fini(&a);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_tampered_bytes),
		cmocka_unit_test(test_tampered_text),
		cmocka_unit_test(test_other_user),
		cmocka_unit_test(test_other_filters),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_bad_layout_signed),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_other_key),
		cmocka_unit_test(test_set_key),
		cmocka_unit_test(test_set_key_odd),
		cmocka_unit_test(test_set_key_failure_keeps_key),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
