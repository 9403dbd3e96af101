/*
 * bench_attach: crm-bench's `attach` workload (docs/benchmarks.md).
 *
 * Through crmd, on one connection as crm attach does: a file of random
 * bytes (--file-size MiB) uploaded whole again and again (AttachBegin, the
 * chunks one at a time with their SHA-256, AttachCommit), then downloaded
 * whole again and again (AttachRead chunk by chunk, four in flight as crm
 * attach get reads them), each for --duration
 * seconds. With --db DSN, the ceiling in the same run: the same chunks
 * written and read straight through libpq, one round trip and one
 * transaction per chunk as crmd's, into a plain table shaped like
 * crm.attachment_chunks (bytea, STORAGE EXTERNAL, the same primary key),
 * with binary parameters and results. Uploads are deleted again outside
 * the timed part. Prints MiB/s of each as one JSON line.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_attach.h"

static int64_t mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sha_hex(const uint8_t *d, size_t n, char out[65]) {
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(d, n, md, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static ProtobufCBinaryData text(const char *s) {
	return (ProtobufCBinaryData){strlen(s), (uint8_t *)s};
}

/* One call; false (counted, first error kept) when it failed. */
static bool call(crm_client *c, Crm__ClientFrame *f, Crm__ServerFrame **reply,
		 struct bench_attach_result *res) {
	crm_err err;

	crm_err_clear(&err);
	f->has_idempotency_key = false;
	if (crm_client_call(c, f, reply, &err))
		return true;
	if (res->errors++ == 0)
		snprintf(res->first_error, sizeof(res->first_error), "%s", err.msg);
	crm_client_reply_free(*reply);
	*reply = NULL;
	return false;
}

/* Uploads data to account `id`; the attachment id, or 0. */
static int64_t upload(crm_client *c, int64_t id, const uint8_t *data, size_t size,
		      uint32_t *chunk_size, struct bench_attach_result *res) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__AttachBegin b = CRM__ATTACH_BEGIN__INIT;
	Crm__AttachChunk ch = CRM__ATTACH_CHUNK__INIT;
	Crm__AttachCommit co = CRM__ATTACH_COMMIT__INIT;
	Crm__ServerFrame *reply = NULL;
	char digest[65];
	int64_t aid;
	uint32_t cs, n;

	sha_hex(data, size, digest);
	b.has_type = b.has_id = b.has_name = b.has_content_type = b.has_size = b.has_sha256 = true;
	b.type = CRM__RECORD_TYPE__RECORD_TYPE_ACCOUNT;
	b.id = id;
	b.name = text("bench.bin");
	b.content_type = text("application/octet-stream");
	b.size = (int64_t)size;
	b.sha256 = text(digest);
	f.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_BEGIN;
	f.attach_begin = &b;
	if (!call(c, &f, &reply, res))
		return 0;
	aid = reply->response->attach_begin->attachment_id;
	cs = *chunk_size = reply->response->attach_begin->chunk_size;
	n = reply->response->attach_begin->chunks;
	crm_client_reply_free(reply);
	ch.has_attachment_id = ch.has_index = ch.has_data = ch.has_sha256 = true;
	ch.attachment_id = aid;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_CHUNK;
	f.attach_chunk = &ch;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = size - (size_t)i * cs < cs ? size - (size_t)i * cs : cs;
		ch.index = i;
		ch.data = (ProtobufCBinaryData){len, (uint8_t *)data + (size_t)i * cs};
		sha_hex(ch.data.data, len, digest);
		ch.sha256 = text(digest);
		if (!call(c, &f, &reply, res))
			return 0;
		crm_client_reply_free(reply);
	}
	co.has_attachment_id = true;
	co.attachment_id = aid;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_COMMIT;
	f.attach_commit = &co;
	if (!call(c, &f, &reply, res))
		return 0;
	crm_client_reply_free(reply);
	return aid;
}

static bool delete_attachment(crm_client *c, int64_t aid, struct bench_attach_result *res) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__AttachDelete d = CRM__ATTACH_DELETE__INIT;
	Crm__ServerFrame *reply = NULL;

	d.has_attachment_id = true;
	d.attachment_id = aid;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_DELETE;
	f.attach_delete = &d;
	if (!call(c, &f, &reply, res))
		return false;
	crm_client_reply_free(reply);
	return true;
}

/* Downloads attachment aid whole as crm attach get does: chunk 0, then
 * READ_AHEAD reads in flight, hashed in order; bytes, or 0. */
#define READ_AHEAD 4

