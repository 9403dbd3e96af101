/*
 * filename: a file name from the server as one safe path component, the
 * same for `crm attach get` and crm-desktop's Open and Save As
 * (filename.h).
 */
#include "filename.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The code point of the UTF-8 sequence at s and its length, or 0 for
 * invalid UTF-8 (a stray continuation or C1 byte, an overlong form, a
 * surrogate, past U+10FFFF, cut short by the end). */
static size_t utf8_char(const unsigned char *s, uint32_t *cp) {
	unsigned char c = s[0];
	uint32_t v, min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, v = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, v = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xC0) != 0x80) /* the terminating NUL ends it too */
			return 0;
		v = v << 6 | (s[k] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* A character a file name must not carry: controls, separators and the
 * bidirectional controls that make a name display as another. */
static bool name_unsafe(uint32_t cp) {
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == '/' || cp == '\\' ||
	       cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

void crm_file_name_safe(const char *in, int64_t id, char *out, size_t size) {
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0, n; s[i] != '\0'; i += n) {
		uint32_t cp = 0;

		n = utf8_char(s + i, &cp);
		if (n == 0 || name_unsafe(cp) || (o == 0 && cp == '.')) {
			n = n ? n : 1;
			if (o + 1 >= size)
				break;
			out[o++] = '_';
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, s + i, n);
		o += n;
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, size, "attachment-%" PRId64, id);
}
