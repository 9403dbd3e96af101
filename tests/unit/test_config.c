/*
 * Unit tests for server/config.c: every key with a valid value and with
 * each kind of invalid value (the error must name the key), defaults,
 * file syntax, durations, listen lists, CIDRs and trusted-proxy matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crm_wire.h"

static char cert_path[64], key_path[64], ca_path[64], conf_path[64];

static void make_temp(char *path, const char *content) {
	int fd;

	snprintf(path, 64, "%s/crm_test_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static int setup(void **state) {
	make_temp(cert_path, "cert\n");
	make_temp(key_path, "key\n");
	make_temp(ca_path, "ca\n");
	return 0;
}

static int teardown(void **state) {
	unlink(cert_path);
	unlink(key_path);
	unlink(ca_path);
	return 0;
}

/* Loads "[crmd]" + the TLS keys every valid file needs (unless `body` sets
 * them itself) + body. */
static bool load(const char *body, crm_config *cfg, crm_err *err) {
	char text[16384];
	int n = snprintf(text, sizeof(text), "[crmd]\n");

	if (strstr(body, "tls_cert") == NULL)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "tls_cert = %s\n", cert_path);
	if (strstr(body, "tls_key") == NULL)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "tls_key = %s\n", key_path);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s", body);
	crm_err_clear(err);
	return crm_config_load_string(text, cfg, err);
}

static bool load_kv(const char *key, const char *value, crm_config *cfg, crm_err *err) {
	char body[4096];

	snprintf(body, sizeof(body), "%s = %s\n", key, value);
	return load(body, cfg, err);
}

/* ------------------------------------------------------------ defaults */

static void test_defaults(void **state) {
	crm_config cfg;

	crm_config_defaults(&cfg);
	assert_int_equal(cfg.n_listen, 1);
	assert_string_equal(cfg.listen[0].host, "127.0.0.1");
	assert_int_equal(cfg.listen[0].port, 7443);
	assert_int_equal(cfg.max_connections, 10000);
	assert_int_equal(cfg.n_trusted_proxies, 0);
	assert_string_equal(cfg.tls_cert, "");
	assert_string_equal(cfg.tls_key, "");
	assert_string_equal(cfg.tls_client_ca, "");
	assert_false(cfg.tls_client_cert_required);
	assert_string_equal(cfg.db_app, "");
	assert_string_equal(cfg.db_owner, "");
	assert_int_equal(cfg.io_threads, 1);
	assert_int_equal(cfg.db_workers, 4);
	assert_int_equal(cfg.queue_length, 256);
	assert_int_equal(cfg.max_frame, 1048576);
	assert_int_equal(cfg.max_frame_preauth, 16384);
	assert_int_equal(cfg.max_inflight, 32);
	assert_int_equal(cfg.db_retries, 3);
	assert_int_equal(cfg.handshake_timeout, 10000);
	assert_int_equal(cfg.auth_timeout, 30000);
	assert_int_equal(cfg.max_preauth_per_address, 64);
	assert_int_equal(cfg.idle_timeout, 300000);
	assert_int_equal(cfg.request_timeout, 30000);
	assert_int_equal(cfg.shutdown_grace, 30000);
	assert_int_equal(cfg.log_level, CRM_LOG_INFO);
	assert_string_equal(cfg.pid_file, "");
	assert_false(cfg.diagnostics);
}

static void test_minimal_file_gives_defaults(void **state) {
	crm_config cfg, def;
	crm_err err;

	assert_true(load("", &cfg, &err));
	crm_config_defaults(&def);
	snprintf(def.tls_cert, sizeof(def.tls_cert), "%s", cert_path);
	snprintf(def.tls_key, sizeof(def.tls_key), "%s", key_path);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}

/* ------------------------------------------------------- valid values */

typedef struct valid_case {
	const char *key, *value;
	size_t offset, size; /* of the field; 1 = bool, 4 = int/uint32/enum */
	long long want;
} valid_case;

#define AT(f) offsetof(crm_config, f), sizeof(((crm_config *)0)->f)

