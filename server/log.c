/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048
#define CHUNK_BYTES (64 * 1024) /* the log thread writes at most this at once */

int crm_log_threshold = CRM_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

/* The ring between the threads that log and the log thread. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;    /* to the log thread: bytes to write, or stop */
	pthread_cond_t drained; /* from the log thread: ring empty, or exited */
	char *buf;
	size_t size, head, len; /* bytes [head, head + len) mod size are queued */
	uint64_t dropped, reported;
	bool on;                /* lines go through the ring */
	bool stopping, exited;
	pthread_t thread;
} ring = {.lock = PTHREAD_MUTEX_INITIALIZER,
	    .wake = PTHREAD_COND_INITIALIZER,
	    .drained = PTHREAD_COND_INITIALIZER};

void crm_log_set_level(crm_log_level level) {
	__atomic_store_n(&crm_log_threshold, (int)level, __ATOMIC_RELAXED);
}

bool crm_log_parse_level(const char *s, crm_log_level *out) {
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (crm_log_level)i;
			return true;
		}
	}
	return false;
}

/* Writes all of buf to stderr; false if stderr refuses it. */
static bool write_all(const char *buf, size_t n) {
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* Queues one whole line, or counts it dropped; false when the ring is
 * off (the caller writes it itself). Never waits for the log thread. */
static bool ring_put(const char *line, size_t n) {
	size_t tail, first;

	pthread_mutex_lock(&ring.lock);
	if (!ring.on) {
		pthread_mutex_unlock(&ring.lock);
		return false;
	}
	if (ring.size - ring.len < n) {
		ring.dropped++;
	} else {
		tail = (ring.head + ring.len) % ring.size;
		first = ring.size - tail < n ? ring.size - tail : n;
		memcpy(ring.buf + tail, line, first);
		memcpy(ring.buf, line + first, n - first);
		if (ring.len == 0)
			pthread_cond_signal(&ring.wake);
		ring.len += n;
	}
	pthread_mutex_unlock(&ring.lock);
	return true;
}

static size_t format_line(char *buf, size_t size, crm_log_level level, const char *fmt,
			  va_list ap) {
	struct timeval tv;
	struct tm tm;
	size_t n;
	int r;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(buf + n, size - n, ".%03ldZ [%d] %s ", (long)tv.tv_usec / 1000, (int)getpid(),
		     level_names[level]);
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(buf + n, size - n - 1, fmt, ap);
	if (r > 0)
		n += (size_t)r < size - n - 1 ? (size_t)r : size - n - 2;
	buf[n++] = '\n';
	return n;
}

void crm_log_write(crm_log_level level, const char *fmt, ...) {
	char buf[LINE_MAX_BYTES];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	n = format_line(buf, sizeof(buf), level, fmt, ap);
	va_end(ap);
	if (!ring_put(buf, n) && !write_all(buf, n)) {
		/* Nowhere left to report it. */
	}
}

static void log_direct(crm_log_level level, const char *fmt, ...) CRM_PRINTF(2, 3);
static void log_direct(crm_log_level level, const char *fmt, ...) {
	char buf[LINE_MAX_BYTES];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	n = format_line(buf, sizeof(buf), level, fmt, ap);
	va_end(ap);
	(void)write_all(buf, n);
}

/* Takes whole lines from the ring into out (at most CHUNK_BYTES); returns
 * how many bytes. Called with the lock held. */
static size_t ring_take(char *out) {
	size_t n = ring.len < CHUNK_BYTES ? ring.len : CHUNK_BYTES;
	size_t first = ring.size - ring.head < n ? ring.size - ring.head : n;

	memcpy(out, ring.buf + ring.head, first);
	memcpy(out + first, ring.buf, n - first);
	while (n > 0 && out[n - 1] != '\n') /* a line cut by the chunk waits */
		n--;
	ring.head = (ring.head + n) % ring.size;
	ring.len -= n;
	return n;
}

static void *log_thread(void *arg) {
	char *chunk = arg;
	uint64_t dropped;
	size_t n;

	pthread_mutex_lock(&ring.lock);
	for (;;) {
		while (ring.len == 0 && !ring.stopping) {
			pthread_cond_broadcast(&ring.drained);
			pthread_cond_wait(&ring.wake, &ring.lock);
		}
		if (ring.len == 0)
			break;
		n = ring_take(chunk);
		dropped = ring.dropped - ring.reported;
		ring.reported = ring.dropped;
		pthread_mutex_unlock(&ring.lock);
		(void)write_all(chunk, n);
		if (dropped > 0)
			log_direct(CRM_LOG_WARN, "%llu log lines dropped: stderr was not read fast enough",
				   (unsigned long long)dropped);
		pthread_mutex_lock(&ring.lock);
	}
	ring.exited = true;
	pthread_cond_broadcast(&ring.drained);
	pthread_mutex_unlock(&ring.lock);
	free(chunk);
	return NULL;
}

bool crm_log_start(size_t bytes) {
	char *buf = malloc(bytes), *chunk = malloc(CHUNK_BYTES);
	sigset_t all, old;
	bool ok = false;

	sigfillset(&all); /* signals are the main thread's business */
	pthread_mutex_lock(&ring.lock);
	if (buf && chunk && !ring.on && bytes >= LINE_MAX_BYTES) {
		ring.buf = buf;
		ring.size = bytes;
		ring.head = ring.len = 0;
		ring.stopping = ring.exited = false;
		pthread_sigmask(SIG_SETMASK, &all, &old);
		ok = pthread_create(&ring.thread, NULL, log_thread, chunk) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		ring.on = ok;
	}
	pthread_mutex_unlock(&ring.lock);
	if (!ok) {
		free(buf);
		free(chunk);
		ring.buf = NULL;
	}
	return ok;
}

void crm_log_stop(int wait_ms) {
	struct timespec until;
	bool exited;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ring.lock);
	if (!ring.on) {
		pthread_mutex_unlock(&ring.lock);
		return;
	}
	ring.stopping = true;
	pthread_cond_signal(&ring.wake);
	while (!ring.exited && pthread_cond_timedwait(&ring.drained, &ring.lock, &until) == 0)
		;
	ring.on = false; /* from here lines are written directly */
	exited = ring.exited;
	pthread_mutex_unlock(&ring.lock);
	if (!exited) { /* stderr is stuck: leave the thread, and its buffers, to exit() */
		pthread_detach(ring.thread);
		return;
	}
	pthread_join(ring.thread, NULL);
	free(ring.buf);
	ring.buf = NULL;
}

uint64_t crm_log_dropped(void) {
	uint64_t n;

	pthread_mutex_lock(&ring.lock);
	n = ring.dropped;
	pthread_mutex_unlock(&ring.lock);
	return n;
}
