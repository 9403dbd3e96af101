/*
 * arena: a per-request bump allocator. The decoded request, SQL parameters
 * and the reply all come from the request's arena and die together when it
 * is freed. Also exposed as a ProtobufCAllocator so protobuf-c unpacks
 * straight into it.
 *
 * Not thread-safe: an arena belongs to one request, which is owned by one
 * thread at a time (the I/O thread, then a worker, then the I/O thread).
 */
#ifndef CRM_ARENA_H
#define CRM_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct crm_arena_chunk crm_arena_chunk;

typedef struct crm_arena {
	crm_arena_chunk *chunks; /* newest first */
	size_t used;             /* bytes used in the newest chunk */
	size_t total;            /* bytes handed out, for limits and stats */
	ProtobufCAllocator pb;   /* allocator_data points back here */
} crm_arena;

void crm_arena_init(crm_arena *a);
void crm_arena_fini(crm_arena *a);

/* Never returns NULL: allocation failure aborts the process, as for any
 * server that cannot continue without memory. Memory is 16-byte aligned. */
void *crm_arena_alloc(crm_arena *a, size_t size);
char *crm_arena_strdup(crm_arena *a, const char *s);
char *crm_arena_printf(crm_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
