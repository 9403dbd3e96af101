/*
 * Unit tests for server/preauth: the per-address count of connections
 * that have not logged in (max_preauth_per_address).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "preauth.h"

static crm_preauth_key key_of(const char *ip) {
	struct sockaddr_storage ss;
	crm_preauth_key k;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		ss.ss_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	crm_preauth_key_of(&ss, &k);
	return k;
}

static void test_cap_and_release(void **state) {
	crm_preauth_key a = key_of("192.0.2.1"), b = key_of("192.0.2.2");

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(crm_preauth_acquire(&a, 3));
	assert_false(crm_preauth_acquire(&a, 3));
	assert_int_equal(crm_preauth_count(&a), 3);
	/* another address has its own count */
	assert_true(crm_preauth_acquire(&b, 3));
	assert_int_equal(crm_preauth_count(&b), 1);
	crm_preauth_release(&a);
	assert_true(crm_preauth_acquire(&a, 3));
	assert_false(crm_preauth_acquire(&a, 3));
	for (int i = 0; i < 3; i++)
		crm_preauth_release(&a);
	crm_preauth_release(&b);
	assert_int_equal(crm_preauth_count(&a), 0);
	assert_int_equal(crm_preauth_count(&b), 0);
	/* a cap of 0 admits nothing and leaves nothing behind */
	assert_false(crm_preauth_acquire(&a, 0));
	assert_int_equal(crm_preauth_count(&a), 0);
}

static void test_ipv6_per_64_and_mapped_ipv4(void **state) {
	crm_preauth_key x = key_of("2001:db8:1:2::1"), y = key_of("2001:db8:1:2:ffff::9");
	crm_preauth_key z = key_of("2001:db8:1:3::1");
	crm_preauth_key v4 = key_of("198.51.100.7"), mapped = key_of("::ffff:198.51.100.7");

	(void)state;
	assert_memory_equal(&x, &y, sizeof(x));
	assert_memory_not_equal(&x, &z, sizeof(x));
	assert_memory_equal(&v4, &mapped, sizeof(v4));
	assert_true(crm_preauth_acquire(&x, 1));
	assert_false(crm_preauth_acquire(&y, 1));
	assert_true(crm_preauth_acquire(&z, 1));
	crm_preauth_release(&x);
	crm_preauth_release(&z);
}

/* Many addresses at once: every entry goes when its count reaches 0
 * (LeakSanitizer checks nothing is left). */
static void test_many_addresses(void **state) {
	char ip[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		crm_preauth_key k = key_of(ip);
		assert_true(crm_preauth_acquire(&k, 2));
		assert_true(crm_preauth_acquire(&k, 2));
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		crm_preauth_key k = key_of(ip);
		assert_int_equal(crm_preauth_count(&k), 2);
		crm_preauth_release(&k);
		crm_preauth_release(&k);
		assert_int_equal(crm_preauth_count(&k), 0);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_and_release),
		cmocka_unit_test(test_ipv6_per_64_and_mapped_ipv4),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
