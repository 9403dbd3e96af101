/*
 * cmd_record_build: the options of `crm TYPE add|edit|list` turned into
 * RecordCreate / RecordUpdate / RecordList messages, driven by the type's
 * flag table and the protobuf-c descriptors. See cmd_record.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "cmd_record.h"
#include "crm_wire.h"
#include "strbuf.h"

#define AT(m, fd, T) ((T *)((char *)(m) + (fd)->offset))
#define N_OF(m, fd) ((size_t *)((char *)(m) + (fd)->quantifier_offset))

#define SEGMENT_MAX 64
#define FILTERS_MAX 20
#define SORTS_MAX 3
/* a text operand read from standard input: 4096 characters (a note) of up
 * to 4 bytes each; the server checks the length in characters */
#define CRM_TEXT_OPERAND_MAX 16384

static void bug(const char *what, const char *name) {
	fprintf(stderr, "crm: bug: %s '%s'\n", what, name);
	abort();
}

/* ---------------------------------------------------------------- memory */

void *crm_rec_alloc(struct crm_rec_mem *m, size_t size) {
	void **np, *p;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		np = realloc(m->p, m->cap * sizeof(void *));
		if (np == NULL)
			crm_sbuf_oom();
		m->p = np;
	}
	p = calloc(1, size ? size : 1);
	if (p == NULL)
		crm_sbuf_oom();
	m->p[m->n++] = p;
	return p;
}

char *crm_rec_strdup(struct crm_rec_mem *m, const char *s, size_t len) {
	char *p = crm_rec_alloc(m, len + 1);

	memcpy(p, s, len);
	return p;
}

void crm_rec_mem_free(struct crm_rec_mem *m) {
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->p[i]);
	free(m->p);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- types */

/* The one list of record types, in the order of 'crm --help': a new type
 * is its table (cmd_<type>.c, crm_rec_<type>) and its X() here. */
#define CRM_REC_TYPES(X) X(note) X(account) X(contact)

#define DECLARE(name) extern const struct crm_rec_type crm_rec_##name;
#define ENTRY(name) &crm_rec_##name,
CRM_REC_TYPES(DECLARE)
const struct crm_rec_type *const crm_rec_types[] = {CRM_REC_TYPES(ENTRY) NULL};
#undef DECLARE
#undef ENTRY

const struct crm_rec_type *crm_rec_type_by_noun(const char *noun) {
	size_t i;

	for (i = 0; crm_rec_types[i] != NULL; i++)
		if (strcmp(crm_rec_types[i]->noun, noun) == 0)
			return crm_rec_types[i];
	return NULL;
}

const struct crm_rec_type *crm_rec_type_of(const struct crm_cli *cli) {
	const struct crm_rec_type *t = cli->cmd ? crm_rec_type_by_noun(cli->cmd->noun) : NULL;

	if (t == NULL)
		bug("no record type for command", cli->cmd ? cli->cmd->noun : "(none)");
	return t;
}

bool crm_rec_parse_type(struct crm_cli *cli, const char *s, Crm__RecordType *type) {
	char list[128];
	int v;

	if (!crm_args_enum(&crm__record_type__descriptor, "RECORD_TYPE_", s, &v)) {
		crm_cli_usage(cli, "TYPE is one of %s, not '%s'",
			      crm_args_enum_list(&crm__record_type__descriptor, "RECORD_TYPE_", list,
						 sizeof(list)),
			      s);
		return false;
	}
	*type = (Crm__RecordType)v;
	return true;
}

/* ---------------------------------------------------------------- reflection */

static ProtobufCMessage *new_message(struct crm_rec_mem *mem, const ProtobufCMessageDescriptor *d) {
	ProtobufCMessage *m = crm_rec_alloc(mem, d->sizeof_message);

	protobuf_c_message_init(d, m);
	return m;
}

/* Flags write through it; with mem NULL it is cmd_record_view.c's read-only
 * lookup too. See cmd_record.h. */
ProtobufCMessage *crm_rec_walk(struct crm_rec_mem *mem, ProtobufCMessage *m, const char *path,
			       const ProtobufCFieldDescriptor **fd_out) {
	const ProtobufCFieldDescriptor *fd;
	ProtobufCMessage **sub;
	char seg[SEGMENT_MAX];
	const char *dot;
	size_t len;

	while (m != NULL) {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof(seg))
			return NULL;
		memcpy(seg, path, len);
		seg[len] = '\0';
		fd = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, seg);
		if (fd == NULL && crm_rec_meta_field(m->descriptor) != NULL) {
			/* the shared fields (id, tags, ...) read as the record's own */
			const ProtobufCFieldDescriptor *mfd = crm_rec_meta_field(m->descriptor);

			fd = protobuf_c_message_descriptor_get_field_by_name(mfd->descriptor, seg);
			sub = AT(m, mfd, ProtobufCMessage *);
			if (fd != NULL && *sub == NULL && mem != NULL)
				*sub = new_message(mem, mfd->descriptor);
			m = *sub;
			if (m == NULL)
				return NULL;
		}
		if (fd == NULL)
			return NULL;
		if (dot == NULL) {
			*fd_out = fd;
			return m;
		}
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label == PROTOBUF_C_LABEL_REPEATED)
			return NULL;
		sub = AT(m, fd, ProtobufCMessage *);
		if (*sub == NULL && mem != NULL)
			*sub = new_message(mem, fd->descriptor);
		m = *sub;
		path = dot + 1;
	}
	return NULL;
}

static void set_has(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	if (fd->quantifier_offset != 0)
		*(protobuf_c_boolean *)((char *)m + fd->quantifier_offset) = 1;
}

static void set_bytes(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, const char *s,
		      size_t len) {
	ProtobufCBinaryData *b = AT(m, fd, ProtobufCBinaryData);

	b->data = (uint8_t *)s;
	b->len = len;
	set_has(m, fd);
}

