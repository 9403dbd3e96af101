/*
 * worker: what a DB worker does with a job. It opens the request's
 * transaction, runs the handler, commits, and packs the response for the
 * I/O thread. Around the handler it does, once for every request type:
 * the queue deadline, retries of serialization failures and deadlocks,
 * and idempotency keys (the stored result of a keyed request is replayed,
 * written in the same transaction as the effect).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "handlers/handlers.h"
#include "log.h"
#include "server_internal.h"

typedef struct crm_worker {
	crm_db db;
	int index;
} crm_worker;

crm_job *crm_job_new(crm_job_kind kind) {
	crm_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		abort();
	crm_arena_init(&job->arena);
	job->kind = kind;
	return job;
}

void crm_job_free(crm_job *job) {
	if (job == NULL)
		return;
	crm_arena_fini(&job->arena);
	free(job->out);
	free(job);
}

uint8_t *crm_pack_frame(const Crm__ServerFrame *sf, size_t *len) {
	size_t n = crm__server_frame__get_packed_size(sf);
	uint8_t *buf;

	if (n > CRM_FRAME_MAX_CEILING)
		return NULL;
	buf = malloc(n + CRM_FRAME_HEADER);
	if (buf == NULL)
		return NULL;
	crm_frame_put_len(buf, (uint32_t)n);
	crm__server_frame__pack(sf, buf + CRM_FRAME_HEADER);
	*len = n + CRM_FRAME_HEADER;
	return buf;
}

void *crm_worker_init(int index, void *arg) {
	crm_worker *w = calloc(1, sizeof(*w));
	crm_err err;

	(void)arg;
	if (w == NULL)
		abort();
	w->index = index;
	crm_db_init(&w->db, crm_srv->cfg.db_app, index);
	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err)) {
		/* logged by db.c; the first request retries */
	}
	return w;
}

void crm_worker_fini(void *state) {
	crm_worker *w = state;

	crm_db_fini(&w->db);
	free(w);
}

/* Binary parameter helpers for idempotency statements. */
typedef struct {
	const char *v[4];
	int len[4];
	int fmt[4];
} params4;

static void request_hash(const Crm__ClientFrame *f, crm_arena *a, uint8_t out[32]) {
	size_t n = protobuf_c_message_get_packed_size(&f->base);
	uint8_t *buf = crm_arena_alloc(a, n + 1);
	Crm__ClientFrame copy = *f;
	unsigned int outlen = 32;

	/* The key and the id differ between tries; the request itself must not. */
	copy.has_id = false;
	copy.has_idempotency_key = false;
	n = crm__client_frame__pack(&copy, buf);
	EVP_Digest(buf, n, out, &outlen, EVP_sha256(), NULL);
}

/*
 * Claims the request's key. Returns 1 when this transaction owns it (run
 * the handler), 0 when a stored response was loaded into *stored (replay
 * it), -1 on error.
 */
static int idem_claim(crm_worker *w, crm_job *job, const char *principal,
		      Crm__Response **stored, crm_err *err) {
	const Crm__ClientFrame *f = job->frame;
	char *key = crm_arena_alloc(&job->arena, f->idempotency_key.len + 1);
	const char *type = crm_wire_request_name(f);
	uint8_t hash[32];
	params4 p = {{principal, key, type, (const char *)hash}, {0, 0, 0, 32}, {0, 0, 0, 1}};
	PGresult *r;
	bool mine;

	memcpy(key, f->idempotency_key.data, f->idempotency_key.len);
	key[f->idempotency_key.len] = '\0';
	request_hash(f, &job->arena, hash);
	r = crm_db_exec(&w->db, CRM_STMT_IDEM_CLAIM, 4, p.v, p.len, p.fmt, false, err);
	if (r == NULL)
		return -1;
	mine = PQntuples(r) == 1;
	PQclear(r);
	if (mine)
		return 1;
	r = crm_db_exec(&w->db, CRM_STMT_IDEM_GET, 2, p.v, NULL, NULL, false, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) { /* purged between the two statements */
		PQclear(r);
		crm_err_set(err, CRM_UNAVAILABLE, "idempotency_key", "key changed meanwhile; retry");
		return -1;
	}
	{
		size_t hlen = 0;
		unsigned char *h = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &hlen);
		bool same = strcmp(PQgetvalue(r, 0, 0), type) == 0 && h &&
			    hlen == 32 && memcmp(h, hash, 32) == 0;
		PQfreemem(h);
		if (!same) {
			PQclear(r);
			crm_err_set(err, CRM_INVALID_ARGUMENT, "idempotency_key",
				    "this key was already used for a different request; use a new key");
			return -1;
		}
	}
	{
		size_t rlen = 0;
		unsigned char *raw =
			PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 2), &rlen);
		*stored = raw ? crm__response__unpack(&job->arena.pb, rlen, raw) : NULL;
		PQfreemem(raw);
	}
	PQclear(r);
	if (*stored == NULL) {
		crm_err_set(err, CRM_INTERNAL, NULL, "stored result for this key is unreadable");
		return -1;
	}
	return 0;
}

