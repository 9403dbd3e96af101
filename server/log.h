/*
 * log: leveled, printf-checked logging to stderr, one write(2) per line so
 * lines from several threads never interleave. The level is tested before
 * anything is formatted. Never log a password, a token or a message body.
 *
 * Thread-safe: the level is an atomic; formatting uses a stack buffer.
 */
#ifndef CRM_LOG_H
#define CRM_LOG_H

#include "crm_status.h"

extern int crm_log_threshold; /* a crm_log_level; atomic (SIGHUP may change it) */

void crm_log_set_level(crm_log_level level);
/* Parses "error|warn|info|debug". */
bool crm_log_parse_level(const char *s, crm_log_level *out) CRM_MUSTCHECK;
void crm_log_write(crm_log_level level, const char *fmt, ...) CRM_PRINTF(2, 3);

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