/* A new element of a repeated field (room for e->max_items). */
static void *append(struct crm_rec_mem *mem, size_t max_items, ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *fd, size_t elem_size) {
	size_t *n = N_OF(m, fd);
	void **arr = AT(m, fd, void *);

	if (*arr == NULL)
		*arr = crm_rec_alloc(mem, max_items * elem_size);
	if (*n >= max_items)
		bug("too many items for", fd->name);
	return (char *)*arr + (*n)++ * elem_size;
}

static ProtobufCMessage *append_message(struct crm_rec_mem *mem, size_t max_items,
					ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd) {
	ProtobufCMessage **slot = append(mem, max_items, m, fd, sizeof(ProtobufCMessage *));

	*slot = new_message(mem, fd->descriptor);
	return *slot;
}

const ProtobufCMessage *crm_rec_inner(const Crm__Record *r) {
	const ProtobufCFieldDescriptor *fd;

	if (r == NULL || r->kind_case == CRM__RECORD__KIND__NOT_SET)
		return NULL;
	fd = protobuf_c_message_descriptor_get_field(&crm__record__descriptor,
						     (unsigned)r->kind_case);
	return fd ? *AT(r, fd, const ProtobufCMessage *) : NULL;
}

const ProtobufCFieldDescriptor *crm_rec_meta_field(const ProtobufCMessageDescriptor *d) {
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, "meta");

	return fd != NULL && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
			       fd->label != PROTOBUF_C_LABEL_REPEATED &&
			       fd->descriptor == &crm__record_meta__descriptor
		       ? fd
		       : NULL;
}

bool crm_rec_get_int(const ProtobufCMessage *m, const char *name, int64_t *out) {
	const ProtobufCFieldDescriptor *fd = NULL;

	/* without mem the walk only reads: the cast does not let it write */
	m = crm_rec_walk(NULL, (ProtobufCMessage *)m, name, &fd);
	if (m == NULL || fd->type != PROTOBUF_C_TYPE_INT64 || !crm_rec_has(m, fd))
		return false;
	*out = *AT(m, fd, const int64_t);
	return true;
}

/* ---------------------------------------------------------------- one flag */

struct parse {
	struct crm_cli *cli;
	const struct crm_rec_type *t;
	struct crm_rec_edit *e;
	bool edit;
	const char **primary; /* per flag row: the PRIMARY value given */
};

/* The type's flags, then the ones every record type has. */
static const struct crm_rec_flag common_flags[] = {
	{"tag", "tags", CRM_REC_VALUE, NULL},
	{"add-tag", "tags", CRM_REC_ADD, NULL},
	{"remove-tag", "tags", CRM_REC_REMOVE, NULL},
	{"set", "custom", CRM_REC_PAIR, NULL},
	{"external-id", "external_id", CRM_REC_VALUE, NULL},
};
#define N_COMMON (sizeof(common_flags) / sizeof(common_flags[0]))

static size_t n_rows(const struct crm_rec_type *t) { return t->n_flags + N_COMMON; }

static const struct crm_rec_flag *row_at(const struct crm_rec_type *t, size_t i) {
	return i < t->n_flags ? &t->flags[i] : &common_flags[i - t->n_flags];
}

static int need_value(struct parse *p, const struct crm_rec_flag *f) {
	if (p->edit && strcmp(f->path, "tags") != 0)
		return crm_cli_usage(p->cli, "--%s needs a value (--clear %s empties the field)",
				     f->flag, f->flag);
	return crm_cli_usage(p->cli, "--%s needs a value", f->flag);
}

static int set_enum(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *fd, const char *arg) {
	const ProtobufCEnumDescriptor *ed = fd->descriptor;
	char prefix[64], list[256];
	int v;

	if (!crm_args_enum_prefix(ed, prefix, sizeof(prefix)))
		bug("enum prefix too long", ed->name);
	if (!crm_args_enum(ed, prefix, arg, &v))
		return crm_cli_usage(p->cli, "--%s is one of %s; not '%s'", f->flag,
				     crm_args_enum_list(ed, prefix, list, sizeof(list)), arg);
	*AT(m, fd, int) = v;
	set_has(m, fd);
	return 0;
}

static int set_int(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		   const ProtobufCFieldDescriptor *fd, const char *arg) {
	size_t n = strlen(fd->name);
	char what[64], *end;
	long long v;

	snprintf(what, sizeof(what), "--%s", f->flag);
	if (n > 3 && strcmp(fd->name + n - 3, "_id") == 0) {
		if (!crm_cli_parse_id(p->cli, arg, what, AT(m, fd, int64_t)))
			return CRM_EXIT_USAGE;
	} else {
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0 || arg[0] == '+' ||
		    arg[0] == ' ')
			return crm_cli_usage(p->cli, "%s must be a whole number of 0 or more, not '%s'",
					     what, arg);
		*AT(m, fd, int64_t) = v;
	}
	set_has(m, fd);
	return 0;
}

static int set_money(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		     const ProtobufCFieldDescriptor *fd, const char *arg) {
	Crm__Money *money;
	char currency[4];
	size_t len;

	if (!crm_args_money(arg, &len, currency))
		return crm_cli_usage(p->cli,
				     "--%s takes an amount and a currency code, with a point before "
				     "the decimals and no thousands separators: \"1250.50 EUR\"; "
				     "not '%s'",
				     f->flag, arg);
	money = (Crm__Money *)new_message(&p->e->mem, &crm__money__descriptor);
	money->has_amount = true;
	money->amount.data = (uint8_t *)arg;
	money->amount.len = len;
	if (currency[0] != '\0') {
		money->has_currency = true;
		money->currency.data = (uint8_t *)crm_rec_strdup(&p->e->mem, currency, 3);
		money->currency.len = 3;
	}
	*AT(m, fd, Crm__Money *) = money;
	return 0;
}

