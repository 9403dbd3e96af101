/* admin: see admin.h. */
#include "admin.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"

#define PASSWORD_MAX 1024

/* One line from stdin without its newline; no echo on a terminal. */
static bool read_password(const char *prompt, char *buf, size_t size) {
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool ok;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return false;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return true;
}

static bool insert_admin(const crm_config *cfg, const char *username, const char *hash,
			 crm_err *err) {
	const char *params[2] = {username, hash};
	PGconn *conn = PQconnectdb(cfg->db_owner);
	PGresult *r;
	bool ok = false;

	if (PQstatus(conn) != CONNECTION_OK) {
		crm_err_set(err, CRM_UNAVAILABLE, "db_owner", "cannot connect: %s",
			    strtok(PQerrorMessage(conn), "\n"));
		goto cleanup;
	}
	r = PQexecParams(conn,
			 "INSERT INTO crm.users (username, display_name, role, password_hash,"
			 " password_changed_at) VALUES (lower($1), lower($1), 'admin', $2, now())"
			 " ON CONFLICT (username) DO NOTHING RETURNING id",
			 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		crm_err_set(err, CRM_INVALID_ARGUMENT, "username", "%s",
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
	else if (PQntuples(r) == 0)
		crm_err_set(err, CRM_ALREADY_EXISTS, "username",
			    "user %s already exists (an admin can reset its password with "
			    "crm user reset-password)", username);
	else
		ok = true;
	PQclear(r);
cleanup:
	PQfinish(conn);
	return ok;
}

bool crm_create_admin(const crm_config *cfg, const char *username, crm_err *err) {
	char pw[PASSWORD_MAX + 2], again[PASSWORD_MAX + 2], hash[CRM_HASH_MAX];
	bool ok = false;

	if (strlen(username) == 0 || strlen(username) > 64 ||
	    strspn(username, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(username))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "username",
				   "use 1 to 64 of a-z, 0-9, dot, underscore, hyphen");
	if (!crm_auth_init(cfg->password_hash_memory, cfg->password_hash_iterations, err))
		return false;
	if (!read_password("Password: ", pw, sizeof(pw))) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "password", "no password given on stdin");
		goto cleanup;
	}
	if (isatty(STDIN_FILENO) &&
	    (!read_password("Again: ", again, sizeof(again)) || strcmp(pw, again) != 0)) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "password", "the two passwords differ");
		goto cleanup;
	}
	if (!crm_auth_policy((const uint8_t *)pw, strlen(pw), username, cfg->password_min_length,
			     "password", err))
		goto cleanup;
	if (!crm_auth_hash((const uint8_t *)pw, strlen(pw), hash)) {
		crm_err_set(err, CRM_INTERNAL, "password", "hashing failed");
		goto cleanup;
	}
	ok = insert_admin(cfg, username, hash, err);
	if (ok)
		printf("created admin %s\n", username);
cleanup:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(again, sizeof(again));
	sodium_memzero(hash, sizeof(hash));
	return ok;
}
