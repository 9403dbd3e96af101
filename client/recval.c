/*
 * recval: a record's values read by walking its protobuf-c descriptors
 * (moved here from the CLI's cmd_record_view.c so that crm-desktop shows
 * them the same way). See recval.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_field_facts.h" /* generated: standard field names -> proto fields */
#include "recval.h"

#define AT(m, fd, T) ((T *)((const char *)(m) + (fd)->offset))

/* ---------------------------------------------------------------- fields */

const ProtobufCMessage *crm_recval_inner(const Crm__Record *r) {
	const ProtobufCFieldDescriptor *fd;

	if (r == NULL || r->kind_case == CRM__RECORD__KIND__NOT_SET)
		return NULL;
	fd = protobuf_c_message_descriptor_get_field(&crm__record__descriptor,
						     (unsigned)r->kind_case);
	return fd ? *AT(r, fd, const ProtobufCMessage *const) : NULL;
}

const ProtobufCFieldDescriptor *crm_recval_meta_field(const ProtobufCMessageDescriptor *d) {
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, "meta");

	return fd != NULL && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
			       fd->label != PROTOBUF_C_LABEL_REPEATED &&
			       fd->descriptor == &crm__record_meta__descriptor
		       ? fd
		       : NULL;
}

/* Appends the fields of d numbered lo..hi, but skip, to out. */
static size_t band(const ProtobufCMessageDescriptor *d, unsigned lo, unsigned hi,
		   const ProtobufCFieldDescriptor *skip, const ProtobufCFieldDescriptor **out) {
	size_t n = 0;

	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].id >= lo && d->fields[i].id <= hi && &d->fields[i] != skip)
			out[n++] = &d->fields[i];
	return n;
}

size_t crm_recval_fields(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor **out) {
	const ProtobufCFieldDescriptor *meta = crm_recval_meta_field(d);
	const ProtobufCMessageDescriptor *md = meta ? meta->descriptor : NULL;
	size_t n = 0;

	if (d->n_fields + (md ? md->n_fields : 0) > CRM_RECVAL_FIELDS_MAX) {
		fprintf(stderr, "crm: bug: %s has more than %d fields\n", d->name, CRM_RECVAL_FIELDS_MAX);
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
 * its meta for RecordMeta's fields (crm_recval_fields); NULL when absent. */
const ProtobufCMessage *crm_recval_holder(const ProtobufCMessage *m,
				      const ProtobufCFieldDescriptor *fd) {
	const ProtobufCFieldDescriptor *meta;

	if (m == NULL)
		return NULL;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++)
		if (&m->descriptor->fields[i] == fd)
			return m;
	meta = crm_recval_meta_field(m->descriptor);
	return meta ? *(const ProtobufCMessage *const *)((const char *)m + meta->offset) : NULL;
}

bool crm_recval_has(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)((const char *)m + fd->quantifier_offset) > 0;
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING)
		return *AT(m, fd, const void *const) != NULL;
	if (fd->quantifier_offset == 0)
		return true;
	return *(const protobuf_c_boolean *)((const char *)m + fd->quantifier_offset);
}

bool crm_recval_is_instant(const ProtobufCFieldDescriptor *fd) {
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
const void *crm_recval_at(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
			    size_t i) {
	if (fd->label != PROTOBUF_C_LABEL_REPEATED)
		return (const char *)m + fd->offset;
	return *AT(m, fd, const char *const) + i * elem_size(fd);
}

size_t crm_recval_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)((const char *)m + fd->quantifier_offset);
	return crm_recval_has(m, fd) ? 1 : 0;
}

/* The enum's value prefix from its name: AccountType -> ACCOUNT_TYPE_. */
bool crm_recval_enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t bufsz) {
	const char *s = d->short_name;
	size_t n = 0, i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i > 0 && isupper((unsigned char)s[i]) && n < bufsz)
			buf[n++] = '_';
		if (n < bufsz)
			buf[n++] = (char)toupper((unsigned char)s[i]);
	}
	if (n + 2 > bufsz)
		return false;
	buf[n++] = '_';
	buf[n] = '\0';
	return true;
}