static int set_date(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *fd, const char *arg) {
	unsigned y, mo, d;
	Crm__Date *date;

	if (!crm_args_date(arg, &y, &mo, &d))
		return crm_cli_usage(p->cli,
				     "--%s takes a date that exists, YYYY-MM-DD, or MM-DD without "
				     "a year; not '%s'",
				     f->flag, arg);
	date = (Crm__Date *)new_message(&p->e->mem, &crm__date__descriptor);
	date->has_year = y != 0;
	date->year = y;
	date->has_month = date->has_day = true;
	date->month = mo;
	date->day = d;
	*AT(m, fd, Crm__Date *) = date;
	return 0;
}

static int set_bool(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *fd, const char *arg) {
	bool v = true;

	if (arg != NULL && !crm_args_yesno(arg, &v))
		return crm_cli_usage(p->cli, "--%s takes yes or no, not '%s'", f->flag, arg);
	*AT(m, fd, protobuf_c_boolean) = v;
	set_has(m, fd);
	return 0;
}

/* CRM_REC_VALUE and CRM_REC_SWITCH: by the field's type. */
static int set_value(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		     const ProtobufCFieldDescriptor *fd, const char *arg) {
	ProtobufCBinaryData *b;

	if (arg != NULL && arg[0] == '\0')
		return need_value(p, f);
	switch (fd->type) {
	case PROTOBUF_C_TYPE_BYTES:
		if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
			set_bytes(m, fd, arg, strlen(arg));
			return 0;
		}
		b = append(&p->e->mem, p->e->max_items, m, fd, sizeof(ProtobufCBinaryData));
		b->data = (uint8_t *)arg;
		b->len = strlen(arg);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return set_enum(p, f, m, fd, arg);
	case PROTOBUF_C_TYPE_BOOL:
		return set_bool(p, f, m, fd, arg);
	case PROTOBUF_C_TYPE_INT64:
		return set_int(p, f, m, fd, arg);
	case PROTOBUF_C_TYPE_MESSAGE:
		if (fd->descriptor == &crm__money__descriptor)
			return set_money(p, f, m, fd, arg);
		if (fd->descriptor == &crm__date__descriptor)
			return set_date(p, f, m, fd, arg);
		break;
	default:
		break;
	}
	bug("no way to set field", fd->name);
	return CRM_EXIT_FAILURE;
}

/* "ADDRESS" for the first field of ContactEmail: the VALUE of a usage line. */
static const char *upper_name(const ProtobufCFieldDescriptor *fd, char *buf, size_t bufsz) {
	size_t i;

	for (i = 0; fd->name[i] != '\0' && i + 1 < bufsz; i++)
		buf[i] = (char)(fd->name[i] >= 'a' && fd->name[i] <= 'z' ? fd->name[i] - 32
									 : fd->name[i]);
	buf[i] = '\0';
	return buf;
}

static int set_typed(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		     const ProtobufCFieldDescriptor *fd, const char *arg) {
	const ProtobufCMessageDescriptor *d = fd->descriptor;
	const ProtobufCFieldDescriptor *kfd;
	const char *kind, *value, *why = "";
	char list[128], what[32];
	ProtobufCMessage *item;
	size_t klen, i, n = 0;

	if (!crm_args_typed(arg, f->kinds, &kind, &klen, &value, &why)) {
		for (i = 0; f->kinds[i] != NULL && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					      f->kinds[i]);
		upper_name(&d->fields[0], what, sizeof(what));
		if (strcmp(why, "empty") == 0)
			return crm_cli_usage(p->cli, "--%s needs [KIND:]%s; KIND is one of %s "
						     "(default %s)",
					     f->flag, what, list, f->kinds[0]);
		return crm_cli_usage(p->cli, "--%s '%s': the kind before ':' is one of %s", f->flag,
				     arg, list);
	}
	item = append_message(&p->e->mem, p->e->max_items, m, fd);
	set_bytes(item, &d->fields[0], value, strlen(value));
	kfd = protobuf_c_message_descriptor_get_field_by_name(d, "kind");
	if (kind != NULL && kfd != NULL)
		set_bytes(item, kfd, kind, klen);
	return 0;
}

static int set_pair(struct parse *p, const struct crm_rec_flag *f, ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *fd, const char *arg) {
	const ProtobufCMessageDescriptor *d = fd->descriptor;
	ProtobufCMessage *item;
	const char *value;
	char what[32];
	size_t klen;


	if (!crm_args_pair(arg, &klen, &value))
		return crm_cli_usage(p->cli, "--%s takes %s=VALUE%s, not '%s'", f->flag,
				     upper_name(&d->fields[0], what, sizeof(what)),
				     strcmp(fd->name, "custom") == 0
					     ? " (an empty VALUE empties the field)"
					     : "",
				     arg);
	item = append_message(&p->e->mem, p->e->max_items, m, fd);
	set_bytes(item, &d->fields[0], arg, klen);
	set_bytes(item, &d->fields[1], value, strlen(value));
	return 0;
}

/* --add-X / --remove-X: an item into e->adds / e->removes. */
static int list_op(struct parse *p, const struct crm_rec_flag *f, const char *arg) {
	ProtobufCMessage **target = f->kind == CRM_REC_ADD ? &p->e->adds : &p->e->removes;
	const ProtobufCFieldDescriptor *fd = NULL;
	ProtobufCMessage *m, *item;

	if (arg[0] == '\0')
		return crm_cli_usage(p->cli, "--%s needs a value", f->flag);
	if (*target == NULL)
		*target = new_message(&p->e->mem, p->t->desc);
	m = crm_rec_walk(&p->e->mem, *target, f->path, &fd);
	if (m == NULL || fd->label != PROTOBUF_C_LABEL_REPEATED)
		bug("add/remove flag names no list", f->path);
	p->e->list_edits++;
	p->e->changes++;
	if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return set_value(p, f, m, fd, arg);
	if (f->kind == CRM_REC_ADD)
		return set_typed(p, f, m, fd, arg);
	item = append_message(&p->e->mem, p->e->max_items, m, fd);
	set_bytes(item, &item->descriptor->fields[0], arg, strlen(arg));
	return 0;
}

