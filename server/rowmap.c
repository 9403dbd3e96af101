/* rowmap: see rowmap.h. */
#include "rowmap.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits a one-dimensional array literal into arena strings. */
static size_t parse_array(crm_arena *a, const char *s, char ***out) {
	size_t n = 0, cap = 0, len;
	char **items = NULL, *buf;
	const char *p = s;

	*out = NULL;
	if (*p++ != '{')
		return 0;
	buf = crm_arena_alloc(a, strlen(s) + 1);
	while (*p && *p != '}') {
		bool quoted = *p == '"';
		char *w = buf;

		if (quoted)
			p++;
		while (*p && (quoted ? *p != '"' : (*p != ',' && *p != '}'))) {
			if (quoted && *p == '\\' && p[1])
				p++;
			*w++ = *p++;
		}
		if (quoted && *p == '"')
			p++;
		*w = '\0';
		len = (size_t)(w - buf);
		if (n == cap) {
			char **grown = crm_arena_alloc(a, (cap = cap ? cap * 2 : 8) * sizeof(char *));
			if (n)
				memcpy(grown, items, n * sizeof(char *));
			items = grown;
		}
		if (!quoted && strcmp(buf, "NULL") == 0)
			items[n++] = crm_arena_strdup(a, "");
		else
			items[n++] = memcpy(crm_arena_alloc(a, len + 1), buf, len + 1);
		if (*p == ',')
			p++;
	}
	*out = items;
	return n;
}

static int enum_value(const ProtobufCEnumDescriptor *ed, const char *name) {
	for (unsigned i = 0; i < ed->n_values; i++)
		if (strcasecmp(ed->values[i].name, name) == 0)
			return ed->values[i].value;
	return 0;
}

static void set_field(crm_arena *a, ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
		      const char *v, int len) {
	char *base = (char *)m;
	void *f = base + fd->offset;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		if (fd->type == PROTOBUF_C_TYPE_STRING)
			*(size_t *)(base + fd->quantifier_offset) = parse_array(a, v, (char ***)f);
		return;
	}
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
		*(int64_t *)f = strtoll(v, NULL, 10);
		break;
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)f = strtoull(v, NULL, 10);
		break;
	case PROTOBUF_C_TYPE_INT32:
		*(int32_t *)f = (int32_t)strtol(v, NULL, 10);
		break;
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)f = (uint32_t)strtoul(v, NULL, 10);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)f = v[0] == 't';
		break;
	case PROTOBUF_C_TYPE_ENUM:
		*(int *)f = enum_value(fd->descriptor, v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(char **)f = memcpy(crm_arena_alloc(a, (size_t)len + 1), v, (size_t)len + 1);
		return;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = f;
		b->len = (size_t)len;
		b->data = memcpy(crm_arena_alloc(a, (size_t)len + 1), v, (size_t)len + 1);
		break;
	}
	default:
		return;
	}
	if (fd->quantifier_offset && !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		*(protobuf_c_boolean *)(base + fd->quantifier_offset) = 1;
}

static void fill(crm_arena *a, ProtobufCMessage *m, const PGresult *r, int row) {
	int cols = PQnfields(r);

	for (int c = 0; c < cols; c++) {
		const ProtobufCFieldDescriptor *fd;

		if (PQgetisnull(r, row, c))
			continue;
		fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, PQfname(r, c));
		if (fd)
			set_field(a, m, fd, PQgetvalue(r, row, c), PQgetlength(r, row, c));
	}
}

void *crm_rowmap_new(crm_arena *a, const ProtobufCMessageDescriptor *d, const PGresult *r,
		     int row) {
	ProtobufCMessage *m = crm_arena_alloc(a, d->sizeof_message);

	d->message_init(m);
	fill(a, m, r, row);
	return m;
}

size_t crm_rowmap_all(crm_arena *a, const ProtobufCMessageDescriptor *d, const PGresult *r,
		      void ***out) {
	size_t n = (size_t)PQntuples(r);

	*out = crm_arena_alloc(a, (n ? n : 1) * sizeof(void *));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = crm_rowmap_new(a, d, r, (int)i);
	return n;
}
