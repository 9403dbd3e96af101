/* crm_wire: text and message validation shared by server and clients. */
#include "crm_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the UTF-8 sequence starting at s[0], 0 if it is invalid. */
static size_t utf8_seq(const uint8_t *s, size_t avail) {
	uint8_t c = s[0];
	uint32_t cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2) /* continuation byte or overlong 2-byte lead */
		return 0;
	if (c < 0xE0) {
		n = 2;
		cp = c & 0x1F;
	} else if (c < 0xF0) {
		n = 3;
		cp = c & 0x0F;
	} else if (c < 0xF5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool crm_text_check(const uint8_t *s, size_t len, size_t min, size_t max, const char *field,
		    crm_err *err) {
	size_t i = 0, n;

	if (len < min)
		return min == 1 ? crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "wire.empty", NULL)
				: crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "wire.too_short",
						CRM_NUM(min), NULL);
	if (len > max)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "wire.too_long", CRM_NUM(max),
				     NULL);
	while (i < len) {
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n')
			return crm_err_setid(err, CRM_INVALID_ARGUMENT, field,
					     s[i] == 0 ? "wire.nul_byte" : "wire.control_char",
					     CRM_NUM(i), NULL);
		n = utf8_seq(s + i, len - i);
		if (n == 0)
			return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "wire.bad_utf8",
					     CRM_NUM(i), NULL);
		i += n;
	}
	return true;
}

/* Where the scan is: a chain of field names, formatted only for an error. */
typedef struct scan_path {
	const struct scan_path *up;
	const char *name;
} scan_path;

static void path_write(const scan_path *at, char *out, size_t size) {
	size_t n;

	if (at == NULL) {
		out[0] = '\0';
		return;
	}
	path_write(at->up, out, size);
	if (at->name != NULL && strcmp(at->name, "meta") == 0)
		return; /* a record's shared fields are named as its own */
	n = strlen(out);
	if (n + 1 < size)
		snprintf(out + n, size - n, "%s%s", n ? "." : "", at->name);
}

static bool check_msg(const ProtobufCMessage *msg, const scan_path *at, crm_err *err);

/* The bytes fields that carry binary data, not text: a file's chunks.
 * Every other bytes field is text a user typed and is checked as such. */
static bool binary_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *fd) {
	return (d == &crm__attach_chunk__descriptor &&
		fd->id == 3 /* AttachChunk.data */) ||
	       (d == &crm__attach_read_reply__descriptor && fd->id == 3 /* AttachReadReply.data */);
}

/* Checks one field of a decoded message. Its path is formatted only for an
 * error: a ClientFrame has a field per request, and all but one are absent. */
static bool check_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
			const scan_path *at, crm_err *err) {
	const char *base = (const char *)msg;
	char path[CRM_ERR_FIELD_MAX];
	size_t count = 1, i;
	const void *vals;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		count = *(const size_t *)(base + fd->quantifier_offset);
		vals = *(void *const *)(base + fd->offset);
		if (count > CRM_REPEATED_MAX) {
			path_write(at, path, sizeof(path));
			return crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.too_many_values",
					     CRM_NUM(count), CRM_NUM(CRM_REPEATED_MAX), NULL);
		}
	} else {
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				return true;
		} else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset &&
			   fd->type != PROTOBUF_C_TYPE_MESSAGE && fd->type != PROTOBUF_C_TYPE_STRING) {
			if (!*(const protobuf_c_boolean *)(base + fd->quantifier_offset))
				return true;
		}
		vals = base + fd->offset;
	}
	for (i = 0; i < count; i++) {
		switch (fd->type) {
		case PROTOBUF_C_TYPE_ENUM: {
			int v = ((const int *)vals)[i];
			if (protobuf_c_enum_descriptor_get_value(fd->descriptor, v) == NULL) {
				path_write(at, path, sizeof(path));
				return crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.unknown_enum",
						     CRM_NUM(v), NULL);
			}
			break;
		}
		case PROTOBUF_C_TYPE_BYTES: {
			const ProtobufCBinaryData *b = &((const ProtobufCBinaryData *)vals)[i];
			if (binary_field(msg->descriptor, fd))
				break;
			if (!crm_text_check(b->data, b->len, 0, CRM_TEXT_MAX, NULL, NULL)) {
				/* again, naming the field (the check is deterministic) */
				path_write(at, path, sizeof(path));
				return crm_text_check(b->data, b->len, 0, CRM_TEXT_MAX, path, err);
			}
			break;
		}
		case PROTOBUF_C_TYPE_MESSAGE: {
			const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)vals)[i];
			if (sub && !check_msg(sub, at, err))
				return false;
			break;
		}
		default:
			break;
		}
	}
	return true;
}