/* Names of enums whose values carry no prefix (Action: READ) are taken
 * whole. */
const char *crm_recval_enum_name(const ProtobufCFieldDescriptor *fd, int v, char *buf,
				 size_t bufsz) {
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, v);
	const char *name;
	char prefix[64];
	size_t i;

	if (ev == NULL || ev->value == 0) {
		snprintf(buf, bufsz, "unknown(%d)", v);
		return buf;
	}
	name = ev->name;
	if (crm_recval_enum_prefix(fd->descriptor, prefix, sizeof(prefix)) &&
	    strncmp(name, prefix, strlen(prefix)) == 0 && name[strlen(prefix)] != '\0')
		name += strlen(prefix);
	for (i = 0; name[i] != '\0' && i + 1 < bufsz; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (bufsz > 0)
		buf[i] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- JSON */

static void json_message(crm_sbuf *b, const ProtobufCMessage *m);

/* One value (not a whole repeated field) at v. */
void crm_recval_json_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v) {
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
		name = crm_recval_enum_name(fd, *(const int *)v, buf, sizeof(buf));
		crm_sbuf_json_string(b, name, strlen(name));
		return;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (crm_recval_is_instant(fd)) {
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

void crm_recval_json_field(crm_sbuf *b, const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *fd) {
	size_t i, n;

	if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
		crm_recval_json_value(b, fd, crm_recval_at(m, fd, 0));
		return;
	}
	n = crm_recval_count(m, fd);
	crm_sbuf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			crm_sbuf_puts(b, ",");
		crm_recval_json_value(b, fd, crm_recval_at(m, fd, i));
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
		if (!crm_recval_has(m, &d->fields[i]))
			continue;
		if (!first)
			crm_sbuf_puts(b, ",");
		first = false;
		crm_sbuf_json_string(b, d->fields[i].name, strlen(d->fields[i].name));
		crm_sbuf_puts(b, ":");
		crm_recval_json_field(b, m, &d->fields[i]);
	}
	crm_sbuf_puts(b, "}");
}

/* ---------------------------------------------------------------- text for people */

/* What the text functions need besides the value: the custom fields'
 * labels and kinds, and how numbers and instants are written. */
struct tctx {
	const Crm__FieldListReply *labels;
	const crm_recval_style *style; /* NULL: plainly, instants in UTC */
};

static void text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
		       const struct tctx *t);

static const crm_numfmt *numbers(const struct tctx *t) {
	return t->style != NULL ? t->style->numbers : NULL;
}

bool crm_recval_is_count(const ProtobufCFieldDescriptor *fd) {
	size_t n = strlen(fd->name);

	return !crm_recval_is_instant(fd) && strcmp(fd->name, "id") != 0 &&
	       strcmp(fd->name, "version") != 0 && !(n > 3 && strcmp(fd->name + n - 3, "_id") == 0);
}

static void instant(crm_sbuf *b, int64_t us, const struct tctx *t) {
	if (t->style != NULL && t->style->instant != NULL)
		t->style->instant(b, us, t->style->data);
	else
		crm_sbuf_instant(b, us);
}

/* The definition of custom field `name` in labels, or NULL. */
static const Crm__FieldDef *custom_def(const Crm__FieldListReply *labels, const char *name,
				       size_t len) {
	for (size_t i = 0; labels != NULL && i < labels->n_fields; i++) {
		const Crm__FieldDef *f = labels->fields[i];

		if (f->has_name && !f->standard && f->name.len == len &&
		    memcmp(f->name.data, name, len) == 0)
			return f;
	}
	return NULL;
}

/* A custom value as it is, a number or money ("1250.50 EUR") one with the
 * style's separators. */
