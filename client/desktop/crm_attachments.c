/*
 * CrmAttachments: see crm_attachments.h. An AdwPreferencesGroup: "Attach
 * File…" in its header, a progress bar while an upload runs, a boxed
 * GtkListBox of the attachments, each row with Open, Save As… and Delete.
 *
 * An upload (Upload) and a download (Download) are each a chain of steps,
 * every one a request through CrmConn or a GTask thread for the file (read
 * and hash, write, give the name), the next step started from the
 * previous one's callback. Each holds a reference on the widget, so that
 * a page closed meanwhile does not free what the callbacks use; dispose
 * cancels them (self->cancel).
 *
 * The name sanitiser is this module's own (crm's client/crm/args.c is
 * getting one too on another branch; the two may be merged later).
 */
#include "crm_attachments.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "crm_display.h"
#include "filename.h"
#include "crm_meta.h"
#include "crm_test_hooks.h"

#define IO_BLOCK (64 * 1024)
#define CHUNK_MAX (16 * 1024 * 1024) /* crmd plans 256 KiB: far above is a broken plan */

struct _CrmAttachments {
	GtkWidget parent_instance;

	CrmConn *conn;
	char *type;
	gint64 id;
	GCancellable *cancel; /* every transfer; cancelled on dispose */
	guint count;
	GQueue pending; /* GFile to upload after the current one */
	gboolean uploading;

	GtkWidget *group, *list, *progress;
};

G_DEFINE_FINAL_TYPE(CrmAttachments, crm_attachments, GTK_TYPE_WIDGET)

enum { SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- names */

char *crm_attachments_sanitize_name(const char *name, gint64 id) {
	char out[CRM_ATTACHMENTS_NAME_MAX + 1];

	crm_file_name_safe(name ? name : "", id, out, sizeof(out));
	return g_strdup(out);
}

/* ---------------------------------------------------------------- helpers */

static char *sha256_hex(const void *data, gsize len) {
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static void show_problem(CrmAttachments *self, const char *name, const GError *error) {
	g_autofree char *text = name ? g_strdup_printf(_("%s: %s"), name, error->message)
				     : g_strdup(error->message);

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group), text);
}

static GtkWindow *window_of(CrmAttachments *self) {
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

	return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
}

/* ---------------------------------------------------------------- the list */

static void open_clicked(GtkButton *b, CrmAttachments *self);
static void save_clicked(GtkButton *b, CrmAttachments *self);
static void delete_clicked(GtkButton *b, CrmAttachments *self);

static GtkWidget *row_button(CrmAttachments *self, const char *icon, const char *tip,
			     const char *a11y_format, const char *name, gint64 id, GCallback cb) {
	GtkWidget *b = gtk_button_new_from_icon_name(icon);
	g_autofree char *a11y = g_strdup_printf(a11y_format, name);
	gint64 *idp = g_new(gint64, 1);

	*idp = id;
	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(b, "flat");
	gtk_widget_set_tooltip_text(b, tip);
	gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	g_object_set_data_full(G_OBJECT(b), "crm-id", idp, g_free);
	g_object_set_data_full(G_OBJECT(b), "crm-name", g_strdup(name), g_free);
	g_signal_connect(b, "clicked", cb, self);
	return b;
}

static GtkWidget *attachment_row(CrmAttachments *self, const Crm__Attachment *a) {
	g_autofree char *name = crm_attachments_sanitize_name(a->name, a->id);
	g_autofree char *size = g_format_size((guint64)(a->size > 0 ? a->size : 0));
	g_autofree char *when = a->has_created_at ? crm_display_instant(a->created_at) : g_strdup("—");
	/* TRANSLATORS: an attachment's size · who attached it · when */
	g_autofree char *sub = g_strdup_printf(_("%s · %s · %s"), size,
					       a->created_by ? a->created_by : "?", when);
	GtkWidget *row = adw_action_row_new();

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), sub);
	adw_action_row_add_prefix(ADW_ACTION_ROW(row),
				  gtk_image_new_from_icon_name("mail-attachment-symbolic"));
	/* TRANSLATORS: the accessible names of an attachment's buttons; %s is its name */
	adw_action_row_add_suffix(ADW_ACTION_ROW(row),
				  row_button(self, "document-open-symbolic", _("Open"), _("Open “%s”"),
					     name, a->id, G_CALLBACK(open_clicked)));
	adw_action_row_add_suffix(ADW_ACTION_ROW(row),
				  row_button(self, "document-save-as-symbolic", _("Save As…"),
					     _("Save “%s” As…"), name, a->id,
					     G_CALLBACK(save_clicked)));
	adw_action_row_add_suffix(ADW_ACTION_ROW(row),
				  row_button(self, "user-trash-symbolic", _("Delete"),
					     _("Delete “%s”"), name, a->id,
					     G_CALLBACK(delete_clicked)));
	return row;
}

