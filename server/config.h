/*
 * config: crmd's configuration, read from an INI file by inih, every key
 * validated with an error naming the key and the reason. Field names are
 * the config keys, so grep finds both. deploy/crmd.conf.example documents
 * every key and its default.
 *
 * A crm_config is filled once at start-up (and again, separately, for a
 * SIGHUP reload of TLS files) and is read-only afterwards.
 */
#ifndef CRM_CONFIG_H
#define CRM_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crm_status.h"
#include "log.h"

#define CRM_CONFIG_MAX_LISTEN 8
#define CRM_CONFIG_MAX_PROXIES 32
#define CRM_CONFIG_PATH_MAX 1024
#define CRM_CONFIG_DSN_MAX 1024

typedef struct crm_listen_addr {
	char host[256]; /* numeric address or name, as written */
	uint16_t port;
} crm_listen_addr;

typedef struct crm_cidr {
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, host bits zero */
	unsigned prefix;
} crm_cidr;

typedef struct crm_config {
	/* network */
	crm_listen_addr listen[CRM_CONFIG_MAX_LISTEN];
	int n_listen;
	int max_connections;
	crm_cidr trusted_proxies[CRM_CONFIG_MAX_PROXIES];
	int n_trusted_proxies;

	/* TLS */
	char tls_cert[CRM_CONFIG_PATH_MAX];
	char tls_key[CRM_CONFIG_PATH_MAX];
	char tls_client_ca[CRM_CONFIG_PATH_MAX]; /* "" = client certificates not asked for */
	bool tls_client_cert_required;

	/* database */
	char db_app[CRM_CONFIG_DSN_MAX];   /* libpq conninfo crmd serves as */
	char db_owner[CRM_CONFIG_DSN_MAX]; /* libpq conninfo migrations run as */
	char db_auth[CRM_CONFIG_DSN_MAX];  /* libpq conninfo the auth pool runs logins as */

	/* threads and queues */
	int io_threads;
	int db_workers;
	int queue_length;

	/* limits */
	uint32_t max_frame;
	uint32_t max_frame_preauth;
	int max_inflight;
	int db_retries;
	int max_preauth_per_address; /* connections not logged in, per address */

	/* timeouts, milliseconds */
	int handshake_timeout;
	int auth_timeout; /* from hello to login; bytes received do not reset it */
	int idle_timeout;
	int request_timeout;
	int shutdown_grace;

	/* misc */
	crm_log_level log_level;
	char pid_file[CRM_CONFIG_PATH_MAX];
	bool diagnostics;

	/* authentication */
	int auth_threads;             /* password hashing pool; at most the cores */
	int auth_queue_length;
	int password_hash_memory;     /* argon2id memory, KiB */
	int password_hash_iterations; /* argon2id passes */
	int password_min_length;
	int session_lifetime;         /* ms, absolute */
	int session_idle_timeout;     /* ms */
	int login_max_failures;       /* per (username, address), before lockout */
	int login_max_failures_addr;  /* per client address */
	int login_lockout_max;        /* ms, ceiling of the doubling lockout */
	int login_user_hourly_cap;    /* a user's failures an hour, all addresses */

	/* attachments (docs/data.md, "Attachments") */
	uint32_t attachment_max_size; /* bytes of one file */
	int attachment_upload_expiry; /* ms a staged upload lives after its last chunk */
} crm_config;

/* Fills *cfg with every key's default. */
void crm_config_defaults(crm_config *cfg);

/*
 * Reads and validates the file at `path` on top of the defaults. On
 * failure err names the key ("max_frame") or, for a syntax error, the
 * line ("line 12"), and says why. Checks that TLS files are readable but
 * does not parse them (tls.c does).
 */
bool crm_config_load(const char *path, crm_config *cfg, crm_err *err) CRM_MUSTCHECK;

/* Same, from a string held in memory (the fuzzer uses it). */
bool crm_config_load_string(const char *text, crm_config *cfg, crm_err *err) CRM_MUSTCHECK;

/* True when `addr` lies inside one of the trusted_proxies ranges. */
bool crm_config_is_trusted_proxy(const crm_config *cfg, const struct sockaddr *addr);

#endif
