/*
 * output: result sets and their three renderings (table, JSON, CSV).
 * Everything is rendered into one memory buffer and written at the end, so
 * a failed write is reported once and a half-built table never reaches the
 * terminal.
 */
#include "output.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "strbuf.h"
#include "textwidth.h"

struct cell {
	crm_cell_type type;
	unsigned scale;   /* DECIMAL */
	const char *unit; /* DECIMAL, shown in tables; static */
	bool count;       /* INT: a quantity, grouped in tables (else an identifier) */
	size_t amount_len; /* JSON money: v.s starts with an amount this long */
	size_t len;     /* STRING, JSON: of v.s */
	char *json;     /* JSON: the JSON text (v.s is the table text) */
	size_t json_len;
	union {
		int64_t i; /* INT, DECIMAL units, TIME */
		bool b;
		char *s;
	} v;
};

struct crm_result {
	size_t ncols;
	char **names;
	bool *hidden; /* in list tables */
	size_t *optional; /* list tables: 0, or the order in which a column is
			   * left out when the table cannot fit otherwise */
	size_t n_optional;
	struct cell *cells; /* rows * ncols, row-major */
	size_t rows, cap_rows;
	size_t next_col; /* next cell of the last row to fill */
};

static void *xrealloc(void *p, size_t n) {
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		crm_sbuf_oom();
	return p;
}

static void *xcalloc(size_t n, size_t size) {
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		crm_sbuf_oom();
	return p;
}

/* ---------------------------------------------------------------- result sets */

bool crm_format_parse(const char *s, crm_format *out) {
	static const char *const names[] = {"table", "json", "csv"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (crm_format)i;
			return true;
		}
	}
	return false;
}

crm_result *crm_result_new(size_t ncols, const char *const *names) {
	crm_result *r = xrealloc(NULL, sizeof(*r));
	size_t i;

	memset(r, 0, sizeof(*r));
	r->ncols = ncols;
	r->names = xrealloc(NULL, ncols * sizeof(char *));
	r->hidden = xcalloc(ncols, sizeof(bool));
	r->optional = xcalloc(ncols, sizeof(size_t));
	for (i = 0; i < ncols; i++) {
		r->names[i] = strdup(names[i]);
		if (r->names[i] == NULL)
			crm_sbuf_oom();
	}
	r->next_col = ncols;
	return r;
}

void crm_result_free(crm_result *r) {
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->rows * r->ncols; i++) {
		if (r->cells[i].type == CRM_CELL_STRING || r->cells[i].type == CRM_CELL_JSON)
			free(r->cells[i].v.s);
		free(r->cells[i].json);
	}
	for (i = 0; i < r->ncols; i++)
		free(r->names[i]);
	free(r->names);
	free(r->hidden);
	free(r->optional);
	free(r->cells);
	free(r);
}

size_t crm_result_rows(const crm_result *r) { return r->rows; }

void crm_result_add_row(crm_result *r) {
	if (r->rows == r->cap_rows) {
		r->cap_rows = r->cap_rows ? r->cap_rows * 2 : 8;
		r->cells = xrealloc(r->cells, r->cap_rows * r->ncols * sizeof(struct cell));
	}
	memset(&r->cells[r->rows * r->ncols], 0, r->ncols * sizeof(struct cell));
	r->rows++;
	r->next_col = 0;
}

static struct cell *next_cell(crm_result *r, crm_cell_type type) {
	struct cell *c;

	if (r->rows == 0 || r->next_col >= r->ncols) {
		fputs("crm: bug: result cell added outside a row\n", stderr);
		abort();
	}
	c = &r->cells[(r->rows - 1) * r->ncols + r->next_col++];
	c->type = type;
	return c;
}

void crm_result_add_null(crm_result *r) { next_cell(r, CRM_CELL_NULL); }

void crm_result_add_strn(crm_result *r, const char *s, size_t len) {
	struct cell *c = next_cell(r, CRM_CELL_STRING);

	c->v.s = xrealloc(NULL, len + 1);
	memcpy(c->v.s, s, len);
	c->v.s[len] = '\0';
	c->len = len;
}

