/*
 * Unit test of client/output.c and client/textwidth.c: display widths,
 * table alignment with CJK text, JSON escaping, CSV quoting and formula
 * neutralisation. No server needed. Exits non-zero on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "strbuf.h"
#include "textwidth.h"
#include "checks.h"

/* r rendered with o, as a new string (free); NULL if rendering failed. */
static char *render(const crm_result *r, const crm_output_opts *o) {
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);
	bool ok;

	if (f == NULL)
		return NULL;
	ok = crm_output_render(r, o, f);
	fclose(f);
	if (!ok) {
		free(got);
		return NULL;
	}
	return got;
}

/* Renders r (at most max_width wide, 0: any) and compares with want,
 * showing both on a mismatch. */
static void expect_w(const crm_result *r, crm_format format, bool record, bool raw,
		     size_t max_width, const char *want, int line) {
	crm_output_opts o = {.format = format, .record = record, .csv_raw = raw, .utc = true,
			     .max_width = max_width};
	char *got = render(r, &o);

	if (got == NULL) {
		fprintf(stderr, "line %d: render failed\n", line);
		failures++;
		return;
	}
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "line %d: output differs\n--- want\n%s--- got\n%s---\n", line, want,
			got);
		failures++;
	}
	free(got);
}

static void expect(const crm_result *r, crm_format format, bool record, bool raw,
		   const char *want, int line) {
	expect_w(r, format, record, raw, 0, want, line);
}

static void test_width(void) {
	CHECK(crm_textwidth_cp('A') == 1);
	CHECK(crm_textwidth_cp(0x4E2D) == 2);  /* 中 */
	CHECK(crm_textwidth_cp(0x3000) == 2);  /* ideographic space */
	CHECK(crm_textwidth_cp(0xAC00) == 2);  /* 가 */
	CHECK(crm_textwidth_cp(0xFF21) == 2);  /* fullwidth A */
	CHECK(crm_textwidth_cp(0xFF76) == 1);  /* halfwidth katakana ka */
	CHECK(crm_textwidth_cp(0x20000) == 2); /* CJK extension B */
	CHECK(crm_textwidth_cp(0x2FFF0) == 2); /* unassigned, still the ideographic plane */
	CHECK(crm_textwidth_cp(0x1F600) == 2); /* emoji */
	CHECK(crm_textwidth_cp(0x0301) == 0);  /* combining acute */
	CHECK(crm_textwidth_cp(0x200B) == 0);  /* zero width space */
	CHECK(crm_textwidth_cp(0xFE0F) == 0);  /* variation selector */
	CHECK(crm_textwidth_cp(0x00E9) == 1);
	CHECK(crm_textwidth_cp(0x0007) == 0);
	CHECK(crm_textwidth("张三", strlen("张三")) == 4);
	CHECK(crm_textwidth("e\xCC\x81", 3) == 1);          /* e + combining acute */
	CHECK(crm_textwidth("\xFF\xFE", 2) == 2);           /* invalid bytes: 1 each */
	CHECK(crm_textwidth("\xE4\xB8", 2) == 2);           /* truncated sequence */
	CHECK(crm_textwidth("\xC0\x80", 2) == 2);           /* overlong NUL */
	CHECK(crm_textwidth("\xED\xA0\x80", 3) == 3);       /* surrogate */
}

#define WOMAN_OFFICE "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBC" /* U+1F469 ZWJ U+1F4BC */

/* Width by grapheme cluster: what a terminal draws as one picture or one
 * accented letter counts as such (per code point these were 4, 4, 1 and
 * 1 columns). */