static bool check_msg(const ProtobufCMessage *msg, const scan_path *at, crm_err *err) {
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		/* a record's shared fields (meta) are named as its own
		 * (account.tags), as in the JSON (server/jsonmsg.h) and the
		 * SQL's errors: path_write skips "meta" */
		scan_path here = {at, d->fields[i].name};
		if (!check_field(msg, &d->fields[i], &here, err))
			return false;
	}
	return true;
}

bool crm_wire_check_message(const ProtobufCMessage *msg, const char *prefix, crm_err *err) {
	scan_path top = {NULL, prefix};

	return check_msg(msg, prefix && prefix[0] ? &top : NULL, err);
}

/* ---- pre-scan of the wire bytes (before protobuf-c unpacks them) */

typedef struct scan_state {
	const ProtobufCMessageDescriptor *top;
	size_t fields; /* occurrences so far, whole frame */
	bool *malformed;
	crm_err *err;
} scan_state;

/* A varint of at most 10 bytes at p[*pos]; false if truncated or longer. */
static bool read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out) {
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
		uint8_t b = p[(*pos)++];
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static bool malformed(scan_state *s, const scan_path *at, const char *why) {
	char path[CRM_ERR_FIELD_MAX];

	path_write(at, path, sizeof(path));
	*s->malformed = true;
	return crm_err_setid(s->err, CRM_INVALID_ARGUMENT, "frame", "wire.malformed",
			     s->top->short_name, why, path[0] ? path : s->top->short_name, NULL);
}

/* Skips one value of wire type `wt` at p[*pos]; its bytes are [*start, *pos). */
static bool skip_value(const uint8_t *p, size_t len, size_t *pos, unsigned wt, size_t *start) {
	uint64_t n;

	if (wt == 0)
		return read_varint(p, len, pos, &n);
	if (wt == 1 || wt == 5) {
		n = wt == 1 ? 8 : 4;
	} else if (wt != 2 || !read_varint(p, len, pos, &n)) {
		return false; /* groups (3, 4) and 6, 7 are not protobuf-c's */
	}
	if (n > len - *pos)
		return false;
	*start = *pos;
	*pos += (size_t)n;
	return true;
}

/* Values in a packed run of a repeated scalar field. */
static size_t packed_count(const ProtobufCFieldDescriptor *fd, const uint8_t *p, size_t n) {
	size_t count = 0;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return n / 8;
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return n / 4;
	default:
		for (size_t i = 0; i < n; i++)
			count += !(p[i] & 0x80); /* one varint ends per byte without bit 7 */
		return count;
	}
}

static bool scan_message(scan_state *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			 size_t len, const scan_path *at, int depth);

