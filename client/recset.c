/*
 * recset: a record's values written from text by walking its protobuf-c
 * descriptors. See recset.h.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "recset.h"
#include "recval.h"

#define AT(m, fd, T) ((T *)((char *)(m) + (fd)->offset))
#define CAT(m, fd, T) ((const T *)((const char *)(m) + (fd)->offset))
#define N_OF(m, fd) ((size_t *)((char *)(m) + (fd)->quantifier_offset))
#define LIST_ITEMS_MAX 100 /* lines of one list field; the server's limits are lower */

/* ---------------------------------------------------------------- memory */

static void *xcalloc(size_t n, size_t size) {
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		crm_sbuf_oom();
	return p;
}

static void *xrealloc(void *p, size_t size) {
	p = realloc(p, size ? size : 1);
	if (p == NULL)
		crm_sbuf_oom();
	return p;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d) {
	ProtobufCMessage *m = xcalloc(1, d->sizeof_message);

	d->message_init(m);
	return m;
}

static ProtobufCBinaryData bytes_of(const char *s, size_t n) {
	ProtobufCBinaryData b = {n, xcalloc(1, n + 1)};

	memcpy(b.data, s, n);
	return b;
}

/* ---------------------------------------------------------------- fields */

static bool is_money(const ProtobufCFieldDescriptor *fd) {
	return fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor == &crm__money__descriptor;
}

static bool is_date(const ProtobufCFieldDescriptor *fd) {
	return fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor == &crm__date__descriptor;
}

static bool is_int(const ProtobufCFieldDescriptor *fd) {
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
		return true;
	default:
		return false;
	}
}

static bool is_text(const ProtobufCFieldDescriptor *fd) {
	return fd->type == PROTOBUF_C_TYPE_BYTES || fd->type == PROTOBUF_C_TYPE_STRING;
}

/* A repeated message's parts: the value (its first field), "kind" and
 * "primary" when it has them; a pair is two text fields. */
struct item_shape {
	const ProtobufCFieldDescriptor *value, *kind, *primary, *second;
};

static struct item_shape item_shape(const ProtobufCMessageDescriptor *d) {
	struct item_shape s = {0};

	s.value = d->n_fields > 0 && is_text(&d->fields[0]) ? &d->fields[0] : NULL;
	s.kind = protobuf_c_message_descriptor_get_field_by_name(d, "kind");
	s.primary = protobuf_c_message_descriptor_get_field_by_name(d, "primary");
	if (s.kind == NULL && d->n_fields > 1 && is_text(&d->fields[1]))
		s.second = &d->fields[1];
	return s;
}

static enum crm_recset_how how_of(const ProtobufCFieldDescriptor *fd, const Crm__FieldDef *def) {
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return CRM_RECSET_LIST;
	if (is_money(fd))
		return CRM_RECSET_MONEY;
	if (is_date(fd))
		return CRM_RECSET_DATE;
	if (fd->type == PROTOBUF_C_TYPE_BOOL)
		return CRM_RECSET_BOOL;
	if (fd->type == PROTOBUF_C_TYPE_ENUM)
		return CRM_RECSET_CHOICE;
	if (def != NULL && def->kind == CRM__FIELD_KIND__FIELD_KIND_PICKLIST)
		return CRM_RECSET_CHOICE;
	if (def != NULL && def->has_references)
		return CRM_RECSET_REF;
	if (is_int(fd) || fd->type == PROTOBUF_C_TYPE_DOUBLE || fd->type == PROTOBUF_C_TYPE_FLOAT)
		return CRM_RECSET_NUMBER;
	if (def != NULL && def->multi_line)
		return CRM_RECSET_MULTI_LINE;
	return CRM_RECSET_TEXT;
}

static enum crm_recset_how how_of_custom(const Crm__FieldDef *def) {
	switch (def->kind) {
	case CRM__FIELD_KIND__FIELD_KIND_NUMBER:
		return CRM_RECSET_NUMBER;
	case CRM__FIELD_KIND__FIELD_KIND_MONEY:
		return CRM_RECSET_MONEY;
	case CRM__FIELD_KIND__FIELD_KIND_DATE:
		return CRM_RECSET_DATE;
	case CRM__FIELD_KIND__FIELD_KIND_BOOLEAN:
		return CRM_RECSET_BOOL;
	case CRM__FIELD_KIND__FIELD_KIND_PICKLIST:
		return CRM_RECSET_CHOICE;
	default:
		return def->multi_line ? CRM_RECSET_MULTI_LINE : CRM_RECSET_TEXT;
	}
}

