/* crm_wire: text and message validation shared by server and clients. */
#include "crm_wire.h"

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
		return crm_err_set(err, CRM_INVALID_ARGUMENT, field,
				   min == 1 ? "must not be empty" : "must be at least %zu bytes", min);
	if (len > max)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, field, "must be at most %zu bytes",
				   max);
	while (i < len) {
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n')
			return crm_err_set(err, CRM_INVALID_ARGUMENT, field,
					   s[i] == 0 ? "contains a NUL byte at offset %zu"
						     : "contains a control character at offset %zu",
					   i);
		n = utf8_seq(s + i, len - i);
		if (n == 0)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, field,
					   "is not valid UTF-8 at offset %zu", i);
		i += n;
	}
	return true;
}

static void join_path(char *out, size_t outsz, const char *prefix, const char *name) {
	if (prefix && prefix[0])
		snprintf(out, outsz, "%s.%s", prefix, name);
	else
		snprintf(out, outsz, "%s", name);
}

static bool check_enum(const ProtobufCFieldDescriptor *fd, int value, const char *path,
		       crm_err *err) {
	if (protobuf_c_enum_descriptor_get_value(fd->descriptor, value) == NULL)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, path, "unknown value %d", value);
	return true;
}

static bool check_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
			const char *path, crm_err *err) {
	const char *base = (const char *)msg;
	size_t count = 1, i;
	const void *vals;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		count = *(const size_t *)(base + fd->quantifier_offset);
		vals = *(void *const *)(base + fd->offset);
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
		case PROTOBUF_C_TYPE_ENUM:
			if (!check_enum(fd, ((const int *)vals)[i], path, err))
				return false;
			break;
		case PROTOBUF_C_TYPE_BYTES: {
			const ProtobufCBinaryData *b = &((const ProtobufCBinaryData *)vals)[i];
			if (!crm_text_check(b->data, b->len, 0, CRM_TEXT_MAX, path, err))
				return false;
			break;
		}
		case PROTOBUF_C_TYPE_MESSAGE: {
			const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)vals)[i];
			if (sub && !crm_wire_check_message(sub, path, err))
				return false;
			break;
		}
		default:
			break;
		}
	}
	return true;
}

bool crm_wire_check_message(const ProtobufCMessage *msg, const char *prefix, crm_err *err) {
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	char path[CRM_ERR_FIELD_MAX];
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		join_path(path, sizeof(path), prefix, d->fields[i].name);
		if (!check_field(msg, &d->fields[i], path, err))
			return false;
	}
	return true;
}

static bool validate_hello(const Crm__Hello *h, crm_err *err) {
	if (h->protocol == NULL || !h->protocol->has_major)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "hello.protocol.major", "is required");
	if (!h->has_client_name)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "hello.client_name", "is required");
	return crm_text_check(h->client_name.data, h->client_name.len, 1, CRM_CLIENT_NAME_MAX,
			      "hello.client_name", err);
}

static bool validate_request(const Crm__ClientFrame *f, crm_err *err) {
	switch (f->request_case) {
	case CRM__CLIENT_FRAME__REQUEST_HELLO:
		return validate_hello(f->hello, err);
	case CRM__CLIENT_FRAME__REQUEST_PING:
		if (f->ping->has_payload && f->ping->payload.len > CRM_PING_PAYLOAD_MAX)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "ping.payload",
					   "must be at most %d bytes", CRM_PING_PAYLOAD_MAX);
		return true;
	case CRM__CLIENT_FRAME__REQUEST_NOTE_CREATE:
		if (!f->note_create->has_body)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "note_create.body",
					   "is required");
		return crm_text_check(f->note_create->body.data, f->note_create->body.len, 1,
				      CRM_NOTE_BODY_MAX, "note_create.body", err);
	case CRM__CLIENT_FRAME__REQUEST_NOTE_GET:
		if (!f->note_get->has_note_id || f->note_get->note_id <= 0)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "note_get.note_id",
					   "must be a positive id");
		return true;
	case CRM__CLIENT_FRAME__REQUEST_SLEEP:
		if (f->sleep->ms > CRM_SLEEP_MS_MAX)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "sleep.ms",
					   "must be at most %d", CRM_SLEEP_MS_MAX);
		return true;
	case CRM__CLIENT_FRAME__REQUEST__NOT_SET:
	default:
		break;
	}
	if (f->base.n_unknown_fields > 0)
		return crm_err_set(err, CRM_UNIMPLEMENTED, "request",
				   "unknown request type (field %u); upgrade the server or the client",
				   f->base.unknown_fields[0].tag);
	return crm_err_set(err, CRM_INVALID_ARGUMENT, "request", "no request in frame");
}

bool crm_wire_validate(const Crm__ClientFrame *f, crm_err *err) {
	if (!f->has_id)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "id", "is required");
	if (!crm_wire_check_message(&f->base, NULL, err))
		return false;
	if (f->has_idempotency_key) {
		if (!crm_text_check(f->idempotency_key.data, f->idempotency_key.len, 1,
				    CRM_IDEMPOTENCY_KEY_MAX, "idempotency_key", err))
			return false;
		if (f->request_case != CRM__CLIENT_FRAME__REQUEST__NOT_SET &&
		    !crm_wire_request_mutates(f))
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "idempotency_key",
					   "only requests that change data take one");
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
	return f->request_case == CRM__CLIENT_FRAME__REQUEST_NOTE_CREATE;
}

int64_t crm_now_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