static void clear_rows(CrmAttachments *self) {
	GtkListBoxRow *row;

	while ((row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->list), 0)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(self->list), GTK_WIDGET(row));
	self->count = 0;
}

static void list_loaded(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmAttachments) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_ATTACH_LIST, &error);
	const Crm__AttachListReply *l;

	if (f == NULL) {
		show_problem(self, NULL, error);
		return;
	}
	l = f->response->attach_list;
	clear_rows(self);
	for (size_t i = 0; i < l->n_attachments; i++)
		gtk_list_box_append(GTK_LIST_BOX(self->list), attachment_row(self, l->attachments[i]));
	self->count = (guint)l->n_attachments;
	crm_client_reply_free(f);
}

void crm_attachments_reload(CrmAttachments *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachList al = CRM__ATTACH_LIST__INIT;

	al.has_type = al.has_id = TRUE;
	al.type = crm_meta_type_value(self->type);
	al.id = self->id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_LIST;
	req.attach_list = &al;
	crm_conn_call(self->conn, &req, self->cancel, list_loaded, g_object_ref(self));
}

guint crm_attachments_get_count(CrmAttachments *self) { return self->count; }

/* ---------------------------------------------------------------- uploads */

typedef struct {
	CrmAttachments *self;
	GFile *file;
	GInputStream *in;
	char *name, *content_type, *sha256;
	gint64 size, attachment_id;
	guint32 chunk_size, chunks, next;
	GBytes *chunk; /* read, to send */
	char *chunk_sha256;
} Upload;

static void upload_free(Upload *u) {
	if (u->in != NULL)
		g_input_stream_close(u->in, NULL, NULL); /* a local file: no wait */
	g_clear_object(&u->in);
	g_clear_object(&u->file);
	g_clear_pointer(&u->chunk, g_bytes_unref);
	g_free(u->chunk_sha256);
	g_free(u->name);
	g_free(u->content_type);
	g_free(u->sha256);
	g_object_unref(u->self);
	g_free(u);
}

static void upload_next(CrmAttachments *self);

static void aborted(GObject *src, GAsyncResult *res, gpointer data) {
	/* best effort: an abandoned upload expires anyway */
	crm_client_reply_free(crm_conn_call_finish(CRM_CONN(src), res, NULL));
}

/* The upload ends (error NULL: committed); the next one starts. */
static void upload_done(Upload *u, const GError *error) {
	CrmAttachments *self = u->self;
	const char *name = u->name ? u->name : "?";

	if (error != NULL && u->attachment_id != 0) {
		Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
		Crm__AttachAbort ab = CRM__ATTACH_ABORT__INIT;

		ab.has_attachment_id = TRUE;
		ab.attachment_id = u->attachment_id;
		req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_ABORT;
		req.attach_abort = &ab;
		crm_conn_call(self->conn, &req, NULL, aborted, NULL);
	}
	if (error != NULL) {
		show_problem(self, name, error);
		crm_test_hooks_report("upload", "error %s: %s", name, error->message);
	} else {
		adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group), NULL);
		crm_test_hooks_report("upload", "ok %s", name);
		crm_attachments_reload(self);
		g_signal_emit(self, signals[SIG_CHANGED], 0);
	}
	self->uploading = FALSE;
	gtk_widget_set_visible(self->progress, FALSE);
	g_object_ref(self);
	upload_free(u);
	upload_next(self);
	g_object_unref(self);
}

