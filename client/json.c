/*
 * json: a recursive-descent reader for RFC 8259 JSON into a small tree,
 * and a compact writer for that tree. See json.h.
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textwidth.h"

struct parser {
	const char *start, *s, *end;
	char *why;
	size_t whylen;
	bool failed;
};

/* A growable string for decoded text; out of memory sets failed. */
struct str {
	char *p;
	size_t len, cap;
};

static bool fail(struct parser *p, const char *why) {
	if (!p->failed && p->why != NULL && p->whylen > 0)
		snprintf(p->why, p->whylen, "%s at byte %zu", why, (size_t)(p->s - p->start));
	p->failed = true;
	return false;
}

static bool str_put(struct str *b, const char *s, size_t n) {
	char *q;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		q = realloc(b->p, cap);
		if (q == NULL)
			return false;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

static void skip_ws(struct parser *p) {
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static bool put_utf8(struct str *b, uint32_t cp) {
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return str_put(b, u, n);
}

static bool hex4(struct parser *p, uint32_t *out) {
	uint32_t v = 0;
	int i;

	if (p->end - p->s < 4)
		return fail(p, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *p->s++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape");
	}
	*out = v;
	return true;
}

/* \uXXXX, with a surrogate pair when it takes two. */
static bool unicode_escape(struct parser *p, struct str *b) {
	uint32_t hi, lo;

	if (!hex4(p, &hi))
		return false;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail(p, "lone low surrogate");
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u')
			return fail(p, "lone high surrogate");
		p->s += 2;
		if (!hex4(p, &lo))
			return false;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return fail(p, "bad surrogate pair");
		hi = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	}
	return put_utf8(b, hi) || fail(p, "out of memory");
}

static bool escape(struct parser *p, struct str *b) {
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;

	if (p->s >= p->end)
		return fail(p, "truncated escape");
	if (*p->s == 'u') {
		p->s++;
		return unicode_escape(p, b);
	}
	k = strchr(from, *p->s);
	if (k == NULL || *p->s == '\0')
		return fail(p, "bad escape");
	p->s++;
	return str_put(b, &to[k - from], 1) || fail(p, "out of memory");
}

/* A string at p->s (the opening quote); its decoded text into *b. */
static bool string(struct parser *p, struct str *b) {
	uint32_t cp;
	size_t n;

	p->s++;
	if (!str_put(b, "", 0))
		return fail(p, "out of memory");
	while (p->s < p->end && *p->s != '"') {
		if (*p->s == '\\') {
			p->s++;
			if (!escape(p, b))
				return false;
			continue;
		}
		n = crm_textwidth_decode(p->s, (size_t)(p->end - p->s), &cp);
		if (n == 0)
			return fail(p, "invalid UTF-8 in a string");
		if (cp < 0x20)
			return fail(p, "control character in a string");
		if (!str_put(b, p->s, n))
			return fail(p, "out of memory");
		p->s += n;
	}
	if (p->s >= p->end)
		return fail(p, "unterminated string");
	p->s++;
	return true;
}

static bool digits(struct parser *p) {
	const char *start = p->s;

	while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
		p->s++;
	return p->s > start;
}

static bool number(struct parser *p, crm_json *v) {
	const char *start = p->s;
	struct str b = {0};

	if (p->s < p->end && *p->s == '-')
		p->s++;
	if (p->s < p->end && *p->s == '0')
		p->s++;
	else if (!digits(p))
		return fail(p, "bad number");
	if (p->s < p->end && *p->s == '.') {
		p->s++;
		if (!digits(p))
			return fail(p, "bad number");
	}
	if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
		p->s++;
		if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (!digits(p))
			return fail(p, "bad number");
	}
	if (!str_put(&b, start, (size_t)(p->s - start)))
		return fail(p, "out of memory");
	v->type = CRM_JSON_NUMBER;
	v->str = b.p;
	v->len = b.len;
	return true;
}

static bool literal(struct parser *p, const char *word) {
	size_t n = strlen(word);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
		return fail(p, "unexpected character");
	p->s += n;
	return true;
}

static crm_json *value(struct parser *p, int depth);

