/* jsonmsg: see jsonmsg.h. */
#include "jsonmsg.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Size of one element of a repeated field of this type. */
static size_t elt_size(ProtobufCType t) {
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4; /* 32-bit integers, float, enum */
	}
}

/*
 * Length of the enum's value prefix at the start of name: the enum's short
 * name in UPPER_SNAKE plus "_" (NameOrder → "NAME_ORDER_"); 0 when name
 * does not start with it or nothing would be left after it.
 */
static size_t prefix_len(const ProtobufCEnumDescriptor *ed, const char *name) {
	const char *p = ed->short_name, *n = name;

	for (; *p; p++) {
		if (p != ed->short_name && isupper((unsigned char)*p) &&
		    (islower((unsigned char)p[-1]) || isdigit((unsigned char)p[-1])) && *n++ != '_')
			return 0;
		if (*n++ != toupper((unsigned char)*p))
			return 0;
	}
	return *n == '_' && n[1] != '\0' ? (size_t)(n + 1 - name) : 0;
}

const char *crm_jsonmsg_enum_name(crm_arena *a, const ProtobufCEnumDescriptor *ed, int value) {
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, value);
	char *s;

	if (ev == NULL)
		return NULL;
	s = crm_arena_strdup(a, ev->name + prefix_len(ed, ev->name));
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

/* ------------------------------------------------------------ encode */

/* Whether fd holds a value in m (proto2 presence; a oneof's set member). */
static bool field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	const char *base = (const char *)m;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + fd->quantifier_offset) > 0;
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + fd->quantifier_offset) == fd->id;
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING) {
		const void *p = *(const void *const *)(base + fd->offset);
		return p != NULL && p != fd->default_value;
	}
	if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset)
		return *(const protobuf_c_boolean *)(base + fd->quantifier_offset);
	return true; /* required */
}

static json_t *msg_to_json(crm_arena *a, const ProtobufCMessage *m);

/* The field of d whose fields are inlined into d's object (jsonmsg.h:
 * a singular message field named meta), or NULL. */
static const ProtobufCFieldDescriptor *inlined(const ProtobufCMessageDescriptor *d) {
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, "meta");

	return fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->label != PROTOBUF_C_LABEL_REPEATED &&
			       !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		       ? fd
		       : NULL;
}

/* One value (v points at it); NULL when it cannot be represented. */
static json_t *value_to_json(crm_arena *a, const ProtobufCFieldDescriptor *fd, const void *v) {
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)v);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)v);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)v);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: { /* jansson's integers are signed 64-bit */
		uint64_t u = *(const uint64_t *)v;
		return u > INT64_MAX ? NULL : json_integer((json_int_t)u);
	}
	case PROTOBUF_C_TYPE_FLOAT:
		return json_real(*(const float *)v);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_real(*(const double *)v);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)v);
	case PROTOBUF_C_TYPE_ENUM: {
		const char *name = crm_jsonmsg_enum_name(a, fd->descriptor, *(const int *)v);
		return name ? json_string(name) : json_integer(*(const int *)v);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)v;
		return json_string(s ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = v;
		return b->len ? json_stringn((const char *)b->data, b->len) : json_string("");
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)v;
		return sub ? msg_to_json(a, sub) : json_null();
	}
	}
	return NULL;
}

static json_t *field_to_json(crm_arena *a, const ProtobufCMessage *m,
			     const ProtobufCFieldDescriptor *fd) {
	const char *base = (const char *)m, *vals;
	size_t n, size = elt_size(fd->type);
	json_t *arr;

	if (fd->label != PROTOBUF_C_LABEL_REPEATED)
		return value_to_json(a, fd, base + fd->offset);
	n = *(const size_t *)(base + fd->quantifier_offset);
	vals = *(const char *const *)(base + fd->offset);
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, value_to_json(a, fd, vals + i * size)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/* Fields are in field-number order in the descriptor (protobuf-c looks
 * them up by binary search on it), so keys come out in that order. */
static json_t *msg_to_json(crm_arena *a, const ProtobufCMessage *m) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *obj = json_object();

	for (unsigned i = 0; obj && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		json_t *v;
		int rc;

		if (!field_set(m, fd))
			continue;
		v = field_to_json(a, m, fd);
		if (fd == inlined(d) && json_is_object(v)) {
			rc = json_object_update(obj, v);
			json_decref(v);
		} else {
			rc = json_object_set_new_nocheck(obj, fd->name, v);
		}
		if (rc != 0) {
			json_decref(obj);
			obj = NULL;
		}
	}
	return obj;
}

