/*
 * CrmRecordForm: see crm_record_form.h.
 *
 * Every form field (struct crm_recset_field) has an Input: its widget,
 * how to read and write the widget as the field's text (recset.h), the
 * text it had when the form opened (base) and its error line. Comparing
 * texts is all the form needs to know what changed, and what a conflict
 * is: base (as opened), mine (the widgets), theirs (the record as the
 * server has it now).
 *
 * A pushed change of the record being edited (CrmConn's "record-event",
 * a version newer than the one read) never touches the widgets: a notice
 * above the form says someone else changed it, with Reload (take their
 * version, discarding the user's changes); saving instead goes through
 * the conflict dialog as always.
 */
#include "crm_record_form.h"

#include <inttypes.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_meta.h"
#include "crm_paged_model.h"
#include "crmclient.h"
#include "recset.h"
#include "recval.h"

#define PICKER_ROWS 20 /* records the reference picker offers */

typedef struct {
	struct crm_recset_field f;
	GtkWidget *widget;     /* the entry, text view, switch, drop-down or box */
	GtkWidget *entry;      /* text-like widgets: the entry the text is in */
	GtkWidget *currency;   /* money: the currency code's entry */
	GtkWidget *error;      /* the error line under it */
	GtkStringList *choices; /* CHOICE: "" (none) then the values */
	char *base;            /* its text as opened ("" for none) */
} Input;

struct _CrmRecordForm {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type;
	gint64 id;
	gint64 version;
	GCancellable *cancel;
	const Crm__FieldListReply *fields; /* CrmMeta's */
	CrmRow *record;                    /* as opened (editing) */
	Input *inputs;
	size_t n_inputs;
	gboolean saving;
	char *preset_path, *preset_text; /* crm_record_form_new_with_change */

	GtkWidget *box, *title, *spinner, *save, *error, *grid, *notice;
};

G_DEFINE_FINAL_TYPE(CrmRecordForm, crm_record_form, GTK_TYPE_WIDGET)

enum { SIG_SAVED, SIG_CLOSE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- texts of widgets */

static char *text_view_text(GtkWidget *tv) {
	GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(tv));
	GtkTextIter a, b;

	gtk_text_buffer_get_bounds(buf, &a, &b);
	return gtk_text_buffer_get_text(buf, &a, &b, FALSE);
}

/* The field's text as the widget has it now. */
static char *input_text(const Input *in) {
	switch (in->f.how) {
	case CRM_RECSET_MULTI_LINE:
	case CRM_RECSET_LIST:
		return text_view_text(in->entry);
	case CRM_RECSET_BOOL:
		if (gtk_switch_get_active(GTK_SWITCH(in->widget)))
			return g_strdup("true");
		return g_strdup(in->base[0] ? "false" : ""); /* untouched: still no value */
	case CRM_RECSET_CHOICE: {
		guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(in->widget));
		const char *s = i == GTK_INVALID_LIST_POSITION ? NULL
							       : gtk_string_list_get_string(in->choices, i);

		return g_strdup(s ? s : "");
	}
	case CRM_RECSET_MONEY: {
		g_autofree char *amount = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(in->entry))));
		g_autofree char *cur = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(in->currency))));

		if (amount[0] == '\0' && cur[0] == '\0')
			return g_strdup("");
		return cur[0] ? g_strdup_printf("%s %s", amount, cur) : g_strdup(amount);
	}
	default:
		return g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(in->entry))));
	}
}

static guint choice_index(Input *in, const char *text) {
	guint n = g_list_model_get_n_items(G_LIST_MODEL(in->choices));

	for (guint i = 0; i < n; i++)
		if (strcmp(gtk_string_list_get_string(in->choices, i), text) == 0)
			return i;
	gtk_string_list_append(in->choices, text); /* a value no longer offered stays shown */
	return n;
}

static void input_set_text(Input *in, const char *text) {
	switch (in->f.how) {
	case CRM_RECSET_MULTI_LINE:
	case CRM_RECSET_LIST:
		gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(in->entry)), text, -1);
		return;
	case CRM_RECSET_BOOL:
		gtk_switch_set_active(GTK_SWITCH(in->widget), strcmp(text, "true") == 0);
		return;
	case CRM_RECSET_CHOICE:
		gtk_drop_down_set_selected(GTK_DROP_DOWN(in->widget), choice_index(in, text));
		return;
	case CRM_RECSET_MONEY: {
		const char *sp = strrchr(text, ' ');
		g_autofree char *amount = sp ? g_strndup(text, (gsize)(sp - text)) : g_strdup(text);

		gtk_editable_set_text(GTK_EDITABLE(in->entry), amount);
		gtk_editable_set_text(GTK_EDITABLE(in->currency), sp ? sp + 1 : "");
		return;
	}
	default:
		gtk_editable_set_text(GTK_EDITABLE(in->entry), text);
	}
}

/* ---------------------------------------------------------------- errors at widgets */

static void input_error(Input *in, const char *msg) {
	GtkWidget *target = in->entry ? in->entry : in->widget;

	gtk_label_set_text(GTK_LABEL(in->error), msg ? msg : "");
	gtk_widget_set_visible(in->error, msg != NULL);
	if (msg != NULL) {
		gtk_widget_add_css_class(target, "error");
		gtk_accessible_update_state(GTK_ACCESSIBLE(target), GTK_ACCESSIBLE_STATE_INVALID,
					    GTK_ACCESSIBLE_INVALID_TRUE, -1);
		gtk_accessible_update_property(GTK_ACCESSIBLE(target),
					       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, msg, -1);
	} else {
		gtk_widget_remove_css_class(target, "error");
		gtk_accessible_reset_state(GTK_ACCESSIBLE(target), GTK_ACCESSIBLE_STATE_INVALID);
		gtk_accessible_reset_property(GTK_ACCESSIBLE(target),
					      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
	}
}

static void form_error(CrmRecordForm *self, const char *msg) {
	gtk_label_set_text(GTK_LABEL(self->error), msg ? msg : "");
	gtk_widget_set_visible(self->error, msg != NULL);
}

static void clear_errors(CrmRecordForm *self) {
	form_error(self, NULL);
	for (size_t i = 0; i < self->n_inputs; i++)
		input_error(&self->inputs[i], NULL);
}

static void busy(CrmRecordForm *self, gboolean on) {
	self->saving = on;
	gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), on);
	gtk_widget_set_sensitive(self->save, !on && self->fields != NULL);
}

