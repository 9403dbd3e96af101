/*
 * Unit test of client/i18n.c against the build tree's catalogs (po/): the
 * profile locale as a gettext language, help made of marked lines (whole
 * runs translated, unknown lines kept), table headings, and the language
 * chosen by the profile over the environment. No server needed.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "checks.h"

static void test_language(void) {
	char out[64];

	CHECK(crm_i18n_language("zh-CN", out, sizeof(out)) && strcmp(out, "zh_CN:zh") == 0);
	CHECK(crm_i18n_language("zh", out, sizeof(out)) && strcmp(out, "zh_CN:zh") == 0);
	CHECK(crm_i18n_language("zh-Hans-CN", out, sizeof(out)) && strcmp(out, "zh_CN:zh") == 0);
	CHECK(crm_i18n_language("zh-Hans", out, sizeof(out)) && strcmp(out, "zh_CN:zh") == 0);
	CHECK(crm_i18n_language("en-US", out, sizeof(out)) && strcmp(out, "en_US:en") == 0);
	CHECK(crm_i18n_language("de", out, sizeof(out)) && strcmp(out, "de") == 0);
	CHECK(!crm_i18n_language("", out, sizeof(out)));
	CHECK(!crm_i18n_language("x", out, sizeof(out)));
	CHECK(!crm_i18n_language("12-CN", out, sizeof(out)));
	CHECK(!crm_i18n_language(NULL, out, sizeof(out)));
	/* the POSIX locale crm-desktop reads separators from */
	CHECK(crm_i18n_posix_locale("zh-CN", out, sizeof(out)) && strcmp(out, "zh_CN.UTF-8") == 0);
	CHECK(crm_i18n_posix_locale("zh", out, sizeof(out)) && strcmp(out, "zh_CN.UTF-8") == 0);
	CHECK(crm_i18n_posix_locale("de-DE", out, sizeof(out)) && strcmp(out, "de_DE.UTF-8") == 0);
	CHECK(!crm_i18n_posix_locale("de", out, sizeof(out))); /* no region: no locale */
	CHECK(!crm_i18n_posix_locale("x", out, sizeof(out)));
	CHECK(!crm_i18n_posix_locale("zh-CN", out, 8)); /* "zh_CN.UTF-8" does not fit */
}

/* Two marked runs of lines (commands.c's PAGE_HELP and YES_HELP) with a
 * line the catalog lacks between them. */
#define RUN1                                                                    \
	"  --limit N        at most N rows (1-500, default 50)\n"                   \
	"  --cursor C       the page after the one that printed 'next page: ...'\n" \
	"                   on standard error (printed whenever there is more)\n"
#define RUN2                                                                      \
	"  --yes   do not ask for confirmation (crm asks on a terminal and refuses to\n" \
	"          go ahead without one unless --yes is given)\n"
#define ODD "  --odd   a line no catalog has\n"

static void test_chinese(void) {
	const char *t;

	CHECK(strcmp(_("unknown error"), "未知错误") == 0);
	t = crm_i18n_lines(RUN1 ODD RUN2);
	CHECK(strstr(t, "最多 N 行（1-500，默认 50）") != NULL);
	CHECK(strstr(t, ODD) != NULL);
	CHECK(strstr(t, "不要求确认") != NULL);
	CHECK(strstr(t, "at most N rows") == NULL);
	CHECK(strcmp(crm_i18n_heading("owner"), "负责人") == 0);
	CHECK(strcmp(crm_i18n_heading("no_such_column"), "no_such_column") == 0);
	CHECK(strcmp(crm_i18n_lines(""), "") == 0);
}

int main(void) {
	test_language();
	/* the environment says English; the profile says Chinese and wins */
	setenv("LANGUAGE", "en", 1);
	setenv("LANG", "C.UTF-8", 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	crm_i18n_init("zh-CN");
	CHECK(strcmp(getenv("LANGUAGE"), "zh_CN:zh") == 0);
	test_chinese();
	return checks_result("test_i18n");
}
