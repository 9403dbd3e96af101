/*
 * textwidth: how many terminal columns a UTF-8 string takes, without
 * asking the C library or the locale (a `crm` run from cron under LANG=C
 * must align a Chinese name exactly as one run from a desktop terminal).
 *
 * East Asian Wide and Fullwidth characters take two columns, combining
 * marks, variation selectors and zero-width format characters none,
 * everything else one. Bytes that are not valid UTF-8 count one column
 * each (the table renderer prints them as U+FFFD, which is one column).
 *
 * Pure functions; safe from any thread.
 */
#ifndef CRM_TEXTWIDTH_H
#define CRM_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Columns taken by one code point: 0, 1 or 2. C0/C1 controls give 0. */
int crm_textwidth_cp(uint32_t cp);

/*
 * Decodes the UTF-8 sequence at s (avail bytes). Returns its length and
 * stores the code point, or returns 0 when the bytes are not valid UTF-8
 * (overlong, surrogate, truncated, above U+10FFFF).
 */
size_t crm_textwidth_decode(const char *s, size_t avail, uint32_t *cp);

/* Columns taken by [s, s+len). */
size_t crm_textwidth(const char *s, size_t len);

#endif
