/*
 * Unit test of client/crm/args.c (instants, durations, enum names, cursors, TYPE/ID,
 * shell quoting, file names from the server). No server needed. Exits non-zero if a check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "filename.h"
#include "crm.pb-c.h"
#include "checks.h"

#define NOW INT64_C(1795341600000000) /* 2026-11-22T10:00:00Z */
#define US INT64_C(1000000)

static int64_t t(const char *s) {
	int64_t v = -1;

	if (!crm_args_time(s, NOW, &v)) {
		fprintf(stderr, "crm_args_time refused '%s'\n", s);
		failures++;
	}
	return v;
}

static bool refused(const char *s) {
	int64_t v;
	return !crm_args_time(s, NOW, &v);
}

static void test_times(void) {
	CHECK(t("2026-11-22T10:00:00Z") == NOW);
	CHECK(t("2026-11-22t10:00:00z") == NOW);
	CHECK(t("2026-11-22 10:00:00Z") == NOW);
	CHECK(t("2026-11-22T11:00:00+01:00") == NOW);
	CHECK(t("2026-11-22T04:30:00-05:30") == NOW);
	CHECK(t("2026-11-22T10:00:00.5Z") == NOW + 500000);
	CHECK(t("2026-11-22T10:00:00.123456789Z") == NOW + 123456);
	CHECK(t("2026-11-22") == NOW - 10 * 3600 * US);
	CHECK(t("1970-01-01") == 0);
	CHECK(t("1969-12-31T23:59:59Z") == -US);
	CHECK(t("2000-02-29") == INT64_C(951782400) * US);
	CHECK(t("2026-12-31T23:59:60Z") == t("2027-01-01T00:00:00Z")); /* a leap second */
	CHECK(t("-1h") == NOW - 3600 * US);
	CHECK(t("-7d") == NOW - 7 * 86400 * US);
	CHECK(t("-30m") == NOW - 1800 * US);
	CHECK(t("-90s") == NOW - 90 * US);
	CHECK(t("-2w") == NOW - 14 * 86400 * US);
	CHECK(t("now") == NOW);

	CHECK(refused(""));
	CHECK(refused("yesterday"));
	CHECK(refused("2026-11-22T10:00:00")); /* no offset: ambiguous */
	CHECK(refused("2026-11-22T10:00Z"));
	CHECK(refused("2026-13-01"));
	CHECK(refused("2026-02-29")); /* not a leap year */
	CHECK(refused("1900-02-29"));
	CHECK(refused("2026-11-31"));
	CHECK(refused("2026-11-22T24:00:00Z"));
	CHECK(refused("2026-11-22T10:60:00Z"));
	CHECK(refused("2026-11-22T10:00:00+24:00"));
	CHECK(refused("2026-11-22T10:00:00+0100"));
	CHECK(refused("2026-11-22T10:00:00.Z"));
	CHECK(refused("2026-11-22Z"));
	CHECK(refused("26-11-22"));
	CHECK(refused("2026-11-22 "));
	CHECK(refused("-1"));
	CHECK(refused("-1y"));
	CHECK(refused("-1hh"));
	CHECK(refused("-h"));
	CHECK(refused("+1h"));
	CHECK(refused("-99999999999999999999d"));
	CHECK(refused("-9999999999999d"));
}

static bool minutes(const char *s, int64_t want) {
	int64_t v = -1;

	return crm_args_minutes(s, &v) && v == want;
}