/* ---------------------------------------------------------------- the reference picker */

typedef struct {
	CrmRecordForm *form;
	Input *in;
	GtkWidget *popover, *search, *list;
	GCancellable *cancel;
} Picker;

static void picker_free(gpointer data) {
	Picker *p = data;

	g_cancellable_cancel(p->cancel);
	g_clear_object(&p->cancel);
	g_free(p);
}

static void picker_row_activated(GtkListBox *box, GtkListBoxRow *row, Picker *p) {
	const char *id = g_object_get_data(G_OBJECT(row), "crm-id");

	gtk_editable_set_text(GTK_EDITABLE(p->in->entry), id);
	gtk_popover_popdown(GTK_POPOVER(p->popover));
	gtk_widget_grab_focus(p->in->entry);
}

static void picker_listed(GObject *src, GAsyncResult *res, gpointer data) {
	Picker *p = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f = crm_conn_call_finish(CRM_CONN(src), res, &error);
	GtkWidget *child;

	if (f == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			gtk_list_box_append(GTK_LIST_BOX(p->list), gtk_label_new(error->message));
		return;
	}
	while ((child = gtk_widget_get_first_child(p->list)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(p->list), child);
	if (f->response->body_case == CRM__RESPONSE__BODY_RECORD_LIST) {
		const Crm__RecordListReply *rl = f->response->record_list;

		for (size_t i = 0; i < rl->n_records; i++) {
			const ProtobufCMessage *rec = crm_recval_inner(rl->records[i]);
			crm_sbuf b = {0};
			int64_t id = 0;
			GtkWidget *row = gtk_list_box_row_new(), *label;

			crm_recval_int(rec, p->in->f.references, "id", &id);
			crm_sbuf_puts(&b, "");
			crm_recval_text(&b, rec, p->in->f.references, "name", NULL);
			if (b.len == 0)
				crm_recval_text(&b, rec, p->in->f.references, "display_name", NULL);
			crm_sbuf_printf(&b, " (#%" PRId64 ")", id);
			label = gtk_label_new(b.p);
			gtk_label_set_xalign(GTK_LABEL(label), 0);
			gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), label);
			g_object_set_data_full(G_OBJECT(row), "crm-id",
					       g_strdup_printf("%" PRId64, id), g_free);
			gtk_list_box_append(GTK_LIST_BOX(p->list), row);
			crm_sbuf_fini(&b);
		}
		if (rl->n_records == 0)
			gtk_list_box_append(GTK_LIST_BOX(p->list), gtk_label_new(_("No records.")));
	}
	crm_client_reply_free(f);
}

/* Asks for the first records of the referenced type whose name starts
 * with what is typed (as the list's quick filter does). */
static void picker_search(Picker *p) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordList list = CRM__RECORD_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	Crm__Filter ge = CRM__FILTER__INIT, lt = CRM__FILTER__INIT, *fs[2] = {&ge, &lt};
	const char *q = gtk_editable_get_text(GTK_EDITABLE(p->search));
	g_autofree char *end = g_strconcat(q, "\xf4\x8f\xbf\xbf", NULL); /* U+10FFFF */
	ProtobufCBinaryData qv = {strlen(q), (uint8_t *)q}, ev = {strlen(end), (uint8_t *)end};
	const char *field = strcmp(p->in->f.references, "contact") == 0 ? "display_name" : "name";

	g_cancellable_cancel(p->cancel);
	g_clear_object(&p->cancel);
	p->cancel = g_cancellable_new();
	list.has_type = TRUE;
	list.type = crm_meta_type_value(p->in->f.references);
	page.has_limit = TRUE;
	page.limit = PICKER_ROWS;
	list.page = &page;
	if (q[0] != '\0') {
		ge.has_field = lt.has_field = ge.has_op = lt.has_op = TRUE;
		ge.field.data = lt.field.data = (uint8_t *)field;
		ge.field.len = lt.field.len = strlen(field);
		ge.op = CRM__FILTER_OP__FILTER_OP_GE;
		lt.op = CRM__FILTER_OP__FILTER_OP_LT;
		ge.n_values = lt.n_values = 1;
		ge.values = &qv;
		lt.values = &ev;
		list.n_filters = 2;
		list.filters = fs;
	}
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_LIST;
	req.record_list = &list;
	crm_conn_call(p->form->conn, &req, p->cancel, picker_listed, p);
}

static GtkWidget *picker_button(CrmRecordForm *self, Input *in, const char *label) {
	Picker *p = g_new0(Picker, 1);
	GtkWidget *button = gtk_menu_button_new(), *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *scroll = gtk_scrolled_window_new();
	g_autofree char *name = g_strdup_printf(_("Choose: %s"), label);

	p->form = self;
	p->in = in;
	p->popover = gtk_popover_new();
	p->search = gtk_search_entry_new();
	p->list = gtk_list_box_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(p->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Search by name"), -1);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), p->list);
	gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 240);
	gtk_scrolled_window_set_min_content_width(GTK_SCROLLED_WINDOW(scroll), 320);
	gtk_box_append(GTK_BOX(box), p->search);
	gtk_box_append(GTK_BOX(box), scroll);
	gtk_popover_set_child(GTK_POPOVER(p->popover), box);
	gtk_menu_button_set_popover(GTK_MENU_BUTTON(button), p->popover);
	gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(button), "edit-find-symbolic");
	gtk_widget_set_tooltip_text(button, name);
	gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
	g_signal_connect_swapped(p->search, "search-changed", G_CALLBACK(picker_search), p);
	g_signal_connect_swapped(p->popover, "show", G_CALLBACK(picker_search), p);
	g_signal_connect(p->list, "row-activated", G_CALLBACK(picker_row_activated), p);
	g_object_set_data_full(G_OBJECT(button), "crm-picker", p, picker_free);
	return button;
}

