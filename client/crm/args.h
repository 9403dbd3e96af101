/*
 * args: parsers for the values `crm` takes on its command line that are
 * more than a word: instants (RFC 3339, dates, "-7d"), calendar dates
 * with or without a year, money, yes/no, enum names (actions, scopes,
 * access levels, record enums), list filters (FIELD>=VALUE), KEY=VALUE
 * pairs, [KIND:]VALUE items, list cursors, TYPE/ID record names; and shell
 * quoting for the commands crm suggests.
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
 * A duration in whole minutes: 90 (minutes), or hours and minutes each
 * with its unit, hours first: 15m, 2h, 1h30m. At most 10^9 minutes; false
 * for anything else (a sign, a space, 1.5h, 30m1h).
 */
bool crm_args_minutes(const char *s, int64_t *out) __attribute__((warn_unused_result));

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
 * The prefix an enum's values carry: its name in UPPER_SNAKE and "_"
 * (AccountType -> "ACCOUNT_TYPE_", FilterOp -> "FILTER_OP_"), the
 * convention of the record enums in crm.proto. False if buf is too small.
 */
bool crm_args_enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t bufsz)
	__attribute__((warn_unused_result));

/*
 * A calendar date: YYYY-MM-DD, or MM-DD (also --MM-DD) for a date without
 * a year (*year = 0; 02-29 is valid then). The day is checked against the
 * month and, with a year, leap years: 2026-02-30 and 2026-02-29 are refused.
 */
bool crm_args_date(const char *s, unsigned *year, unsigned *month, unsigned *day)
	__attribute__((warn_unused_result));

/*
 * An amount of money, "AMOUNT" or "AMOUNT CURRENCY": AMOUNT is an optional
 * '-', digits and optionally a '.' with more digits ("1234.50"; "12,50",
 * "1e6" and "1,000" are refused); CURRENCY three ASCII letters, stored
 * upper-cased in currency ("" when absent). *amount_len is the length of
 * the amount at the start of s.
 */
bool crm_args_money(const char *s, size_t *amount_len, char currency[4])
	__attribute__((warn_unused_result));

/* yes/no (also true/false, y/n, on/off), any case. */
bool crm_args_yesno(const char *s, bool *out) __attribute__((warn_unused_result));

/*
 * KEY=VALUE: *key_len is the length of KEY (at least 1), *value points
 * after the first '='; VALUE may be empty. False without '=' or with an
 * empty KEY.
 */
bool crm_args_pair(const char *s, size_t *key_len, const char **value)
	__attribute__((warn_unused_result));

/*
 * [KIND:]VALUE, KIND one of kinds (a NULL-terminated list, matched without
 * case). Without a KIND prefix, *kind is NULL. *value is the rest of s.
 * False, with *why set, when KIND is not one of kinds ("unknown kind") or
 * VALUE is empty ("empty"). A ':' after other text (say "tel:" or a port)
 * is taken as a KIND too, so that a typo is reported, not stored.
 */
bool crm_args_typed(const char *s, const char *const *kinds, const char **kind,
		    size_t *kind_len, const char **value, const char **why)
	__attribute__((warn_unused_result));

/*
 * A list filter, FIELD OP VALUE with OP one of = != >= <= > < (the first
 * operator after FIELD, which is [a-z0-9_.]+). Returns the FilterOp
 * (crm.proto) or 0 when s is not a filter. FIELD= (no value) is
 * FILTER_OP_EMPTY, FIELD!= FILTER_OP_NOT_EMPTY; the other operators need a
 * value.
 */
int crm_args_filter(const char *s, size_t *field_len, const char **value);

/* True for a field name as filters and sorts take it: [a-z0-9_.]+,
 * starting with a letter. */
bool crm_args_field_name(const char *s, size_t len);

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
