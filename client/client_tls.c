/*
 * client_tls: the client side of TLS. Builds the SSL_CTX (TLS 1.2+, forward
 * secret AEAD suites, the given CA, an optional client certificate), runs
 * the handshake with SNI and a host-name or IP check, and turns every way
 * that can fail into a message that says what to fix.
 *
 * Sockets go through a BIO that writes with MSG_NOSIGNAL: a server that
 * went away must not kill the application with SIGPIPE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "client_internal.h"
#include "i18n.h"

/* TLS 1.2 suites: ECDHE only (forward secrecy), AEAD only. TLS 1.3's
 * suites are all AEAD with forward secrecy already. */
#define CLIENT_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"

/* ---------------------------------------------------------------- socket BIO */

static BIO_METHOD *nosig_method;
static pthread_once_t nosig_once = PTHREAD_ONCE_INIT;

static int nosig_write(BIO *b, const char *buf, int len) {
	int fd = -1, n;

	BIO_get_fd(b, &fd);
	errno = 0;
	n = (int)send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	BIO_clear_retry_flags(b);
	if (n <= 0 && BIO_sock_should_retry(n))
		BIO_set_retry_write(b);
	return n;
}

/* A socket BIO in every respect but the write. */
static void nosig_init(void) {
	const BIO_METHOD *sock = BIO_s_socket();
	BIO_METHOD *m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
			 "crm socket");
	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, nosig_write) ||
	    !BIO_meth_set_read(m, BIO_meth_get_read(sock)) ||
	    !BIO_meth_set_puts(m, BIO_meth_get_puts(sock)) ||
	    !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(m, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock))) {
		BIO_meth_free(m);
		return;
	}
	nosig_method = m;
}

static BIO *nosig_bio(int fd) {
	BIO *b;

	pthread_once(&nosig_once, nosig_init);
	if (nosig_method == NULL)
		return NULL;
	b = BIO_new(nosig_method);
	if (b != NULL)
		BIO_set_fd(b, fd, BIO_NOCLOSE);
	return b;
}

/* ---------------------------------------------------------------- context */

/* The names a certificate is valid for: its DNS and IP SANs, or its CN. */
static void cert_names(X509 *cert, char *out, size_t outsz) {
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	char ip[INET6_ADDRSTRLEN];
	int i;

	out[0] = '\0';
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const char *name = NULL;
		if (gn->type == GEN_DNS)
			name = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		else if (gn->type == GEN_IPADD && (gn->d.iPAddress->length == 4 ||
						   gn->d.iPAddress->length == 16))
			name = inet_ntop(gn->d.iPAddress->length == 4 ? AF_INET : AF_INET6,
					 gn->d.iPAddress->data, ip, sizeof(ip));
		if (name != NULL && used < outsz)
			used += (size_t)snprintf(out + used, outsz - used, "%s%s",
						 used ? ", " : "", name);
	}
	GENERAL_NAMES_free(sans);
	if (out[0] == '\0' &&
	    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out,
				      (int)outsz) < 0)
		snprintf(out, outsz, "%s", _("no name at all"));
}

/* Records the first problem; OpenSSL's decision stands. */
static int verify_cb(int ok, X509_STORE_CTX *store) {
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	crm_client *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);

	if (ok || c == NULL || c->verify.error != 0)
		return ok;
	c->verify.error = X509_STORE_CTX_get_error(store);
	c->verify.depth = X509_STORE_CTX_get_error_depth(store);
	if (cert != NULL) {
		X509_NAME_oneline(X509_get_subject_name(cert), c->verify.subject,
				  sizeof(c->verify.subject));
		X509_NAME_oneline(X509_get_issuer_name(cert), c->verify.issuer,
				  sizeof(c->verify.issuer));
		cert_names(cert, c->verify.names, sizeof(c->verify.names));
	}
	return ok;
}

static bool file_readable(const char *path, const char *field, const char *what, crm_err *err) {
	if (access(path, R_OK) == 0)
		return true;
	return crm_err_set(err, CRM_INVALID_ARGUMENT, field, _("cannot read %s \"%s\": %s"), what, path,
			   strerror(errno));
}

