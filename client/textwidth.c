/*
 * textwidth: display width of UTF-8 text by grapheme cluster, on
 * libunistring's Unicode data (uniwidth.h, unigbrk.h). See textwidth.h.
 */
#include "textwidth.h"

#include <stdbool.h>
#include <string.h>
#include <unictype.h>
#include <unigbrk.h>
#include <uniwidth.h>

int crm_textwidth_cp(uint32_t cp) {
	int w;

	/* U+00AD: terminals draw the soft hyphen as a hyphen */
	if (cp == 0xAD)
		return 1;
	w = uc_width((ucs4_t)cp, "UTF-8");
	return w < 0 ? 0 : w > 2 ? 2 : w;
}

size_t crm_textwidth_decode(const char *str, size_t avail, uint32_t *out) {
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80) {
		*out = s[0];
		return 1;
	}
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (avail < n)
		return 0;
	cp = s[0] & (0x7F >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*out = cp;
	return n;
}

#define ZWJ_UTF8 "\xE2\x80\x8D" /* U+200D ZERO WIDTH JOINER */

static bool regional_indicator(uint32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

/* Columns of the cluster [s, s+len) of valid UTF-8. */
static size_t cluster_width(const char *s, size_t len) {
	uint32_t first = 0, cp = 0;
	size_t at, n;
	int w;

	at = crm_textwidth_decode(s, len, &first);
	if (at == 0) /* not valid UTF-8 after all: one column, as a bad byte */
		return 1;
	w = crm_textwidth_cp(first);
	for (; at < len; at += n) {
		n = crm_textwidth_decode(s + at, len - at, &cp);
		if (n == 0)
			break;
		if (cp == 0xFE0F || (regional_indicator(first) && regional_indicator(cp)))
			w = 2;
	}
	return (size_t)w;
}

/*
 * Rule GB11 of UAX #29, which libunistring 1.0 (Debian 12) does not apply:
 * a pictograph, marks, ZWJ, then a pictograph stay one cluster (U+1F469
 * U+200D U+1F4BC is one picture). [s, s+len) is the cluster found so far;
 * returns its length with the joined clusters that follow.
 */
static size_t join_zwj(const char *s, size_t avail, size_t len) {
	const uint8_t *u = (const uint8_t *)s, *end;
	uint32_t first = 0, next = 0;

	if (crm_textwidth_decode(s, avail, &first) == 0 ||
	    !uc_is_property_extended_pictographic(first))
		return len;
	while (len >= 3 && len < avail && memcmp(s + len - 3, ZWJ_UTF8, 3) == 0 &&
	       crm_textwidth_decode(s + len, avail - len, &next) > 0 &&
	       uc_is_property_extended_pictographic(next)) {
		end = u8_grapheme_next(u + len, u + avail);
		if (end == NULL || end <= u + len)
			break;
		len = (size_t)(end - u);
	}
	return len;
}

size_t crm_textwidth_next(const char *s, size_t avail, size_t *cols) {
	const uint8_t *u = (const uint8_t *)s, *end;
	size_t len, at, n;
	uint32_t cp;

	if (crm_textwidth_decode(s, avail, &cp) == 0) {
		*cols = 1;
		return 1;
	}
	/* libunistring reads an invalid byte as U+FFFD, which a following mark
	 * could join: the cluster ends before the first invalid byte */
	end = u8_grapheme_next(u, u + avail);
	len = end != NULL && end > u ? (size_t)(end - u) : avail;
	len = join_zwj(s, avail, len);
	for (at = 0; at < len; at += n)
		if ((n = crm_textwidth_decode(s + at, len - at, &cp)) == 0)
			break;
	*cols = cluster_width(s, at);
	return at;
}

size_t crm_textwidth(const char *s, size_t len) {
	size_t i = 0, cols = 0, w;

	while (i < len) {
		i += crm_textwidth_next(s + i, len - i, &w);
		cols += w;
	}
	return cols;
}