static void test_minutes(void) {
	int64_t v;

	CHECK(minutes("90", 90));
	CHECK(minutes("0", 0));
	CHECK(minutes("15m", 15));
	CHECK(minutes("2h", 120));
	CHECK(minutes("1h30m", 90));
	CHECK(minutes("1H5M", 65));
	CHECK(minutes("1000000000", 1000000000));
	CHECK(!crm_args_minutes("", &v));
	CHECK(!crm_args_minutes("-5", &v));
	CHECK(!crm_args_minutes("+5", &v));
	CHECK(!crm_args_minutes("1.5h", &v));
	CHECK(!crm_args_minutes("30m1h", &v));
	CHECK(!crm_args_minutes("1h 30m", &v));
	CHECK(!crm_args_minutes("h", &v));
	CHECK(!crm_args_minutes("1h30", &v));
	CHECK(!crm_args_minutes("5s", &v));
	CHECK(!crm_args_minutes("1000000001", &v));
	CHECK(!crm_args_minutes("99999999999", &v));
	CHECK(!crm_args_minutes("20000000h", &v));
}

static void test_enums(void) {
	char buf[64];
	int v = 0;

	CHECK(crm_args_enum(&crm__action__descriptor, "", "read", &v) && v == CRM__ACTION__READ);
	CHECK(crm_args_enum(&crm__action__descriptor, "", "REASSIGN", &v) &&
	      v == CRM__ACTION__REASSIGN);
	CHECK(crm_args_enum(&crm__scope__descriptor, "", "subteams", &v) &&
	      v == CRM__SCOPE__SUBTEAMS);
	CHECK(crm_args_enum(&crm__access__descriptor, "ACCESS_", "edit", &v) &&
	      v == CRM__ACCESS__ACCESS_EDIT);
	CHECK(!crm_args_enum(&crm__action__descriptor, "", "action_unspecified", &v));
	CHECK(!crm_args_enum(&crm__action__descriptor, "", "fly", &v));
	CHECK(!crm_args_enum(&crm__access__descriptor, "ACCESS_", "access_read", &v));
	CHECK(!crm_args_enum(&crm__scope__descriptor, "", "", &v));

	CHECK(strcmp(crm_args_enum_name(&crm__scope__descriptor, "", CRM__SCOPE__ALL, buf,
					sizeof(buf)),
		     "all") == 0);
	CHECK(strcmp(crm_args_enum_name(&crm__access__descriptor, "ACCESS_",
					CRM__ACCESS__ACCESS_READ, buf, sizeof(buf)),
		     "read") == 0);
	CHECK(strcmp(crm_args_enum_name(&crm__scope__descriptor, "", 99, buf, sizeof(buf)),
		     "unknown(99)") == 0);
	CHECK(strcmp(crm_args_enum_list(&crm__action__descriptor, "", buf, sizeof(buf)),
		     "read, create, update, delete, export, reassign, admin") == 0);
	CHECK(strcmp(crm_args_enum_list(&crm__scope__descriptor, "", buf, sizeof(buf)),
		     "none, own, team, subteams, all") == 0);
	CHECK(strcmp(crm_args_enum_list(&crm__access__descriptor, "ACCESS_", buf, sizeof(buf)),
		     "read, edit") == 0);
	crm_args_enum_list(&crm__action__descriptor, "", buf, 8); /* truncates, terminated */
	CHECK(strlen(buf) < 8);
}

static void cursor_round_trip(const uint8_t *raw, size_t len, const char *want) {
	char *enc = crm_args_cursor_encode(raw, len);
	uint8_t *dec;
	size_t n = 0;

	CHECK(enc != NULL && strcmp(enc, want) == 0);
	dec = enc ? crm_args_cursor_decode(enc, &n) : NULL;
	CHECK(dec != NULL && n == len && memcmp(dec, raw, len) == 0);
	free(enc);
	free(dec);
}

static void test_cursors(void) {
	size_t n;

	cursor_round_trip((const uint8_t *)"AbC-_9.~+/=", 11, "AbC-_9.~+/=");
	cursor_round_trip((const uint8_t *)"a:b", 3, "hex:613a62");
	cursor_round_trip((const uint8_t *)"\x00\xff", 2, "hex:00ff");
	cursor_round_trip((const uint8_t *)"a b", 3, "hex:612062");
	CHECK(crm_args_cursor_decode("hex:0", &n) == NULL);
	CHECK(crm_args_cursor_decode("hex:zz", &n) == NULL);
}