/* Counts one occurrence of field `fd` (NULL: unknown) carrying [p, p+n). */
static bool scan_field(scan_state *s, const ProtobufCMessageDescriptor *d,
		       const ProtobufCFieldDescriptor *fd, unsigned wt, const uint8_t *p, size_t n,
		       uint32_t *counts, const scan_path *at, int depth) {
	size_t idx, values = 1;
	char path[CRM_ERR_FIELD_MAX];
	scan_path here = {at, NULL};

	if (++s->fields > CRM_FRAME_FIELDS_MAX)
		return crm_err_setid(s->err, CRM_INVALID_ARGUMENT, "frame", "wire.too_many_fields",
				     CRM_NUM(CRM_FRAME_FIELDS_MAX), CRM_NUM(CRM_FRAME_FIELDS_MAX), NULL);
	if (fd == NULL)
		return true;
	idx = (size_t)(fd - d->fields);
	here.name = fd->name;
	if (wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
	    fd->type != PROTOBUF_C_TYPE_BYTES && fd->type != PROTOBUF_C_TYPE_STRING)
		values = packed_count(fd, p, n);
	if (idx < CRM_SCAN_FIELDS_COUNTED && (counts[idx] += (uint32_t)values) > CRM_REPEATED_MAX) {
		path_write(&here, path, sizeof(path));
		return crm_err_setid(s->err, CRM_INVALID_ARGUMENT, path,
				     fd->label == PROTOBUF_C_LABEL_REPEATED ? "wire.repeated_over"
									    : "wire.occurs_over",
				     CRM_NUM(CRM_REPEATED_MAX), CRM_NUM(CRM_REPEATED_MAX), NULL);
	}
	if (wt != 2 || fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return true;
	if (depth >= CRM_NESTING_MAX) {
		path_write(&here, path, sizeof(path));
		return crm_err_setid(s->err, CRM_INVALID_ARGUMENT, path, "wire.nesting",
				     CRM_NUM(CRM_NESTING_MAX), NULL);
	}
	return scan_message(s, fd->descriptor, p, n, &here, depth + 1);
}

static bool scan_message(scan_state *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			 size_t len, const scan_path *at, int depth) {
	uint32_t counts[CRM_SCAN_FIELDS_COUNTED];
	size_t pos = 0, start = 0;
	uint64_t key;

	memset(counts, 0, sizeof(counts[0]) * (d->n_fields < CRM_SCAN_FIELDS_COUNTED
						       ? d->n_fields
						       : CRM_SCAN_FIELDS_COUNTED));
	while (pos < len) {
		const ProtobufCFieldDescriptor *fd;
		unsigned wt;

		if (!read_varint(p, len, &pos, &key))
			return malformed(s, at, "bad field key");
		wt = (unsigned)(key & 7);
		start = pos;
		if (!skip_value(p, len, &pos, wt, &start))
			return malformed(s, at, "bad field value");
		fd = key >> 3 <= UINT32_MAX
			     ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
			     : NULL;
		if (!scan_field(s, d, fd, wt, p + start, pos - start, counts, at, depth))
			return false;
	}
	return true;
}

bool crm_wire_prescan(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		      bool *is_malformed, crm_err *err) {
	scan_state s = {d, 0, is_malformed, err};

	*is_malformed = false;
	return scan_message(&s, d, buf, len, NULL, 0);
}

uint64_t crm_wire_peek_id(const uint8_t *buf, size_t len) {
	size_t pos = 0, start = 0;
	uint64_t key, id = 0, v;

	while (pos < len && read_varint(buf, len, &pos, &key)) {
		if (key == (1 << 3 | 0)) { /* id, varint */
			if (!read_varint(buf, len, &pos, &v))
				break;
			id = v;
		} else if (!skip_value(buf, len, &pos, (unsigned)(key & 7), &start)) {
			break;
		}
	}
	return id;
}

static bool validate_hello(const Crm__Hello *h, crm_err *err) {
	if (h->protocol == NULL || !h->protocol->has_major)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "hello.protocol.major", "wire.required",
				     NULL);
	if (!h->has_client_name)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "hello.client_name", "wire.required",
				     NULL);
	return crm_text_check(h->client_name.data, h->client_name.len, 1, CRM_CLIENT_NAME_MAX,
			      "hello.client_name", err);
}

/*
 * Per-request field rules: which fields must be present and how long they
 * may be. Text fields (bytes) are measured in bytes; integer ids must be
 * positive. Anything not listed is optional and bounded by the generic walk.
 */
typedef struct {
	Crm__ClientFrame__RequestCase request;
	const char *field;
	bool required;
	uint32_t min, max; /* bytes for text; for uint32 the allowed range */
} field_rule;

#define REQ(c) CRM__CLIENT_FRAME__REQUEST_##c
#define NAME_MAX_ 64
#define TEXT_MAX_ 256
#define PASSWORD_MAX 1024