/* Elements of an array or members of an object, after the opening bracket. */
static bool container(struct parser *p, crm_json *v, int depth) {
	bool object = v->type == CRM_JSON_OBJECT;
	char close = object ? '}' : ']';
	crm_json **tail = &v->child, *e;
	struct str key = {0};

	skip_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return true;
	}
	for (;;) {
		skip_ws(p);
		if (object) {
			if (p->s >= p->end || *p->s != '"')
				return fail(p, "expected a member name");
			memset(&key, 0, sizeof(key));
			if (!string(p, &key)) {
				free(key.p);
				return false;
			}
			skip_ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(key.p);
				return fail(p, "expected ':'");
			}
			p->s++;
		}
		e = value(p, depth + 1);
		if (e == NULL) {
			free(key.p);
			return false;
		}
		e->key = object ? key.p : NULL;
		e->key_len = object ? key.len : 0;
		*tail = e;
		tail = &e->next;
		v->n_children++;
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			return true;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static crm_json *value(struct parser *p, int depth) {
	crm_json *v;
	struct str b = {0};
	bool ok;

	if (depth > CRM_JSON_DEPTH_MAX) {
		fail(p, "nested too deeply");
		return NULL;
	}
	skip_ws(p);
	if (p->s >= p->end) {
		fail(p, "expected a value");
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	switch (*p->s) {
	case '{':
	case '[':
		v->type = *p->s == '{' ? CRM_JSON_OBJECT : CRM_JSON_ARRAY;
		p->s++;
		ok = container(p, v, depth);
		break;
	case '"':
		v->type = CRM_JSON_STRING;
		ok = string(p, &b);
		v->str = b.p;
		v->len = b.len;
		break;
	case 't':
	case 'f':
		v->type = CRM_JSON_BOOL;
		v->b = *p->s == 't';
		ok = literal(p, v->b ? "true" : "false");
		break;
	case 'n':
		ok = literal(p, "null");
		break;
	default:
		ok = number(p, v);
		break;
	}
	if (!ok) {
		crm_json_free(v);
		return NULL;
	}
	return v;
}

crm_json *crm_json_parse(const char *s, size_t len, char *why, size_t whylen) {
	struct parser p = {.start = s, .s = s, .end = s + len, .why = why, .whylen = whylen};
	crm_json *v;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	v = value(&p, 0);
	if (v == NULL)
		return NULL;
	skip_ws(&p);
	if (p.s != p.end) {
		fail(&p, "text after the value");
		crm_json_free(v);
		return NULL;
	}
	return v;
}

bool crm_json_valid(const char *s, size_t len) {
	crm_json *v = crm_json_parse(s, len, NULL, 0);

	crm_json_free(v);
	return v != NULL;
}

void crm_json_free(crm_json *j) {
	crm_json *next;

	while (j != NULL) {
		next = j->next;
		crm_json_free(j->child);
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

const crm_json *crm_json_get(const crm_json *obj, const char *key) {
	const crm_json *m;
	size_t n = strlen(key);

	if (obj == NULL || obj->type != CRM_JSON_OBJECT)
		return NULL;
	for (m = obj->child; m != NULL; m = m->next)
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

/* ---------------------------------------------------------------- writing */

static bool write_string(struct str *b, const char *s, size_t len) {
	char tmp[8];
	size_t i;

	if (!str_put(b, "\"", 1))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			if (!str_put(b, tmp, 2))
				return false;
		} else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			if (!str_put(b, tmp, 6))
				return false;
		} else if (!str_put(b, (const char *)&s[i], 1)) {
			return false;
		}
	}
	return str_put(b, "\"", 1);
}

static bool write_value(struct str *b, const crm_json *v) {
	const crm_json *e;

	switch (v->type) {
	case CRM_JSON_NULL:
		return str_put(b, "null", 4);
	case CRM_JSON_BOOL:
		return v->b ? str_put(b, "true", 4) : str_put(b, "false", 5);
	case CRM_JSON_NUMBER:
		return str_put(b, v->str, v->len);
	case CRM_JSON_STRING:
		return write_string(b, v->str, v->len);
	case CRM_JSON_ARRAY:
	case CRM_JSON_OBJECT:
		if (!str_put(b, v->type == CRM_JSON_OBJECT ? "{" : "[", 1))
			return false;
		for (e = v->child; e != NULL; e = e->next) {
			if (e != v->child && !str_put(b, ",", 1))
				return false;
			if (v->type == CRM_JSON_OBJECT &&
			    (!write_string(b, e->key, e->key_len) || !str_put(b, ":", 1)))
				return false;
			if (!write_value(b, e))
				return false;
		}
		return str_put(b, v->type == CRM_JSON_OBJECT ? "}" : "]", 1);
	}
	return false;
}

bool crm_json_write(const crm_json *v, char **buf, size_t *len) {
	struct str b = {.p = *buf, .len = *len, .cap = *buf ? *len + 1 : 0};
	bool ok = str_put(&b, "", 0) && write_value(&b, v);

	*buf = b.p;
	*len = b.len;
	return ok;
}
