/*
 * strbuf: the growable text buffer the CLI's output is built in (output.c
 * for result sets, cmd_record_view.c for record values), and the two
 * pieces of text both need to write the same way: JSON strings and
 * instants as RFC 3339 UTC.
 *
 * A crm_sbuf is an embedded object: zero it to start (p is NULL until the
 * first put), release it with crm_sbuf_fini or take p over (malloc'd,
 * always NUL-terminated once anything was put, len bytes before the NUL).
 * Running out of memory aborts the program (this is CLI code). Not
 * thread-safe per buffer.
 */
#ifndef CRM_STRBUF_H
#define CRM_STRBUF_H

#include <stddef.h>
#include <stdint.h>

#include "crm_status.h"

typedef struct crm_sbuf {
	char *p;
	size_t len, cap;
} crm_sbuf;

/* Prints "crm: out of memory" on standard error and aborts. */
_Noreturn void crm_sbuf_oom(void);

void crm_sbuf_put(crm_sbuf *b, const char *s, size_t n);
void crm_sbuf_puts(crm_sbuf *b, const char *s);
void crm_sbuf_putc(crm_sbuf *b, char c);
/* n spaces. */
void crm_sbuf_pad(crm_sbuf *b, size_t n);
/* For short pieces (numbers, escapes): output past 127 bytes is cut. */
void crm_sbuf_printf(crm_sbuf *b, const char *fmt, ...) CRM_PRINTF(2, 3);

/* [s, s+len) as a JSON string: quotes, backslash and control characters
 * escaped (\u00XX), valid UTF-8 passed through, each invalid byte
 * replaced by \ufffd. */
void crm_sbuf_json_string(crm_sbuf *b, const char *s, size_t len);

/* us microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC,
 * always six fraction digits; before 1970 too). */
void crm_sbuf_instant(crm_sbuf *b, int64_t us);

/* Frees p and zeroes b. */
void crm_sbuf_fini(crm_sbuf *b);

#endif
