/*
 * Unit tests for the request descriptors (server/handlers): the start-up
 * index over the domains' arrays covers every request of ClientFrame's
 * `request` oneof exactly once (hello, answered on the I/O thread, is the
 * one listed exception), refuses duplicates, gaps and contradictory
 * descriptors, and a record type the records table does not have is
 * INVALID_ARGUMENT naming the field and the accepted types.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "handlers/handlers.h"

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_domain *const all[] = {&crm_domain_system, &crm_domain_identity,
					&crm_domain_records, &crm_domain_shares,
					&crm_domain_watches, &crm_domain_attachments, &crm_domain_timeline};
#define N_ALL (sizeof(all) / sizeof(all[0]))

static int setup(void **state) {
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	if (!crm_routes_init(&err)) {
		fprintf(stderr, "crm_routes_init: %s: %s\n", err.field, err.msg);
		return -1;
	}
	return 0;
}

/* Expects crm_routes_build over ds to fail with a message containing want. */
static void build_fails(const crm_domain *const *ds, size_t n, const char *want) {
	crm_err err;

	crm_err_clear(&err);
	if (crm_routes_build(ds, n, &err))
		fail_msg("accepted domains that should be refused (%s)", want);
	assert_int_equal(err.code, CRM_INTERNAL);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static bool is_request(const ProtobufCFieldDescriptor *fd) {
	return (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       fd->quantifier_offset == offsetof(Crm__ClientFrame, request_case);
}

/* ---------------------------------------------------------- coverage */

static void test_every_request_has_one_descriptor(void **state) {
	const ProtobufCMessageDescriptor *cf = &crm__client_frame__descriptor;
	unsigned requests = 0;
	size_t routes = 0;

	(void)state;
	for (unsigned i = 0; i < cf->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &cf->fields[i];
		const crm_route *r;

		if (!is_request(fd))
			continue;
		requests++;
		r = crm_route_find((Crm__ClientFrame__RequestCase)fd->id);
		if (fd->id == R(HELLO)) {
			assert_null(r);
			continue;
		}
		if (r == NULL)
			fail_msg("request %s has no descriptor", fd->name);
		assert_int_equal(r->which, fd->id);
	}
	/* exactly one each: the arrays hold no more than the oneof's cases */
	for (size_t i = 0; i < N_ALL; i++)
		routes += all[i]->n_routes;
	assert_int_equal(routes, requests - 1);
	assert_true(requests > 40);
	assert_null(crm_route_find(R(_NOT_SET)));
	assert_null(crm_route_find((Crm__ClientFrame__RequestCase)100000));
}

static void test_duplicate_refused(void **state) {
	const crm_domain *const twice[] = {&crm_domain_system, &crm_domain_identity,
					   &crm_domain_shares, &crm_domain_records,
					   &crm_domain_shares};

	(void)state;
	build_fails(twice, 5, "a second descriptor for record_share");
	/* a failed build leaves the index as it was */
	assert_non_null(crm_route_find(R(RECORD_SHARE)));
}

static void test_missing_refused(void **state) {
	const crm_domain *const three[] = {&crm_domain_system, &crm_domain_identity,
					   &crm_domain_shares};

	(void)state;
	build_fails(three, 3, "record_create (ClientFrame field 44) has no descriptor");
}

static void test_bad_descriptors_refused(void **state) {
	static const crm_route both[] = {{.which = R(SLEEP), .fn = crm_handle_single,
					  .single = (const crm_single *)1}};
	static const crm_route hello[] = {{.which = R(HELLO), .fn = crm_handle_single}};
	static const crm_route unknown[] = {{.which = (Crm__ClientFrame__RequestCase)9999,
					     .fn = crm_handle_single}};
	static const crm_route half[] = {{.which = R(SLEEP), .fn = crm_handle_single,
					  .record_type = "note"}};
	static const crm_route reads[] = {{.which = R(TEAM_CREATE), .fn = crm_handle_single,
					   .record_type = "team", .action = "create"}};
	static const crm_route hash[] = {{.which = R(SLEEP), .fn = crm_handle_single,
					  .new_password = (bool (*)(const Crm__ClientFrame *,
								    crm_new_password *))1}};
	static const crm_route checked[] = {{.which = R(SLEEP), .fn = crm_handle_single,
					     .session_only = true}};
	const struct {
		const crm_route *r;
		const char *want;
	} cases[] = {
		{both, "exactly one of fn, single and flow"},
		{checked, "session_only is for a single statement"},
		{hello, "which the I/O thread answers"},
		{unknown, "request case 9999"},
		{half, "one record type"},
		{reads, "crm_wire_request_mutates"},
		{hash, "auth pool"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const crm_domain d = {.name = "bad", .routes = cases[i].r, .n_routes = 1};
		const crm_domain *const ds[] = {&d};

		build_fails(ds, 1, cases[i].want);
	}
}

/* The facts worker.c used to read from switches over request cases. */
static void test_descriptor_facts(void **state) {
	const crm_route *r;

	(void)state;
	r = crm_route_find(R(USER_RESET_PASSWORD));
	assert_true(r->as_auth && r->pool == CRM_POOL_AUTH && r->new_password);
	assert_int_equal(r->effect, CRM_WRITES);
	r = crm_route_find(R(USER_CREATE));
	assert_true(!r->as_auth && r->pool == CRM_POOL_AUTH && r->new_password);
	assert_int_equal(r->effect, CRM_MUTATES);
	assert_int_equal(crm_route_find(R(LOGOUT))->effect, CRM_WRITES);
	assert_int_equal(crm_route_find(R(SESSION_REVOKE))->effect, CRM_WRITES);
	assert_int_equal(crm_route_find(R(RECORD_GET))->effect, CRM_READS);
	assert_int_equal(crm_route_find(R(LOGIN))->flow, CRM_FLOW_LOGIN);
	assert_int_equal(crm_route_find(R(PASSWORD_CHANGE))->flow, CRM_FLOW_PASSWORD_CHANGE);
	assert_true(crm_route_find(R(LOGIN))->anonymous);
	assert_true(crm_route_find(R(RESUME))->anonymous);
	assert_non_null(crm_route_find(R(RESUME))->token_of);
	assert_false(crm_route_find(R(WHOAMI))->anonymous);
	assert_null(crm_route_find(R(SLEEP))->new_password);
	/* A deep ping only has its session checked: no context, no permission. */
	r = crm_route_find(R(PING));
	assert_true(r->session_only);
	assert_string_equal(crm_route_action(r, NULL), "check");
	assert_null(r->record_type);
	assert_false(crm_route_find(R(WHOAMI))->session_only);
	/* metadata: any logged-in user; the SQL filters by the matrix */
	r = crm_route_find(R(RECORD_TYPE_LIST));
	assert_true(!r->anonymous && r->record_type == NULL && r->type_of == NULL);
	assert_int_equal(r->effect, CRM_READS);
}

/* The domains' statements are registered once each; a name taken twice or
 * an entry left empty refuses to start. */
static void test_statements(void **state) {
	static const crm_sql dup[] = {{"record_create", "SELECT 1"}};
	static const crm_sql core[] = {{"setup", "SELECT 1"}};
	static const crm_sql gap[2] = {{"desc_test_one", "SELECT 1"}};
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	for (size_t i = 0; i < N_ALL; i++) {
		assert_true(all[i]->n_stmts > 0);
		assert_true(crm_db_register(all[i]->stmts, all[i]->n_stmts, &err));
	}
	assert_false(crm_db_register(dup, 1, &err));
	assert_non_null(strstr(err.msg, "named record_create"));
	crm_err_clear(&err);
	assert_false(crm_db_register(core, 1, &err));
	assert_non_null(strstr(err.msg, "named setup"));
	crm_err_clear(&err);
	assert_false(crm_db_register(gap, 2, &err));
	assert_non_null(strstr(err.msg, "has no name"));
}

/* ---------------------------------------------------------- record types */

static void test_record_type_known(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	Crm__RecordList list = CRM__RECORD_LIST__INIT;
	Crm__RecordCreate create = CRM__RECORD_CREATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	Crm__Contact contact = CRM__CONTACT__INIT;
	const crm_route *r;
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	f.request_case = R(RECORD_GET);
	f.record_get = &get;
	get.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
	r = crm_route_find(f.request_case);
	assert_true(crm_route_check(r, &f, &err));
	assert_string_equal(crm_route_record_type(r, &f), "account");
	assert_string_equal(crm_route_action(r, &f), "read");

	f.request_case = R(RECORD_LIST);
	f.record_list = &list;
	list.type = CRM__RECORD_TYPE__RECORD_TYPE_CONTACT;
	list.export = true;
	r = crm_route_find(f.request_case);
	assert_true(crm_route_check(r, &f, &err));
	assert_string_equal(crm_route_record_type(r, &f), "contact");
	assert_string_equal(crm_route_action(r, &f), "export");

	f.request_case = R(RECORD_CREATE);
	f.record_create = &create;
	create.record = &rec;
	rec.kind_case = CRM__RECORD__KIND_CONTACT;
	rec.contact = &contact;
	r = crm_route_find(f.request_case);
	assert_true(crm_route_check(r, &f, &err));
	assert_string_equal(crm_route_record_type(r, &f), "contact");
	assert_string_equal(crm_route_action(r, &f), "create");
	assert_false(crm_err_isset(&err));
}

/* A RecordType value the proto might gain before records.c does: refused
 * as the client's mistake, naming the field and the types served, not
 * checked as a permission on "unknown". */
static void test_record_type_unknown(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;
	Crm__RecordUpdate upd = CRM__RECORD_UPDATE__INIT;
	Crm__Record rec = CRM__RECORD__INIT;
	const crm_route *r;
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	f.request_case = R(RECORD_GET);
	f.record_get = &get;
	get.type = (Crm__RecordType)99;
	get.id = 1;
	r = crm_route_find(f.request_case);
	assert_false(crm_route_check(r, &f, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "record_get.type");
	assert_non_null(strstr(err.msg, "account, contact"));
	/* and should it get past the check, still no permission exists */
	assert_string_equal(crm_route_record_type(r, &f), "unknown");

	crm_err_clear(&err);
	f.request_case = R(RECORD_UPDATE);
	f.record_update = &upd;
	upd.changes = &rec;
	rec.kind_case = (Crm__Record__KindCase)99;
	r = crm_route_find(f.request_case);
	assert_false(crm_route_check(r, &f, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "record_update.changes");
	assert_non_null(strstr(err.msg, "account, contact"));
}

/* Share requests name a type by RecordType like the record requests:
 * update to share, read to list; an unset or unknown type is refused
 * naming the field and the types served. */
static void test_share_types(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__RecordShare share = CRM__RECORD_SHARE__INIT;
	Crm__ShareList list = CRM__SHARE_LIST__INIT;
	const crm_route *r;
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	f.request_case = R(RECORD_SHARE);
	f.record_share = &share;
	share.type = CRM__RECORD_TYPE__RECORD_TYPE_CONTACT;
	r = crm_route_find(f.request_case);
	assert_true(crm_route_check(r, &f, &err));
	assert_string_equal(crm_route_record_type(r, &f), "contact");
	assert_string_equal(crm_route_action(r, &f), "update");
	assert_int_equal(r->effect, CRM_MUTATES);

	f.request_case = R(SHARE_LIST);
	f.share_list = &list;
	list.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
	r = crm_route_find(f.request_case);
	assert_true(crm_route_check(r, &f, &err));
	assert_string_equal(crm_route_record_type(r, &f), "account");
	assert_string_equal(crm_route_action(r, &f), "read");
	assert_int_equal(r->effect, CRM_READS);
	assert_false(crm_err_isset(&err));

	list.type = (Crm__RecordType)99;
	assert_false(crm_route_check(r, &f, &err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "share_list.type");
	assert_non_null(strstr(err.msg, "account, contact"));
	assert_string_equal(crm_route_record_type(r, &f), "unknown");

	crm_err_clear(&err);
	f.request_case = R(RECORD_SHARE);
	share.type = CRM__RECORD_TYPE__RECORD_TYPE_UNSPECIFIED;
	r = crm_route_find(f.request_case);
	assert_false(crm_route_check(r, &f, &err));
	assert_string_equal(err.field, "record_share.type");
}

/* Requests without a per-request type pass the check untouched. */
static void test_check_others(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__TeamGet tg = CRM__TEAM_GET__INIT;
	crm_err err;

	(void)state;
	crm_err_clear(&err);
	f.request_case = R(TEAM_GET);
	f.team_get = &tg;
	assert_true(crm_route_check(crm_route_find(f.request_case), &f, &err));
	assert_string_equal(crm_route_record_type(crm_route_find(f.request_case), &f), "team");
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_request_has_one_descriptor),
		cmocka_unit_test(test_duplicate_refused),
		cmocka_unit_test(test_missing_refused),
		cmocka_unit_test(test_bad_descriptors_refused),
		cmocka_unit_test(test_descriptor_facts),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_record_type_known),
		cmocka_unit_test(test_record_type_unknown),
		cmocka_unit_test(test_share_types),
		cmocka_unit_test(test_check_others),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
