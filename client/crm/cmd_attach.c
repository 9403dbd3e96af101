/*
 * cmd_attach: `crm attach put|list|get|delete`, files on any record
 * (AttachBegin, AttachChunk, AttachCommit, AttachAbort, AttachList,
 * AttachRead, AttachDelete; docs/data.md, "Attachments").
 *
 * put hashes the file (SHA-256), begins the upload, sends it in the
 * chunks the server asked for, each with its own SHA-256, one at a time
 * and in order, and commits; on a failure it aborts the staged upload.
 * get reads the chunks in order into a temporary file beside the output,
 * checks the whole file's SHA-256 and only then gives it its name, so a
 * failed or interrupted download leaves nothing behind (O_TMPFILE, or a
 * named temporary file removed on SIGINT/SIGTERM), and a server that
 * sends more than the size it declared is refused before the hash is
 * checked. A name from the server becomes a path only with --output
 * DIR/, and only after crm_file_name_safe (client/filename.c). Both show
 * their progress on standard error when it is a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cmd_record.h"
#include "filename.h"

#define HASH_BLOCK (1024 * 1024)
#define CHUNK_MAX (16 * 1024 * 1024) /* crmd plans 256 KiB at most: far above is a broken plan */
#define NAME_MAX_BYTES 200 /* a sanitised name; the server allows 255 characters */

/* ---------------------------------------------------------------- helpers */

static void hex(const unsigned char *d, size_t n, char *out) {
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t len, char out[65]) {
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	hex(md, 32, out);
}

/* Progress on standard error, when it is a terminal: "put 12.0 of 25.0 MiB". */
struct progress {
	bool on;
	const char *what;
	int64_t total;
};

static void progress_show(struct progress *p, int64_t done) {
	if (!p->on)
		return;
	fprintf(stderr, "\r%s %.1f / %.1f MiB (%d%%)", p->what, (double)done / 1048576.0,
		(double)p->total / 1048576.0, p->total ? (int)(done * 100 / p->total) : 100);
	fflush(stderr);
}

static void progress_end(struct progress *p) {
	if (p->on)
		fputc('\n', stderr);
}

/* The content type of a file name by its extension; the server checks
 * the syntax of whatever is sent. */
