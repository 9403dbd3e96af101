/*
 * fuzz_proxy: crm_proxy_parse on arbitrary bytes, as conn.c calls it while
 * a PROXY v2 header arrives: once for every prefix of the input, so each
 * partial read is seen.
 *
 * Beyond the sanitizers it checks the parser's contract: an error sets
 * crm_err and nothing else does; DONE means need <= len, MORE means
 * need > len; need never exceeds CRM_PROXY_HEADER_MAX; once a prefix is
 * an error or DONE, every longer prefix gives the same answer (more bytes
 * cannot revive a bad header or move the end of a good one); and the
 * address written is IPv4 or IPv6, only for a PROXY command.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	crm_proxy_result first = CRM_PROXY_MORE;
	size_t first_need = 0;

	/* Past the longest header nothing changes: stop there. */
	if (size > CRM_PROXY_HEADER_MAX + 64)
		size = CRM_PROXY_HEADER_MAX + 64;
	for (size_t len = 0; len <= size; len++) {
		/* An exact-size copy, so ASan sees any read past len. */
		uint8_t *buf = malloc(len ? len : 1);
		struct sockaddr_storage src;
		size_t need = SIZE_MAX;
		bool local = false;
		crm_proxy_result r;
		crm_err err;

		if (buf == NULL)
			abort();
		memcpy(buf, data, len);
		memset(&src, 0, sizeof(src));
		src.ss_family = AF_UNSPEC;
		crm_err_clear(&err);
		r = crm_proxy_parse(buf, len, &need, &src, &local, &err);
		free(buf);

		if ((r == CRM_PROXY_ERROR) != crm_err_isset(&err))
			abort();
		if (r == CRM_PROXY_ERROR &&
		    (err.code != CRM_INVALID_ARGUMENT || err.field[0] == '\0' || err.msg[0] == '\0'))
			abort();
		if (r != CRM_PROXY_ERROR && need > CRM_PROXY_HEADER_MAX)
			abort();
		if (r == CRM_PROXY_DONE && (need > len || need < CRM_PROXY_HEADER_MIN))
			abort();
		if (r == CRM_PROXY_MORE && need <= len)
			abort();
		if (r == CRM_PROXY_DONE) {
			if (local && src.ss_family != AF_UNSPEC)
				abort();
			if (!local && src.ss_family != AF_INET && src.ss_family != AF_INET6)
				abort();
		} else if (src.ss_family != AF_UNSPEC) {
			abort();
		}
		if (first != CRM_PROXY_MORE && (r != first || (r == CRM_PROXY_DONE && need != first_need)))
			abort();
		if (first == CRM_PROXY_MORE && r != CRM_PROXY_MORE) {
			first = r;
			first_need = need;
		}
	}
	return 0;
}