/* ---------------------------------------------------------------- widgets per kind */

static void calendar_picked(GtkCalendar *cal, Input *in) {
	g_autoptr(GDateTime) d = gtk_calendar_get_date(cal);
	g_autofree char *s = g_date_time_format(d, "%Y-%m-%d");

	gtk_editable_set_text(GTK_EDITABLE(in->entry), s);
	gtk_popover_popdown(GTK_POPOVER(gtk_widget_get_ancestor(GTK_WIDGET(cal), GTK_TYPE_POPOVER)));
}

static GtkWidget *entry(const char *label, guint max_chars) {
	GtkWidget *e = gtk_entry_new();

	gtk_widget_set_hexpand(e, TRUE);
	if (max_chars > 0)
		gtk_entry_set_max_length(GTK_ENTRY(e), (int)MIN(max_chars, G_MAXUINT16));
	gtk_accessible_update_property(GTK_ACCESSIBLE(e), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
	return e;
}

static GtkWidget *text_view(Input *in, const char *label) {
	GtkWidget *scroll = gtk_scrolled_window_new();

	in->entry = gtk_text_view_new();
	gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(in->entry), GTK_WRAP_WORD_CHAR);
	gtk_text_view_set_accepts_tab(GTK_TEXT_VIEW(in->entry), FALSE);
	gtk_accessible_update_property(GTK_ACCESSIBLE(in->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       label, -1);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), in->entry);
	gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 72);
	gtk_widget_add_css_class(scroll, "card");
	gtk_widget_set_hexpand(scroll, TRUE);
	return scroll;
}

/* The choices of an enum field: its values' names. */
static void enum_choices(Input *in) {
	const ProtobufCEnumDescriptor *ed = in->f.fd->descriptor;
	char buf[64];

	for (unsigned i = 0; i < ed->n_values; i++)
		if (ed->values[i].value != 0)
			gtk_string_list_append(in->choices,
					       crm_recval_enum_name(in->f.fd, ed->values[i].value,
								    buf, sizeof(buf)));
}

typedef struct {
	CrmRecordForm *form;
	guint index;
} PickRef;

static void picklist_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	PickRef *r = data;
	g_autoptr(CrmRecordForm) self = r->form;
	const Crm__Picklist *pl = crm_meta_picklist_finish(CRM_META(src), res, NULL);
	Input *in;
	guint sel;

	if (pl == NULL || g_cancellable_is_cancelled(self->cancel) || r->index >= self->n_inputs) {
		g_free(r);
		return;
	}
	in = &self->inputs[r->index];
	g_free(r);
	sel = gtk_drop_down_get_selected(GTK_DROP_DOWN(in->widget));
	{
		g_autofree char *keep = g_strdup(sel != GTK_INVALID_LIST_POSITION
							 ? gtk_string_list_get_string(in->choices, sel)
							 : "");

		for (size_t i = 0; i < pl->n_values; i++) {
			const Crm__PicklistValue *v = pl->values[i];
			g_autofree char *s = g_strndup((const char *)v->value.data, v->value.len);

			if ((!v->has_active || v->active) && strcmp(s, keep) != 0)
				gtk_string_list_append(in->choices, s);
		}
		gtk_drop_down_set_selected(GTK_DROP_DOWN(in->widget), choice_index(in, keep));
	}
}

/* A choice as the drop-down shows it: "—" for none; an enum's value name
 * in the user's language (a pick list's values are the administrator's
 * words, shown as they are). The value kept is the string itself. */
static char *choice_shown(GtkStringObject *item) {
	const char *s = gtk_string_object_get_string(item);

	return g_strdup(s[0] != '\0' ? s : "—");
}

static char *choice_shown_translated(GtkStringObject *item) {
	const char *s = gtk_string_object_get_string(item);

	return g_strdup(s[0] != '\0' ? _(s) : "—");
}

