/* proxy: see proxy.h. */
#include "proxy.h"

#include <netinet/in.h>
#include <string.h>

static const uint8_t signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

crm_proxy_result crm_proxy_parse(const uint8_t *buf, size_t len, size_t *need,
				 struct sockaddr_storage *src, bool *local, crm_err *err) {
	size_t body;
	uint8_t cmd, fam;

	*need = CRM_PROXY_HEADER_MIN;
	if (memcmp(buf, signature, len < 12 ? len : 12) != 0) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "proxy", "missing PROXY v2 signature");
		return CRM_PROXY_ERROR;
	}
	if (len < CRM_PROXY_HEADER_MIN)
		return CRM_PROXY_MORE;
	if ((buf[12] & 0xF0) != 0x20) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "proxy", "unsupported PROXY version");
		return CRM_PROXY_ERROR;
	}
	cmd = buf[12] & 0x0F;
	fam = buf[13];
	body = (size_t)buf[14] << 8 | buf[15];
	if (cmd > 1 || CRM_PROXY_HEADER_MIN + body > CRM_PROXY_HEADER_MAX) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "proxy", "bad PROXY command or length");
		return CRM_PROXY_ERROR;
	}
	*need = CRM_PROXY_HEADER_MIN + body;
	if (len < *need)
		return CRM_PROXY_MORE;
	*local = cmd == 0;
	if (*local)
		return CRM_PROXY_DONE;
	if (fam == 0x11 && body >= 12) { /* TCP over IPv4 */
		struct sockaddr_in *sin = (struct sockaddr_in *)src;
		memset(src, 0, sizeof(*src));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf + 16, 4);
		memcpy(&sin->sin_port, buf + 24, 2);
	} else if (fam == 0x21 && body >= 36) { /* TCP over IPv6 */
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)src;
		memset(src, 0, sizeof(*src));
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, buf + 16, 16);
		memcpy(&sin6->sin6_port, buf + 48, 2);
	} else if (fam != 0x00) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "proxy", "unsupported PROXY address family");
		return CRM_PROXY_ERROR;
	} else {
		*local = true; /* UNSPEC: keep the balancer's own address */
	}
	return CRM_PROXY_DONE;
}