static int apply_flag(struct parse *p, size_t row, const char *arg) {
	const struct crm_rec_flag *f = row_at(p->t, row);
	const ProtobufCFieldDescriptor *fd = NULL;
	ProtobufCMessage *m;

	if (f->kind == CRM_REC_ADD || f->kind == CRM_REC_REMOVE)
		return list_op(p, f, arg);
	if (f->kind == CRM_REC_PRIMARY) {
		if (arg[0] == '\0')
			return need_value(p, f);
		p->primary[row] = arg;
		return 0;
	}
	m = crm_rec_walk(&p->e->mem, p->e->msg, f->path, &fd);
	if (m == NULL)
		bug("flag names an unknown field", f->path);
	p->e->changes++;
	switch (f->kind) {
	case CRM_REC_TYPED:
		return set_typed(p, f, m, fd, arg);
	case CRM_REC_PAIR:
		return set_pair(p, f, m, fd, arg);
	default:
		return set_value(p, f, m, fd, arg);
	}
}

/* ---------------------------------------------------------------- primary items */

static bool item_is(const ProtobufCMessage *item, const char *value) {
	const ProtobufCBinaryData *b = AT(item, &item->descriptor->fields[0],
					  const ProtobufCBinaryData);

	return b->len == strlen(value) && strncasecmp((const char *)b->data, value, b->len) == 0;
}

/* Marks one item of the TYPED list at row primary: the one named by its
 * PRIMARY flag, else the first. */
static int mark_primary(struct parse *p, size_t row) {
	const struct crm_rec_flag *f = row_at(p->t, row), *pf = NULL, *other;
	const ProtobufCFieldDescriptor *fd = NULL, *pfd;
	const char *want = NULL;
	ProtobufCMessage *m = crm_rec_walk(&p->e->mem, p->e->msg, f->path, &fd), **items;
	size_t i, n, pick = 0;

	for (i = 0; i < n_rows(p->t); i++) {
		other = row_at(p->t, i);
		if (other->kind == CRM_REC_PRIMARY && strcmp(other->path, f->path) == 0 &&
		    p->primary[i] != NULL) {
			pf = other;
			want = p->primary[i];
		}
	}
	n = *N_OF(m, fd);
	items = *AT(m, fd, ProtobufCMessage **);
	if (n == 0 && want != NULL && p->edit) {
		/* alone: one of the record's own (RecordUpdate's primary_X) */
		p->e->list_edits++;
		p->e->changes++;
		return 0;
	}
	if (n == 0 && want != NULL)
		return crm_cli_usage(p->cli, "--%s picks one of the --%s values given with it",
				     pf->flag, f->flag);
	if (n == 0)
		return 0;
	if (want != NULL) {
		for (pick = 0; pick < n && !item_is(items[pick], want); pick++)
			;
		if (pick == n)
			return crm_cli_usage(p->cli, "--%s '%s' is not one of the --%s values",
					     pf->flag, want, f->flag);
	}
	pfd = protobuf_c_message_descriptor_get_field_by_name(items[pick]->descriptor, "primary");
	if (pfd != NULL) {
		*AT(items[pick], pfd, protobuf_c_boolean) = true;
		set_has(items[pick], pfd);
	}
	return 0;
}

/* ---------------------------------------------------------------- --clear */

static bool same_flag_name(const char *flag, const char *name) {
	for (; *flag && *name; flag++, name++)
		if (*flag != *name && !(*flag == '-' && *name == '_'))
			return false;
	return *flag == *name;
}

/* FIELD of --clear as the server names it: a flag name (billing-city ->
 * billing_address.city), a field of the record that flags set, custom.NAME. */
static const char *clear_path(struct parse *p, const char *given) {
	const struct crm_rec_flag *f;
	size_t i, n = strlen(given);
	char *arg;

	if (strncmp(given, "custom.", 7) == 0)
		return crm_args_field_name(given + 7, n - 7) ? given : NULL;
	arg = crm_rec_strdup(&p->e->mem, given, n);
	for (i = 0; i < n; i++)
		if (arg[i] == '-')
			arg[i] = '_';
	for (i = 0; i < n_rows(p->t); i++) {
		f = row_at(p->t, i);
		if (f->kind != CRM_REC_PRIMARY && f->kind != CRM_REC_ADD &&
		    f->kind != CRM_REC_REMOVE && strcmp(f->path, "custom") != 0 &&
		    (same_flag_name(f->flag, arg) || strcmp(f->path, arg) == 0))
			return f->path;
	}
	/* a whole message of the flags' paths: billing_address */
	for (i = 0; i < n_rows(p->t); i++) {
		f = row_at(p->t, i);
		if (strncmp(f->path, arg, n) == 0 && f->path[n] == '.')
			return crm_rec_strdup(&p->e->mem, f->path, n);
	}
	return NULL;
}

static int add_clear(struct parse *p, const char *arg) {
	const char *path = clear_path(p, arg);

	if (path == NULL)
		return crm_cli_usage(p->cli,
				     "--clear: '%s' is not a field of %s %s that can be emptied "
				     "(see 'crm %s edit --help'; custom fields: custom.NAME)",
				     arg, strchr("aeiou", p->t->noun[0]) ? "an" : "a", p->t->noun,
				     p->t->noun);
	p->e->clear[p->e->n_clear++] = (char *)path;
	p->e->changes++;
	return 0;
}

