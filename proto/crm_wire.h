/*
 * crm_wire: what both ends of the protocol share besides the generated
 * message code: the protocol version, limits, the frame header, the
 * validators that every decoded ClientFrame goes through, and helpers to
 * build a Response.
 *
 * Everything here is pure: no I/O, no allocation except where a function
 * says so. Safe to call from any thread.
 */
#ifndef CRM_WIRE_H
#define CRM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crm.pb-c.h"
#include "crm_status.h"

#define CRM_PROTO_MAJOR 1
#define CRM_PROTO_MINOR 0

#define CRM_FRAME_HEADER 4

/* Hard ceilings; the server's configured limits must lie within them. */
#define CRM_FRAME_MAX_CEILING (64u * 1024 * 1024)
#define CRM_FRAME_MIN_FLOOR 1024u

/* Field limits checked by crm_wire_validate. */
#define CRM_CLIENT_NAME_MAX 64
#define CRM_IDEMPOTENCY_KEY_MAX 64
#define CRM_PING_PAYLOAD_MAX 1024
#define CRM_SLEEP_MS_MAX 60000
#define CRM_TEXT_MAX (1024 * 1024) /* any bytes field without its own limit */
#define CRM_PAGE_DEFAULT 50
#define CRM_PAGE_MAX 500
#define CRM_CURSOR_MAX 2048
#define CRM_REPEATED_MAX 200 /* values of any repeated field */
#define CRM_FRAME_FIELDS_MAX 10000 /* field occurrences in one frame, all levels */
#define CRM_NESTING_MAX 16 /* sub-message depth in one frame */
/* Fields per message whose occurrences the pre-scan counts one by one; a
 * unit test checks that every client message has no more. */
#define CRM_SCAN_FIELDS_COUNTED 128

/* Writes the 4-byte big-endian length of a frame. */
static inline void crm_frame_put_len(uint8_t *out, uint32_t len) {
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
}

static inline uint32_t crm_frame_get_len(const uint8_t *in) {
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | (uint32_t)in[3];
}

/*
 * Checks that [s, s+len) is text a user may store: valid UTF-8 (no
 * overlongs, no surrogates, nothing past U+10FFFF), no NUL and no C0
 * control character other than tab and newline, and min..max bytes long.
 */
bool crm_text_check(const uint8_t *s, size_t len, size_t min, size_t max, const char *field,
		    crm_err *err) CRM_MUSTCHECK;

/*
 * Walks any decoded message: every enum field must hold a value its enum
 * declares, every bytes field must pass crm_text_check (up to
 * CRM_TEXT_MAX), recursively. The error names the field's dotted path
 * below `prefix` (which may be NULL).
 */
bool crm_wire_check_message(const ProtobufCMessage *msg, const char *prefix, crm_err *err)
	CRM_MUSTCHECK;

/*
 * Walks the wire bytes of a message of type `d` without decoding them, so
 * that a frame which would cost much to unpack is refused first: linear in
 * len, no allocation, and it stops at the first count over a limit. It
 * refuses, with INVALID_ARGUMENT:
 *  - a field that occurs more than CRM_REPEATED_MAX times in one message
 *    (for a repeated field: more values, packed ones counted one by one),
 *    naming the field's dotted path as crm_wire_validate would;
 *  - more than CRM_FRAME_FIELDS_MAX field occurrences in all, known or
 *    not, at every level (field "frame");
 *  - sub-messages nested deeper than CRM_NESTING_MAX;
 *  - bytes that are not a well-formed message (a truncated varint or
 *    length, a length past the end, a group or unknown wire type): field
 *    "frame", with *malformed set. protobuf-c refuses all of these too.
 * Passing says nothing about validity: unpack and validate as usual.
 */
bool crm_wire_prescan(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		      bool *malformed, crm_err *err) CRM_MUSTCHECK;

/* The value of a ClientFrame's id (field 1) read from its wire bytes, or 0
 * when the top level has none: to answer a frame refused before decoding. */
uint64_t crm_wire_peek_id(const uint8_t *buf, size_t len);

/*
 * Validates a decoded ClientFrame completely: the generic walk above, then
 * each request's own rules. A frame whose request is unset but that carries
 * unknown fields is UNIMPLEMENTED (a request type this server does not
 * know); unset and nothing unknown is INVALID_ARGUMENT on "request".
 */
bool crm_wire_validate(const Crm__ClientFrame *frame, crm_err *err) CRM_MUSTCHECK;

/* Name of the request type for logs, e.g. "ping"; "unknown" when unset. */
/* Fills st's message, field, message_id and args from err (code not
 * touched). st points into err and argv (CRM_ERR_ARGS_MAX slots), which
 * must outlive st's packing. */
void crm_wire_status_set(Crm__Status *st, const crm_err *err, char **argv);

/* The message id and arguments of a received status, attached to err
 * (crm_err_attach_id); a status without an id leaves err as it is. */
void crm_wire_status_ids(const Crm__Status *st, crm_err *err);

const char *crm_wire_request_name(const Crm__ClientFrame *frame);

/* True for requests that change data and so may carry an idempotency key. */
bool crm_wire_request_mutates(const Crm__ClientFrame *frame);

/* Microseconds since the epoch, UTC, from the real-time clock. */
int64_t crm_now_us(void);

#endif