static bool idem_store(crm_worker *w, crm_job *job, const char *principal,
		       const Crm__Response *resp, crm_err *err) {
	const Crm__ClientFrame *f = job->frame;
	size_t n = crm__response__get_packed_size(resp);
	uint8_t *buf = crm_arena_alloc(&job->arena, n + 1);
	char *key = crm_arena_alloc(&job->arena, f->idempotency_key.len + 1);
	params4 p = {{principal, key, (const char *)buf, NULL}, {0, 0, 0, 0}, {0, 0, 1, 0}};
	PGresult *r;

	memcpy(key, f->idempotency_key.data, f->idempotency_key.len);
	key[f->idempotency_key.len] = '\0';
	p.len[2] = (int)crm__response__pack(resp, buf);
	r = crm_db_exec(&w->db, CRM_STMT_IDEM_STORE, 3, p.v, p.len, p.fmt, false, err);
	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

/* One try of the whole transaction. On success *resp is the response. */
static bool run_once(crm_worker *w, crm_job *job, crm_handler_fn fn, Crm__Response **resp,
		     crm_err *err) {
	const crm_config *cfg = &crm_srv->cfg;
	int64_t waited_ms = (crm_mono_us() - job->received_us) / 1000;
	crm_db_ctx ctx = {"", job->request_id, job->peer, (int)(cfg->request_timeout - waited_ms)};
	bool keyed = job->frame->has_idempotency_key;
	Crm__Response *stored = NULL;
	crm_hctx h;
	int claim = 1;

	if (!crm_db_ensure(&w->db, err) || !crm_db_begin(&w->db, &ctx, err))
		return false;
	w->db.hold_commit = keyed;
	if (keyed && (claim = idem_claim(w, job, ctx.user_id, &stored, err)) < 0)
		goto fail;
	if (claim == 0) {
		*resp = stored;
	} else {
		memset(&h, 0, sizeof(h));
		h.db = &w->db;
		h.arena = &job->arena;
		h.req = job->frame;
		h.resp = crm_arena_alloc(&job->arena, sizeof(Crm__Response));
		crm__response__init(h.resp);
		h.user_id = ctx.user_id;
		h.diagnostics = cfg->diagnostics;
		h.schema_version = crm_srv->schema_version;
		if (!fn(&h, err))
			goto fail;
		if (keyed && !idem_store(w, job, ctx.user_id, h.resp, err))
			goto fail;
		*resp = h.resp;
	}
	w->db.hold_commit = false;
	if (crm_db_commit(&w->db, err))
		return true;
fail:
	w->db.hold_commit = false;
	crm_db_rollback(&w->db);
	return false;
}

static void run_request(crm_worker *w, crm_job *job, Crm__Response **resp, crm_err *err) {
	const crm_config *cfg = &crm_srv->cfg;
	crm_handler_fn fn = crm_handler_find(job->frame->request_case);
	int attempt;

	if (fn == NULL) {
		crm_err_set(err, CRM_UNIMPLEMENTED, "request", "not served by this server");
		return;
	}
	if (crm_mono_us() - job->received_us >= (int64_t)cfg->request_timeout * 1000) {
		crm_err_set(err, CRM_DEADLINE_EXCEEDED, NULL,
			    "request waited in the queue longer than the server allows; retry");
		return;
	}
	for (attempt = 0; attempt <= cfg->db_retries; attempt++) {
		crm_err_clear(err);
		if (run_once(w, job, fn, resp, err))
			return;
		if (!crm_db_retryable(&w->db))
			return;
		log_debug("db worker %d: req=%llu retry %d after SQLSTATE %s", w->index,
			  (unsigned long long)job->request_id, attempt + 1, w->db.sqlstate);
	}
}

static void run_purge(crm_worker *w, crm_job *job) {
	crm_db_ctx ctx = {"", 0, "", crm_srv->cfg.request_timeout};
	crm_err err;
	PGresult *r;

	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err) || !crm_db_begin(&w->db, &ctx, &err))
		return;
	r = crm_db_exec(&w->db, CRM_STMT_IDEM_PURGE, 0, NULL, NULL, NULL, true, &err);
	if (r == NULL) {
		crm_db_rollback(&w->db);
		log_warn("purge of expired idempotency keys failed: %s", err.msg);
		return;
	}
	if (atoi(PQcmdTuples(r)) > 0)
		log_info("purged %s expired idempotency keys", PQcmdTuples(r));
	PQclear(r);
	(void)job;
}

void crm_worker_run(void *state, void *item) {
	crm_worker *w = state;
	crm_job *job = item;
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Response *resp = NULL, fallback = CRM__RESPONSE__INIT;
	Crm__Status st = CRM__STATUS__INIT;
	crm_err err;

	if (job->kind == CRM_JOB_PURGE) {
		run_purge(w, job);
		crm_job_free(job);
		return;
	}
	crm_err_clear(&err);
	run_request(w, job, &resp, &err);
	if (crm_err_isset(&err) || resp == NULL) {
		if (!crm_err_isset(&err))
			crm_err_set(&err, CRM_INTERNAL, NULL, "handler returned no response");
		resp = &fallback;
		st.message = err.msg;
		st.field = err.field[0] ? err.field : NULL;
	}
	job->status = crm_err_isset(&err) ? err.code : CRM_OK;
	st.has_code = true;
	st.code = (Crm__Code)job->status;
	resp->status = &st;
	resp->has_id = true;
	resp->id = job->request_id;
	sf.kind_case = CRM__SERVER_FRAME__KIND_RESPONSE;
	sf.response = resp;
	job->out = crm_pack_frame(&sf, &job->out_len);
	crm_io_complete(job->io, job);
}