static bool ctx_trust(SSL_CTX *ctx, const crm_client *c, crm_err *err) {
	if (c->ca_file == NULL) {
		if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			return crm_err_set(err, CRM_INTERNAL, "ca",
					   _("cannot load the system's trusted CAs; pass --ca"));
		return true;
	}
	if (!file_readable(c->ca_file, "ca", _("CA file"), err))
		return false;
	if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "ca",
				   _("CA file \"%s\" holds no PEM certificate (%s)"), c->ca_file,
				   ERR_reason_error_string(ERR_peek_last_error()));
	return true;
}

static bool ctx_identity(SSL_CTX *ctx, const crm_client *c, crm_err *err) {
	const char *key = c->key_file ? c->key_file : c->cert_file;

	if (c->cert_file == NULL)
		return true;
	if (!file_readable(c->cert_file, "cert", _("client certificate"), err) ||
	    !file_readable(key, "key", _("client key"), err))
		return false;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "cert",
				   _("client certificate \"%s\" is not a PEM certificate (%s)"),
				   c->cert_file, ERR_reason_error_string(ERR_peek_last_error()));
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "key",
				   _("client key \"%s\" does not belong to certificate \"%s\""), key,
				   c->cert_file);
	if (ERR_peek_last_error() != 0)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "key",
				   _("client key \"%s\" is not a PEM private key (%s)"), key,
				   ERR_reason_error_string(ERR_peek_last_error()));
	if (SSL_CTX_check_private_key(ctx) != 1)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "key",
				   _("client key \"%s\" does not belong to certificate \"%s\""), key,
				   c->cert_file);
	return true;
}

SSL_CTX *crm_client_tls_ctx_new(const crm_client *c, crm_err *err) {
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		crm_err_set(err, CRM_INTERNAL, NULL, _("cannot create a TLS context"));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A large reply (an attachment's chunk) is many TLS records: read
	 * ahead into a larger buffer takes several in one read() instead of
	 * two read()s per record (client_io.c reads until WANT_READ, so no
	 * record waits in the buffer). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	if (SSL_CTX_set_cipher_list(ctx, CLIENT_CIPHERS) != 1) {
		crm_err_set(err, CRM_INTERNAL, NULL, _("cannot set the TLS cipher list"));
		goto fail;
	}
	if (!ctx_trust(ctx, c, err) || !ctx_identity(ctx, c, err))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* ---------------------------------------------------------------- errors */

static bool explain_verify(crm_client *c, crm_err *err) {
	long e = c->verify.error ? c->verify.error : SSL_get_verify_result(c->ssl);
	const char *what = X509_verify_cert_error_string(e);

	switch (e) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("host name mismatch: certificate is for %s, you connected to %s; "
				   "use a name the certificate lists or have it reissued"),
				   c->verify.names, c->host);
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return crm_err_set(err, CRM_UNAVAILABLE, "ca",
				   _("certificate verify failed: %s; pass --ca with the CA that signed "
				   "the server's certificate (issuer: %s)"),
				   what, c->verify.issuer);
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("certificate verify failed: %s (%s); renew the certificate or "
				   "check this machine's clock"),
				   what, c->verify.subject);
	default:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("certificate verify failed: %s (certificate %s)"), what,
				   c->verify.subject);
	}
}

/* OpenSSL reasons worth their own advice; the rest get OpenSSL's words. */
static const struct {
	int reason;
	const char *field;
	const char *advice;
} reasons[] = {
	{SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, "cert",
	 N_("the server requires a client certificate; pass --cert and --key")},
	{SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, "cert",
	 N_("the server rejected the client certificate; use one signed by a CA the server trusts")},
	{SSL_R_TLSV1_ALERT_UNKNOWN_CA, "cert",
	 N_("the server does not trust the client certificate's CA")},
	{SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED, "cert",
	 N_("the server says the client certificate has expired")},
	{SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN, "cert",
	 N_("the server rejected the client certificate")},
	{SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, "server",
	 N_("no TLS version in common with the server (this client speaks TLS 1.2 and 1.3)")},
	{SSL_R_UNSUPPORTED_PROTOCOL, "server",
	 N_("no TLS version in common with the server (this client speaks TLS 1.2 and 1.3)")},
	{SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE, "server",
	 N_("the server refused the handshake: no cipher suite in common, or it requires a "
	 "client certificate (--cert, --key)")},
	{SSL_R_NO_CIPHERS_AVAILABLE, "server", N_("no cipher suite in common with the server")},
	{SSL_R_WRONG_VERSION_NUMBER, "server",
	 N_("the server did not answer with TLS; is this the address and port of crmd?")},
	{SSL_R_PACKET_LENGTH_TOO_LONG, "server",
	 N_("the server did not answer with TLS; is this the address and port of crmd?")},
};

