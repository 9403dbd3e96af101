/*
 * worker: what a DB worker (or auth worker) does with a job. It opens the
 * request's transaction with crm.begin_request (session check, acting
 * user, permission check for the route), runs the handler, commits, and
 * packs the response for the I/O thread. Around the handler it does, once
 * for every request type: the queue deadline, retries of serialization
 * failures and deadlocks, idempotency keys (the stored result of a keyed
 * request is replayed; it is written in the same transaction as the
 * effect), and on the auth pool the password hashing that must happen
 * before, and outside, the transaction. What differs between request types
 * is read from the request's descriptor (job->route, handlers.h); nothing
 * here names a request type. Login and password change are flows of their
 * own at the end of this file (their descriptors say so).
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "handlers/handlers.h"
#include "log.h"
#include "rowmap.h"
#include "server_internal.h"
#include "notify.h"

#define CRM_SCHEDULE_BATCH "100" /* due jobs per poll and transaction */

typedef struct crm_worker {
	crm_db db;   /* as db_app (crm_app) */
	crm_db auth; /* auth workers only: as db_auth (crm_auth), for logins and passwords */
	bool has_auth;
	int index;
	struct crm_worker *next; /* in `workers`, for crm_workers_cancel */
} crm_worker;

static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;
static crm_worker *workers;

void crm_workers_cancel(void) {
	pthread_mutex_lock(&workers_lock);
	for (crm_worker *w = workers; w; w = w->next) {
		crm_db_cancel(&w->db);
		if (w->has_auth)
			crm_db_cancel(&w->auth);
	}
	pthread_mutex_unlock(&workers_lock);
}

static uint64_t rid_prefix;
static atomic_uint_fast64_t rid_counter;
static pthread_once_t rid_once = PTHREAD_ONCE_INIT;

static void rid_init(void) {
	uint32_t r = 0;

	/* A clash needs two processes with the same prefix; without random
	 * bytes, time and pid still tell processes apart. */
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	rid_prefix = (uint64_t)(r & 0x7fffffffu);
	atomic_init(&rid_counter, 0);
}

uint64_t crm_request_id_next(void) {
	uint64_t n;

	pthread_once(&rid_once, rid_init);
	n = atomic_fetch_add(&rid_counter, 1) + 1;
	/* past 2^32 requests the prefix moves on; the id stays positive */
	return ((rid_prefix << 32) + n) & INT64_MAX;
}

crm_job *crm_job_new(crm_job_kind kind) {
	crm_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		abort();
	crm_arena_init(&job->arena);
	job->kind = kind;
	if (kind == CRM_JOB_REQUEST)
		job->rid = crm_request_id_next();
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

	if (w == NULL)
		abort();
	w->index = index + (arg ? 1000 : 0); /* auth workers log as 1000+ */
	crm_db_init(&w->db, crm_srv->cfg.db_app, w->index);
	w->has_auth = arg != NULL;
	if (w->has_auth)
		crm_db_init(&w->auth, crm_srv->cfg.db_auth, w->index);
	pthread_mutex_lock(&workers_lock);
	w->next = workers;
	workers = w;
	pthread_mutex_unlock(&workers_lock);
	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err)) {
		/* logged by db.c; the first request retries */
	}
	return w;
}

void crm_worker_fini(void *state) {
	crm_worker *w = state;

	pthread_mutex_lock(&workers_lock);
	for (crm_worker **p = &workers; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&workers_lock);
	crm_db_fini(&w->db);
	if (w->has_auth)
		crm_db_fini(&w->auth);
	free(w);
}

/* ------------------------------------------------------------ idempotency */

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

static const char *idem_key(crm_job *job) {
	const ProtobufCBinaryData *k = &job->frame->idempotency_key;
	char *key = crm_arena_alloc(&job->arena, k->len + 1);

	memcpy(key, k->data, k->len);
	key[k->len] = '\0';
	return key;
}

/* Claims the request's key for this user (in SQL: the acting user).
 * 1: this transaction owns it (run the handler); 0: a stored response was
 * loaded into *stored (replay it); -1: error. */
