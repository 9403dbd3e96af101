/*
 * log: leveled, printf-checked logging to stderr, one write(2) per line so
 * lines from several threads never interleave. The level is tested before
 * anything is formatted. Never log a password, a token or a message body.
 *
 * Two modes. Until crm_log_start (and after crm_log_stop) a line is
 * written at once by the thread that logs it: one-shot commands and
 * start-up. Between the two (`crmd serve`), a line is copied into a
 * bounded ring and written by a log thread, so a slow reader of stderr
 * never stalls an I/O thread: logging never blocks. When the ring is full
 * the line is dropped and counted; the log thread reports the count
 * ("N log lines dropped") once it has caught up.
 *
 * Thread-safe: the level is an atomic; formatting uses a stack buffer; the
 * ring is guarded by a mutex held only to copy bytes in or out.
 */
#ifndef CRM_LOG_H
#define CRM_LOG_H

#include <stdint.h>

#include "crm_status.h"

extern int crm_log_threshold; /* a crm_log_level; atomic (SIGHUP may change it) */

void crm_log_set_level(crm_log_level level);
/* Parses "error|warn|info|debug". */
bool crm_log_parse_level(const char *s, crm_log_level *out) CRM_MUSTCHECK;
void crm_log_write(crm_log_level level, const char *fmt, ...) CRM_PRINTF(2, 3);

/* Starts the log thread (ring of `bytes` bytes). False if it cannot be
 * started; logging then stays direct. Main thread, once. */
bool crm_log_start(size_t bytes) CRM_MUSTCHECK;
/* Writes what the ring holds (waiting at most `wait_ms` for a reader of
 * stderr), stops the log thread and goes back to direct writes. Main
 * thread, after every other thread that logs has stopped. */
void crm_log_stop(int wait_ms);
/* Lines dropped because the ring was full, since the start. */
uint64_t crm_log_dropped(void);

#define crm_log(level, ...)                                   \
	do {                                                  \
		if ((int)(level) <= __atomic_load_n(&crm_log_threshold, __ATOMIC_RELAXED)) \
			crm_log_write((level), __VA_ARGS__);  \
	} while (0)
#define log_error(...) crm_log(CRM_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) crm_log(CRM_LOG_WARN, __VA_ARGS__)
#define log_info(...) crm_log(CRM_LOG_INFO, __VA_ARGS__)
#define log_debug(...) crm_log(CRM_LOG_DEBUG, __VA_ARGS__)

#endif
