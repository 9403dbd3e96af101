/*
 * crm_status: the one table of status codes and the error value that
 * carries them from wherever an error is found to the client.
 *
 * Each status has its wire value (crm.Code in crm.proto), the exit code the
 * CLI uses for it and the level at which the server logs a request that
 * ended with it. Everything else derives from CRM_STATUS_TABLE.
 */
#ifndef CRM_STATUS_H
#define CRM_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#define CRM_MUSTCHECK __attribute__((warn_unused_result))
#define CRM_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Log levels, ordered by importance. */
typedef enum {
	CRM_LOG_ERROR = 0,
	CRM_LOG_WARN = 1,
	CRM_LOG_INFO = 2,
	CRM_LOG_DEBUG = 3,
} crm_log_level;

/*       name                 wire exit  log level       */
#define CRM_STATUS_TABLE(X)                                   \
	X(OK,                  1,  0,  CRM_LOG_INFO)          \
	X(INVALID_ARGUMENT,    2,  3,  CRM_LOG_INFO)          \
	X(NOT_FOUND,           3,  4,  CRM_LOG_INFO)          \
	X(ALREADY_EXISTS,      4,  5,  CRM_LOG_INFO)          \
	X(PERMISSION_DENIED,   5,  6,  CRM_LOG_WARN)          \
	X(UNAUTHENTICATED,     6,  7,  CRM_LOG_WARN)          \
	X(CONFLICT,            7,  8,  CRM_LOG_INFO)          \
	X(FAILED_PRECONDITION, 8,  9,  CRM_LOG_INFO)          \
	X(RESOURCE_EXHAUSTED,  9,  10, CRM_LOG_WARN)          \
	X(UNAVAILABLE,         10, 11, CRM_LOG_WARN)          \
	X(DEADLINE_EXCEEDED,   11, 12, CRM_LOG_WARN)          \
	X(UNIMPLEMENTED,       12, 13, CRM_LOG_INFO)          \
	X(INTERNAL,            13, 14, CRM_LOG_ERROR)

typedef enum {
#define X(name, wire, exitc, lvl) CRM_##name = wire,
	CRM_STATUS_TABLE(X)
#undef X
} crm_status;

/* Exit codes the CLI uses for failures that never reached a server. */
#define CRM_EXIT_FAILURE 1 /* anything not covered below */
#define CRM_EXIT_USAGE 2   /* bad command line */

#define CRM_ERR_FIELD_MAX 128
#define CRM_ERR_MSG_MAX 256
#define CRM_ERR_ID_MAX 64    /* a message id: "record.not_found" */
#define CRM_ERR_ARGS_MAX 8   /* positional arguments %1$s .. %8$s */
#define CRM_ERR_ARGBUF_MAX 256

/*
 * An error value. Fixed buffers, so setting one never allocates. The first
 * error set wins: later crm_err_set calls on a set error are ignored, which
 * keeps the root cause when a failure cascades.
 */
/*
 * Besides the English text, an error may carry a stable message id and its
 * positional arguments (proto/crm_messages.h, proto/README.md "Error
 * messages"), so that a client can show the message in its user's
 * language: the id names a template whose %1$s .. %8$s the arguments fill.
 * id is "" when the error has none (client-side errors, old servers).
 * args holds nargs NUL-terminated strings one after the other; an argument
 * that does not fit is cut, never dropped, so the count stays right.
 */
typedef struct crm_err {
	crm_status code; /* 0 while unset */
	char field[CRM_ERR_FIELD_MAX];
	char msg[CRM_ERR_MSG_MAX];
	char id[CRM_ERR_ID_MAX];
	unsigned nargs;
	char args[CRM_ERR_ARGBUF_MAX];
} crm_err;

static inline void crm_err_clear(crm_err *err) {
	err->code = 0;
	err->field[0] = '\0';
	err->msg[0] = '\0';
	err->id[0] = '\0';
	err->nargs = 0;
	err->args[0] = '\0';
}

static inline bool crm_err_isset(const crm_err *err) { return err->code != 0; }

/* Sets code, field (may be NULL) and a printf message. Returns false so a
 * caller can write `return crm_err_set(err, ...);`. */
bool crm_err_set(crm_err *err, crm_status code, const char *field, const char *fmt, ...)
	CRM_PRINTF(4, 5);

/* Sets code, field (may be NULL), the message id and its arguments (const
 * char *, NULL-terminated; NULL may not be an argument: pass ""); msg is the
 * English template of the id with the arguments filled in. An id not in
 * the table (proto/crm_messages.h) gives msg = the id, which the lint test
 * (tests/integration/test_error_ids.py) keeps from happening. */
bool crm_err_setid(crm_err *err, crm_status code, const char *field, const char *id, ...)
	__attribute__((sentinel));

/* Same with the arguments as an array (from the wire, from SQL). */
bool crm_err_setidv(crm_err *err, crm_status code, const char *field, const char *id,
		    const char *const *args, unsigned nargs);

/* Gives an error that has none the message id and arguments; the English
 * text stays as it is (a server's message as sent). Used by readers of the
 * wire and of SQL errors. */
void crm_err_attach_id(crm_err *err, const char *id, const char *const *args, unsigned nargs);

/* The i-th argument of err (0-based), "" when there is none. */
const char *crm_err_arg(const crm_err *err, unsigned i);

/* Writes tmpl with %N$s (N = 1..9) replaced by the N-th argument of err and
 * %% by %, into out (always NUL-terminated, cut to size). A placeholder
 * without its argument becomes "". */
void crm_err_format(const crm_err *err, const char *tmpl, char *out, size_t size);

/* A number as text for an argument: CRM_NUM(n) lives until the end of the
 * enclosing block (a compound literal). */
const char *crm_num_str(char *buf, long long n);
#define CRM_NUM(n) crm_num_str((char[24]){0}, (long long)(n))

/* Table look-ups. Unknown values give NULL / CRM_EXIT_FAILURE / ERROR. */
const char *crm_status_name(crm_status code);
bool crm_status_valid(int wire);
int crm_status_exit_code(crm_status code);
crm_log_level crm_status_log_level(crm_status code);

#endif
