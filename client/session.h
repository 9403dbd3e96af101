/*
 * session: the file where `crm login` keeps the session token, and the
 * rules that keep it private.
 *
 * The file is $CRM_SESSION_FILE, else $XDG_CONFIG_HOME/crm/session, else
 * ~/.config/crm/session: `key = value` lines naming the server the token
 * belongs to, the user, the session id and the token. It is written to a
 * new file created 0600 with O_EXCL (fchmod'ed to exactly 0600 whatever the
 * umask) in a folder created 0700, and renamed into place, so no other
 * user ever sees the token, not even for a moment. It also keeps the
 * user's profile locale, so that crm speaks the user's language. It is refused when it
 * is not a regular file owned by the user, or when group or others may
 * read or write it: the error says why and how to fix it.
 *
 * Not thread-safe (the CLI is single-threaded); no network.
 */
#ifndef CRM_SESSION_H
#define CRM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRM_SESSION_FILE_MAX 4096
#define CRM_SESSION_WHY_MAX 512

typedef struct crm_session {
	char *server;   /* HOST:PORT as given when logging in */
	char *username;
	char *token;    /* wiped by crm_session_clear */
	int64_t session_id; /* 0 if unknown */
	char *locale;   /* the user's profile locale ("zh-CN"), NULL if unknown:
			 * the language crm speaks (docs/i18n.md) */
} crm_session;

typedef enum {
	CRM_SESSION_OK = 0,
	CRM_SESSION_NONE,   /* no file: not logged in */
	CRM_SESSION_UNSAFE, /* others may read or change it, or not ours: refused */
	CRM_SESSION_BAD,    /* unreadable or not a session file */
} crm_session_status;

/* Where the file is (malloc'd); NULL when there is no HOME either. */
char *crm_session_path(void);

/*
 * Reads the file at path into s (zeroed first). On anything but OK, why
 * gets a message for the user: what is wrong and how to fix it.
 */
crm_session_status crm_session_load(const char *path, crm_session *s,
				    char why[CRM_SESSION_WHY_MAX]);

/* Writes s to path safely (see above), replacing any file there. */
bool crm_session_save(const char *path, const crm_session *s, char why[CRM_SESSION_WHY_MAX]);

/* Removes the file; a missing file is fine. */
bool crm_session_remove(const char *path, char why[CRM_SESSION_WHY_MAX]);

/* Frees the strings (the token wiped first) and zeroes s. */
void crm_session_clear(crm_session *s);

#endif