static void show_progress(Upload *u, gint64 done) {
	g_autofree char *d = g_format_size((guint64)done), *t = g_format_size((guint64)u->size);
	/* TRANSLATORS: an upload's progress: file name, bytes sent, bytes in all */
	g_autofree char *text = g_strdup_printf(_("Attaching %s: %s of %s"), u->name, d, t);

	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(u->self->progress), text);
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(u->self->progress),
				      u->size > 0 ? (double)done / (double)u->size : 1.0);
}

/* Thread: the file's name, type, size and SHA-256. */
static void prepare_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel) {
	Upload *u = data;
	GError *error = NULL;
	g_autoptr(GFileInfo) info = g_file_query_info(
		u->file, G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME "," G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE
		"," G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE, cancel, &error);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buf = g_malloc(IO_BLOCK);
	const char *ct;
	gssize n;

	if (info == NULL)
		return g_task_return_error(task, error);
	u->name = g_strdup(g_file_info_get_display_name(info));
	if (g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR)
		return g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s",
					       _("not a regular file"));
	ct = g_file_info_get_content_type(info);
	u->content_type = ct != NULL ? g_content_type_get_mime_type(ct) : NULL;
	if (u->content_type == NULL)
		u->content_type = g_strdup("application/octet-stream");
	if ((u->in = G_INPUT_STREAM(g_file_read(u->file, cancel, &error))) == NULL)
		return g_task_return_error(task, error);
	while ((n = g_input_stream_read(u->in, buf, IO_BLOCK, cancel, &error)) > 0) {
		g_checksum_update(sum, buf, (gsize)n);
		u->size += n;
	}
	if (n < 0)
		return g_task_return_error(task, error);
	u->sha256 = g_strdup(g_checksum_get_string(sum));
	g_task_return_boolean(task, TRUE);
}

/* Thread: chunk u->next, and its SHA-256. */
static void chunk_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel) {
	Upload *u = data;
	GError *error = NULL;
	gint64 off = (gint64)u->next * u->chunk_size;
	gsize len = (gsize)MIN((gint64)u->chunk_size, u->size - off), got = 0;
	guint8 *buf = g_malloc(len ? len : 1);

	if (!g_seekable_seek(G_SEEKABLE(u->in), off, G_SEEK_SET, cancel, &error) ||
	    !g_input_stream_read_all(u->in, buf, len, &got, cancel, &error)) {
		g_free(buf);
		return g_task_return_error(task, error);
	}
	if (got != len) {
		g_free(buf);
		return g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
					       _("the file changed while it was being sent"));
	}
	g_clear_pointer(&u->chunk, g_bytes_unref);
	g_free(u->chunk_sha256);
	u->chunk_sha256 = sha256_hex(buf, len);
	u->chunk = g_bytes_new_take(buf, len);
	g_task_return_boolean(task, TRUE);
}

static void run_thread(CrmAttachments *self, gpointer data, GTaskThreadFunc fn,
		       GAsyncReadyCallback cb) {
	GTask *task = g_task_new(self, self->cancel, cb, data);

	g_task_set_task_data(task, data, NULL);
	g_task_run_in_thread(task, fn);
	g_object_unref(task);
}

static void send_chunk(Upload *u);

static void committed(GObject *src, GAsyncResult *res, gpointer data) {
	Upload *u = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(u->self->conn, res, CRM__RESPONSE__BODY_ATTACHMENT, &error);

	crm_client_reply_free(f);
	upload_done(u, f != NULL ? NULL : error);
}

static void chunk_sent(GObject *src, GAsyncResult *res, gpointer data) {
	Upload *u = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(u->self->conn, res, CRM__RESPONSE__BODY_ATTACH_CHUNK, &error);

	if (f == NULL)
		return upload_done(u, error);
	crm_client_reply_free(f);
	u->next++;
	show_progress(u, u->next == u->chunks ? u->size : (gint64)u->next * u->chunk_size);
	send_chunk(u);
}