static int idem_claim(crm_db *db, crm_job *job, Crm__Response **stored, crm_err *err) {
	const char *type = crm_wire_request_name(job->frame);
	uint8_t hash[32];
	const char *v[4] = {"", idem_key(job), type, (const char *)hash};
	const int len[4] = {0, 0, 0, 32}, fmt[4] = {0, 0, 0, 1};
	unsigned char *h, *raw;
	size_t hlen = 0, rlen = 0;
	PGresult *r;
	bool mine, same;

	request_hash(job->frame, &job->arena, hash);
	r = crm_db_exec(db, CRM_STMT(IDEM_CLAIM), 4, v, len, fmt, false, err);
	if (r == NULL)
		return -1;
	mine = PQntuples(r) == 1;
	PQclear(r);
	if (mine)
		return 1;
	r = crm_db_exec(db, CRM_STMT(IDEM_GET), 2, v, NULL, NULL, false, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) { /* purged between the two statements */
		PQclear(r);
		crm_err_setid(err, CRM_UNAVAILABLE, "idempotency_key", "idempotency.changed", NULL);
		return -1;
	}
	h = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &hlen);
	same = strcmp(PQgetvalue(r, 0, 0), type) == 0 && h && hlen == 32 && memcmp(h, hash, 32) == 0;
	PQfreemem(h);
	if (!same) {
		PQclear(r);
		crm_err_setid(err, CRM_INVALID_ARGUMENT, "idempotency_key", "idempotency.reused", NULL);
		return -1;
	}
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 2), &rlen);
	*stored = raw ? crm__response__unpack(&job->arena.pb, rlen, raw) : NULL;
	PQfreemem(raw);
	PQclear(r);
	if (*stored == NULL)
		return crm_err_setid(err, CRM_INTERNAL, NULL, "idempotency.unreadable", NULL), -1;
	return 0;
}

