/*
 * cmd_record_view: records (and relations, field definitions) printed by
 * walking their protobuf-c descriptors: a column per field, typed cells,
 * JSON values for nested messages and lists, readable text for tables.
 * See cmd_record.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd_record.h"
#include "strbuf.h"

#define AT(m, fd, T) ((T *)((const char *)(m) + (fd)->offset))
#define FIELDS_MAX 128 /* fields of one message; more is a bug here */

/* ---------------------------------------------------------------- fields */

/* Appends the fields of d numbered lo..hi, but skip, to out. */
static size_t band(const ProtobufCMessageDescriptor *d, unsigned lo, unsigned hi,
		   const ProtobufCFieldDescriptor *skip, const ProtobufCFieldDescriptor **out) {
	size_t n = 0;

	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].id >= lo && d->fields[i].id <= hi && &d->fields[i] != skip)
			out[n++] = &d->fields[i];
	return n;
}

size_t crm_rec_fields(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor **out) {
	const ProtobufCFieldDescriptor *meta = crm_rec_meta_field(d);
	const ProtobufCMessageDescriptor *md = meta ? meta->descriptor : NULL;
	size_t n = 0;

	if (d->n_fields + (md ? md->n_fields : 0) > FIELDS_MAX) {
		fprintf(stderr, "crm: bug: %s has more than %d fields\n", d->name, FIELDS_MAX);
		abort();
	}
	if (md == NULL)
		return band(d, 0, UINT32_MAX, NULL, out);
	n += band(md, 1, 1, NULL, out + n);            /* id */
	n += band(d, 0, UINT32_MAX, meta, out + n);    /* the type's own */
	n += band(md, 10, 11, NULL, out + n);          /* tags, custom values */
	n += band(md, 2, 9, NULL, out + n);            /* version .. deleted_at */
	n += band(md, 12, UINT32_MAX, NULL, out + n);  /* external_id, ... */
	return n;
}

/* The message that holds fd for record (or other message) m: m itself, or
 * its meta for RecordMeta's fields (crm_rec_fields); NULL when absent. */
static const ProtobufCMessage *holder(const ProtobufCMessage *m,
				      const ProtobufCFieldDescriptor *fd) {
	const ProtobufCFieldDescriptor *meta;

	if (m == NULL)
		return NULL;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++)
		if (&m->descriptor->fields[i] == fd)
			return m;
	meta = crm_rec_meta_field(m->descriptor);
	return meta ? *(const ProtobufCMessage *const *)((const char *)m + meta->offset) : NULL;
}

bool crm_rec_has(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)((const char *)m + fd->quantifier_offset) > 0;
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING)
		return *AT(m, fd, const void *const) != NULL;
	if (fd->quantifier_offset == 0)
		return true;
	return *(const protobuf_c_boolean *)((const char *)m + fd->quantifier_offset);
}

static bool is_instant(const ProtobufCFieldDescriptor *fd) {
	size_t n = strlen(fd->name);

	return fd->type == PROTOBUF_C_TYPE_INT64 && n > 3 && strcmp(fd->name + n - 3, "_at") == 0;
}

static size_t elem_size(const ProtobufCFieldDescriptor *fd) {
	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return sizeof(int64_t);
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
	default: return sizeof(int32_t); /* int32 kinds and enums */
	}
}

/* Where the value is: the field itself, or element i of a repeated one. */
static const void *value_at(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
			    size_t i) {
	if (fd->label != PROTOBUF_C_LABEL_REPEATED)
		return (const char *)m + fd->offset;
	return *AT(m, fd, const char *const) + i * elem_size(fd);
}

static size_t count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)((const char *)m + fd->quantifier_offset);
	return crm_rec_has(m, fd) ? 1 : 0;
}

/* Without the enum's prefix (ACCOUNT_TYPE_CUSTOMER -> customer); names of
 * enums whose values carry none (Action: READ) are taken whole. */
static const char *enum_name(const ProtobufCFieldDescriptor *fd, int v, char *buf, size_t bufsz) {
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, v);
	char prefix[64];

	if (!crm_args_enum_prefix(fd->descriptor, prefix, sizeof(prefix)) ||
	    (ev != NULL && strncmp(ev->name, prefix, strlen(prefix)) != 0))
		prefix[0] = '\0';
	return crm_args_enum_name(fd->descriptor, prefix, v, buf, bufsz);
}

