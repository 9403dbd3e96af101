/*
 * args: parsers for the values `crm` takes on its command line that are
 * more than a word: instants (RFC 3339, dates, "-7d"), enum names
 * (actions, scopes, access levels), list cursors, TYPE/ID record names;
 * and shell quoting for the commands crm suggests.
 *
 * Pure functions, no I/O except crm_args_shell_quote; unit-tested in
 * tests/client/test_args.c.
 */
#ifndef CRM_CLI_ARGS_H
#define CRM_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/*
 * An instant as microseconds since the epoch, UTC:
 *   2026-11-22T10:00:00Z, 2026-11-22T10:00:00.25+01:00 (RFC 3339; 't',
 *     'z' and a space for 'T' allowed, fractions up to nanoseconds),
 *   2026-11-22 (midnight UTC),
 *   -90s, -30m, -1h, -7d, -2w (that long before now_us), now.
 * False for anything else or an impossible date.
 */
bool crm_args_time(const char *s, int64_t now_us, int64_t *out) __attribute__((warn_unused_result));

/*
 * Enum values by their lower-case names without `prefix` (Action READ is
 * "read"; Access ACCESS_EDIT with prefix "ACCESS_" is "edit"). The
 * *_UNSPECIFIED value has no name here. Matching ignores case.
 */
bool crm_args_enum(const ProtobufCEnumDescriptor *d, const char *prefix, const char *s, int *out)
	__attribute__((warn_unused_result));
/* The lower-case name of v into buf; "unknown(N)" for a value d lacks. */
const char *crm_args_enum_name(const ProtobufCEnumDescriptor *d, const char *prefix, int v,
			       char *buf, size_t bufsz);
/* "read, create, update, ..." into buf, for usage errors. */
const char *crm_args_enum_list(const ProtobufCEnumDescriptor *d, const char *prefix, char *buf,
			       size_t bufsz);

/*
 * Cursors are opaque bytes from the server. Shown as they are when every
 * byte is one of A-Z a-z 0-9 - _ . ~ + / =, else as "hex:" and hex digits
 * (':' never appears in the plain form, so the two cannot be confused).
 * Both return malloc'd memory, NULL when out of memory or (decode) for a
 * malformed hex form.
 */
char *crm_args_cursor_encode(const uint8_t *p, size_t len);
uint8_t *crm_args_cursor_decode(const char *s, size_t *len);

/* "TYPE/ID" or "TYPE": *type points into s (the '/' is not part of it:
 * *type_len says its length); *id is 0 without an id. */
bool crm_args_record(const char *s, const char **type, size_t *type_len, int64_t *id)
	__attribute__((warn_unused_result));

/* Writes s so that a POSIX shell reads it back as one word. */
void crm_args_shell_quote(const char *s, FILE *out);

#endif