static void make_widget(CrmRecordForm *self, Input *in, guint index, const char *label) {
	const Crm__FieldDef *def = in->f.def;
	guint max = def->has_max_length ? def->max_length : 0;
	GtkWidget *box, *cal, *pick;

	switch (in->f.how) {
	case CRM_RECSET_MULTI_LINE:
	case CRM_RECSET_LIST:
		in->widget = text_view(in, label);
		return;
	case CRM_RECSET_BOOL:
		in->widget = gtk_switch_new();
		gtk_widget_set_halign(in->widget, GTK_ALIGN_START);
		gtk_accessible_update_property(GTK_ACCESSIBLE(in->widget),
					       GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
		return;
	case CRM_RECSET_CHOICE:
		in->choices = gtk_string_list_new(NULL);
		gtk_string_list_append(in->choices, "");
		if (in->f.fd != NULL && in->f.fd->type == PROTOBUF_C_TYPE_ENUM) {
			enum_choices(in);
		} else if (in->f.picklist) {
			PickRef *r = g_new(PickRef, 1);
			g_autofree char *name = crm_meta_field_name(def);

			r->form = g_object_ref(self);
			r->index = index;
			crm_meta_picklist_async(crm_meta_get(self->conn), name, self->cancel,
						picklist_loaded, r);
		} else {
			for (size_t i = 0; i < def->n_options; i++) {
				g_autofree char *s = g_strndup((const char *)def->options[i].data,
							       def->options[i].len);

				gtk_string_list_append(in->choices, s);
			}
		}
		in->widget = gtk_drop_down_new(
			G_LIST_MODEL(g_object_ref(in->choices)),
			gtk_cclosure_expression_new(
				G_TYPE_STRING, NULL, 0, NULL,
				G_CALLBACK(in->f.fd != NULL && in->f.fd->type == PROTOBUF_C_TYPE_ENUM
						   ? choice_shown_translated
						   : choice_shown),
				NULL, NULL));
		gtk_widget_set_halign(in->widget, GTK_ALIGN_START);
		gtk_accessible_update_property(GTK_ACCESSIBLE(in->widget),
					       GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
		return;
	case CRM_RECSET_MONEY:
		box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
		in->entry = entry(label, 0);
		gtk_entry_set_input_purpose(GTK_ENTRY(in->entry), GTK_INPUT_PURPOSE_NUMBER);
		gtk_entry_set_placeholder_text(GTK_ENTRY(in->entry), "1250.50");
		in->currency = entry(_("Currency"), 3);
		gtk_widget_set_hexpand(in->currency, FALSE);
		gtk_editable_set_width_chars(GTK_EDITABLE(in->currency), 4);
		gtk_entry_set_placeholder_text(GTK_ENTRY(in->currency), "EUR");
		gtk_box_append(GTK_BOX(box), in->entry);
		gtk_box_append(GTK_BOX(box), in->currency);
		in->widget = box;
		return;
	case CRM_RECSET_DATE:
		box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
		in->entry = entry(label, 10);
		gtk_entry_set_placeholder_text(GTK_ENTRY(in->entry), _("YYYY-MM-DD"));
		pick = gtk_menu_button_new();
		gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(pick), "x-office-calendar-symbolic");
		{
			g_autofree char *name = g_strdup_printf(_("Pick a date: %s"), label);

			gtk_widget_set_tooltip_text(pick, name);
			gtk_accessible_update_property(GTK_ACCESSIBLE(pick),
						       GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
		}
		cal = gtk_calendar_new();
		gtk_menu_button_set_popover(GTK_MENU_BUTTON(pick), gtk_popover_new());
		gtk_popover_set_child(gtk_menu_button_get_popover(GTK_MENU_BUTTON(pick)), cal);
		g_signal_connect(cal, "day-selected", G_CALLBACK(calendar_picked), in);
		gtk_box_append(GTK_BOX(box), in->entry);
		gtk_box_append(GTK_BOX(box), pick);
		in->widget = box;
		return;
	case CRM_RECSET_REF:
		box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
		in->entry = entry(label, 20);
		gtk_entry_set_input_purpose(GTK_ENTRY(in->entry), GTK_INPUT_PURPOSE_DIGITS);
		gtk_entry_set_placeholder_text(GTK_ENTRY(in->entry), _("Id"));
		gtk_box_append(GTK_BOX(box), in->entry);
		gtk_box_append(GTK_BOX(box), picker_button(self, in, label));
		in->widget = box;
		return;
	case CRM_RECSET_NUMBER:
		in->entry = in->widget = entry(label, 40);
		gtk_entry_set_input_purpose(GTK_ENTRY(in->entry), GTK_INPUT_PURPOSE_NUMBER);
		return;
	default:
		in->entry = in->widget = entry(label, max);
		return;
	}
}

/* The names of message parts the form shows (crm.proto's Address), for
 * the catalog: a part's label is its name, translated. */
static const char *const part_labels[] G_GNUC_UNUSED = {
	N_("Street"), N_("City"), N_("Region"), N_("Postal code"), N_("Country"),
};

/* "Billing address: City" for a part; the field's label otherwise. */
static char *input_label(const Input *in) {
	g_autofree char *label = crm_meta_field_label(in->f.def);
	g_autofree char *part = NULL;

	if (in->f.part == NULL)
		return g_steal_pointer(&label);
	part = g_strdelimit(g_strdup(in->f.part), "_", ' ');
	part[0] = g_ascii_toupper(part[0]);
	return g_strdup_printf(_("%s: %s"), label, _(part));
}

static const char *input_hint(const Input *in) {
	if (in->f.how != CRM_RECSET_LIST)
		return NULL;
	if (in->f.fd != NULL && in->f.fd->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (protobuf_c_message_descriptor_get_field_by_name(in->f.fd->descriptor, "kind"))
			return _("One a line, KIND:VALUE or VALUE; the first line is the primary one.");
		return _("One a line, KEY=VALUE.");
	}
	return _("One a line.");
}

static void save(CrmRecordForm *self);

/* crm_record_form_new_with_change: the change goes into its widget and
 * is saved at once (against the version given). */
static void apply_preset(CrmRecordForm *self) {
	for (size_t i = 0; i < self->n_inputs; i++)
		if (strcmp(self->inputs[i].f.path, self->preset_path) == 0)
			input_set_text(&self->inputs[i], self->preset_text);
	g_clear_pointer(&self->preset_path, g_free);
	g_clear_pointer(&self->preset_text, g_free);
	save(self);
}

static void build_inputs(CrmRecordForm *self) {
	const ProtobufCMessageDescriptor *d = NULL;
	const ProtobufCMessage *rec = self->record ? crm_row_get_inner(self->record) : NULL;
	struct crm_recset_field fs[CRM_RECSET_FIELDS_MAX];
	ProtobufCMessage *probe;
	int row = 0;

	/* the type's message descriptor, from an empty record of the type */
	{
		Crm__Record *r = crm_recset_record_new(self->type, &probe);

		if (r == NULL) {
			form_error(self, _("This record type is not known to this version of the program."));
			return;
		}
		d = probe->descriptor;
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	self->n_inputs = crm_recset_form_fields(d, self->type, self->fields, fs, G_N_ELEMENTS(fs));
	self->inputs = g_new0(Input, self->n_inputs);
	for (size_t i = 0; i < self->n_inputs; i++) {
		Input *in = &self->inputs[i];
		g_autofree char *label = NULL;
		g_autofree char *shown = NULL;
		GtkWidget *name, *hint;
		const char *h;
		crm_sbuf b = {0};

		in->f = fs[i];
		label = input_label(in);
		shown = in->f.required ? g_strdup_printf(_("%s (required)"), label) : g_strdup(label);
		make_widget(self, in, (guint)i, label);
		name = gtk_label_new(shown);
		gtk_label_set_xalign(GTK_LABEL(name), 1);
		gtk_widget_set_valign(name, in->f.how == CRM_RECSET_MULTI_LINE ||
							in->f.how == CRM_RECSET_LIST
						    ? GTK_ALIGN_START
						    : GTK_ALIGN_CENTER);
		gtk_widget_add_css_class(name, "dim-label");
		gtk_grid_attach(GTK_GRID(self->grid), name, 0, row, 1, 1);
		gtk_grid_attach(GTK_GRID(self->grid), in->widget, 1, row++, 1, 1);
		if ((h = input_hint(in)) != NULL) {
			hint = gtk_label_new(h);
			gtk_label_set_xalign(GTK_LABEL(hint), 0);
			gtk_label_set_wrap(GTK_LABEL(hint), TRUE);
			gtk_widget_add_css_class(hint, "caption");
			gtk_widget_add_css_class(hint, "dim-label");
			gtk_grid_attach(GTK_GRID(self->grid), hint, 1, row++, 1, 1);
		}
		in->error = gtk_label_new(NULL);
		gtk_label_set_xalign(GTK_LABEL(in->error), 0);
		gtk_label_set_wrap(GTK_LABEL(in->error), TRUE);
		gtk_widget_add_css_class(in->error, "error");
		gtk_widget_set_visible(in->error, FALSE);
		gtk_grid_attach(GTK_GRID(self->grid), in->error, 1, row++, 1, 1);
		crm_sbuf_puts(&b, "");
		if (rec != NULL)
			crm_recset_get(&b, rec, &in->f);
		in->base = g_strdup(b.p);
		crm_sbuf_fini(&b);
		input_set_text(in, in->base);
	}
	busy(self, FALSE);
	if (self->n_inputs > 0)
		gtk_widget_grab_focus(self->inputs[0].entry ? self->inputs[0].entry
							    : self->inputs[0].widget);
	if (self->preset_path != NULL)
		apply_preset(self);
}

/* ---------------------------------------------------------------- loading */

static void maybe_build(CrmRecordForm *self) {
	if (self->fields != NULL && (self->id == 0 || self->record != NULL) && self->inputs == NULL)
		build_inputs(self);
}

static void fields_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	g_autoptr(GError) error = NULL;
	const Crm__FieldListReply *fields = crm_meta_fields_finish(CRM_META(src), res, &error);

	if (g_cancellable_is_cancelled(self->cancel))
		return;
	if (fields == NULL) {
		form_error(self, error->message);
		gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), FALSE);
		return;
	}
	self->fields = fields;
	maybe_build(self);
}