static void custom_value(crm_sbuf *b, const Crm__CustomValue *cv, const struct tctx *t) {
	const Crm__FieldDef *f = custom_def(t->labels, (const char *)cv->field.data, cv->field.len);
	const char *v = (const char *)cv->value.data;
	size_t len = cv->has_value ? cv->value.len : 0, amount;

	if (f == NULL || numbers(t) == NULL ||
	    (f->kind != CRM__FIELD_KIND__FIELD_KIND_NUMBER &&
	     f->kind != CRM__FIELD_KIND__FIELD_KIND_MONEY)) {
		crm_sbuf_put(b, v, len);
		return;
	}
	for (amount = 0; amount < len && v[amount] != ' '; amount++)
		;
	crm_numfmt_put(b, v, amount, numbers(t), f->kind == CRM__FIELD_KIND__FIELD_KIND_MONEY);
	crm_sbuf_put(b, v + amount, len - amount);
}

/* A custom value "Lead score: 12" under its field's label, when known. */
static bool text_custom(crm_sbuf *b, const ProtobufCMessage *m, const struct tctx *t) {
	const Crm__CustomValue *cv = (const Crm__CustomValue *)m;
	const ProtobufCBinaryData *label;

	if (m->descriptor != &crm__custom_value__descriptor || !cv->has_field)
		return false;
	label = crm_recval_custom_label(t->labels, (const char *)cv->field.data, cv->field.len);
	if (label == NULL)
		return false;
	crm_sbuf_put(b, (const char *)label->data, label->len);
	crm_sbuf_puts(b, ": ");
	custom_value(b, cv, t);
	return true;
}

/* Money "1250.50 EUR"; Date "1990-02-28" or "02-29" (no year). */
static bool text_special(crm_sbuf *b, const ProtobufCMessage *m, const struct tctx *t) {
	const Crm__Money *mo;
	const Crm__Date *d;

	if (m->descriptor == &crm__money__descriptor) {
		mo = (const Crm__Money *)m;
		crm_numfmt_put(b, (const char *)mo->amount.data, mo->has_amount ? mo->amount.len : 0,
			       numbers(t), true);
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
static void text_item(crm_sbuf *b, const ProtobufCMessage *m, const struct tctx *t) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *fd;
	bool shown = false;
	unsigned i, open = 0;

	if (text_special(b, m, t) || text_custom(b, m, t))
		return;
	if (d->n_fields == 2 && d->fields[0].type == PROTOBUF_C_TYPE_BYTES &&
	    d->fields[1].type == PROTOBUF_C_TYPE_BYTES) {
		text_value(b, &d->fields[0], crm_recval_at(m, &d->fields[0], 0), t);
		crm_sbuf_puts(b, ": ");
		if (crm_recval_has(m, &d->fields[1]))
			text_value(b, &d->fields[1], crm_recval_at(m, &d->fields[1], 0), t);
		return;
	}
	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (!crm_recval_has(m, fd) || fd->label == PROTOBUF_C_LABEL_REPEATED ||
		    (fd->type == PROTOBUF_C_TYPE_BOOL && !*AT(m, fd, const protobuf_c_boolean)))
			continue;
		if (shown)
			crm_sbuf_puts(b, open++ ? ", " : " (");
		shown = true;
		if (fd->type == PROTOBUF_C_TYPE_BOOL)
			crm_sbuf_puts(b, fd->name);
		else
			text_value(b, fd, crm_recval_at(m, fd, 0), t);
	}
	if (open)
		crm_sbuf_puts(b, ")");
}

/* A value whose later lines (a street over two lines) line up under its
 * first, `indent` columns in. */
