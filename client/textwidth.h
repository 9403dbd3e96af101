/*
 * textwidth: how many terminal columns a UTF-8 string takes, measured the
 * same way by `crm` and crm-desktop, without asking the C library or the
 * locale (a `crm` run from cron under LANG=C must align a Chinese name
 * exactly as one run from a desktop terminal).
 *
 * Text is measured by grapheme cluster (UAX #29, libunistring's
 * u8_grapheme_next), which is what a terminal draws in one cell or two:
 * a cluster takes the width of its first code point (uc_width: East Asian
 * Wide and Fullwidth two, combining marks, variation selectors and
 * zero-width format characters none, everything else one), or two when it
 * asks for emoji presentation (U+FE0F) or is a flag (two regional
 * indicators). So an emoji ZWJ sequence such as U+1F469 U+200D U+1F4BC
 * takes two columns, not four, and "e" with a combining acute one. Bytes
 * that are not valid UTF-8 count one column each (the table renderer
 * prints them as U+FFFD, which is one column) and are never part of a
 * cluster.
 *
 * Pure functions; safe from any thread.
 */
#ifndef CRM_TEXTWIDTH_H
#define CRM_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Columns taken by one code point on its own: 0, 1 or 2. C0/C1 controls
 * give 0. */
int crm_textwidth_cp(uint32_t cp);

/*
 * Decodes the UTF-8 sequence at s (avail bytes). Returns its length and
 * stores the code point, or returns 0 when the bytes are not valid UTF-8
 * (overlong, surrogate, truncated, above U+10FFFF).
 */
size_t crm_textwidth_decode(const char *s, size_t avail, uint32_t *cp);

/*
 * The grapheme cluster at s (avail > 0 bytes): returns its length in bytes
 * (1 for an invalid byte) and stores its columns in *cols. Cutting text
 * only where this says keeps clusters whole.
 */
size_t crm_textwidth_next(const char *s, size_t avail, size_t *cols);

/* Columns taken by [s, s+len). */
size_t crm_textwidth(const char *s, size_t len);

#endif
