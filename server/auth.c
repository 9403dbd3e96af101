/* auth: see auth.h. */
#include "auth.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static unsigned long long ops;
static size_t mem;
static char dummy[CRM_HASH_MAX];

bool crm_auth_init(int memory_kib, int iterations, crm_err *err) {
	static const char probe[] = "crmd dummy password";

	if (sodium_init() < 0)
		return crm_err_set(err, CRM_INTERNAL, NULL, "libsodium failed to initialise");
	ops = (unsigned long long)iterations;
	mem = (size_t)memory_kib * 1024;
	if (crypto_pwhash_str_alg(dummy, probe, sizeof(probe) - 1, ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return crm_err_set(err, CRM_FAILED_PRECONDITION, "password_hash_memory",
				   "argon2id refused these parameters (out of memory?)");
	return true;
}

bool crm_auth_hash(const uint8_t *pw, size_t len, char out[CRM_HASH_MAX]) {
	return crypto_pwhash_str_alg(out, (const char *)pw, len, ops, mem,
				     crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool crm_auth_verify(const char *hash, const uint8_t *pw, size_t len) {
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0) {
		if (crypto_pwhash_str_verify(dummy, (const char *)pw, len) == 0)
			return false; /* the dummy never admits anyone */
		return false;
	}
	return crypto_pwhash_str_verify(hash, (const char *)pw, len) == 0;
}

bool crm_auth_policy(const uint8_t *pw, size_t len, const char *username, int min_len,
		     const char *field, crm_err *err) {
	if (len < (size_t)min_len)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "auth.password_too_short",
				     CRM_NUM(min_len), NULL);
	if (username && strlen(username) == len && strncasecmp((const char *)pw, username, len) == 0)
		return crm_err_setid(err, CRM_INVALID_ARGUMENT, field, "auth.password_is_username", NULL);
	return true;
}

void crm_auth_new_token(char text[CRM_TOKEN_TEXT], uint8_t hash[32]) {
	uint8_t raw[CRM_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(text, CRM_TOKEN_TEXT, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crm_auth_token_hash((const uint8_t *)text, strlen(text), hash);
	sodium_memzero(raw, sizeof(raw));
}

void crm_auth_token_hash(const uint8_t *token, size_t len, uint8_t hash[32]) {
	crypto_hash_sha256(hash, token, len);
}