/* The field of d named name, also meta's (RecordMeta) for a record. */
static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *d,
						   const char *name) {
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, name);
	const ProtobufCFieldDescriptor *meta = crm_recval_meta_field(d);

	if ((fd == NULL || fd == meta) && meta != NULL)
		fd = protobuf_c_message_descriptor_get_field_by_name(meta->descriptor, name);
	return fd;
}

/* RECORD_TYPE_ACCOUNT: "account". */
static void type_name(Crm__RecordType t, char *out, size_t outsz) {
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&crm__record_type__descriptor, (int)t);
	const char *s = v ? v->name : "";
	size_t i;

	if (strncmp(s, "RECORD_TYPE_", 12) == 0)
		s += 12;
	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static bool path_taken(const struct crm_recset_field *out, size_t n, const char *path) {
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].path, path) == 0)
			return true;
	return false;
}

static size_t add_field(struct crm_recset_field *out, size_t n, size_t max,
			const struct crm_recset_field *f) {
	if (n < max && !path_taken(out, n, f->path))
		out[n++] = *f;
	return n;
}

size_t crm_recset_form_fields(const ProtobufCMessageDescriptor *d, const char *type,
			      const Crm__FieldListReply *fields, struct crm_recset_field *out,
			      size_t max) {
	size_t n = 0;

	for (size_t i = 0; fields != NULL && i < fields->n_fields; i++) {
		const Crm__FieldDef *def = fields->fields[i];
		struct crm_recset_field f = {.def = def, .required = def->has_required && def->required};
		char name[64]; /* names have at most 40 characters */
		const ProtobufCFieldDescriptor *fd;

		if (def->read_only || !def->has_name || def->name.len == 0 ||
		    def->name.len >= sizeof(name))
			continue;
		memcpy(name, def->name.data, def->name.len);
		name[def->name.len] = '\0';
		if (!def->standard) {
			snprintf(f.path, sizeof(f.path), "custom.%s", name);
			f.how = how_of_custom(def);
			n = add_field(out, n, max, &f);
			continue;
		}
		fd = field_named(d, crm_recval_proto_name(type, name));
		if (fd == NULL)
			continue; /* a field of a part listed by its message (an address's country) */
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->label != PROTOBUF_C_LABEL_REPEATED &&
		    !is_money(fd) && !is_date(fd)) {
			/* a message of its own (an address): one form field a part */
			const ProtobufCMessageDescriptor *md = fd->descriptor;

			for (unsigned k = 0; k < md->n_fields; k++) {
				const ProtobufCFieldDescriptor *part = &md->fields[k];
				struct crm_recset_field pf = f;

				if (!is_text(part))
					continue;
				snprintf(pf.path, sizeof(pf.path), "%s.%s", fd->name, part->name);
				pf.part = part->name;
				pf.fd = part;
				pf.how = strcmp(part->name, "street") == 0 ? CRM_RECSET_MULTI_LINE
									  : CRM_RECSET_TEXT;
				pf.required = false;
				n = add_field(out, n, max, &pf);
			}
			continue;
		}
		snprintf(f.path, sizeof(f.path), "%s", fd->name);
		f.fd = fd;
		f.how = how_of(fd, def);
		f.picklist = f.how == CRM_RECSET_CHOICE && fd->type != PROTOBUF_C_TYPE_ENUM;
		if (def->has_references)
			type_name(def->references, f.references, sizeof(f.references));
		n = add_field(out, n, max, &f);
	}
	return n;
}

/* ---------------------------------------------------------------- reading */

/* The holder of f's leaf in rec (the record, its meta, or the message of
 * a part); NULL when absent. */
static const ProtobufCMessage *leaf_holder(const ProtobufCMessage *rec,
					   const struct crm_recset_field *f) {
	const ProtobufCMessage *m;
	const ProtobufCFieldDescriptor *outer;
	char head[CRM_RECSET_PATH_MAX];
	const char *dot;

	if (rec == NULL)
		return NULL;
	if (f->part == NULL)
		return crm_recval_holder(rec, f->fd);
	dot = strchr(f->path, '.');
	snprintf(head, sizeof(head), "%.*s", (int)(dot - f->path), f->path);
	outer = field_named(rec->descriptor, head);
	m = outer ? crm_recval_holder(rec, outer) : NULL;
	return m ? *CAT(m, outer, ProtobufCMessage *const) : NULL;
}