static const valid_case valid[] = {
	{"max_connections", "1", AT(max_connections), 1},
	{"max_connections", "1000000", AT(max_connections), 1000000},
	{"io_threads", "1", AT(io_threads), 1},
	{"io_threads", "64", AT(io_threads), 64},
	{"db_workers", "1", AT(db_workers), 1},
	{"db_workers", "256", AT(db_workers), 256},
	{"queue_length", "1", AT(queue_length), 1},
	{"queue_length", "100000", AT(queue_length), 100000},
	{"max_frame", "1024", AT(max_frame), 1024},
	{"max_frame", "67108864", AT(max_frame), 67108864},
	{"max_frame_preauth", "1024", AT(max_frame_preauth), 1024},
	{"max_frame_preauth", "1048576", AT(max_frame_preauth), 1048576},
	{"max_inflight", "1", AT(max_inflight), 1},
	{"max_inflight", "1024", AT(max_inflight), 1024},
	{"db_retries", "0", AT(db_retries), 0},
	{"db_retries", "10", AT(db_retries), 10},
	{"handshake_timeout", "1ms", AT(handshake_timeout), 1},
	{"handshake_timeout", "5min", AT(handshake_timeout), 300000},
	{"handshake_timeout", "2", AT(handshake_timeout), 2000},
	{"auth_timeout", "1ms", AT(auth_timeout), 1},
	{"auth_timeout", "60min", AT(auth_timeout), 3600000},
	{"max_preauth_per_address", "1", AT(max_preauth_per_address), 1},
	{"max_preauth_per_address", "1000000", AT(max_preauth_per_address), 1000000},
	{"idle_timeout", "1440min", AT(idle_timeout), 86400000},
	{"idle_timeout", "500ms", AT(idle_timeout), 500},
	{"request_timeout", "60min", AT(request_timeout), 3600000},
	{"request_timeout", "250ms", AT(request_timeout), 250},
	{"shutdown_grace", "0030s", AT(shutdown_grace), 30000},
	{"shutdown_grace", "3600s", AT(shutdown_grace), 3600000},
	{"tls_client_cert_required", "false", AT(tls_client_cert_required), 0},
	{"diagnostics", "true", AT(diagnostics), 1},
	{"diagnostics", "TRUE", AT(diagnostics), 1},
	{"diagnostics", "yes", AT(diagnostics), 1},
	{"diagnostics", "on", AT(diagnostics), 1},
	{"diagnostics", "1", AT(diagnostics), 1},
	{"diagnostics", "false", AT(diagnostics), 0},
	{"diagnostics", "No", AT(diagnostics), 0},
	{"diagnostics", "off", AT(diagnostics), 0},
	{"diagnostics", "0", AT(diagnostics), 0},
	{"log_level", "error", AT(log_level), CRM_LOG_ERROR},
	{"log_level", "warn", AT(log_level), CRM_LOG_WARN},
	{"log_level", "info", AT(log_level), CRM_LOG_INFO},
	{"log_level", "debug", AT(log_level), CRM_LOG_DEBUG},
};

static void test_valid_values(void **state) {
	crm_config cfg;
	crm_err err;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const valid_case *c = &valid[i];
		long long got;

		if (!load_kv(c->key, c->value, &cfg, &err))
			fail_msg("%s = %s refused: %s: %s", c->key, c->value, err.field, err.msg);
		if (c->size == 1)
			got = *((bool *)((char *)&cfg + c->offset));
		else
			got = *((int *)((char *)&cfg + c->offset));
		if (got != c->want)
			fail_msg("%s = %s gave %lld, want %lld", c->key, c->value, got, c->want);
	}
}