static bool idem_store(crm_db *db, crm_job *job, const Crm__Response *resp, crm_err *err) {
	size_t n = crm__response__get_packed_size(resp);
	uint8_t *buf = crm_arena_alloc(&job->arena, n + 1);
	const char *v[3] = {"", idem_key(job), (const char *)buf};
	int len[3] = {0, 0, 0};
	const int fmt[3] = {0, 0, 1};
	PGresult *r;

	len[2] = (int)crm__response__pack(resp, buf);
	r = crm_db_exec(db, CRM_STMT(IDEM_STORE), 3, v, len, fmt, false, err);
	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

/* ------------------------------------------------------------ requests */

static int remaining_ms(const crm_job *job) {
	int64_t waited_ms = (crm_mono_us() - job->received_us) / 1000;
	return (int)(crm_srv->cfg.request_timeout - waited_ms);
}

/* The session a request runs under: the connection's, or the token the
 * request carries when its descriptor has token_of (resume; copied into
 * job->resume_token). The raw token goes to crm.begin_request, which
 * hashes it itself. */
static const crm_token *job_token(crm_job *job) {
	const Crm__ClientFrame *f = job->frame;

	if (f && job->route && job->route->token_of) {
		const ProtobufCBinaryData *t = job->route->token_of(f);

		job->resume_token.len = (uint8_t)t->len; /* 1..128: crm_wire checked */
		memcpy(job->resume_token.data, t->data, job->resume_token.len);
		return &job->resume_token;
	}
	return job->has_token ? &job->token : NULL;
}

/* The connection a request runs on: the auth worker's crm_auth
 * connection when the descriptor says as_auth (password resets: only
 * crm_auth may set a password). */
static crm_db *job_db(crm_worker *w, const crm_job *job) {
	if (w->has_auth && job->route && job->route->as_auth)
		return &w->auth;
	return &w->db;
}

static void ctx_for(crm_job *job, crm_db_ctx *ctx, const crm_token *token) {
	const crm_route *route = job->route;

	memset(ctx, 0, sizeof(*ctx));
	ctx->token = token;
	ctx->request_id = job->rid;
	ctx->client_addr = job->client_ip;
	ctx->timeout_ms = remaining_ms(job);
	ctx->record_type = route ? crm_route_record_type(route, job->frame) : NULL;
	ctx->isolation = route ? route->isolation : NULL;
	ctx->action = route ? crm_route_action(route, job->frame) : NULL;
}

static void hctx_init(crm_hctx *h, crm_db *db, crm_job *job) {
	memset(h, 0, sizeof(*h));
	h->db = db;
	h->arena = &job->arena;
	h->req = job->frame;
	h->resp = crm_arena_alloc(&job->arena, sizeof(Crm__Response));
	crm__response__init(h->resp);
	h->cfg = &crm_srv->cfg;
	h->schema_version = crm_srv->schema_version;
	h->client_name = job->client_name;
	h->client_ip = job->client_ip;
	h->route = job->route;
}

/* One try of the whole transaction. On success *resp is the response. */
static bool run_once(crm_db *db, crm_job *job, const char *pw_hash, Crm__Response **resp,
		     crm_err *err) {
	const Crm__ClientFrame *f = job->frame;
	bool keyed = f->has_idempotency_key;
	Crm__Response *stored = NULL;
	crm_db_ctx ctx;
	crm_hctx h;
	int claim = 1;

	ctx_for(job, &ctx, job_token(job));
	if (!crm_db_ensure(db, err) || !crm_db_begin(db, &ctx, err))
		return false;
	db->hold_commit = keyed;
	if (keyed && (claim = idem_claim(db, job, &stored, err)) < 0)
		goto fail;
	if (claim == 0) {
		*resp = stored;
	} else {
		hctx_init(&h, db, job);
		h.password_hash = pw_hash;
		if (!(job->route->single ? crm_handle_single(&h, err) : job->route->fn(&h, err)))
			goto fail;
		if (keyed && !idem_store(db, job, h.resp, err))
			goto fail;
		*resp = h.resp;
		job->sets_session = h.sets_session;
		job->clears_session = h.clears_session;
		job->new_token = h.new_token;
		job->subscribes = h.subscribes;
		job->ev_pos.xid = h.ev_xid;
		job->ev_pos.seq = h.ev_seq;
		job->ev_user = db->session.user_id;
	}
	db->hold_commit = false;
	if (crm_db_commit(db, err))
		return true;
fail:
	db->hold_commit = false;
	crm_db_rollback(db);
	return false;
}

/* Session and permission only, in a transaction of their own: run before
 * hashing a password so that a request without the right costs no hash. */
static bool check_access(crm_db *db, crm_job *job, crm_err *err) {
	crm_db_ctx ctx;

	ctx_for(job, &ctx, job_token(job));
	if (!crm_db_ensure(db, err) || !crm_db_begin(db, &ctx, err))
		return false;
	if (crm_db_prologue(db, err) && crm_db_commit(db, err))
		return true;
	crm_db_rollback(db);
	return false;
}

/* Hashes the new password of a request that sets one (its descriptor's
 * new_password hook), after its access check, so a request without the
 * right costs no hash. *pw_hash stays NULL for requests that set none. */
static bool hash_new_password(crm_db *db, crm_job *job, char *hash, const char **pw_hash,
			      crm_err *err) {
	const crm_config *cfg = &crm_srv->cfg;
	crm_new_password np = {NULL, NULL, NULL};
	const ProtobufCBinaryData *pw, *name;
	char *uname;

	if (job->route->new_password == NULL || !job->route->new_password(job->frame, &np))
		return true;
	pw = np.password;
	name = np.username;
	if (!check_access(db, job, err)) {
		if (!db->lost) /* a lost connection: once more, on a new one */
			return false;
		crm_err_clear(err);
		if (!check_access(db, job, err))
			return false;
	}
	uname = crm_arena_alloc(&job->arena, name->len + 1);
	memcpy(uname, name->data, name->len);
	uname[name->len] = '\0';
	if (!crm_auth_policy(pw->data, pw->len, uname, cfg->password_min_length, np.field, err))
		return false;
	if (!crm_auth_hash(pw->data, pw->len, hash))
		return crm_err_setid(err, CRM_RESOURCE_EXHAUSTED, NULL, "auth.hash_busy", NULL);
	*pw_hash = hash;
	return true;
}

/* Requests that change nothing (descriptor effect CRM_READS): running
 * one twice is harmless. */
static bool reads_only(const crm_job *job) {
	return job->route->effect == CRM_READS;
}

/*
 * After the connection was lost, may the request run again on a new one?
 * Yes if nothing can have committed (COMMIT not sent yet), if it changes
 * nothing, or if it has an idempotency key: its claim in the new
 * transaction finds the stored reply if the lost one committed (replayed:
 * the real outcome) and runs it if it did not.
 */
static bool may_rerun(const crm_db *db, const crm_job *job) {
	return !db->commit_sent || job->frame->has_idempotency_key || reads_only(job);
}

static void run_request(crm_worker *w, crm_job *job, Crm__Response **resp, crm_err *err) {
	const char *pw_hash = NULL;
	char hash[CRM_HASH_MAX];
	crm_db *db = job_db(w, job);
	int attempt;

	if (remaining_ms(job) <= 0) {
		crm_err_setid(err, CRM_DEADLINE_EXCEEDED, NULL, "request.queue_timeout", NULL);
		return;
	}
	if (!hash_new_password(db, job, hash, &pw_hash, err))
		return;
	for (attempt = 0; attempt <= crm_srv->cfg.db_retries; attempt++) {
		crm_err_clear(err);
		if (run_once(db, job, pw_hash, resp, err))
			break;
		if (db->lost && may_rerun(db, job)) {
			log_info("db worker %d: rid=%llu: database connection lost %s; running it "
				 "again on a new connection", w->index, (unsigned long long)job->rid,
				 db->commit_sent ? "after COMMIT was sent" : "before COMMIT");
			continue;
		}
		if (db->lost) { /* a write, no key, COMMIT sent: only a human can tell */
			crm_err_clear(err);
			crm_err_setid(err, CRM_UNAVAILABLE, NULL, "db.outcome_unknown", NULL);
			break;
		}
		if (!crm_db_retryable(db))
			break;
		log_debug("db worker %d: rid=%llu retry %d after SQLSTATE %s", w->index,
			  (unsigned long long)job->rid, attempt + 1, db->sqlstate);
	}
	sodium_memzero(hash, sizeof(hash));
	snprintf(job->user, sizeof(job->user), "%s", db->session.username);
}

/* ------------------------------------------------------------ login */

static const char *bytes_str(crm_job *job, const ProtobufCBinaryData *b) {
	char *s = crm_arena_alloc(&job->arena, b->len + 1);

	memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	return s;
}

static const char *interval(crm_job *job, int ms) {
	return crm_arena_printf(&job->arena, "%d milliseconds", ms);
}

/* The connection adopts a new session token on OK. */
static void set_new_token(crm_job *job, const char *token) {
	size_t n = strlen(token);

	job->new_token.len = (uint8_t)(n < CRM_TOKEN_MAX ? n : CRM_TOKEN_MAX);
	memcpy(job->new_token.data, token, job->new_token.len);
}

/* Runs one statement as a transaction of its own (login steps have no
 * session). Returns the result or NULL with err set. */
static PGresult *tx_one(crm_db *db, crm_job *job, crm_stmt stmt, int n, const char *const *v,
			const int *len, const int *fmt, crm_err *err) {
	crm_db_ctx ctx;
	PGresult *r;

	ctx_for(job, &ctx, job->has_token ? &job->token : NULL);
	ctx.record_type = ctx.action = NULL;
	if (!crm_db_ensure(db, err) || !crm_db_begin(db, &ctx, err))
		return NULL;
	r = crm_db_exec(db, stmt, n, v, len, fmt, true, err);
	if (r == NULL)
		crm_db_rollback(db);
	return r;
}

/*
 * Finishes a login or password change inside its still-open transaction
 * (where the acting user is already the new session's): reads the user's
 * row, commits, and builds the LoginReply. `fin` holds the new session's
 * id and expiry. On failure the transaction is rolled back. Runs on the
 * auth connection (crm_auth), which reads the row through
 * crm.session_user_out(): the context's user, the one just logged in.
 */
static bool login_reply(crm_db *db, crm_job *job, const char *token, PGresult *fin,
			Crm__Response **resp, crm_err *err) CRM_MUSTCHECK;
static bool login_reply(crm_db *db, crm_job *job, const char *token, PGresult *fin,
			Crm__Response **resp, crm_err *err) {
	Crm__LoginReply *lr = crm_arena_alloc(&job->arena, sizeof(*lr));
	PGresult *r;
	crm_hctx h;

	crm__login_reply__init(lr);
	lr->token = (char *)token;
	lr->has_session_id = lr->has_expires_at = lr->has_max_frame = true;
	lr->session_id = (uint64_t)strtoll(PQgetvalue(fin, 0, 0), NULL, 10);
	lr->expires_at = strtoll(PQgetvalue(fin, 0, 1), NULL, 10);
	lr->max_frame = crm_srv->cfg.max_frame;
	r = crm_db_exec(db, CRM_STMT(SESSION_USER), 0, NULL, NULL, NULL, true, err);
	if (r == NULL) {
		crm_db_rollback(db);
		return false;
	}
	if (PQntuples(r) == 1)
		lr->user = crm_rowmap_new(&job->arena, &crm__user__descriptor, r, 0);
	PQclear(r);
	hctx_init(&h, db, job);
	crm_hctx_body(&h, CRM__RESPONSE__BODY_LOGIN, lr);
	*resp = h.resp;
	job->sets_session = true;
	return true;
}

/* The refusal of a login pre-check (row of crm.login_precheck), or false
 * when the attempt may go ahead. */
static bool precheck_refused(PGresult *r, crm_err *err) {
	int wait = atoi(PQgetvalue(r, 0, 2));

	if (wait <= 0)
		return false;
	if (strcmp(PQgetvalue(r, 0, 3), "cap") == 0)
		crm_err_setid(err, CRM_RESOURCE_EXHAUSTED, NULL, "auth.lockout_new_address",
			      CRM_NUM(wait), NULL);
	else
		crm_err_setid(err, CRM_RESOURCE_EXHAUSTED, NULL, "auth.lockout_address", CRM_NUM(wait),
			      NULL);
	return true;
}

/* The parameters of crm.login_finish after a verification. */
static void finish_params(crm_job *job, const char *username, const char *uid, bool ok,
			  const uint8_t *token_hash, const char *v[12]) {
	const crm_config *cfg = &crm_srv->cfg;

	v[0] = username;
	v[1] = job->client_ip;
	v[2] = uid;
	v[3] = ok ? "true" : "false";
	v[4] = ok ? (const char *)token_hash : NULL;
	v[5] = job->client_name;
	v[6] = interval(job, cfg->session_lifetime);
	v[7] = interval(job, cfg->session_idle_timeout);
	v[8] = crm_arena_printf(&job->arena, "%d", cfg->login_max_failures);
	v[9] = crm_arena_printf(&job->arena, "%d", cfg->login_max_failures_addr);
	v[10] = interval(job, cfg->login_lockout_max);
	v[11] = crm_arena_printf(&job->arena, "%d", cfg->login_user_hourly_cap);
}

/* The failure that reached the user's hourly cap is worth an operator's
 * attention (it is also in the audit trail, as login_capped). */
static void warn_if_capped(crm_job *job, const char *username, PGresult *r) {
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 3), "t") == 0)
		log_warn("conn=%llu peer=%s: user %s reached login_user_hourly_cap (%d failed "
			 "logins in an hour): for the rest of the hour only addresses that logged in "
			 "as %s in the last 30 days may try",
			 (unsigned long long)job->conn_id, job->peer, username,
			 crm_srv->cfg.login_user_hourly_cap, username);
}