static const field_rule rules[] = {
	{REQ(PING), "payload", false, 0, CRM_PING_PAYLOAD_MAX},
	{REQ(SLEEP), "ms", false, 0, CRM_SLEEP_MS_MAX},
	{REQ(LOGIN), "username", true, 1, NAME_MAX_},
	{REQ(LOGIN), "password", true, 1, PASSWORD_MAX},
	{REQ(RESUME), "token", true, 1, 128},
	{REQ(PASSWORD_CHANGE), "old_password", true, 1, PASSWORD_MAX},
	{REQ(PASSWORD_CHANGE), "new_password", true, 1, PASSWORD_MAX},
	{REQ(USER_CREATE), "username", true, 1, NAME_MAX_},
	{REQ(USER_CREATE), "display_name", false, 1, TEXT_MAX_},
	{REQ(USER_CREATE), "email", false, 0, TEXT_MAX_},
	{REQ(USER_CREATE), "time_zone", false, 1, NAME_MAX_},
	{REQ(USER_CREATE), "locale", false, 1, 35},
	{REQ(USER_CREATE), "role", true, 1, NAME_MAX_},
	{REQ(USER_CREATE), "team", false, 1, TEXT_MAX_},
	{REQ(USER_CREATE), "password", false, 1, PASSWORD_MAX},
	{REQ(USER_GET), "username", true, 1, NAME_MAX_},
	{REQ(USER_LIST), "team", false, 1, TEXT_MAX_},
	{REQ(USER_LIST), "role", false, 1, NAME_MAX_},
	{REQ(USER_UPDATE), "username", true, 1, NAME_MAX_},
	{REQ(USER_UPDATE), "display_name", false, 1, TEXT_MAX_},
	{REQ(USER_UPDATE), "email", false, 0, TEXT_MAX_},
	{REQ(USER_UPDATE), "time_zone", false, 1, NAME_MAX_},
	{REQ(USER_UPDATE), "locale", false, 1, 35},
	{REQ(USER_UPDATE), "role", false, 1, NAME_MAX_},
	{REQ(USER_UPDATE), "team", false, 1, TEXT_MAX_},
	{REQ(USER_SET_ACTIVE), "username", true, 1, NAME_MAX_},
	{REQ(USER_SET_ACTIVE), "active", true, 0, 0},
	{REQ(USER_RESET_PASSWORD), "username", true, 1, NAME_MAX_},
	{REQ(USER_RESET_PASSWORD), "new_password", true, 1, PASSWORD_MAX},
	{REQ(TEAM_CREATE), "name", true, 1, TEXT_MAX_},
	{REQ(TEAM_CREATE), "parent", false, 1, TEXT_MAX_},
	{REQ(TEAM_GET), "name", true, 1, TEXT_MAX_},
	{REQ(TEAM_UPDATE), "name", true, 1, TEXT_MAX_},
	{REQ(TEAM_UPDATE), "new_name", false, 1, TEXT_MAX_},
	{REQ(TEAM_UPDATE), "parent", false, 1, TEXT_MAX_},
	{REQ(ROLE_GET), "name", true, 1, NAME_MAX_},
	{REQ(PERMISSION_LIST), "role", false, 1, NAME_MAX_},
	{REQ(PERMISSION_LIST), "record_type", false, 1, NAME_MAX_},
	{REQ(PERMISSION_SET), "role", true, 1, NAME_MAX_},
	{REQ(PERMISSION_SET), "record_type", true, 1, NAME_MAX_},
	{REQ(PERMISSION_SET), "action", true, 0, 0},
	{REQ(PERMISSION_SET), "scope", true, 0, 0},
	{REQ(SESSION_LIST), "username", false, 1, NAME_MAX_},
	{REQ(SESSION_REVOKE), "session_id", true, 0, 0},
	{REQ(AUDIT_LIST), "record_type", false, 1, NAME_MAX_},
	{REQ(AUDIT_LIST), "record_id", false, 0, 0},
	{REQ(AUDIT_LIST), "username", false, 1, NAME_MAX_},
	{REQ(RECORD_SHARE), "type", true, 0, 0},
	{REQ(RECORD_SHARE), "id", true, 0, 0},
	{REQ(RECORD_SHARE), "user", false, 1, NAME_MAX_},
	{REQ(RECORD_SHARE), "team", false, 1, TEXT_MAX_},
	{REQ(SHARE_LIST), "type", true, 0, 0},
	{REQ(SHARE_LIST), "id", true, 0, 0},
	{REQ(WATCH_ADD), "type", true, 0, 0},
	{REQ(WATCH_ADD), "id", true, 0, 0},
	{REQ(WATCH_REMOVE), "type", true, 0, 0},
	{REQ(WATCH_REMOVE), "id", true, 0, 0},
	{REQ(ATTACH_BEGIN), "type", true, 0, 0},
	{REQ(ATTACH_BEGIN), "id", true, 0, 0},
	{REQ(ATTACH_BEGIN), "name", true, 1, 1024}, /* SQL: 1..255 characters */
	{REQ(ATTACH_BEGIN), "content_type", true, 1, 255},
	/* size: 0 is a size (SQL checks it) */
	{REQ(ATTACH_BEGIN), "sha256", true, 64, 64},
	{REQ(ATTACH_CHUNK), "attachment_id", true, 0, 0},
	{REQ(ATTACH_CHUNK), "index", true, 0, INT32_MAX}, /* SQL: integer */
	{REQ(ATTACH_CHUNK), "data", true, 0, 0}, /* binary: bounded by the frame */
	{REQ(ATTACH_CHUNK), "sha256", true, 64, 64},
	{REQ(ATTACH_COMMIT), "attachment_id", true, 0, 0},
	{REQ(ATTACH_ABORT), "attachment_id", true, 0, 0},
	{REQ(ATTACH_LIST), "type", true, 0, 0},
	{REQ(ATTACH_LIST), "id", true, 0, 0},
	{REQ(ATTACH_READ), "attachment_id", true, 0, 0},
	{REQ(ATTACH_READ), "index", true, 0, INT32_MAX}, /* SQL: integer */
	{REQ(ATTACH_DELETE), "attachment_id", true, 0, 0},
	{REQ(TIMELINE_LIST), "type", true, 0, 0},
	{REQ(TIMELINE_LIST), "id", true, 0, 0},
	{REQ(RECORD_CREATE), "record", true, 0, 0},
	{REQ(RECORD_GET), "type", true, 0, 0},
	{REQ(RECORD_GET), "id", true, 0, 0},
	{REQ(RECORD_UPDATE), "id", true, 0, 0},
	{REQ(RECORD_UPDATE), "version", false, 0, 0}, /* SQL: required unless list edits only */
	{REQ(RECORD_UPDATE), "changes", true, 0, 0},
	{REQ(RECORD_LIST), "type", true, 0, 0},
	{REQ(RECORD_DELETE), "type", true, 0, 0},
	{REQ(RECORD_DELETE), "id", true, 0, 0},
	{REQ(RECORD_RESTORE), "type", true, 0, 0},
	{REQ(RECORD_RESTORE), "id", true, 0, 0},
	{REQ(RECORD_PURGE), "type", true, 0, 0},
	{REQ(RECORD_PURGE), "id", true, 0, 0},
	{REQ(RECORD_REASSIGN), "type", true, 0, 0},
	{REQ(RECORD_REASSIGN), "id", true, 0, 0},
	{REQ(RECORD_REASSIGN), "owner", true, 1, NAME_MAX_},
	{REQ(RECORD_REASSIGN), "team", false, 1, TEXT_MAX_},
	{REQ(RELATION_ADD), "from_id", true, 0, 0},
	{REQ(RELATION_ADD), "to_id", true, 0, 0},
	{REQ(RELATION_ADD), "role", true, 1, NAME_MAX_},
	{REQ(RELATION_LIST), "record_id", true, 0, 0},
	{REQ(RELATION_REMOVE), "relation_id", true, 0, 0},
	{REQ(FIELD_ADD), "field", true, 0, 0},
	{REQ(FIELD_LIST), "record_type", true, 0, 0},
	{REQ(FIELD_REMOVE), "record_type", true, 0, 0},
	{REQ(FIELD_REMOVE), "name", true, 1, NAME_MAX_},
	{REQ(PICKLIST_ADD), "name", true, 1, NAME_MAX_},
	{REQ(PICKLIST_ADD), "value", true, 1, TEXT_MAX_},
	{REQ(PICKLIST_ADD), "label", false, 1, TEXT_MAX_},
	{REQ(PICKLIST_LIST), "name", false, 1, NAME_MAX_},
	{REQ(PICKLIST_REMOVE), "name", true, 1, NAME_MAX_},
	{REQ(PICKLIST_REMOVE), "value", true, 1, TEXT_MAX_},
	{REQ(PICKLIST_MOVE), "name", true, 1, NAME_MAX_},
	{REQ(PICKLIST_MOVE), "value", true, 1, TEXT_MAX_},
	{REQ(PICKLIST_MOVE), "before", false, 1, TEXT_MAX_},
	{REQ(PICKLIST_MOVE), "after", false, 1, TEXT_MAX_},
	{REQ(TEAM_DELETE), "name", true, 1, TEXT_MAX_},
};

