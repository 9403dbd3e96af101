/*
 * fuzz_frame: the server's receive path without the network. The input is
 * a byte stream as it would arrive on a connection: 4-byte big-endian
 * length, body, repeated. Each body is unpacked as a ClientFrame, checked
 * by protobuf-c and validated by crm_wire_validate, then freed.
 *
 * Each body first goes through crm_wire_prescan, as the server does.
 *
 * Beyond the sanitizers it checks the validator's contract: it fails if
 * and only if it set an error, and every error names a field and a valid
 * status; and the pre-scan's: same contract, and bytes it calls malformed
 * are bytes protobuf-c refuses too (else the server would close a
 * connection for a frame it could have read).
 */
#include <stdint.h>
#include <stdlib.h>

#include "crm_wire.h"

/* Larger than any default limit, small enough to keep runs fast. */
#define FUZZ_MAX_FRAME (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns whether the server would go on to unpack the frame. */
static bool check_prescan(const uint8_t *body, size_t len, bool *malformed) {
	crm_err err;
	bool ok;

	crm_err_clear(&err);
	ok = crm_wire_prescan(&crm__client_frame__descriptor, body, len, malformed, &err);
	if (ok == crm_err_isset(&err) || (ok && *malformed))
		abort();
	if (!ok && (err.code != CRM_INVALID_ARGUMENT || err.field[0] == '\0' || err.msg[0] == '\0'))
		abort();
	(void)crm_wire_peek_id(body, len);
	return ok;
}

static void check_frame(const uint8_t *body, size_t len) {
	bool malformed;
	bool scanned = check_prescan(body, len, &malformed);
	Crm__ClientFrame *f = crm__client_frame__unpack(NULL, len, body);
	crm_err err;
	bool ok;

	if (malformed && f != NULL)
		abort();
	if (f == NULL)
		return; /* the server answers INVALID_ARGUMENT and closes */
	if (!scanned) { /* the server answers without unpacking */
		crm__client_frame__free_unpacked(f, NULL);
		return;
	}
	if (protobuf_c_message_check(&f->base)) {
		crm_err_clear(&err);
		ok = crm_wire_validate(f, &err);
		if (ok == crm_err_isset(&err))
			abort();
		if (!ok && (!crm_status_valid(err.code) || err.code == CRM_OK ||
			    err.field[0] == '\0' || err.msg[0] == '\0'))
			abort();
		if (crm_wire_request_name(f) == NULL)
			abort();
		if (ok && f->has_idempotency_key && !crm_wire_request_mutates(f))
			abort();
	}
	crm__client_frame__free_unpacked(f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	while (size >= CRM_FRAME_HEADER) {
		uint32_t len = crm_frame_get_len(data);

		data += CRM_FRAME_HEADER;
		size -= CRM_FRAME_HEADER;
		/* Over the limit: refused before the body is read. Longer than
		 * what is left: a truncated frame, the connection waits. */
		if (len > FUZZ_MAX_FRAME || len > size)
			break;
		check_frame(data, len);
		data += len;
		size -= len;
	}
	return 0;
}
