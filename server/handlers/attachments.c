/*
 * attachments: files on any record (AttachBegin, AttachChunk, AttachCommit,
 * AttachAbort, AttachList, AttachRead, AttachDelete; docs/data.md,
 * "Attachments"). Each request is one transaction as every other; an
 * upload is several (begin, a chunk each, commit), and its state lives in
 * PostgreSQL only, so consecutive chunks may reach different crmd. The
 * checks (visibility, order, lengths, checksums, the size limit) are the
 * SQL's (crm.attach_* in sql/modules/86_attachments.sql), which runs as
 * the user: crm_app only reads the tables, and the writing functions are
 * SECURITY DEFINER ones that check the acting user's record themselves.
 * This file passes the configured limits and chooses the chunk size,
 * moves chunks as binary parameters and results (never as hex text), and
 * computes the whole file's SHA-256 at commit, reading the chunks in
 * order before the short locked step (crm.attach_commit) compares it
 * with the one declared at begin.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "handlers.h"
#include "rowmap.h"

/* The largest chunk: well inside the default frame (1 MiB), and few
 * round trips per file. A smaller max_frame gets smaller chunks. */
#define CHUNK_MAX (256u * 1024)
#define CHUNK_MIN 256u

enum {
	Q_BEGIN,
	Q_CHUNK,
	Q_HASH,
	Q_COMMIT,
	Q_ABORT,
	Q_LIST,
	Q_READ,
	Q_DELETE,
	N_STMTS
};
static const crm_sql stmts[N_STMTS] = {
	[Q_BEGIN] = {"attach_begin",
		     "SELECT attachment_id, $8::integer AS chunk_size, chunks, expires_at"
		     " FROM crm.attach_begin($1::text, $2::bigint, $3::text, $4::text, $5::bigint,"
		     " $6::text, $7::bigint, $8::integer, $9::interval)"},
	[Q_CHUNK] = {"attach_chunk",
		     "SELECT received, expires_at FROM crm.attach_chunk($1::bigint, $2::integer,"
		     " $3::bytea, $4::text, $5::bigint, $6::interval)"},
	/* binary result: the staged chunks of one's own upload (row-level
	 * security), in order, a batch at a time */
	[Q_HASH] = {"attach_hash",
		    "SELECT c.idx::text AS idx, c.data FROM crm.attachment_chunks c"
		    " WHERE c.attachment_id = $1::bigint AND c.idx >= $2::integer"
		    " ORDER BY c.idx LIMIT $3::integer"},
	[Q_COMMIT] = {"attach_commit", "SELECT * FROM crm.attach_commit($1::bigint, $2::text)"},
	[Q_ABORT] = {"attach_abort", "SELECT crm.attach_abort($1::bigint)"},
	[Q_LIST] = {"attach_list",
		    "SELECT * FROM crm.attach_list($1::text, $2::bigint, $3::text, $4::integer)"},
	/* binary result: every column is text but the chunk's bytea */
	[Q_READ] = {"attach_read", "SELECT * FROM crm.attach_read($1::bigint, $2::integer)"},
	[Q_DELETE] = {"attach_delete", "SELECT crm.attach_delete($1::bigint)"},
};
#define STMT(x) (&stmts[Q_##x])

/* Half the frame limit, in whole 256-byte units, at most CHUNK_MAX: a
 * chunk and its request's other fields always fit in one frame. */
static uint32_t chunk_size(const crm_config *cfg) {
	uint32_t c = cfg->max_frame / 2 / CHUNK_MIN * CHUNK_MIN;

	return c > CHUNK_MAX ? CHUNK_MAX : c < CHUNK_MIN ? CHUNK_MIN : c;
}

static const char *expiry(crm_hctx *h) {
	return crm_arena_printf(h->arena, "%d milliseconds", h->cfg->attachment_upload_expiry);
}

