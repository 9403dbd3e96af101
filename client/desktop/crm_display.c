/*
 * crm_display: see crm_display.h.
 */
#include "crm_display.h"

#include <glib/gi18n.h>

#include <stdlib.h>

#include "i18n.h"
#include "output.h"
#include "recval.h"

static crm_numfmt numbers;
static GTimeZone *zone; /* NULL until set: the environment's */

void crm_display_init(const char *profile_locale) {
	char posix[64];

	crm_numfmt_for_user(&numbers, profile_locale != NULL && crm_i18n_posix_locale(
						       profile_locale, posix, sizeof(posix))
					      ? posix
					      : NULL);
}

void crm_display_set_time_zone(const char *iana) {
	GTimeZone *tz = iana != NULL && iana[0] != '\0' ? g_time_zone_new_identifier(iana) : NULL;

	g_clear_pointer(&zone, g_time_zone_unref);
	zone = tz; /* NULL (unknown here): the environment's */
}

GDateTime *crm_display_now(void) {
	g_autoptr(GTimeZone) local = zone == NULL ? g_time_zone_new_local() : NULL;

	return g_date_time_new_now(zone ? zone : local);
}

char *crm_display_instant(gint64 us) {
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	g_autoptr(GTimeZone) local = zone == NULL ? g_time_zone_new_local() : NULL;
	g_autoptr(GDateTime) shown = utc ? g_date_time_to_timezone(utc, zone ? zone : local) : NULL;

	return shown ? g_date_time_format(shown, "%Y-%m-%d %H:%M") : g_strdup("?");
}

static void put_instant(crm_sbuf *b, int64_t us, const void *data) {
	g_autofree char *text = crm_display_instant(us);

	(void)data;
	crm_sbuf_puts(b, text);
}

/* Values shown through the catalog besides CRM_LABELS (the enum values'):
 * recval's yes and no. */
static const char *const shown_values[] G_GNUC_UNUSED = {N_("yes"), N_("no")};

gboolean crm_display_value(crm_sbuf *b, const ProtobufCMessage *rec, const char *type,
			   const char *name, const Crm__FieldListReply *labels) {
	const crm_recval_style style = {.numbers = &numbers, .instant = put_instant};
	struct crm_recval_ref ref;
	crm_sbuf raw = {0};

	/* a standard enum's value ("prospect") and yes/no: from the catalog */
	if (crm_recval_by_name(rec, type, name, &ref) && ref.fd != NULL && ref.holder != NULL &&
	    ref.fd->label != PROTOBUF_C_LABEL_REPEATED &&
	    (ref.fd->type == PROTOBUF_C_TYPE_ENUM || ref.fd->type == PROTOBUF_C_TYPE_BOOL)) {
		crm_sbuf_puts(&raw, "");
		crm_recval_text_field(&raw, ref.holder, ref.fd, labels);
		crm_sbuf_puts(b, raw.len > 0 ? _(raw.p) : "");
		crm_sbuf_fini(&raw);
		return TRUE;
	}
	return crm_recval_text_styled(b, rec, type, name, labels, &style);
}

char *crm_display_record_name(const ProtobufCMessage *rec, const char *type,
			      const Crm__FieldListReply *fields) {
	char *name = NULL;

	for (size_t i = 0; rec != NULL && fields != NULL && i < fields->n_fields && !name; i++) {
		const Crm__FieldDef *f = fields->fields[i];
		g_autofree char *field = NULL;
		crm_sbuf b = {0};

		if (f->kind != CRM__FIELD_KIND__FIELD_KIND_TEXT || f->read_only || f->multi_line ||
		    f->name.len == 0)
			continue;
		field = g_strndup((const char *)f->name.data, f->name.len);
		crm_sbuf_puts(&b, "");
		if (crm_display_value(&b, rec, type, field, fields) && b.len > 0)
			name = g_strdup(b.p);
		crm_sbuf_fini(&b);
	}
	return name;
}
