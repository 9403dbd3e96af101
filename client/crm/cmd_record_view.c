/*
 * cmd_record_view: records (and relations, field definitions) printed by
 * walking their protobuf-c descriptors: a column per field, typed cells,
 * JSON values for nested messages and lists, readable text for tables.
 * The values themselves are read and written as text by client/recval.c
 * (shared with crm-desktop). See cmd_record.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd_record.h"
#include "recval.h"
#include "strbuf.h"
#include "i18n.h"

#define AT(m, fd, T) ((T *)((const char *)(m) + (fd)->offset))
#define FIELDS_MAX CRM_RECVAL_FIELDS_MAX

/* ---------------------------------------------------------------- cells */

/* The field definitions whose labels name custom values while
 * crm_rec_print_labeled prints (the CLI prints one thing at a time). */
static const Crm__FieldListReply *labels;

/* A Money field: its JSON, and "1,250,000.00 EUR" in tables. */
static void add_money(crm_result *r, const ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *fd) {
	const Crm__Money *mo = *AT(m, fd, const Crm__Money *const);
	crm_sbuf json = {0};
	bool amount = mo->has_amount && mo->amount.data != NULL;

	crm_recval_json_field(&json, m, fd);
	crm_result_add_money(r, json.p, json.len, amount ? (const char *)mo->amount.data : "",
			     amount ? mo->amount.len : 0,
			     mo->has_currency && mo->currency.data != NULL ? (const char *)mo->currency.data
								     : NULL,
			     mo->currency.len);
	crm_sbuf_fini(&json);
}

static void add_cell(crm_result *r, const ProtobufCMessage *rec, const ProtobufCFieldDescriptor *fd) {
	const ProtobufCMessage *m = crm_recval_holder(rec, fd);
	crm_sbuf json = {0}, text = {0};
	const ProtobufCBinaryData *bd;
	char buf[64];

	if (rec != NULL && fd->label == PROTOBUF_C_LABEL_REPEATED && (m == NULL || !crm_recval_has(m, fd))) {
		crm_result_add_json(r, "[]", 2, ""); /* scripts get a list either way */
		return;
	}
	if (m == NULL || !crm_recval_has(m, fd)) {
		crm_result_add_null(r);
		return;
	}
	if (fd->label != PROTOBUF_C_LABEL_REPEATED && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
	    fd->descriptor == &crm__money__descriptor) {
		add_money(r, m, fd);
		return;
	}
	if (fd->label == PROTOBUF_C_LABEL_REPEATED || fd->type == PROTOBUF_C_TYPE_MESSAGE) {
		crm_recval_json_field(&json, m, fd);
		crm_sbuf_puts(&text, "");
		crm_recval_text_field(&text, m, fd, labels);
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
		crm_result_add_str(r, crm_recval_enum_name(fd, *AT(m, fd, const int), buf, sizeof(buf)));
		return;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (crm_recval_is_instant(fd))
			crm_result_add_time(r, *AT(m, fd, const int64_t));
		else if (crm_recval_is_count(fd))
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
		crm_recval_json_field(&json, m, fd);
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
	size_t n = crm_recval_fields(d, fds);

	return result_of(fds, n);
}

void crm_rec_add_message(crm_result *r, const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fds[FIELDS_MAX];
	size_t n = crm_recval_fields(m->descriptor, fds), i;

	crm_result_add_row(r);
	for (i = 0; i < n; i++)
		add_cell(r, m, fds[i]);
}

int crm_rec_print(struct crm_cli *cli, const ProtobufCMessage *m) {
	const ProtobufCFieldDescriptor *fds[FIELDS_MAX];
	size_t n = crm_recval_fields(m->descriptor, fds), i, k = 0;
	crm_result *r;
	int rc;

	/* people see what the record has; scripts get every field */
	for (i = 0; i < n; i++)
		if (cli->format != CRM_FORMAT_TABLE ||
		    (crm_recval_holder(m, fds[i]) != NULL && crm_recval_has(crm_recval_holder(m, fds[i]), fds[i])))
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
	size_t i, n = crm_recval_count(m, fd);

	if (n == 0 || fd->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	pfd = protobuf_c_message_descriptor_get_field_by_name(fd->descriptor, "primary");
	for (i = 0; pfd != NULL && i < n; i++)
		if (crm_recval_has(items[i], pfd) && *AT(items[i], pfd, const protobuf_c_boolean))
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
