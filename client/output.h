/*
 * output: the one way every `crm` command prints what it got. A command
 * fills a result set (named columns, typed cells) and hands it to
 * crm_output_render, which writes it as an aligned table for people, or as
 * exact JSON or CSV for scripts. Commands never printf their results.
 *
 * Cells are typed so that each format can be exact: integers and decimals
 * are JSON numbers and right-aligned in tables; times are microseconds
 * since the epoch, shown in local time (TZ) for people and as RFC 3339 UTC
 * in JSON and CSV; quantities, decimals and money amounts carry the
 * locale's separators in tables when crm_output_opts.numbers says so
 * (identifiers never), and stay exact in JSON and CSV; NULL is JSON null and, in CSV, an empty unquoted field
 * (an empty string is "" so the two stay distinct, as in PostgreSQL COPY).
 * A JSON cell (a list of strings, an object, a nested result) is a JSON
 * value in JSON output, its compact JSON text in CSV and a short text of
 * the command's choosing in tables.
 *
 * Tables measure text with textwidth (CJK wide characters take two
 * columns) and never pass control characters through to the terminal:
 * they are shown as escapes (\n, \t, \x1b). CSV follows RFC 4180 (CRLF,
 * quotes doubled) and, unless raw, neutralises cells a spreadsheet would
 * run as a formula (leading = + - @, tab or CR) with a leading '.
 *
 * Memory: the result set owns copies of everything added to it. Running
 * out of memory aborts the program (this is CLI code). Not thread-safe;
 * one result set per thread.
 */
#ifndef CRM_OUTPUT_H
#define CRM_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crm_status.h"

typedef enum {
	CRM_FORMAT_TABLE = 0,
	CRM_FORMAT_JSON,
	CRM_FORMAT_CSV,
} crm_format;

/* "table", "json" or "csv". */
bool crm_format_parse(const char *s, crm_format *out) CRM_MUSTCHECK;

typedef enum {
	CRM_CELL_NULL = 0,
	CRM_CELL_STRING,
	CRM_CELL_INT,
	CRM_CELL_BOOL,
	CRM_CELL_DECIMAL, /* units / 10^scale, exact */
	CRM_CELL_TIME,    /* microseconds since the epoch, UTC */
	CRM_CELL_JSON,    /* a JSON value, with a text for tables */
} crm_cell_type;

typedef struct crm_result crm_result;

/* A result set with ncols columns named names[0..ncols-1] (copied). */
crm_result *crm_result_new(size_t ncols, const char *const *names);
void crm_result_free(crm_result *r);

/*
 * Starts a new row; the add functions below then fill its cells left to
 * right. Cells not added stay NULL. Adding more cells than there are
 * columns is a programming error and aborts.
 */
void crm_result_add_row(crm_result *r);
void crm_result_add_null(crm_result *r);
void crm_result_add_str(crm_result *r, const char *s); /* NULL adds a NULL cell */
void crm_result_add_strn(crm_result *r, const char *s, size_t len);
void crm_result_add_int(crm_result *r, int64_t v);
void crm_result_add_bool(crm_result *r, bool v);
void crm_result_add_decimal(crm_result *r, int64_t units, unsigned scale);
/* A decimal with a unit that tables show after it ("1.377 ms"); JSON and
 * CSV get the bare number. unit is not copied: pass a string literal. */
void crm_result_add_decimal_unit(crm_result *r, int64_t units, unsigned scale, const char *unit);
void crm_result_add_time(crm_result *r, int64_t us);
/* An integer that counts something (employees, members, a total): tables
 * group its digits by the locale (12,500); plain integers are identifiers
 * and never grouped. JSON and CSV get the bare number either way. */
void crm_result_add_count(crm_result *r, int64_t v);

/* A JSON array of strings; tables show them joined by ", ". */
void crm_result_add_list(crm_result *r, const char *const *items, size_t n);

/*
 * JSON text, passed through as a value in JSON output once checked (text
 * that is not valid JSON is added as a plain string instead, so the output
 * stays valid). Tables show `display`, or the JSON text when it is NULL.
 */
void crm_result_add_json(crm_result *r, const char *json, size_t len, const char *display);

/*
 * A money value: JSON text as crm_result_add_json, shown in tables as
 * amount (a decimal "-1234.50", its digits grouped and its point as the
 * locale's LC_MONETARY has them) then " " and currency when not NULL.
 */
