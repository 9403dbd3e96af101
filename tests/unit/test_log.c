/*
 * Unit tests for server/log.c: with the log thread on, a stderr nobody
 * reads never makes crm_log_write wait; lines that do not fit are dropped
 * and counted, and the count is logged once the reader catches up; every
 * line arrives whole; after crm_log_stop lines are written directly.
 *
 * stderr is a pipe shrunk to one page, so it fills after a few lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINES 2000

static int saved_stderr = -1;

/* Makes stderr the write end of a one-page pipe; returns the read end. */
static int stderr_to_pipe(void) {
	int p[2];

	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(p[1], STDERR_FILENO) >= 0);
	close(p[1]);
	return p[0];
}

static void stderr_restore(void) {
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
}

static double now_s(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what arrives on fd within ms milliseconds of quiet into buf. */
static size_t read_all(int fd, char *buf, size_t size, int ms) {
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t n = 0;
	ssize_t r;

	while (n < size - 1 && poll(&p, 1, ms) == 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* The sum of the "N log lines dropped" reports in buf. */
static uint64_t reported_drops(const char *buf) {
	const char *p = buf;
	uint64_t sum = 0;

	while ((p = strstr(p, " WARN ")) != NULL) {
		unsigned long long n;
		p += 6;
		if (sscanf(p, "%llu log lines dropped", &n) == 1)
			sum += n;
	}
	return sum;
}

/* Each line the test logs is "line N <padding>": whole lines only. */
static int count_whole_lines(char *buf) {
	int lines = 0;

	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		const char *p = strstr(l, " INFO line ");
		if (p != NULL && strstr(p, " end") != NULL)
			lines++;
		else if (p != NULL)
			return -1; /* a cut line */
	}
	return lines;
}

static void test_full_stderr_drops_and_counts(void **state) {
	static char buf[4 << 20];
	int fd = stderr_to_pipe();
	double t0, took;
	uint64_t dropped;
	int whole;

	(void)state;
	assert_true(crm_log_start(16 * 1024));
	t0 = now_s();
	for (int i = 0; i < LINES; i++)
		crm_log_write(CRM_LOG_INFO, "line %d %0100d end", i, 0);
	took = now_s() - t0;
	dropped = crm_log_dropped();
	read_all(fd, buf, sizeof(buf), 500); /* the reader catches up */
	crm_log_stop(1000);
	stderr_restore();
	close(fd);
	assert_true(took < 1.0); /* nobody read: the writers did not wait */
	assert_true(dropped > 0 && dropped < LINES);
	/* every drop is reported (in one or more lines) */
	assert_int_equal(reported_drops(buf), dropped);
	whole = count_whole_lines(buf);
	assert_int_equal(whole, LINES - (int)dropped);
}

static void test_direct_after_stop(void **state) {
	static char buf[8192];
	int fd = stderr_to_pipe();

	(void)state;
	assert_true(crm_log_start(16 * 1024));
	crm_log_write(CRM_LOG_WARN, "through the ring");
	crm_log_stop(1000);
	crm_log_write(CRM_LOG_WARN, "written directly");
	read_all(fd, buf, sizeof(buf), 200);
	stderr_restore();
	close(fd);
	assert_non_null(strstr(buf, "WARN through the ring\n"));
	assert_non_null(strstr(buf, "WARN written directly\n"));
	assert_true(strstr(buf, "through the ring") < strstr(buf, "written directly"));
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_stderr_drops_and_counts),
		cmocka_unit_test(test_direct_after_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
