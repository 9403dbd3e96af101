/*
 * test_client_config: client/config.c, the settings file crm and crm-desktop
 * share: paths, the reader (quotes, comments, relative paths, bad lines)
 * and the writer (keys replaced or added or removed, every other line
 * kept, no quote or line break smuggled into a value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "checks.h"

static char dir[] = "/tmp/crm-test-config-XXXXXX";

static char *slurp(const char *path) {
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

struct seen {
	char text[1024];
};

static int collect(void *data, const char *key, const char *value, const char *origin,
		   const char *base) {
	struct seen *s = data;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s=%s;", key, value);
	if (strcmp(key, "ca") == 0) {
		char *p = crm_config_resolve_path(value, base);

		n = strlen(s->text);
		snprintf(s->text + n, sizeof(s->text) - n, "path=%s;", p);
		free(p);
	}
	return strcmp(key, "stop") == 0 ? 7 : 0;
}

static void test_paths(void) {
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	CHECK(freed_is(crm_config_path(), "/x/cfg/crm/config"));
	CHECK(freed_is(crm_config_sibling_path("desktop-session"), "/x/cfg/crm/desktop-session"));
	setenv("XDG_CONFIG_HOME", "relative", 1); /* invalid: ignored */
	setenv("HOME", "/home/u", 1);
	CHECK(freed_is(crm_config_path(), "/home/u/.config/crm/config"));
}

static void test_read(void) {
	char path[128], why[CRM_CONFIG_WHY_MAX];
	struct seen s = {{0}};
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", dir);
	CHECK(crm_config_load(path, collect, &s, why) == 0 && s.text[0] == '\0'); /* missing */
	f = fopen(path, "w");
	fputs("# comment\n\n  server = \"h:1\"  \nca = ca.pem\n", f);
	fclose(f);
	CHECK(crm_config_load(path, collect, &s, why) == 0);
	char want[512];
	snprintf(want, sizeof(want), "server=h:1;ca=ca.pem;path=%s/ca.pem;", dir);
	CHECK(strcmp(s.text, want) == 0);

	f = fopen(path, "w");
	fputs("server = a:1\nstop = 1\nnever = 1\n", f);
	fclose(f);
	s.text[0] = '\0';
	CHECK(crm_config_load(path, collect, &s, why) == 7); /* the callback's code */
	CHECK(strstr(s.text, "never") == NULL);

	f = fopen(path, "w");
	fputs("server = a:1\nno equals sign\n", f);
	fclose(f);
	CHECK(crm_config_load(path, collect, &s, why) == -1);
	CHECK(strstr(why, ":2: expected 'key = value', got 'no equals sign'") != NULL);
}

static void test_write(void) {
	static const char *const keys[] = {"server", "ca", "gone"};
	const char *values[] = {"new:2", "/abs/ca.pem", NULL};
	char path[128], why[CRM_CONFIG_WHY_MAX];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sub/dir/config", dir);
	CHECK(crm_config_save(path, keys, values, 2, why)); /* folders made */
	CHECK(strcmp(slurp(path), "server = \"new:2\"\nca = \"/abs/ca.pem\"\n") == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);

	f = fopen(path, "w");
	fputs("# mine\nformat = json\nserver = old:1\ngone = x\nserver = dup:1\ntimeout = 5", f);
	fclose(f);
	CHECK(crm_config_save(path, keys, values, 3, why));
	CHECK(strcmp(slurp(path), "# mine\nformat = json\nserver = \"new:2\"\ntimeout = 5\n"
				  "ca = \"/abs/ca.pem\"\n") == 0);

	values[0] = "bad\"quote";
	CHECK(!crm_config_save(path, keys, values, 2, why) && strstr(why, "server") != NULL);
	values[0] = "bad\nline";
	CHECK(!crm_config_save(path, keys, values, 2, why));
	CHECK(strstr(slurp(path), "new:2") != NULL); /* untouched */
}

int main(void) {
	char cmd[128];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_paths();
	test_read();
	test_write();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failures++;
	return checks_result("test_client_config");
}
