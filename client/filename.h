/*
 * filename: names that come from the server, made safe to use as a file
 * name on this machine. Pure functions; safe from any thread.
 */
#ifndef CRM_FILENAME_H
#define CRM_FILENAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * A file name from the server (an attachment's) as one safe path
 * component in out (size bytes, at least 32): the UTF-8 characters of `in`
 * kept, but '_' for each byte of invalid UTF-8 (raw C1 bytes 0x80-0x9F,
 * overlong forms, surrogates, truncated sequences), each control
 * character (C0, DEL, C1 U+0080-U+009F), each bidirectional control
 * (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069), '/' and '\',
 * and a leading '.' (never ".", ".." nor a hidden file); cut at a
 * character's start to fit; "attachment-ID" (id) when nothing is left.
 */
void crm_file_name_safe(const char *in, int64_t id, char *out, size_t size);

#endif
