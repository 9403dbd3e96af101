/* arena: see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 4096
#define ALIGN 16

struct crm_arena_chunk {
	crm_arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

static void *pb_alloc(void *data, size_t size) { return crm_arena_alloc(data, size); }
static void pb_free(void *data, void *ptr) { (void)data, (void)ptr; }

void crm_arena_init(crm_arena *a) {
	a->chunks = NULL;
	a->used = 0;
	a->total = 0;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
}

void crm_arena_fini(crm_arena *a) {
	crm_arena_chunk *c = a->chunks, *next;

	while (c) {
		next = c->next;
		free(c);
		c = next;
	}
	a->chunks = NULL;
	a->used = 0;
	a->total = 0;
}

void *crm_arena_alloc(crm_arena *a, size_t size) {
	crm_arena_chunk *c = a->chunks;
	size_t need;
	void *p;

	if (size > SIZE_MAX - ALIGN - sizeof(crm_arena_chunk))
		abort(); /* no such allocation can succeed; never wrap around */
	need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (c == NULL || c->size - a->used < need) {
		size_t sz = need > CHUNK_SIZE ? need : CHUNK_SIZE;
		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			abort();
		c->size = sz;
		c->next = a->chunks;
		a->chunks = c;
		a->used = 0;
	}
	p = c->data + a->used;
	a->used += need;
	a->total += need;
	return p;
}

char *crm_arena_strdup(crm_arena *a, const char *s) {
	size_t n = strlen(s) + 1;
	return memcpy(crm_arena_alloc(a, n), s, n);
}

char *crm_arena_printf(crm_arena *a, const char *fmt, ...) {
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = crm_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
