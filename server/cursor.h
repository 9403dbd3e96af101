/*
 * cursor: opaque, signed cursors for keyset pagination. A cursor carries
 * the last row's sort key (text chosen by the list's handler), the user it
 * was issued to, a hash of the list's filters and sort, and an expiry, and
 * is signed with HMAC-SHA256 under a key every crmd instance loads from
 * crm_meta.settings, so any instance accepts any instance's cursor. A
 * tampered, expired, foreign (other user) or mismatched (other filters)
 * cursor is INVALID_ARGUMENT on the cursor field.
 */
#ifndef CRM_CURSOR_H
#define CRM_CURSOR_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "crm_status.h"

#define CRM_CURSOR_TTL_S (24 * 3600)
#define CRM_CURSOR_KEY_MAX 1800

/* Sets the signing key (start-up, before any worker runs). */
bool crm_cursor_set_key(const char *hex, crm_err *err) CRM_MUSTCHECK;

/* A cursor for the page after the row whose sort key is `key`. */
ProtobufCBinaryData crm_cursor_make(crm_arena *a, int64_t user_id, const char *filters,
				    const char *key);

/* Checks a cursor and returns its key (arena string) in *key. */
bool crm_cursor_read(crm_arena *a, const ProtobufCBinaryData *in, int64_t user_id,
		     const char *filters, const char *field, const char **key,
		     crm_err *err) CRM_MUSTCHECK;

#endif
