/*
 * preauth: per client address, how many connections have not logged in
 * yet, so that one address cannot hold every connection slot with clients
 * that never log in (max_preauth_per_address).
 *
 * The address is the peer's, or the PROXY v2 source when the peer is a
 * trusted proxy. IPv6 addresses count per /64 (one host usually holds a
 * whole /64); IPv4-mapped IPv6 addresses count as the IPv4 address.
 *
 * One table for the whole process, guarded by a mutex: any I/O thread may
 * call these. An entry lives while its count is above zero, so the table
 * holds at most one entry per open connection.
 */
#ifndef CRM_PREAUTH_H
#define CRM_PREAUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crm_status.h"

typedef struct crm_preauth_key {
	uint8_t bytes[17]; /* family (4 or 6), then the address or /64 prefix */
} crm_preauth_key;

/* The key an address counts under. */
void crm_preauth_key_of(const struct sockaddr_storage *ss, crm_preauth_key *key);

/*
 * Counts one more connection under `key` unless `max` are counted already.
 * False when the address is at its cap (or, rarely, out of memory): the
 * caller refuses the connection. Each true is paired with one release.
 */
bool crm_preauth_acquire(const crm_preauth_key *key, int max) CRM_MUSTCHECK;
void crm_preauth_release(const crm_preauth_key *key);

/* How many are counted under `key` (for tests). */
int crm_preauth_count(const crm_preauth_key *key);

#endif
