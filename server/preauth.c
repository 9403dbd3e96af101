/* preauth: see preauth.h. A chained hash table with a fixed bucket array. */
#include "preauth.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

typedef struct entry {
	struct entry *next;
	crm_preauth_key key;
	int count;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *buckets[BUCKETS];

void crm_preauth_key_of(const struct sockaddr_storage *ss, crm_preauth_key *key) {
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

	memset(key, 0, sizeof(*key));
	if (ss->ss_family == AF_INET) {
		key->bytes[0] = 4;
		memcpy(key->bytes + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			key->bytes[0] = 4;
			memcpy(key->bytes + 1, a + 12, 4);
		} else {
			key->bytes[0] = 6;
			memcpy(key->bytes + 1, a, 8); /* the /64 */
		}
	}
}

static unsigned hash(const crm_preauth_key *key) {
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(key->bytes); i++)
		h = (h ^ key->bytes[i]) * 16777619u;
	return h % BUCKETS;
}

/* Caller holds the lock. */
static entry **find(const crm_preauth_key *key) {
	entry **e = &buckets[hash(key)];

	while (*e && memcmp(&(*e)->key, key, sizeof(*key)) != 0)
		e = &(*e)->next;
	return e;
}

bool crm_preauth_acquire(const crm_preauth_key *key, int max) {
	bool ok = false;
	entry **e;

	pthread_mutex_lock(&lock);
	e = find(key);
	if (*e == NULL && max > 0 && (*e = calloc(1, sizeof(**e))) != NULL)
		(*e)->key = *key;
	if (*e && (*e)->count < max) {
		(*e)->count++;
		ok = true;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

void crm_preauth_release(const crm_preauth_key *key) {
	entry **e, *gone;

	pthread_mutex_lock(&lock);
	e = find(key);
	if (*e && --(*e)->count <= 0) {
		gone = *e;
		*e = gone->next;
		free(gone);
	}
	pthread_mutex_unlock(&lock);
}

int crm_preauth_count(const crm_preauth_key *key) {
	entry **e;
	int n;

	pthread_mutex_lock(&lock);
	e = find(key);
	n = *e ? (*e)->count : 0;
	pthread_mutex_unlock(&lock);
	return n;
}
