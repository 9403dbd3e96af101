/*
 * Unit test of client/crm/session.c: where the session file is, that it is
 * written 0600 in a 0700 folder whatever the umask, and that a file others
 * may read or write, a symbolic link, a folder, someone else's file or a
 * file crm did not write is refused with a reason (and the fix). Works in
 * a temporary folder; no server needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "checks.h"

static char dir[] = "/tmp/crm-test-session-XXXXXX";

static char *in_dir(const char *name) {
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static mode_t mode_of(const char *path) {
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void write_file(const char *path, const char *text, mode_t mode) {
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_path(void) {
	setenv("CRM_SESSION_FILE", "/x/y/session", 1);
	CHECK(freed_is(crm_session_path(), "/x/y/session"));
	unsetenv("CRM_SESSION_FILE");
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	CHECK(freed_is(crm_session_path(), "/cfg/crm/session"));
	setenv("XDG_CONFIG_HOME", "relative", 1); /* invalid per the XDG spec: ignored */
	setenv("HOME", "/home/u", 1);
	CHECK(freed_is(crm_session_path(), "/home/u/.config/crm/session"));
	unsetenv("XDG_CONFIG_HOME");
}

static void test_save_and_load(void) {
	char *path = in_dir("xdg/crm/session"), *xdg = in_dir("xdg"), *crmdir = in_dir("xdg/crm");
	char why[CRM_SESSION_WHY_MAX];
	crm_session s = {.server = "localhost:7443", .username = "alice", .token = "tok-123",
			 .session_id = 42};
	crm_session back;
	mode_t old = umask(0); /* the file must still come out 0600 */

	CHECK(crm_session_save(path, &s, why));
	umask(old);
	CHECK(mode_of(path) == 0600);
	CHECK(mode_of(xdg) == 0700);
	CHECK(mode_of(crmdir) == 0700);
	CHECK(crm_session_load(path, &back, why) == CRM_SESSION_OK);
	CHECK(back.server && strcmp(back.server, "localhost:7443") == 0);
	CHECK(back.username && strcmp(back.username, "alice") == 0);
	CHECK(back.token && strcmp(back.token, "tok-123") == 0);
	CHECK(back.session_id == 42);
	crm_session_clear(&back);
	CHECK(back.token == NULL);

	/* replacing a file that had become readable by others gives a private one */
	chmod(path, 0644);
	s.token = "tok-456";
	CHECK(crm_session_save(path, &s, why));
	CHECK(mode_of(path) == 0600);
	CHECK(crm_session_load(path, &back, why) == CRM_SESSION_OK);
	CHECK(back.token && strcmp(back.token, "tok-456") == 0);
	crm_session_clear(&back);

	s.token = "bad\ntoken";
	CHECK(!crm_session_save(path, &s, why));

	CHECK(crm_session_remove(path, why));
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	CHECK(crm_session_remove(path, why)); /* already gone: fine */
	CHECK(crm_session_load(path, &back, why) == CRM_SESSION_NONE);
	free(path);
	free(xdg);
	free(crmdir);
}

/* A file with this mode is refused, and the reason says how to fix it. */
static void refused_mode(mode_t mode, const char *says) {
	char *path = in_dir("modes");
	char why[CRM_SESSION_WHY_MAX], fix[600];
	crm_session s;

	write_file(path, "server = h:1\ntoken = t\n", mode);
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_UNSAFE);
	CHECK(s.token == NULL);
	snprintf(fix, sizeof(fix), "chmod 600 %s", path);
	if (strstr(why, fix) == NULL || strstr(why, says) == NULL) {
		fprintf(stderr, "mode %04o: reason lacks '%s' or '%s': %s\n", (unsigned)mode, fix,
			says, why);
		failures++;
	}
	free(path);
}

static void test_refusals(void) {
	char *path = in_dir("other"), *link = in_dir("link"), *folder = in_dir("folder");
	char why[CRM_SESSION_WHY_MAX];
	crm_session s;

	refused_mode(0644, "readable by its group and other users");
	refused_mode(0604, "readable by other users");
	refused_mode(0640, "readable by its group");
	refused_mode(0620, "writable by its group");
	refused_mode(0602, "writable by other users");
	refused_mode(0666, "readable and writable");
	refused_mode(0601, "accessible by other users");

	write_file(path, "server = h:1\ntoken = t\n", 0600);
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_OK);
	crm_session_clear(&s);
	CHECK(symlink(path, link) == 0);
	CHECK(crm_session_load(link, &s, why) == CRM_SESSION_UNSAFE);
	CHECK(strstr(why, "symbolic link") != NULL);
	CHECK(mkdir(folder, 0700) == 0);
	CHECK(crm_session_load(folder, &s, why) == CRM_SESSION_UNSAFE);
	CHECK(strstr(why, "not a regular file") != NULL);
	if (geteuid() == 0) { /* someone else's file, private or not, is not ours to use */
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(crm_session_load(path, &s, why) == CRM_SESSION_UNSAFE);
		CHECK(strstr(why, "another user") != NULL);
	}

	write_file(path, "this is not a session file\n", 0600);
	CHECK(chown(path, geteuid(), getegid()) == 0);
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_BAD);
	write_file(path, "server = h:1\n", 0600); /* no token */
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_BAD);
	write_file(path, "# comment\n\nserver = h:1\r\ntoken=t\nfuture_key = x\n", 0600);
	CHECK(crm_session_load(path, &s, why) == CRM_SESSION_OK);
	CHECK(s.server && strcmp(s.server, "h:1") == 0 && s.token && strcmp(s.token, "t") == 0);
	crm_session_clear(&s);
	free(path);
	free(link);
	free(folder);
}

int main(void) {
	char *cmd = NULL;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_path();
	test_save_and_load();
	test_refusals();
	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	return checks_result("test_session");
}