void crm_result_add_money(crm_result *r, const char *json, size_t len, const char *amount,
			  size_t amount_len, const char *currency, size_t currency_len);

/* sub as a JSON array of objects (one per row); tables show `display`. */
void crm_result_add_json_result(crm_result *r, const crm_result *sub, const char *display);

/* Leaves the named column out of list tables; "show" tables (record),
 * JSON and CSV still have it. For details too wide for a list. */
void crm_result_hide(crm_result *r, const char *name);

/* Marks the named column as one a list table may leave out: when the
 * table cannot fit max_width even with its text columns cut (see
 * crm_output_opts), the optional columns go, the first marked first.
 * Records ("show"), JSON and CSV keep them. */
void crm_result_optional(crm_result *r, const char *name);

size_t crm_result_rows(const crm_result *r);

/*
 * How tables write numbers: decimal point, thousands separator and grouping
 * (as in localeconv: each byte a group size from the right, the last one
 * repeating, CHAR_MAX ending the grouping) for numbers (LC_NUMERIC) and for
 * money amounts (LC_MONETARY). Zeroed, it writes them plainly.
 */
typedef struct crm_numfmt {
	char point[8], sep[8], grouping[8];
	char mon_point[8], mon_sep[8], mon_grouping[8];
} crm_numfmt;

/* f from the locale the environment names for LC_NUMERIC and LC_MONETARY
 * (LC_ALL, LC_NUMERIC / LC_MONETARY, LANG); a category whose locale is not
 * installed writes plainly. The program's locale is the same after the
 * call, but the two categories switch for a moment: not thread-safe, call
 * it where nothing else runs (the CLI, or a GUI at start-up). */
void crm_numfmt_from_env(crm_numfmt *f);

/* f from the locale `name` ("zh_CN.UTF-8") for both categories, each one
 * this machine lacks (or all, name NULL or "") from the environment's as
 * crm_numfmt_from_env. The same caveat: not thread-safe. */
void crm_numfmt_from_locale(crm_numfmt *f, const char *name);

/* f for the user: from the profile's locale `name` ("zh_CN.UTF-8", the
 * POSIX name of the profile locale: crm_i18n_posix_locale) unless the
 * environment names one for numbers or money itself (LC_ALL, LC_NUMERIC
 * or LC_MONETARY set: what the user asked for here wins; LANG alone does
 * not), else the environment's. crm's tables and crm-desktop choose the
 * same way. Not thread-safe either. */
void crm_numfmt_for_user(crm_numfmt *f, const char *name);

struct crm_sbuf;
/* Appends the decimal text s ("-1234.50": sign, digits, point, digits) with
 * f's point and grouping, for numbers or (money) for money amounts;
 * other text, or f NULL, as it is. What tables write for counts and
 * amounts, for other programs (crm-desktop) to write the same. */
void crm_numfmt_put(struct crm_sbuf *b, const char *s, size_t len, const crm_numfmt *f,
		    bool money);

typedef struct crm_output_opts {
	crm_format format;
	/*
	 * The result is one record ("show"): a table prints it as key/value
	 * lines (multi-line values indented), JSON as one object instead of
	 * an array of objects. CSV is the same either way.
	 */
	bool record;
	bool csv_raw;  /* CSV: do not neutralise formula-like cells */
	bool utc;      /* table: times in UTC instead of local time */
	/* table: the locale's separators for counts, decimals and money;
	 * NULL writes them plainly. Not copied. */
	const crm_numfmt *numbers;
	/*
	 * List tables: at most this many columns wide (the terminal's), 0 for
	 * no limit. The widest text columns are narrowed, and their long cells
	 * cut with "…", until the table fits or each is down to its header
	 * (at least 6 columns); numbers and times are never cut. Columns
	 * marked optional are left out first when even that would not fit.
	 * Records ("show"), JSON and CSV keep everything.
	 */
	size_t max_width;
	/*
	 * Tables: the heading shown for a column name (the user's language,
	 * crm_i18n_heading); NULL shows the names. JSON and CSV keep them.
	 */
	const char *(*heading)(const char *name);
} crm_output_opts;

/* Writes r to out. Returns false when writing failed (errno is set). */
bool crm_output_render(const crm_result *r, const crm_output_opts *o, FILE *out) CRM_MUSTCHECK;

#endif