/* ---------------------------------------------------------------- JSON */

static void json_message(crm_sbuf *b, const ProtobufCMessage *m);

/* One value (not a whole repeated field) at v. */
static void json_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v) {
	const ProtobufCBinaryData *bd;
	const char *name;
	char buf[64];

	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES:
		bd = v;
		crm_sbuf_json_string(b, (const char *)bd->data, bd->len);
		return;
	case PROTOBUF_C_TYPE_STRING:
		name = *(const char *const *)v;
		if (name == NULL)
			crm_sbuf_puts(b, "null");
		else
			crm_sbuf_json_string(b, name, strlen(name));
		return;
	case PROTOBUF_C_TYPE_MESSAGE:
		json_message(b, *(const ProtobufCMessage *const *)v);
		return;
	case PROTOBUF_C_TYPE_BOOL:
		crm_sbuf_puts(b, *(const protobuf_c_boolean *)v ? "true" : "false");
		return;
	case PROTOBUF_C_TYPE_ENUM:
		name = enum_name(fd, *(const int *)v, buf, sizeof(buf));
		crm_sbuf_json_string(b, name, strlen(name));
		return;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (is_instant(fd)) {
			crm_sbuf_puts(b, "\"");
			crm_sbuf_instant(b, *(const int64_t *)v);
			crm_sbuf_puts(b, "\"");
		} else {
			crm_sbuf_printf(b, "%" PRId64, *(const int64_t *)v);
		}
		return;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		crm_sbuf_printf(b, "%" PRIu64, *(const uint64_t *)v);
		return;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		crm_sbuf_printf(b, "%" PRIu32, *(const uint32_t *)v);
		return;
	case PROTOBUF_C_TYPE_DOUBLE:
		crm_sbuf_printf(b, "%.17g", *(const double *)v);
		return;
	case PROTOBUF_C_TYPE_FLOAT:
		crm_sbuf_printf(b, "%.9g", (double)*(const float *)v);
		return;
	default:
		crm_sbuf_printf(b, "%" PRId32, *(const int32_t *)v);
		return;
	}
}

static void json_field(crm_sbuf *b, const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *fd) {
	size_t i, n;

	if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
		json_value(b, fd, value_at(m, fd, 0));
		return;
	}
	n = count(m, fd);
	crm_sbuf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			crm_sbuf_puts(b, ",");
		json_value(b, fd, value_at(m, fd, i));
	}
	crm_sbuf_puts(b, "]");
}

/* The fields m has, as an object (the server's JSON has the same shape). */
static void json_message(crm_sbuf *b, const ProtobufCMessage *m) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned i;

	crm_sbuf_puts(b, "{");
	for (i = 0; i < d->n_fields; i++) {
		if (!crm_rec_has(m, &d->fields[i]))
			continue;
		if (!first)
			crm_sbuf_puts(b, ",");
		first = false;
		crm_sbuf_json_string(b, d->fields[i].name, strlen(d->fields[i].name));
		crm_sbuf_puts(b, ":");
		json_field(b, m, &d->fields[i]);
	}
	crm_sbuf_puts(b, "}");
}

/* ---------------------------------------------------------------- text for people */

static void text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v);

/* The field definitions whose labels name custom values while
 * crm_rec_print_labeled prints (the CLI prints one thing at a time). */
static const Crm__FieldListReply *labels;

/* A custom value "Lead score: 12" under its field's label, when known. */
static bool text_custom(crm_sbuf *b, const ProtobufCMessage *m) {
	const Crm__CustomValue *cv = (const Crm__CustomValue *)m;
	const Crm__FieldDef *f;
	size_t i;

	if (m->descriptor != &crm__custom_value__descriptor || labels == NULL || !cv->has_field)
		return false;
	for (i = 0; i < labels->n_fields; i++) {
		f = labels->fields[i];
		if (f->has_name && f->has_label && f->label.len > 0 && !f->standard &&
		    f->name.len == cv->field.len &&
		    memcmp(f->name.data, cv->field.data, cv->field.len) == 0) {
			crm_sbuf_put(b, (const char *)f->label.data, f->label.len);
			crm_sbuf_puts(b, ": ");
			crm_sbuf_put(b, (const char *)cv->value.data, cv->has_value ? cv->value.len : 0);
			return true;
		}
	}
	return false;
}