void crm_result_add_str(crm_result *r, const char *s) {
	if (s == NULL)
		crm_result_add_null(r);
	else
		crm_result_add_strn(r, s, strlen(s));
}

void crm_result_add_int(crm_result *r, int64_t v) { next_cell(r, CRM_CELL_INT)->v.i = v; }

void crm_result_add_count(crm_result *r, int64_t v) {
	struct cell *c = next_cell(r, CRM_CELL_INT);

	c->v.i = v;
	c->count = true;
}

void crm_result_add_bool(crm_result *r, bool v) { next_cell(r, CRM_CELL_BOOL)->v.b = v; }

void crm_result_add_decimal(crm_result *r, int64_t units, unsigned scale) {
	struct cell *c = next_cell(r, CRM_CELL_DECIMAL);

	c->v.i = units;
	c->scale = scale > 18 ? 18 : scale;
}

void crm_result_add_decimal_unit(crm_result *r, int64_t units, unsigned scale, const char *unit) {
	crm_result_add_decimal(r, units, scale);
	r->cells[(r->rows - 1) * r->ncols + r->next_col - 1].unit = unit;
}

void crm_result_add_time(crm_result *r, int64_t us) { next_cell(r, CRM_CELL_TIME)->v.i = us; }

static char *xstrndup(const char *s, size_t len) {
	char *p = xrealloc(NULL, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Takes ownership of json (valid JSON text) and copies display. */
static void add_json_owned(crm_result *r, char *json, size_t len, const char *display) {
	struct cell *c = next_cell(r, CRM_CELL_JSON);

	c->json = json;
	c->json_len = len;
	c->v.s = display ? xstrndup(display, strlen(display)) : xstrndup(json, len);
	c->len = strlen(c->v.s);
}

/* True when [s, s+len) is one JSON value as jansson reads it (RFC 8259;
 * integers past 64 bits read as reals, so they still count as JSON). */
static bool json_valid(const char *s, size_t len) {
	json_error_t e;
	json_t *v = json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);

	json_decref(v);
	return v != NULL;
}

void crm_result_add_json(crm_result *r, const char *json, size_t len, const char *display) {
	if (!json_valid(json, len)) {
		crm_result_add_strn(r, json, len);
		return;
	}
	add_json_owned(r, xstrndup(json, len), len, display);
}

void crm_result_add_money(crm_result *r, const char *json, size_t len, const char *amount,
			  size_t amount_len, const char *currency, size_t currency_len) {
	crm_sbuf text = {0};
	struct cell *c;

	crm_sbuf_put(&text, amount, amount_len);
	if (currency != NULL) {
		crm_sbuf_putc(&text, ' ');
		crm_sbuf_put(&text, currency, currency_len);
	}
	crm_result_add_json(r, json, len, text.p);
	c = &r->cells[(r->rows - 1) * r->ncols + r->next_col - 1];
	if (c->type == CRM_CELL_JSON)
		c->amount_len = amount_len;
	crm_sbuf_fini(&text);
}

static void put_json_object(crm_sbuf *b, const crm_result *r, size_t row);

void crm_result_add_list(crm_result *r, const char *const *items, size_t n) {
	crm_sbuf json = {0}, text = {0};
	size_t i;

	crm_sbuf_puts(&json, "[");
	crm_sbuf_puts(&text, "");
	for (i = 0; i < n; i++) {
		const char *it = items[i] ? items[i] : "";
		if (i > 0) {
			crm_sbuf_putc(&json, ',');
			crm_sbuf_puts(&text, ", ");
		}
		crm_sbuf_json_string(&json, it, strlen(it));
		crm_sbuf_puts(&text, it);
	}
	crm_sbuf_putc(&json, ']');
	add_json_owned(r, json.p, json.len, text.p);
	free(text.p);
}

void crm_result_add_json_result(crm_result *r, const crm_result *sub, const char *display) {
	crm_sbuf json = {0};
	size_t row;

	crm_sbuf_puts(&json, "[");
	for (row = 0; row < sub->rows; row++) {
		if (row > 0)
			crm_sbuf_putc(&json, ',');
		put_json_object(&json, sub, row);
	}
	crm_sbuf_putc(&json, ']');
	add_json_owned(r, json.p, json.len, display ? display : "");
}

void crm_result_hide(crm_result *r, const char *name) {
	size_t i;

	for (i = 0; i < r->ncols; i++)
		if (strcmp(r->names[i], name) == 0)
			r->hidden[i] = true;
}

void crm_result_optional(crm_result *r, const char *name) {
	size_t i;

	for (i = 0; i < r->ncols; i++)
		if (strcmp(r->names[i], name) == 0 && r->optional[i] == 0)
			r->optional[i] = ++r->n_optional;
}

static const struct cell *cell_at(const crm_result *r, size_t row, size_t col) {
	return &r->cells[row * r->ncols + col];
}

/* ---------------------------------------------------------------- plain text of a cell */

static void put_decimal(crm_sbuf *b, int64_t units, unsigned scale) {
	uint64_t mag = units < 0 ? -(uint64_t)units : (uint64_t)units;
	uint64_t div = 1;
	unsigned i;

	for (i = 0; i < scale; i++)
		div *= 10;
	if (units < 0)
		crm_sbuf_putc(b, '-');
	crm_sbuf_printf(b, "%" PRIu64, mag / div);
	if (scale > 0)
		crm_sbuf_printf(b, ".%0*" PRIu64, (int)scale, mag % div);
}

/* Local time for people ("2024-05-01 14:03:07 CEST"), RFC 3339 UTC with
 * microseconds for machines ("2024-05-01T12:03:07.123456Z"). */
static void put_time(crm_sbuf *b, int64_t us, bool people, bool utc) {
	/* whole seconds rounded down, as crm_sbuf_instant has them */
	time_t t = (time_t)(us / 1000000 - (us % 1000000 < 0));
	struct tm tm;
	char tmp[64];

	if (!people) {
		crm_sbuf_instant(b, us);
		return;
	}
	if (utc) {
		gmtime_r(&t, &tm);
		strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S UTC", &tm);
	} else {
		localtime_r(&t, &tm);
		strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S %Z", &tm);
	}
	crm_sbuf_puts(b, tmp);
}

/* ---------------------------------------------------------------- the locale's numbers */

static void copy_item(char *dst, size_t size, const char *src) {
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size) /* longer than any locale has: write plainly */
		n = 0;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

/*
 * The category's locale named `name` ("" for the one the environment
 * names), read through localeconv and then set back; false when this
 * machine lacks it. Not newlocale: glibc 2.36's newlocale leaks its copy
 * of LOCPATH on every call.
 */
static bool read_category(int category, const char *name, crm_numfmt *f) {
	const char *now = setlocale(category, NULL);
	char saved[256];
	struct lconv *lc;

	if (now == NULL || strlen(now) >= sizeof(saved))
		return false;
	strcpy(saved, now);
	if (setlocale(category, name) == NULL)
		return false;
	lc = localeconv();
	if (category == LC_NUMERIC) {
		copy_item(f->point, sizeof(f->point), lc->decimal_point);
		copy_item(f->sep, sizeof(f->sep), lc->thousands_sep);
		copy_item(f->grouping, sizeof(f->grouping), lc->grouping);
	} else {
		copy_item(f->mon_point, sizeof(f->mon_point), lc->mon_decimal_point);
		copy_item(f->mon_sep, sizeof(f->mon_sep), lc->mon_thousands_sep);
		copy_item(f->mon_grouping, sizeof(f->mon_grouping), lc->mon_grouping);
	}
	setlocale(category, saved);
	return true;
}

void crm_numfmt_from_env(crm_numfmt *f) { crm_numfmt_from_locale(f, NULL); }

void crm_numfmt_from_locale(crm_numfmt *f, const char *name) {
	static const int categories[] = {LC_NUMERIC, LC_MONETARY};

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		if (name == NULL || name[0] == '\0' || !read_category(categories[i], name, f))
			(void)read_category(categories[i], "", f);
}

static bool env_names(const char *var) {
	const char *v = getenv(var);

	return v != NULL && v[0] != '\0';
}

void crm_numfmt_for_user(crm_numfmt *f, const char *name) {
	if (name != NULL && name[0] != '\0' && !env_names("LC_ALL") && !env_names("LC_NUMERIC") &&
	    !env_names("LC_MONETARY"))
		crm_numfmt_from_locale(f, name);
	else
		crm_numfmt_from_env(f);
}

/* The n digits at d with sep between the groups grouping asks for. */
static void put_grouped(crm_sbuf *b, const char *d, size_t n, const char *sep,
			const char *grouping) {
	bool cut[32] = {false}; /* cut[i]: a separator before the i-th digit from the right */
	size_t at = 0, i, g = 0, size = 0;

	while (sep[0] != '\0' && n <= sizeof(cut) / sizeof(cut[0])) {
		if (grouping[g] != '\0') /* else the last size repeats */
			size = (unsigned char)grouping[g++];
		if (size == 0 || size == CHAR_MAX || at + size >= n)
			break;
		at += size;
		cut[at] = true;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && n - i < sizeof(cut) / sizeof(cut[0]) && cut[n - i])
			crm_sbuf_puts(b, sep);
		crm_sbuf_putc(b, d[i]);
	}
}