static void test_records(void) {
	const char *type;
	size_t len;
	int64_t id;

	CHECK(crm_args_record("note/42", &type, &len, &id) && len == 4 &&
	      strncmp(type, "note", 4) == 0 && id == 42);
	CHECK(crm_args_record("note", &type, &len, &id) && len == 4 && id == 0);
	CHECK(!crm_args_record("note/", &type, &len, &id));
	CHECK(!crm_args_record("/42", &type, &len, &id));
	CHECK(!crm_args_record("note/0", &type, &len, &id));
	CHECK(!crm_args_record("note/-1", &type, &len, &id));
	CHECK(!crm_args_record("note/4x", &type, &len, &id));
	CHECK(!crm_args_record("", &type, &len, &id));
}

static void expect_quote(const char *in, const char *want) {
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	crm_args_shell_quote(in, f);
	fclose(f);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "quote(%s): got %s, want %s\n", in, got, want);
		failures++;
	}
	free(got);
}

static void expect_name(const char *in, const char *want) {
	char got[201];

	crm_file_name_safe(in, 7, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "file name of \"%s\": got \"%s\", want \"%s\"\n", in, got, want);
		failures++;
	}
}

static void test_file_names(void) {
	char small[8], longer[400];

	expect_name("report.pdf", "report.pdf");
	expect_name("Übersicht 报告.pdf", "Übersicht 报告.pdf");
	expect_name("", "attachment-7");
	expect_name(".", "_");
	expect_name("..", "_.");
	expect_name(".bashrc", "_bashrc");
	expect_name("../../etc/passwd", "_._.._etc_passwd");
	expect_name("a\\b/c", "a_b_c");
	expect_name("a\tb\x7f\x1b[31m", "a_b__[31m");
	/* C1 encoded (U+0085, U+009B) and raw C1 bytes (invalid UTF-8) */
	expect_name("a\xc2\x85" "b\xc2\x9b" "c", "a_b_c");
	expect_name("a\x85" "b\x9b[2Jc", "a_b_[2Jc");
	/* bidi controls: RLO makes "exe.pdf" of "fdp.exe", LRM, RLM, ALM, isolates */
	expect_name("invoice\xe2\x80\xae" "fdp.exe", "invoice_fdp.exe");
	expect_name("\xe2\x80\x8e" "a\xe2\x80\x8f" "b\xd8\x9c" "c", "_a_b_c");
	expect_name("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "____");
	expect_name("x\xe2\x81\xa6y\xe2\x81\xa7z\xe2\x81\xa8w\xe2\x81\xa9", "x_y_z_w_");
	/* invalid UTF-8: overlong '/', a surrogate, past U+10FFFF, cut short */
	expect_name("a\xc0\xaf" "b", "a__b");
	expect_name("a\xed\xa0\x80" "b", "a___b");
	expect_name("a\xf4\x90\x80\x80" "b", "a____b");
	expect_name("a\xe2\x82", "a__");
	expect_name("\xff\xfe", "__");
	/* cut at a character's start, never inside one */
	crm_file_name_safe("ab\xe6\x8a\xa5\xe5\x91\x8a", 1, small, sizeof(small));
	CHECK(strcmp(small, "ab\xe6\x8a\xa5") == 0);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	crm_file_name_safe(longer, 1, small, sizeof(small));
	CHECK(strcmp(small, "xxxxxxx") == 0);
}

static void test_quoting(void) {
	expect_quote("--limit", "--limit");
	expect_quote("Sales East", "'Sales East'");
	expect_quote("it's", "'it'\\''s'");
	expect_quote("", "''");
	expect_quote("$HOME", "'$HOME'");
}

int main(void) {
	test_times();
	test_minutes();
	test_enums();
	test_cursors();
	test_records();
	test_quoting();
	test_file_names();
	return checks_result("test_args");
}
