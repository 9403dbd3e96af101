/*
 * recval: a record's values read by walking its protobuf-c descriptors,
 * for every record type without code per type; shared by the CLI
 * (client/crm/cmd_record_view.c prints with it) and crm-desktop (its list
 * cells and record page show with it).
 *
 * A record is the account, contact, ... message inside a Record
 * (crm_recval_inner). The fields every type has live in its RecordMeta
 * `meta`; here, as in the server's JSON, they read as the record's own:
 * crm_recval_fields lists them in place of meta and crm_recval_holder
 * finds the message that holds one.
 *
 * The server's field list (FieldList) names fields as lists, filters and
 * sorts do: "name", "email" (the contact's field `emails`), "owner", or a
 * custom field's name. crm_recval_by_name maps such a name to the value of
 * one record: a standard field through crm.proto's field facts
 * (crm_field_facts.h, generated), else a proto field of the same name,
 * else a custom value.
 *
 * Nothing here allocates except the crm_sbuf text is written to (out of
 * memory aborts, as in strbuf.c); any thread may call it.
 */
#ifndef CRM_RECVAL_H
#define CRM_RECVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crm.pb-c.h"
#include "output.h" /* crm_numfmt */
#include "strbuf.h"

#define CRM_RECVAL_FIELDS_MAX 128 /* fields of one message (with meta's); more is a bug */

/* The account, contact, ... inside a Record, or NULL when it is empty. */
const ProtobufCMessage *crm_recval_inner(const Crm__Record *r);
/* The field `meta` (RecordMeta) of a record type's message d, or NULL for
 * other messages. */
const ProtobufCFieldDescriptor *crm_recval_meta_field(const ProtobufCMessageDescriptor *d);

/*
 * The fields of d in the order people read them: for records, meta's
 * fields in place of meta: the id, the type's own fields, then tags and
 * custom values, then the rest of the shared ones (version, owner, team,
 * times, external_id); other messages in field order. Returns how many
 * were written to out (room for CRM_RECVAL_FIELDS_MAX).
 */
size_t crm_recval_fields(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor **out);
/* The message that holds fd for m: m itself, or its meta for RecordMeta's
 * fields; NULL when absent. */
const ProtobufCMessage *crm_recval_holder(const ProtobufCMessage *m,
					  const ProtobufCFieldDescriptor *fd);

/* True when m (the holder) has a value for field fd. */
bool crm_recval_has(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd);
/* How many values m has in fd (0 or 1 for a single field). */
size_t crm_recval_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd);
/* Where value i of fd is in m (i 0 for a single field). */
const void *crm_recval_at(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, size_t i);
/* An instant: an int64 field named *_at (microseconds since the epoch). */
bool crm_recval_is_instant(const ProtobufCFieldDescriptor *fd);
/* An integer field that counts something (employees), which people read
 * with the locale's grouping, rather than an identifier (id, account_id,
 * version) or an instant. */
bool crm_recval_is_count(const ProtobufCFieldDescriptor *fd);
/* An enum value's name in lower case without the enum's prefix
 * (ACCOUNT_TYPE_CUSTOMER: "customer"); "unknown(N)" for others. */
const char *crm_recval_enum_name(const ProtobufCFieldDescriptor *fd, int v, char *buf,
				 size_t bufsz);

/* JSON: one value (v from crm_recval_at), or the whole field of m (a list
 * as an array); nested messages as objects of their set fields. */
void crm_recval_json_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v);
void crm_recval_json_field(crm_sbuf *b, const ProtobufCMessage *m,
			   const ProtobufCFieldDescriptor *fd);

/*
 * Text for people of field fd of m (the holder): yes/no, enum names,
 * instants in UTC ISO 8601, money "1250.50 EUR", dates, an address as
 * "field: value" lines, tags joined by ", ", list items one a line
 * ("ada@example.com (work, primary)"), custom values "Label: value" with
 * their label from labels (the server's field list; NULL: by name).
 */
void crm_recval_text_field(crm_sbuf *b, const ProtobufCMessage *m,
			   const ProtobufCFieldDescriptor *fd, const Crm__FieldListReply *labels);
void crm_recval_text_value(crm_sbuf *b, const ProtobufCFieldDescriptor *fd, const void *v,
			   const Crm__FieldListReply *labels);

/* ---------------------------------------------------------------- by the server's field names */

/* The proto field (path) standard field `name` of record type `type`
 * stands for: "emails" for a contact's "email",
 * "billing_address.country" for an account's "country"; else name. */
const char *crm_recval_proto_name(const char *type, const char *name);

/* Where a named field's value is in one record. */
struct crm_recval_ref {
	const ProtobufCMessage *holder;      /* NULL: the record has no value */
	const ProtobufCFieldDescriptor *fd;  /* a standard field: its descriptor */
	const Crm__CustomValue *custom;      /* a custom field: its value */
};

/*
 * Finds field `name` (as FieldList names it) of rec (the account, contact,
 * ... message; type its type's name, "account"). Returns false when the
 * name is neither a field of the type nor a custom value rec has (then
 * *ref is cleared); true with ref->holder NULL and ref->custom NULL when
 * it is a standard field rec has no value for.
 */
bool crm_recval_by_name(const ProtobufCMessage *rec, const char *type, const char *name,
			struct crm_recval_ref *ref);
/* The text of field `name` of rec (crm_recval_text_field; a custom value's
 * text as it is). False (nothing written) when rec has no value for it. */
bool crm_recval_text(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
		     const char *name, const Crm__FieldListReply *labels);
/*
 * How crm_recval_text_styled writes for people (crm-desktop): counts,
 * money amounts and custom number and money values with numbers'
 * separators (NULL: plainly); instants through instant(b, us, data) (NULL:
 * UTC ISO 8601, as crm_recval_text).
 */
typedef struct crm_recval_style {
	const crm_numfmt *numbers;
	void (*instant)(crm_sbuf *b, int64_t us, const void *data);
	const void *data;
} crm_recval_style;

/* crm_recval_text written in style (NULL: as crm_recval_text). */
bool crm_recval_text_styled(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
			    const char *name, const Crm__FieldListReply *labels,
			    const crm_recval_style *style);

/* An int64 field (id, version, created_at, ...; meta's too) or a whole
 * number; false when absent or of another type. */
bool crm_recval_int(const ProtobufCMessage *rec, const char *type, const char *name,
		    int64_t *out);
/* The custom value of field `name` rec has, or NULL. */
const Crm__CustomValue *crm_recval_custom(const ProtobufCMessage *rec, const char *name);
/* The label of custom field `name` in labels, or NULL. */
const ProtobufCBinaryData *crm_recval_custom_label(const Crm__FieldListReply *labels,
						   const char *name, size_t len);

/* The prefix of an enum's value names from the enum's name, with its
 * trailing underscore: AccountType -> "ACCOUNT_TYPE_". False when it does
 * not fit in bufsz. */
bool crm_recval_enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t bufsz);

#endif