static void test_width_clusters(void) {
	const char *family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D"
			     "\xF0\x9F\x91\xA7"; /* man ZWJ woman ZWJ girl */
	size_t cols = 99;

	CHECK(crm_textwidth(WOMAN_OFFICE, strlen(WOMAN_OFFICE)) == 2);
	CHECK(crm_textwidth(family, strlen(family)) == 2);
	CHECK(crm_textwidth("\xE2\x9D\xA4\xEF\xB8\x8F", 6) == 2); /* U+2764 U+FE0F: emoji heart */
	CHECK(crm_textwidth("\xE2\x9D\xA4", 3) == 1);             /* U+2764 as text */
	CHECK(crm_textwidth("\xF0\x9F\x87\xA8\xF0\x9F\x87\xB3", 8) == 2); /* flag CN */
	CHECK(crm_textwidth("\xE4\xB8\xAD\xE6\x96\x87", 6) == 4);         /* 中文 */
	CHECK(crm_textwidth("a\xCC\x81\xCC\xA3", 5) == 1); /* a + two combining marks */
	CHECK(crm_textwidth("e\xFF\xCC\x81", 4) == 2);     /* an invalid byte splits a cluster */
	CHECK(crm_textwidth_next(WOMAN_OFFICE "x", strlen(WOMAN_OFFICE) + 1, &cols) ==
		      strlen(WOMAN_OFFICE) &&
	      cols == 2);
	CHECK(crm_textwidth_next("\xFF", 1, &cols) == 1 && cols == 1);
}

/* A table aligns and cuts by cluster: the emoji sequence takes two
 * columns and a cut never splits it. */
static void test_table_clusters(void) {
	static const char *const cols[] = {"who", "city"};
	static const char *const cut_cols[] = {"id", "name"};
	crm_result *r = crm_result_new(2, cols);

	crm_result_add_row(r);
	crm_result_add_str(r, WOMAN_OFFICE " Ann");
	crm_result_add_str(r, "Paris");
	crm_result_add_row(r);
	crm_result_add_str(r, "Bob");
	crm_result_add_str(r, "北京");
	expect(r, CRM_FORMAT_TABLE, false, false,
	       "who     city\n"
	       "------  -----\n" WOMAN_OFFICE " Ann  Paris\n"
	       "Bob     北京\n",
	       __LINE__);
	crm_result_free(r);

	r = crm_result_new(2, cut_cols);
	crm_result_add_row(r);
	crm_result_add_int(r, 1);
	crm_result_add_str(r, WOMAN_OFFICE WOMAN_OFFICE WOMAN_OFFICE WOMAN_OFFICE WOMAN_OFFICE);
	expect_w(r, CRM_FORMAT_TABLE, false, false, 11,
		 "id  name\n"
		 "--  -------\n"
		 " 1  " WOMAN_OFFICE WOMAN_OFFICE WOMAN_OFFICE "\xE2\x80\xA6\n",
		 __LINE__);
	crm_result_free(r);
}

static crm_result *people(void) {
	static const char *const cols[] = {"id", "name", "city", "vip"};
	crm_result *r = crm_result_new(4, cols);

	crm_result_add_row(r);
	crm_result_add_int(r, 7);
	crm_result_add_str(r, "张三");
	crm_result_add_str(r, "北京");
	crm_result_add_bool(r, true);
	crm_result_add_row(r);
	crm_result_add_int(r, 1234);
	crm_result_add_str(r, "Zoë Lee");
	crm_result_add_str(r, "Zu\xCC\x88rich"); /* u + combining diaeresis */
	crm_result_add_null(r);
	crm_result_add_row(r);
	crm_result_add_int(r, -5);
	crm_result_add_str(r, "ＡＢ");
	crm_result_add_str(r, "ｶﾀｶﾅ");
	crm_result_add_bool(r, false);
	return r;
}

static void test_table(void) {
	crm_result *r = people();

	expect(r, CRM_FORMAT_TABLE, false, false,
	       "  id  name     city    vip\n"
	       "----  -------  ------  -----\n"
	       "   7  张三     北京    true\n"
	       "1234  Zoë Lee  Zu\xCC\x88rich\n"
	       "  -5  ＡＢ     ｶﾀｶﾅ    false\n",
	       __LINE__);
	crm_result_free(r);
}

/* A list table fits the terminal: the widest text column is cut with "…"
 * (CJK counting two columns), numbers and times never; a record keeps all. */