static gint64 version_of(CrmRow *row, const char *type) {
	int64_t v = 0;

	crm_recval_int(crm_row_get_inner(row), type, "version", &v);
	return v;
}

static void record_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_RECORD, &error);

	if (g_cancellable_is_cancelled(self->cancel)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return;
	}
	if (f == NULL) {
		form_error(self, error->message);
		gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), FALSE);
		return;
	}
	self->record = crm_row_new_for_reply(f, f->response->record);
	self->version = version_of(self->record, self->type);
	maybe_build(self);
}

static void get_record(CrmRecordForm *self, GAsyncReadyCallback cb) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordGet get = CRM__RECORD_GET__INIT;

	get.has_type = get.has_id = TRUE;
	get.type = crm_meta_type_value(self->type);
	get.id = self->id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_GET;
	req.record_get = &get;
	crm_conn_call(self->conn, &req, self->cancel, cb, g_object_ref(self));
}

/* ---------------------------------------------------------------- changed by someone else */

static void show_notice(CrmRecordForm *self, gboolean on) {
	gtk_revealer_set_reveal_child(GTK_REVEALER(self->notice), on);
}

/* Reload: the record as the server has it now, in every widget. */
static void reloaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_RECORD, &error);
	const ProtobufCMessage *rec;

	if (g_cancellable_is_cancelled(self->cancel)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return;
	}
	busy(self, FALSE);
	if (f == NULL) {
		form_error(self, error->message);
		return;
	}
	g_clear_object(&self->record);
	self->record = crm_row_new_for_reply(f, f->response->record);
	self->version = version_of(self->record, self->type);
	rec = crm_row_get_inner(self->record);
	clear_errors(self);
	for (size_t i = 0; i < self->n_inputs; i++) {
		Input *in = &self->inputs[i];
		crm_sbuf b = {0};

		crm_sbuf_puts(&b, "");
		crm_recset_get(&b, rec, &in->f);
		g_free(in->base);
		in->base = g_strdup(b.p);
		input_set_text(in, in->base);
		crm_sbuf_fini(&b);
	}
	show_notice(self, FALSE);
}

static void reload_action(GtkWidget *widget, const char *name, GVariant *param) {
	CrmRecordForm *self = CRM_RECORD_FORM(widget);

	if (self->saving || self->inputs == NULL)
		return;
	busy(self, TRUE);
	get_record(self, reloaded);
}

/* A pushed change of this type: this record, newer than the version the
 * form read (not the form's own save, which closes it). */
static void record_event(CrmConn *conn, const char *type, gint64 id, gint64 version,
			 const char *kind, gint64 at, CrmRecordForm *self) {
	if (self->id == 0 || id != self->id || self->saving || self->record == NULL ||
	    g_strcmp0(kind, "reminder") == 0 || (version != 0 && version <= self->version))
		return;
	show_notice(self, TRUE);
}

static GtkWidget *build_notice(CrmRecordForm *self) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *label = gtk_label_new(
		_("Changed by someone else since you opened it. Reload shows their version (your "
		  "changes are discarded); Save lets you merge."));
	GtkWidget *reload = gtk_button_new_with_mnemonic(_("_Reload"));

	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_widget_set_hexpand(label, TRUE);
	gtk_widget_set_valign(reload, GTK_ALIGN_CENTER);
	gtk_actionable_set_action_name(GTK_ACTIONABLE(reload), "form.reload");
	gtk_accessible_update_property(GTK_ACCESSIBLE(reload), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Reload the record"), -1);
	gtk_widget_add_css_class(box, "crm-banner");
	gtk_widget_set_margin_start(label, 12);
	gtk_widget_set_margin_top(label, 6);
	gtk_widget_set_margin_bottom(label, 6);
	gtk_widget_set_margin_end(reload, 12);
	gtk_box_append(GTK_BOX(box), label);
	gtk_box_append(GTK_BOX(box), reload);
	self->notice = gtk_revealer_new();
	gtk_revealer_set_child(GTK_REVEALER(self->notice), box);
	return self->notice;
}