static void chunk_read(GObject *src, GAsyncResult *res, gpointer data) {
	Upload *u = data;
	g_autoptr(GError) error = NULL;
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachChunk ch = CRM__ATTACH_CHUNK__INIT;
	gsize len = 0;

	if (!g_task_propagate_boolean(G_TASK(res), &error))
		return upload_done(u, error);
	ch.has_attachment_id = ch.has_index = ch.has_data = ch.has_sha256 = TRUE;
	ch.attachment_id = u->attachment_id;
	ch.index = u->next;
	ch.data.data = (uint8_t *)g_bytes_get_data(u->chunk, &len);
	ch.data.len = len;
	ch.sha256.data = (uint8_t *)u->chunk_sha256;
	ch.sha256.len = strlen(u->chunk_sha256);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_CHUNK;
	req.attach_chunk = &ch;
	crm_conn_call(u->self->conn, &req, u->self->cancel, chunk_sent, u);
}

/* The next chunk, or the commit after the last. */
static void send_chunk(Upload *u) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachCommit co = CRM__ATTACH_COMMIT__INIT;

	if (u->next < u->chunks)
		return run_thread(u->self, u, chunk_thread, chunk_read);
	co.has_attachment_id = TRUE;
	co.attachment_id = u->attachment_id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_COMMIT;
	req.attach_commit = &co;
	crm_conn_call(u->self->conn, &req, u->self->cancel, committed, u);
}

static void begun(GObject *src, GAsyncResult *res, gpointer data) {
	Upload *u = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(u->self->conn, res, CRM__RESPONSE__BODY_ATTACH_BEGIN, &error);
	const Crm__AttachBeginReply *b;

	if (f == NULL)
		return upload_done(u, error);
	b = f->response->attach_begin;
	u->attachment_id = b->attachment_id;
	u->chunk_size = b->chunk_size;
	u->chunks = b->chunks;
	crm_client_reply_free(f);
	/* the plan must cover exactly this file: never a read past its end */
	if (u->chunk_size == 0 || u->chunk_size > CHUNK_MAX ||
	    (gint64)u->chunks != (u->size + u->chunk_size - 1) / u->chunk_size) {
		g_set_error(&error, CRM_CONN_ERROR, 13, "%s",
			    _("The server's upload plan does not fit the file; nothing was attached."));
		return upload_done(u, error);
	}
	show_progress(u, 0);
	send_chunk(u);
}

static void prepared(GObject *src, GAsyncResult *res, gpointer data) {
	Upload *u = data;
	g_autoptr(GError) error = NULL;
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachBegin ab = CRM__ATTACH_BEGIN__INIT;

	if (!g_task_propagate_boolean(G_TASK(res), &error))
		return upload_done(u, error);
	ab.has_type = ab.has_id = ab.has_size = ab.has_name = ab.has_content_type = ab.has_sha256 = TRUE;
	ab.type = crm_meta_type_value(u->self->type);
	ab.id = u->self->id;
	ab.size = u->size;
	ab.name.data = (uint8_t *)u->name;
	ab.name.len = strlen(u->name);
	ab.content_type.data = (uint8_t *)u->content_type;
	ab.content_type.len = strlen(u->content_type);
	ab.sha256.data = (uint8_t *)u->sha256;
	ab.sha256.len = strlen(u->sha256);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_BEGIN;
	req.attach_begin = &ab;
	show_progress(u, 0);
	crm_conn_call(u->self->conn, &req, u->self->cancel, begun, u);
}

static void upload_next(CrmAttachments *self) {
	GFile *file;
	Upload *u;

	if (self->uploading || (file = g_queue_pop_head(&self->pending)) == NULL)
		return;
	self->uploading = TRUE;
	u = g_new0(Upload, 1);
	u->self = g_object_ref(self);
	u->file = file;
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress), 0);
	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(self->progress), _("Reading the file…"));
	gtk_widget_set_visible(self->progress, TRUE);
	run_thread(self, u, prepare_thread, prepared);
}

void crm_attachments_upload(CrmAttachments *self, GSList *files) {
	for (GSList *l = files; l != NULL; l = l->next)
		g_queue_push_tail(&self->pending, g_object_ref(l->data));
	upload_next(self);
}