/* Money "1250.50 EUR"; Date "1990-02-28" or "02-29" (no year). */
static bool text_special(crm_sbuf *b, const ProtobufCMessage *m) {
	const Crm__Money *mo;
	const Crm__Date *d;

	if (m->descriptor == &crm__money__descriptor) {
		mo = (const Crm__Money *)m;
		crm_sbuf_put(b, (const char *)mo->amount.data, mo->has_amount ? mo->amount.len : 0);
		if (mo->has_currency) {
			crm_sbuf_puts(b, " ");
			crm_sbuf_put(b, (const char *)mo->currency.data, mo->currency.len);
		}
		return true;
	}
	if (m->descriptor == &crm__date__descriptor) {
		d = (const Crm__Date *)m;
		if (d->has_year)
			crm_sbuf_printf(b, "%04u-", d->year);
		crm_sbuf_printf(b, "%02u-%02u", d->month, d->day);
		return true;
	}
	return false;
}

/* An item of a list: "ada@example.com (work, primary)"; a pair of texts
 * (custom value, preference) "name: value". */
static void text_item(crm_sbuf *b, const ProtobufCMessage *m) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *fd;
	bool shown = false;
	unsigned i, open = 0;

	if (text_special(b, m) || text_custom(b, m))
		return;
	if (d->n_fields == 2 && d->fields[0].type == PROTOBUF_C_TYPE_BYTES &&
	    d->fields[1].type == PROTOBUF_C_TYPE_BYTES) {
		text_value(b, &d->fields[0], value_at(m, &d->fields[0], 0));
		crm_sbuf_puts(b, ": ");
		if (crm_rec_has(m, &d->fields[1]))
			text_value(b, &d->fields[1], value_at(m, &d->fields[1], 0));
		return;
	}
	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (!crm_rec_has(m, fd) || fd->label == PROTOBUF_C_LABEL_REPEATED ||
		    (fd->type == PROTOBUF_C_TYPE_BOOL && !*AT(m, fd, const protobuf_c_boolean)))
			continue;
		if (shown)
			crm_sbuf_puts(b, open++ ? ", " : " (");
		shown = true;
		if (fd->type == PROTOBUF_C_TYPE_BOOL)
			crm_sbuf_puts(b, fd->name);
		else
			text_value(b, fd, value_at(m, fd, 0));
	}
	if (open)
		crm_sbuf_puts(b, ")");
}

/* A value whose later lines (a street over two lines) line up under its
 * first, `indent` columns in. */
static void indented(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
		     size_t indent) {
	crm_sbuf one = {0};
	const char *p, *nl;

	crm_sbuf_puts(&one, "");
	text_value(&one, fd, v);
	for (p = one.p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		crm_sbuf_put(b, p, (size_t)(nl - p) + 1);
		crm_sbuf_pad(b, indent);
	}
	crm_sbuf_puts(b, p);
	crm_sbuf_fini(&one);
}

/* A message on its own (an address): "field: value" lines. */
static void text_message(crm_sbuf *b, const ProtobufCMessage *m) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned i;

	if (text_special(b, m))
		return;
	for (i = 0; i < d->n_fields; i++) {
		if (!crm_rec_has(m, &d->fields[i]))
			continue;
		if (!first)
			crm_sbuf_puts(b, "\n");
		first = false;
		crm_sbuf_puts(b, d->fields[i].name);
		crm_sbuf_puts(b, ": ");
		indented(b, &d->fields[i], value_at(m, &d->fields[i], 0), strlen(d->fields[i].name) + 2);
	}
}

static void text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v) {
	const ProtobufCBinaryData *bd;
	char buf[64];

	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES:
		bd = v;
		crm_sbuf_put(b, (const char *)bd->data, bd->len);
		return;
	case PROTOBUF_C_TYPE_STRING:
		if (*(const char *const *)v != NULL)
			crm_sbuf_puts(b, *(const char *const *)v);
		return;
	case PROTOBUF_C_TYPE_MESSAGE:
		text_message(b, *(const ProtobufCMessage *const *)v);
		return;
	case PROTOBUF_C_TYPE_BOOL:
		crm_sbuf_puts(b, *(const protobuf_c_boolean *)v ? "yes" : "no");
		return;
	case PROTOBUF_C_TYPE_ENUM:
		crm_sbuf_puts(b, enum_name(fd, *(const int *)v, buf, sizeof(buf)));
		return;
	default: /* numbers: their JSON text */
		json_value(b, fd, v);
		return;
	}
}

