/*
 * prompt: password input without echo, and one-line reads from standard
 * input for scripts. See prompt.h.
 */
#include "prompt.h"
#include "i18n.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static volatile sig_atomic_t caught;

static void on_signal(int sig) { caught = sig; }

bool crm_prompt_tty(void) { return isatty(STDIN_FILENO) == 1; }

/*
 * Reads bytes up to a newline from fd. Returns 1 for a line, 0 at end of
 * input before any byte, -1 on error or signal. *too_long: the line did
 * not fit (the rest is read and dropped).
 */
static int read_line_fd(int fd, char *buf, size_t cap, bool *too_long) {
	size_t len = 0;
	ssize_t n;
	char c;

	*too_long = false;
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR && !caught)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 && len == 0 && !*too_long)
			return 0;
		if (n == 0 || c == '\n')
			break;
		if (len + 1 < cap)
			buf[len++] = c;
		else
			*too_long = true;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return 1;
}

static bool line_result(int rc, bool too_long, const char *buf, size_t cap, bool allow_empty,
			const char *what, char *why, size_t whylen) {
	if (rc < 0)
		snprintf(why, whylen, _("cannot read %s: %s"), what,
			 caught ? "interrupted" : strerror(errno));
	else if (rc == 0)
		snprintf(why, whylen, _("no %s: standard input ended"), what);
	else if (too_long)
		snprintf(why, whylen, _("%s is longer than %zu bytes"), what, cap - 1);
	else if (buf[0] == '\0' && !allow_empty)
		snprintf(why, whylen, _("%s is empty"), what);
	else
		return true;
	return false;
}

bool crm_prompt_password(const char *prompt, char *buf, size_t cap, bool allow_empty,
			 char *why, size_t whylen) {
	struct sigaction sa, old[N_FATAL];
	struct termios saved, quiet;
	bool too_long = false, ok;
	size_t i;
	int rc;

	buf[0] = '\0';
	if (tcgetattr(STDIN_FILENO, &saved) != 0) {
		snprintf(why, whylen, _("cannot prompt for the password: %s"), strerror(errno));
		return false;
	}
	/* no SA_RESTART: a signal interrupts read(), and we restore echo first */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	caught = 0;
	for (i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &sa, &old[i]);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* echo off before the prompt shows: what is typed after it is kept and
	 * never echoed (TCSAFLUSH drops only what was typed before) */
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	fputs(prompt, stderr);
	fflush(stderr);
	rc = read_line_fd(STDIN_FILENO, buf, cap, &too_long);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	for (i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &old[i], NULL);
	if (caught) {
		OPENSSL_cleanse(buf, cap);
		fputc('\n', stderr);
		raise(caught); /* with the old handler back: usually the end of us */
	}
	ok = line_result(rc, too_long, buf, cap, allow_empty, _("the password"), why, whylen);
	if (!ok)
		OPENSSL_cleanse(buf, cap);
	return ok;
}

bool crm_prompt_stdin_line(const char *what, char *buf, size_t cap, char *why, size_t whylen) {
	bool too_long = false, ok;
	int rc;

	buf[0] = '\0';
	caught = 0;
	rc = read_line_fd(STDIN_FILENO, buf, cap, &too_long);
	ok = line_result(rc, too_long, buf, cap, false, what, why, whylen);
	if (!ok)
		OPENSSL_cleanse(buf, cap);
	return ok;
}

bool crm_prompt_new_password(const char *whose, bool from_stdin, bool allow_empty, char *buf,
			     size_t cap, char *why, size_t whylen) {
	char prompt[160], again[CRM_PASSWORD_BUF];
	bool ok;

	if (from_stdin)
		return crm_prompt_stdin_line(_("the new password"), buf, cap, why, whylen);
	snprintf(prompt, sizeof(prompt), _("New password for %s%s: "), whose,
		 allow_empty ? " (empty: none)" : "");
	if (!crm_prompt_password(prompt, buf, cap, allow_empty, why, whylen))
		return false;
	if (buf[0] == '\0')
		return true;
	snprintf(prompt, sizeof(prompt), _("New password for %s, again: "), whose);
	ok = crm_prompt_password(prompt, again, sizeof(again), false, why, whylen);
	if (ok && strcmp(buf, again) != 0) {
		snprintf(why, whylen, _("the two passwords differ; nothing was changed"));
		ok = false;
	}
	OPENSSL_cleanse(again, sizeof(again));
	if (!ok)
		OPENSSL_cleanse(buf, cap);
	return ok;
}