static gboolean dropped(GtkDropTarget *target, const GValue *value, double x, double y,
			CrmAttachments *self) {
	GSList *files;

	if (!G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST))
		return FALSE;
	files = gdk_file_list_get_files(g_value_get_boxed(value));
	crm_attachments_upload(self, files);
	g_slist_free(files);
	return TRUE;
}

void crm_attachments_add_drop_target(CrmAttachments *self, GtkWidget *target) {
	GtkDropTarget *t = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

	g_signal_connect_object(t, "drop", G_CALLBACK(dropped), self, 0);
	gtk_widget_add_controller(target, GTK_EVENT_CONTROLLER(t));
}

/* ---------------------------------------------------------------- downloads */

typedef struct {
	CrmAttachments *self;
	gint64 id;
	gboolean open; /* with the default application afterwards */
	char *path, *tmp, *sha256, *name;
	int fd;
	GChecksum *sum;
	gint64 size;
	guint32 chunks, next;
	Crm__ServerFrame *reply; /* the chunk being written */
	CrmAttachmentsDone done;
	gpointer data;
} Download;

static void download_free(Download *d) {
	crm_client_reply_free(d->reply);
	if (d->fd >= 0)
		close(d->fd);
	if (d->tmp != NULL)
		g_unlink(d->tmp); /* never given its name: a failed download leaves nothing */
	g_checksum_free(d->sum);
	g_free(d->path);
	g_free(d->tmp);
	g_free(d->sha256);
	g_free(d->name);
	g_object_unref(d->self);
	g_free(d);
}

static void download_done(Download *d, const GError *error) {
	if (error != NULL)
		show_problem(d->self, d->name, error);
	if (d->done != NULL)
		d->done(error ? NULL : d->path, error, d->data);
	download_free(d);
}

/* Thread: a temporary file beside d->path (its folder made if need be). */
static void open_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel) {
	Download *d = data;
	g_autofree char *dir = g_path_get_dirname(d->path);
	int e;

	if (d->open && g_mkdir_with_parents(dir, 0700) != 0) {
		e = errno;
		return g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s",
					       dir, g_strerror(e));
	}
	d->tmp = g_strdup_printf("%s.XXXXXX", d->path);
	d->fd = g_mkstemp_full(d->tmp, O_RDWR | O_CLOEXEC, 0600);
	if (d->fd < 0) {
		e = errno;
		g_clear_pointer(&d->tmp, g_free);
		return g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s",
					       d->path, g_strerror(e));
	}
	g_task_return_boolean(task, TRUE);
}

/* Thread: the chunk in d->reply, appended. */
static void write_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel) {
	Download *d = data;
	const Crm__AttachReadReply *r = d->reply->response->attach_read;
	gsize done = 0;

	while (done < r->data.len) {
		ssize_t n = write(d->fd, r->data.data + done, r->data.len - done);
		int e = errno;

		if (n < 0 && e == EINTR)
			continue;
		if (n <= 0)
			return g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e),
						       "%s: %s", d->path, g_strerror(e));
		done += (gsize)n;
	}
	g_task_return_boolean(task, TRUE);
}

/* Thread: the whole file on disk, then its name. */
static void finish_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel) {
	Download *d = data;
	int e;

	if (fsync(d->fd) != 0 || close(d->fd) != 0) {
		e = errno;
		d->fd = -1;
		return g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s",
					       d->path, g_strerror(e));
	}
	d->fd = -1;
	if (g_rename(d->tmp, d->path) != 0) {
		e = errno;
		return g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s",
					       d->path, g_strerror(e));
	}
	g_clear_pointer(&d->tmp, g_free);
	g_task_return_boolean(task, TRUE);
}

static void read_chunk(Download *d);

static void launched(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmAttachments) self = data;
	g_autoptr(GError) error = NULL;

	if (!g_app_info_launch_default_for_uri_finish(res, &error))
		show_problem(self, NULL, error);
}

static void finished(GObject *src, GAsyncResult *res, gpointer data) {
	Download *d = data;
	g_autoptr(GError) error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error))
		return download_done(d, error);
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(d->self->group), NULL);
	if (d->open) {
		g_autofree char *uri = g_filename_to_uri(d->path, NULL, NULL);

		crm_test_hooks_report("open-attachment", "ok %s", d->path);
		/* (under test no application is started on the test's screen) */
		if (uri != NULL && !crm_test_hooks_enabled())
			g_app_info_launch_default_for_uri_async(uri, NULL, NULL, launched,
								g_object_ref(d->self));
	}
	download_done(d, NULL);
}

