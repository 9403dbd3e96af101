/*
 * Unit tests for server/arena.c: many small and a few large allocations
 * (each usable and 16-byte aligned, none overlapping), strdup, printf, the
 * protobuf-c allocator, and fini (the sanitizer builds check it frees
 * everything).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "crm_wire.h"

#define SMALL 5000

static void assert_aligned(const void *p) {
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
}

static void test_small(void **state) {
	static unsigned char *ptrs[SMALL];
	static size_t sizes[SMALL];
	crm_arena a;

	crm_arena_init(&a);
	for (size_t i = 0; i < SMALL; i++) {
		sizes[i] = i % 67; /* 0 included */
		ptrs[i] = crm_arena_alloc(&a, sizes[i]);
		assert_aligned(ptrs[i]);
		memset(ptrs[i], (int)(i & 0xFF), sizes[i]);
	}
	/* Nothing was overwritten by a later allocation. */
	for (size_t i = 0; i < SMALL; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			assert_int_equal(ptrs[i][j], i & 0xFF);
	/* Two zero-size allocations are distinct pointers. */
	assert_ptr_not_equal(crm_arena_alloc(&a, 0), crm_arena_alloc(&a, 0));
	assert_true(a.total >= SMALL * 16);
	crm_arena_fini(&a);
	assert_null(a.chunks);
	assert_int_equal(a.total, 0);
}

static void test_large(void **state) {
	static const size_t sizes[] = {4096, 4097, 10000, 1 << 20, 17, 3 * 4096 + 5, 1};
	unsigned char *ptrs[sizeof(sizes) / sizeof(sizes[0])];
	crm_arena a;

	crm_arena_init(&a);
	/* Fill part of a chunk first so a large one must not reuse it. */
	memset(crm_arena_alloc(&a, 100), 0x55, 100);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ptrs[i] = crm_arena_alloc(&a, sizes[i]);
		assert_aligned(ptrs[i]);
		memset(ptrs[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(ptrs[i][0], i + 1);
		assert_int_equal(ptrs[i][sizes[i] - 1], i + 1);
	}
	crm_arena_fini(&a);
	/* An arena is reusable after fini. */
	memset(crm_arena_alloc(&a, 5000), 1, 5000);
	crm_arena_fini(&a);
	/* fini of an empty arena is fine, twice. */
	crm_arena_init(&a);
	crm_arena_fini(&a);
	crm_arena_fini(&a);
}

static void test_strdup(void **state) {
	char big[9000];
	crm_arena a;
	char *s;

	crm_arena_init(&a);
	s = crm_arena_strdup(&a, "hello");
	assert_aligned(s);
	assert_string_equal(s, "hello");
	s = crm_arena_strdup(&a, "");
	assert_string_equal(s, "");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = crm_arena_strdup(&a, big);
	assert_ptr_not_equal(s, big);
	assert_string_equal(s, big);
	crm_arena_fini(&a);
}

static void test_printf(void **state) {
	crm_arena a;
	char *s, *t;

	crm_arena_init(&a);
	s = crm_arena_printf(&a, "%s-%d-%05.1f", "ab", -42, 3.14159);
	assert_aligned(s);
	assert_string_equal(s, "ab--42-003.1");
	s = crm_arena_printf(&a, "%s", "");
	assert_string_equal(s, "");
	/* Longer than a chunk. */
	s = crm_arena_printf(&a, "%6000d|%s", 7, "end");
	assert_int_equal(strlen(s), 6004);
	assert_string_equal(s + 5999, "7|end");
	t = crm_arena_printf(&a, "%zu", (size_t)18446744073709551615u);
	assert_string_equal(t, "18446744073709551615");
	assert_string_equal(s + 5999, "7|end");
	crm_arena_fini(&a);
}

/* protobuf-c unpacks into the arena; free_unpacked is a no-op and fini
 * releases everything. */
static void test_protobuf_allocator(void **state) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT, *g;
	Crm__Ping ping = CRM__PING__INIT;
	uint8_t payload[3000], buf[4096];
	size_t n;
	crm_arena a;

	memset(payload, 'p', sizeof(payload));
	ping.has_payload = 1;
	ping.payload.data = payload;
	ping.payload.len = sizeof(payload);
	f.has_id = 1;
	f.id = 9;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	f.ping = &ping;
	n = crm__client_frame__pack(&f, buf);
	assert_true(n < sizeof(buf));

	crm_arena_init(&a);
	assert_ptr_equal(a.pb.allocator_data, &a);
	g = crm__client_frame__unpack(&a.pb, n, buf);
	assert_non_null(g);
	assert_int_equal(g->request_case, CRM__CLIENT_FRAME__REQUEST_PING);
	assert_int_equal(g->ping->payload.len, sizeof(payload));
	assert_memory_equal(g->ping->payload.data, payload, sizeof(payload));
	assert_true(a.total > sizeof(payload));
	crm__client_frame__free_unpacked(g, &a.pb);
	crm_arena_fini(&a);
}

/* A size so large that rounding it up wraps around must not hand out a
 * small block: the contract is to abort when memory cannot be had. Run in
 * a child, which must not come back with a pointer. */
static void test_huge_size(void **state) {
	static const size_t sizes[] = {SIZE_MAX / 2 + 1, SIZE_MAX - 15, SIZE_MAX - 7, SIZE_MAX};


	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int status = 0;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			crm_arena a;
			unsigned char *p;

			crm_arena_init(&a);
			p = crm_arena_alloc(&a, sizes[i]);
			p[0] = 1;
			crm_arena_fini(&a);
			_exit(0); /* returned a block it cannot have */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			fail_msg("crm_arena_alloc(%zu) returned instead of aborting", sizes[i]);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_strdup),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_protobuf_allocator),
		cmocka_unit_test(test_huge_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