static void indented(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
		     size_t indent, const struct tctx *t) {
	crm_sbuf one = {0};
	const char *p, *nl;

	crm_sbuf_puts(&one, "");
	text_value(&one, fd, v, t);
	for (p = one.p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		crm_sbuf_put(b, p, (size_t)(nl - p) + 1);
		crm_sbuf_pad(b, indent);
	}
	crm_sbuf_puts(b, p);
	crm_sbuf_fini(&one);
}

/* A message on its own (an address): "field: value" lines. */
static void text_message(crm_sbuf *b, const ProtobufCMessage *m, const struct tctx *t) {
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned i;

	if (text_special(b, m, t))
		return;
	for (i = 0; i < d->n_fields; i++) {
		if (!crm_recval_has(m, &d->fields[i]))
			continue;
		if (!first)
			crm_sbuf_puts(b, "\n");
		first = false;
		crm_sbuf_puts(b, d->fields[i].name);
		crm_sbuf_puts(b, ": ");
		indented(b, &d->fields[i], crm_recval_at(m, &d->fields[i], 0),
			 strlen(d->fields[i].name) + 2, t);
	}
}

/* A count (employees) with the style's separators; other numbers as their
 * JSON text. */
static void text_number(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
			const struct tctx *t) {
	crm_sbuf plain = {0};

	if (numbers(t) == NULL || !crm_recval_is_count(fd) ||
	    (fd->type != PROTOBUF_C_TYPE_INT64 && fd->type != PROTOBUF_C_TYPE_SINT64 &&
	     fd->type != PROTOBUF_C_TYPE_SFIXED64 && fd->type != PROTOBUF_C_TYPE_INT32 &&
	     fd->type != PROTOBUF_C_TYPE_SINT32 && fd->type != PROTOBUF_C_TYPE_SFIXED32)) {
		crm_recval_json_value(b, fd, v);
		return;
	}
	crm_sbuf_puts(&plain, "");
	crm_recval_json_value(&plain, fd, v);
	crm_numfmt_put(b, plain.p, plain.len, numbers(t), false);
	crm_sbuf_fini(&plain);
}

static void text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
		       const struct tctx *t) {
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
		text_message(b, *(const ProtobufCMessage *const *)v, t);
		return;
	case PROTOBUF_C_TYPE_BOOL:
		crm_sbuf_puts(b, *(const protobuf_c_boolean *)v ? "yes" : "no");
		return;
	case PROTOBUF_C_TYPE_ENUM:
		crm_sbuf_puts(b, crm_recval_enum_name(fd, *(const int *)v, buf, sizeof(buf)));
		return;
	default: /* numbers: their JSON text; instants unquoted */
		if (crm_recval_is_instant(fd))
			instant(b, *(const int64_t *)v, t);
		else
			text_number(b, fd, v, t);
		return;
	}
}

/* A list: tags joined by ", ", items of messages one a line. */
static void text_field(crm_sbuf *b, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
		       const struct tctx *t) {
	bool messages = fd->type == PROTOBUF_C_TYPE_MESSAGE;
	size_t i, n = crm_recval_count(m, fd);

	if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
		text_value(b, fd, crm_recval_at(m, fd, 0), t);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			crm_sbuf_puts(b, messages ? "\n" : ", ");
		if (messages)
			text_item(b, *(const ProtobufCMessage *const *)crm_recval_at(m, fd, i), t);
		else
			text_value(b, fd, crm_recval_at(m, fd, i), t);
	}
}

void crm_recval_text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
			   const Crm__FieldListReply *labels) {
	text_value(b, fd, v, &(struct tctx){.labels = labels});
}

void crm_recval_text_field(crm_sbuf *b, const ProtobufCMessage *m,
			   const ProtobufCFieldDescriptor *fd, const Crm__FieldListReply *labels) {
	text_field(b, m, fd, &(struct tctx){.labels = labels});
}

/* ---------------------------------------------------------------- by the server's field names */

/* The proto field a standard field name stands for: the facts' field
 * ("email" is a contact's `emails`), else the name itself. */