/* The whole file came: its SHA-256 must be the server's. */
static void check_and_finish(Download *d) {
	const char *got = g_checksum_get_string(d->sum);
	g_autoptr(GError) error = NULL;

	if (d->sha256 == NULL || g_ascii_strcasecmp(got, d->sha256) != 0) {
		g_set_error(&error, CRM_CONN_ERROR, 13,
			    _("The file received does not match its SHA-256 (%s, the server says "
			      "%s); nothing was written."),
			    got, d->sha256 ? d->sha256 : "");
		return download_done(d, error);
	}
	run_thread(d->self, d, finish_thread, finished);
}

static void written(GObject *src, GAsyncResult *res, gpointer data) {
	Download *d = data;
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&d->reply, crm_client_reply_free);
	if (!g_task_propagate_boolean(G_TASK(res), &error))
		return download_done(d, error);
	d->next++;
	if (d->next < d->chunks)
		return read_chunk(d);
	check_and_finish(d);
}

static void tmp_opened(GObject *src, GAsyncResult *res, gpointer data) {
	Download *d = data;
	g_autoptr(GError) error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error))
		return download_done(d, error);
	run_thread(d->self, d, write_thread, written);
}

/* The first reply tells what the file is: where it goes, what to check. */
static gboolean first_chunk(Download *d, const Crm__AttachReadReply *r, GError **error) {
	const Crm__Attachment *a = r->attachment;

	if (a == NULL || a->sha256 == NULL || a->size < 0 ||
	    (a->chunks > 0 && (a->chunk_size == 0 || a->chunk_size > CHUNK_MAX))) {
		g_set_error(error, CRM_CONN_ERROR, 13, "%s",
			    _("The server's reply lacks the attachment."));
		return FALSE;
	}
	d->chunks = a->chunks;
	d->size = a->size;
	d->sha256 = g_strdup(a->sha256);
	d->name = crm_attachments_sanitize_name(a->name, a->id);
	if (d->path == NULL) {
		g_autofree char *dir = g_strdup_printf("%" G_GINT64_FORMAT, a->id);

		d->path = g_build_filename(g_get_user_cache_dir(), "crm-desktop", "attachments", dir,
					   d->name, NULL);
	}
	return TRUE;
}

static void chunk_came(GObject *src, GAsyncResult *res, gpointer data) {
	Download *d = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(d->self->conn, res, CRM__RESPONSE__BODY_ATTACH_READ, &error);
	const Crm__AttachReadReply *r;

	if (f == NULL)
		return download_done(d, error);
	d->reply = f;
	r = f->response->attach_read;
	if (d->next == 0 && !first_chunk(d, r, &error))
		return download_done(d, error);
	if (r->index != d->next) {
		g_set_error(&error, CRM_CONN_ERROR, 13, "%s",
			    _("The server sent another part of the file than asked."));
		return download_done(d, error);
	}
	g_checksum_update(d->sum, r->data.data, r->data.len);
	if (d->next == 0)
		return run_thread(d->self, d, open_thread, tmp_opened);
	run_thread(d->self, d, write_thread, written);
}

static void read_chunk(Download *d) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachRead ar = CRM__ATTACH_READ__INIT;

	ar.has_attachment_id = ar.has_index = TRUE;
	ar.attachment_id = d->id;
	ar.index = d->next;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_READ;
	req.attach_read = &ar;
	crm_conn_call(d->self->conn, &req, d->self->cancel, chunk_came, d);
}

/* path NULL: into the cache, then opened. */
static void download(CrmAttachments *self, gint64 id, const char *path, CrmAttachmentsDone done,
		     gpointer data) {
	Download *d = g_new0(Download, 1);

	d->self = g_object_ref(self);
	d->id = id;
	d->open = path == NULL;
	d->path = g_strdup(path);
	d->fd = -1;
	d->sum = g_checksum_new(G_CHECKSUM_SHA256);
	d->done = done;
	d->data = data;
	read_chunk(d);
}