static void test_table_fits(void) {
	static const char *const cols[] = {"id", "name", "city"};
	crm_result *r = crm_result_new(3, cols);

	crm_result_add_row(r);
	crm_result_add_int(r, 1234567);
	crm_result_add_str(r, "Internationale Handelsgesellschaft mbH");
	crm_result_add_str(r, "Berlin");
	crm_result_add_row(r);
	crm_result_add_int(r, 8);
	crm_result_add_str(r, "株式会社東京海上日動火災保険");
	crm_result_add_str(r, "東京都千代田区丸の内");
	/* 7 + 2 + 14 + 2 + 15 = 40: the widest column gives first */
	expect_w(r, CRM_FORMAT_TABLE, false, false, 40,
		 "     id  name            city\n"
		 "-------  --------------  ---------------\n"
		 "1234567  International…  Berlin\n"
		 "      8  株式会社東京…   東京都千代田区…\n",
		 __LINE__);
	/* wide enough: nothing cut */
	expect_w(r, CRM_FORMAT_TABLE, false, false, 200,
		 "     id  name                                    city\n"
		 "-------  --------------------------------------  --------------------\n"
		 "1234567  Internationale Handelsgesellschaft mbH  Berlin\n"
		 "      8  株式会社東京海上日動火災保険            東京都千代田区丸の内\n",
		 __LINE__);
	/* too narrow for even the floors: cut to them, then wider than asked */
	expect_w(r, CRM_FORMAT_TABLE, false, false, 10,
		 "     id  name    city\n"
		 "-------  ------  ------\n"
		 "1234567  Inter…  Berlin\n"
		 "      8  株式…   東京…\n",
		 __LINE__);
	/* a record (show) keeps everything */
	expect_w(r, CRM_FORMAT_TABLE, true, false, 20,
		 "id    1234567\n"
		 "name  Internationale Handelsgesellschaft mbH\n"
		 "city  Berlin\n"
		 "\n"
		 "id    8\n"
		 "name  株式会社東京海上日動火災保険\n"
		 "city  東京都千代田区丸の内\n",
		 __LINE__);
	crm_result_free(r);
}

/* Optional columns go (the first marked first) when the table cannot fit
 * even with its text cut; cut text then fills what is left. */
static void test_table_optional(void) {
	static const char *const cols[] = {"id", "name", "rid", "addr"};
	crm_result *r = crm_result_new(4, cols);

	crm_result_add_row(r);
	crm_result_add_int(r, 1234567);
	crm_result_add_str(r, "Internationale Handelsgesellschaft mbH");
	crm_result_add_int(r, 2030136843596464150);
	crm_result_add_str(r, "2001:db8::1");
	crm_result_optional(r, "rid");
	crm_result_optional(r, "addr");
	expect_w(r, CRM_FORMAT_TABLE, false, false, 200,
		 "     id  name                                                    rid  addr\n"
		 "-------  --------------------------------------  -------------------  -----------\n"
		 "1234567  Internationale Handelsgesellschaft mbH  2030136843596464150  2001:db8::1\n",
		 __LINE__);
	/* 7 + 2 + 6 + 2 + 19 + 2 + 11 = 49 at the floors: rid goes */
	expect_w(r, CRM_FORMAT_TABLE, false, false, 40,
		 "     id  name                addr\n"
		 "-------  ------------------  -----------\n"
		 "1234567  Internationale Ha…  2001:db8::1\n",
		 __LINE__);
	/* 7 + 2 + 6 + 2 + 11 = 28: addr goes too */
	expect_w(r, CRM_FORMAT_TABLE, false, false, 20,
		 "     id  name\n"
		 "-------  -----------\n"
		 "1234567  Internatio…\n",
		 __LINE__);
	/* no limit, JSON and records: everything */
	expect_w(r, CRM_FORMAT_CSV, false, false, 20,
		 "id,name,rid,addr\r\n"
		 "1234567,Internationale Handelsgesellschaft mbH,2030136843596464150,2001:db8::1\r\n",
		 __LINE__);
	crm_result_free(r);
}

