/*
 * jsonmsg: protobuf-c messages to and from JSON, driven by the message
 * descriptors, so every record type crosses between crmd and PostgreSQL
 * through this one piece of code (docs/data.md, "The SQL crmd calls";
 * sql/0004_records.sql speaks the same form).
 *
 *   keys                 the proto field names, in field-number order
 *   set fields only      has_ flags, non-NULL messages/strings, repeated n > 0
 *   bytes, string        JSON string (bytes must be UTF-8 text: the wire
 *                        validator has checked every bytes field)
 *   integers             JSON integer; bool true/false
 *   enum                 the value's name in lower case without the enum's
 *                        prefix (RECORD_TYPE_ACCOUNT → "account");
 *                        decoding takes the short or the full name in any
 *                        case, or the number
 *   message              object; repeated → array; oneof → the set member
 *   field `meta`         a singular message field named meta (RecordMeta:
 *                        the fields every record type shares) is inlined:
 *                        its fields are keys of the enclosing object
 *                        ({"id":1,"version":2,"name":"Acme"}), which is the
 *                        form the SQL views write and the CLI prints;
 *                        decoding also takes a nested "meta" object
 *
 * Encoding is deterministic (compact, keys in field-number order): crmd
 * hashes encoded filters into list cursors. Decoding ignores unknown keys
 * and JSON null; anything else that does not fit the descriptor is
 * CRM_INTERNAL, since the JSON comes from our own SQL.
 *
 * Everything returned lives in the caller's arena. Any thread may call
 * these (jansson is thread-safe for separate values).
 */
#ifndef CRM_JSONMSG_H
#define CRM_JSONMSG_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "crm_status.h"

/* The message as compact JSON text, NUL-terminated, in the arena. NULL
 * only when a string or bytes field is not valid UTF-8. */
char *crm_jsonmsg_encode(crm_arena *a, const ProtobufCMessage *m);

/* A JSON array of the n messages ("[]" when n is 0); NULL as above. */
char *crm_jsonmsg_encode_array(crm_arena *a, ProtobufCMessage *const *ms, size_t n);

/*
 * Parses json (len bytes, need not be NUL-terminated) into a new message
 * of type d in *out. Every string, array and sub-message is allocated in
 * the arena, so the result needs no freeing. Malformed JSON or a value of
 * the wrong type is CRM_INTERNAL (the message names the field).
 */
bool crm_jsonmsg_decode(crm_arena *a, const ProtobufCMessageDescriptor *d, const char *json,
			size_t len, void **out, crm_err *err) CRM_MUSTCHECK;

/* An enum value's JSON name (lower case, prefix stripped) in the arena;
 * NULL for a value the enum does not have. */
const char *crm_jsonmsg_enum_name(crm_arena *a, const ProtobufCEnumDescriptor *ed, int value);

#endif