/* ---------------------------------------------------------------- saving */

static void saved(GObject *src, GAsyncResult *res, gpointer data);

static void conflict(CrmRecordForm *self);

/* Builds the request from the widgets and sends it; FALSE (errors shown)
 * when a text is not a value of its field. */
static gboolean send(CrmRecordForm *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__RecordCreate create = CRM__RECORD_CREATE__INIT;
	Crm__RecordUpdate up = CRM__RECORD_UPDATE__INIT;
	ProtobufCMessage *inner;
	Crm__Record *rec = crm_recset_record_new(self->type, &inner);
	g_autoptr(GPtrArray) clear = g_ptr_array_new_with_free_func(g_free);
	Input *first_bad = NULL;
	guint changed = 0;

	for (size_t i = 0; i < self->n_inputs; i++) {
		Input *in = &self->inputs[i];
		g_autofree char *text = input_text(in);
		crm_sbuf err = {0};

		if (strcmp(text, in->base) == 0)
			continue;
		changed++;
		if (text[0] == '\0') {
			if (self->id != 0)
				g_ptr_array_add(clear, g_strdup(in->f.path));
			continue;
		}
		if (!crm_recset_set(inner, &in->f, text, &err)) {
			input_error(in, err.p);
			if (first_bad == NULL)
				first_bad = in;
		}
		crm_sbuf_fini(&err);
	}
	if (first_bad != NULL) {
		protobuf_c_message_free_unpacked(&rec->base, NULL);
		gtk_widget_grab_focus(first_bad->entry ? first_bad->entry : first_bad->widget);
		form_error(self, _("Some fields need correcting: see the messages under them."));
		return FALSE;
	}
	if (self->id != 0 && changed == 0) {
		protobuf_c_message_free_unpacked(&rec->base, NULL);
		g_signal_emit(self, signals[SIG_SAVED], 0, self->id);
		return TRUE;
	}
	if (self->id == 0) {
		create.record = rec;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_CREATE;
		req.record_create = &create;
	} else {
		up.has_id = up.has_version = TRUE;
		up.id = self->id;
		up.version = self->version;
		up.changes = rec;
		up.n_clear = clear->len;
		up.clear = (char **)clear->pdata;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_RECORD_UPDATE;
		req.record_update = &up;
	}
	busy(self, TRUE);
	crm_conn_call(self->conn, &req, self->cancel, saved, g_object_ref(self));
	protobuf_c_message_free_unpacked(&rec->base, NULL);
	return TRUE;
}

static void saved(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_RECORD, &error);
	const char *field;
	int at;
	int64_t id = self->id;

	if (g_cancellable_is_cancelled(self->cancel)) {
		if (f != NULL)
			crm_client_reply_free(f);
		return;
	}
	busy(self, FALSE);
	if (f != NULL) {
		crm_recval_int(crm_recval_inner(f->response->record), self->type, "id", &id);
		crm_client_reply_free(f);
		g_signal_emit(self, signals[SIG_SAVED], 0, (gint64)id);
		return;
	}
	if (g_error_matches(error, CRM_CONN_ERROR, CRM_CONFLICT) && self->id != 0) {
		conflict(self);
		return;
	}
	field = crm_conn_error_field(error);
	at = -1;
	for (size_t i = 0; field != NULL && i < self->n_inputs && at < 0; i++) {
		struct crm_recset_field one = self->inputs[i].f;

		if (crm_recset_field_of_error(&one, 1, self->type, field) == 0)
			at = (int)i;
	}
	if (at >= 0) {
		input_error(&self->inputs[at], error->message);
		gtk_widget_grab_focus(self->inputs[at].entry ? self->inputs[at].entry
							     : self->inputs[at].widget);
		form_error(self, _("Some fields need correcting: see the messages under them."));
	} else {
		form_error(self, error->message);
	}
}

static void save(CrmRecordForm *self) {
	if (self->saving || self->inputs == NULL)
		return;
	clear_errors(self);
	send(self);
}

/* ---------------------------------------------------------------- conflicts */

typedef struct {
	CrmRecordForm *form;
	CrmRow *theirs;
	GPtrArray *both;   /* Input * changed on both sides */
	GPtrArray *mine;   /* GtkCheckButton * "keep mine" per both-changed input */
	GPtrArray *texts;  /* their text per input (char *) */
} Conflict;

static void conflict_free(Conflict *c) {
	g_clear_object(&c->theirs);
	g_ptr_array_unref(c->both);
	g_ptr_array_unref(c->mine);
	g_ptr_array_unref(c->texts);
	g_object_unref(c->form);
	g_free(c);
}

/* The record as the server has it now becomes the base: their changes are
 * taken where the user changed nothing, the user's choice where both did. */
static void conflict_merge(Conflict *c, gboolean reload) {
	CrmRecordForm *self = c->form;
	guint k = 0;

	for (size_t i = 0; i < self->n_inputs; i++) {
		Input *in = &self->inputs[i];
		const char *theirs = g_ptr_array_index(c->texts, i);
		g_autofree char *mine = input_text(in);
		gboolean keep_mine = FALSE;

		if (k < c->both->len && g_ptr_array_index(c->both, k) == in)
			keep_mine = !reload && gtk_check_button_get_active(
						       GTK_CHECK_BUTTON(g_ptr_array_index(c->mine, k++)));
		else
			keep_mine = !reload && strcmp(mine, in->base) != 0;
		g_free(in->base);
		in->base = g_strdup(theirs);
		if (!keep_mine)
			input_set_text(in, theirs);
	}
	g_set_object(&self->record, c->theirs);
	self->version = version_of(c->theirs, self->type);
}

static void conflict_response(AdwMessageDialog *dialog, const char *response, Conflict *c) {
	CrmRecordForm *self = c->form;

	if (strcmp(response, "reload") == 0) {
		conflict_merge(c, TRUE);
		form_error(self, _("The record was reloaded: your changes were discarded."));
	} else if (strcmp(response, "merge") == 0) {
		conflict_merge(c, FALSE);
		save(self);
	} else {
		form_error(self, _("Not saved: the record was changed by someone else. Save again to "
				   "decide, or Cancel."));
	}
	conflict_free(c);
}