struct slot {
	bool done;
	Crm__ServerFrame *reply;
	char error[CRM_ERR_MSG_MAX];
};

static void on_read(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *ud) {
	struct slot *sl = ud;

	(void)c;
	sl->done = true;
	sl->reply = reply;
	if (err != NULL)
		snprintf(sl->error, sizeof(sl->error), "%s", err->msg);
}

static bool send_read(crm_client *c, int64_t aid, uint32_t i, struct slot *sl) {
	Crm__ClientFrame f = CRM__CLIENT_FRAME__INIT;
	Crm__AttachRead r = CRM__ATTACH_READ__INIT;
	crm_err err;

	crm_err_clear(&err);
	memset(sl, 0, sizeof(*sl));
	r.has_attachment_id = r.has_index = true;
	r.attachment_id = aid;
	r.index = i;
	f.request_case = CRM__CLIENT_FRAME__REQUEST_ATTACH_READ;
	f.attach_read = &r;
	return crm_client_send_async(c, &f, on_read, sl, &err);
}

static bool wait_read(crm_client *c, struct slot *sl) {
	crm_err err;

	while (!sl->done) {
		struct pollfd p = {.fd = crm_client_fd(c), .events = crm_client_events(c)};
		int n = poll(&p, 1, 1000);

		crm_err_clear(&err);
		if (n < 0 || !crm_client_process(c, n > 0 ? p.revents : 0, &err))
			return false;
	}
	return sl->reply != NULL && sl->error[0] == '\0';
}

static size_t download(crm_client *c, int64_t aid, struct bench_attach_result *res) {
	struct slot slots[READ_AHEAD];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[32];
	unsigned int len = 0;
	char digest[65], want[65] = "";
	size_t got = 0;
	uint32_t n = 1, sent = 0;
	bool ok = true;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (uint32_t i = 0; i < n && ok; i++) {
		const Crm__AttachReadReply *r;

		/* chunk 0 alone (it says how many there are), then read ahead */
		for (; sent < n && sent < (i == 0 ? 1 : i + READ_AHEAD); sent++)
			ok = ok && send_read(c, aid, sent, &slots[sent % READ_AHEAD]);
		ok = ok && wait_read(c, &slots[i % READ_AHEAD]);
		if (!ok)
			break;
		r = slots[i % READ_AHEAD].reply->response->attach_read;
		if (i == 0) {
			n = r->attachment->chunks;
			snprintf(want, sizeof(want), "%s", r->attachment->sha256);
		}
		EVP_DigestUpdate(md, r->data.data, r->data.len);
		got += r->data.len;
		crm_client_reply_free(slots[i % READ_AHEAD].reply);
		slots[i % READ_AHEAD].reply = NULL;
	}
	EVP_DigestFinal_ex(md, sum, &len);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(digest + 2 * i, 3, "%02x", sum[i]);
	if (!ok || strcmp(digest, want) != 0) {
		if (res->errors++ == 0)
			snprintf(res->first_error, sizeof(res->first_error), "download failed or its checksum mismatched");
		return 0;
	}
	return got;
}

/* ---------------------------------------------------------------- libpq */

static bool pq_ok(PGconn *pq, PGresult *r, struct bench_attach_result *res) {
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok && res->errors++ == 0)
		snprintf(res->first_error, sizeof(res->first_error), "libpq: %s", PQerrorMessage(pq));
	PQclear(r);
	return ok;
}

static PGconn *pq_setup(const char *dsn, struct bench_attach_result *res) {
	PGconn *pq = PQconnectdb(dsn);

	if (PQstatus(pq) != CONNECTION_OK) {
		snprintf(res->first_error, sizeof(res->first_error), "libpq: %s", PQerrorMessage(pq));
		res->errors++;
		PQfinish(pq);
		return NULL;
	}
	if (!pq_ok(pq, PQexec(pq, "DROP TABLE IF EXISTS bench_attachment_chunks;"
				   "CREATE TABLE bench_attachment_chunks (attachment_id bigint, idx integer,"
				   " sha256 bytea NOT NULL, data bytea NOT NULL, PRIMARY KEY (attachment_id, idx));"
				   "ALTER TABLE bench_attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL"),
		   res) ||
	    !pq_ok(pq, PQprepare(pq, "put", "INSERT INTO bench_attachment_chunks VALUES ($1::bigint,"
					    " $2::integer, sha256($3::bytea), $3::bytea)", 3, NULL), res) ||
	    !pq_ok(pq, PQprepare(pq, "get", "SELECT data FROM bench_attachment_chunks"
					    " WHERE attachment_id = $1::bigint AND idx = $2::integer", 2, NULL),
		   res)) {
		PQfinish(pq);
		return NULL;
	}
	return pq;
}

