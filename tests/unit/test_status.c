/*
 * Unit tests for proto/crm_status: the status table and crm_err.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crm.pb-c.h"
#include "crm_messages.h"
#include "crm_status.h"
#include "crm_wire.h"

static const crm_status all[] = {
#define X(name, wire, exitc, lvl) CRM_##name,
	CRM_STATUS_TABLE(X)
#undef X
};
#define N_STATUS (sizeof(all) / sizeof(all[0]))

static void test_every_code_has_a_name(void **state) {
	assert_int_equal(N_STATUS, 13);
	for (size_t i = 0; i < N_STATUS; i++) {
		const char *name = crm_status_name(all[i]);
		assert_non_null(name);
		assert_true(strlen(name) > 0);
		assert_true(crm_status_valid((int)all[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(name, crm_status_name(all[j]));
	}
}

/* The table and crm.Code in crm.proto agree on every name and value. */
static void test_wire_values_match_proto(void **state) {
	for (size_t i = 0; i < N_STATUS; i++) {
		const ProtobufCEnumValue *v =
			protobuf_c_enum_descriptor_get_value(&crm__code__descriptor, (int)all[i]);
		assert_non_null(v);
		assert_string_equal(v->name, crm_status_name(all[i]));
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(all[i], all[j]);
	}
	/* Every crm.Code but CODE_UNSPECIFIED is in the table. */
	assert_int_equal(crm__code__descriptor.n_values, N_STATUS + 1);
	assert_false(crm_status_valid(0));
	assert_false(crm_status_valid(14));
	assert_false(crm_status_valid(-1));
}

static void test_exit_codes(void **state) {
	assert_int_equal(crm_status_exit_code(CRM_OK), 0);
	for (size_t i = 0; i < N_STATUS; i++) {
		int code = crm_status_exit_code(all[i]);
		if (all[i] == CRM_OK)
			continue;
		assert_int_not_equal(code, 0);
		assert_int_not_equal(code, CRM_EXIT_FAILURE);
		assert_int_not_equal(code, CRM_EXIT_USAGE);
		assert_true(code < 126); /* shells reserve 126 and up */
		/* Documented rule: wire value + 1. */
		assert_int_equal(code, (int)all[i] + 1);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(code, crm_status_exit_code(all[j]));
	}
	assert_int_equal(CRM_EXIT_FAILURE, 1);
	assert_int_equal(CRM_EXIT_USAGE, 2);
	assert_int_equal(crm_status_exit_code((crm_status)99), CRM_EXIT_FAILURE);
	assert_null(crm_status_name((crm_status)99));
}

static void test_log_levels(void **state) {
	for (size_t i = 0; i < N_STATUS; i++) {
		crm_log_level l = crm_status_log_level(all[i]);
		assert_true(l >= CRM_LOG_ERROR && l <= CRM_LOG_DEBUG);
	}
	assert_int_equal(crm_status_log_level(CRM_INTERNAL), CRM_LOG_ERROR);
	assert_int_equal(crm_status_log_level((crm_status)99), CRM_LOG_ERROR);
}

static void test_err_first_wins(void **state) {
	crm_err err;

	crm_err_clear(&err);
	assert_false(crm_err_isset(&err));
	assert_false(crm_err_set(&err, CRM_NOT_FOUND, "note_id", "no note %d", 7));
	assert_true(crm_err_isset(&err));
	assert_false(crm_err_set(&err, CRM_INTERNAL, "other", "later"));
	assert_int_equal(err.code, CRM_NOT_FOUND);
	assert_string_equal(err.field, "note_id");
	assert_string_equal(err.msg, "no note 7");

	crm_err_clear(&err);
	assert_false(crm_err_set(&err, CRM_INTERNAL, NULL, "x"));
	assert_string_equal(err.field, "");
	/* NULL err is allowed and ignored. */
	assert_false(crm_err_set(NULL, CRM_INTERNAL, NULL, "x"));
}

