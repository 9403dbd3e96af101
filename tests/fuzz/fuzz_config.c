/*
 * fuzz_config: crm_config_load_string on arbitrary text. Beyond the
 * sanitizers it checks that loading fails if and only if an error is set,
 * that every error names a key or a line, and that an accepted config
 * respects every documented limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crm_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const crm_config *c) {
	if (c->n_listen < 1 || c->n_listen > CRM_CONFIG_MAX_LISTEN)
		abort();
	for (int i = 0; i < c->n_listen; i++)
		if (c->listen[i].port == 0 || c->listen[i].host[0] == '\0')
			abort();
	if (c->n_trusted_proxies < 0 || c->n_trusted_proxies > CRM_CONFIG_MAX_PROXIES)
		abort();
	if (c->io_threads < 1 || c->io_threads > 64 || c->db_workers < 1 ||
	    c->db_workers > 256 || c->queue_length < 1 || c->queue_length > 100000 ||
	    c->max_inflight < 1 || c->max_inflight > 1024 || c->db_retries < 0 ||
	    c->db_retries > 10 || c->max_connections < 1 || c->max_connections > 1000000)
		abort();
	if (c->max_frame < CRM_FRAME_MIN_FLOOR || c->max_frame > CRM_FRAME_MAX_CEILING ||
	    c->max_frame_preauth < 1024 || c->max_frame_preauth > c->max_frame)
		abort();
	if (c->handshake_timeout <= 0 || c->idle_timeout <= 0 || c->request_timeout <= 0 ||
	    c->shutdown_grace <= 0)
		abort();
	if (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0')
		abort();
	if (c->tls_client_cert_required && c->tls_client_ca[0] == '\0')
		abort();
	if (c->log_level < CRM_LOG_ERROR || c->log_level > CRM_LOG_DEBUG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *text = malloc(size + 1);
	crm_config cfg;
	crm_err err;
	bool ok;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	crm_err_clear(&err);
	ok = crm_config_load_string(text, &cfg, &err);
	if (ok == crm_err_isset(&err))
		abort();
	if (ok)
		check_accepted(&cfg);
	else if (err.field[0] == '\0' || err.msg[0] == '\0')
		abort();
	free(text);
	return 0;
}
