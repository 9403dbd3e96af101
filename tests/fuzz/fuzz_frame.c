/*
 * fuzz_frame: the server's receive path without the network. The input is
 * a byte stream as it would arrive on a connection: 4-byte big-endian
 * length, body, repeated. Each body is unpacked as a ClientFrame, checked
 * by protobuf-c and validated by crm_wire_validate, then freed.
 *
 * Beyond the sanitizers it checks the validator's contract: it fails if
 * and only if it set an error, and every error names a field and a valid
 * status.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crm_wire.h"

/* Larger than any default limit, small enough to keep runs fast. */
#define FUZZ_MAX_FRAME (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const uint8_t *body, size_t len) {
	Crm__ClientFrame *f = crm__client_frame__unpack(NULL, len, body);
	crm_err err;
	bool ok;

	if (f == NULL)
		return; /* the server answers INVALID_ARGUMENT and closes */
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
