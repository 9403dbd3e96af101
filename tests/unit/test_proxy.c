/*
 * Unit tests for server/proxy.c: PROXY protocol v2 headers for TCP over
 * IPv4 and IPv6, LOCAL, UNSPEC, TLVs after the addresses, every prefix of
 * a valid header (MORE with the right need) and each kind of bad header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy.h"

static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* Writes a header: signature, version/command, family, body length, body. */
static size_t header(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *body,
		     size_t body_len) {
	memcpy(out, sig, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(body_len >> 8);
	out[15] = (uint8_t)body_len;
	if (body_len)
		memcpy(out + 16, body, body_len);
	return 16 + body_len;
}

/* 192.0.2.10:51234 -> 198.51.100.1:7443, plus `extra` bytes of TLVs. */
static size_t tcp4(uint8_t *out, size_t extra) {
	uint8_t body[12 + 64] = {192, 0, 2, 10, 198, 51, 100, 1, 0xC8, 0x22, 0x1D, 0x13};

	for (size_t i = 0; i < extra; i++)
		body[12 + i] = (uint8_t)(0xE0 + i);
	return header(out, 0x21, 0x11, body, 12 + extra);
}

/* [2001:db8::1]:443 -> [2001:db8::2]:7443 */
static size_t tcp6(uint8_t *out) {
	uint8_t body[36] = {0};

	inet_pton(AF_INET6, "2001:db8::1", body);
	inet_pton(AF_INET6, "2001:db8::2", body + 16);
	body[32] = 0x01, body[33] = 0xBB;
	body[34] = 0x1D, body[35] = 0x13;
	return header(out, 0x21, 0x21, body, 36);
}

static crm_proxy_result parse(const uint8_t *buf, size_t len, size_t *need,
			      struct sockaddr_storage *src, bool *local, crm_err *err) {
	crm_err_clear(err);
	*need = 12345;
	memset(src, 0, sizeof(*src));
	src->ss_family = AF_UNSPEC;
	*local = false;
	return crm_proxy_parse(buf, len, need, src, local, err);
}

static void expect_error(const uint8_t *buf, size_t len) {
	struct sockaddr_storage src;
	size_t need;
	bool local;
	crm_err err;

	assert_int_equal(parse(buf, len, &need, &src, &local, &err), CRM_PROXY_ERROR);
	assert_true(crm_err_isset(&err));
	assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
	assert_string_equal(err.field, "proxy");
	assert_true(err.msg[0] != '\0');
}

static void test_tcp4(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX];
	size_t n = tcp4(buf, 0), need;
	struct sockaddr_storage src;
	struct sockaddr_in *sin = (struct sockaddr_in *)&src;
	char text[INET_ADDRSTRLEN];
	bool local;
	crm_err err;

	assert_int_equal(n, 28);
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_false(crm_err_isset(&err));
	assert_int_equal(need, 28);
	assert_false(local);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
	assert_string_equal(text, "192.0.2.10");
	assert_int_equal(ntohs(sin->sin_port), 51234);
}

static void test_tcp6(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX];
	size_t n = tcp6(buf), need;
	struct sockaddr_storage src;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&src;
	char text[INET6_ADDRSTRLEN];
	bool local;
	crm_err err;

	assert_int_equal(n, 52);
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_false(crm_err_isset(&err));
	assert_int_equal(need, 52);
	assert_false(local);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)));
	assert_string_equal(text, "2001:db8::1");
	assert_int_equal(ntohs(sin6->sin6_port), 443);
}

/* Bytes after the header (the TLS ClientHello) are not the parser's. */
static void test_trailing_data(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX + 32];
	size_t n = tcp4(buf, 0), need;
	struct sockaddr_storage src;
	bool local;
	crm_err err;

	memset(buf + n, 0x16, 32);
	assert_int_equal(parse(buf, n + 32, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, n);
	assert_int_equal(src.ss_family, AF_INET);
}

static void test_tlvs_skipped(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX + 8];
	size_t n = tcp4(buf, 40), need;
	struct sockaddr_storage src;
	struct sockaddr_in *sin = (struct sockaddr_in *)&src;
	bool local;
	crm_err err;

	assert_int_equal(n, 16 + 12 + 40);
	memset(buf + n, 0x16, 8);
	assert_int_equal(parse(buf, n + 8, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, n);
	assert_false(local);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xC000020A);
	assert_int_equal(ntohs(sin->sin_port), 51234);
	/* Short of the TLVs: still waiting for them. */
	assert_int_equal(parse(buf, n - 1, &need, &src, &local, &err), CRM_PROXY_MORE);
	assert_int_equal(need, n);
}

/* The longest header accepted, all TLVs. */
static void test_max_length(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX], body[CRM_PROXY_HEADER_MAX - 16] = {10, 0, 0, 1};
	size_t n = header(buf, 0x21, 0x11, body, sizeof(body)), need;
	struct sockaddr_storage src;
	bool local;
	crm_err err;

	assert_int_equal(n, CRM_PROXY_HEADER_MAX);
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, CRM_PROXY_HEADER_MAX);
	assert_int_equal(src.ss_family, AF_INET);
}