void crm_attachments_save_to(CrmAttachments *self, gint64 id, const char *path,
			     CrmAttachmentsDone done, gpointer data) {
	download(self, id, path, done, data);
}

static void open_clicked(GtkButton *b, CrmAttachments *self) {
	download(self, *(gint64 *)g_object_get_data(G_OBJECT(b), "crm-id"), NULL, NULL, NULL);
}

static void save_response(GtkNativeDialog *dialog, int response, CrmAttachments *self) {
	gint64 id = *(gint64 *)g_object_get_data(G_OBJECT(dialog), "crm-id");
	g_autoptr(GFile) file = NULL;
	g_autofree char *path = NULL;

	if (response == GTK_RESPONSE_ACCEPT)
		file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
	if (file != NULL && (path = g_file_get_path(file)) != NULL)
		download(self, id, path, NULL, NULL);
	gtk_native_dialog_destroy(dialog);
	g_object_unref(dialog);
}

static void save_clicked(GtkButton *b, CrmAttachments *self) {
	GtkFileChooserNative *fc = gtk_file_chooser_native_new(
		_("Save Attachment"), window_of(self), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
		_("_Cancel"));
	gint64 *idp = g_new(gint64, 1);

	*idp = *(gint64 *)g_object_get_data(G_OBJECT(b), "crm-id");
	g_object_set_data_full(G_OBJECT(fc), "crm-id", idp, g_free);
	/* the name shown is sanitised already (attachment_row) */
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(fc),
					  g_object_get_data(G_OBJECT(b), "crm-name"));
	gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(fc), TRUE);
	g_signal_connect_object(fc, "response", G_CALLBACK(save_response), self, 0);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(fc));
}

/* ---------------------------------------------------------------- attach, delete */

static void attach_response(GtkNativeDialog *dialog, int response, CrmAttachments *self) {
	GSList *files = NULL;

	if (response == GTK_RESPONSE_ACCEPT) {
		g_autoptr(GListModel) chosen = gtk_file_chooser_get_files(GTK_FILE_CHOOSER(dialog));

		for (guint i = g_list_model_get_n_items(chosen); i > 0; i--)
			files = g_slist_prepend(files, g_list_model_get_item(chosen, i - 1));
	}
	crm_attachments_upload(self, files);
	g_slist_free_full(files, g_object_unref);
	gtk_native_dialog_destroy(dialog);
	g_object_unref(dialog);
}

static void attach_clicked(GtkButton *b, CrmAttachments *self) {
	GtkFileChooserNative *fc = gtk_file_chooser_native_new(
		_("Attach Files"), window_of(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"),
		_("_Cancel"));

	gtk_file_chooser_set_select_multiple(GTK_FILE_CHOOSER(fc), TRUE);
	gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(fc), TRUE);
	g_signal_connect_object(fc, "response", G_CALLBACK(attach_response), self, 0);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(fc));
}

static void deleted(GObject *src, GAsyncResult *res, gpointer data) {
	g_autoptr(CrmAttachments) self = data;
	g_autoptr(GError) error = NULL;
	Crm__ServerFrame *f =
		crm_conn_call_finish_body(self->conn, res, CRM__RESPONSE__BODY_EMPTY, &error);

	if (f == NULL)
		return show_problem(self, NULL, error);
	crm_client_reply_free(f);
	adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->group), NULL);
	crm_attachments_reload(self);
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

static void delete_response(AdwMessageDialog *dialog, const char *response, CrmAttachments *self) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachDelete ad = CRM__ATTACH_DELETE__INIT;

	if (g_strcmp0(response, "delete") != 0)
		return;
	ad.has_attachment_id = TRUE;
	ad.attachment_id = *(gint64 *)g_object_get_data(G_OBJECT(dialog), "crm-id");
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_DELETE;
	req.attach_delete = &ad;
	crm_conn_call(self->conn, &req, self->cancel, deleted, g_object_ref(self));
}