static bool closed(crm_client *c, const char *when, crm_err *err) {
	if (!c->connected) /* OpenSSL forgets that the handshake was done once it failed */
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("%s %s: the server closed the connection during the handshake; "
				   "is this the address and port of crmd?"),
				   when, c->server);
	return crm_err_set(err, CRM_UNAVAILABLE, NULL, _("%s %s: the server closed the connection"),
			   when, c->server);
}

static bool explain_ssl(crm_client *c, const char *when, crm_err *err) {
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	char buf[160];
	size_t i;

	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
		return explain_verify(c, err);
	if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return closed(c, when, err);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == reason)
			return crm_err_set(err, CRM_UNAVAILABLE, reasons[i].field, _("%s %s: %s"),
					   when, c->server, _(reasons[i].advice));
	ERR_error_string_n(e, buf, sizeof(buf));
	return crm_err_set(err, CRM_UNAVAILABLE, "server", _("%s %s: TLS error: %s"), when, c->server,
			   e ? buf : _("unknown"));
}

/* when: "TLS handshake with" or "connection to", followed by the server. */
static bool explain(crm_client *c, int ret, const char *when, crm_err *err) {
	int e = SSL_get_error(c->ssl, ret);
	int saved = errno;

	c->tls_failed = true;
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return closed(c, when, err);
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_last_error() != 0)
			return explain_ssl(c, when, err);
		if (saved == 0 || saved == ECONNRESET || saved == EPIPE)
			return closed(c, when, err);
		return crm_err_set(err, CRM_UNAVAILABLE, NULL, "%s %s: %s", when, c->server,
				   strerror(saved));
	case SSL_ERROR_SSL:
		return explain_ssl(c, when, err);
	default:
		return crm_err_set(err, CRM_UNAVAILABLE, NULL, _("%s %s: TLS error %d"), when,
				   c->server, e);
	}
}

void crm_client_tls_io_error(crm_client *c, int ret, crm_err *err) {
	explain(c, ret, _("connection to"), err);
}

/* ---------------------------------------------------------------- handshake */

static bool ssl_setup(crm_client *c, crm_err *err) {
	BIO *bio;

	c->ssl = SSL_new(c->ctx);
	bio = nosig_bio(c->fd);
	if (c->ssl == NULL || bio == NULL) {
		BIO_free(bio);
		return crm_err_set(err, CRM_INTERNAL, NULL, _("cannot create a TLS connection"));
	}
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_app_data(c->ssl, c);
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	memset(&c->verify, 0, sizeof(c->verify));
	c->tls_failed = false;
	if (c->host_is_ip) {
		/* SNI carries names only (RFC 6066); an IP is checked against IP SANs */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) != 1)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, "server",
					   _("bad IP address \"%s\""), c->host);
		return true;
	}
	if (SSL_set_tlsext_host_name(c->ssl, c->host) != 1 || SSL_set1_host(c->ssl, c->host) != 1)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "server", _("bad host name \"%s\""),
				   c->host);
	return true;
}

bool crm_client_tls_handshake(crm_client *c, int64_t deadline_us, crm_err *err) {
	int ret, e;

	if (!ssl_setup(c, err))
		return false;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		ret = SSL_connect(c->ssl);
		if (ret == 1)
			return true;
		e = SSL_get_error(c->ssl, ret);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return explain(c, ret, _("TLS handshake with"), err);
		if (!crm_client_net_wait(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
					 deadline_us)) {
			c->tls_failed = true;
			return crm_err_set(err, CRM_UNAVAILABLE, "server",
					   _("TLS handshake with %s timed out after %d ms; is this the "
					   "address and port of crmd?"),
					   c->server, c->opt.connect_timeout_ms);
		}
	}
}
