/*
 * tls: the server's OpenSSL context. A context is built whole in a local,
 * checked (chain, key), then swapped in under a lock; connections take a
 * new SSL from whatever context is current and keep it (an SSL holds a
 * reference to its SSL_CTX), so a reload never touches a live context and
 * open connections carry on.
 *
 * Policy: TLS 1.2 minimum; on 1.2 only ECDHE with AEAD ciphers (no static
 * RSA, no CBC); TLS 1.3 suites are all AEAD; no compression, no
 * renegotiation; SSL_MODE_RELEASE_BUFFERS for idle connections.
 *
 * crm_tls_new_ssl may be called from any thread; crm_tls_load from the
 * main thread only.
 */
#ifndef CRM_TLS_H
#define CRM_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "config.h"

/* Builds a context from cfg's tls_* keys and makes it current. On failure
 * the current context (if any) stays and err says why. */
bool crm_tls_load(const crm_config *cfg, crm_err *err) CRM_MUSTCHECK;

/* A new server-side SSL from the current context; NULL on failure. */
SSL *crm_tls_new_ssl(void);

/* Releases the current context (at exit). */
void crm_tls_shutdown(void);

/* Appends the OpenSSL error queue to buf (for logs), clearing it. */
void crm_tls_errors(char *buf, size_t size);

#endif