/* LOCAL: a health check from the balancer; the address is not touched,
 * whatever the family and body say. */
static void test_local(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX], body[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct sockaddr_storage src;
	size_t n, need;
	bool local;
	crm_err err;

	n = header(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, 16);
	assert_true(local);
	assert_int_equal(src.ss_family, AF_UNSPEC);
	assert_false(crm_err_isset(&err));

	n = header(buf, 0x20, 0x11, body, sizeof(body));
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, 28);
	assert_true(local);
	assert_int_equal(src.ss_family, AF_UNSPEC);
}

/* PROXY with family UNSPEC: keep the balancer's own address. */
static void test_unspec(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX], body[8] = {0};
	struct sockaddr_storage src;
	size_t n, need;
	bool local;
	crm_err err;

	n = header(buf, 0x21, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, 16);
	assert_true(local);
	assert_int_equal(src.ss_family, AF_UNSPEC);
	assert_false(crm_err_isset(&err));

	n = header(buf, 0x21, 0x00, body, sizeof(body));
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, 24);
	assert_true(local);
	assert_int_equal(src.ss_family, AF_UNSPEC);
}

static void check_prefixes(const uint8_t *buf, size_t n) {
	struct sockaddr_storage src;
	size_t need;
	bool local;
	crm_err err;

	for (size_t len = 0; len < n; len++) {
		assert_int_equal(parse(buf, len, &need, &src, &local, &err), CRM_PROXY_MORE);
		assert_false(crm_err_isset(&err));
		assert_int_equal(need, len < CRM_PROXY_HEADER_MIN ? CRM_PROXY_HEADER_MIN : n);
		assert_true(need > len);
		assert_int_equal(src.ss_family, AF_UNSPEC);
	}
	assert_int_equal(parse(buf, n, &need, &src, &local, &err), CRM_PROXY_DONE);
	assert_int_equal(need, n);
}

static void test_partial(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX];

	check_prefixes(buf, tcp4(buf, 0));
	check_prefixes(buf, tcp4(buf, 17));
	check_prefixes(buf, tcp6(buf));
	check_prefixes(buf, header(buf, 0x20, 0x00, NULL, 0));
}

static void test_bad_signature(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX];
	size_t n = tcp4(buf, 0);

	/* A flipped byte anywhere in the signature, seen as soon as it
	 * arrives: no waiting for the rest. */
	for (size_t i = 0; i < 12; i++) {
		buf[i] ^= 0x40;
		expect_error(buf, n);
		expect_error(buf, i + 1);
		buf[i] ^= 0x40;
	}
	/* A client speaking TLS straight away, and PROXY v1. */
	expect_error((const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6);
	expect_error((const uint8_t *)"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", 36);
}

static void test_bad_version(void **state) {
	static const uint8_t versions[] = {0x01, 0x11, 0x31, 0xF1, 0x10};
	uint8_t buf[CRM_PROXY_HEADER_MAX];
	size_t n = tcp4(buf, 0);

	for (size_t i = 0; i < sizeof(versions); i++) {
		buf[12] = versions[i];
		expect_error(buf, n);
		expect_error(buf, 16); /* known from the fixed part alone */
	}
}

static void test_bad_command(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX];
	size_t n = tcp4(buf, 0);

	for (uint8_t cmd = 2; cmd <= 0x0F; cmd++) {
		buf[12] = (uint8_t)(0x20 | cmd);
		expect_error(buf, n);
		expect_error(buf, 16);
	}
}

static void test_too_long(void **state) {
	uint8_t buf[CRM_PROXY_HEADER_MAX + 16];
	size_t body = CRM_PROXY_HEADER_MAX - 16 + 1;

	/* Refused from the fixed part: never wait for such a body. */
	tcp4(buf, 0);
	buf[14] = (uint8_t)(body >> 8), buf[15] = (uint8_t)body;
	expect_error(buf, 16);
	buf[14] = 0xFF, buf[15] = 0xFF;
	expect_error(buf, 16);
	/* LOCAL has the same limit. */
	buf[12] = 0x20;
	expect_error(buf, 16);
}

static void test_bad_family(void **state) {
	/* UDP4, UDP6, UNIX stream and datagram, unknown. */
	static const uint8_t fams[] = {0x12, 0x22, 0x31, 0x32, 0x41, 0x10, 0x20, 0xFF};
	uint8_t buf[CRM_PROXY_HEADER_MAX], body[216] = {0};
	size_t n;

	for (size_t i = 0; i < sizeof(fams); i++) {
		n = header(buf, 0x21, fams[i], body, sizeof(body));
		expect_error(buf, n);
	}
	/* TCP families with a body too short for their addresses. */
	n = header(buf, 0x21, 0x11, body, 11);
	expect_error(buf, n);
	n = header(buf, 0x21, 0x21, body, 35);
	expect_error(buf, n);
	n = header(buf, 0x21, 0x21, body, 12);
	expect_error(buf, n);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_trailing_data),
		cmocka_unit_test(test_tlvs_skipped),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_unspec),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_command),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_bad_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