/* Dumps (and releases) j as compact text in the arena. */
static char *dump(crm_arena *a, json_t *j) {
	char *text, *out = NULL;

	if (j == NULL)
		return NULL;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text != NULL) {
		out = crm_arena_strdup(a, text);
		free(text);
	}
	return out;
}

char *crm_jsonmsg_encode(crm_arena *a, const ProtobufCMessage *m) {
	return dump(a, msg_to_json(a, m));
}

char *crm_jsonmsg_encode_array(crm_arena *a, ProtobufCMessage *const *ms, size_t n) {
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, msg_to_json(a, ms[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return dump(a, arr);
}

/* ------------------------------------------------------------ decode */

static bool mismatch(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *fd,
		     crm_err *err) {
	char what[CRM_ERR_MSG_MAX];

	/* Names the field only: the value may be personal data. */
	snprintf(what, sizeof(what), "malformed data from the database for %s.%s", d->name,
		 fd->name);
	return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", what, NULL);
}

static bool int_from(const json_t *j, json_int_t lo, json_int_t hi, json_int_t *out) {
	if (!json_is_integer(j))
		return false;
	*out = json_integer_value(j);
	return *out >= lo && *out <= hi;
}

static bool enum_from(const ProtobufCEnumDescriptor *ed, const json_t *j, int *out) {
	const char *s;
	json_int_t v;

	if (json_is_integer(j)) {
		v = json_integer_value(j);
		if (v < INT_MIN || v > INT_MAX || !protobuf_c_enum_descriptor_get_value(ed, (int)v))
			return false;
		*out = (int)v;
		return true;
	}
	if (!json_is_string(j))
		return false;
	s = json_string_value(j);
	for (unsigned i = 0; i < ed->n_values; i++) {
		const char *name = ed->values[i].name;

		if (strcasecmp(name, s) == 0 || strcasecmp(name + prefix_len(ed, name), s) == 0) {
			*out = ed->values[i].value;
			return true;
		}
	}
	return false;
}

static bool msg_from(crm_arena *a, const ProtobufCMessageDescriptor *d, json_t *obj, void **out,
		     crm_err *err);

/* Text into the arena, NUL-terminated. */
static char *text_from(crm_arena *a, const json_t *j, size_t *len) {
	char *s;

	*len = json_string_length(j);
	s = crm_arena_alloc(a, *len + 1);
	memcpy(s, json_string_value(j), *len);
	s[*len] = '\0';
	return s;
}

/* Numbers, booleans and enums into dst; false when j does not fit. */
static bool scalar_from(const ProtobufCFieldDescriptor *fd, const json_t *j, void *dst) {
	json_int_t i;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return int_from(j, INT32_MIN, INT32_MAX, &i) && (*(int32_t *)dst = (int32_t)i, true);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return int_from(j, 0, UINT32_MAX, &i) && (*(uint32_t *)dst = (uint32_t)i, true);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return int_from(j, LLONG_MIN, LLONG_MAX, &i) && (*(int64_t *)dst = i, true);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return int_from(j, 0, LLONG_MAX, &i) && (*(uint64_t *)dst = (uint64_t)i, true);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_is_number(j) && (*(float *)dst = (float)json_number_value(j), true);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_is_number(j) && (*(double *)dst = json_number_value(j), true);
	case PROTOBUF_C_TYPE_BOOL:
		return json_is_boolean(j) && (*(protobuf_c_boolean *)dst = json_is_true(j), true);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_from(fd->descriptor, j, (int *)dst);
	default:
		return false;
	}
}

/* One value of field fd (of a message of type d) into dst. */
static bool value_from(crm_arena *a, const ProtobufCMessageDescriptor *d,
		       const ProtobufCFieldDescriptor *fd, json_t *j, void *dst, crm_err *err) {
	size_t len;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(j))
			return mismatch(d, fd, err);
		*(char **)dst = text_from(a, j, &len);
		return true;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = dst;
		if (!json_is_string(j))
			return mismatch(d, fd, err);
		b->data = (uint8_t *)text_from(a, j, &len);
		b->len = len;
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!json_is_object(j))
			return mismatch(d, fd, err);
		return msg_from(a, fd->descriptor, j, (void **)dst, err);
	default:
		return scalar_from(fd, j, dst) || mismatch(d, fd, err);
	}
}

