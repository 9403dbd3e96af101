/*
 * args: command-line value parsers. See args.h.
 */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm.pb-c.h"
#include "recval.h"

#define US_PER_SEC INT64_C(1000000)

/* ---------------------------------------------------------------- instants */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned month_days(int64_t y, unsigned m) {
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Exactly n digits at *s; advances *s. */
static bool fixed(const char **s, int n, unsigned *out) {
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + (unsigned)((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool expect(const char **s, char c) {
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

/* YYYY-MM-DD at *s: days since the epoch. */
static bool date_part(const char **s, int64_t *days) {
	unsigned y, m, d;

	if (!fixed(s, 4, &y) || !expect(s, '-') || !fixed(s, 2, &m) || !expect(s, '-') ||
	    !fixed(s, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

/* HH:MM:SS[.frac] at *s: microseconds into the day. */
static bool time_part(const char **s, int64_t *us) {
	unsigned h, mi, sec;
	int64_t frac = 0, scale = 100000;

	if (!fixed(s, 2, &h) || !expect(s, ':') || !fixed(s, 2, &mi) || !expect(s, ':') ||
	    !fixed(s, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 60) /* 60: a leap second, RFC 3339 allows it */
		return false;
	if (**s == '.') {
		(*s)++;
		if (!isdigit((unsigned char)**s))
			return false;
		for (; isdigit((unsigned char)**s); (*s)++) {
			frac += scale * (**s - '0');
			scale /= 10; /* digits past microseconds are dropped */
		}
	}
	*us = ((int64_t)h * 3600 + mi * 60 + sec) * US_PER_SEC + frac;
	return true;
}

/* Z or +HH:MM / -HH:MM at *s: the offset east of UTC in microseconds. */
static bool offset_part(const char **s, int64_t *us) {
	unsigned h, m;
	int sign;

	if (**s == 'Z' || **s == 'z') {
		(*s)++;
		*us = 0;
		return true;
	}
	if (**s != '+' && **s != '-')
		return false;
	sign = **s == '-' ? -1 : 1;
	(*s)++;
	if (!fixed(s, 2, &h) || !expect(s, ':') || !fixed(s, 2, &m) || h > 23 || m > 59)
		return false;
	*us = sign * ((int64_t)h * 3600 + m * 60) * US_PER_SEC;
	return true;
}

/* -N followed by a unit. */
static bool relative(const char *s, int64_t now_us, int64_t *out) {
	static const struct {
		char unit;
		int64_t us;
	} units[] = {{'s', US_PER_SEC},
		     {'m', 60 * US_PER_SEC},
		     {'h', 3600 * US_PER_SEC},
		     {'d', 86400 * US_PER_SEC},
		     {'w', 7 * 86400 * US_PER_SEC}};
	char *end;
	long long n;
	size_t i;

	if (s[0] != '-' || !isdigit((unsigned char)s[1]))
		return false;
	errno = 0;
	n = strtoll(s + 1, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0')
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit != end[0])
			continue;
		if (n > INT64_MAX / units[i].us / 2) /* absurdly far back */
			return false;
		*out = now_us - (int64_t)n * units[i].us;
		return true;
	}
	return false;
}

bool crm_args_time(const char *s, int64_t now_us, int64_t *out) {
	int64_t days, tod, off;
	const char *p = s;

	if (strcmp(s, "now") == 0) {
		*out = now_us;
		return true;
	}
	if (s[0] == '-')
		return relative(s, now_us, out);
	if (!date_part(&p, &days))
		return false;
	if (*p == '\0') {
		*out = days * 86400 * US_PER_SEC;
		return true;
	}
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	if (!time_part(&p, &tod) || !offset_part(&p, &off) || *p != '\0')
		return false;
	*out = days * 86400 * US_PER_SEC + tod - off;
	return true;
}

/* ---------------------------------------------------------------- durations */

#define MINUTES_MAX INT64_C(1000000000)

/* Digits at *s (at most 10) into *v; false when there are none. */
static bool count(const char **s, int64_t *v) {
	int n = 0;

	*v = 0;
	for (; isdigit((unsigned char)**s) && n < 11; (*s)++, n++)
		*v = *v * 10 + (**s - '0');
	return n > 0 && n <= 10;
}

bool crm_args_minutes(const char *s, int64_t *out) {
	int64_t v, total = 0;

	if (!count(&s, &v))
		return false;
	if (*s == '\0') { /* a bare number: minutes */
		*out = v;
		return v <= MINUTES_MAX;
	}
	if (*s == 'h' || *s == 'H') {
		total = v * 60;
		if (*++s == '\0')
			goto done;
		if (!count(&s, &v))
			return false;
	}
	if (*s != 'm' && *s != 'M')
		return false;
	total += v;
	s++;
done:
	if (*s != '\0' || total > MINUTES_MAX)
		return false;
	*out = total;
	return true;
}

/* ---------------------------------------------------------------- enums */

/* The value's name without prefix, or NULL when it lacks the prefix or is
 * the unspecified one. */
static const char *short_name(const ProtobufCEnumValue *v, const char *prefix) {
	size_t n = strlen(prefix);

	if (v->value == 0 || strncmp(v->name, prefix, n) != 0)
		return NULL;
	return v->name + n;
}

bool crm_args_enum(const ProtobufCEnumDescriptor *d, const char *prefix, const char *s, int *out) {
	const char *name;
	unsigned i;

	for (i = 0; i < d->n_values; i++) {
		name = short_name(&d->values[i], prefix);
		if (name != NULL && strcasecmp(name, s) == 0) {
			*out = d->values[i].value;
			return true;
		}
	}
	return false;
}

static void lower_into(const char *s, char *buf, size_t bufsz) {
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < bufsz; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	if (bufsz > 0)
		buf[i] = '\0';
}

const char *crm_args_enum_name(const ProtobufCEnumDescriptor *d, const char *prefix, int v,
			       char *buf, size_t bufsz) {
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	const char *name = ev ? short_name(ev, prefix) : NULL;

	if (name == NULL)
		snprintf(buf, bufsz, "unknown(%d)", v);
	else
		lower_into(name, buf, bufsz);
	return buf;
}

const char *crm_args_enum_list(const ProtobufCEnumDescriptor *d, const char *prefix, char *buf,
			       size_t bufsz) {
	char one[64];
	size_t len = 0;
	unsigned i;

	if (bufsz == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < d->n_values; i++) {
		const char *name = short_name(&d->values[i], prefix);
		if (name == NULL)
			continue;
		lower_into(name, one, sizeof(one));
		len += (size_t)snprintf(buf + len, len < bufsz ? bufsz - len : 0, "%s%s",
					len ? ", " : "", one);
		if (len >= bufsz)
			break;
	}
	return buf;
}

bool crm_args_enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t bufsz) {
	return crm_recval_enum_prefix(d, buf, bufsz);
}

/* ---------------------------------------------------------------- dates, money, words */

bool crm_args_date(const char *s, unsigned *year, unsigned *month, unsigned *day) {
	const char *p = s;
	unsigned y = 0, m, d;

	if (strncmp(p, "--", 2) == 0)
		p += 2;
	else if (strlen(p) == 10 && (!fixed(&p, 4, &y) || !expect(&p, '-') || y == 0))
		return false;
	if (!fixed(&p, 2, &m) || !expect(&p, '-') || !fixed(&p, 2, &d) || *p != '\0')
		return false;
	/* without a year, February has 29 days: a birthday on 29 February */
	if (m < 1 || m > 12 || d < 1 || d > month_days(y ? y : 2000, m))
		return false;
	*year = y;
	*month = m;
	*day = d;
	return true;
}

bool crm_args_money(const char *s, size_t *amount_len, char currency[4]) {
	size_t i = 0, digits = 0, j;

	if (s[i] == '-')
		i++;
	for (; isdigit((unsigned char)s[i]); i++)
		digits++;
	if (digits == 0)
		return false;
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return false;
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	*amount_len = i;
	currency[0] = '\0';
	if (s[i] == '\0')
		return true;
	if (s[i] != ' ')
		return false;
	while (s[i] == ' ')
		i++;
	for (j = 0; j < 3; j++) {
		if (!isalpha((unsigned char)s[i + j]) || (unsigned char)s[i + j] >= 0x80)
			return false;
		currency[j] = (char)toupper((unsigned char)s[i + j]);
	}
	currency[3] = '\0';
	return s[i + 3] == '\0';
}

bool crm_args_yesno(const char *s, bool *out) {
	static const char *const yes[] = {"yes", "y", "true", "on"};
	static const char *const no[] = {"no", "n", "false", "off"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return true;
		}
	}
	return false;
}

bool crm_args_pair(const char *s, size_t *key_len, const char **value) {
	const char *eq = strchr(s, '=');

	if (eq == NULL || eq == s)
		return false;
	*key_len = (size_t)(eq - s);
	*value = eq + 1;
	return true;
}

bool crm_args_typed(const char *s, const char *const *kinds, const char **kind,
		    size_t *kind_len, const char **value, const char **why) {
	const char *colon = strchr(s, ':');
	size_t i, n;

	*kind = NULL;
	*kind_len = 0;
	*value = s;
	if (colon != NULL) {
		n = (size_t)(colon - s);
		for (i = 0; kinds[i] != NULL; i++)
			if (strlen(kinds[i]) == n && strncasecmp(s, kinds[i], n) == 0)
				break;
		if (kinds[i] == NULL) {
			*why = "unknown kind";
			return false;
		}
		*kind = kinds[i];
		*kind_len = n;
		*value = colon + 1;
	}
	if (**value == '\0') {
		*why = "empty";
		return false;
	}
	return true;
}

bool crm_args_field_name(const char *s, size_t len) {
	size_t i;

	if (len == 0 || !islower((unsigned char)s[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

int crm_args_filter(const char *s, size_t *field_len, const char **value) {
	static const struct {
		const char *text;
		int op, op_empty;
	} ops[] = {
		/* two-character operators first */
		{"!=", CRM__FILTER_OP__FILTER_OP_NE, CRM__FILTER_OP__FILTER_OP_NOT_EMPTY},
		{">=", CRM__FILTER_OP__FILTER_OP_GE, 0},
		{"<=", CRM__FILTER_OP__FILTER_OP_LE, 0},
		{"=", CRM__FILTER_OP__FILTER_OP_EQ, CRM__FILTER_OP__FILTER_OP_EMPTY},
		{">", CRM__FILTER_OP__FILTER_OP_GT, 0},
		{"<", CRM__FILTER_OP__FILTER_OP_LT, 0},
	};
	size_t n = strcspn(s, "!=<>"), i, oplen;

	if (!crm_args_field_name(s, n))
		return 0;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		oplen = strlen(ops[i].text);
		if (strncmp(s + n, ops[i].text, oplen) != 0)
			continue;
		*field_len = n;
		*value = s + n + oplen;
		if (**value == '\0')
			return ops[i].op_empty;
		return ops[i].op;
	}
	return 0;
}

/* ---------------------------------------------------------------- cursors */

static bool plain_cursor_byte(uint8_t c) {
	return isalnum(c) || strchr("-_.~+/=", c) != NULL;
}

char *crm_args_cursor_encode(const uint8_t *p, size_t len) {
	static const char hex[] = "0123456789abcdef";
	bool plain = len > 0;
	char *out;
	size_t i;

	for (i = 0; i < len && plain; i++)
		plain = p[i] != 0 && plain_cursor_byte(p[i]);
	if (plain) {
		out = malloc(len + 1);
		if (out != NULL) {
			memcpy(out, p, len);
			out[len] = '\0';
		}
		return out;
	}
	out = malloc(4 + 2 * len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, "hex:", 4);
	for (i = 0; i < len; i++) {
		out[4 + 2 * i] = hex[p[i] >> 4];
		out[4 + 2 * i + 1] = hex[p[i] & 0xF];
	}
	out[4 + 2 * len] = '\0';
	return out;
}

static int hexval(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *crm_args_cursor_decode(const char *s, size_t *len) {
	size_t n = strlen(s), i;
	uint8_t *out;

	if (strncmp(s, "hex:", 4) != 0) {
		out = malloc(n ? n : 1);
		if (out != NULL)
			memcpy(out, s, n);
		*len = n;
		return out;
	}
	s += 4;
	n -= 4;
	if (n % 2 != 0)
		return NULL;
	out = malloc(n / 2 ? n / 2 : 1);
	for (i = 0; out != NULL && i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* ---------------------------------------------------------------- records, quoting */

bool crm_args_record(const char *s, const char **type, size_t *type_len, int64_t *id) {
	const char *slash = strchr(s, '/');
	char *end;
	long long v;

	*type = s;
	*id = 0;
	if (slash == NULL) {
		*type_len = strlen(s);
		return *type_len > 0;
	}
	*type_len = (size_t)(slash - s);
	errno = 0;
	v = strtoll(slash + 1, &end, 10);
	if (*type_len == 0 || errno != 0 || end == slash + 1 || *end != '\0' || v <= 0 ||
	    !isdigit((unsigned char)slash[1]))
		return false;
	*id = (int64_t)v;
	return true;
}

void crm_args_shell_quote(const char *s, FILE *out) {
	const char *p;
	bool plain = *s != '\0';

	for (p = s; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || strchr("-_./:=+,@%", *p) != NULL;
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	}
	fputc('\'', out);
}
