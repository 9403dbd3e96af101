/* handlers: the table from request type to handler. */
#include "handlers.h"

#include <inttypes.h>

crm_handler_fn crm_handler_find(Crm__ClientFrame__RequestCase which) {
	switch (which) {
	case CRM__CLIENT_FRAME__REQUEST_PING:
		return crm_handle_deep_ping;
	case CRM__CLIENT_FRAME__REQUEST_SLEEP:
		return crm_handle_sleep;
	case CRM__CLIENT_FRAME__REQUEST_NOTE_CREATE:
		return crm_handle_note_create;
	case CRM__CLIENT_FRAME__REQUEST_NOTE_GET:
		return crm_handle_note_get;
	default:
		return NULL;
	}
}

const char *crm_hctx_i64(crm_hctx *h, int64_t v) { return crm_arena_printf(h->arena, "%" PRId64, v); }