const char *crm_recval_proto_name(const char *type, const char *name) {
	size_t i;

	for (i = 0; type != NULL && i < CRM_N_FIELD_FACTS; i++)
		if (strcmp(crm_field_facts[i].record_type, type) == 0 &&
		    strcmp(crm_field_facts[i].name, name) == 0)
			return crm_field_facts[i].field;
	return name;
}

const Crm__CustomValue *crm_recval_custom(const ProtobufCMessage *rec, const char *name) {
	const ProtobufCFieldDescriptor *meta = rec ? crm_recval_meta_field(rec->descriptor) : NULL;
	const Crm__RecordMeta *m = meta ? *AT(rec, meta, const Crm__RecordMeta *const) : NULL;
	size_t i, len = strlen(name);

	for (i = 0; m != NULL && i < m->n_custom; i++)
		if (m->custom[i]->has_field && m->custom[i]->field.len == len &&
		    memcmp(m->custom[i]->field.data, name, len) == 0)
			return m->custom[i];
	return NULL;
}

const ProtobufCBinaryData *crm_recval_custom_label(const Crm__FieldListReply *labels,
						   const char *name, size_t len) {
	const Crm__FieldDef *f;
	size_t i;

	for (i = 0; labels != NULL && i < labels->n_fields; i++) {
		f = labels->fields[i];
		if (f->has_name && f->has_label && f->label.len > 0 && !f->standard &&
		    f->name.len == len && memcmp(f->name.data, name, len) == 0)
			return &f->label;
	}
	return NULL;
}

bool crm_recval_by_name(const ProtobufCMessage *rec, const char *type, const char *name,
			struct crm_recval_ref *ref) {
	const ProtobufCFieldDescriptor *meta, *fd;
	const char *pname = crm_recval_proto_name(type, name);

	*ref = (struct crm_recval_ref){0};
	if (rec == NULL)
		return false;
	fd = protobuf_c_message_descriptor_get_field_by_name(rec->descriptor, pname);
	meta = crm_recval_meta_field(rec->descriptor);
	if ((fd == NULL || fd == meta) && meta != NULL)
		fd = protobuf_c_message_descriptor_get_field_by_name(meta->descriptor, pname);
	if (fd != NULL) {
		ref->fd = fd;
		ref->holder = crm_recval_holder(rec, fd);
		if (ref->holder != NULL && !crm_recval_has(ref->holder, fd))
			ref->holder = NULL;
		return true;
	}
	ref->custom = crm_recval_custom(rec, name);
	return ref->custom != NULL;
}

bool crm_recval_text_styled(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
			    const char *name, const Crm__FieldListReply *labels,
			    const crm_recval_style *style) {
	const struct tctx t = {.labels = labels, .style = style};
	struct crm_recval_ref ref;

	if (!crm_recval_by_name(rec, type, name, &ref))
		return false;
	if (ref.custom != NULL) {
		if (!ref.custom->has_value)
			return false;
		custom_value(b, ref.custom, &t);
		return true;
	}
	if (ref.holder == NULL)
		return false;
	text_field(b, ref.holder, ref.fd, &t);
	return true;
}

bool crm_recval_text(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
		     const char *name, const Crm__FieldListReply *labels) {
	return crm_recval_text_styled(b, rec, type, name, labels, NULL);
}

bool crm_recval_int(const ProtobufCMessage *rec, const char *type, const char *name,
		    int64_t *out) {
	struct crm_recval_ref ref;

	if (!crm_recval_by_name(rec, type, name, &ref) || ref.holder == NULL ||
	    ref.fd->label == PROTOBUF_C_LABEL_REPEATED)
		return false;
	switch (ref.fd->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*out = *AT(ref.holder, ref.fd, const int64_t);
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*out = *AT(ref.holder, ref.fd, const uint32_t);
		return true;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*out = *AT(ref.holder, ref.fd, const int32_t);
		return true;
	default:
		return false;
	}
}