static void get_item(crm_sbuf *b, const ProtobufCMessage *it) {
	struct item_shape s = item_shape(it->descriptor);
	const ProtobufCBinaryData *v;

	if (s.kind != NULL && crm_recval_has(it, s.kind)) {
		v = CAT(it, s.kind, ProtobufCBinaryData);
		crm_sbuf_put(b, (const char *)v->data, v->len);
		crm_sbuf_putc(b, ':');
	}
	if (s.value != NULL && crm_recval_has(it, s.value)) {
		v = CAT(it, s.value, ProtobufCBinaryData);
		crm_sbuf_put(b, (const char *)v->data, v->len);
	}
	if (s.second != NULL && crm_recval_has(it, s.second)) {
		v = CAT(it, s.second, ProtobufCBinaryData);
		crm_sbuf_putc(b, '=');
		crm_sbuf_put(b, (const char *)v->data, v->len);
	}
}

static bool item_primary(const ProtobufCMessage *it) {
	struct item_shape s = item_shape(it->descriptor);

	return s.primary != NULL && *CAT(it, s.primary, protobuf_c_boolean);
}

static void get_list(crm_sbuf *b, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	size_t n = crm_recval_count(m, fd), lines = 0;

	if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
		for (size_t i = 0; i < n; i++) {
			const ProtobufCBinaryData *v = crm_recval_at(m, fd, i);

			if (i > 0)
				crm_sbuf_putc(b, '\n');
			crm_sbuf_put(b, (const char *)v->data, v->len);
		}
		return;
	}
	/* the primary item first, then the rest in their order */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const ProtobufCMessage *it = *(const ProtobufCMessage *const *)crm_recval_at(m, fd, i);

			if (item_primary(it) != (pass == 0))
				continue;
			if (lines++ > 0)
				crm_sbuf_putc(b, '\n');
			get_item(b, it);
		}
}

void crm_recset_get(crm_sbuf *b, const ProtobufCMessage *rec, const struct crm_recset_field *f) {
	const ProtobufCMessage *m;
	const ProtobufCFieldDescriptor *fd = f->fd;
	char buf[64];

	if (fd == NULL) {
		const Crm__CustomValue *cv = crm_recval_custom(rec, f->path + strlen("custom."));

		if (cv != NULL && cv->has_value)
			crm_sbuf_put(b, (const char *)cv->value.data, cv->value.len);
		return;
	}
	m = leaf_holder(rec, f);
	if (m == NULL || (fd->label == PROTOBUF_C_LABEL_REPEATED ? crm_recval_count(m, fd) == 0
								  : !crm_recval_has(m, fd)))
		return;
	switch (f->how) {
	case CRM_RECSET_LIST:
		get_list(b, m, fd);
		return;
	case CRM_RECSET_BOOL:
		crm_sbuf_puts(b, *CAT(m, fd, protobuf_c_boolean) ? "true" : "false");
		return;
	case CRM_RECSET_DATE: {
		const Crm__Date *d = *CAT(m, fd, Crm__Date *const);

		if (d->has_year)
			crm_sbuf_printf(b, "%04u-%02u-%02u", d->year, d->month, d->day);
		else
			crm_sbuf_printf(b, "--%02u-%02u", d->month, d->day);
		return;
	}
	case CRM_RECSET_MONEY: {
		const Crm__Money *mo = *CAT(m, fd, Crm__Money *const);

		crm_sbuf_put(b, (const char *)mo->amount.data, mo->amount.len);
		if (mo->has_currency && mo->currency.len > 0) {
			crm_sbuf_putc(b, ' ');
			crm_sbuf_put(b, (const char *)mo->currency.data, mo->currency.len);
		}
		return;
	}
	default:
		break;
	}
	if (fd->type == PROTOBUF_C_TYPE_ENUM)
		crm_sbuf_puts(b, crm_recval_enum_name(fd, *CAT(m, fd, int), buf, sizeof(buf)));
	else
		crm_recval_text_value(b, fd, crm_recval_at(m, fd, 0), NULL);
}

/* ---------------------------------------------------------------- writing */

CRM_PRINTF(2, 3) static void fail(crm_sbuf *err, const char *fmt, ...) {
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	crm_sbuf_puts(err, msg);
}

