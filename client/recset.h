/*
 * recset: a record's values written from text, by walking its protobuf-c
 * descriptors, for every record type without code per type: the other
 * half of recval.h. crm-desktop's forms are made of it (one widget per
 * crm_recset_field; what a widget holds is the field's text); a change is
 * a Record message holding only the fields that changed.
 *
 * A form field is named by its path, the name RecordUpdate.clear and the
 * server's error paths use: a standard field of the type ("name",
 * "annual_revenue", "emails"), a part of a standard message field
 * ("billing_address.city"), or a custom field ("custom.health_score").
 *
 * Texts (what crm_recset_get writes and crm_recset_set reads):
 *   text            as it is
 *   number, id      "42"
 *   money           "1250.50 EUR" (an amount with a point, then the
 *                   currency code)
 *   date            "2026-03-01", or "--03-01" for a date without a year
 *   yes/no          "true" or "false"
 *   choice          the enum value's name ("customer") or the pick-list
 *                   value
 *   list            one item a line: tags as they are; e-mail addresses and
 *                   phone numbers "[KIND:]VALUE", the first line the
 *                   primary; pairs "KEY=VALUE"
 * Custom fields are text as the server keeps them (CustomValue); the
 * server checks them.
 *
 * Memory: crm_recset_set allocates what it adds with malloc, as
 * protobuf-c's unpacking would, so the record is freed with
 * protobuf_c_message_free_unpacked(&rec->base, NULL). Out of memory aborts
 * (crm_sbuf_oom). Any thread.
 */
#ifndef CRM_RECSET_H
#define CRM_RECSET_H

#include <stdbool.h>
#include <stddef.h>

#include "crm.pb-c.h"
#include "strbuf.h"

#define CRM_RECSET_PATH_MAX 96
#define CRM_RECSET_FIELDS_MAX 160 /* form fields of one type (parts of messages count) */

/* What kind of widget a form field wants. */
enum crm_recset_how {
	CRM_RECSET_TEXT = 0,
	CRM_RECSET_MULTI_LINE,
	CRM_RECSET_NUMBER,
	CRM_RECSET_MONEY,
	CRM_RECSET_DATE,
	CRM_RECSET_BOOL,
	CRM_RECSET_CHOICE, /* an enum's values (fd) or a pick list's (picklist / def->options) */
	CRM_RECSET_REF,    /* the id of a record of type `references` */
	CRM_RECSET_LIST,   /* items, one a line */
};

struct crm_recset_field {
	char path[CRM_RECSET_PATH_MAX];
	enum crm_recset_how how;
	const Crm__FieldDef *def;              /* the server's definition (label, limits) */
	const char *part;                      /* a message field's part: its name ("city"), else NULL */
	const ProtobufCFieldDescriptor *fd;    /* the leaf (NULL: a custom field) */
	char references[32];                   /* REF: the type's name ("account"), else "" */
	bool picklist;                         /* CHOICE of the pick list named like def */
	bool required;
};

/*
 * The form fields of record type `type` (its message d): the fields of
 * the server's list `fields` that are not read-only, in its order; a
 * standard message field (an address) as one field per part. Returns how
 * many were written to out (room for max).
 */
size_t crm_recset_form_fields(const ProtobufCMessageDescriptor *d, const char *type,
			      const Crm__FieldListReply *fields, struct crm_recset_field *out,
			      size_t max);

/* The text of f in rec (the account, contact, ... message; NULL: none);
 * nothing written when rec has no value. */
void crm_recset_get(crm_sbuf *b, const ProtobufCMessage *rec, const struct crm_recset_field *f);

/*
 * Sets f in rec from text (not empty: an empty text is a clear, the
 * caller's business: RecordUpdate.clear gets f->path). False, with what is
 * wrong and what is accepted written to err (in the user's language),
 * when the text is not a value of f's kind.
 */
bool crm_recset_set(ProtobufCMessage *rec, const struct crm_recset_field *f, const char *text,
		    crm_sbuf *err);

/* A new Record (malloc) holding an empty message of type `type`
 * ("account"): *inner is that message. NULL if the type is unknown. */
Crm__Record *crm_recset_record_new(const char *type, ProtobufCMessage **inner);

/*
 * The form field a server error's field path names
 * ("record_update.changes.account.custom.health_score",
 * "record_create.record.contact.emails[1].address"): its index in fs, or
 * -1.
 */
int crm_recset_field_of_error(const struct crm_recset_field *fs, size_t n, const char *type,
			      const char *error_path);

#endif