/* A list: tags joined by ", ", items of messages one a line. */
static void text_field(crm_sbuf *b, const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *fd) {
	bool messages = fd->type == PROTOBUF_C_TYPE_MESSAGE;
	size_t i, n = count(m, fd);

	if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
		text_value(b, fd, value_at(m, fd, 0));
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			crm_sbuf_puts(b, messages ? "\n" : ", ");
		if (messages)
			text_item(b, *(const ProtobufCMessage *const *)value_at(m, fd, i));
		else
			text_value(b, fd, value_at(m, fd, i));
	}
}

/* ---------------------------------------------------------------- cells */

/* An integer field that counts something (employees), which tables group
 * by the locale, rather than an identifier (id, account_id, version). */
static bool is_count(const ProtobufCFieldDescriptor *fd) {
	size_t n = strlen(fd->name);

	return strcmp(fd->name, "id") != 0 && strcmp(fd->name, "version") != 0 &&
	       !(n > 3 && strcmp(fd->name + n - 3, "_id") == 0);
}

/* A Money field: its JSON, and "1,250,000.00 EUR" in tables. */
static void add_money(crm_result *r, const ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *fd) {
	const Crm__Money *mo = *AT(m, fd, const Crm__Money *const);
	crm_sbuf json = {0};
	bool amount = mo->has_amount && mo->amount.data != NULL;

	json_field(&json, m, fd);
	crm_result_add_money(r, json.p, json.len, amount ? (const char *)mo->amount.data : "",
			     amount ? mo->amount.len : 0,
			     mo->has_currency && mo->currency.data != NULL ? (const char *)mo->currency.data
								     : NULL,
			     mo->currency.len);
	crm_sbuf_fini(&json);
}

static void add_cell(crm_result *r, const ProtobufCMessage *rec, const ProtobufCFieldDescriptor *fd) {
	const ProtobufCMessage *m = holder(rec, fd);
	crm_sbuf json = {0}, text = {0};
	const ProtobufCBinaryData *bd;
	char buf[64];

	if (rec != NULL && fd->label == PROTOBUF_C_LABEL_REPEATED && (m == NULL || !crm_rec_has(m, fd))) {
		crm_result_add_json(r, "[]", 2, ""); /* scripts get a list either way */
		return;
	}
	if (m == NULL || !crm_rec_has(m, fd)) {
		crm_result_add_null(r);
		return;
	}
	if (fd->label != PROTOBUF_C_LABEL_REPEATED && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
	    fd->descriptor == &crm__money__descriptor) {
		add_money(r, m, fd);
		return;
	}
	if (fd->label == PROTOBUF_C_LABEL_REPEATED || fd->type == PROTOBUF_C_TYPE_MESSAGE) {
		json_field(&json, m, fd);
		crm_sbuf_puts(&text, "");
		text_field(&text, m, fd);
		crm_result_add_json(r, json.p, json.len, text.p);
		crm_sbuf_fini(&json);
		crm_sbuf_fini(&text);
		return;
	}
	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES:
		bd = AT(m, fd, const ProtobufCBinaryData);
		crm_result_add_strn(r, (const char *)bd->data, bd->len);
		return;
	case PROTOBUF_C_TYPE_STRING:
		crm_result_add_str(r, *AT(m, fd, const char *const));
		return;
	case PROTOBUF_C_TYPE_BOOL:
		crm_result_add_bool(r, *AT(m, fd, const protobuf_c_boolean));
		return;
	case PROTOBUF_C_TYPE_ENUM:
		crm_result_add_str(r, enum_name(fd, *AT(m, fd, const int), buf, sizeof(buf)));
		return;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (is_instant(fd))
			crm_result_add_time(r, *AT(m, fd, const int64_t));
		else if (is_count(fd))
			crm_result_add_count(r, *AT(m, fd, const int64_t));
		else
			crm_result_add_int(r, *AT(m, fd, const int64_t));
		return;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		crm_result_add_int(r, *AT(m, fd, const uint32_t));
		return;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		crm_result_add_int(r, *AT(m, fd, const int32_t));
		return;
	default: /* uint64 beyond int64, floats: their JSON text */
		json_field(&json, m, fd);
		crm_result_add_json(r, json.p, json.len, NULL);
		crm_sbuf_fini(&json);
		return;
	}
}