/* The message f's leaf goes in, made where missing (meta, an address). */
static ProtobufCMessage *leaf_holder_made(ProtobufCMessage *rec, const struct crm_recset_field *f,
					 const ProtobufCFieldDescriptor *fd) {
	const ProtobufCFieldDescriptor *meta = crm_recval_meta_field(rec->descriptor), *outer;
	ProtobufCMessage **slot, *m = rec;
	char head[CRM_RECSET_PATH_MAX];
	const char *dot;

	if (f->part != NULL) {
		dot = strchr(f->path, '.');
		snprintf(head, sizeof(head), "%.*s", (int)(dot - f->path), f->path);
		outer = field_named(rec->descriptor, head);
		m = leaf_holder_made(rec, &(struct crm_recset_field){.fd = outer}, outer);
		slot = AT(m, outer, ProtobufCMessage *);
		if (*slot == NULL)
			*slot = new_message(outer->descriptor);
		return *slot;
	}
	for (unsigned i = 0; i < rec->descriptor->n_fields; i++)
		if (&rec->descriptor->fields[i] == fd)
			return rec;
	slot = AT(rec, meta, ProtobufCMessage *);
	if (*slot == NULL)
		*slot = new_message(meta->descriptor);
	return *slot;
}

/* An optional scalar's has_X. */
static void set_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset != 0 &&
	    fd->type != PROTOBUF_C_TYPE_MESSAGE && fd->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)((char *)m + fd->quantifier_offset) = 1;
}

static void set_bytes(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *s,
		      size_t n) {
	if (fd->type == PROTOBUF_C_TYPE_STRING) {
		char **p = AT(m, fd, char *);

		free(*p);
		*p = (char *)bytes_of(s, n).data;
		return;
	}
	free(AT(m, fd, ProtobufCBinaryData)->data);
	set_present(m, fd);
	*AT(m, fd, ProtobufCBinaryData) = bytes_of(s, n);
}

static bool parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out) {
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi || isspace((unsigned char)*text))
		return false;
	*out = v;
	return true;
}

static bool set_int(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	int64_t v;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
		if (!parse_int(text, INT32_MIN, INT32_MAX, &v))
			return false;
		set_present(m, fd);
		*AT(m, fd, int32_t) = (int32_t)v;
		return true;
	case PROTOBUF_C_TYPE_UINT32:
		if (!parse_int(text, 0, UINT32_MAX, &v))
			return false;
		set_present(m, fd);
		*AT(m, fd, uint32_t) = (uint32_t)v;
		return true;
	default:
		if (!parse_int(text, fd->type == PROTOBUF_C_TYPE_UINT64 ? 0 : INT64_MIN, INT64_MAX, &v))
			return false;
		set_present(m, fd);
		*AT(m, fd, int64_t) = v;
		return true;
	}
}

/* "-1234.50": digits, an optional sign and point. */
static bool is_amount(const char *s, size_t n) {
	size_t i = 0, digits = 0, points = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	for (; i < n; i++) {
		if (s[i] == '.' && points++ == 0 && digits > 0)
			continue;
		if (!isdigit((unsigned char)s[i]))
			return false;
		digits++;
	}
	return digits > 0 && (n == 0 || s[n - 1] != '.');
}

static bool set_money(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	const char *sp = strchr(text, ' ');
	size_t an = sp ? (size_t)(sp - text) : strlen(text);
	const char *cur = sp ? sp + 1 : NULL;
	Crm__Money *mo;
	char code[4];

	if (!is_amount(text, an))
		return false;
	if (cur != NULL) {
		if (strlen(cur) != 3)
			return false;
		for (int i = 0; i < 3; i++) {
			if (!isalpha((unsigned char)cur[i]))
				return false;
			code[i] = (char)toupper((unsigned char)cur[i]);
		}
		code[3] = '\0';
	}
	mo = (Crm__Money *)new_message(&crm__money__descriptor);
	mo->has_amount = true;
	mo->amount = bytes_of(text, an);
	if (cur != NULL) {
		mo->has_currency = true;
		mo->currency = bytes_of(code, 3);
	}
	protobuf_c_message_free_unpacked(*AT(m, fd, ProtobufCMessage *), NULL);
	*AT(m, fd, Crm__Money *) = mo;
	return true;
}