static void run_login(crm_worker *w, crm_job *job, Crm__Response **resp, crm_err *err) {
	const crm_config *cfg = &crm_srv->cfg;
	const Crm__Login *q = job->frame->login;
	const char *username = bytes_str(job, &q->username);
	const char *pre[3] = {username, job->client_ip,
			      crm_arena_printf(&job->arena, "%d", cfg->login_user_hourly_cap)};
	char token[CRM_TOKEN_TEXT] = "";
	const char *hash = NULL, *uid = NULL;
	uint8_t token_hash[32];
	crm_db *db = &w->auth;
	PGresult *r;
	bool ok, refused;

	/* A login starts a session of its own: the connection's token plays no
	 * part, so a connection whose session was revoked or expired (the
	 * desktop asking for the password again) can log in on it. */
	job->has_token = false;
	r = tx_one(db, job, CRM_STMT(LOGIN_PRECHECK), 3, pre, NULL, NULL, err);
	if (r == NULL)
		return;
	refused = precheck_refused(r, err);
	if (!PQgetisnull(r, 0, 0)) {
		uid = crm_arena_strdup(&job->arena, PQgetvalue(r, 0, 0));
		if (!PQgetisnull(r, 0, 1))
			hash = crm_arena_strdup(&job->arena, PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (refused)
		return;
	/* Outside any transaction: the expensive part. */
	ok = crm_auth_verify(hash, q->password.data, q->password.len) && uid != NULL;
	if (ok)
		crm_auth_new_token(token, token_hash);
	{
		const char *v[12];
		const int len[12] = {0, 0, 0, 0, 32}, fmt[12] = {0, 0, 0, 0, 1};
		crm_db_ctx ctx;

		finish_params(job, username, uid, ok, token_hash, v);
		/* One transaction: the outcome (session or failure count and
		 * audit) and, on success, the user's row for the reply. */
		ctx_for(job, &ctx, NULL);
		ctx.record_type = ctx.action = NULL;
		if (!crm_db_ensure(db, err) || !crm_db_begin(db, &ctx, err))
			return;
		r = crm_db_exec(db, CRM_STMT(LOGIN_FINISH), 12, v, len, fmt, !ok, err);
	}
	if (r == NULL) {
		crm_db_rollback(db);
		return;
	}
	if (!ok) {
		warn_if_capped(job, username, r);
		PQclear(r);
		crm_err_setid(err, CRM_UNAUTHENTICATED, NULL, "auth.invalid_login", NULL);
		return;
	}
	set_new_token(job, token);
	/* the log names the user only once the login has committed */
	if (login_reply(db, job, crm_arena_strdup(&job->arena, token), r, resp, err))
		snprintf(job->user, sizeof(job->user), "%s", username);
	PQclear(r);
	sodium_memzero(token, sizeof(token));
}

/* ------------------------------------------------------- password change */

/* True (err set) while the username or the address is locked out. */
static bool login_locked(crm_db *db, crm_job *job, const char *username, crm_err *err) {
	const char *pre[3] = {username, job->client_ip,
			      crm_arena_printf(&job->arena, "%d", crm_srv->cfg.login_user_hourly_cap)};
	PGresult *r = tx_one(db, job, CRM_STMT(LOGIN_PRECHECK), 3, pre, NULL, NULL, err);
	bool refused;

	if (r == NULL)
		return true;
	refused = precheck_refused(r, err);
	PQclear(r);
	return refused;
}

/* Counts a wrong password against the user and the address (and audits
 * it as a failed login). */
static void record_failure(crm_db *db, crm_job *job, const char *username, int64_t uid,
			   crm_err *err) {
	const char *v[12];
	const int len[12] = {0}, fmt[12] = {0};
	PGresult *r;

	finish_params(job, username, crm_arena_printf(&job->arena, "%lld", (long long)uid), false,
		      NULL, v);
	job->has_token = false; /* recorded without a session, like a login */
	r = tx_one(db, job, CRM_STMT(LOGIN_FINISH), 12, v, len, fmt, err);
	job->has_token = true;
	if (r != NULL)
		warn_if_capped(job, username, r);
	PQclear(r);
}

static void run_password_change(crm_worker *w, crm_job *job, Crm__Response **resp, crm_err *err) {
	const crm_config *cfg = &crm_srv->cfg;
	const Crm__PasswordChange *q = job->frame->password_change;
	char newhash[CRM_HASH_MAX], token[CRM_TOKEN_TEXT];
	uint8_t token_hash[32];
	crm_db *db = &w->auth;
	const char *old;
	int64_t uid;
	PGresult *r;
	crm_db_ctx ctx;
	bool ok;

	r = tx_one(db, job, CRM_STMT(OWN_PASSWORD_HASH), 0, NULL, NULL, NULL, err);
	if (r == NULL)
		return;
	snprintf(job->user, sizeof(job->user), "%s", db->session.username);
	old = PQgetisnull(r, 0, 0) ? NULL : crm_arena_strdup(&job->arena, PQgetvalue(r, 0, 0));
	uid = db->session.user_id;
	PQclear(r);
	/* Guessing the old password is throttled like a login. */
	if (login_locked(db, job, job->user, err))
		return;
	ok = crm_auth_verify(old, q->old_password.data, q->old_password.len);
	if (!ok) {
		record_failure(db, job, job->user, uid, err);
		crm_err_setid(err, CRM_INVALID_ARGUMENT, "password_change.old_password",
			      "auth.wrong_old_password", NULL);
		return;
	}
	if (!crm_auth_policy(q->new_password.data, q->new_password.len, job->user,
			     cfg->password_min_length, "password_change.new_password", err))
		return;
	if (!crm_auth_hash(q->new_password.data, q->new_password.len, newhash)) {
		crm_err_setid(err, CRM_RESOURCE_EXHAUSTED, NULL, "auth.hash_busy", NULL);
		return;
	}
	crm_auth_new_token(token, token_hash);
	ctx_for(job, &ctx, &job->token);
	ctx.record_type = ctx.action = NULL;
	if (!crm_db_ensure(db, err) || !crm_db_begin(db, &ctx, err))
		return;
	{
		const char *set[3] = {job->user, newhash, "password_change"};
		const char *open[4] = {(const char *)token_hash, job->client_name,
				       interval(job, cfg->session_lifetime),
				       interval(job, cfg->session_idle_timeout)};
		const int len[4] = {32}, fmt[4] = {1};

		r = crm_db_exec(db, CRM_STMT(PASSWORD_SET), 3, set, NULL, NULL, false, err);
		if (r == NULL) {
			crm_db_rollback(db);
			return;
		}
		PQclear(r);
		r = crm_db_exec(db, CRM_STMT(SESSION_OPEN), 4, open, len, fmt, false, err);
		if (r == NULL) {
			crm_db_rollback(db);
			return;
		}
	}
	set_new_token(job, token);
	if (!login_reply(db, job, crm_arena_strdup(&job->arena, token), r, resp, err))
		*resp = NULL; /* err says why; the change was rolled back or is unknown */
	PQclear(r);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(newhash, sizeof(newhash));
}

/* ------------------------------------------------------------ maintenance */

static void run_purge(crm_worker *w) {
	crm_db_ctx ctx = {NULL, 0, "", crm_srv->cfg.request_timeout, NULL, NULL, NULL};
	crm_err err;
	PGresult *r;

	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err) || !crm_db_begin(&w->db, &ctx, &err))
		return;
	r = crm_db_exec(&w->db, CRM_STMT(IDEM_PURGE), 0, NULL, NULL, NULL, true, &err);
	if (r == NULL) {
		crm_db_rollback(&w->db);
		log_warn("purge of expired idempotency keys failed: %s", err.msg);
		return;
	}
	if (atoi(PQgetvalue(r, 0, 0)) > 0)
		log_info("purged %s expired idempotency keys", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* The scheduler's poll (crm.jobs_run): due jobs are claimed, performed
 * and marked done in this one transaction. */
static void run_schedule(crm_worker *w) {
	crm_db_ctx ctx = {NULL, 0, "", crm_srv->cfg.request_timeout, NULL, NULL, NULL};
	const char *v[1] = {CRM_SCHEDULE_BATCH};
	crm_err err;
	PGresult *r;

	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err) || !crm_db_begin(&w->db, &ctx, &err))
		return;
	r = crm_db_exec(&w->db, CRM_STMT(JOBS_RUN), 1, v, NULL, NULL, true, &err);
	if (r == NULL) {
		crm_db_rollback(&w->db);
		log_warn("db worker %d: scheduler poll failed: %s", w->index, err.msg);
		return;
	}
	if (atoi(PQgetvalue(r, 0, 0)) > 0)
		log_info("db worker %d: scheduler ran %s due job(s)", w->index, PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Names a field the way the client sent it: "record_update.version". */
static void qualify_field(crm_job *job, crm_err *err) {
	char buf[CRM_ERR_FIELD_MAX * 2];
	const char *req = crm_wire_request_name(job->frame);
	size_t rl = strlen(req);

	if (err->field[0] == '\0' || (strncmp(err->field, req, rl) == 0 && err->field[rl] == '.'))
		return;
	if (snprintf(buf, sizeof(buf), "%s.%s", req, err->field) < 0)
		return;
	memcpy(err->field, buf, CRM_ERR_FIELD_MAX - 1);
	err->field[CRM_ERR_FIELD_MAX - 1] = '\0';
}

/* Packs the response (or the error) and hands the job back. */
static void finish_job(crm_job *job, Crm__Response *resp, crm_err *err) {
	Crm__ServerFrame sf = CRM__SERVER_FRAME__INIT;
	Crm__Response fallback = CRM__RESPONSE__INIT;
	Crm__Status st = CRM__STATUS__INIT;
	char *argv[CRM_ERR_ARGS_MAX];

	if (crm_err_isset(err) || resp == NULL) {
		if (!crm_err_isset(err))
			crm_err_setid(err, CRM_INTERNAL, NULL, "internal.no_response", NULL);
		qualify_field(job, err);
		resp = &fallback;
		crm_wire_status_set(&st, err, argv);
		job->sets_session = job->clears_session = false;
	}
	job->status = crm_err_isset(err) ? err->code : CRM_OK;
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

void crm_worker_run(void *state, void *item) {
	crm_worker *w = state;
	crm_job *job = item;
	Crm__Response *resp = NULL;
	crm_err err;

	if (job->kind == CRM_JOB_PURGE || job->kind == CRM_JOB_SCHEDULE) {
		if (job->kind == CRM_JOB_PURGE)
			run_purge(w);
		else if (!atomic_load(&crm_srv->io_stopped)) /* shutting down: the others poll */
			run_schedule(w);
		if (job->kind == CRM_JOB_SCHEDULE)
			atomic_store(&crm_srv->schedule_busy, false);
		crm_job_free(job);
		return;
	}
	if (job->kind == CRM_JOB_EVENTS) {
		crm_events_fetch(&w->db, job);
		crm_io_complete(job->io, job);
		return;
	}
	crm_err_clear(&err);
	memset(&w->db.session, 0, sizeof(w->db.session));
	if (atomic_load(&crm_srv->io_stopped)) /* nobody is left to answer */
		crm_err_setid(&err, CRM_UNAVAILABLE, NULL, "request.shutting_down", NULL);
	else if (job->route->flow == CRM_FLOW_LOGIN)
		run_login(w, job, &resp, &err);
	else if (job->route->flow == CRM_FLOW_PASSWORD_CHANGE)
		run_password_change(w, job, &resp, &err);
	else
		run_request(w, job, &resp, &err);
	finish_job(job, resp, &err);
}

/* ------------------------------------------------------------ batches */

static bool batchable(const crm_job *job) {
	const crm_route *r = job->route;

	return job->kind == CRM_JOB_REQUEST && r && r->single && !r->isolation &&
	       !job->frame->has_idempotency_key && remaining_ms(job) > 0 &&
	       !atomic_load(&crm_srv->io_stopped);
}

void crm_worker_run_batch(void *state, void **items, int n) {
	crm_worker *w = state;
	crm_job *queued[CRM_WORKER_BATCH * 4];
	crm_hctx *hs[CRM_WORKER_BATCH * 4];
	int nq = 0, nl = 0;
	bool lost = false;
	crm_err err;

	/* Jobs that are not pipelined run after the pipelined ones have been
	 * read back: their statements must not interleave with results still
	 * queued on the connection. Items are in place order, so reuse it. */

	crm_err_clear(&err);
	if (!crm_db_ensure(&w->db, &err))
		crm_err_clear(&err); /* each job reports it on its own below */
	for (int i = 0; i < n; i++) {
		crm_job *job = items[i];
		const char *params[CRM_SINGLE_PARAMS];
		crm_hctx *h;
		crm_db_ctx ctx;
		crm_stmt stmt;
		int np;

		if (!batchable(job) || w->db.conn == NULL || nq == (int)(sizeof(queued) / sizeof(queued[0]))) {
			items[nl++] = job; /* nl <= i: overwrites only items already taken */
			continue;
		}
		h = crm_arena_alloc(&job->arena, sizeof(*h));
		hctx_init(h, &w->db, job);
		crm_err_clear(&err);
		if (!job->route->single->prep(h, &stmt, &np, params, &err)) {
			finish_job(job, NULL, &err);
			continue;
		}
		ctx_for(job, &ctx, job_token(job));
		if (!crm_db_queue_tx(&w->db, &ctx, stmt, np, params, &err)) {
			if (w->db.lost) { /* runs on its own below, on a new connection */
				items[nl++] = job;
				lost = true;
			} else {
				finish_job(job, NULL, &err);
			}
			continue;
		}
		queued[nq] = job;
		hs[nq++] = h;
	}
	crm_err_clear(&err);
	log_debug("db worker %d: batch of %d, %d pipelined", w->index, n, nq);
	if (nq > 0 && !crm_db_flush(&w->db, &err))
		log_warn("db worker %d: flushing a batch of %d failed: %s", w->index, nq, err.msg);
	for (int i = 0; i < nq; i++) {
		PGresult *r;

		crm_err_clear(&err);
		r = crm_db_read_tx(&w->db, &err);
		if (r == NULL && w->db.lost) {
			/* Batched requests only read: run it again on its own (on
			 * a new connection) once the batch is done. */
			items[nl++] = queued[i];
			lost = true;
			continue;
		}
		if (r != NULL) {
			if (!queued[i]->route->single->finish(hs[i], r, &err))
				hs[i]->resp = NULL;
			PQclear(r);
			queued[i]->sets_session = hs[i]->sets_session;
			queued[i]->clears_session = hs[i]->clears_session;
			queued[i]->new_token = hs[i]->new_token;
		}
		memcpy(queued[i]->user, w->db.session.username, sizeof(queued[i]->user));
		finish_job(queued[i], r ? hs[i]->resp : NULL, &err);
	}
	if (nq > 0 && (lost || PQstatus(w->db.conn) != CONNECTION_OK)) {
		w->db.lost = true;
		crm_db_rollback(&w->db); /* drops the connection; the next job reconnects */
	}
	for (int i = 0; i < nl; i++)
		crm_worker_run(w, items[i]);
}