static const char *guess_type(const char *name) {
	static const char *const types[][2] = {
		{"pdf", "application/pdf"},   {"txt", "text/plain"},	      {"csv", "text/csv"},
		{"md", "text/markdown"},      {"html", "text/html"},	      {"htm", "text/html"},
		{"xml", "application/xml"},   {"json", "application/json"},   {"ics", "text/calendar"},
		{"vcf", "text/vcard"},	      {"eml", "message/rfc822"},      {"png", "image/png"},
		{"jpg", "image/jpeg"},	      {"jpeg", "image/jpeg"},	      {"gif", "image/gif"},
		{"webp", "image/webp"},	      {"svg", "image/svg+xml"},	      {"tif", "image/tiff"},
		{"tiff", "image/tiff"},	      {"zip", "application/zip"},     {"gz", "application/gzip"},
		{"tar", "application/x-tar"}, {"7z", "application/x-7z-compressed"},
		{"mp3", "audio/mpeg"},	      {"wav", "audio/wav"},	      {"mp4", "video/mp4"},
		{"doc", "application/msword"},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xls", "application/vnd.ms-excel"},
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"ppt", "application/vnd.ms-powerpoint"},
		{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"odt", "application/vnd.oasis.opendocument.text"},
		{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
	};
	const char *dot = strrchr(name, '.');

	if (dot != NULL && dot != name)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

/* ---------------------------------------------------------------- put */

struct put_opts {
	const char *name, *content_type;
};

/* The whole file's SHA-256, read from fd's start. */
static bool hash_file(int fd, char out[65]) {
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(HASH_BLOCK), md[32];
	unsigned int n = 0;
	off_t at = 0;
	ssize_t got;
	bool ok = ctx && buf && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	while (ok && (got = pread(fd, buf, HASH_BLOCK, at)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		ok = got > 0 && EVP_DigestUpdate(ctx, buf, (size_t)got);
		at += got > 0 ? got : 0;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &n);
	if (ok)
		hex(md, 32, out);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return ok;
}

/* Reads exactly len bytes at off, or fails (the file shrank). */
static bool read_at(int fd, void *buf, size_t len, off_t off) {
	size_t done = 0;

	while (done < len) {
		ssize_t got = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		done += (size_t)got;
	}
	return true;
}

static void abort_upload(struct crm_cli *cli, int64_t id) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachAbort ab = CRM__ATTACH_ABORT__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;

	crm_err_clear(&err);
	ab.has_attachment_id = true;
	ab.attachment_id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_ABORT;
	req.attach_abort = &ab;
	if (!crm_cli_call(cli, &req, &reply, &err)) {
		/* best effort: it expires anyway */
	}
	crm_client_reply_free(reply);
}

/* Sends chunk i of the upload b from fd; false with *rc set. */
static bool send_chunk(struct crm_cli *cli, int fd, const Crm__AttachBeginReply *b, int64_t size,
		       uint32_t i, unsigned char *buf, int *rc) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachChunk ch = CRM__ATTACH_CHUNK__INIT;
	Crm__ServerFrame *reply = NULL;
	off_t off = (off_t)i * b->chunk_size;
	size_t len = size - off < (int64_t)b->chunk_size ? (size_t)(size - off) : b->chunk_size;
	char digest[65];
	bool ok;

	if (!read_at(fd, buf, len, off)) {
		fprintf(stderr, _("crm: error: the file changed while it was being sent\n"));
		*rc = 1;
		return false;
	}
	sha256_hex(buf, len, digest);
	ch.has_attachment_id = ch.has_index = ch.has_data = true;
	ch.attachment_id = b->attachment_id;
	ch.index = i;
	ch.data.data = buf;
	ch.data.len = len;
	crm_cli_bytes(&ch.sha256, &ch.has_sha256, digest);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_CHUNK;
	req.attach_chunk = &ch;
	ok = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ATTACH_CHUNK, &reply, rc) != NULL;
	crm_client_reply_free(reply);
	return ok;
}

/* Begins the upload of fd (size bytes, SHA-256 digest) to t. */
static const Crm__AttachBeginReply *put_begin(struct crm_cli *cli, const struct crm_cli_target *t,
					      const struct put_opts *o, int64_t size,
					      const char *digest, Crm__ServerFrame **reply, int *rc) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachBegin ab = CRM__ATTACH_BEGIN__INIT;

	ab.has_type = ab.has_id = ab.has_size = true;
	ab.type = t->type;
	ab.id = t->id;
	ab.size = size;
	crm_cli_bytes(&ab.name, &ab.has_name, o->name);
	crm_cli_bytes(&ab.content_type, &ab.has_content_type, o->content_type);
	crm_cli_bytes(&ab.sha256, &ab.has_sha256, digest);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_BEGIN;
	req.attach_begin = &ab;
	return crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ATTACH_BEGIN, reply, rc);
}

/* Sends every chunk, then commits and prints the attachment. */
static int put_chunks(struct crm_cli *cli, int fd, int64_t size, const Crm__AttachBeginReply *b) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachCommit co = CRM__ATTACH_COMMIT__INIT;
	Crm__ServerFrame *reply = NULL;
	struct progress p = {isatty(STDERR_FILENO) == 1, _("sent"), size};
	unsigned char *buf = malloc(b->chunk_size ? b->chunk_size : 1);
	const Crm__Attachment *a;
	int rc = 0;

	/* The server's plan must cover exactly this file: never a length past
	 * the file's end or past the buffer. */
	if (b->chunk_size == 0 || b->chunk_size > CHUNK_MAX ||
	    (int64_t)b->chunks != (size + b->chunk_size - 1) / b->chunk_size) {
		free(buf);
		fprintf(stderr, _("crm: error: the server's upload plan (%u chunks of %u bytes) does "
				  "not fit a file of %lld bytes; nothing was attached\n"),
			(unsigned)b->chunks, (unsigned)b->chunk_size, (long long)size);
		return 1;
	}
	if (buf == NULL)
		return fprintf(stderr, _("crm: error: out of memory\n")), 1;
	for (uint32_t i = 0; i < b->chunks; i++) {
		if (!send_chunk(cli, fd, b, size, i, buf, &rc))
			break;
		progress_show(&p, i + 1 == b->chunks ? size : (int64_t)(i + 1) * b->chunk_size);
	}
	progress_end(&p);
	free(buf);
	if (rc != 0)
		return abort_upload(cli, b->attachment_id), rc;
	co.has_attachment_id = true;
	co.attachment_id = b->attachment_id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_COMMIT;
	req.attach_commit = &co;
	a = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ATTACHMENT, &reply, &rc);
	if (a != NULL)
		rc = crm_rec_print(cli, &a->base);
	else
		abort_upload(cli, b->attachment_id);
	crm_client_reply_free(reply);
	return rc;
}