static void delete_clicked(GtkButton *b, CrmAttachments *self) {
	/* TRANSLATORS: the heading of the dialog that asks; %s is the file's name */
	g_autofree char *heading =
		g_strdup_printf(_("Delete “%s”?"), (char *)g_object_get_data(G_OBJECT(b), "crm-name"));
	GtkWidget *d = adw_message_dialog_new(window_of(self), heading,
					      _("The file is removed from this record for "
						"everyone who can see it."));
	gint64 *idp = g_new(gint64, 1);

	*idp = *(gint64 *)g_object_get_data(G_OBJECT(b), "crm-id");
	g_object_set_data_full(G_OBJECT(d), "crm-id", idp, g_free);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", _("_Cancel"), "delete",
					 _("_Delete"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "delete",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "cancel");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
	g_signal_connect_object(d, "response", G_CALLBACK(delete_response), self, 0);
	gtk_window_present(GTK_WINDOW(d));
}

/* ---------------------------------------------------------------- building */

static void build(CrmAttachments *self) {
	GtkWidget *attach = gtk_button_new_with_mnemonic(_("_Attach File…"));
	GtkWidget *empty = gtk_label_new(_("No attachments. Drop files here to attach them."));

	self->group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self->group), _("Attachments"));
	gtk_widget_set_valign(attach, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(attach, _("Attach files to this record (or drop them on the page)"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(attach), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Attach File…"), -1);
	g_signal_connect(attach, "clicked", G_CALLBACK(attach_clicked), self);
	adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self->group), attach);

	self->progress = gtk_progress_bar_new();
	gtk_progress_bar_set_show_text(GTK_PROGRESS_BAR(self->progress), TRUE);
	gtk_progress_bar_set_ellipsize(GTK_PROGRESS_BAR(self->progress), PANGO_ELLIPSIZE_MIDDLE);
	gtk_widget_set_margin_bottom(self->progress, 12);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->progress),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Upload progress"), -1);
	gtk_widget_set_visible(self->progress, FALSE);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->group), self->progress);

	self->list = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(self->list), GTK_SELECTION_NONE);
	gtk_widget_add_css_class(self->list, "boxed-list");
	gtk_widget_add_css_class(empty, "dim-label");
	gtk_label_set_wrap(GTK_LABEL(empty), TRUE);
	gtk_widget_set_margin_top(empty, 12);
	gtk_widget_set_margin_bottom(empty, 12);
	gtk_list_box_set_placeholder(GTK_LIST_BOX(self->list), empty);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Attachments"), -1);
	adw_preferences_group_add(ADW_PREFERENCES_GROUP(self->group), self->list);
	gtk_widget_set_parent(self->group, GTK_WIDGET(self));
}

static void crm_attachments_dispose(GObject *object) {
	CrmAttachments *self = CRM_ATTACHMENTS(object);

	g_cancellable_cancel(self->cancel);
	g_queue_clear_full(&self->pending, g_object_unref);
	g_clear_pointer(&self->group, gtk_widget_unparent);
	g_clear_object(&self->cancel);
	g_clear_object(&self->conn);
	G_OBJECT_CLASS(crm_attachments_parent_class)->dispose(object);
}

static void crm_attachments_finalize(GObject *object) {
	g_free(CRM_ATTACHMENTS(object)->type);
	G_OBJECT_CLASS(crm_attachments_parent_class)->finalize(object);
}

static void crm_attachments_class_init(CrmAttachmentsClass *klass) {
	G_OBJECT_CLASS(klass)->dispose = crm_attachments_dispose;
	G_OBJECT_CLASS(klass)->finalize = crm_attachments_finalize;
	gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
	signals[SIG_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void crm_attachments_init(CrmAttachments *self) {
	self->cancel = g_cancellable_new();
	g_queue_init(&self->pending);
}

GtkWidget *crm_attachments_new(CrmConn *conn, const char *type, gint64 id) {
	CrmAttachments *self = g_object_new(CRM_TYPE_ATTACHMENTS, NULL);

	self->conn = g_object_ref(conn);
	self->type = g_strdup(type);
	self->id = id;
	build(self);
	crm_attachments_reload(self);
	crm_test_hooks_watch_attachments(GTK_WIDGET(self));
	return GTK_WIDGET(self);
}
