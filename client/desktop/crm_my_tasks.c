/*
 * CrmMyTasks: see crm_my_tasks.h. Three CrmRecordSections of the task
 * type under a header, in a stack whose second page is the form a
 * conflicting Complete opens. Task-specific here: the queries (assignee,
 * status, due_at) and the quick action (status = done); the rows, their
 * texts and the update are the sections' and come from the metadata.
 */
#include "crm_my_tasks.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "crm_display.h"
#include "crm_record_form.h"
#include "crm_record_section.h"

#define TYPE "task"

enum { OVERDUE, TODAY, WEEK, N_SECTIONS };

struct _CrmMyTasks {
	GtkWidget parent_instance;

	CrmConn *conn;
	GtkWidget *stack, *sections[N_SECTIONS];
};

G_DEFINE_FINAL_TYPE(CrmMyTasks, crm_my_tasks, GTK_TYPE_WIDGET)

enum { SIG_OPEN_RECORD, N_SIGNALS };
static guint signals[N_SIGNALS];

/* µs of d as the text a filter takes. */
static char *us_text(GDateTime *d) {
	return g_strdup_printf("%" G_GINT64_FORMAT, g_date_time_to_unix(d) * G_USEC_PER_SEC);
}

/* The three queries, from now and the user's midnight. */
void crm_my_tasks_reload(CrmMyTasks *self) {
	g_autoptr(GDateTime) now = crm_display_now();
	g_autoptr(GDateTime) midnight = g_date_time_new(
		g_date_time_get_timezone(now), g_date_time_get_year(now), g_date_time_get_month(now),
		g_date_time_get_day_of_month(now), 0, 0, 0);
	g_autoptr(GDateTime) tomorrow = g_date_time_add_days(midnight, 1);
	g_autoptr(GDateTime) week = g_date_time_add_days(midnight, 7);
	g_autofree char *t_now = us_text(now), *t_tomorrow = us_text(tomorrow),
			*t_week = us_text(week);
	const char *from[N_SECTIONS] = {NULL, t_now, t_tomorrow};
	const char *until[N_SECTIONS] = {t_now, t_tomorrow, t_week};

	for (int i = 0; i < N_SECTIONS; i++) {
		CrmPagedFilter fs[5] = {
			{"assignee", CRM__FILTER_OP__FILTER_OP_EQ, "me"},
			{"status", CRM__FILTER_OP__FILTER_OP_NE, "done"},
			{"status", CRM__FILTER_OP__FILTER_OP_NE, "cancelled"},
			{"due_at", CRM__FILTER_OP__FILTER_OP_LT, (char *)until[i]},
			{"due_at", CRM__FILTER_OP__FILTER_OP_GE, (char *)from[i]},
		};

		crm_record_section_set_query(CRM_RECORD_SECTION(self->sections[i]), "due_at", fs,
					     from[i] != NULL ? 5 : 4);
	}
}

static void open_record(CrmRecordSection *section, const char *type, gint64 id,
			CrmMyTasks *self) {
	g_signal_emit(self, signals[SIG_OPEN_RECORD], 0, type, id);
}

/* ---------------------------------------------------------------- a conflicting Complete */

static void form_gone(CrmMyTasks *self, GtkWidget *form) {
	gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "tasks");
	gtk_stack_remove(GTK_STACK(self->stack), form);
	crm_my_tasks_reload(self);
}

static void form_saved(GtkWidget *form, gint64 id, CrmMyTasks *self) { form_gone(self, form); }
static void form_closed(GtkWidget *form, CrmMyTasks *self) { form_gone(self, form); }

/* The task changed since it was listed: its form, with status done, over
 * the page; saving it meets the conflict and asks (merge or reload). */
static void quick_conflict(CrmRecordSection *section, CrmRow *row, CrmMyTasks *self) {
	GtkWidget *form = crm_record_form_new_with_change(self->conn, TYPE, row, "status", "done");

	g_signal_connect(form, "saved", G_CALLBACK(form_saved), self);
	g_signal_connect(form, "close", G_CALLBACK(form_closed), self);
	gtk_stack_add_child(GTK_STACK(self->stack), form);
	gtk_stack_set_visible_child(GTK_STACK(self->stack), form);
}

