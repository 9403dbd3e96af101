/*
 * proxy: the PROXY protocol version 2 header a load balancer (HAProxy
 * `send-proxy-v2`) puts before the TLS handshake, carrying the client's
 * real address. Accepted only from trusted_proxies, where it is required.
 * Pure parsing; conn.c does the reading.
 */
#ifndef CRM_PROXY_H
#define CRM_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crm_status.h"

#define CRM_PROXY_HEADER_MIN 16
#define CRM_PROXY_HEADER_MAX (16 + 512)

typedef enum {
	CRM_PROXY_ERROR = -1,
	CRM_PROXY_MORE = 0, /* *need says how many bytes the header has */
	CRM_PROXY_DONE = 1, /* *need is the header's whole length */
} crm_proxy_result;

/*
 * Parses the header at the start of buf. On DONE, *src holds the client's
 * address for a PROXY command, or is left untouched (ss_family AF_UNSPEC
 * is not written) for LOCAL (a health check from the balancer itself) and
 * for unsupported families; *local says which.
 */
crm_proxy_result crm_proxy_parse(const uint8_t *buf, size_t len, size_t *need,
				 struct sockaddr_storage *src, bool *local, crm_err *err);

#endif
