/*
 * crm_messages: the stable ids of the error messages crmd's C code sends,
 * with their English templates, and the look-up of any id's template.
 *
 * An error a client may see carries, besides its English text, a message
 * id and positional arguments (crm_err_setid, proto/crm_status.h); the
 * template's %1$s .. %9$s stand for the arguments. The ids of the errors
 * the SQL raises are listed in sql/modules/15_messages.sql, which
 * proto/gen_messages.py turns into crm_messages_sql.h at build time; the
 * two lists together are every id (tests/integration/test_error_ids.py
 * checks that ids are unique and that every error site names a listed id
 * with as many arguments as its template takes). The templates are marked
 * N_() so that xgettext finds them for the "crm" text domain (po/). An id
 * never changes its meaning; a message that says something else gets a
 * new id. proto/README.md, "Error messages", has the rules.
 */
#ifndef CRM_MESSAGES_H
#define CRM_MESSAGES_H

#include <stddef.h>

#ifndef N_
#define N_(s) s
#endif

/*  id                                 English template */
#define CRM_MESSAGES_C(X)                                                                          \
	/* protocol validators (proto/crm_wire.c) */                                                \
	X("wire.empty", N_("must not be empty"))                                                    \
	X("wire.too_short", N_("must be at least %1$s bytes"))                                      \
	X("wire.too_long", N_("must be at most %1$s bytes"))                                        \
	X("wire.nul_byte", N_("contains a NUL byte at offset %1$s"))                                \
	X("wire.control_char", N_("contains a control character at offset %1$s"))                  \
	X("wire.bad_utf8", N_("is not valid UTF-8 at offset %1$s"))                                 \
	X("wire.too_many_values", N_("has %1$s values; at most %2$s"))                              \
	X("wire.unknown_enum", N_("unknown value %1$s"))                                            \
	X("wire.malformed", N_("malformed frame: not a %1$s message (%2$s in %3$s)"))               \
	X("wire.too_many_fields", N_("has more than %1$s fields in all; at most %2$s"))             \
	X("wire.repeated_over", N_("has more than %1$s values; at most %2$s"))                      \
	X("wire.occurs_over", N_("occurs more than %1$s times; at most %2$s"))                      \
	X("wire.nesting", N_("nests messages more than %1$s deep"))                                 \
	X("wire.required", N_("is required"))                                                       \
	X("wire.positive_id", N_("must be a positive id"))                                          \
	X("wire.range", N_("must be between %1$s and %2$s"))                                        \
	X("wire.must_be_set", N_("must be set"))                                                    \
	X("wire.page_limit", N_("must be between 1 and %1$s"))                                      \
	X("wire.unknown_request",                                                                   \
	  N_("unknown request type (field %1$s); upgrade the server or the client"))                \
	X("wire.no_request", N_("no request in frame"))                                             \
	X("wire.user_or_team", N_("give exactly one of user or team"))                              \
	X("wire.record_kind", N_("must hold an account, a contact or a note"))                      \
	X("wire.id_zero",                                                                           \
	  N_("must not be 0: 0 is reserved for connection-level errors; use 1 or more"))            \
	X("wire.idempotency_not_mutating", N_("only requests that change data take one"))           \
	/* connections (server/conn.c) */                                                           \
	X("conn.protocol_version", N_("protocol version %1$s is not supported; this server "        \
				      "speaks %2$s.x (supported: %3$s.%4$s); upgrade the client " \
				      "or the server"))                                           \
	X("conn.not_served", N_("this server does not serve %1$s"))                                 \
	X("conn.login_first", N_("log in first (crm login USERNAME)"))                              \
	X("conn.inflight_cap", N_("too many requests in flight on this connection (max %1$s); "     \
				  "wait for replies before sending more"))                          \
	X("conn.id_in_flight", N_("request id %1$s is already in flight on this connection"))      \
	X("conn.busy", N_("server busy: all database workers are occupied and the queue is full; " \
			  "retry shortly"))                                                         \
	X("conn.malformed", N_("malformed frame: not a ClientFrame message"))                       \
	X("conn.hello_first", N_("the first request on a connection must be hello"))                \
	X("conn.hello_again", N_("hello was already done on this connection"))                      \
	X("conn.shutting_down", N_("server is shutting down; reconnect and retry"))                 \
	X("conn.frame_too_big", N_("frame of %1$s bytes exceeds this connection's limit of %2$s "   \
				   "bytes"))                                                        \
	X("conn.too_many", N_("too many connections (max %1$s); try again later"))                  \
	X("conn.too_many_preauth",                                                                  \
	  N_("too many connections from %1$s that have not logged in (max_preauth_per_address "     \
	     "%2$s); log in on one of them or try again later"))                                    \
	X("conn.auth_timeout", N_("no login within auth_timeout (%1$s s) of hello or logout; "      \
				  "connect again and log in"))                                      \
	/* requests, logins, idempotency (server/worker.c, server/auth.c) */                       \
	X("idempotency.changed", N_("key changed meanwhile; retry"))                                \
	X("idempotency.reused",                                                                     \
	  N_("this key was already used for a different request; use a new key"))                   \
	X("idempotency.unreadable", N_("stored result for this key is unreadable"))                 \
	X("auth.hash_busy", N_("cannot hash the password now; retry"))                              \
	X("auth.invalid_login", N_("invalid username or password"))                                 \
	X("auth.wrong_old_password", N_("is not your current password"))                           \
	X("auth.lockout_new_address",                                                               \
	  N_("too many failed logins for this user from addresses it has not logged in from; "      \
	     "try again in %1$s s or from an address you used before"))                             \
	X("auth.lockout_address", N_("too many failed logins for this user from this address, or " \
				     "from this address; try again in %1$s s"))                     \
	X("auth.password_too_short", N_("must be at least %1$s bytes long"))                        \
	X("auth.password_is_username", N_("must not be the username"))                              \
	X("auth.session_gone", N_("session expired or revoked: log in again"))                      \
	X("request.queue_timeout",                                                                  \
	  N_("request waited in the queue longer than the server allows; retry"))                   \
	X("request.shutting_down", N_("server is shutting down"))                                   \
	X("request.instant_range",                                                                  \
	  N_("%1$s must be an instant between 0001-01-01 and 9999-12-31 (microseconds since "       \
	     "1970, or a date such as 2026-03-01)"))                                                \
	X("request.type_must_be", N_("must be a record type this server serves: %1$s"))            \
	X("request.type_must_hold", N_("must hold a record type this server serves: %1$s"))         \
	X("request.share_type_not_served", N_("must be a record type this server serves: %1$s"))    \
	X("request.diagnostics_off",                                                                \
	  N_("diagnostic requests are disabled on this server (diagnostics = false)"))              \
	X("request.no_such_user", N_("no such user"))                                               \
	X("request.no_such_team", N_("no such team"))                                               \
	X("request.no_such_role", N_("no such role (see crm role list)"))                           \
	X("request.no_such_record", N_("no such %1$s"))                                             \
	X("request.session_user_missing", N_("session user not found"))                            \
	X("request.user_not_created", N_("user not created"))                                       \
	X("request.team_not_created", N_("team not created"))                                       \
	X("request.permission_not_set", N_("permission not set"))                                   \
	/* list cursors (server/cursor.c) */                                                        \
	X("cursor.not_issued", N_("is not a cursor this server issued"))                            \
	X("cursor.altered", N_("has been altered; start the list again"))                           \
	X("cursor.other_user", N_("was issued to another user"))                                    \
	X("cursor.expired", N_("has expired; start the list again"))                                \
	X("cursor.other_list",                                                                      \
	  N_("belongs to a list with other filters or sort; start the list again"))                 \
	/* the database (server/db.c) */                                                            \
	X("db.busy", N_("database busy; retry"))                                                    \
	X("db.lost", N_("database connection lost; retry shortly"))                                 \
	X("db.unavailable", N_("database unavailable; retry in a few seconds"))                     \
	X("db.outcome_unknown", N_("connection to the database was lost after the change was "     \
				   "sent; its outcome is unknown: check before retrying"))          \
	X("db.timeout", N_("request took longer than the server allows"))                           \
	X("db.internal", N_("internal error; the server log has the details"))                      \
	X("db.not_valid", N_("is not valid"))                                                       \
	X("db.exists", N_("a record with this value already exists"))                               \
	X("db.missing_reference", N_("a record it refers to does not exist"))                       \
	X("db.denied", N_("permission denied"))                                                     \
	X("db.out_of_resources", N_("the database is out of resources; retry later"))               \
	X("db.bad_value", N_("a value is out of range or not valid"))                               \
	/* libcrmclient's own (client/client_io.c, client/crmclient.c): no server sends them */     \
	X("client.request_too_big",                                                                 \
	  N_("the request is %1$s bytes; the server accepts at most %2$s"))                         \
	X("client.not_connected", N_("not connected to %1$s"))                                      \
	X("client.no_status", N_("the server sent a response without a status"))                    \
	X("client.unknown_status", N_("the server answered with status %1$s: %2$s"))                \
	X("client.frame_too_big", N_("protocol error: the server sent a frame of %1$s bytes"))      \
	X("client.bad_frame", N_("protocol error: the server sent a frame that does not decode; "   \
				 "are client and server versions compatible?"))                     \
	X("client.reply_timeout", N_("no reply from %1$s in time; outcome unknown: the request "    \
				     "may or may not have been applied"))                           \
	X("client.send_timeout", N_("request not sent in time: the %1$s requests %2$s allows in "   \
				    "flight were still unanswered; it was not applied"))            \
	X("client.lost_outcome_unknown", N_("connection lost; outcome unknown: the request may "    \
					    "or may not have been applied (%1$s)"))                 \
	X("client.retry_failed", N_("connection lost; outcome unknown: the request may or may "     \
				    "not have been applied (retrying failed: %1$s)"))               \
	X("client.lost_unsent", N_("connection lost before the request was sent (%1$s)"))           \
	X("client.server_closed", N_("the server closed the connection: %1$s"))                     \
	X("client.server_shutting_down", N_("the server %1$s is shutting down"))                    \
	X("client.poll_failed", N_("poll: %1$s"))                                                   \
	X("client.hello_timeout", N_("the server %1$s did not answer the hello within %2$s ms"))    \
	X("client.no_hello", N_("the server %1$s did not answer the hello"))                        \
	X("client.resume_timeout",                                                                  \
	  N_("the server %1$s did not answer the session resume within %2$s ms"))                   \
	X("client.reconnected", N_("the client reconnected"))                                       \
	X("client.closed", N_("the client was closed"))                                             \
	/* bugs: the text is for the log and the bug report */                                      \
	X("internal.detail", N_("internal error: %1$s"))                                            \
	X("internal.no_response", N_("handler returned no response"))                               \
	X("internal.validator", N_("validator names an unknown field"))

/* The English template of a message id (C's or the SQL's), or NULL. */
const char *crm_msg_template(const char *id);

/* The i-th (id, template) of all ids, C's first; false past the end. For
 * tests and tools. */
int crm_msg_at(size_t i, const char **id, const char **tmpl);

#endif
