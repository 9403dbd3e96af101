/*
 * Unit tests for the frame header in proto/crm_wire.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "crm_wire.h"

static void test_round_trip(void **state) {
	static const uint32_t lens[] = {0,     1,          255,        256,
					65535, 65536,      0x01020304, CRM_FRAME_MAX_CEILING,
					0x7FFFFFFF, 0x80000000, UINT32_MAX};
	uint8_t buf[CRM_FRAME_HEADER];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		crm_frame_put_len(buf, lens[i]);
		assert_int_equal(crm_frame_get_len(buf), lens[i]);
	}
}

static void test_big_endian(void **state) {
	uint8_t buf[CRM_FRAME_HEADER];
	const uint8_t want[] = {0x01, 0x02, 0x03, 0x04};
	const uint8_t max[] = {0xFF, 0xFF, 0xFF, 0xFF};

	crm_frame_put_len(buf, 0x01020304);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(crm_frame_get_len(max), UINT32_MAX);
	/* Bytes above 0x7F must not sign-extend. */
	const uint8_t hi[] = {0x80, 0x00, 0x00, 0xFF};
	assert_int_equal(crm_frame_get_len(hi), 0x800000FFu);
}

static void test_writes_only_header(void **state) {
	uint8_t buf[8] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};

	crm_frame_put_len(buf + 2, 7);
	assert_int_equal(buf[0], 0xAA);
	assert_int_equal(buf[1], 0xAA);
	assert_int_equal(buf[6], 0xAA);
	assert_int_equal(buf[7], 0xAA);
	assert_int_equal(crm_frame_get_len(buf + 2), 7);
}

static void test_limits(void **state) {
	assert_int_equal(CRM_FRAME_HEADER, 4);
	assert_true(CRM_FRAME_MIN_FLOOR < CRM_FRAME_MAX_CEILING);
	assert_int_equal(CRM_FRAME_MAX_CEILING, 67108864);
	/* A Hello or an error reply must fit in the smallest frame allowed. */
	assert_true(CRM_CLIENT_NAME_MAX + 64 < CRM_FRAME_MIN_FLOOR);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_writes_only_header),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