static int put_file(struct crm_cli *cli, const struct crm_cli_target *t, const char *path,
		    struct put_opts *o) {
	Crm__ServerFrame *reply = NULL;
	const Crm__AttachBeginReply *b;
	char digest[65];
	struct stat st;
	const char *base = strrchr(path, '/');
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, _("crm: error: %s: %s\n"), path,
			fd < 0 ? strerror(errno) : _("not a regular file"));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (o->name == NULL)
		o->name = base ? base + 1 : path;
	if (o->content_type == NULL)
		o->content_type = guess_type(o->name);
	if (!hash_file(fd, digest)) {
		fprintf(stderr, _("crm: error: %s: %s\n"), path, strerror(errno ? errno : EIO));
		close(fd);
		return 1;
	}
	b = put_begin(cli, t, o, (int64_t)st.st_size, digest, &reply, &rc);
	if (b != NULL)
		rc = put_chunks(cli, fd, (int64_t)st.st_size, b);
	crm_client_reply_free(reply);
	close(fd);
	return rc;
}

int crm_cmd_attach_put(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"name", required_argument, NULL, 'n'},
						 {"content-type", required_argument, NULL, 't'},
						 {NULL, 0, NULL, 0}};
	struct put_opts o = {NULL, NULL};
	struct crm_cli_target t = {0};
	char *arg;
	int c, first;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1) {
		if (c == 'n')
			o.name = arg;
		else if (c == 't')
			o.content_type = arg;
		else
			return CRM_EXIT_USAGE;
	}
	first = crm_cli_optind();
	if (argc - first != 2)
		return crm_cli_usage(cli, _("give the record as TYPE/ID and the FILE to attach"));
	if (!crm_cli_record_target(cli, argv[first], &t))
		return CRM_EXIT_USAGE;
	return put_file(cli, &t, argv[first + 1], &o);
}

/* ---------------------------------------------------------------- list, delete */

static size_t add_attachments(void *ctx, const void *body) {
	const Crm__AttachListReply *l = body;

	for (size_t i = 0; i < l->n_attachments; i++)
		crm_rec_add_message(ctx, &l->attachments[i]->base);
	return l->n_attachments;
}

static const ProtobufCBinaryData *attachments_cursor(const void *body) {
	const Crm__AttachListReply *l = body;

	return l->has_next_cursor ? &l->next_cursor : NULL;
}