static void test_err_truncates(void **state) {
	crm_err err;
	char big[1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	crm_err_clear(&err);
	crm_err_set(&err, CRM_INVALID_ARGUMENT, big, "%s", big);
	assert_int_equal(strlen(err.field), CRM_ERR_FIELD_MAX - 1);
	assert_int_equal(strlen(err.msg), CRM_ERR_MSG_MAX - 1);
}

/* An id's English text is its template filled with the arguments; the id
 * and the arguments travel along, and the first error still wins. */
static void test_err_with_id(void **state) {
	crm_err e;

	crm_err_clear(&e);
	assert_false(crm_err_setid(&e, CRM_INVALID_ARGUMENT, "record_list.page.limit",
				   "wire.page_limit", CRM_NUM(500), NULL));
	assert_string_equal(e.msg, "must be between 1 and 500");
	assert_string_equal(e.id, "wire.page_limit");
	assert_int_equal(e.nargs, 1);
	assert_string_equal(crm_err_arg(&e, 0), "500");
	assert_string_equal(crm_err_arg(&e, 1), "");
	crm_err_setid(&e, CRM_INTERNAL, NULL, "db.internal", NULL);
	assert_string_equal(e.id, "wire.page_limit");
	/* crm_err_set on a cleared error leaves no id behind */
	crm_err_clear(&e);
	crm_err_set(&e, CRM_INTERNAL, NULL, "plain");
	assert_string_equal(e.id, "");
	assert_int_equal(e.nargs, 0);
}

/* Positional arguments in any order, %% and a missing argument. */
static void test_err_format(void **state) {
	const char *args[] = {"account", "42"};
	char out[64];
	crm_err e;

	crm_err_clear(&e);
	crm_err_attach_id(&e, "record.not_found", args, 2);
	crm_err_format(&e, "%2$s: %1$s 100%% %3$s.", out, sizeof(out));
	assert_string_equal(out, "42: account 100% .");
	crm_err_format(&e, "%1$s%1$s%1$s", out, 8);
	assert_string_equal(out, "account");
	/* an argument too long for the buffer is cut, the count stays */
	{
		char big[400];
		const char *two[] = {big, "x"};

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		crm_err_clear(&e);
		crm_err_attach_id(&e, "wire.range", two, 2);
		assert_int_equal(e.nargs, 2);
		assert_int_equal(strlen(crm_err_arg(&e, 0)), CRM_ERR_ARGBUF_MAX - 2);
		assert_string_equal(crm_err_arg(&e, 1), "");
	}
}

/* Every id is found, C's and the SQL's, and ids are unique. */
static void test_message_table(void **state) {
	const char *id, *tmpl, *id2, *t2;
	size_t n = 0;

	while (crm_msg_at(n, &id, &tmpl)) {
		assert_ptr_equal(crm_msg_template(id), tmpl);
		for (size_t j = 0; j < n; j++) {
			assert_true(crm_msg_at(j, &id2, &t2));
			assert_string_not_equal(id, id2);
		}
		n++;
	}
	assert_true(n > 150);
	assert_non_null(crm_msg_template("record.version_conflict")); /* the SQL's */
	assert_null(crm_msg_template("no.such_id"));
}

/* A status with an id carries it to and from the wire. */
static void test_status_round_trip(void **state) {
	Crm__Status st = CRM__STATUS__INIT;
	char *argv[CRM_ERR_ARGS_MAX];
	crm_err e, back;

	crm_err_clear(&e);
	crm_err_setid(&e, CRM_RESOURCE_EXHAUSTED, NULL, "conn.too_many", CRM_NUM(7), NULL);
	crm_wire_status_set(&st, &e, argv);
	assert_string_equal(st.message_id, "conn.too_many");
	assert_int_equal(st.n_args, 1);
	assert_string_equal(st.args[0], "7");
	crm_err_clear(&back);
	crm_err_set(&back, CRM_RESOURCE_EXHAUSTED, NULL, "%s", st.message);
	crm_wire_status_ids(&st, &back);
	assert_string_equal(back.id, "conn.too_many");
	assert_string_equal(crm_err_arg(&back, 0), "7");
	assert_string_equal(back.msg, "too many connections (max 7); try again later");
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_a_name),
		cmocka_unit_test(test_wire_values_match_proto),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_err_first_wins),
		cmocka_unit_test(test_err_truncates),
		cmocka_unit_test(test_err_with_id),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_message_table),
		cmocka_unit_test(test_status_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