static bool handle_begin(crm_hctx *h, crm_err *err) {
	const Crm__AttachBegin *q = h->req->attach_begin;
	const char *p[9] = {
		crm_request_type_of(h->req, err),
		crm_hctx_i64(h, q->id),
		crm_hctx_text(h, &q->name, q->has_name),
		crm_hctx_text(h, &q->content_type, q->has_content_type),
		q->has_size ? crm_hctx_i64(h, q->size) : NULL,
		crm_hctx_text(h, &q->sha256, q->has_sha256),
		crm_hctx_i64(h, h->cfg->attachment_max_size),
		crm_hctx_i64(h, chunk_size(h->cfg)),
		expiry(h),
	};

	if (p[0] == NULL)
		return false;
	return crm_hctx_one(h, STMT(BEGIN), 9, p, &crm__attach_begin_reply__descriptor,
			    CRM__RESPONSE__BODY_ATTACH_BEGIN, true, "attach_begin.id",
			    "internal.no_response", err);
}

static bool handle_chunk(crm_hctx *h, crm_err *err) {
	const Crm__AttachChunk *q = h->req->attach_chunk;
	/* the data goes as a binary parameter: its bytes, never hex */
	const char *p[6] = {
		crm_hctx_i64(h, q->attachment_id),
		crm_arena_printf(h->arena, "%" PRIu32, q->index),
		q->data.len ? (const char *)q->data.data : "",
		crm_hctx_text(h, &q->sha256, q->has_sha256),
		crm_hctx_i64(h, h->cfg->attachment_max_size),
		expiry(h),
	};
	const int lengths[6] = {0, 0, (int)q->data.len, 0, 0, 0};
	const int formats[6] = {0, 0, 1, 0, 0, 0};
	PGresult *r = crm_db_exec(h->db, STMT(CHUNK), 6, p, lengths, formats, true, err);

	if (r == NULL)
		return false;
	if (!crm_hctx_row(h, r, &crm__attach_chunk_reply__descriptor, CRM__RESPONSE__BODY_ATTACH_CHUNK,
			  "attach_chunk.attachment_id", "internal.no_response", err)) {
		PQclear(r);
		return false;
	}
	PQclear(r);
	return true;
}

/* Chunks read per statement while hashing: 16 of at most 256 KiB. */
#define HASH_BATCH 16

/* Feeds one batch of chunks, from index *next on, to the hash; false
 * with *more false when the batch was the last. */
static bool hash_batch(crm_hctx *h, int64_t id, EVP_MD_CTX *md, uint32_t *next, bool *more,
		       crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, id), crm_arena_printf(h->arena, "%" PRIu32, *next),
			   crm_arena_printf(h->arena, "%d", HASH_BATCH)};
	PGresult *r = crm_db_exec_binary(h->db, STMT(HASH), 3, p, NULL, NULL, false, err);
	int n;

	if (r == NULL)
		return false;
	n = PQntuples(r);
	*more = n == HASH_BATCH;
	for (int i = 0; i < n; i++) {
		/* chunks are written strictly in order; a gap ends the hash and
		 * the commit refuses the upload as incomplete */
		if (strtoul(PQgetvalue(r, i, 0), NULL, 10) != *next) {
			*more = false;
			break;
		}
		EVP_DigestUpdate(md, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		(*next)++;
	}
	PQclear(r);
	return true;
}

/* The SHA-256 of the acting user's staged upload as its chunks stand, in
 * hex, read in order a batch at a time without locking anything (chunks
 * are never changed once written). */
static const char *file_sha256(crm_hctx *h, int64_t id, crm_err *err) {
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	uint32_t next = 0;
	bool more = true;
	char *hex = NULL;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "sha256", NULL);
		goto cleanup;
	}
	while (more)
		if (!hash_batch(h, id, md, &next, &more, err))
			goto cleanup;
	if (!EVP_DigestFinal_ex(md, d, &dn)) {
		crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "sha256", NULL);
		goto cleanup;
	}
	hex = crm_arena_alloc(h->arena, 2 * dn + 1);
	for (unsigned i = 0; i < dn; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
cleanup:
	EVP_MD_CTX_free(md);
	return hex;
}

static bool handle_commit(crm_hctx *h, crm_err *err) {
	int64_t id = h->req->attach_commit->attachment_id;
	const char *p[2] = {crm_hctx_i64(h, id), file_sha256(h, id, err)};

	if (p[1] == NULL)
		return false;
	return crm_hctx_one(h, STMT(COMMIT), 2, p, &crm__attachment__descriptor,
			    CRM__RESPONSE__BODY_ATTACHMENT, true, "attach_commit.attachment_id",
			    "internal.no_response", err);
}