static bool set_date(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	unsigned y = 0, mo = 0, d = 0;
	int used = 0;
	bool year = text[0] != '-';
	Crm__Date *date;

	if (year ? sscanf(text, "%4u-%2u-%2u%n", &y, &mo, &d, &used) != 3
		 : sscanf(text, "--%2u-%2u%n", &mo, &d, &used) != 2)
		return false;
	if (text[used] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || (year && y < 1))
		return false;
	date = (Crm__Date *)new_message(&crm__date__descriptor);
	date->has_year = year;
	date->year = y;
	date->has_month = date->has_day = true;
	date->month = mo;
	date->day = d;
	protobuf_c_message_free_unpacked(*AT(m, fd, ProtobufCMessage *), NULL);
	*AT(m, fd, Crm__Date *) = date;
	return true;
}

static bool set_enum(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	const ProtobufCEnumDescriptor *ed = fd->descriptor;
	char buf[64];

	for (unsigned i = 0; i < ed->n_values; i++) {
		if (ed->values[i].value == 0)
			continue; /* UNSPECIFIED */
		if (strcmp(crm_recval_enum_name(fd, ed->values[i].value, buf, sizeof(buf)), text) == 0) {
			set_present(m, fd);
			*AT(m, fd, int) = ed->values[i].value;
			return true;
		}
	}
	return false;
}

static bool set_bool(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	bool v;

	if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0)
		v = true;
	else if (strcmp(text, "false") == 0 || strcmp(text, "no") == 0)
		v = false;
	else
		return false;
	set_present(m, fd);
	*AT(m, fd, protobuf_c_boolean) = v;
	return true;
}

/* One line of a list of messages into a new item. */
static ProtobufCMessage *item_from(const ProtobufCMessageDescriptor *d, const char *s, size_t n,
				   bool first) {
	struct item_shape sh = item_shape(d);
	ProtobufCMessage *it = new_message(d);
	const char *sep;
	size_t k;

	if (sh.kind != NULL && (sep = memchr(s, ':', n)) != NULL) {
		for (k = 0; s + k < sep && isalpha((unsigned char)s[k]); k++)
			;
		if (k > 0 && s + k == sep) {
			set_bytes(it, sh.kind, s, k);
			n -= k + 1;
			s = sep + 1;
			while (n > 0 && *s == ' ')
				s++, n--;
		}
	}
	if (sh.second != NULL && (sep = memchr(s, '=', n)) != NULL) {
		set_bytes(it, sh.value, s, (size_t)(sep - s));
		set_bytes(it, sh.second, sep + 1, n - (size_t)(sep - s) - 1);
		return it;
	}
	if (sh.value != NULL)
		set_bytes(it, sh.value, s, n);
	if (sh.primary != NULL && first) {
		set_present(it, sh.primary);
		*AT(it, sh.primary, protobuf_c_boolean) = 1;
	}
	return it;
}

static bool set_list(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *text) {
	size_t *n = N_OF(m, fd), items = 0;
	void **arr;
	const char *s = text, *e;

	arr = xcalloc(LIST_ITEMS_MAX, fd->type == PROTOBUF_C_TYPE_MESSAGE ? sizeof(void *)
									  : sizeof(ProtobufCBinaryData));
	while (*s != '\0') {
		size_t len;

		e = strchr(s, '\n');
		len = e ? (size_t)(e - s) : strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		while (len > 0 && isspace((unsigned char)*s))
			s++, len--;
		if (len > 0) {
			if (items == LIST_ITEMS_MAX) {
				free(arr);
				return false;
			}
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
				arr[items] = item_from(fd->descriptor, s, len, items == 0);
			else
				((ProtobufCBinaryData *)arr)[items] = bytes_of(s, len);
			items++;
		}
		s += len;
		while (*s != '\0' && *s != '\n')
			s++;
		if (*s == '\n')
			s++;
	}
	if (*n > 0) {
		/* replaced whole: free what was there */
		for (size_t i = 0; i < *n; i++) {
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
				protobuf_c_message_free_unpacked((*AT(m, fd, ProtobufCMessage **))[i], NULL);
			else
				free((*AT(m, fd, ProtobufCBinaryData *))[i].data);
		}
		free(*AT(m, fd, void *));
	}
	*n = items;
	*AT(m, fd, void *) = items ? xrealloc(arr, items * (fd->type == PROTOBUF_C_TYPE_MESSAGE
								    ? sizeof(void *)
								    : sizeof(ProtobufCBinaryData)))
				   : (free(arr), NULL);
	return true;
}

