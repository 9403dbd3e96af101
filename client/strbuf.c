/*
 * strbuf: growable text buffers, JSON strings and RFC 3339 instants for
 * the CLI's output. See strbuf.h.
 */
#include "strbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "textwidth.h"

void crm_sbuf_oom(void) {
	fputs("crm: out of memory\n", stderr);
	abort();
}

void crm_sbuf_put(crm_sbuf *b, const char *s, size_t n) {
	char *np;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		np = realloc(b->p, b->cap);
		if (np == NULL)
			crm_sbuf_oom();
		b->p = np;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void crm_sbuf_puts(crm_sbuf *b, const char *s) { crm_sbuf_put(b, s, strlen(s)); }

void crm_sbuf_putc(crm_sbuf *b, char c) { crm_sbuf_put(b, &c, 1); }

void crm_sbuf_pad(crm_sbuf *b, size_t n) {
	while (n-- > 0)
		crm_sbuf_putc(b, ' ');
}

void crm_sbuf_printf(crm_sbuf *b, const char *fmt, ...) {
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		crm_sbuf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void crm_sbuf_json_string(crm_sbuf *b, const char *s, size_t len) {
	size_t i = 0, n;
	uint32_t cp;

	crm_sbuf_putc(b, '"');
	while (i < len) {
		n = crm_textwidth_decode(s + i, len - i, &cp);
		if (n == 0) {
			crm_sbuf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			crm_sbuf_putc(b, '\\');
			crm_sbuf_putc(b, (char)cp);
		} else if (cp < 0x20) {
			crm_sbuf_printf(b, "\\u%04x", (unsigned)cp);
		} else {
			crm_sbuf_put(b, s + i, n);
		}
		i += n;
	}
	crm_sbuf_putc(b, '"');
}

void crm_sbuf_instant(crm_sbuf *b, int64_t us) {
	int64_t secs = us / 1000000, frac = us % 1000000;
	char tmp[64];
	struct tm tm;
	time_t t;

	if (frac < 0) { /* C division truncates: step back a second */
		frac += 1000000;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	crm_sbuf_printf(b, "%s.%06" PRId64 "Z", tmp, frac);
}

void crm_sbuf_fini(crm_sbuf *b) {
	free(b->p);
	memset(b, 0, sizeof(*b));
}