/* A pushed event of a task (the signal's detail): ask again. */
static void task_event(CrmConn *conn, const char *type, gint64 id, gint64 version,
		       const char *kind, gint64 at, CrmMyTasks *self) {
	crm_my_tasks_reload(self);
}

/* ---------------------------------------------------------------- building */

static GtkWidget *section(CrmMyTasks *self, const char *title, const char *empty) {
	static const char *const details[] = {"due_at", "priority", "status", NULL};
	GtkWidget *s = crm_record_section_new(self->conn, TYPE, title, empty);

	crm_record_section_set_details(CRM_RECORD_SECTION(s), details);
	/* TRANSLATORS: the accessible name of a task's Complete button; %s is its subject */
	crm_record_section_set_quick(CRM_RECORD_SECTION(s), _("_Complete"), _("Complete “%s”"),
				     "status", "done");
	g_signal_connect(s, "open-record", G_CALLBACK(open_record), self);
	g_signal_connect(s, "quick-conflict", G_CALLBACK(quick_conflict), self);
	return s;
}

static GtkWidget *build_header(CrmMyTasks *self) {
	GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *title = gtk_label_new(NULL); /* the window's title names the page */
	GtkWidget *refresh = gtk_button_new_from_icon_name("view-refresh-symbolic");

	gtk_widget_add_css_class(bar, "toolbar");
	gtk_widget_set_hexpand(title, TRUE);
	gtk_widget_set_tooltip_text(refresh, _("Ask the server again"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(refresh), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Refresh"), -1);
	g_signal_connect_swapped(refresh, "clicked", G_CALLBACK(crm_my_tasks_reload), self);
	gtk_box_append(GTK_BOX(bar), title);
	gtk_box_append(GTK_BOX(bar), refresh);
	return bar;
}

static void build(CrmMyTasks *self) {
	GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *scroll = gtk_scrolled_window_new(), *clamp = adw_clamp_new();
	GtkWidget *inner = gtk_box_new(GTK_ORIENTATION_VERTICAL, 24);

	self->sections[OVERDUE] = section(self, _("Overdue"), _("Nothing overdue."));
	self->sections[TODAY] = section(self, _("Today"), _("Nothing more due today."));
	self->sections[WEEK] = section(self, _("This Week"), _("Nothing due in the next six days."));
	gtk_widget_set_margin_top(inner, 12);
	gtk_widget_set_margin_bottom(inner, 24);
	for (int i = 0; i < N_SECTIONS; i++)
		gtk_box_append(GTK_BOX(inner), self->sections[i]);
	adw_clamp_set_child(ADW_CLAMP(clamp), inner);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), clamp);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(page), build_header(self));
	gtk_box_append(GTK_BOX(page), scroll);
	self->stack = gtk_stack_new();
	gtk_stack_add_named(GTK_STACK(self->stack), page, "tasks");
	gtk_widget_set_parent(self->stack, GTK_WIDGET(self));
}

static void crm_my_tasks_dispose(GObject *object) {
	CrmMyTasks *self = CRM_MY_TASKS(object);

	if (self->conn != NULL)
		g_signal_handlers_disconnect_by_data(self->conn, self);
	g_clear_pointer(&self->stack, gtk_widget_unparent);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_my_tasks_parent_class)->dispose(object);
}

static void crm_my_tasks_class_init(CrmMyTasksClass *klass) {
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = crm_my_tasks_dispose;
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	signals[SIG_OPEN_RECORD] = g_signal_new("open-record", G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
}

static void crm_my_tasks_init(CrmMyTasks *self) {}

GtkWidget *crm_my_tasks_new(CrmConn *conn) {
	CrmMyTasks *self = g_object_new(CRM_TYPE_MY_TASKS, NULL);

	self->conn = g_object_ref(conn);
	build(self);
	g_signal_connect(conn, "record-event::" TYPE, G_CALLBACK(task_event), self);
	g_signal_connect_swapped(conn, "resync", G_CALLBACK(crm_my_tasks_reload), self);
	/* shown again (from the sidebar): the days may have moved on */
	g_signal_connect(self, "map", G_CALLBACK(crm_my_tasks_reload), NULL);
	return GTK_WIDGET(self);
}