static void test_table_controls(void) {
	static const char *const cols[] = {"k", "v"};
	crm_result *r = crm_result_new(2, cols);

	crm_result_add_row(r);
	crm_result_add_str(r, "a\tb");
	crm_result_add_strn(r, "x\n\x1b[31my\0z\xC2\x85", 12);
	expect(r, CRM_FORMAT_TABLE, false, false,
	       "k     v\n"
	       "----  -----------------------\n"
	       "a\\tb  x\\n\\x1b[31my\\x00z\\u0085\n",
	       __LINE__);
	crm_result_free(r);
	r = crm_result_new(0, cols);
	expect(r, CRM_FORMAT_TABLE, false, false, "\n\n(no rows)\n", __LINE__);
	crm_result_free(r);
}

static void test_record(void) {
	static const char *const cols[] = {"note_id", "created_at", "body", "备注"};
	crm_result *r = crm_result_new(4, cols);

	crm_result_add_row(r);
	crm_result_add_int(r, 42);
	crm_result_add_time(r, 1714565000123456LL);
	crm_result_add_str(r, "first line\n\nthird line");
	crm_result_add_null(r);
	expect(r, CRM_FORMAT_TABLE, true, false,
	       "note_id     42\n"
	       "created_at  2024-05-01 12:03:20 UTC\n"
	       "body        first line\n"
	       "\n"
	       "            third line\n"
	       "备注\n",
	       __LINE__);
	expect(r, CRM_FORMAT_JSON, true, false,
	       "{\"note_id\":42,\"created_at\":\"2024-05-01T12:03:20.123456Z\","
	       "\"body\":\"first line\\u000a\\u000athird line\",\"备注\":null}\n",
	       __LINE__);
	crm_result_free(r);
}

static void test_json(void) {
	static const char *const cols[] = {"s", "n", "d", "b"};
	crm_result *r = crm_result_new(4, cols);

	crm_result_add_row(r);
	crm_result_add_strn(r, "q\"b\\s/\n\r\t\x01\x1f\x7f\0end", 16);
	crm_result_add_int(r, -9223372036854775807LL - 1);
	crm_result_add_decimal(r, -5, 3);
	crm_result_add_bool(r, false);
	crm_result_add_row(r);
	crm_result_add_str(r, "张三 \xF0\x9F\x98\x80 \xE2\x80\xA8 bad\xFFok");
	crm_result_add_int(r, 0);
	crm_result_add_decimal(r, 123456, 2);
	crm_result_add_null(r);
	expect(r, CRM_FORMAT_JSON, false, false,
	       "[\n"
	       "{\"s\":\"q\\\"b\\\\s/\\u000a\\u000d\\u0009\\u0001\\u001f\x7f\\u0000end\","
	       "\"n\":-9223372036854775808,\"d\":-0.005,\"b\":false},\n"
	       "{\"s\":\"张三 \xF0\x9F\x98\x80 \xE2\x80\xA8 bad\\ufffdok\",\"n\":0,"
	       "\"d\":1234.56,\"b\":null}\n"
	       "]\n",
	       __LINE__);
	crm_result_free(r);
	r = crm_result_new(1, cols);
	expect(r, CRM_FORMAT_JSON, false, false, "[]\n", __LINE__);
	crm_result_free(r);
}

