/*
 * Unit tests for server/rowmap.c without a server: the results are built
 * with libpq's PQmakeEmptyPGresult/PQsetResultAttrs/PQsetvalue, in text
 * format as PostgreSQL sends them, with columns named after fields of the
 * generated messages (crm.User, crm.Permission, crm.Date, crm.Money).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "crm.pb-c.h"
#include "rowmap.h"

#define NUL_VALUE ((const char *)1) /* SQL NULL in a row below */

/* A result with the given column names and rows of text values. */
static PGresult *result(int ncols, const char *const *names, int nrows,
			const char *const *values) {
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[32];

	assert_non_null(r);
	assert_true(ncols <= 32);
	for (int c = 0; c < ncols; c++) {
		memset(&attrs[c], 0, sizeof(attrs[c]));
		attrs[c].name = (char *)names[c];
		attrs[c].format = 0;
		attrs[c].typid = 25; /* text; rowmap goes by name only */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	assert_int_equal(PQsetResultAttrs(r, ncols, attrs), 1);
	for (int row = 0; row < nrows; row++)
		for (int c = 0; c < ncols; c++) {
			const char *v = values[row * ncols + c];
			if (v == NUL_VALUE)
				assert_int_equal(PQsetvalue(r, row, c, NULL, -1), 1);
			else
				assert_int_equal(PQsetvalue(r, row, c, (char *)v, (int)strlen(v)), 1);
		}
	assert_int_equal(PQntuples(r), nrows);
	return r;
}

static Crm__User *user_from(crm_arena *a, const char *manages) {
	static const char *const names[] = {"manages"};
	const char *values[] = {manages};
	PGresult *r = result(1, names, 1, values);
	Crm__User *u = crm_rowmap_new(a, &crm__user__descriptor, r, 0);

	PQclear(r);
	return u;
}

static void test_user(void **state) {
	static const char *const names[] = {"user_id",  "username",     "password_hash", "active",
					    "manages",  "display_name", "created_at",    "email"};
	static const char *const values[] = {"42",      "alice",   "$argon2id$...", "t",
					     "{sales,\"north, east\"}", NUL_VALUE, NUL_VALUE, ""};
	PGresult *r = result(8, names, 1, values);
	crm_arena a;
	Crm__User *u;

	crm_arena_init(&a);
	u = crm_rowmap_new(&a, &crm__user__descriptor, r, 0);
	PQclear(r); /* everything was copied into the arena */
	assert_non_null(u);
	assert_ptr_equal(u->base.descriptor, &crm__user__descriptor);
	assert_true(u->has_user_id);
	assert_int_equal(u->user_id, 42);
	assert_string_equal(u->username, "alice");
	assert_true(u->has_active);
	assert_true(u->active);
	assert_int_equal(u->n_manages, 2);
	assert_string_equal(u->manages[0], "sales");
	assert_string_equal(u->manages[1], "north, east");
	/* NULL leaves the field unset */
	assert_null(u->display_name);
	assert_false(u->has_created_at);
	assert_int_equal(u->created_at, 0);
	/* the empty string is a value, not NULL */
	assert_non_null(u->email);
	assert_string_equal(u->email, "");
	/* columns nobody asked for */
	assert_false(u->has_updated_at);
	assert_false(u->has_last_login_at);
	assert_null(u->role);
	/* what is mapped packs as a valid message */
	assert_true(protobuf_c_message_check(&u->base));
	crm_arena_fini(&a);
}

static void test_int64_and_bool(void **state) {
	static const char *const names[] = {"user_id", "active", "created_at", "updated_at"};
	static const char *const values[] = {
		"9223372036854775807", "f", "-9223372036854775808", "0",
		"-1",                  "t", "1700000000000000",     NUL_VALUE,
	};
	PGresult *r = result(4, names, 2, values);
	Crm__User *u;
	crm_arena a;

	crm_arena_init(&a);
	u = crm_rowmap_new(&a, &crm__user__descriptor, r, 0);
	assert_true(u->has_user_id);
	assert_int_equal(u->user_id, INT64_MAX);
	assert_true(u->has_active);
	assert_false(u->active);
	assert_true(u->has_created_at);
	assert_true(u->created_at == INT64_MIN);
	assert_true(u->has_updated_at);
	assert_int_equal(u->updated_at, 0);

	u = crm_rowmap_new(&a, &crm__user__descriptor, r, 1);
	assert_int_equal(u->user_id, -1);
	assert_true(u->has_active);
	assert_true(u->active);
	assert_int_equal(u->created_at, 1700000000000000);
	assert_false(u->has_updated_at);
	PQclear(r);
	crm_arena_fini(&a);
}

static void test_repeated_string(void **state) {
	crm_arena a;
	Crm__User *u;

	crm_arena_init(&a);
	/* Quoted elements with commas, braces, escaped quotes and
	 * backslashes; NULL; a quoted "NULL" is the text NULL. */
	u = user_from(&a, "{plain,\"with, comma\",\"say \\\"hi\\\"\",NULL,\"back\\\\slash\","
			  "\"NULL\",\"a}b{c\",\"\",x}");
	assert_int_equal(u->n_manages, 9);
	assert_string_equal(u->manages[0], "plain");
	assert_string_equal(u->manages[1], "with, comma");
	assert_string_equal(u->manages[2], "say \"hi\"");
	assert_non_null(u->manages[3]); /* a repeated string cannot hold NULL */
	assert_string_equal(u->manages[3], "");
	assert_string_equal(u->manages[4], "back\\slash");
	assert_string_equal(u->manages[5], "NULL");
	assert_string_equal(u->manages[6], "a}b{c");
	assert_string_equal(u->manages[7], "");
	assert_string_equal(u->manages[8], "x");
	assert_true(protobuf_c_message_check(&u->base));

	u = user_from(&a, "{}");
	assert_int_equal(u->n_manages, 0);

	u = user_from(&a, "{only}");
	assert_int_equal(u->n_manages, 1);
	assert_string_equal(u->manages[0], "only");

	u = user_from(&a, "{\"\"}");
	assert_int_equal(u->n_manages, 1);
	assert_string_equal(u->manages[0], "");

	/* UTF-8 goes through untouched. */
	u = user_from(&a, "{Zoë,\"Ünïcode team\"}");
	assert_int_equal(u->n_manages, 2);
	assert_string_equal(u->manages[0], "Zoë");
	assert_string_equal(u->manages[1], "Ünïcode team");

	/* Many elements: the array grows. */
	{
		char lit[1024] = "{";
		char want[8];

		for (int i = 0; i < 100; i++)
			snprintf(lit + strlen(lit), sizeof(lit) - strlen(lit), "%st%d",
				 i ? "," : "", i);
		strcat(lit, "}");
		u = user_from(&a, lit);
		assert_int_equal(u->n_manages, 100);
		for (int i = 0; i < 100; i++) {
			snprintf(want, sizeof(want), "t%d", i);
			assert_string_equal(u->manages[i], want);
		}
	}

	/* SQL NULL for the whole array: none. */
	{
		static const char *const names[] = {"manages"};
		const char *values[] = {NUL_VALUE};
		PGresult *r = result(1, names, 1, values);

		u = crm_rowmap_new(&a, &crm__user__descriptor, r, 0);
		PQclear(r);
		assert_int_equal(u->n_manages, 0);
		assert_null(u->manages);
	}
	crm_arena_fini(&a);
}

static void test_enums(void **state) {
	static const char *const names[] = {"role", "record_type", "action", "scope", "unknown"};
	static const char *const values[] = {
		"sales",   "contact",  "read",   "subteams",  "x",
		"admin",   "account",  "ADMIN",  "All",       "y",
		"support", "deal",     "Export", "none",      "z",
		"guest",   "contact",  NUL_VALUE, NUL_VALUE,  NUL_VALUE,
	};
	PGresult *r = result(5, names, 4, values);
	Crm__Permission *p;
	crm_arena a;

	crm_arena_init(&a);
	p = crm_rowmap_new(&a, &crm__permission__descriptor, r, 0);
	assert_string_equal(p->role, "sales");
	assert_string_equal(p->record_type, "contact");
	assert_true(p->has_action);
	assert_int_equal(p->action, CRM__ACTION__READ);
	assert_true(p->has_scope);
	assert_int_equal(p->scope, CRM__SCOPE__SUBTEAMS);

	p = crm_rowmap_new(&a, &crm__permission__descriptor, r, 1);
	assert_int_equal(p->action, CRM__ACTION__ADMIN);
	assert_int_equal(p->scope, CRM__SCOPE__ALL);

	p = crm_rowmap_new(&a, &crm__permission__descriptor, r, 2);
	assert_int_equal(p->action, CRM__ACTION__EXPORT);
	assert_int_equal(p->scope, CRM__SCOPE__NONE);

	p = crm_rowmap_new(&a, &crm__permission__descriptor, r, 3);
	assert_string_equal(p->role, "guest");
	assert_false(p->has_action);
	assert_int_equal(p->action, CRM__ACTION__ACTION_UNSPECIFIED);
	assert_false(p->has_scope);
	PQclear(r);
	crm_arena_fini(&a);
}

static void test_uint32_and_bytes(void **state) {
	static const char *const dnames[] = {"year", "month", "day"};
	static const char *const dvalues[] = {"2024", "2", "29", NUL_VALUE, "12", "31"};
	static const char *const mnames[] = {"amount", "currency"};
	static const char *const mvalues[] = {"-1234.50", "EUR"};
	PGresult *r = result(3, dnames, 2, dvalues);
	Crm__Money *m;
	Crm__Date *d;
	crm_arena a;

	crm_arena_init(&a);
	d = crm_rowmap_new(&a, &crm__date__descriptor, r, 0);
	assert_true(d->has_year && d->has_month && d->has_day);
	assert_int_equal(d->year, 2024);
	assert_int_equal(d->month, 2);
	assert_int_equal(d->day, 29);
	d = crm_rowmap_new(&a, &crm__date__descriptor, r, 1);
	assert_false(d->has_year);
	assert_int_equal(d->month, 12);
	assert_int_equal(d->day, 31);
	PQclear(r);

	r = result(2, mnames, 1, mvalues);
	m = crm_rowmap_new(&a, &crm__money__descriptor, r, 0);
	PQclear(r);
	assert_true(m->has_amount);
	assert_int_equal(m->amount.len, 8);
	assert_memory_equal(m->amount.data, "-1234.50", 8);
	assert_true(m->has_currency);
	assert_int_equal(m->currency.len, 3);
	assert_memory_equal(m->currency.data, "EUR", 3);
	crm_arena_fini(&a);
}

/* No column matches: a message with nothing set. */
static void test_unknown_columns(void **state) {
	static const char *const names[] = {"nope", "USER_ID", "user id", ""};
	static const char *const values[] = {"1", "2", "3", "4"};
	PGresult *r = result(4, names, 1, values);
	Crm__User *u;
	crm_arena a;

	crm_arena_init(&a);
	u = crm_rowmap_new(&a, &crm__user__descriptor, r, 0);
	PQclear(r);
	assert_false(u->has_user_id);
	assert_null(u->username);
	assert_false(u->has_active);
	assert_int_equal(u->n_manages, 0);
	crm_arena_fini(&a);
}

static void test_all(void **state) {
	static const char *const names[] = {"user_id", "username", "active", "manages"};
	static const char *const values[] = {
		"1", "ann",  "t",       "{}",
		"2", "bob",  "f",       "{a,b}",
		"3", "cleo", NUL_VALUE, NUL_VALUE,
	};
	PGresult *r = result(4, names, 3, values);
	Crm__User **users = NULL;
	crm_arena a;

	crm_arena_init(&a);
	assert_int_equal(crm_rowmap_all(&a, &crm__user__descriptor, r, (void ***)&users), 3);
	PQclear(r);
	assert_non_null(users);
	for (int i = 0; i < 3; i++) {
		assert_true(users[i]->has_user_id);
		assert_int_equal(users[i]->user_id, i + 1);
	}
	assert_string_equal(users[0]->username, "ann");
	assert_string_equal(users[1]->username, "bob");
	assert_string_equal(users[2]->username, "cleo");
	assert_true(users[0]->active);
	assert_true(users[1]->has_active);
	assert_false(users[1]->active);
	assert_false(users[2]->has_active);
	assert_int_equal(users[0]->n_manages, 0);
	assert_int_equal(users[1]->n_manages, 2);
	assert_string_equal(users[1]->manages[1], "b");
	assert_int_equal(users[2]->n_manages, 0);

	/* The list goes straight into a reply and packs. */
	{
		Crm__UserListReply reply = CRM__USER_LIST_REPLY__INIT;
		uint8_t buf[512];
		Crm__UserListReply *back;

		reply.n_users = 3;
		reply.users = users;
		assert_true(crm__user_list_reply__get_packed_size(&reply) < sizeof(buf));
		back = crm__user_list_reply__unpack(
			&a.pb, crm__user_list_reply__pack(&reply, buf), buf);
		assert_non_null(back);
		assert_int_equal(back->n_users, 3);
		assert_string_equal(back->users[2]->username, "cleo");
	}

	/* No rows: a count of zero, and still a usable array pointer. */
	r = result(4, names, 0, values);
	users = NULL;
	assert_int_equal(crm_rowmap_all(&a, &crm__user__descriptor, r, (void ***)&users), 0);
	assert_non_null(users);
	PQclear(r);
	crm_arena_fini(&a);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_int64_and_bool),
		cmocka_unit_test(test_repeated_string),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_uint32_and_bytes),
		cmocka_unit_test(test_unknown_columns),
		cmocka_unit_test(test_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