/* A repeated field from a JSON array; null elements are skipped. */
static bool array_from(crm_arena *a, ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
		       json_t *arr, crm_err *err) {
	char *base = (char *)m, *vals;
	size_t size = elt_size(fd->type), n = 0, i;
	json_t *v;

	if (!json_is_array(arr))
		return mismatch(m->descriptor, fd, err);
	vals = crm_arena_alloc(a, (json_array_size(arr) + 1) * size);
	json_array_foreach(arr, i, v) {
		if (json_is_null(v))
			continue;
		if (!value_from(a, m->descriptor, fd, v, vals + n * size, err))
			return false;
		n++;
	}
	*(size_t *)(base + fd->quantifier_offset) = n;
	*(void **)(base + fd->offset) = n ? vals : NULL;
	return true;
}

static bool field_from(crm_arena *a, ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
		       json_t *v, crm_err *err) {
	char *base = (char *)m;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return array_from(a, m, fd, v, err);
	if (!value_from(a, m->descriptor, fd, v, base + fd->offset, err))
		return false;
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + fd->quantifier_offset) = fd->id;
	else if (fd->quantifier_offset)
		*(protobuf_c_boolean *)(base + fd->quantifier_offset) = 1;
	return true;
}

static bool msg_from(crm_arena *a, const ProtobufCMessageDescriptor *d, json_t *obj, void **out,
		     crm_err *err) {
	ProtobufCMessage *m = crm_arena_alloc(a, d->sizeof_message);
	const char *key;
	json_t *v;

	d->message_init(m);
	json_object_foreach(obj, key, v) {
		const ProtobufCFieldDescriptor *fd =
			protobuf_c_message_descriptor_get_field_by_name(d, key);
		ProtobufCMessage *into = m;

		if (fd == NULL && inlined(d) != NULL) { /* a key of the inlined message */
			const ProtobufCFieldDescriptor *in = inlined(d);
			ProtobufCMessage **sub = (ProtobufCMessage **)((char *)m + in->offset);
			const ProtobufCMessageDescriptor *sd = in->descriptor;

			fd = protobuf_c_message_descriptor_get_field_by_name(sd, key);
			if (fd != NULL && *sub == NULL) {
				*sub = crm_arena_alloc(a, sd->sizeof_message);
				sd->message_init(*sub);
			}
			into = *sub;
		}
		if (fd == NULL || json_is_null(v))
			continue;
		if (!field_from(a, into, fd, v, err))
			return false;
	}
	*out = m;
	return true;
}

bool crm_jsonmsg_decode(crm_arena *a, const ProtobufCMessageDescriptor *d, const char *json,
			size_t len, void **out, crm_err *err) {
	json_error_t jerr;
	json_t *root;
	bool ok;

	*out = NULL;
	root = json_loadb(json, len, 0, &jerr);
	if (root == NULL) { /* jansson's text may quote the data: position only */
		char what[CRM_ERR_MSG_MAX];

		snprintf(what, sizeof(what), "malformed JSON from the database for %s at byte %d",
			 d->name, jerr.position);
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", what, NULL);
	}
	if (json_is_object(root))
		ok = msg_from(a, d, root, out, err);
	else
		ok = crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail",
				   crm_arena_printf(a, "the database sent no JSON object for %s",
						    d->name),
				   NULL);
	json_decref(root);
	if (!ok)
		*out = NULL;
	return ok;
}