/* One page (--limit, default 50; --cursor from the "next page:" line). */
int crm_cmd_attach_list(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {CRM_CLI_PAGE_OPTIONS, {NULL, 0, NULL, 0}};
	static const char *const hidden[] = {"type", "record_id", "sha256", "chunk_size", "chunks"};
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachList al = CRM__ATTACH_LIST__INIT;
	Crm__ListPage page = CRM__LIST_PAGE__INIT;
	struct crm_cli_target t = {0};
	struct crm_rec_pager p = {0};
	crm_result *r;
	char *arg, *op;
	bool ok;
	int c, rc;

	while ((c = crm_cli_getopt(cli, argc, argv, "", longopts, &arg)) != -1)
		if (c == '?' || crm_cli_page_option(cli, c, arg, &page) != 1)
			return CRM_EXIT_USAGE;
	if (argc - crm_cli_optind() > 1)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind() + 1]);
	if (argc - crm_cli_optind() < 1)
		return crm_cli_usage(cli, _("give %s"), _("one record as TYPE/ID"));
	/* parsed from a copy: the operand stays whole for the next-page line */
	op = strdup(argv[crm_cli_optind()]);
	if (op == NULL)
		return fprintf(stderr, _("crm: error: out of memory\n")), 1;
	ok = crm_cli_record_target(cli, op, &t);
	free(op);
	if (!ok)
		return CRM_EXIT_USAGE;
	al.has_type = al.has_id = true;
	al.type = t.type;
	al.id = t.id;
	al.page = &page;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_LIST;
	req.attach_list = &al;
	r = crm_rec_result(&crm__attachment__descriptor);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		crm_result_hide(r, hidden[i]);
	p = (struct crm_rec_pager){.req = &req,
				   .page = &page,
				   .want = CRM__RESPONSE__BODY_ATTACH_LIST,
				   .what = _("attachments"),
				   .add = add_attachments,
				   .ctx = r,
				   .next_cursor = attachments_cursor};
	rc = crm_rec_page_all(cli, &p);
	if (rc == 0)
		rc = crm_cli_print(cli, r, false);
	crm_result_free(r);
	return rc;
}