static GtkWidget *choice_row(GtkWidget *group, const char *label, const char *mine,
			     const char *theirs, GtkWidget **keep_mine) {
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4), *title = gtk_label_new(label);
	g_autofree char *m = g_strdup_printf(_("Mine: %s"), mine[0] ? mine : _("(empty)"));
	g_autofree char *t = g_strdup_printf(_("Theirs: %s"), theirs[0] ? theirs : _("(empty)"));
	GtkWidget *a = gtk_check_button_new_with_label(m), *b = gtk_check_button_new_with_label(t);

	gtk_label_set_xalign(GTK_LABEL(title), 0);
	gtk_widget_add_css_class(title, "heading");
	gtk_check_button_set_group(GTK_CHECK_BUTTON(b), GTK_CHECK_BUTTON(a));
	gtk_check_button_set_active(GTK_CHECK_BUTTON(a), TRUE);
	gtk_box_append(GTK_BOX(box), title);
	gtk_box_append(GTK_BOX(box), a);
	gtk_box_append(GTK_BOX(box), b);
	gtk_box_append(GTK_BOX(group), box);
	*keep_mine = a;
	return box;
}

static void conflict_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_RECORD, &error);
	Conflict *c;
	const ProtobufCMessage *rec;
	AdwMessageDialog *dialog;
	GtkWidget *choices = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	g_autofree char *heading = NULL, *when = NULL, *by = NULL, *body = NULL;
	int64_t at = 0;
	guint only_theirs = 0;
	crm_sbuf b = {0};

	if (g_cancellable_is_cancelled(self->cancel)) {
		if (f != NULL)
			crm_client_reply_free(f);
		g_object_ref_sink(choices);
		g_object_unref(choices);
		return;
	}
	busy(self, FALSE);
	if (f == NULL) {
		form_error(self, error->message);
		g_object_ref_sink(choices);
		g_object_unref(choices);
		return;
	}
	c = g_new0(Conflict, 1);
	c->form = g_object_ref(self);
	c->theirs = crm_row_new_for_reply(f, f->response->record);
	c->both = g_ptr_array_new();
	c->mine = g_ptr_array_new();
	c->texts = g_ptr_array_new_with_free_func(g_free);
	rec = crm_row_get_inner(c->theirs);
	for (size_t i = 0; i < self->n_inputs; i++) {
		Input *in = &self->inputs[i];
		g_autofree char *mine = input_text(in);
		GtkWidget *keep;

		crm_sbuf_fini(&b);
		crm_sbuf_puts(&b, "");
		crm_recset_get(&b, rec, &in->f);
		g_ptr_array_add(c->texts, g_strdup(b.p));
		if (strcmp(b.p, in->base) == 0 || strcmp(b.p, mine) == 0)
			continue; /* they did not change it, or both made it the same */
		if (strcmp(mine, in->base) == 0) {
			only_theirs++;
			continue;
		}
		{
			g_autofree char *label = input_label(in);

			choice_row(choices, label, mine, b.p, &keep);
		}
		g_ptr_array_add(c->both, in);
		g_ptr_array_add(c->mine, keep);
	}
	crm_sbuf_fini(&b);
	crm_sbuf_puts(&b, "");
	crm_recval_text(&b, rec, self->type, "updated_by", NULL);
	by = g_strdup(b.len ? b.p : _("someone"));
	crm_sbuf_fini(&b);
	crm_recval_int(rec, self->type, "updated_at", &at);
	{
		g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(at / G_USEC_PER_SEC);
		g_autoptr(GDateTime) local = utc ? g_date_time_to_local(utc) : NULL;

		when = local ? g_date_time_format(local, "%Y-%m-%d %H:%M") : g_strdup("?");
	}
	/* TRANSLATORS: a version conflict: "changed by ada at 2026-12-04 10:15 since you opened it" */
	heading = g_strdup_printf(_("Changed by %s at %s since you opened it"), by, when);
	if (c->both->len > 0)
		body = g_strdup_printf(
			ngettext("%u field was changed by both of you: choose which value to keep. "
				 "Their other changes are taken over.",
				 "%u fields were changed by both of you: choose which value to keep. "
				 "Their other changes are taken over.",
				 c->both->len),
			c->both->len);
	else
		body = g_strdup_printf(ngettext("They changed %u field you did not; your changes "
						"touch other fields. Merge keeps both.",
						"They changed %u fields you did not; your changes "
						"touch other fields. Merge keeps both.",
						only_theirs),
				       only_theirs);
	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
		GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))), heading, body));
	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "reload",
					 _("_Reload (discard mine)"), "merge", _("_Merge and save"),
					 NULL);
	adw_message_dialog_set_response_appearance(dialog, "merge", ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_response_appearance(dialog, "reload", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(dialog, "merge");
	adw_message_dialog_set_close_response(dialog, "cancel");
	if (c->both->len > 0)
		adw_message_dialog_set_extra_child(dialog, choices);
	else {
		g_object_ref_sink(choices);
		g_object_unref(choices);
	}
	g_signal_connect(dialog, "response", G_CALLBACK(conflict_response), c);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void conflict(CrmRecordForm *self) {
	busy(self, TRUE);
	get_record(self, conflict_loaded);
}

/* ---------------------------------------------------------------- building */

static void save_action(GtkWidget *widget, const char *name, GVariant *param) {
	save(CRM_RECORD_FORM(widget));
}

static void cancel_action(GtkWidget *widget, const char *name, GVariant *param) {
	g_signal_emit(widget, signals[SIG_CLOSE], 0);
}

static GtkWidget *build_header(CrmRecordForm *self) {
	GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *cancel = gtk_button_new_with_mnemonic(_("_Cancel"));

	gtk_widget_add_css_class(bar, "toolbar");
	gtk_widget_set_tooltip_text(cancel, _("Close without saving (Escape)"));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(cancel), "form.cancel");
	gtk_accessible_update_property(GTK_ACCESSIBLE(cancel), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Cancel"), -1);
	self->title = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->title, "title-2");
	gtk_label_set_ellipsize(GTK_LABEL(self->title), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(self->title, TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->title), 0);
	self->spinner = gtk_spinner_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Working"), -1);
	self->save = gtk_button_new_with_mnemonic(_("_Save"));
	gtk_widget_add_css_class(self->save, "suggested-action");
	gtk_widget_set_tooltip_text(self->save, _("Save (Ctrl+S)"));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(self->save), "form.save");
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->save), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Save"), -1);
	gtk_box_append(GTK_BOX(bar), cancel);
	gtk_box_append(GTK_BOX(bar), self->title);
	gtk_box_append(GTK_BOX(bar), self->spinner);
	gtk_box_append(GTK_BOX(bar), self->save);
	return bar;
}

