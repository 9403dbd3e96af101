/* cursor: see cursor.h. Layout before base64url:
 *   version(1) user_id(8) expires(8) filters_hash(16) key_len(2) key  mac(16) */
#include "cursor.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <time.h>

#define VERSION 1
#define MAC_LEN 16
#define HEAD_LEN (1 + 8 + 8 + 16 + 2)

static uint8_t cursor_key[64];
static size_t cursor_key_len;

static int hexval(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool crm_cursor_set_key(const char *hex, crm_err *err) {
	size_t digits = strlen(hex), n = digits / 2;
	uint8_t key[sizeof(cursor_key)];

	if (digits % 2 != 0 || n < 16 || n > sizeof(cursor_key))
		return crm_err_set(err, CRM_FAILED_PRECONDITION, "cursor_key",
				   "crm_meta.settings cursor_key must be 32 to 128 hex digits");
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return crm_err_set(err, CRM_FAILED_PRECONDITION, "cursor_key",
					   "crm_meta.settings cursor_key is not hex");
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	/* Only a complete, valid key replaces the one in use. */
	memcpy(cursor_key, key, n);
	cursor_key_len = n;
	return true;
}

static void put64(uint8_t *p, uint64_t v) {
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p) {
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void filters_hash(const char *filters, uint8_t out[16]) {
	uint8_t full[32];
	unsigned int n = 32;

	EVP_Digest(filters, strlen(filters), full, &n, EVP_sha256(), NULL);
	memcpy(out, full, 16);
}

static void mac(const uint8_t *data, size_t len, uint8_t out[MAC_LEN]) {
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), cursor_key, (int)cursor_key_len, data, len, full, &n);
	memcpy(out, full, MAC_LEN);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64_encode(const uint8_t *in, size_t n, char *out) {
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18], out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63], out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18], out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
	}
	return o;
}

static bool b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t *outlen) {
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = memchr(b64, in[i], 64);
		if (p == NULL || in[i] == '\0')
			return false;
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* One spelling per cursor: no stray sextet, no stray low bits. */
	if (n % 4 == 1 || (acc & ((1u << bits) - 1)) != 0)
		return false;
	*outlen = o;
	return true;
}

ProtobufCBinaryData crm_cursor_make(crm_arena *a, int64_t user_id, const char *filters,
				    const char *key) {
	size_t klen = strlen(key), n = HEAD_LEN + klen + MAC_LEN;
	uint8_t *raw = crm_arena_alloc(a, n);
	ProtobufCBinaryData out;

	raw[0] = VERSION;
	put64(raw + 1, (uint64_t)user_id);
	put64(raw + 9, (uint64_t)time(NULL) + CRM_CURSOR_TTL_S);
	filters_hash(filters, raw + 17);
	raw[33] = (uint8_t)(klen >> 8);
	raw[34] = (uint8_t)klen;
	memcpy(raw + HEAD_LEN, key, klen);
	mac(raw, HEAD_LEN + klen, raw + HEAD_LEN + klen);
	out.data = crm_arena_alloc(a, n * 4 / 3 + 4);
	out.len = b64_encode(raw, n, (char *)out.data);
	return out;
}

bool crm_cursor_read(crm_arena *a, const ProtobufCBinaryData *in, int64_t user_id,
		     const char *filters, const char *field, const char **key, crm_err *err) {
	uint8_t *raw = crm_arena_alloc(a, in->len + 4), want[MAC_LEN], fh[16];
	size_t n = 0, klen;
	char *k;

	if (!b64_decode(in->data, in->len, raw, &n) || n < HEAD_LEN + MAC_LEN)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.not_issued", NULL);
	klen = (size_t)raw[33] << 8 | raw[34];
	if (raw[0] != VERSION || HEAD_LEN + klen + MAC_LEN != n)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.not_issued", NULL);
	mac(raw, HEAD_LEN + klen, want);
	if (CRYPTO_memcmp(want, raw + HEAD_LEN + klen, MAC_LEN) != 0)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.altered", NULL);
	if ((int64_t)get64(raw + 1) != user_id)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.other_user", NULL);
	if (get64(raw + 9) < (uint64_t)time(NULL))
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.expired", NULL);
	filters_hash(filters, fh);
	if (memcmp(fh, raw + 17, 16) != 0)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "cursor.other_list", NULL);
	k = crm_arena_alloc(a, klen + 1);
	memcpy(k, raw + HEAD_LEN, klen);
	k[klen] = '\0';
	*key = k;
	return true;
}
