/*
 * json: a small strict JSON reader (RFC 8259) for the few places the
 * client receives JSON text inside a message: the old and new values of
 * an audit entry. The output module uses it to check text before passing
 * it through into JSON output; `crm audit list` walks the tree to show
 * what changed.
 *
 * Strict: one value, nothing but whitespace around it, strings of valid
 * UTF-8 without raw control characters, nesting at most CRM_JSON_DEPTH_MAX
 * deep. Object member order is kept; duplicate names are allowed (the
 * first wins for crm_json_get).
 *
 * Memory: a tree is one malloc'd node per value, freed with
 * crm_json_free; it does not point into the parsed text. Out of memory
 * returns NULL like any other failure. Not thread-safe per tree; separate
 * trees are independent.
 */
#ifndef CRM_JSON_H
#define CRM_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define CRM_JSON_DEPTH_MAX 64

typedef enum {
	CRM_JSON_NULL = 0,
	CRM_JSON_BOOL,
	CRM_JSON_NUMBER,
	CRM_JSON_STRING,
	CRM_JSON_ARRAY,
	CRM_JSON_OBJECT,
} crm_json_type;

typedef struct crm_json crm_json;
struct crm_json {
	crm_json_type type;
	char *key;      /* member name (decoded) inside an object, else NULL */
	size_t key_len;
	/* STRING: the decoded text; NUMBER: its source text; else NULL */
	char *str;
	size_t len;
	bool b;            /* BOOL */
	crm_json *child;   /* ARRAY, OBJECT: first element or member */
	crm_json *next;    /* next sibling */
	size_t n_children; /* ARRAY, OBJECT */
};

/* Parses [s, s+len). NULL when it is not one valid JSON value (or out of
 * memory); then why (if not NULL) gets a short reason. */
crm_json *crm_json_parse(const char *s, size_t len, char *why, size_t whylen);

/* True when [s, s+len) is one valid JSON value. */
bool crm_json_valid(const char *s, size_t len);

void crm_json_free(crm_json *j);

/* The first member of an object with this name, or NULL. */
const crm_json *crm_json_get(const crm_json *obj, const char *key);

/*
 * Appends v as compact JSON text to *buf (a malloc'd, NUL-terminated
 * string of *len bytes, grown as needed; start with NULL and 0). Returns
 * false when out of memory.
 */
bool crm_json_write(const crm_json *v, char **buf, size_t *len);

#endif