int crm_cmd_attach_delete(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachDelete ad = CRM__ATTACH_DELETE__INIT;
	Crm__ServerFrame *reply = NULL;
	int64_t id;
	int rc;

	if ((rc = crm_cli_operands(cli, argc, argv, 1, _("one attachment id"))) != 0)
		return rc;
	if (!crm_cli_parse_id(cli, argv[crm_cli_optind()], _("attachment id"), &id))
		return CRM_EXIT_USAGE;
	ad.has_attachment_id = true;
	ad.attachment_id = id;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_DELETE;
	req.attach_delete = &ad;
	if (crm_cli_request(cli, &req, CRM__RESPONSE__BODY_EMPTY, &reply, &rc) != NULL)
		crm_cli_done(cli, _("deleted attachment %" PRId64), id);
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- get */

/*
 * Where get writes: stdout, or a file without a name in the directory of
 * `path` (O_TMPFILE) that gets its name once it is whole (linkat, which
 * never replaces a file: a name the server chose never overwrites one;
 * for a FILE the user named, linked beside it and renamed over it). An
 * interrupted get leaves nothing: the kernel drops a file that never got
 * a name. Where O_TMPFILE is not supported, a named temporary file
 * beside it, removed on SIGINT, SIGTERM and SIGHUP as on any failure.
 */
struct sink {
	int fd;
	bool to_stdout, no_replace, unnamed;
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	EVP_MD_CTX *md;
	int64_t written, limit; /* bytes so far; the declared size */
};

/* The named temporary file the signal handler removes ("" when none). */
static char sig_tmp[PATH_MAX + 16];
static volatile sig_atomic_t sig_armed;

static void on_signal(int sig) {
	if (sig_armed)
		unlink(sig_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void sig_arm(const char *tmp, bool on) {
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? on_signal : SIG_DFL;
	if (on) {
		snprintf(sig_tmp, sizeof(sig_tmp), "%s", tmp);
		sig_armed = 1;
	} else {
		sig_armed = 0;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Writes len bytes, refusing any past the size the server declared (a
 * server that sends more gets nothing written past it). */
static bool sink_write(struct sink *s, const void *data, size_t len) {
	size_t done = 0;

	if (len > (uint64_t)(s->limit - s->written)) {
		fprintf(stderr, _("crm: error: the server sent more than the %lld bytes it declared; "
				  "nothing was written\n"),
			(long long)s->limit);
		errno = 0;
		return false;
	}
	s->written += (int64_t)len;
	EVP_DigestUpdate(s->md, data, len);
	while (done < len) {
		ssize_t n = write(s->fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, _("crm: error: %s: %s\n"), s->to_stdout ? "-" : s->path,
				strerror(errno ? errno : EIO));
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

/* The output path for attachment a: FILE, or DIR/ and its sanitised name. */
static bool sink_path(struct crm_cli *cli, const char *output, const Crm__Attachment *a,
		      struct sink *s) {
	struct stat st;
	size_t n = strlen(output);
	char name[NAME_MAX_BYTES + 1];

	if (n > 0 && (output[n - 1] == '/' || (stat(output, &st) == 0 && S_ISDIR(st.st_mode)))) {
		crm_file_name_safe(a->name ? a->name : "", a->id, name, sizeof(name));
		s->no_replace = true;
		if (snprintf(s->path, sizeof(s->path), "%s%s%s", output,
			     output[n - 1] == '/' ? "" : "/", name) >= (int)sizeof(s->path))
			return crm_cli_usage(cli, _("--output: the path is too long")), false;
	} else if (snprintf(s->path, sizeof(s->path), "%s", output) >= (int)sizeof(s->path)) {
		return crm_cli_usage(cli, _("--output: the path is too long")), false;
	}
	return true;
}

/* An unnamed file in path's directory, or -1 (then a named one is used).
 * linkat needs /proc/self/fd to give it a name without privileges.
 * CRM_TEST_NAMED_TMP forces the named fallback (tests). */
static int open_unnamed(const char *path) {
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (getenv("CRM_TEST_NAMED_TMP") != NULL || access("/proc/self/fd", X_OK) != 0)
		return -1;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
}

static bool sink_open(struct crm_cli *cli, const char *output, const Crm__Attachment *a,
		      struct sink *s) {
	s->limit = a->size;
	if (strcmp(output, "-") == 0) {
		s->to_stdout = true;
		s->fd = STDOUT_FILENO;
		return true;
	}
	if (!sink_path(cli, output, a, s))
		return false;
	s->fd = open_unnamed(s->path);
	if (s->fd >= 0) {
		s->unnamed = true;
		return true;
	}
	snprintf(s->tmp, sizeof(s->tmp), "%s.XXXXXX", s->path);
	/* Armed before the file exists, and mkostemp makes the name in the
	 * handler's own buffer: a signal the moment the file exists removes
	 * it (a copy made after mkostemp returned left a window where the
	 * handler removed the template instead). */
	sig_arm(s->tmp, true);
	s->fd = mkostemp(sig_tmp, O_CLOEXEC);
	if (s->fd < 0) {
		sig_arm("", false);
		s->tmp[0] = '\0';
		fprintf(stderr, _("crm: error: %s: %s\n"), s->path, strerror(errno));
		return false;
	}
	snprintf(s->tmp, sizeof(s->tmp), "%s", sig_tmp);
	return true;
}

/* Names the unnamed file: at path itself when it may not replace one,
 * else beside it and renamed over it. */
static int name_unnamed(struct sink *s) {
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
	if (s->no_replace)
		return linkat(AT_FDCWD, proc, AT_FDCWD, s->path, AT_SYMLINK_FOLLOW);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(s->tmp, sizeof(s->tmp), "%s.%06u", s->path, (unsigned)(getpid() + i) % 1000000);
		sig_arm(s->tmp, true);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, s->tmp, AT_SYMLINK_FOLLOW) == 0)
			return rename(s->tmp, s->path);
		if (errno != EEXIST)
			break;
	}
	s->tmp[0] = '\0';
	return -1;
}

/* Gives the finished file its name; false (printed) when it cannot. */
static bool sink_finish(struct sink *s) {
	int r;

	if (s->to_stdout)
		return true;
	if (fsync(s->fd) != 0) {
		fprintf(stderr, _("crm: error: %s: %s\n"), s->path, strerror(errno));
		return false;
	}
	if (s->unnamed)
		r = name_unnamed(s);
	else
		r = s->no_replace ? link(s->tmp, s->path) : rename(s->tmp, s->path);
	if (r != 0) {
		fprintf(stderr, _("crm: error: %s: %s\n"), s->path, strerror(errno));
		return false;
	}
	if (s->no_replace && !s->unnamed)
		unlink(s->tmp);
	s->tmp[0] = '\0';
	sig_arm("", false);
	return true;
}

static void sink_close(struct sink *s) {
	if (!s->to_stdout && s->fd >= 0)
		close(s->fd);
	if (!s->to_stdout && s->tmp[0] != '\0')
		unlink(s->tmp);
	if (sig_armed)
		sig_arm("", false);
	EVP_MD_CTX_free(s->md);
}

/* Chunk i of attachment id; NULL with *rc set. */
static const Crm__AttachReadReply *read_chunk(struct crm_cli *cli, int64_t id, uint32_t i,
					      Crm__ServerFrame **reply, int *rc) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachRead ar = CRM__ATTACH_READ__INIT;

	ar.has_attachment_id = ar.has_index = true;
	ar.attachment_id = id;
	ar.index = i;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_READ;
	req.attach_read = &ar;
	return crm_cli_request(cli, &req, CRM__RESPONSE__BODY_ATTACH_READ, reply, rc);
}

/* Writes chunks 1.. of a (chunk 0 is written) and checks the whole file. */
/*
 * Reads ahead: up to READ_AHEAD chunk reads in flight (reads are
 * independent, so crmd's workers serve them side by side), written in
 * order. A read whose reply did not come (a lost connection) is read
 * again the blocking way, which reconnects.
 */
#define READ_AHEAD 4

struct ahead_slot {
	bool sent, done;
	Crm__ServerFrame *reply;
	crm_err err;
};

static void on_ahead(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	struct ahead_slot *sl = ud;

	(void)c;
	sl->done = true;
	sl->reply = reply;
	if (err != NULL)
		sl->err = *err;
}

static void ahead_send(struct crm_cli *cli, int64_t id, uint32_t i, struct ahead_slot *sl) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__AttachRead ar = CRM__ATTACH_READ__INIT;
	crm_err err;

	crm_err_clear(&err);
	memset(sl, 0, sizeof(*sl));
	crm_err_clear(&sl->err);
	ar.has_attachment_id = ar.has_index = true;
	ar.attachment_id = id;
	ar.index = i;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_READ;
	req.attach_read = &ar;
	sl->sent = cli->client != NULL && crm_client_send_async(cli->client, &req, on_ahead, sl, &err);
}

/* Runs the connection until the slot's reply came or the connection broke
 * (then every read in flight has had its callback). */
static void ahead_wait(struct crm_cli *cli, struct ahead_slot *sl) {
	crm_err err;

	while (sl->sent && !sl->done) {
		struct pollfd p = {.fd = crm_client_fd(cli->client), .events = crm_client_events(cli->client)};
		int n = poll(&p, 1, 1000);

		crm_err_clear(&err);
		if (n < 0 && errno != EINTR)
			break;
		if (!crm_client_process(cli->client, n > 0 ? p.revents : 0, &err))
			break;
	}
}

/* Chunk i's reply from its slot (or read again); NULL with *rc set. */
static const Crm__AttachReadReply *ahead_take(struct crm_cli *cli, int64_t id, uint32_t i,
					      struct ahead_slot *sl, Crm__ServerFrame **reply,
					      int *rc) {
	const Crm__AttachReadReply *r;
	crm_err err;

	ahead_wait(cli, sl);
	sl->sent = false;
	if (!sl->done || sl->reply == NULL) /* not sent, or no reply: read it again */
		return read_chunk(cli, id, i, reply, rc);
	*reply = sl->reply;
	if (crm_err_isset(&sl->err)) {
		*rc = crm_cli_fail(cli, &sl->err);
		return NULL;
	}
	crm_err_clear(&err);
	r = crm_cli_body(*reply, CRM__RESPONSE__BODY_ATTACH_READ, &err);
	if (r == NULL)
		*rc = crm_cli_fail(cli, &err);
	return r;
}

/* Writes chunks 1.. of a (chunk 0 is written) and checks the whole file. */
static int get_rest(struct crm_cli *cli, const Crm__Attachment *a, struct sink *s) {
	struct progress p = {isatty(STDERR_FILENO) == 1 && !(s->to_stdout && isatty(STDOUT_FILENO)),
			     _("received"), a->size};
	struct ahead_slot slots[READ_AHEAD];
	unsigned char md[32];
	unsigned int n = 0;
	char digest[65];
	uint32_t sent = 1;
	int rc = 0;

	memset(slots, 0, sizeof(slots));
	progress_show(&p, a->chunks > 1 ? a->chunk_size : a->size);
	for (uint32_t i = 1; i < a->chunks && rc == 0; i++) {
		Crm__ServerFrame *reply = NULL;
		const Crm__AttachReadReply *r;

		for (; sent < a->chunks && sent < i + READ_AHEAD; sent++)
			ahead_send(cli, a->id, sent, &slots[sent % READ_AHEAD]);
		r = ahead_take(cli, a->id, i, &slots[i % READ_AHEAD], &reply, &rc);
		if (r != NULL && !sink_write(s, r->data.data, r->data.len))
			rc = 1;
		crm_client_reply_free(reply);
		progress_show(&p, i + 1 == a->chunks ? a->size : (int64_t)(i + 1) * a->chunk_size);
	}
	/* after a failure, the reads still in flight are answered and freed */
	for (uint32_t i = 0; i < READ_AHEAD; i++) {
		ahead_wait(cli, &slots[i]);
		if (slots[i].sent)
			crm_client_reply_free(slots[i].reply);
	}
	progress_end(&p);
	if (rc != 0)
		return rc;
	EVP_DigestFinal_ex(s->md, md, &n);
	hex(md, 32, digest);
	if (s->written != a->size) {
		fprintf(stderr, _("crm: error: the server sent %lld bytes of the %lld it declared; "
				  "nothing was written\n"),
			(long long)s->written, (long long)a->size);
		return 1;
	}
	if (a->sha256 == NULL || strcmp(digest, a->sha256) != 0) {
		fprintf(stderr, _("crm: error: the file received does not match its SHA-256 (%s, the "
				  "server says %s): nothing was written\n"),
			digest, a->sha256 ? a->sha256 : "");
		return 1;
	}
	return sink_finish(s) ? 0 : 1;
}

static int get_file(struct crm_cli *cli, int64_t id, const char *output) {
	Crm__ServerFrame *reply = NULL;
	const Crm__AttachReadReply *r;
	struct sink s = {.fd = -1};
	int rc = 0;

	s.md = EVP_MD_CTX_new();
	if (s.md == NULL || !EVP_DigestInit_ex(s.md, EVP_sha256(), NULL))
		return fprintf(stderr, _("crm: error: out of memory\n")), 1;
	r = read_chunk(cli, id, 0, &reply, &rc);
	if (r != NULL && r->attachment == NULL) {
		fprintf(stderr, _("crm: error: the server's reply lacks the attachment\n"));
		rc = 1;
	} else if (r != NULL && !sink_open(cli, output, r->attachment, &s)) {
		rc = 1;
	} else if (r != NULL && !sink_write(&s, r->data.data, r->data.len)) {
		rc = 1;
	} else if (r != NULL) {
		rc = get_rest(cli, r->attachment, &s);
	}
	crm_client_reply_free(reply);
	sink_close(&s);
	return rc;
}

int crm_cmd_attach_get(struct crm_cli *cli, int argc, char **argv) {
	static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
						 {NULL, 0, NULL, 0}};
	const char *output = NULL;
	char *arg;
	int64_t id;
	int c, first;

	while ((c = crm_cli_getopt(cli, argc, argv, "o:", longopts, &arg)) != -1) {
		if (c == 'o')
			output = arg;
		else
			return CRM_EXIT_USAGE;
	}
	first = crm_cli_optind();
	if (argc - first != 1)
		return crm_cli_usage(cli, _("give one attachment id"));
	if (output == NULL || output[0] == '\0')
		return crm_cli_usage(cli, _("say where to write it: --output FILE, --output DIR/ or "
					    "--output - for standard output"));
	if (!crm_cli_parse_id(cli, argv[first], _("attachment id"), &id))
		return CRM_EXIT_USAGE;
	return get_file(cli, id, output);
}