static void build(CrmRecordForm *self) {
	GtkWidget *scroll = gtk_scrolled_window_new();
	GtkWidget *clamp = adw_clamp_new(), *inner = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	g_autofree char *title = NULL;
	g_autofree char *id_text = g_strdup_printf("%" G_GINT64_FORMAT, self->id);

	if (self->id == 0)
		title = g_strdup(_("New record"));
	else
		title = g_strdup_printf(_("Edit record %s"), id_text);
	self->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_box_append(GTK_BOX(self->box), build_header(self));
	gtk_box_append(GTK_BOX(self->box), build_notice(self));
	gtk_label_set_text(GTK_LABEL(self->title), title);
	self->error = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->error, "error");
	gtk_label_set_wrap(GTK_LABEL(self->error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->error), 0);
	gtk_widget_set_visible(self->error, FALSE);
	self->grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(self->grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(self->grid), 12);
	gtk_widget_set_margin_top(inner, 12);
	gtk_widget_set_margin_bottom(inner, 24);
	gtk_box_append(GTK_BOX(inner), self->error);
	gtk_box_append(GTK_BOX(inner), self->grid);
	adw_clamp_set_child(ADW_CLAMP(clamp), inner);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), clamp);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(self->box), scroll);
	gtk_widget_set_parent(self->box, GTK_WIDGET(self));
}

/* A new record's title names its type by the server's label ("New
 * Account"). */
static void types_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmRecordForm) self = data;
	const Crm__RecordTypeListReply *types = crm_meta_types_finish(CRM_META(src), res, NULL);
	const Crm__RecordTypeInfo *info = types ? crm_meta_type_info(types, self->type) : NULL;
	g_autofree char *title = NULL;

	if (info == NULL || g_cancellable_is_cancelled(self->cancel))
		return;
	/* TRANSLATORS: the form's title; %s is the record type's label ("Account") */
	title = g_strdup_printf(_("New %s"), crm_meta_type_label(info, FALSE));
	gtk_label_set_text(GTK_LABEL(self->title), title);
}

static void crm_record_form_dispose(GObject *object) {
	CrmRecordForm *self = CRM_RECORD_FORM(object);

	g_cancellable_cancel(self->cancel);
	if (self->conn != NULL)
		g_signal_handlers_disconnect_by_data(self->conn, self);
	g_clear_pointer(&self->box, gtk_widget_unparent);
	for (size_t i = 0; i < self->n_inputs; i++) {
		g_clear_pointer(&self->inputs[i].base, g_free);
		g_clear_object(&self->inputs[i].choices);
	}
	g_clear_pointer(&self->inputs, g_free);
	self->n_inputs = 0;
	g_clear_object(&self->record);
	g_clear_object(&self->cancel);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_record_form_parent_class)->dispose(object);
}

static void crm_record_form_finalize(GObject *object) {
	g_free(CRM_RECORD_FORM(object)->type);
	g_free(CRM_RECORD_FORM(object)->preset_path);
	g_free(CRM_RECORD_FORM(object)->preset_text);
	G_OBJECT_CLASS(crm_record_form_parent_class)->finalize(object);
}

static void crm_record_form_class_init(CrmRecordFormClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_record_form_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_record_form_finalize;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "form.save", NULL, save_action);
	gtk_widget_class_install_action(wc, "form.cancel", NULL, cancel_action);
	gtk_widget_class_install_action(wc, "form.reload", NULL, reload_action);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_s, GDK_CONTROL_MASK, "form.save", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "form.cancel", NULL);
	signals[SIG_SAVED] = g_signal_new("saved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
	signals[SIG_CLOSE] = g_signal_new("close", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void crm_record_form_init(CrmRecordForm *self) { self->cancel = g_cancellable_new(); }

GtkWidget *crm_record_form_new(CrmConn *conn, const char *type, gint64 id) {
	CrmRecordForm *self = g_object_new(CRM_TYPE_RECORD_FORM, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	build(self);
	busy(self, TRUE);
	crm_meta_fields_async(crm_meta_get(conn), type, self->cancel, fields_loaded,
			      g_object_ref(self));
	if (id != 0)
		get_record(self, record_loaded);
	else
		crm_meta_types_async(crm_meta_get(conn), self->cancel, types_loaded,
				     g_object_ref(self));
	if (id != 0) {
		g_autofree char *signal = g_strdup_printf("record-event::%s", type);

		g_signal_connect(conn, signal, G_CALLBACK(record_event), self);
	}
	return GTK_WIDGET(self);
}

GtkWidget *crm_record_form_new_with_change(CrmConn *conn, const char *type, CrmRow *record,
					   const char *path, const char *text) {
	CrmRecordForm *self = g_object_new(CRM_TYPE_RECORD_FORM, NULL);
	int64_t id = 0;
	g_autofree char *signal = g_strdup_printf("record-event::%s", type);

	crm_recval_int(crm_row_get_inner(record), type, "id", &id);
	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	self->record = g_object_ref(record);
	self->version = version_of(record, type);
	self->preset_path = g_strdup(path);
	self->preset_text = g_strdup(text);
	build(self);
	busy(self, TRUE);
	crm_meta_fields_async(crm_meta_get(conn), type, self->cancel, fields_loaded,
			      g_object_ref(self));
	g_signal_connect(conn, signal, G_CALLBACK(record_event), self);
	return GTK_WIDGET(self);
}