/* A statement that returns nothing of interest; the reply is Empty. */
static bool run_empty(crm_hctx *h, crm_stmt stmt, int64_t id, crm_err *err) {
	const char *p[] = {crm_hctx_i64(h, id)};
	PGresult *r = crm_db_exec(h->db, stmt, 1, p, NULL, NULL, true, err);

	if (r == NULL)
		return false;
	PQclear(r);
	crm_hctx_body(h, CRM__RESPONSE__BODY_EMPTY, crm_arena_alloc(h->arena, sizeof(Crm__Empty)));
	crm__empty__init(h->resp->empty);
	return true;
}

static bool handle_abort(crm_hctx *h, crm_err *err) {
	return run_empty(h, STMT(ABORT), h->req->attach_abort->attachment_id, err);
}

static bool handle_delete(crm_hctx *h, crm_err *err) {
	return run_empty(h, STMT(DELETE), h->req->attach_delete->attachment_id, err);
}

static bool handle_list(crm_hctx *h, crm_err *err) {
	const Crm__AttachList *q = h->req->attach_list;
	const char *type = crm_request_type_of(h->req, err);
	const char *id = crm_hctx_i64(h, q->id);
	const char *filters, *key;
	uint32_t limit;

	if (type == NULL)
		return false;
	/* the cursor belongs to this record */
	filters = crm_arena_printf(h->arena, "attach|%s|%s", type, id);
	if (!crm_hctx_page(h, q->page, "attach_list.page.cursor", filters, &limit, &key, err))
		return false;
	const char *p[] = {type, id, key, crm_hctx_i64(h, limit)};
	return crm_hctx_list(h, STMT(LIST), 4, p, &crm__attach_list_reply__descriptor,
			     CRM__RESPONSE__BODY_ATTACH_LIST, filters, limit, "id", err);
}

/* One chunk, read in binary (the bytes as stored, no hex decoding), with
 * the attachment's facts from the same row. */
static bool handle_read(crm_hctx *h, crm_err *err) {
	const Crm__AttachRead *q = h->req->attach_read;
	const char *p[] = {crm_hctx_i64(h, q->attachment_id),
			   crm_arena_printf(h->arena, "%" PRIu32, q->index)};
	PGresult *r = crm_db_exec_binary(h->db, STMT(READ), 2, p, NULL, NULL, true, err);
	Crm__AttachReadReply *rr;

	if (r == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return crm_err_setid(err, CRM_INTERNAL, NULL, "internal.detail", "attach_read", NULL);
	}
	rr = crm_rowmap_new(h->arena, &crm__attach_read_reply__descriptor, r, 0);
	rr->attachment = crm_rowmap_new(h->arena, &crm__attachment__descriptor, r, 0);
	PQclear(r);
	crm_hctx_body(h, CRM__RESPONSE__BODY_ATTACH_READ, rr);
	return true;
}

#define R(c) CRM__CLIENT_FRAME__REQUEST_##c

static const crm_route routes[] = {
	/* adding needs the right to update the type (the SQL checks the
	 * record); the rest are checked by the SQL alone, under row-level
	 * security, from the attachment's record */
	{.which = R(ATTACH_BEGIN), .fn = handle_begin, .type_of = crm_request_type_of,
	 .action = "update", .effect = CRM_MUTATES},
	{.which = R(ATTACH_CHUNK), .fn = handle_chunk, .effect = CRM_MUTATES},
	{.which = R(ATTACH_COMMIT), .fn = handle_commit, .effect = CRM_MUTATES},
	{.which = R(ATTACH_ABORT), .fn = handle_abort, .effect = CRM_MUTATES},
	{.which = R(ATTACH_LIST), .fn = handle_list, .type_of = crm_request_type_of, .action = "read"},
	{.which = R(ATTACH_READ), .fn = handle_read},
	{.which = R(ATTACH_DELETE), .fn = handle_delete, .effect = CRM_MUTATES},
};

const crm_domain crm_domain_attachments = {
	.name = "attachments",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.stmts = stmts,
	.n_stmts = N_STMTS,
};
