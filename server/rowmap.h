/*
 * rowmap: fills protobuf messages from result rows, matching columns to
 * fields by name. SQL views and functions name their columns after the
 * protocol's fields (sql/0003_identity_api.sql), so every record type maps
 * through this one piece of code instead of a hand-written copier each.
 *
 *   int64/uint64/int32/uint32  decimal text
 *   bool                       t / f
 *   string                     copied into the arena
 *   bytes                      copied into the arena (text format)
 *   enum                       the value's name, any case ("read" → READ)
 *   repeated string            a PostgreSQL array literal ({a,"b c"})
 *
 * SQL NULL leaves a field unset; columns without a field are ignored.
 */
#ifndef CRM_ROWMAP_H
#define CRM_ROWMAP_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "arena.h"

/* Allocates a message of type d in the arena and fills it from the row. */
void *crm_rowmap_new(crm_arena *a, const ProtobufCMessageDescriptor *d, const PGresult *r,
		     int row);

/* Fills every row into a repeated message field: *out gets an array of
 * PQntuples(r) messages of type d. Returns the count. */
size_t crm_rowmap_all(crm_arena *a, const ProtobufCMessageDescriptor *d, const PGresult *r,
		      void ***out);

#endif