static void test_csv(void) {
	static const char *const cols[] = {"a", "b", "c"};
	crm_result *r = crm_result_new(3, cols);

	crm_result_add_row(r);
	crm_result_add_str(r, "plain");
	crm_result_add_str(r, "with,comma");
	crm_result_add_str(r, "say \"hi\"");
	crm_result_add_row(r);
	crm_result_add_str(r, "two\nlines");
	crm_result_add_str(r, "");
	crm_result_add_null(r);
	crm_result_add_row(r);
	crm_result_add_str(r, "=1+2");
	crm_result_add_str(r, "+cmd|' /C calc'!A0");
	crm_result_add_str(r, "-2");
	crm_result_add_row(r);
	crm_result_add_str(r, "@SUM(A1)");
	crm_result_add_int(r, -7); /* a number is data, never neutralised */
	crm_result_add_str(r, "=\"x\",y");
	crm_result_add_row(r);
	crm_result_add_str(r, "北京");
	crm_result_add_bool(r, true);
	crm_result_add_time(r, 0);
	expect(r, CRM_FORMAT_CSV, false, false,
	       "a,b,c\r\n"
	       "plain,\"with,comma\",\"say \"\"hi\"\"\"\r\n"
	       "\"two\nlines\",\"\",\r\n"
	       "'=1+2,'+cmd|' /C calc'!A0,'-2\r\n"
	       "'@SUM(A1),-7,\"'=\"\"x\"\",y\"\r\n"
	       "北京,true,1970-01-01T00:00:00.000000Z\r\n",
	       __LINE__);
	expect(r, CRM_FORMAT_CSV, false, true,
	       "a,b,c\r\n"
	       "plain,\"with,comma\",\"say \"\"hi\"\"\"\r\n"
	       "\"two\nlines\",\"\",\r\n"
	       "=1+2,+cmd|' /C calc'!A0,-2\r\n"
	       "@SUM(A1),-7,\"=\"\"x\"\",y\"\r\n"
	       "北京,true,1970-01-01T00:00:00.000000Z\r\n",
	       __LINE__);
	crm_result_free(r);
}

static void test_units(void) {
	static const char *const cols[] = {"rtt"};
	crm_result *r = crm_result_new(1, cols);

	crm_result_add_row(r);
	crm_result_add_decimal_unit(r, 1377, 3, "ms");
	crm_result_add_row(r);
	crm_result_add_decimal_unit(r, 12001, 3, "ms");
	expect(r, CRM_FORMAT_TABLE, false, false,
	       "      rtt\n"
	       "---------\n"
	       " 1.377 ms\n"
	       "12.001 ms\n",
	       __LINE__);
	expect(r, CRM_FORMAT_JSON, false, false, "[\n{\"rtt\":1.377},\n{\"rtt\":12.001}\n]\n",
	       __LINE__);
	expect(r, CRM_FORMAT_CSV, false, false, "rtt\r\n1.377\r\n12.001\r\n", __LINE__);
	crm_result_free(r);
}

static void test_format_parse(void) {
	crm_format f = CRM_FORMAT_TABLE;

	CHECK(crm_format_parse("json", &f) && f == CRM_FORMAT_JSON);
	CHECK(crm_format_parse("csv", &f) && f == CRM_FORMAT_CSV);
	CHECK(crm_format_parse("table", &f) && f == CRM_FORMAT_TABLE);
	CHECK(!crm_format_parse("xml", &f));
}

/* JSON text from the server passes through byte for byte when jansson
 * reads it as JSON (big numbers and odd spacing included), and becomes a
 * plain string when it does not, so the output stays valid JSON. */
static void test_json_passthrough(void) {
	static const char *const cols[] = {"v"};
	static const char *const ok[] = {
		"{\"a\": 1.50, \"a\": [true, null]}", "123456789012345678901234567890",
		"\"x\\u00e9\\ud83d\\ude00\"", "-0.5e+10"};
	static const char *const bad[] = {"{", "[1,]", "01", "\"\\ud800\"", "{} {}", "nul",
					  "\"\xc3\""};
	crm_sbuf want = {0};
	crm_result *r;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = crm_result_new(1, cols);
		crm_result_add_row(r);
		crm_result_add_json(r, ok[i], strlen(ok[i]), "shown");
		want.len = 0;
		crm_sbuf_printf(&want, "{\"v\":%s}\n", ok[i]);
		expect(r, CRM_FORMAT_JSON, true, false, want.p, __LINE__);
		expect(r, CRM_FORMAT_TABLE, false, false, "v\n-----\nshown\n", __LINE__);
		crm_result_free(r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = crm_result_new(1, cols);
		crm_result_add_row(r);
		crm_result_add_json(r, bad[i], strlen(bad[i]), NULL);
		want.len = 0;
		crm_sbuf_puts(&want, "{\"v\":");
		crm_sbuf_json_string(&want, bad[i], strlen(bad[i]));
		crm_sbuf_puts(&want, "}\n");
		expect(r, CRM_FORMAT_JSON, true, false, want.p, __LINE__);
		crm_result_free(r);
	}
	crm_sbuf_fini(&want);
}

