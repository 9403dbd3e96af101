/*
 * crm-desktop's sanitiser of file names from the server
 * (crm_attachments_sanitize_name, client/desktop/crm_attachments.c): what
 * Open writes in the cache folder and Save As offers. No display, no
 * server: the rest of crm_attachments.c is linked but not run (the test
 * hooks it calls are stubbed below).
 */
#include <string.h>

#include "crm_attachments.h"
#include "crm_test_hooks.h"
#include "checks.h"

/* crm_attachments.c's calls into the test hooks: never made here. */
gboolean crm_test_hooks_enabled(void) { return FALSE; }
void crm_test_hooks_watch_attachments(GtkWidget *w) {}
void crm_test_hooks_report(const char *what, const char *format, ...) {}

static gboolean is(const char *name, gint64 id, const char *want) {
	char *got = crm_attachments_sanitize_name(name, id);
	gboolean same = strcmp(got, want) == 0;

	if (!same)
		fprintf(stderr, "sanitize(%s) = '%s', want '%s'\n", name ? name : "NULL", got, want);
	g_free(got);
	return same;
}

int main(void) {
	char big[600];

	/* ordinary names stay as they are, any script */
	CHECK(is("offer.pdf", 1, "offer.pdf"));
	CHECK(is("报价单 2026.xlsx", 1, "报价单 2026.xlsx"));
	CHECK(is("a.b.c", 1, "a.b.c"));
	/* separators and a leading dot: never a path, never . or .. or hidden */
	CHECK(is("../../etc/passwd", 1, "_._.._etc_passwd"));
	CHECK(is("..", 1, "_."));
	CHECK(is(".", 1, "_"));
	CHECK(is(".bashrc", 1, "_bashrc"));
	CHECK(is("a\\b", 1, "a_b"));
	CHECK(is("/", 1, "_"));
	/* C0, DEL, C1 and bidi controls become '_', as in `crm attach get` */
	CHECK(is("a\tb\nc\rd\x01" "e\x7f" "f", 1, "a_b_c_d_e_f"));
	CHECK(is("x\xc2\x85y\xc2\x9bz", 1, "x_y_z"));                     /* NEL, CSI */
	CHECK(is("report\xe2\x80\xaegpj.exe", 1, "report_gpj.exe"));        /* U+202E */
	/* invalid UTF-8: '_' for each bad byte */
	CHECK(is("a\xff" "b", 1, "a_b"));
	CHECK(is("\xc3", 1, "_"));
	/* nothing left: a name from the id */
	CHECK(is("", 42, "attachment-42"));
	CHECK(is(NULL, 7, "attachment-7"));
	/* at most CRM_ATTACHMENTS_NAME_MAX bytes, cut at a character's start */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char *got = crm_attachments_sanitize_name(big, 1);
		g_autoptr(GString) cjk = g_string_new(NULL);
		char *cut;

		CHECK(strlen(got) == CRM_ATTACHMENTS_NAME_MAX);
		g_free(got);
		for (int i = 0; i < 100; i++)
			g_string_append(cjk, "报"); /* 3 bytes each */
		cut = crm_attachments_sanitize_name(cjk->str, 1);
		CHECK(strlen(cut) == CRM_ATTACHMENTS_NAME_MAX / 3 * 3);
		CHECK(g_utf8_validate(cut, -1, NULL));
		g_free(cut);
	}
	return checks_result("test_desk_names");
}