static size_t digits_at(const char *s, size_t len) {
	size_t n = 0;

	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* A decimal text ("-1234.50": sign, digits, point, digits) with the
 * locale's point and grouping; anything else as it is. */
static void put_number(crm_sbuf *b, const char *s, size_t len, const char *point,
		       const char *sep, const char *grouping) {
	size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0, whole = digits_at(s + i, len - i), frac;

	frac = i + whole < len ? len - i - whole - 1 : 0;
	if (whole == 0 || (i + whole < len && (s[i + whole] != '.' ||
					       digits_at(s + i + whole + 1, frac) != frac))) {
		crm_sbuf_put(b, s, len);
		return;
	}
	crm_sbuf_put(b, s, i);
	put_grouped(b, s + i, whole, sep, grouping);
	if (i + whole < len) {
		crm_sbuf_puts(b, point[0] != '\0' ? point : ".");
		crm_sbuf_put(b, s + i + whole + 1, frac);
	}
}

void crm_numfmt_put(crm_sbuf *b, const char *s, size_t len, const crm_numfmt *f, bool money) {
	if (f == NULL || len == 0)
		crm_sbuf_put(b, s, len);
	else if (money)
		put_number(b, s, len, f->mon_point, f->mon_sep, f->mon_grouping);
	else
		put_number(b, s, len, f->point, f->sep, f->grouping);
}

/* Cells that tables localise (counts, decimals, money), in b. */
static bool put_localised(crm_sbuf *b, const struct cell *c, const crm_numfmt *nf) {
	crm_sbuf plain = {0};

	if (nf == NULL || !((c->type == CRM_CELL_INT && c->count) || c->type == CRM_CELL_DECIMAL ||
			    (c->type == CRM_CELL_JSON && c->amount_len > 0)))
		return false;
	if (c->type == CRM_CELL_JSON) {
		put_number(b, c->v.s, c->amount_len, nf->mon_point, nf->mon_sep, nf->mon_grouping);
		crm_sbuf_put(b, c->v.s + c->amount_len, c->len - c->amount_len);
		return true;
	}
	if (c->type == CRM_CELL_INT)
		crm_sbuf_printf(&plain, "%" PRId64, c->v.i);
	else
		put_decimal(&plain, c->v.i, c->scale);
	put_number(b, plain.p, plain.len, nf->point, nf->sep, nf->grouping);
	crm_sbuf_fini(&plain);
	if (c->type == CRM_CELL_DECIMAL && c->unit != NULL) {
		crm_sbuf_putc(b, ' ');
		crm_sbuf_puts(b, c->unit);
	}
	return true;
}

/* Non-string cells as text; strings are handled by each format. nf: the
 * locale's separators (people only), or NULL. */
static void put_scalar(crm_sbuf *b, const struct cell *c, bool people, bool utc,
		       const crm_numfmt *nf) {
	if (people && put_localised(b, c, nf))
		return;
	switch (c->type) {
	case CRM_CELL_INT:
		crm_sbuf_printf(b, "%" PRId64, c->v.i);
		break;
	case CRM_CELL_BOOL:
		crm_sbuf_puts(b, c->v.b ? "true" : "false");
		break;
	case CRM_CELL_DECIMAL:
		put_decimal(b, c->v.i, c->scale);
		if (people && c->unit != NULL) {
			crm_sbuf_putc(b, ' ');
			crm_sbuf_puts(b, c->unit);
		}
		break;
	case CRM_CELL_TIME:
		put_time(b, c->v.i, people, utc);
		break;
	case CRM_CELL_STRING:
	case CRM_CELL_JSON: /* the table text */
		crm_sbuf_put(b, c->v.s, c->len);
		break;
	case CRM_CELL_NULL:
		break;
	}
}

/* ---------------------------------------------------------------- table */

/*
 * Text safe for a terminal: invalid UTF-8 becomes U+FFFD, control
 * characters become visible escapes, newlines too unless keep_newlines.
 */
static void put_terminal_text(crm_sbuf *b, const char *s, size_t len, bool keep_newlines) {
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = crm_textwidth_decode(s + i, len - i, &cp);
		if (n == 0) {
			crm_sbuf_puts(b, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		if (cp == '\n' && keep_newlines)
			crm_sbuf_putc(b, '\n');
		else if (cp == '\n')
			crm_sbuf_puts(b, "\\n");
		else if (cp == '\t')
			crm_sbuf_puts(b, "\\t");
		else if (cp == '\r')
			crm_sbuf_puts(b, "\\r");
		else if (cp < 0x20 || cp == 0x7F)
			crm_sbuf_printf(b, "\\x%02x", (unsigned)cp);
		else if (cp >= 0x80 && cp < 0xA0)
			crm_sbuf_printf(b, "\\u%04x", (unsigned)cp);
		else
			crm_sbuf_put(b, s + i, n);
		i += n;
	}
}

/* Each cell of r as terminal text, with its display width. */
struct table_text {
	char **text; /* rows * ncols */
	size_t *width;
};

static void table_text_build(const crm_result *r, const crm_output_opts *o, bool keep_newlines,
			     struct table_text *t) {
	size_t n = r->rows * r->ncols, i;
	crm_sbuf plain = {0}, shown = {0};

	t->text = xcalloc(n, sizeof(char *));
	t->width = xcalloc(n, sizeof(size_t));
	for (i = 0; i < n; i++) {
		plain.len = shown.len = 0;
		crm_sbuf_puts(&plain, "");
		crm_sbuf_puts(&shown, "");
		put_scalar(&plain, &r->cells[i], true, o->utc, o->numbers);
		put_terminal_text(&shown, plain.p, plain.len, keep_newlines);
		t->text[i] = strdup(shown.p);
		if (t->text[i] == NULL)
			crm_sbuf_oom();
		t->width[i] = crm_textwidth(shown.p, shown.len);
	}
	free(plain.p);
	free(shown.p);
}

static void table_text_free(const crm_result *r, struct table_text *t) {
	size_t i;

	for (i = 0; i < r->rows * r->ncols; i++)
		free(t->text[i]);
	free(t->text);
	free(t->width);
}

/* A column is right-aligned when every non-NULL cell in it is a number. */
static bool column_numeric(const crm_result *r, size_t col) {
	bool any = false;
	size_t row;

	for (row = 0; row < r->rows; row++) {
		crm_cell_type ty = cell_at(r, row, col)->type;
		if (ty == CRM_CELL_NULL)
			continue;
		if (ty != CRM_CELL_INT && ty != CRM_CELL_DECIMAL)
			return false;
		any = true;
	}
	return any;
}

/*
 * One line of a table. Padding after the last text on the line is dropped,
 * so a row whose last cells are empty has no trailing blanks.
 */
static void put_line(crm_sbuf *b, char *const *text, const size_t *width, const size_t *colw,
		     const bool *right, const bool *hidden, size_t ncols) {
	size_t col, end = b->len;
	bool first = true;

	for (col = 0; col < ncols; col++) {
		if (hidden[col])
			continue;
		if (!first)
			crm_sbuf_puts(b, "  ");
		first = false;
		if (right[col])
			crm_sbuf_pad(b, colw[col] - width[col]);
		crm_sbuf_puts(b, text[col]);
		if (text[col][0] != '\0')
			end = b->len;
		if (!right[col])
			crm_sbuf_pad(b, colw[col] - width[col]);
	}
	b->len = end;
	crm_sbuf_putc(b, '\n');
}

/* ---------------------------------------------------------------- fitting the terminal */

#define FIT_MIN 6 /* a cut column keeps at least this much (or its header) */
#define ELLIPSIS "\xE2\x80\xA6" /* …, one column */

/* Cuts *text to at most w columns, the last of them "…". */
static void cut_cell(char **text, size_t *width, size_t w) {
	size_t i = 0, used = 0, n, len = strlen(*text), cw;
	char *out;

	if (*width <= w || w == 0)
		return;
	while (i < len) { /* whole grapheme clusters only */
		n = crm_textwidth_next(*text + i, len - i, &cw);
		if (used + cw > w - 1)
			break;
		used += cw;
		i += n;
	}
	out = xcalloc(i + sizeof(ELLIPSIS), 1);
	memcpy(out, *text, i);
	memcpy(out + i, ELLIPSIS, sizeof(ELLIPSIS));
	free(*text);
	*text = out;
	*width = used + 1;
}

/* A column may be cut when it holds text (not numbers or times). */
static bool column_cuttable(const crm_result *r, size_t col) {
	size_t row;

	for (row = 0; row < r->rows; row++) {
		crm_cell_type ty = cell_at(r, row, col)->type;
		if (ty == CRM_CELL_INT || ty == CRM_CELL_DECIMAL || ty == CRM_CELL_TIME ||
		    ty == CRM_CELL_BOOL)
			return false;
	}
	return true;
}

/* The width of the visible columns, each at w[col], with their gaps. */
static size_t table_width(const crm_result *r, const bool *hidden, const size_t *w) {
	size_t col, total = 0, shown = 0;

	for (col = 0; col < r->ncols; col++)
		if (!hidden[col])
			total += w[col] + (shown++ ? 2 : 0);
	return total;
}

/* Leaves out optional columns (first marked first) while the table would
 * not fit even with every cuttable column at its floor; then narrows the
 * widest cuttable columns, one column at a time, until the table is at
 * most max wide or none can give more. */
static void fit_columns(const crm_result *r, size_t max, const size_t *headw, size_t *colw,
			bool *hidden) {
	size_t col, total, widest, floor, k;
	size_t *floors = xcalloc(r->ncols, sizeof(size_t));

	for (col = 0; col < r->ncols; col++) {
		floor = headw[col] > FIT_MIN ? headw[col] : FIT_MIN;
		floors[col] = column_cuttable(r, col) && floor < colw[col] ? floor : colw[col];
	}
	for (k = 1; k <= r->n_optional && table_width(r, hidden, floors) > max; k++)
		for (col = 0; col < r->ncols; col++)
			if (r->optional[col] == k)
				hidden[col] = true;
	total = table_width(r, hidden, colw);
	while (total > max) {
		widest = r->ncols;
		for (col = 0; col < r->ncols; col++)
			if (!hidden[col] && colw[col] > floors[col] &&
			    (widest == r->ncols || colw[col] > colw[widest]))
				widest = col;
		if (widest == r->ncols)
			break;
		colw[widest]--;
		total--;
	}
	free(floors);
}

static void render_table_list(const crm_result *r, const crm_output_opts *o, crm_sbuf *b) {
	struct table_text t;
	size_t n = r->ncols, *colw = xcalloc(n, sizeof(size_t));
	size_t *headw = xcalloc(n, sizeof(size_t));
	bool *right = xcalloc(n, sizeof(bool)), first;
	bool *hidden = xcalloc(n, sizeof(bool));
	size_t row, col, i;

	table_text_build(r, o, false, &t);
	for (col = 0; col < n; col++) {
		right[col] = column_numeric(r, col);
		headw[col] = colw[col] = crm_textwidth(r->names[col], strlen(r->names[col]));
		for (row = 0; row < r->rows; row++)
			if (t.width[row * n + col] > colw[col])
				colw[col] = t.width[row * n + col];
	}
	memcpy(hidden, r->hidden, n * sizeof(bool));
	if (o->max_width > 0) {
		fit_columns(r, o->max_width, headw, colw, hidden);
		for (i = 0; i < r->rows * n; i++)
			cut_cell(&t.text[i], &t.width[i], colw[i % n]);
	}
	put_line(b, r->names, headw, colw, right, hidden, n);
	for (col = 0, first = true; col < n; col++) {
		if (hidden[col])
			continue;
		if (!first)
			crm_sbuf_puts(b, "  ");
		first = false;
		for (i = 0; i < colw[col]; i++)
			crm_sbuf_putc(b, '-');
	}
	crm_sbuf_putc(b, '\n');
	for (row = 0; row < r->rows; row++)
		put_line(b, &t.text[row * n], &t.width[row * n], colw, right, hidden, n);
	if (r->rows == 0)
		crm_sbuf_puts(b, _("(no rows)\n"));
	table_text_free(r, &t);
	free(colw);
	free(headw);
	free(right);
	free(hidden);
}

/* key  value, with the continuation lines of a multi-line value indented. */
static void render_table_record(const crm_result *r, const crm_output_opts *o, crm_sbuf *b) {
	struct table_text t;
	size_t keyw = 0, row, col, w;
	const char *p;
	bool fresh;

	table_text_build(r, o, true, &t);
	for (col = 0; col < r->ncols; col++) {
		w = crm_textwidth(r->names[col], strlen(r->names[col]));
		keyw = w > keyw ? w : keyw;
	}
	for (row = 0; row < r->rows; row++) {
		if (row > 0)
			crm_sbuf_putc(b, '\n');
		for (col = 0; col < r->ncols; col++) {
			crm_sbuf_puts(b, r->names[col]);
			p = t.text[row * r->ncols + col];
			if (*p != '\0')
				crm_sbuf_pad(b, keyw - crm_textwidth(r->names[col],
								     strlen(r->names[col])) + 2);
			for (fresh = false; *p; p++) {
				if (fresh && *p != '\n') /* indent continuation lines with text */
					crm_sbuf_pad(b, keyw + 2);
				crm_sbuf_putc(b, *p);
				fresh = *p == '\n';
			}
			crm_sbuf_putc(b, '\n');
		}
	}
	table_text_free(r, &t);
}

/* ---------------------------------------------------------------- JSON */

static void put_json_value(crm_sbuf *b, const struct cell *c) {
	crm_sbuf tmp = {0};

	switch (c->type) {
	case CRM_CELL_NULL:
		crm_sbuf_puts(b, "null");
		return;
	case CRM_CELL_STRING:
		crm_sbuf_json_string(b, c->v.s, c->len);
		return;
	case CRM_CELL_JSON:
		crm_sbuf_put(b, c->json, c->json_len);
		return;
	case CRM_CELL_TIME:
		put_scalar(&tmp, c, false, true, NULL);
		crm_sbuf_json_string(b, tmp.p, tmp.len);
		free(tmp.p);
		return;
	default:
		put_scalar(b, c, false, true, NULL);
		return;
	}
}

static void put_json_object(crm_sbuf *b, const crm_result *r, size_t row) {
	size_t col;

	crm_sbuf_putc(b, '{');
	for (col = 0; col < r->ncols; col++) {
		if (col > 0)
			crm_sbuf_putc(b, ',');
		crm_sbuf_json_string(b, r->names[col], strlen(r->names[col]));
		crm_sbuf_putc(b, ':');
		put_json_value(b, cell_at(r, row, col));
	}
	crm_sbuf_putc(b, '}');
}

/* An array with one object per line; a record alone as one object. */
static void render_json(const crm_result *r, const crm_output_opts *o, crm_sbuf *b) {
	size_t row;

	if (o->record && r->rows == 1) {
		put_json_object(b, r, 0);
		crm_sbuf_putc(b, '\n');
		return;
	}
	if (r->rows == 0) {
		crm_sbuf_puts(b, "[]\n");
		return;
	}
	crm_sbuf_puts(b, "[\n");
	for (row = 0; row < r->rows; row++) {
		put_json_object(b, r, row);
		crm_sbuf_puts(b, row + 1 < r->rows ? ",\n" : "\n");
	}
	crm_sbuf_puts(b, "]\n");
}

/* ---------------------------------------------------------------- CSV */

static void put_csv_field(crm_sbuf *b, const char *s, size_t len, bool neutralise) {
	bool quote = len == 0; /* "" keeps an empty string apart from NULL */
	size_t i;

	for (i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	neutralise = neutralise && len > 0 &&
		     (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		      s[0] == '\r');
	if (quote)
		crm_sbuf_putc(b, '"');
	if (neutralise)
		crm_sbuf_putc(b, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			crm_sbuf_putc(b, '"');
		crm_sbuf_putc(b, s[i]);
	}
	if (quote)
		crm_sbuf_putc(b, '"');
}

static void put_csv_cell(crm_sbuf *b, const struct cell *c, bool raw) {
	crm_sbuf tmp = {0};

	if (c->type == CRM_CELL_NULL)
		return;
	if (c->type == CRM_CELL_STRING) {
		put_csv_field(b, c->v.s, c->len, !raw);
		return;
	}
	if (c->type == CRM_CELL_JSON) { /* starts with [ { " or a letter: never a formula */
		put_csv_field(b, c->json, c->json_len, !raw);
		return;
	}
	put_scalar(&tmp, c, false, true, NULL);
	crm_sbuf_put(b, tmp.p, tmp.len);
	free(tmp.p);
}

static void render_csv(const crm_result *r, const crm_output_opts *o, crm_sbuf *b) {
	size_t row, col;

	for (col = 0; col < r->ncols; col++) {
		if (col > 0)
			crm_sbuf_putc(b, ',');
		put_csv_field(b, r->names[col], strlen(r->names[col]), false);
	}
	crm_sbuf_puts(b, "\r\n");
	for (row = 0; row < r->rows; row++) {
		for (col = 0; col < r->ncols; col++) {
			if (col > 0)
				crm_sbuf_putc(b, ',');
			put_csv_cell(b, cell_at(r, row, col), o->csv_raw);
		}
		crm_sbuf_puts(b, "\r\n");
	}
}

/* ---------------------------------------------------------------- render */

/* Tables: the headings as o->heading gives them (the user's language),
 * in a shallow copy of r; JSON and CSV keep the names. */
static void render_table(const crm_result *r, const crm_output_opts *o, crm_sbuf *b) {
	crm_result shown = *r;
	const char **heads = NULL;
	size_t col;

	if (o->heading != NULL && r->ncols > 0) {
		heads = xcalloc(r->ncols, sizeof(char *));
		for (col = 0; col < r->ncols; col++)
			heads[col] = o->heading(r->names[col]);
		shown.names = (char **)heads;
	}
	if (o->record)
		render_table_record(&shown, o, b);
	else
		render_table_list(&shown, o, b);
	free(heads);
}

bool crm_output_render(const crm_result *r, const crm_output_opts *o, FILE *out) {
	crm_sbuf b = {0};
	bool ok;

	crm_sbuf_puts(&b, "");
	switch (o->format) {
	case CRM_FORMAT_JSON:
		render_json(r, o, &b);
		break;
	case CRM_FORMAT_CSV:
		render_csv(r, o, &b);
		break;
	case CRM_FORMAT_TABLE:
	default:
		render_table(r, o, &b);
		break;
	}
	ok = fwrite(b.p, 1, b.len, out) == b.len && fflush(out) == 0;
	free(b.p);
	return ok;
}