/* Tables write counts, decimals and money with the locale's separators;
 * identifiers stay plain; JSON and CSV stay exact. */
static void test_numbers(void) {
	static const char *const cols[] = {"id", "employees", "rtt", "revenue"};
	static const crm_numfmt en = {".", ",", "\3", ".", ",", "\3\3"};
	static const crm_numfmt de = {",", ".", "\3", ",", ".", "\3"};
	static const crm_numfmt in = {".", ",", "\3\2", ".", ",", "\3\2"};
	const char *money = "{\"amount\":\"1250000.00\",\"currency\":\"EUR\"}";
	crm_result *r = crm_result_new(4, cols);
	crm_output_opts o = {.format = CRM_FORMAT_TABLE, .utc = true};
	char *got;

	crm_result_add_row(r);
	crm_result_add_int(r, 1250000);
	crm_result_add_count(r, 1250000);
	crm_result_add_decimal_unit(r, 1234567891, 3, "ms");
	crm_result_add_money(r, money, strlen(money), "1250000.00", 10, "EUR", 3);
	crm_result_add_row(r);
	crm_result_add_int(r, 7);
	crm_result_add_count(r, -999);
	crm_result_add_decimal(r, -5, 3);
	crm_result_add_money(r, "{\"amount\":\"-1234.5\"}", 20, "-1234.5", 7, NULL, 0);
	CHECK(strlen("{\"amount\":\"-1234.5\"}") == 20);
	o.numbers = &en;
	got = render(r, &o);
	CHECK(got != NULL && strcmp(got, "     id  employees               rtt  revenue\n"
					 "-------  ---------  ----------------  ----------------\n"
					 "1250000  1,250,000  1,234,567.891 ms  1,250,000.00 EUR\n"
					 "      7       -999            -0.005  -1,234.5\n") == 0);
	free(got);
	o.numbers = &de;
	got = render(r, &o);
	CHECK(got != NULL &&
	      strstr(got, "1250000  1.250.000  1.234.567,891 ms  1.250.000,00 EUR\n") != NULL);
	free(got);
	o.numbers = &in;
	got = render(r, &o);
	CHECK(got != NULL &&
	      strstr(got, "1250000  12,50,000  12,34,567.891 ms  12,50,000.00 EUR\n") != NULL);
	free(got);
	expect(r, CRM_FORMAT_JSON, false, false,
	       "[\n"
	       "{\"id\":1250000,\"employees\":1250000,\"rtt\":1234567.891,"
	       "\"revenue\":{\"amount\":\"1250000.00\",\"currency\":\"EUR\"}},\n"
	       "{\"id\":7,\"employees\":-999,\"rtt\":-0.005,\"revenue\":{\"amount\":\"-1234.5\"}}\n"
	       "]\n",
	       __LINE__);
	expect(r, CRM_FORMAT_CSV, false, false,
	       "id,employees,rtt,revenue\r\n"
	       "1250000,1250000,1234567.891,\"{\"\"amount\"\":\"\"1250000.00\"\",\"\"currency\"\":\"\"EUR\"\"}\"\r\n"
	       "7,-999,-0.005,\"{\"\"amount\"\":\"\"-1234.5\"\"}\"\r\n",
	       __LINE__);
	crm_result_free(r);
}

int main(void) {
	test_width();
	test_width_clusters();
	test_table_clusters();
	test_table();
	test_table_fits();
	test_table_optional();
	test_table_controls();
	test_record();
	test_json();
	test_json_passthrough();
	test_numbers();
	test_csv();
	test_units();
	test_format_parse();
	return checks_result("test_output");
}