/* True when the list at path gets items from --add-X / --remove-X. */
static bool list_ops_on(const struct crm_rec_edit *e, const char *path) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const ProtobufCMessage *m;

	m = crm_rec_walk(NULL, e->adds, path, &fd);
	if (m != NULL && crm_rec_has(m, fd))
		return true;
	m = crm_rec_walk(NULL, e->removes, path, &fd);
	return m != NULL && crm_rec_has(m, fd);
}

/* --tag replaces the tags, --add-tag changes the ones read: not both. */
static int check_list_ops(struct parse *p) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const struct crm_rec_flag *f;
	const ProtobufCMessage *m;
	bool replaced;
	size_t i, j;

	for (i = 0; i < n_rows(p->t); i++) {
		f = row_at(p->t, i);
		if (f->kind != CRM_REC_ADD || !list_ops_on(p->e, f->path))
			continue;
		m = crm_rec_walk(NULL, p->e->msg, f->path, &fd);
		replaced = m != NULL && crm_rec_has(m, fd);
		for (j = 0; j < p->e->n_clear; j++)
			replaced = replaced || strcmp(p->e->clear[j], f->path) == 0;
		if (replaced)
			return crm_cli_usage(p->cli,
					     "--%s and --remove-%s change the %s the %s has; --%s "
					     "and --clear %s replace them all: give one or the other",
					     f->flag, f->flag + 4, f->path, p->t->noun, f->flag + 4,
					     f->path);
	}
	return 0;
}