/* Room for n column names (crm_result_new copies them: free it after). */
static const char **names_new(size_t n) {
	const char **names = malloc((n ? n : 1) * sizeof(char *));

	if (names == NULL)
		crm_sbuf_oom();
	return names;
}

static crm_result *result_of(const ProtobufCFieldDescriptor **fds, size_t n) {
	const char **names = names_new(n);
	crm_result *r;
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = fds[i]->name;
	r = crm_result_new(n, names);
	free(names);
	return r;
}

crm_result *crm_rec_result(const ProtobufCMessageDescriptor *d) {
	const ProtobufCFieldDescriptor *fds[FIELDS_MAX];
	size_t n = crm_rec_fields(d, fds);

	return result_of(fds, n);
}

void crm_rec_add_message(crm_result *r, const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fds[FIELDS_MAX];
	size_t n = crm_rec_fields(m->descriptor, fds), i;

	crm_result_add_row(r);
	for (i = 0; i < n; i++)
		add_cell(r, m, fds[i]);
}

int crm_rec_print(struct crm_cli *cli, const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fds[FIELDS_MAX];
	size_t n = crm_rec_fields(m->descriptor, fds), i, k = 0;
	crm_result *r;
	int rc;

	/* people see what the record has; scripts get every field */
	for (i = 0; i < n; i++)
		if (cli->format != CRM_FORMAT_TABLE ||
		    (holder(m, fds[i]) != NULL && crm_rec_has(holder(m, fds[i]), fds[i])))
			fds[k++] = fds[i];
	r = result_of(fds, k);
	crm_result_add_row(r);
	for (i = 0; i < k; i++)
		add_cell(r, m, fds[i]);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	return rc;
}

int crm_rec_print_labeled(struct crm_cli *cli, const ProtobufCMessage *m,
			  const Crm__FieldListReply *fields) {
	int rc;

	labels = fields;
	rc = crm_rec_print(cli, m);
	labels = NULL;
	return rc;
}

/* ---------------------------------------------------------------- people's list table */

crm_result *crm_rec_people_result(const struct crm_rec_type *t) {
	const char **names = names_new(t->n_cols);
	crm_result *r;
	size_t i;

	for (i = 0; i < t->n_cols; i++)
		names[i] = t->cols[i].header;
	r = crm_result_new(t->n_cols, names);
	free(names);
	return r;
}

/* The primary item of a repeated message field (else the first). */
static const ProtobufCMessage *primary_item(const ProtobufCMessage *m,
					    const ProtobufCFieldDescriptor *fd) {
	const ProtobufCMessage *const *items = *AT(m, fd, const ProtobufCMessage *const *const);
	const ProtobufCFieldDescriptor *pfd;
	size_t i, n = count(m, fd);

	if (n == 0 || fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	pfd = protobuf_c_message_descriptor_get_field_by_name(fd->descriptor, "primary");
	for (i = 0; pfd != NULL && i < n; i++)
		if (crm_rec_has(items[i], pfd) && *AT(items[i], pfd, const protobuf_c_boolean))
			return items[i];
	return items[0];
}

void crm_rec_add_people_row(crm_result *r, const struct crm_rec_type *t,
			    const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const ProtobufCMessage *owner, *item;
	size_t i;

	crm_result_add_row(r);
	for (i = 0; i < t->n_cols; i++) {
		/* without mem the walk only reads: the cast does not let it write */
		owner = crm_rec_walk(NULL, (ProtobufCMessage *)m, t->cols[i].path, &fd);
		if (owner == NULL) {
			crm_result_add_null(r);
		} else if (t->cols[i].how == CRM_REC_COL_PRIMARY) {
			item = primary_item(owner, fd);
			add_cell(r, item, item ? &item->descriptor->fields[0] : NULL);
		} else {
			add_cell(r, owner, fd);
		}
	}
}