/* The request's sub-message, or NULL when the oneof is unset. */
static const ProtobufCMessage *request_message(const Crm__ClientFrame *f,
					       const ProtobufCFieldDescriptor **fd_out) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field(&crm__client_frame__descriptor,
							(unsigned)f->request_case);
	if (fd == NULL)
		return NULL;
	*fd_out = fd;
	return *(const ProtobufCMessage *const *)((const char *)f + fd->offset);
}

static bool check_rule(const ProtobufCMessage *m, const char *req_name, const field_rule *r,
		       crm_err *err) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, r->field);
	const char *base = (const char *)m;
	char path[CRM_ERR_FIELD_MAX];
	bool present;

	snprintf(path, sizeof(path), "%s.%s", req_name, r->field);
	if (fd == NULL)
		return crm_err_setid(err, CRM_INTERNAL, path, "internal.validator", NULL);
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
		present = *(const void *const *)(base + fd->offset) != NULL;
	else
		present = fd->quantifier_offset == 0 ||
			  *(const protobuf_c_boolean *)(base + fd->quantifier_offset);
	if (!present)
		return r->required ? crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.required", NULL)
				   : true;
	if (binary_field(m->descriptor, fd))
		return true; /* present is all a rule asks of binary data */
	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = (const ProtobufCBinaryData *)(base + fd->offset);
		return crm_text_check(b->data, b->len, r->min, r->max, path, err);
	}
	case PROTOBUF_C_TYPE_INT64: {
		int64_t v = *(const int64_t *)(base + fd->offset);
		return v > 0 || crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.positive_id", NULL);
	}
	case PROTOBUF_C_TYPE_UINT32: {
		uint32_t v = *(const uint32_t *)(base + fd->offset);
		return (v >= r->min && v <= r->max) ||
		       crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.range", CRM_NUM(r->min),
				     CRM_NUM(r->max), NULL);
	}
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)(base + fd->offset);
		return v != 0 || crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.must_be_set", NULL);
	}
	default:
		return true;
	}
}