/* Writes (or reads back) file `file` in chunks of cs bytes, one statement
 * and transaction per chunk. */
static bool pq_file(PGconn *pq, bool put, long file, const uint8_t *data, size_t size, uint32_t cs,
		    struct bench_attach_result *res) {
	char fs[24], is[16];

	snprintf(fs, sizeof(fs), "%ld", file);
	for (size_t off = 0, i = 0; off < size; off += cs, i++) {
		size_t len = size - off < cs ? size - off : cs;
		const char *v[3] = {fs, is, (const char *)data + off};
		int lens[3] = {0, 0, (int)len}, fmts[3] = {0, 0, 1};
		PGresult *r;

		snprintf(is, sizeof(is), "%zu", i);
		r = put ? PQexecPrepared(pq, "put", 3, v, lens, fmts, 0)
			: PQexecPrepared(pq, "get", 2, v, NULL, NULL, 1);
		if (!put && PQresultStatus(r) == PGRES_TUPLES_OK &&
		    (PQntuples(r) != 1 || (size_t)PQgetlength(r, 0, 0) != len)) {
			PQclear(r);
			if (res->errors++ == 0)
				snprintf(res->first_error, sizeof(res->first_error), "libpq: short read");
			return false;
		}
		if (!pq_ok(pq, r, res))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- the runs */

static double mib_s(double bytes, int64_t us) {
	return us > 0 ? bytes / 1048576.0 / ((double)us / 1e6) : 0;
}

void bench_attach_run(crm_client *c, const char *dsn, int64_t account, size_t size, int duration_s,
		      struct bench_attach_result *res) {
	uint8_t *data = malloc(size ? size : 1);
	int64_t t0, end, aid = 0;
	double bytes;
	PGconn *pq = NULL;
	uint32_t cs = 0; /* the chunk size crmd chose: libpq writes the same chunks */
	long files;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)rand();
	/* crmd: upload, as many whole files as fit the duration */
	for (files = 0, bytes = 0, t0 = mono_us(), end = t0 + duration_s * 1000000LL;
	     files == 0 || mono_us() < end; files++) {
		int64_t began = mono_us(), a = upload(c, account, data, size, &cs, res);
		if (a == 0)
			goto out;
		res->put_us += mono_us() - began;
		bytes += (double)size;
		if (aid != 0 && !delete_attachment(c, aid, res)) /* not timed */
			goto out;
		aid = a;
	}
	res->put_mib_s = mib_s(bytes, res->put_us);
	for (files = 0, bytes = 0, t0 = mono_us(), end = t0 + duration_s * 1000000LL;
	     files == 0 || mono_us() < end; files++) {
		size_t got = download(c, aid, res);
		if (got != size)
			goto out;
		bytes += (double)got;
	}
	res->get_us = mono_us() - t0;
	res->get_mib_s = mib_s(bytes, res->get_us);
	res->files = files;
	if (dsn == NULL || (pq = pq_setup(dsn, res)) == NULL)
		goto out;
	for (files = 0, bytes = 0, t0 = mono_us(), end = t0 + duration_s * 1000000LL;
	     files == 0 || mono_us() < end; files++) {
		int64_t began = mono_us();
		if (!pq_file(pq, true, files, data, size, cs, res))
			goto out;
		res->pq_put_us += mono_us() - began;
		bytes += (double)size;
		if (files > 0) { /* not timed: keep one file, as crmd's side does */
			char q[96];
			snprintf(q, sizeof(q), "DELETE FROM bench_attachment_chunks WHERE attachment_id = %ld",
				 files - 1);
			if (!pq_ok(pq, PQexec(pq, q), res))
				goto out;
		}
	}
	res->pq_put_mib_s = mib_s(bytes, res->pq_put_us);
	for (long f = files - 1, n = 0; n == 0 || mono_us() < end; n++) {
		if (n == 0) {
			bytes = 0;
			t0 = mono_us();
			end = t0 + duration_s * 1000000LL;
		}
		if (!pq_file(pq, false, f, data, size, cs, res))
			goto out;
		bytes += (double)size;
	}
	res->pq_get_us = mono_us() - t0;
	res->pq_get_mib_s = mib_s(bytes, res->pq_get_us);
	pq_ok(pq, PQexec(pq, "DROP TABLE bench_attachment_chunks"), res);
out:
	if (aid != 0)
		delete_attachment(c, aid, res);
	PQfinish(pq);
	free(data);
}
