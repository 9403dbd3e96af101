/* crm_status: the status table's look-ups and crm_err. */
#include "crm_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool crm_err_set(crm_err *err, crm_status code, const char *field, const char *fmt, ...) {
	va_list ap;

	if (err == NULL || crm_err_isset(err))
		return false;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
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