static bool validate_page(const ProtobufCMessage *m, const char *req_name, crm_err *err) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "page");
	const Crm__ListPage *page;
	char path[CRM_ERR_FIELD_MAX];

	if (fd == NULL)
		return true;
	page = *(const Crm__ListPage *const *)((const char *)m + fd->offset);
	if (page == NULL)
		return true;
	snprintf(path, sizeof(path), "%s.page.limit", req_name);
	if (page->has_limit && (page->limit < 1 || page->limit > CRM_PAGE_MAX))
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "wire.page_limit",
				     CRM_NUM(CRM_PAGE_MAX), NULL);
	snprintf(path, sizeof(path), "%s.page.cursor", req_name);
	if (page->has_cursor && page->cursor.len > CRM_CURSOR_MAX)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, path, "cursor.not_issued", NULL);
	return true;
}

/* A Record inside a create or update must say which kind it is. */
static bool validate_oneofs(const Crm__ClientFrame *f) {
	if (f->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE)
		return f->record_create->record->kind_case != CRM__RECORD__KIND__NOT_SET;
	if (f->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE)
		return f->record_update->changes->kind_case != CRM__RECORD__KIND__NOT_SET;
	return true;
}

static const char *record_path(const Crm__ClientFrame *f) {
	return f->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE ? "record_create.record"
									  : "record_update.changes";
}

static bool validate_request(const Crm__ClientFrame *f, crm_err *err) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const ProtobufCMessage *m = request_message(f, &fd);
	size_t i;

	if (m == NULL) {
		if (f->base.n_unknown_fields > 0)
			return crm_err_setid(err, CRM_UNIMPLEMENTED, "request", "wire.unknown_request",
					     CRM_NUM(f->base.unknown_fields[0].tag), NULL);
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "request", "wire.no_request", NULL);
	}
	if (f->request_case == CRM__CLIENT_FRAME__REQUEST_HELLO)
		return validate_hello(f->hello, err);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].request == f->request_case && !check_rule(m, fd->name, &rules[i], err))
			return false;
	if (f->request_case == CRM__CLIENT_FRAME__REQUEST_RECORD_SHARE &&
	    f->record_share->has_user == f->record_share->has_team)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "record_share.user", "wire.user_or_team",
				     NULL);
	if (!validate_oneofs(f))
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, record_path(f), "wire.record_kind", NULL);
	return validate_page(m, fd->name, err);
}