static void set_custom(ProtobufCMessage *rec, const char *name, const char *text) {
	const ProtobufCFieldDescriptor *metafd = crm_recval_meta_field(rec->descriptor);
	Crm__RecordMeta **slot = AT(rec, metafd, Crm__RecordMeta *), *meta;
	Crm__CustomValue *cv;

	if (*slot == NULL)
		*slot = (Crm__RecordMeta *)new_message(&crm__record_meta__descriptor);
	meta = *slot;
	for (size_t i = 0; i < meta->n_custom; i++)
		if (meta->custom[i]->field.len == strlen(name) &&
		    memcmp(meta->custom[i]->field.data, name, strlen(name)) == 0) {
			free(meta->custom[i]->value.data);
			meta->custom[i]->value = bytes_of(text, strlen(text));
			return;
		}
	cv = (Crm__CustomValue *)new_message(&crm__custom_value__descriptor);
	cv->has_field = cv->has_value = true;
	cv->field = bytes_of(name, strlen(name));
	cv->value = bytes_of(text, strlen(text));
	meta->custom = xrealloc(meta->custom, (meta->n_custom + 1) * sizeof(*meta->custom));
	meta->custom[meta->n_custom++] = cv;
}

bool crm_recset_set(ProtobufCMessage *rec, const struct crm_recset_field *f, const char *text,
		    crm_sbuf *err) {
	const ProtobufCFieldDescriptor *fd = f->fd;
	ProtobufCMessage *m;
	bool ok = true;

	if (fd == NULL) {
		set_custom(rec, f->path + strlen("custom."), text);
		return true;
	}
	m = leaf_holder_made(rec, f, fd);
	switch (f->how) {
	case CRM_RECSET_LIST:
		if (!set_list(m, fd, text)) {
			char most[16];

			snprintf(most, sizeof(most), "%d", LIST_ITEMS_MAX);
			fail(err, _("holds at most %s items, one a line"), most);
			return false;
		}
		return true;
	case CRM_RECSET_BOOL:
		ok = set_bool(m, fd, text);
		if (!ok)
			fail(err, _("must be yes or no, not '%s'"), text);
		return ok;
	case CRM_RECSET_DATE:
		ok = set_date(m, fd, text);
		if (!ok)
			fail(err, _("must be a date: YYYY-MM-DD (or --MM-DD without a year), not '%s'"),
			     text);
		return ok;
	case CRM_RECSET_MONEY:
		ok = set_money(m, fd, text);
		if (!ok)
			fail(err, _("must be an amount with a point before the decimals and no thousands "
				    "separators, then a currency code: \"1250.50 EUR\"; not '%s'"),
			     text);
		return ok;
	default:
		break;
	}
	if (fd->type == PROTOBUF_C_TYPE_ENUM) {
		ok = set_enum(m, fd, text);
		if (!ok)
			fail(err, _("'%s' is not one of the choices"), text);
	} else if (is_int(fd)) {
		ok = set_int(m, fd, text);
		if (!ok)
			fail(err, f->how == CRM_RECSET_REF ? _("must be a record's id (a whole number), not '%s'")
							   : _("must be a whole number, not '%s'"),
			     text);
	} else if (is_text(fd)) {
		set_bytes(m, fd, text, strlen(text));
	} else {
		fail(err, "%s", _("cannot be set here"));
		ok = false;
	}
	return ok;
}

Crm__Record *crm_recset_record_new(const char *type, ProtobufCMessage **inner) {
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field_by_name(&crm__record__descriptor, type);
	Crm__Record *r;

	if (fd == NULL || fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	r = (Crm__Record *)new_message(&crm__record__descriptor);
	r->kind_case = (Crm__Record__KindCase)fd->id;
	*inner = new_message(fd->descriptor);
	*AT(r, fd, ProtobufCMessage *) = *inner;
	return r;
}

/* ---------------------------------------------------------------- errors */

int crm_recset_field_of_error(const struct crm_recset_field *fs, size_t n, const char *type,
			      const char *error_path) {
	const char *p = error_path, *t;
	size_t best_len = 0;
	int best = -1;

	if (p == NULL)
		return -1;
	/* the record's own path starts after "<type>." */
	t = strstr(p, type);
	while (t != NULL && !((t == p || t[-1] == '.') && t[strlen(type)] == '.'))
		t = strstr(t + 1, type);
	if (t != NULL)
		p = t + strlen(type) + 1;
	if (strncmp(p, "meta.", 5) == 0)
		p += 5;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(fs[i].path);

		if (strncmp(p, fs[i].path, len) == 0 &&
		    (p[len] == '\0' || p[len] == '.' || p[len] == '[') && len > best_len) {
			best = (int)i;
			best_len = len;
		}
	}
	return best;
}