static void test_valid_strings(void **state) {
	crm_config cfg;
	crm_err err;
	char body[1024];

	snprintf(body, sizeof(body),
		 "tls_client_ca = %s\ntls_client_cert_required = true\n"
		 "db_app = host=/run/postgresql dbname=crm user=crm_app password='a b;c'\n"
		 "db_owner = postgresql://crm_owner@db.example.com:5433/crm?sslmode=verify-full\n"
		 "pid_file = /run/crmd/crmd.pid\n",
		 ca_path);
	if (!load(body, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	assert_string_equal(cfg.tls_cert, cert_path);
	assert_string_equal(cfg.tls_key, key_path);
	assert_string_equal(cfg.tls_client_ca, ca_path);
	assert_true(cfg.tls_client_cert_required);
	assert_string_equal(cfg.db_app,
			    "host=/run/postgresql dbname=crm user=crm_app password='a b;c'");
	assert_string_equal(cfg.db_owner,
			    "postgresql://crm_owner@db.example.com:5433/crm?sslmode=verify-full");
	assert_string_equal(cfg.pid_file, "/run/crmd/crmd.pid");
}

/* ----------------------------------------------------- invalid values */

typedef struct invalid_case {
	const char *key, *value;
	const char *want_msg; /* substring of the message, or NULL */
} invalid_case;

static const invalid_case invalid[] = {
	{"max_connections", "0", "between 1 and 1000000, got 0"},
	{"max_connections", "1000001", NULL},
	{"max_connections", "many", "must be an integer"},
	{"io_threads", "0", "must be between 1 and 64, got 0"},
	{"io_threads", "65", NULL},
	{"io_threads", "-1", "got -1"},
	{"io_threads", "", "must be an integer"},
	{"io_threads", "1.5", NULL},
	{"io_threads", "2 threads", NULL},
	{"io_threads", "0x10", NULL},
	{"io_threads", "+2", NULL},
	{"io_threads", "99999999999999999999999", NULL},
	{"db_workers", "0", NULL},
	{"db_workers", "257", NULL},
	{"queue_length", "0", NULL},
	{"queue_length", "100001", NULL},
	{"max_frame", "5", "must be between 1024 and 67108864, got 5"},
	{"max_frame", "67108865", NULL},
	{"max_frame", "1MB", NULL},
	{"max_frame_preauth", "1023", NULL},
	{"max_frame_preauth", "2097152", "max_frame (1048576)"},
	{"max_inflight", "0", NULL},
	{"max_inflight", "1025", NULL},
	{"db_retries", "-1", NULL},
	{"db_retries", "11", NULL},
	{"handshake_timeout", "0", "between 1ms and 5min, got 0ms"},
	{"handshake_timeout", "0ms", NULL},
	{"handshake_timeout", "6min", "got 6min"},
	{"handshake_timeout", "10w", "duration"},
	{"handshake_timeout", "-1s", NULL},
	{"handshake_timeout", "1.5s", NULL},
	{"handshake_timeout", "10 s", NULL},
	{"handshake_timeout", "s", NULL},
	{"handshake_timeout", "", NULL},
	{"handshake_timeout", "99999999999999999999min", NULL},
	{"idle_timeout", "1441min", NULL},
	{"auth_timeout", "0", "between 1ms and 1h, got 0ms"},
	{"auth_timeout", "61min", NULL},
	{"auth_timeout", "10x", "duration"},
	{"max_preauth_per_address", "0", "must be between 1 and 1000000, got 0"},
	{"max_preauth_per_address", "1000001", NULL},
	{"max_preauth_per_address", "lots", NULL},
	{"idle_timeout", "0s", NULL},
	{"request_timeout", "61min", NULL},
	{"request_timeout", "0min", NULL},
	{"shutdown_grace", "3601s", NULL},
	{"shutdown_grace", "0", NULL},
	{"tls_client_cert_required", "maybe", "true or false"},
	{"diagnostics", "2", NULL},
	{"diagnostics", "", NULL},
	{"diagnostics", "enabled", NULL},
	{"log_level", "verbose", "error, warn, info, debug"},
	{"log_level", "", NULL},
	{"log_level", "INFO ", NULL},
	{"tls_cert", "", "is required"},
	{"tls_cert", "/nonexistent/cert.pem", "cannot read /nonexistent/cert.pem"},
	{"tls_key", "", "is required"},
	{"tls_key", "/nonexistent/key.pem", "cannot read"},
	{"tls_client_ca", "/nonexistent/ca.pem", "cannot read"},
	{"tls_client_cert_required", "true", "needs tls_client_ca"},
	{"listen", "", "at least one"},
	{"listen", " , ", "empty entry"},
	{"listen", "localhost", "host:port"},
	{"listen", "127.0.0.1:0", "port must be between 1 and 65535"},
	{"listen", "127.0.0.1:65536", NULL},
	{"listen", "127.0.0.1:", NULL},
	{"listen", "127.0.0.1:http", NULL},
	{"listen", "127.0.0.1:-1", NULL},
	{"listen", ":7443", "missing host"},
	{"listen", "::1:7443", "brackets"},
	{"listen", "[::1]7443", "[address]:port"},
	{"listen", "[::1", NULL},
	{"listen", "[not-v6]:7443", "not an IPv6 address"},
	{"listen", "[127.0.0.1]:7443", NULL},
	{"listen", "bad_host:7443", "not a host name"},
	{"listen", "a b:7443", NULL},
	{"listen", "127.0.0.1:7443,,[::1]:7443", "empty entry"},
	{"listen", ",127.0.0.1:7443", "empty entry"},
	{"listen", "127.0.0.1:7443, 127.0.0.1:7443", "twice"},
	{"listen", "h:1,h:2,h:3,h:4,h:5,h:6,h:7,h:8,h:9", "at most 8"},
	{"trusted_proxies", "10.0.0.1/8", "host bits set; did you mean 10.0.0.0/8?"},
	{"trusted_proxies", "fe80::1/64", "did you mean fe80::/64?"},
	{"trusted_proxies", "10.0.0.0/33", "between 0 and 32"},
	{"trusted_proxies", "::/129", "between 0 and 128"},
	{"trusted_proxies", "10.0.0.0/", NULL},
	{"trusted_proxies", "10.0.0.0/-1", NULL},
	{"trusted_proxies", "10.0.0.0/8x", NULL},
	{"trusted_proxies", "10.0.0/24", "not an IPv4 or IPv6 address"},
	{"trusted_proxies", "proxy.example.com", NULL},
	{"trusted_proxies", "10.0.0.0/8,,10.1.0.0/16", "empty entry"},
	{"db_app", "host=localhost port", "not a valid libpq connection string"},
	{"db_app", "nokey", NULL},
	{"db_app", "host='unterminated", NULL},
	{"db_app", "hostt=x", NULL},
	{"db_app", "postgresql://[::1/crm", NULL},
	{"db_owner", "host=localhost port", "not a valid libpq connection string"},
	{"db_owner", "postgresql://u@h/d?bogus=1", NULL},
};

static void test_invalid_values(void **state) {
	crm_config cfg;
	crm_err err;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const invalid_case *c = &invalid[i];

		if (load_kv(c->key, c->value, &cfg, &err))
			fail_msg("%s = %s accepted", c->key, c->value);
		if (strcmp(err.field, c->key) != 0)
			fail_msg("%s = %s: error names \"%s\" (%s)", c->key, c->value, err.field,
				 err.msg);
		assert_int_equal(err.code, CRM_INVALID_ARGUMENT);
		if (c->want_msg && strstr(err.msg, c->want_msg) == NULL)
			fail_msg("%s = %s: message \"%s\" lacks \"%s\"", c->key, c->value, err.msg,
				 c->want_msg);
	}
}

/* Long lists continue on indented lines. */
static void test_multi_line_lists(void **state) {
	char body[2048];
	crm_config cfg;
	crm_err err;
	int n = 0;

	n += snprintf(body + n, sizeof(body) - (size_t)n, "trusted_proxies =\n");
	for (int i = 0; i < CRM_CONFIG_MAX_PROXIES; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "    %d.0.0.0/8%s\n", i + 1,
			      i % 2 ? "," : "");
	snprintf(body + n, sizeof(body) - (size_t)n,
		 "listen = 127.0.0.1:7443,\n\t[::1]:7443\n  10.0.0.1:7443\n");
	if (!load(body, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	assert_int_equal(cfg.n_trusted_proxies, CRM_CONFIG_MAX_PROXIES);
	assert_int_equal(cfg.trusted_proxies[31].prefix, 8);
	assert_int_equal(cfg.n_listen, 3);
	assert_string_equal(cfg.listen[2].host, "10.0.0.1");

	/* One more than the maximum. */
	n = snprintf(body, sizeof(body), "trusted_proxies = ::1/128\n");
	for (int i = 0; i < CRM_CONFIG_MAX_PROXIES; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, " ::%x\n", i + 2);
	assert_false(load(body, &cfg, &err));
	assert_string_equal(err.field, "trusted_proxies");
	assert_non_null(strstr(err.msg, "at most 32"));

	/* An empty listen with nothing after it. */
	assert_false(load("listen =\nio_threads = 2\n", &cfg, &err));
	assert_string_equal(err.field, "listen");
	assert_non_null(strstr(err.msg, "at least one"));

	/* A bad entry on a continuation line names the key. */
	assert_false(load("listen = 127.0.0.1:1\n  nope\n", &cfg, &err));
	assert_string_equal(err.field, "listen");
	assert_false(load("trusted_proxies = 10.0.0.0/8\n  10.0.0.1/8\n", &cfg, &err));
	assert_string_equal(err.field, "trusted_proxies");
	assert_non_null(strstr(err.msg, "host bits"));
}

static void test_many_proxies_one_line(void **state) {
	char list[1024] = "", body[1200];
	crm_config cfg;
	crm_err err;
	int n = 0;

	for (int i = 0; i < CRM_CONFIG_MAX_PROXIES + 1; i++)
		n += snprintf(list + n, sizeof(list) - (size_t)n, "%s%d.0.0.0/8", i ? "," : "",
			      i + 1);
	snprintf(body, sizeof(body), "trusted_proxies = %s\n", list);
	/* 300+ characters: one line cannot hold it, and inih would split it. */
	assert_false(load(body, &cfg, &err));
	assert_string_equal(err.field, "line 4");
	assert_non_null(strstr(err.msg, "longer than 199"));
}

static void test_dsn_error_never_echoes_password(void **state) {
	static const char *const cases[] = {
		"host=db password=s3cr3t w0rd",
		"host=db password=s3cr3t w0rd=x",
		"password='s3cr3t w0rd",
		"postgresql://u:s3cr3t@[::1/crm",
		"postgresql://u:s3cr3t@h/crm?x=s3cr3t",
		"postgresql://u:s3cr3t@h/crm?sslmode=s3cr3t%00",
	};
	crm_config cfg;
	crm_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_false(load_kv("db_app", cases[i], &cfg, &err));
		assert_string_equal(err.field, "db_app");
		if (strstr(err.msg, "s3cr3t") || strstr(err.msg, "w0rd"))
			fail_msg("message echoes the secret: %s", err.msg);
		assert_false(load_kv("db_owner", cases[i], &cfg, &err));
		assert_string_equal(err.field, "db_owner");
		if (strstr(err.msg, "s3cr3t") || strstr(err.msg, "w0rd"))
			fail_msg("message echoes the secret: %s", err.msg);
	}
	/* A keyword libpq complains about is still named. */
	assert_false(load_kv("db_app", "host=x port", &cfg, &err));
	assert_non_null(strstr(err.msg, "\"port\""));
}

/* ------------------------------------------------------------- syntax */

static void test_unknown_key(void **state) {
	crm_config cfg;
	crm_err err;

	assert_false(load("max_frames = 2048\n", &cfg, &err));
	assert_string_equal(err.field, "max_frames");
	assert_string_equal(err.msg, "unknown key");
}

static void test_key_outside_section(void **state) {
	crm_config cfg;
	crm_err err;
	char text[512];

	crm_err_clear(&err);
	assert_false(crm_config_load_string("io_threads = 2\n[crmd]\n", &cfg, &err));
	assert_string_equal(err.field, "io_threads");
	assert_non_null(strstr(err.msg, "[crmd]"));

	snprintf(text, sizeof(text), "[crmd]\ntls_cert = %s\ntls_key = %s\n[other]\nio_threads = 2\n",
		 cert_path, key_path);
	crm_err_clear(&err);
	assert_false(crm_config_load_string(text, &cfg, &err));
	assert_string_equal(err.field, "io_threads");
	assert_non_null(strstr(err.msg, "not [other]"));

	/* Unknown keys are named as unknown wherever they are. */
	crm_err_clear(&err);
	assert_false(crm_config_load_string("[x]\nfoo = 1\n", &cfg, &err));
	assert_string_equal(err.field, "foo");
	assert_string_equal(err.msg, "unknown key");
}

static void test_duplicate_key(void **state) {
	crm_config cfg;
	crm_err err;

	assert_false(load("io_threads = 2\nio_threads = 3\n", &cfg, &err));
	assert_string_equal(err.field, "io_threads");
	assert_non_null(strstr(err.msg, "more than once"));

	/* Also when the [crmd] section is opened twice. */
	assert_false(load("io_threads = 2\n[crmd]\nio_threads = 2\n", &cfg, &err));
	assert_string_equal(err.field, "io_threads");
}

static void test_syntax_errors(void **state) {
	crm_config cfg;
	crm_err err;

	/* Lines 1-3 are [crmd], tls_cert, tls_key. */
	assert_false(load("io_threads 2\n", &cfg, &err));
	assert_string_equal(err.field, "line 4");
	assert_false(load("\n\n[crmd\n", &cfg, &err));
	assert_string_equal(err.field, "line 6");

	/* The first error in the file wins, whichever kind it is. */
	assert_false(load("garbage\nio_threads = 0\n", &cfg, &err));
	assert_string_equal(err.field, "line 4");
	assert_false(load("io_threads = 0\ngarbage\n", &cfg, &err));
	assert_string_equal(err.field, "io_threads");
	assert_false(load("bogus = 1\ngarbage\n", &cfg, &err));
	assert_string_equal(err.field, "bogus");
	assert_false(load("= 1\n", &cfg, &err));
	assert_string_equal(err.field, "line 4");
	assert_non_null(strstr(err.msg, "missing key"));
}

static void test_indented_continuation(void **state) {
	crm_config cfg;
	crm_err err;
	char text[512];

	/* inih reads an indented line as more of the previous value. */
	assert_false(load("io_threads = 2\n  db_workers = 2\n", &cfg, &err));
	assert_string_equal(err.field, "line 5");
	assert_non_null(strstr(err.msg, "io_threads"));
	assert_false(load("listen = 127.0.0.1:1\n  io_threads = 2\n", &cfg, &err));
	assert_string_equal(err.field, "line 5");
	assert_false(load("db_app = host=x\n  dbname=y\n", &cfg, &err));
	assert_string_equal(err.field, "line 5");

	/* The first key after a section header may be indented, and so may
	 * comments anywhere. */
	snprintf(text, sizeof(text), "[crmd]\n  tls_cert = %s\n  # note\ntls_key = %s\n",
		 cert_path, key_path);
	crm_err_clear(&err);
	if (!crm_config_load_string(text, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
}

static void test_long_line(void **state) {
	crm_config cfg;
	crm_err err;
	char body[512];
	char pad[256];

	memset(pad, 'x', 190);
	pad[190] = '\0';
	/* "pid_file = " + 188 = 199 characters: fits. */
	snprintf(body, sizeof(body), "pid_file = /%.187s\n", pad);
	assert_int_equal(strlen(body), 200);
	if (!load(body, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	snprintf(body, sizeof(body), "pid_file = /%.188s\n", pad);
	assert_false(load(body, &cfg, &err));
	assert_string_equal(err.field, "line 4");
	/* Without a final newline too. */
	snprintf(body, sizeof(body), "pid_file = /%.188s", pad);
	assert_false(load(body, &cfg, &err));
	assert_string_equal(err.field, "line 4");
}

static void test_comments_crlf_bom(void **state) {
	crm_config cfg;
	crm_err err;
	char text[1024];

	snprintf(text, sizeof(text),
		 "\xEF\xBB\xBF# crmd.conf\r\n; another comment\r\n[crmd]\r\n"
		 "tls_cert = %s\r\ntls_key = %s ; inline comment\r\n\r\n"
		 "io_threads = 3\r\nlisten = [::1]:7443\r\n",
		 cert_path, key_path);
	crm_err_clear(&err);
	if (!crm_config_load_string(text, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	assert_string_equal(cfg.tls_key, key_path);
	assert_int_equal(cfg.io_threads, 3);
	assert_string_equal(cfg.listen[0].host, "::1");
}

static void test_empty_text(void **state) {
	crm_config cfg;
	crm_err err;

	crm_err_clear(&err);
	assert_false(crm_config_load_string("", &cfg, &err));
	assert_string_equal(err.field, "tls_cert");
	assert_string_equal(err.msg, "is required");
}

static void test_load_file(void **state) {
	crm_config cfg;
	crm_err err;
	char text[512];

	snprintf(text, sizeof(text), "[crmd]\ntls_cert = %s\ntls_key = %s\ndb_workers = 8\n",
		 cert_path, key_path);
	make_temp(conf_path, text);
	crm_err_clear(&err);
	if (!crm_config_load(conf_path, &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	assert_int_equal(cfg.db_workers, 8);
	unlink(conf_path);

	crm_err_clear(&err);
	assert_false(crm_config_load("/nonexistent/crmd.conf", &cfg, &err));
	assert_string_equal(err.field, "config");
	assert_non_null(strstr(err.msg, "/nonexistent/crmd.conf"));

	/* A NUL byte would hide the rest of the file from the parser. */
	FILE *f;
	make_temp(conf_path, "");
	f = fopen(conf_path, "wb");
	assert_non_null(f);
	fwrite("[crmd]\n\0io_threads = 0\n", 1, 23, f);
	fclose(f);
	crm_err_clear(&err);
	assert_false(crm_config_load(conf_path, &cfg, &err));
	assert_non_null(strstr(err.msg, "NUL"));
	unlink(conf_path);
}

static void test_max_frame_preauth_vs_max_frame(void **state) {
	crm_config cfg;
	crm_err err;

	assert_true(load("max_frame = 4096\nmax_frame_preauth = 4096\n", &cfg, &err));
	/* Left at its default, max_frame_preauth follows a smaller max_frame. */
	assert_true(load("max_frame = 4096\n", &cfg, &err));
	assert_int_equal(cfg.max_frame_preauth, 4096);
	assert_false(load("max_frame = 4096\nmax_frame_preauth = 4097\n", &cfg, &err));
	assert_string_equal(err.field, "max_frame_preauth");
	assert_string_equal(err.msg, "must be between 1024 and max_frame (4096), got 4097");
	/* Order in the file does not matter. */
	assert_false(load("max_frame_preauth = 8192\nmax_frame = 4096\n", &cfg, &err));
	assert_string_equal(err.field, "max_frame_preauth");
}

/* ----------------------------------------------------- listen, CIDRs */

static void test_listen_list(void **state) {
	crm_config cfg;
	crm_err err;

	if (!load("listen = 0.0.0.0:7443 , [::]:7443,crm.example.com:443,[fe80::1%eth0]:1\n", &cfg,
		  &err)) {
		/* A zone id is not something inet_pton takes; without it: */
		assert_string_equal(err.field, "listen");
		assert_true(load("listen = 0.0.0.0:7443 , [::]:7443,crm.example.com:443\n", &cfg,
				 &err));
		assert_int_equal(cfg.n_listen, 3);
	} else {
		assert_int_equal(cfg.n_listen, 4);
	}
	assert_string_equal(cfg.listen[0].host, "0.0.0.0");
	assert_int_equal(cfg.listen[0].port, 7443);
	assert_string_equal(cfg.listen[1].host, "::");
	assert_int_equal(cfg.listen[1].port, 7443);
	assert_string_equal(cfg.listen[2].host, "crm.example.com");
	assert_int_equal(cfg.listen[2].port, 443);

	assert_true(load("listen = h:1,h:2,h:3,h:4,h:5,h:6,h:7,h:8\n", &cfg, &err));
	assert_int_equal(cfg.n_listen, CRM_CONFIG_MAX_LISTEN);
	assert_int_equal(cfg.listen[7].port, 8);
	/* Same port on different hosts is fine. */
	assert_true(load("listen = 127.0.0.1:7443,[::1]:7443\n", &cfg, &err));
}

static struct sockaddr_storage sa(const char *addr) {
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return ss;
}

static bool trusted(const crm_config *cfg, const char *addr) {
	struct sockaddr_storage ss = sa(addr);

	return crm_config_is_trusted_proxy(cfg, (struct sockaddr *)&ss);
}

static void test_trusted_proxies(void **state) {
	crm_config cfg;
	crm_err err;

	assert_true(load("", &cfg, &err));
	assert_false(trusted(&cfg, "127.0.0.1"));
	assert_false(trusted(&cfg, "::1"));

	if (!load("trusted_proxies = 10.0.0.0/8, 192.168.1.128/25,2001:db8::/32, 203.0.113.7,"
		  "::ffff:198.51.100.0/120\n",
		  &cfg, &err))
		fail_msg("%s: %s", err.field, err.msg);
	assert_int_equal(cfg.n_trusted_proxies, 5);
	assert_int_equal(cfg.trusted_proxies[0].prefix, 8);
	assert_int_equal(cfg.trusted_proxies[0].addr.ss_family, AF_INET);
	assert_int_equal(cfg.trusted_proxies[2].addr.ss_family, AF_INET6);
	assert_int_equal(cfg.trusted_proxies[3].prefix, 32);

	assert_true(trusted(&cfg, "10.0.0.0"));
	assert_true(trusted(&cfg, "10.255.255.255"));
	assert_false(trusted(&cfg, "11.0.0.0"));
	assert_false(trusted(&cfg, "9.255.255.255"));
	assert_true(trusted(&cfg, "192.168.1.128"));
	assert_true(trusted(&cfg, "192.168.1.255"));
	assert_false(trusted(&cfg, "192.168.1.127"));
	assert_true(trusted(&cfg, "203.0.113.7"));
	assert_false(trusted(&cfg, "203.0.113.8"));
	assert_true(trusted(&cfg, "2001:db8::1"));
	assert_true(trusted(&cfg, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(trusted(&cfg, "2001:db9::1"));
	assert_false(trusted(&cfg, "::1"));
	/* v4-mapped addresses from a dual-stack socket match v4 ranges ... */
	assert_true(trusted(&cfg, "::ffff:10.1.2.3"));
	assert_true(trusted(&cfg, "::ffff:203.0.113.7"));
	assert_false(trusted(&cfg, "::ffff:11.1.2.3"));
	/* ... and v6 ranges written in mapped form. */
	assert_true(trusted(&cfg, "::ffff:198.51.100.9"));
	assert_false(trusted(&cfg, "198.51.100.9"));
	/* A v4-compatible-looking address is not v4-mapped. */
	assert_false(trusted(&cfg, "::10.1.2.3"));

	/* /0 trusts every address of its family. */
	assert_true(load("trusted_proxies = 0.0.0.0/0\n", &cfg, &err));
	assert_true(trusted(&cfg, "1.2.3.4"));
	assert_true(trusted(&cfg, "::ffff:1.2.3.4"));
	assert_false(trusted(&cfg, "2001:db8::1"));
	assert_true(load("trusted_proxies = ::/0\n", &cfg, &err));
	assert_true(trusted(&cfg, "2001:db8::1"));
	assert_false(trusted(&cfg, "1.2.3.4"));

	/* Odd prefix lengths. */
	assert_true(load("trusted_proxies = 172.16.0.0/12, fe80::/10\n", &cfg, &err));
	assert_true(trusted(&cfg, "172.31.255.255"));
	assert_false(trusted(&cfg, "172.32.0.0"));
	assert_true(trusted(&cfg, "febf::1"));
	assert_false(trusted(&cfg, "fec0::1"));

	/* Neither v4 nor v6: never trusted. */
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	assert_false(crm_config_is_trusted_proxy(&cfg, &unix_sa));
}

/* --------------------------------------------------------- durations */

static void test_duration_messages(void **state) {
	crm_config cfg;
	crm_err err;

	assert_false(load_kv("idle_timeout", "2000min", &cfg, &err));
	assert_string_equal(err.msg, "must be between 1ms and 24h, got 2000min");
	assert_false(load_kv("request_timeout", "3600001ms", &cfg, &err));
	assert_string_equal(err.msg, "must be between 1ms and 1h, got 3600001ms");
	assert_false(load_kv("handshake_timeout", "301s", &cfg, &err));
	assert_string_equal(err.msg, "must be between 1ms and 5min, got 301s");
	assert_false(load_kv("handshake_timeout", "5m", &cfg, &err));
	assert_string_equal(err.msg, "must be a duration such as 500ms, 10s, 5min or 12h, got \"5m\"");
}

static void test_long_value_quoted_short(void **state) {
	crm_config cfg;
	crm_err err;
	char v[180];

	memset(v, '9', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	v[0] = 'x';
	assert_false(load_kv("log_level", v, &cfg, &err));
	assert_string_equal(err.field, "log_level");
	assert_non_null(strstr(err.msg, "...\""));
	assert_true(strlen(err.msg) < 120);
}

/* ---------------------------------------------- deploy/crmd.conf.example */

static const char *const all_keys[] = {
	"listen", "max_connections", "trusted_proxies", "tls_cert", "tls_key",
	"tls_client_ca", "tls_client_cert_required", "db_app", "db_owner", "io_threads",
	"db_workers", "queue_length", "max_frame", "max_frame_preauth", "max_inflight",
	"db_retries", "max_preauth_per_address", "handshake_timeout", "auth_timeout",
	"idle_timeout", "request_timeout",
	"shutdown_grace", "log_level", "pid_file", "diagnostics",
};

/*
 * The example documents every key, commented out with its default: with
 * the first "#key = value" line of each key uncommented (plus the TLS
 * files), it must load and give exactly crm_config_defaults().
 */
static void test_example_file(void **state) {
	static char text[65536], out[70000];
	bool seen[sizeof(all_keys) / sizeof(all_keys[0])] = {false};
	FILE *f = fopen(CRM_SOURCE_DIR "/deploy/crmd.conf.example", "r");
	crm_config cfg, def;
	crm_err err;
	size_t n, o = 0;
	char *line, *save = NULL;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *emit = line;
		for (size_t k = 0; k < sizeof(all_keys) / sizeof(all_keys[0]); k++) {
			size_t kl = strlen(all_keys[k]);
			if (line[0] == '#' && strncmp(line + 1, all_keys[k], kl) == 0 &&
			    strncmp(line + 1 + kl, " =", 2) == 0 && !seen[k]) {
				seen[k] = true;
				emit = line + 1;
			}
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", emit);
	}
	for (size_t k = 0; k < sizeof(all_keys) / sizeof(all_keys[0]); k++)
		if (!seen[k])
			fail_msg("crmd.conf.example does not document %s", all_keys[k]);
	/* tls_cert and tls_key have no default: give them one at the end. */
	snprintf(out + o, sizeof(out) - o, "tls_cert = %s\ntls_key = %s\n", cert_path, key_path);
	assert_non_null(strstr(out, "\ntls_cert =\n"));
	{
		/* Drop the empty "tls_cert =" / "tls_key =" lines uncommented above. */
		char *p;
		while ((p = strstr(out, "\ntls_cert =\n")) != NULL)
			memmove(p + 1, p + 12, strlen(p + 12) + 1);
		while ((p = strstr(out, "\ntls_key =\n")) != NULL)
			memmove(p + 1, p + 11, strlen(p + 11) + 1);
	}
	crm_err_clear(&err);
	if (!crm_config_load_string(out, &cfg, &err))
		fail_msg("example with defaults uncommented: %s: %s", err.field, err.msg);
	crm_config_defaults(&def);
	snprintf(def.tls_cert, sizeof(def.tls_cert), "%s", cert_path);
	snprintf(def.tls_key, sizeof(def.tls_key), "%s", key_path);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal_file_gives_defaults),
		cmocka_unit_test(test_valid_values),
		cmocka_unit_test(test_valid_strings),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_multi_line_lists),
		cmocka_unit_test(test_many_proxies_one_line),
		cmocka_unit_test(test_dsn_error_never_echoes_password),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_key_outside_section),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_indented_continuation),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_comments_crlf_bom),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_max_frame_preauth_vs_max_frame),
		cmocka_unit_test(test_listen_list),
		cmocka_unit_test(test_trusted_proxies),
		cmocka_unit_test(test_duration_messages),
		cmocka_unit_test(test_long_value_quoted_short),
		cmocka_unit_test(test_example_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