/* A field both set and cleared is a mistake. */
static int check_clear(struct parse *p) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const ProtobufCMessage *m;
	size_t i;

	if (check_list_ops(p) != 0)
		return CRM_EXIT_USAGE;

	for (i = 0; i < p->e->n_clear; i++) {
		if (strncmp(p->e->clear[i], "custom.", 7) == 0)
			continue;
		m = crm_rec_walk(NULL, p->e->msg, p->e->clear[i], &fd);
		if (m != NULL && crm_rec_has(m, fd))
			return crm_cli_usage(p->cli, "%s is both set and cleared: give one or the other",
					     p->e->clear[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- add, edit */

enum {
	OPT_CLEAR = 300,
	OPT_VERSION,
	OPT_KEY,
	OPT_ROW = 2000, /* + the row of the flag table */
};

static struct option *edit_options(struct crm_rec_mem *mem, const struct crm_rec_type *t,
				   bool edit) {
	size_t n = n_rows(t), i, k = 0;
	struct option *o = crm_rec_alloc(mem, (n + 3) * sizeof(struct option));
	const struct crm_rec_flag *f;

	for (i = 0; i < n; i++) {
		f = row_at(t, i);
		if (!edit && (f->kind == CRM_REC_ADD || f->kind == CRM_REC_REMOVE))
			continue;
		o[k++] = (struct option){f->flag,
					 f->kind == CRM_REC_SWITCH ? optional_argument
								   : required_argument,
					 NULL, OPT_ROW + (int)i};
	}
	if (edit) {
		o[k++] = (struct option){"clear", required_argument, NULL, OPT_CLEAR};
		o[k++] = (struct option){"version", required_argument, NULL, OPT_VERSION};
	} else {
		o[k++] = (struct option){"idempotency-key", required_argument, NULL, OPT_KEY};
	}
	return o;
}

static int edit_option(struct parse *p, int c, char *arg) {
	struct crm_rec_edit *e = p->e;

	if (c >= OPT_ROW && (size_t)(c - OPT_ROW) < n_rows(p->t))
		return apply_flag(p, (size_t)(c - OPT_ROW), arg);
	switch (c) {
	case OPT_CLEAR:
		return add_clear(p, arg);
	case OPT_VERSION:
		if (!crm_cli_parse_id(p->cli, arg, "--version", &e->version))
			return CRM_EXIT_USAGE;
		e->has_version = true;
		return 0;
	case OPT_KEY:
		if (arg[0] == '\0' || strlen(arg) > CRM_IDEMPOTENCY_KEY_MAX)
			return crm_cli_usage(p->cli, "--idempotency-key must be 1 to %d bytes",
					     CRM_IDEMPOTENCY_KEY_MAX);
		e->idempotency_key = arg;
		return 0;
	default:
		return CRM_EXIT_USAGE;
	}
}

/* "--name", "--given-name or --family-name": the flags of the fields. */
static void needs_text(const struct crm_rec_type *t, char *buf, size_t bufsz) {
	size_t i, j, n = 0;

	buf[0] = '\0';
	for (i = 0; t->needs_one_of[i] != NULL; i++)
		for (j = 0; j < t->n_flags; j++)
			if (strcmp(t->flags[j].path, t->needs_one_of[i]) == 0 && n < bufsz)
				n += (size_t)snprintf(buf + n, bufsz - n, "%s--%s",
						      i ? " or " : "", t->flags[j].flag);
}

static int check_add(struct parse *p) {
	const ProtobufCFieldDescriptor *fd;
	char text[128];
	size_t i;

	for (i = 0; p->t->needs_one_of && p->t->needs_one_of[i] != NULL; i++) {
		fd = protobuf_c_message_descriptor_get_field_by_name(p->t->desc,
								     p->t->needs_one_of[i]);
		if (fd != NULL && crm_rec_has(p->e->msg, fd))
			return 0;
	}
	if (i == 0)
		return 0;
	needs_text(p->t, text, sizeof(text));
	return crm_cli_usage(p->cli, "%s %s needs %s",
			     strchr("aeiou", p->t->noun[0]) ? "an" : "a", p->t->noun, text);
}

/* Reads all of standard input (at most max bytes) into e's memory. */
static int read_stdin(struct parse *p, size_t max, const char **out) {
	char *buf = crm_rec_alloc(&p->e->mem, max + 2);
	size_t n = fread(buf, 1, max + 1, stdin);

	if (ferror(stdin))
		return crm_cli_usage(p->cli, "cannot read the text from standard input");
	if (n > max)
		return crm_cli_usage(p->cli, "the text is longer than %zu bytes", max);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* The TEXT operand of a type that takes one: as the flag of the field
 * t->text_operand names, "-" reading standard input. */
static int text_operand(struct parse *p, const char *arg) {
	size_t i;
	int rc;

	for (i = 0; i < n_rows(p->t); i++)
		if (row_at(p->t, i)->kind == CRM_REC_VALUE &&
		    strcmp(row_at(p->t, i)->path, p->t->text_operand) == 0)
			break;
	if (i == n_rows(p->t))
		bug("no flag for the text operand", p->t->text_operand);
	if (strcmp(arg, "-") == 0 && (rc = read_stdin(p, CRM_TEXT_OPERAND_MAX, &arg)) != 0)
		return rc;
	return apply_flag(p, i, arg);
}

static int edit_operands(struct parse *p, int argc, char **argv) {
	int first = crm_cli_optind();
	int rc;

	if (p->t->text_operand != NULL && argc - first == (p->edit ? 2 : 1)) {
		rc = text_operand(p, argv[argc - 1]);
		if (rc != 0)
			return rc;
		argc--;
	}
	if (!p->edit) {
		if (first < argc)
			return crm_cli_usage(p->cli,
					     "unexpected argument '%s': fields are given as options "
					     "(--%s VALUE, ...)",
					     argv[first], p->t->flags[0].flag);
		return check_add(p);
	}
	if (first + 1 != argc)
		return crm_cli_usage(p->cli, "give exactly one %s id", p->t->noun);
	if (!crm_cli_parse_id(p->cli, argv[first], "ID", &p->e->id))
		return CRM_EXIT_USAGE;
	if (p->e->changes == 0)
		return crm_cli_usage(p->cli, "nothing to change: give the fields to set, or --clear "
					     "FIELD");
	return check_clear(p);
}

/* The Record of type t with an empty message of its kind inside. */
static void init_record(struct crm_rec_mem *mem, const struct crm_rec_type *t, Crm__Record *r,
			ProtobufCMessage **msg) {
	const ProtobufCFieldDescriptor *fd = NULL;
	unsigned i;

	crm__record__init(r);
	for (i = 0; i < crm__record__descriptor.n_fields; i++)
		if (crm__record__descriptor.fields[i].descriptor == t->desc)
			fd = &crm__record__descriptor.fields[i];
	if (fd == NULL)
		bug("Record has no member for", t->desc->name);
	*msg = new_message(mem, t->desc);
	r->kind_case = (Crm__Record__KindCase)fd->id;
	*AT(r, fd, ProtobufCMessage *) = *msg;
}

int crm_rec_parse_edit(struct crm_cli *cli, const struct crm_rec_type *t, bool edit, int argc,
		       char **argv, struct crm_rec_edit *e) {
	struct parse p = {.cli = cli, .t = t, .e = e, .edit = edit};
	struct option *longopts;
	size_t i;
	char *arg;
	int c, rc = 0;

	init_record(&e->mem, t, &e->record, &e->msg);
	e->max_items = argc > 0 ? (size_t)argc : 1;
	e->clear = crm_rec_alloc(&e->mem, e->max_items * sizeof(char *));
	p.primary = crm_rec_alloc(&e->mem, n_rows(t) * sizeof(char *));
	e->primary = p.primary;
	longopts = edit_options(&e->mem, t, edit);
	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = edit_option(&p, c, arg);
	for (i = 0; rc == 0 && i < n_rows(t); i++)
		if (row_at(t, i)->kind == CRM_REC_TYPED)
			rc = mark_primary(&p, i);
	if (rc == 0)
		rc = edit_operands(&p, argc, argv);
	return rc;
}

void crm_rec_edit_fini(struct crm_rec_edit *e) { crm_rec_mem_free(&e->mem); }

/* ---------------------------------------------------------------- list edits */

/* The items of list fd in m (NULL: none). */
static size_t items_of(const ProtobufCMessage *m, const char *path,
		       const ProtobufCFieldDescriptor **fd, const void **arr) {
	const ProtobufCMessage *owner = crm_rec_walk(NULL, (ProtobufCMessage *)m, path, fd);

	if (owner == NULL || !crm_rec_has(owner, *fd))
		return 0;
	*arr = *AT(owner, *fd, const void *const);
	return *N_OF(owner, *fd);
}

/* The field of RecordUpdate named PREFIX + path (less a trailing s when
 * singular): add_emails, remove_tags, primary_email. */
static const ProtobufCFieldDescriptor *update_field(const char *prefix, const char *path,
						    bool singular) {
	const ProtobufCFieldDescriptor *fd;
	char name[64];
	int n = snprintf(name, sizeof(name), "%s%s", prefix, path);

	if (singular && n > 0 && name[n - 1] == 's')
		name[n - 1] = '\0';
	fd = protobuf_c_message_descriptor_get_field_by_name(&crm__record_update__descriptor, name);
	if (fd == NULL)
		bug("RecordUpdate has no field", name);
	return fd;
}

/* The items of list path in e->adds or e->removes into RecordUpdate
 * field ufd: removals by their key (an item's first field, the address or
 * number), additions as given. */
static void list_into(struct crm_rec_edit *e, const ProtobufCMessage *from, const char *path,
		      Crm__RecordUpdate *up, const ProtobufCFieldDescriptor *ufd) {
	const ProtobufCFieldDescriptor *fd = NULL;
	const void *arr = NULL;
	size_t n = items_of(from, path, &fd, &arr), i;
	ProtobufCBinaryData *keys;
	const ProtobufCMessage *item;

	if (n == 0)
		return;
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE && ufd->type != PROTOBUF_C_TYPE_MESSAGE) {
		keys = crm_rec_alloc(&e->mem, n * sizeof(*keys));
		for (i = 0; i < n; i++) {
			item = ((const ProtobufCMessage *const *)arr)[i];
			keys[i] = *AT(item, &item->descriptor->fields[0], const ProtobufCBinaryData);
		}
		arr = keys;
	}
	*N_OF(up, ufd) = n;
	*AT(up, ufd, const void *) = arr;
}

int crm_rec_list_ops(const struct crm_rec_type *t, struct crm_rec_edit *e, Crm__RecordUpdate *up) {
	const struct crm_rec_flag *f, *pf;
	const ProtobufCFieldDescriptor *fd = NULL, *ufd;
	const ProtobufCMessage *whole;
	size_t i, j;
	int n = 0;

	for (i = 0; i < n_rows(t); i++) {
		f = row_at(t, i);
		if (f->kind != CRM_REC_ADD)
			continue;
		/* NULL: the field's message (a record's meta) is not there */
		whole = crm_rec_walk(NULL, e->msg, f->path, &fd);
		if (whole != NULL && crm_rec_has(whole, fd))
			continue; /* given whole: sent as given */
		list_into(e, e->adds, f->path, up, update_field("add_", f->path, false));
		list_into(e, e->removes, f->path, up, update_field("remove_", f->path, false));
		for (j = 0; j < n_rows(t); j++) {
			pf = row_at(t, j);
			if (pf->kind != CRM_REC_PRIMARY || strcmp(pf->path, f->path) != 0 ||
			    e->primary[j] == NULL)
				continue;
			ufd = update_field("primary_", f->path, true);
			set_bytes(&up->base, ufd, e->primary[j], strlen(e->primary[j]));
			n++;
		}
		n += list_ops_on(e, f->path);
	}
	return n;
}

/* ---------------------------------------------------------------- list */

struct list_parse {
	struct crm_cli *cli;
	const struct crm_rec_type *t;
	struct crm_rec_list *l;
	size_t max_items;
	int64_t now_us;
};

enum {
	OPT_FILTER = 300,
	OPT_SORT,
	OPT_ALL,
	OPT_TOTAL,
	OPT_DELETED,
	OPT_EXPORT,
	OPT_OWNER,
	OPT_TEAM,
	OPT_TAG,
	OPT_SINCE,
	OPT_SHORTCUT = 2000, /* + the index of the type's shortcut */
};

/* An instant for a *_at field: microseconds, so that -7d works too. */
static const char *instant_value(struct list_parse *lp, const char *field, size_t len,
				 const char *value) {
	char buf[32];
	int64_t us;

	if (len < 3 || strncmp(field + len - 3, "_at", 3) != 0 ||
	    !crm_args_time(value, lp->now_us, &us))
		return value;
	snprintf(buf, sizeof(buf), "%lld", (long long)us);
	return crm_rec_strdup(&lp->l->mem, buf, strlen(buf));
}

static int add_filter(struct list_parse *lp, const char *field, size_t len, int op,
		      const char *value) {
	Crm__RecordList *rl = &lp->l->rl;
	Crm__Filter *f = NULL;
	size_t i;

	/* FIELD=A FIELD=B: one filter, any of the values */
	for (i = 0; op == CRM__FILTER_OP__FILTER_OP_EQ && i < rl->n_filters; i++)
		if ((int)rl->filters[i]->op == op && rl->filters[i]->field.len == len &&
		    memcmp(rl->filters[i]->field.data, field, len) == 0)
			f = rl->filters[i];
	if (f == NULL) {
		if (rl->n_filters == FILTERS_MAX)
			return crm_cli_usage(lp->cli, "at most %d filters", FILTERS_MAX);
		f = crm_rec_alloc(&lp->l->mem, sizeof(*f));
		crm__filter__init(f);
		f->has_field = f->has_op = true;
		f->field.data = (uint8_t *)field;
		f->field.len = len;
		f->op = (Crm__FilterOp)op;
		f->values = crm_rec_alloc(&lp->l->mem, lp->max_items * sizeof(ProtobufCBinaryData));
		rl->filters[rl->n_filters++] = f;
	}
	if (op == CRM__FILTER_OP__FILTER_OP_EMPTY || op == CRM__FILTER_OP__FILTER_OP_NOT_EMPTY)
		return 0;
	if (f->n_values == CRM_REPEATED_MAX)
		return crm_cli_usage(lp->cli, "at most %d values for one field", CRM_REPEATED_MAX);
	value = instant_value(lp, field, len, value);
	f->values[f->n_values].data = (uint8_t *)value;
	f->values[f->n_values++].len = strlen(value);
	return 0;
}

static int filter_option(struct list_parse *lp, const char *arg) {
	const char *value;
	size_t len;
	int op = crm_args_filter(arg, &len, &value);

	if (op == 0)
		return crm_cli_usage(lp->cli,
				     "--filter takes FIELD=VALUE, FIELD!=VALUE, FIELD>=VALUE, "
				     "FIELD<=VALUE, FIELD>VALUE or FIELD<VALUE (FIELD= : empty, "
				     "FIELD!= : not empty), FIELD a field name such as industry "
				     "or custom.score; not '%s'",
				     arg);
	return add_filter(lp, arg, len, op, value);
}

static int sort_option(struct list_parse *lp, const char *arg) {
	Crm__RecordList *rl = &lp->l->rl;
	const char *p = arg, *end;
	Crm__Sort *s;
	size_t len;
	bool desc;

	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		desc = len > 0 && p[0] == '-';
		if (!crm_args_field_name(p + desc, len - desc))
			return crm_cli_usage(lp->cli,
					     "--sort takes field names separated by commas, each "
					     "with a leading - for descending (name,-updated_at); "
					     "not '%s'",
					     arg);
		if (rl->n_sort == SORTS_MAX)
			return crm_cli_usage(lp->cli, "at most %d sort fields", SORTS_MAX);
		s = crm_rec_alloc(&lp->l->mem, sizeof(*s));
		crm__sort__init(s);
		s->has_field = true;
		s->field.data = (uint8_t *)p + desc;
		s->field.len = len - desc;
		s->has_desc = desc;
		s->desc = desc;
		rl->sort[rl->n_sort++] = s;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

static int eq_filter(struct list_parse *lp, const char *flag, const char *field,
		     const char *arg) {
	if (arg[0] == '\0')
		return crm_cli_usage(lp->cli, "--%s needs a value", flag);
	return add_filter(lp, field, strlen(field), CRM__FILTER_OP__FILTER_OP_EQ, arg);
}

static int list_option(struct list_parse *lp, int c, char *arg) {
	struct crm_rec_list *l = lp->l;
	int64_t us;
	char buf[32];

	if (c >= OPT_SHORTCUT && (size_t)(c - OPT_SHORTCUT) < lp->t->n_shortcuts)
		return eq_filter(lp, lp->t->shortcuts[c - OPT_SHORTCUT].flag,
				 lp->t->shortcuts[c - OPT_SHORTCUT].field, arg);
	switch (c) {
	case OPT_FILTER: return filter_option(lp, arg);
	case OPT_SORT: return sort_option(lp, arg);
	case OPT_ALL: l->all = true; return 0;
	case OPT_TOTAL: l->rl.has_total = l->rl.total = true; return 0;
	case OPT_DELETED: l->rl.has_deleted = l->rl.deleted = true; return 0;
	case OPT_EXPORT: l->rl.has_export = l->rl.export = true; return 0;
	case OPT_OWNER: return eq_filter(lp, "owner", "owner", arg);
	case OPT_TEAM: return eq_filter(lp, "team", "team", arg);
	case OPT_TAG: return eq_filter(lp, "tag", "tags", arg);
	case OPT_SINCE:
		if (!crm_args_time(arg, lp->now_us, &us))
			return crm_cli_usage(lp->cli,
					     "--updated-since takes a date (2026-03-01), a time "
					     "(2026-03-01T09:00:00+01:00) or a time back from now "
					     "(-7d, -12h); not '%s'",
					     arg);
		snprintf(buf, sizeof(buf), "%lld", (long long)us);
		return add_filter(lp, "updated_at", 10, CRM__FILTER_OP__FILTER_OP_GE,
				  crm_rec_strdup(&l->mem, buf, strlen(buf)));
	default:
		/* 0: '?' from getopt, whose usage error is printed already */
		return crm_cli_page_option(lp->cli, c, arg, &l->page) == 1 ? 0 : CRM_EXIT_USAGE;
	}
}

static struct option *list_options(struct crm_rec_mem *mem, const struct crm_rec_type *t) {
	static const struct option common[] = {
		{"filter", required_argument, NULL, OPT_FILTER},
		{"sort", required_argument, NULL, OPT_SORT},
		{"all", no_argument, NULL, OPT_ALL},
		{"total", no_argument, NULL, OPT_TOTAL},
		{"deleted", no_argument, NULL, OPT_DELETED},
		{"export", no_argument, NULL, OPT_EXPORT},
		{"owner", required_argument, NULL, OPT_OWNER},
		{"team", required_argument, NULL, OPT_TEAM},
		{"tag", required_argument, NULL, OPT_TAG},
		{"updated-since", required_argument, NULL, OPT_SINCE},
		CRM_CLI_PAGE_OPTIONS,
	};
	size_t nc = sizeof(common) / sizeof(common[0]), i;
	struct option *o = crm_rec_alloc(mem, (nc + t->n_shortcuts + 1) * sizeof(struct option));

	memcpy(o, common, sizeof(common));
	for (i = 0; i < t->n_shortcuts; i++)
		o[nc + i] = (struct option){t->shortcuts[i].flag, required_argument, NULL,
					    OPT_SHORTCUT + (int)i};
	return o;
}

int crm_rec_parse_list(struct crm_cli *cli, const struct crm_rec_type *t, int argc, char **argv,
		       int64_t now_us, struct crm_rec_list *l) {
	struct list_parse lp = {.cli = cli, .t = t, .l = l, .now_us = now_us};
	struct option *longopts;
	char *arg;
	int c, rc = 0;

	crm__record_list__init(&l->rl);
	crm__list_page__init(&l->page);
	lp.max_items = argc > 0 ? (size_t)argc : 1;
	l->rl.has_type = true;
	l->rl.type = t->type;
	l->rl.filters = crm_rec_alloc(&l->mem, FILTERS_MAX * sizeof(Crm__Filter *));
	l->rl.sort = crm_rec_alloc(&l->mem, SORTS_MAX * sizeof(Crm__Sort *));
	l->rl.page = &l->page;
	longopts = list_options(&l->mem, t);
	while (rc == 0 && (c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		rc = list_option(&lp, c, arg);
	if (rc == 0 && crm_cli_optind() != argc)
		rc = crm_cli_usage(cli, "unexpected argument '%s'", argv[crm_cli_optind()]);
	if (rc == 0 && l->all && !l->page.has_limit) {
		l->page.has_limit = true; /* fewer round trips */
		l->page.limit = CRM_PAGE_MAX;
	}
	return rc;
}

void crm_rec_list_fini(struct crm_rec_list *l) { crm_rec_mem_free(&l->mem); }
