/*
 * prompt: reading passwords. On a terminal the prompt goes to standard
 * error and echo is off while the user types (restored on Ctrl-C and
 * other fatal signals before the signal is re-raised). For scripts,
 * --password-stdin reads one line of standard input instead. Buffers are
 * the caller's; wipe them with OPENSSL_cleanse when done.
 */
#ifndef CRM_CLI_PROMPT_H
#define CRM_CLI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#define CRM_PASSWORD_MAX 1024
#define CRM_PASSWORD_BUF (CRM_PASSWORD_MAX + 1)

/* True when standard input is a terminal we may prompt on. */
bool crm_prompt_tty(void);

/*
 * Prompts on the terminal (standard input) with echo off and reads one
 * line into buf (NUL-terminated, without the newline). False, with why
 * set, on end of input, a line longer than cap - 1, an empty line (unless
 * allow_empty), or an error.
 */
bool crm_prompt_password(const char *prompt, char *buf, size_t cap, bool allow_empty,
			 char *why, size_t whylen);

/*
 * Reads one line of standard input (for --password-stdin): the newline
 * and a CR before it are dropped. `what` names it in errors ("the new
 * password"). Same failures as above.
 */
bool crm_prompt_stdin_line(const char *what, char *buf, size_t cap, char *why, size_t whylen);

/*
 * A new password, typed twice on the terminal, or one line of standard
 * input when from_stdin. `whose` completes the prompts ("new password for
 * alice"). False with why set when the two differ. With allow_empty, an
 * empty first answer on the terminal is accepted (buf is then "") without
 * asking again.
 */
bool crm_prompt_new_password(const char *whose, bool from_stdin, bool allow_empty, char *buf,
			     size_t cap, char *why, size_t whylen);

#endif
