/* tls: see tls.h. */
#include "tls.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *tls_current;

#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"
#define TLS_GROUPS "X25519:P-256:P-384"

void crm_tls_errors(char *buf, size_t size) {
	unsigned long e;
	size_t n = strlen(buf);

	while ((e = ERR_get_error()) != 0 && n + 2 < size) {
		if (n > 0)
			buf[n++] = ';', buf[n++] = ' ';
		ERR_error_string_n(e, buf + n, size - n);
		n += strlen(buf + n);
	}
}

static bool tls_fail(crm_err *err, const char *key, const char *what, const char *path) {
	char detail[512] = "";

	crm_tls_errors(detail, sizeof(detail));
	return crm_err_set(err, CRM_FAILED_PRECONDITION, key, "%s %s: %s", what, path,
			   detail[0] ? detail : "unknown error");
}

static bool setup_client_ca(SSL_CTX *ctx, const crm_config *cfg, crm_err *err) {
	STACK_OF(X509_NAME) *names;
	int mode = SSL_VERIFY_PEER;

	if (cfg->tls_client_ca[0] == '\0')
		return true;
	if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1)
		return tls_fail(err, "tls_client_ca", "cannot load CA file", cfg->tls_client_ca);
	names = SSL_load_client_CA_file(cfg->tls_client_ca);
	if (names == NULL)
		return tls_fail(err, "tls_client_ca", "no CA names in", cfg->tls_client_ca);
	SSL_CTX_set_client_CA_list(ctx, names);
	if (cfg->tls_client_cert_required)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	return true;
}

static SSL_CTX *build_ctx(const crm_config *cfg, crm_err *err) {
	static const unsigned char sid_ctx[] = "crmd";
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_fail(err, "tls_cert", "cannot create TLS context for", cfg->tls_cert);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* OpenSSL 3 reports a peer that closes without close_notify as an
	 * error libevent 2.1.12 does not recognise as a dirty shutdown; our
	 * frames carry their own lengths, so truncation is detected anyway. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* Clients resume sessions with crmd's own token, not TLS tickets:
	 * sending TLS 1.3 tickets after every handshake would be wasted work. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		tls_fail(err, "tls_cert", "cannot set cipher policy for", cfg->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
		tls_fail(err, "tls_cert", "cannot load certificate chain", cfg->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
		tls_fail(err, "tls_key", "cannot load private key", cfg->tls_key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail(err, "tls_key", "private key does not match certificate in",
			 cfg->tls_cert);
		goto fail;
	}
	if (!setup_client_ca(ctx, cfg, err))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

bool crm_tls_load(const crm_config *cfg, crm_err *err) {
	SSL_CTX *ctx = build_ctx(cfg, err), *old;

	if (ctx == NULL)
		return false;
	pthread_mutex_lock(&tls_lock);
	old = tls_current;
	tls_current = ctx;
	pthread_mutex_unlock(&tls_lock);
	SSL_CTX_free(old); /* live SSLs keep their own reference */
	return true;
}

SSL *crm_tls_new_ssl(void) {
	SSL *ssl = NULL;

	pthread_mutex_lock(&tls_lock);
	if (tls_current)
		ssl = SSL_new(tls_current);
	pthread_mutex_unlock(&tls_lock);
	return ssl;
}

void crm_tls_shutdown(void) {
	pthread_mutex_lock(&tls_lock);
	SSL_CTX_free(tls_current);
	tls_current = NULL;
	pthread_mutex_unlock(&tls_lock);
}