bool crm_wire_validate(const Crm__ClientFrame *f, crm_err *err) {
	if (!f->has_id)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "id", "wire.required", NULL);
	if (f->id == 0)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, "id", "wire.id_zero", NULL);
	if (!crm_wire_check_message(&f->base, NULL, err))
		return false;
	if (f->has_idempotency_key) {
		if (!crm_text_check(f->idempotency_key.data, f->idempotency_key.len, 1,
				    CRM_IDEMPOTENCY_KEY_MAX, "idempotency_key", err))
			return false;
		if (f->request_case != CRM__CLIENT_FRAME__REQUEST__NOT_SET &&
		    !crm_wire_request_mutates(f))
			return crm_err_setid(err, CRM_INVALID_ARGUMENT, "idempotency_key",
					     "wire.idempotency_not_mutating", NULL);
	}
	return validate_request(f, err);
}

const char *crm_wire_request_name(const Crm__ClientFrame *f) {
	unsigned i;

	if (f->request_case == CRM__CLIENT_FRAME__REQUEST__NOT_SET)
		return "unknown";
	for (i = 0; i < crm__client_frame__descriptor.n_fields; i++)
		if (crm__client_frame__descriptor.fields[i].id == (unsigned)f->request_case)
			return crm__client_frame__descriptor.fields[i].name;
	return "unknown";
}

bool crm_wire_request_mutates(const Crm__ClientFrame *f) {
	switch (f->request_case) {
	case CRM__CLIENT_FRAME__REQUEST_RECORD_SHARE:
	case CRM__CLIENT_FRAME__REQUEST_USER_CREATE:
	case CRM__CLIENT_FRAME__REQUEST_USER_UPDATE:
	case CRM__CLIENT_FRAME__REQUEST_USER_SET_ACTIVE:
	case CRM__CLIENT_FRAME__REQUEST_TEAM_CREATE:
	case CRM__CLIENT_FRAME__REQUEST_TEAM_UPDATE:
	case CRM__CLIENT_FRAME__REQUEST_PERMISSION_SET:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_DELETE:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_RESTORE:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_PURGE:
	case CRM__CLIENT_FRAME__REQUEST_RECORD_REASSIGN:
	case CRM__CLIENT_FRAME__REQUEST_RELATION_ADD:
	case CRM__CLIENT_FRAME__REQUEST_RELATION_REMOVE:
	case CRM__CLIENT_FRAME__REQUEST_FIELD_ADD:
	case CRM__CLIENT_FRAME__REQUEST_FIELD_REMOVE:
	case CRM__CLIENT_FRAME__REQUEST_PICKLIST_ADD:
	case CRM__CLIENT_FRAME__REQUEST_PICKLIST_REMOVE:
	case CRM__CLIENT_FRAME__REQUEST_WATCH_ADD:
	case CRM__CLIENT_FRAME__REQUEST_WATCH_REMOVE:
	case CRM__CLIENT_FRAME__REQUEST_ATTACH_BEGIN:
	case CRM__CLIENT_FRAME__REQUEST_ATTACH_CHUNK:
	case CRM__CLIENT_FRAME__REQUEST_ATTACH_COMMIT:
	case CRM__CLIENT_FRAME__REQUEST_ATTACH_ABORT:
	case CRM__CLIENT_FRAME__REQUEST_ATTACH_DELETE:
		return true;
	default:
		return false;
	}
}

int64_t crm_now_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void crm_wire_status_set(Crm__Status *st, const crm_err *err, char **argv) {
	st->message = (char *)err->msg;
	st->field = err->field[0] ? (char *)err->field : NULL;
	if (err->id[0] == '\0')
		return;
	st->message_id = (char *)err->id;
	for (unsigned i = 0; i < err->nargs && i < CRM_ERR_ARGS_MAX; i++)
		argv[i] = (char *)crm_err_arg(err, i);
	st->n_args = err->nargs < CRM_ERR_ARGS_MAX ? err->nargs : CRM_ERR_ARGS_MAX;
	st->args = st->n_args ? argv : NULL;
}

void crm_wire_status_ids(const Crm__Status *st, crm_err *err) {
	if (st == NULL || st->message_id == NULL || st->message_id[0] == '\0')
		return;
	crm_err_attach_id(err, st->message_id, (const char *const *)st->args,
			  st->n_args < CRM_ERR_ARGS_MAX ? (unsigned)st->n_args : CRM_ERR_ARGS_MAX);
}
