/* crm_status: the status table's look-ups and crm_err. */
#include "crm_status.h"
#include "crm_messages.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool crm_err_set(crm_err *err, crm_status code, const char *field, const char *fmt, ...) {
	va_list ap;

	if (err == NULL || crm_err_isset(err))
		return false;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	err->id[0] = '\0';
	err->nargs = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

const char *crm_status_name(crm_status code) {
	switch (code) {
#define X(name, wire, exitc, lvl) \
	case CRM_##name:          \
		return #name;
		CRM_STATUS_TABLE(X)
#undef X
	}
	return NULL;
}

bool crm_status_valid(int wire) { return crm_status_name((crm_status)wire) != NULL; }

int crm_status_exit_code(crm_status code) {
	switch (code) {
#define X(name, wire, exitc, lvl) \
	case CRM_##name:          \
		return exitc;
		CRM_STATUS_TABLE(X)
#undef X
	}
	return CRM_EXIT_FAILURE;
}

crm_log_level crm_status_log_level(crm_status code) {
	switch (code) {
#define X(name, wire, exitc, lvl) \
	case CRM_##name:          \
		return lvl;
		CRM_STATUS_TABLE(X)
#undef X
	}
	return CRM_LOG_ERROR;
}

/* Appends the arguments to err->args; one that does not fit is cut, room
 * for the NUL of each later one kept (an argument is never dropped, so
 * %N$s still finds the N-th). */
static void put_args(crm_err *err, const char *const *args, unsigned nargs) {
	size_t used = 0;

	if (nargs > CRM_ERR_ARGS_MAX)
		nargs = CRM_ERR_ARGS_MAX;
	err->nargs = 0;
	err->args[0] = '\0';
	for (unsigned i = 0; i < nargs; i++) {
		const char *a = args[i] ? args[i] : "";
		size_t room = sizeof(err->args) - used - (nargs - 1 - i), n = strlen(a);

		if (n >= room)
			n = room - 1;
		memcpy(err->args + used, a, n);
		err->args[used + n] = '\0';
		used += n + 1;
		err->nargs++;
	}
}

void crm_err_attach_id(crm_err *err, const char *id, const char *const *args, unsigned nargs) {
	if (err == NULL || id == NULL || id[0] == '\0' || strlen(id) >= sizeof(err->id))
		return;
	snprintf(err->id, sizeof(err->id), "%s", id);
	put_args(err, args, nargs);
}

const char *crm_err_arg(const crm_err *err, unsigned i) {
	const char *p = err->args;

	if (i >= err->nargs)
		return "";
	while (i-- > 0)
		p += strlen(p) + 1;
	return p;
}

void crm_err_format(const crm_err *err, const char *tmpl, char *out, size_t size) {
	size_t o = 0;

	if (size == 0)
		return;
	for (const char *p = tmpl; *p && o + 1 < size; p++) {
		const char *piece = NULL;
		size_t n;

		if (p[0] == '%' && p[1] == '%') {
			piece = "%";
			p++;
		} else if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && p[2] == '$' && p[3] == 's') {
			piece = crm_err_arg(err, (unsigned)(p[1] - '1'));
			p += 3;
		}
		if (piece == NULL) {
			out[o++] = *p;
			continue;
		}
		n = strlen(piece);
		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
}

bool crm_err_setidv(crm_err *err, crm_status code, const char *field, const char *id,
		    const char *const *args, unsigned nargs) {
	const char *tmpl = crm_msg_template(id);

	if (err == NULL || crm_err_isset(err))
		return false;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	err->id[0] = '\0';
	crm_err_attach_id(err, id, args, nargs);
	crm_err_format(err, tmpl ? tmpl : id, err->msg, sizeof(err->msg));
	return false;
}

bool crm_err_setid(crm_err *err, crm_status code, const char *field, const char *id, ...) {
	const char *args[CRM_ERR_ARGS_MAX];
	unsigned n = 0;
	const char *a;
	va_list ap;

	va_start(ap, id);
	while ((a = va_arg(ap, const char *)) != NULL)
		if (n < CRM_ERR_ARGS_MAX)
			args[n++] = a;
	va_end(ap);
	return crm_err_setidv(err, code, field, id, args, n);
}

const char *crm_num_str(char *buf, long long n) {
	snprintf(buf, 24, "%lld", n);
	return buf;
}
