/*
 * auth: password hashing (argon2id through libsodium) and session tokens.
 * Hashing is deliberately slow; crmd runs it only on the auth pool's
 * threads, never on an I/O thread and never inside a transaction.
 *
 * Thread-safe after crm_auth_init.
 */
#ifndef CRM_AUTH_H
#define CRM_AUTH_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CRM_HASH_MAX crypto_pwhash_STRBYTES
#define CRM_TOKEN_BYTES 32
#define CRM_TOKEN_TEXT 44 /* base64url of 32 bytes, no padding, + NUL */

/* Sets the cost and computes the dummy hash unknown users are checked
 * against, so that a wrong username costs what a wrong password does. */
bool crm_auth_init(int memory_kib, int iterations, crm_err *err) CRM_MUSTCHECK;

bool crm_auth_hash(const uint8_t *pw, size_t len, char out[CRM_HASH_MAX]) CRM_MUSTCHECK;

/* Verifies pw against hash; with hash NULL verifies against the dummy and
 * returns false. Always spends one verification. */
bool crm_auth_verify(const char *hash, const uint8_t *pw, size_t len);

/* Password policy: length and not the username. */
bool crm_auth_policy(const uint8_t *pw, size_t len, const char *username, int min_len,
		     const char *field, crm_err *err) CRM_MUSTCHECK;

/* A new random token as text, and the SHA-256 stored for it. */
void crm_auth_new_token(char text[CRM_TOKEN_TEXT], uint8_t hash[32]);
/* The stored hash of a token as the client sends it. */
void crm_auth_token_hash(const uint8_t *token, size_t len, uint8_t hash[32]);

#endif
