/*
 * config: reads crmd.conf with inih and validates every key. See config.h.
 *
 * One table (keys[]) lists every key with its type, where it lives in
 * struct crm_config, its limits and its default written in config-file
 * syntax, so that the defaults go through the same parser as the file.
 *
 * inih is fed through our own line reader: it counts lines (inih's handler
 * does not get the line number in Debian's build), refuses lines longer
 * than inih's fixed buffer (inih would silently split them and parse the
 * rest as a new line) and tells the handler when a line is indented: inih
 * passes an indented line as more of the previous key's value, which the
 * list keys (listen, trusted_proxies) take as more entries and every other
 * key refuses.
 *
 * Messages never contain the value of db_app, db_auth or db_owner: they may hold a
 * password.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crm_wire.h"

/* inih's line buffer (INI_MAX_LINE in Debian's build) less its NUL. */
#define LINE_MAX_CHARS 199
/* A config file is a few kilobytes; anything much bigger is a mistake. */
#define FILE_MAX (1024 * 1024)
/* A list value, over all its lines. */
#define LIST_MAX 4096
/* How much of a bad value an error message quotes. */
#define QUOTE_MAX 48

typedef enum {
	K_INT,       /* int, min..max */
	K_U32,       /* uint32_t, min..max */
	K_DURATION,  /* int milliseconds, min..max ms; "10s", "500ms", "5min" */
	K_SIZE,      /* uint32_t bytes, min..max; "1048576", "512KiB", "25MiB" */
	K_BOOL,      /* bool */
	K_PATH,      /* char[size]; "" = unset */
	K_DSN,       /* char[size], libpq conninfo; "" = unset; never echoed */
	K_LISTEN,    /* listen[] + n_listen */
	K_CIDRS,     /* trusted_proxies[] + n_trusted_proxies */
	K_LOG_LEVEL, /* crm_log_level */
} key_type;

typedef struct key_def {
	const char *name;
	key_type type;
	size_t offset;
	size_t size;
	long long min, max;
	const char *def;
} key_def;

#define AT(field) offsetof(crm_config, field), sizeof(((crm_config *)0)->field)
#define SECOND 1000LL
#define MINUTE (60 * SECOND)

static const key_def keys[] = {
	{"listen", K_LISTEN, AT(listen), 0, 0, "127.0.0.1:7443"},
	{"max_connections", K_INT, AT(max_connections), 1, 1000000, "10000"},
	{"trusted_proxies", K_CIDRS, AT(trusted_proxies), 0, 0, ""},
	{"tls_cert", K_PATH, AT(tls_cert), 0, 0, ""},
	{"tls_key", K_PATH, AT(tls_key), 0, 0, ""},
	{"tls_client_ca", K_PATH, AT(tls_client_ca), 0, 0, ""},
	{"tls_client_cert_required", K_BOOL, AT(tls_client_cert_required), 0, 0, "false"},
	{"db_app", K_DSN, AT(db_app), 0, 0, ""},
	{"db_owner", K_DSN, AT(db_owner), 0, 0, ""},
	{"db_auth", K_DSN, AT(db_auth), 0, 0, ""},
	{"io_threads", K_INT, AT(io_threads), 1, 64, "1"},
	{"db_workers", K_INT, AT(db_workers), 1, 256, "4"},
	{"queue_length", K_INT, AT(queue_length), 1, 100000, "256"},
	{"max_frame", K_U32, AT(max_frame), CRM_FRAME_MIN_FLOOR, CRM_FRAME_MAX_CEILING, "1048576"},
	/* Also at most max_frame: checked once every key is read. */
	{"max_frame_preauth", K_U32, AT(max_frame_preauth), 1024, CRM_FRAME_MAX_CEILING, "16384"},
	{"max_inflight", K_INT, AT(max_inflight), 1, 1024, "32"},
	{"db_retries", K_INT, AT(db_retries), 0, 10, "3"},
	{"max_preauth_per_address", K_INT, AT(max_preauth_per_address), 1, 1000000, "64"},
	{"handshake_timeout", K_DURATION, AT(handshake_timeout), 1, 5 * MINUTE, "10s"},
	{"auth_timeout", K_DURATION, AT(auth_timeout), 1, 60 * MINUTE, "30s"},
	{"idle_timeout", K_DURATION, AT(idle_timeout), 1, 24 * 60 * MINUTE, "300s"},
	{"request_timeout", K_DURATION, AT(request_timeout), 1, 60 * MINUTE, "30s"},
	{"shutdown_grace", K_DURATION, AT(shutdown_grace), 1, 60 * MINUTE, "30s"},
	{"log_level", K_LOG_LEVEL, AT(log_level), 0, 0, "info"},
	{"pid_file", K_PATH, AT(pid_file), 0, 0, ""},
	{"diagnostics", K_BOOL, AT(diagnostics), 0, 0, "false"},
	{"auth_threads", K_INT, AT(auth_threads), 1, 64, "2"},
	{"auth_queue_length", K_INT, AT(auth_queue_length), 1, 100000, "64"},
	{"password_hash_memory", K_INT, AT(password_hash_memory), 8, 4 * 1024 * 1024, "19456"},
	{"password_hash_iterations", K_INT, AT(password_hash_iterations), 1, 100, "2"},
	{"password_min_length", K_INT, AT(password_min_length), 8, 1024, "10"},
	{"session_lifetime", K_DURATION, AT(session_lifetime), 1000, 20 * 24 * 60 * MINUTE, "12h"},
	{"session_idle_timeout", K_DURATION, AT(session_idle_timeout), 1000, 20 * 24 * 60 * MINUTE, "1h"},
	{"login_max_failures", K_INT, AT(login_max_failures), 1, 1000, "5"},
	{"login_max_failures_addr", K_INT, AT(login_max_failures_addr), 1, 100000, "20"},
	{"login_lockout_max", K_DURATION, AT(login_lockout_max), 1000, 24 * 60 * MINUTE, "15min"},
	{"login_user_hourly_cap", K_INT, AT(login_user_hourly_cap), 1, 1000000, "100"},
	/* Commit hashes the whole file in one PostgreSQL backend (in memory
	 * once or twice over): hence the ceiling (docs/operations.md). */
	{"attachment_max_size", K_SIZE, AT(attachment_max_size), 0, 256LL * 1024 * 1024, "25MiB"},
	{"attachment_upload_expiry", K_DURATION, AT(attachment_upload_expiry), SECOND, 7 * 24 * 60 * MINUTE, "1h"},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

typedef struct parse_state {
	crm_config *cfg;
	crm_err *err;
	bool seen[N_KEYS];
	/* line reader */
	const char *text;
	size_t pos;
	int line;
	bool indented;          /* the current line starts with blanks */
	bool key_since_section; /* a key was read since the last [section] */
	int err_line;           /* line of the first error the handler set */
	/* a list key's value so far, to which indented lines append */
	char list[LIST_MAX];
} parse_state;

/* Copies s into out, cut at QUOTE_MAX bytes, for quoting in a message. */
static const char *quote(const char *s, char out[QUOTE_MAX + 4]) {
	size_t n = strlen(s);

	if (n <= QUOTE_MAX) {
		memcpy(out, s, n + 1);
	} else {
		memcpy(out, s, QUOTE_MAX);
		memcpy(out + QUOTE_MAX, "...", 4);
	}
	return out;
}

static void *field_ptr(crm_config *cfg, const key_def *k) { return (char *)cfg + k->offset; }

/* Decimal integer, optionally negative, nothing else around it. */
static bool parse_ll(const char *s, long long *out) {
	char *end;

	if (*s != '-' && !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0';
}

static bool set_int(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	char q[QUOTE_MAX + 4];
	long long n;

	if (!parse_ll(v, &n))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be an integer between %lld and %lld, got \"%s\"", k->min,
				   k->max, quote(v, q));
	if (n < k->min || n > k->max)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be between %lld and %lld, got %lld", k->min, k->max, n);
	if (k->type == K_U32)
		*(uint32_t *)field_ptr(cfg, k) = (uint32_t)n;
	else
		*(int *)field_ptr(cfg, k) = (int)n;
	return true;
}

/* Writes a millisecond count the way a user would: "5min", "10s", "250ms". */
static const char *fmt_duration(long long ms, char out[32]) {
	if (ms != 0 && ms % (60 * MINUTE) == 0)
		snprintf(out, 32, "%lldh", ms / (60 * MINUTE));
	else if (ms != 0 && ms % MINUTE == 0)
		snprintf(out, 32, "%lldmin", ms / MINUTE);
	else if (ms != 0 && ms % SECOND == 0)
		snprintf(out, 32, "%llds", ms / SECOND);
	else
		snprintf(out, 32, "%lldms", ms);
	return out;
}

/* "<digits>[ms|s|min|h|d]", bare digits being seconds. */
static bool parse_duration(const char *s, long long *ms) {
	long long n = 0, unit;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > 1000000000000LL) /* far beyond any limit; avoids overflow */
			return false;
		n = n * 10 + (*p - '0');
	}
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit = SECOND;
	else if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (strcmp(p, "min") == 0)
		unit = MINUTE;
	else if (strcmp(p, "h") == 0)
		unit = 60 * MINUTE;
	else if (strcmp(p, "d") == 0)
		unit = 24 * 60 * MINUTE;
	else
		return false;
	*ms = n * unit;
	return true;
}

static bool set_duration(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	char q[QUOTE_MAX + 4], lo[32], hi[32], got[32];
	long long ms;

	if (!parse_duration(v, &ms))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be a duration such as 500ms, 10s, 5min or 12h, got \"%s\"",
				   quote(v, q));
	if (ms < k->min || ms > k->max)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be between %s and %s, got %s", fmt_duration(k->min, lo),
				   fmt_duration(k->max, hi), fmt_duration(ms, got));
	*(int *)field_ptr(cfg, k) = (int)ms;
	return true;
}

/* Writes a byte count the way a user would: "25MiB", "512KiB", "1000". */
static const char *fmt_size(long long n, char out[32]) {
	if (n != 0 && n % (1024 * 1024) == 0)
		snprintf(out, 32, "%lldMiB", n / (1024 * 1024));
	else if (n != 0 && n % 1024 == 0)
		snprintf(out, 32, "%lldKiB", n / 1024);
	else
		snprintf(out, 32, "%lld", n);
	return out;
}

/* "<digits>[KiB|MiB|GiB]", bare digits being bytes. */
static bool parse_size(const char *s, long long *n) {
	long long v = 0, unit;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 1000000000000LL)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (*p == '\0')
		unit = 1;
	else if (strcmp(p, "KiB") == 0)
		unit = 1024;
	else if (strcmp(p, "MiB") == 0)
		unit = 1024 * 1024;
	else if (strcmp(p, "GiB") == 0)
		unit = 1024 * 1024 * 1024;
	else
		return false;
	*n = v * unit;
	return true;
}

static bool set_size(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	char q[QUOTE_MAX + 4], lo[32], hi[32], got[32];
	long long n;

	if (!parse_size(v, &n))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be a size in bytes such as 1048576, 512KiB or 25MiB, got \"%s\"",
				   quote(v, q));
	if (n < k->min || n > k->max)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be between %s and %s, got %s", fmt_size(k->min, lo),
				   fmt_size(k->max, hi), fmt_size(n, got));
	*(uint32_t *)field_ptr(cfg, k) = (uint32_t)n;
	return true;
}

static bool set_bool(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char q[QUOTE_MAX + 4];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*(bool *)field_ptr(cfg, k) = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*(bool *)field_ptr(cfg, k) = false;
			return true;
		}
	}
	return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
			   "must be true or false (or yes/no, on/off, 1/0), got \"%s\"", quote(v, q));
}

static bool set_path(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	if (strlen(v) >= k->size)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be shorter than %zu bytes", k->size);
	memcpy(field_ptr(cfg, k), v, strlen(v) + 1);
	return true;
}

static bool is_conninfo_keyword(const char *s, size_t len) {
	PQconninfoOption *opts = PQconndefaults();
	bool found = false;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strlen(o->keyword) == len && memcmp(o->keyword, s, len) == 0)
			found = true;
	PQconninfoFree(opts);
	return found;
}

/*
 * Copies libpq's parse error, hiding every quoted fragment that is not a
 * connection keyword or a lone punctuation mark: libpq quotes pieces of
 * the string it could not parse, and those may be parts of a password.
 */
static void redact_libpq_error(const char *in, char *out, size_t outsz) {
	size_t o = 0;

	while (*in && o + 1 < outsz) {
		const char *close = *in == '"' ? strchr(in + 1, '"') : NULL;
		if (close == NULL) {
			if (*in != '\n')
				out[o++] = *in;
			in++;
			continue;
		}
		size_t len = (size_t)(close - in - 1);
		bool keep = (len == 1 && ispunct((unsigned char)in[1])) ||
			    is_conninfo_keyword(in + 1, len);
		const char *piece = keep ? in : "\"(hidden)\"";
		size_t plen = keep ? len + 2 : strlen(piece);
		for (size_t i = 0; i < plen && o + 1 < outsz; i++)
			out[o++] = piece[i];
		in = close + 1;
	}
	out[o] = '\0';
}

static bool set_dsn(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	PQconninfoOption *opts;
	char *pqerr = NULL;
	char msg[CRM_ERR_MSG_MAX];

	if (strlen(v) >= k->size)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be shorter than %zu bytes", k->size);
	if (v[0] != '\0') {
		opts = PQconninfoParse(v, &pqerr);
		if (opts == NULL) {
			redact_libpq_error(pqerr ? pqerr : "out of memory", msg, sizeof(msg));
			PQfreemem(pqerr);
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "is not a valid libpq connection string: %s", msg);
		}
		PQconninfoFree(opts);
	}
	memcpy(field_ptr(cfg, k), v, strlen(v) + 1);
	return true;
}

static bool set_log_level(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	char q[QUOTE_MAX + 4];

	if (!crm_log_parse_level(v, (crm_log_level *)field_ptr(cfg, k)))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "must be one of error, warn, info, debug, got \"%s\"", quote(v, q));
	return true;
}

/* Splits a comma list in place; calls fn on each trimmed item. */
static bool each_item(const key_def *k, crm_config *cfg, const char *v, crm_err *err,
		      bool (*fn)(const key_def *, crm_config *, char *, crm_err *)) {
	char buf[LIST_MAX];
	char *item, *end, *next;

	if (strlen(v) >= sizeof(buf))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name, "is too long");
	memcpy(buf, v, strlen(v) + 1);
	for (item = buf; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*item == '\0' && next == NULL && item != buf)
			break; /* a trailing comma, as when a list goes on below */
		if (*item == '\0')
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "has an empty entry in its comma-separated list");
		if (!fn(k, cfg, item, err))
			return false;
	}
	return true;
}

static bool parse_port(const key_def *k, const char *s, uint16_t *port, crm_err *err) {
	char q[QUOTE_MAX + 4];
	long long n;

	if (!isdigit((unsigned char)*s) || !parse_ll(s, &n) || n < 1 || n > 65535)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "port must be between 1 and 65535, got \"%s\"", quote(s, q));
	*port = (uint16_t)n;
	return true;
}

static bool host_name_ok(const char *h) {
	if (*h == '\0' || strlen(h) > 253)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return false;
	return true;
}

static bool add_listen(const key_def *k, crm_config *cfg, char *item, crm_err *err) {
	char q[QUOTE_MAX + 4];
	struct in6_addr a6;
	crm_listen_addr la;
	char *host = item, *colon;

	if (cfg->n_listen == CRM_CONFIG_MAX_LISTEN)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "may name at most %d addresses", CRM_CONFIG_MAX_LISTEN);
	memset(&la, 0, sizeof(la));
	if (*item == '[') {
		char *close = strchr(item, ']');
		if (close == NULL || close[1] != ':')
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "expected [address]:port, got \"%s\"", quote(item, q));
		*close = '\0';
		host = item + 1;
		colon = close + 1;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "\"%s\" is not an IPv6 address", quote(host, q));
	} else {
		colon = strrchr(item, ':');
		if (colon == NULL)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "expected host:port, got \"%s\"", quote(item, q));
		*colon = '\0';
		if (strchr(host, ':'))
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "write IPv6 addresses in brackets, e.g. [::1]:7443");
		if (*host == '\0')
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "missing host before :%s (use 0.0.0.0 or [::] for "
					   "every address)",
					   quote(colon + 1, q));
		if (!host_name_ok(host))
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "\"%s\" is not a host name or address", quote(host, q));
	}
	if (!parse_port(k, colon + 1, &la.port, err))
		return false;
	snprintf(la.host, sizeof(la.host), "%s", host);
	for (int i = 0; i < cfg->n_listen; i++)
		if (cfg->listen[i].port == la.port && strcmp(cfg->listen[i].host, la.host) == 0)
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "lists %s port %u twice", la.host, la.port);
	cfg->listen[cfg->n_listen++] = la;
	return true;
}

static bool set_listen(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	cfg->n_listen = 0;
	if (v[0] == '\0')
		return true; /* entries may follow on indented lines; see check_whole */
	return each_item(k, cfg, v, err, add_listen);
}

/* The address bytes of a v4 or v6 sockaddr, and their count. */
static const uint8_t *addr_bytes(const struct sockaddr *sa, size_t *n) {
	if (sa->sa_family == AF_INET) {
		*n = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*n = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	}
	*n = 0;
	return NULL;
}

/* True when the first `prefix` bits of a and b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix) {
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

static bool add_cidr(const key_def *k, crm_config *cfg, char *item, crm_err *err) {
	char q[QUOTE_MAX + 4];
	crm_cidr c;
	char *slash = strchr(item, '/');
	const uint8_t *bytes;
	size_t n;
	long long prefix = -1;
	int af = strchr(item, ':') ? AF_INET6 : AF_INET;

	if (cfg->n_trusted_proxies == CRM_CONFIG_MAX_PROXIES)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "may name at most %d ranges", CRM_CONFIG_MAX_PROXIES);
	memset(&c, 0, sizeof(c));
	c.addr.ss_family = (sa_family_t)af;
	bytes = addr_bytes((struct sockaddr *)&c.addr, &n);
	if (slash)
		*slash = '\0';
	if (inet_pton(af, item, (void *)bytes) != 1)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "\"%s\" is not an IPv4 or IPv6 address", quote(item, q));
	if (slash && (!isdigit((unsigned char)slash[1]) || !parse_ll(slash + 1, &prefix) ||
		      prefix > (long long)n * 8))
		return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
				   "prefix length after %s/ must be between 0 and %zu", quote(item, q),
				   n * 8);
	c.prefix = slash ? (unsigned)prefix : (unsigned)n * 8;
	/* An address with host bits set is most likely a typo for a range. */
	if (c.prefix < n * 8) {
		uint8_t masked[16];
		for (size_t i = 0; i < n; i++) {
			unsigned bits = c.prefix > i * 8 ? c.prefix - (unsigned)i * 8 : 0;
			masked[i] = bits >= 8 ? bytes[i] : (uint8_t)(bytes[i] & (0xFF << (8 - bits)));
		}
		if (memcmp(masked, bytes, n) != 0) {
			char net[INET6_ADDRSTRLEN];
			inet_ntop(af, masked, net, sizeof(net));
			return crm_err_set(err, CRM_INVALID_ARGUMENT, k->name,
					   "%s/%u has host bits set; did you mean %s/%u?",
					   quote(item, q), c.prefix, net, c.prefix);
		}
	}
	cfg->trusted_proxies[cfg->n_trusted_proxies++] = c;
	return true;
}

static bool set_cidrs(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	cfg->n_trusted_proxies = 0;
	if (v[0] == '\0')
		return true;
	return each_item(k, cfg, v, err, add_cidr);
}

static bool set_value(const key_def *k, crm_config *cfg, const char *v, crm_err *err) {
	switch (k->type) {
	case K_INT:
	case K_U32:
		return set_int(k, cfg, v, err);
	case K_DURATION:
		return set_duration(k, cfg, v, err);
	case K_SIZE:
		return set_size(k, cfg, v, err);
	case K_BOOL:
		return set_bool(k, cfg, v, err);
	case K_PATH:
		return set_path(k, cfg, v, err);
	case K_DSN:
		return set_dsn(k, cfg, v, err);
	case K_LISTEN:
		return set_listen(k, cfg, v, err);
	case K_CIDRS:
		return set_cidrs(k, cfg, v, err);
	case K_LOG_LEVEL:
		return set_log_level(k, cfg, v, err);
	}
	return crm_err_set(err, CRM_INTERNAL, k->name, "unhandled key type");
}

void crm_config_defaults(crm_config *cfg) {
	crm_err err;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_KEYS; i++) {
		crm_err_clear(&err);
		if (!set_value(&keys[i], cfg, keys[i].def, &err))
			abort(); /* a bad default in keys[]; the unit test catches it */
	}
}

/* fgets-like reader over the in-memory text; see the top of the file. */
static char *read_line(char *buf, int size, void *stream) {
	parse_state *st = stream;
	const char *start = st->text + st->pos, *nl;
	size_t len;

	if (*start == '\0' || crm_err_isset(st->err))
		return NULL;
	nl = strchr(start, '\n');
	len = nl ? (size_t)(nl - start) : strlen(start);
	st->pos += len + (nl ? 1 : 0);
	st->line++;
	if (len > LINE_MAX_CHARS || len + 1 > (size_t)size) {
		char where[32];
		snprintf(where, sizeof(where), "line %d", st->line);
		st->err_line = st->line;
		crm_err_set(st->err, CRM_INVALID_ARGUMENT, where,
			    "is longer than %d characters", LINE_MAX_CHARS);
		return NULL;
	}
	memcpy(buf, start, len);
	buf[len] = '\0';
	st->indented = len > 0 && (buf[0] == ' ' || buf[0] == '\t');
	const char *p = buf;
	while (isspace((unsigned char)*p))
		p++;
	/* As inih does: an indented line after a key continues it, even if it
	 * starts with '[' (a bracketed IPv6 address). */
	if (*p == '[' && !(st->indented && st->key_since_section))
		st->key_since_section = false;
	return buf;
}

/*
 * An indented line after a key is, to inih, more of that key's value. The
 * list keys take it as more entries (long lists do not fit on one line);
 * for any other key it is a mistake worth naming, most likely an indented
 * "key = value" that would otherwise vanish into the previous value.
 */
static bool continue_list(parse_state *st, const key_def *k, const char *value) {
	char where[32];
	size_t n = strlen(st->list);

	if ((k->type != K_LISTEN && k->type != K_CIDRS) || strchr(value, '=') != NULL) {
		snprintf(where, sizeof(where), "line %d", st->line);
		return crm_err_set(st->err, CRM_INVALID_ARGUMENT, where,
				   "indented line continues the value of %s, and only listen and "
				   "trusted_proxies take more than one line: remove the indentation",
				   k->name);
	}
	if (n + strlen(value) + 2 > sizeof(st->list))
		return crm_err_set(st->err, CRM_INVALID_ARGUMENT, k->name, "is too long");
	snprintf(st->list + n, sizeof(st->list) - n, "%s%s",
		 n > 0 && st->list[n - 1] != ',' ? "," : "", value);
	return set_value(k, st->cfg, st->list, st->err);
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
	parse_state *st = user;
	char where[32];
	size_t i;

	if (crm_err_isset(st->err))
		return 1; /* the first error wins; inih already has its line */
	st->err_line = st->line;
	for (i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == N_KEYS && name[0] == '\0') {
		snprintf(where, sizeof(where), "line %d", st->line);
		crm_err_set(st->err, CRM_INVALID_ARGUMENT, where, "missing key before '='");
		return 0;
	}
	if (i == N_KEYS) {
		crm_err_set(st->err, CRM_INVALID_ARGUMENT, name, "unknown key");
		return 0;
	}
	if (st->indented && st->key_since_section) {
		if (!continue_list(st, &keys[i], value))
			return 0;
		st->err_line = 0;
		return 1;
	}
	st->key_since_section = true;
	if (strcmp(section, "crmd") != 0) {
		crm_err_set(st->err, CRM_INVALID_ARGUMENT, name,
			    section[0] ? "must be in section [crmd], not [%.40s]"
				       : "must be in section [crmd]%s",
			    section[0] ? section : " (add a [crmd] line above it)");
		return 0;
	}
	if (st->seen[i]) {
		crm_err_set(st->err, CRM_INVALID_ARGUMENT, name, "is set more than once");
		return 0;
	}
	st->seen[i] = true;
	snprintf(st->list, sizeof(st->list), "%s", value);
	if (!set_value(&keys[i], st->cfg, value, st->err))
		return 0;
	st->err_line = 0;
	return 1;
}

static bool check_readable(const char *key, const char *path, bool required, crm_err *err) {
	if (path[0] == '\0')
		return required ? crm_err_set(err, CRM_INVALID_ARGUMENT, key, "is required") : true;
	if (access(path, R_OK) != 0)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, key, "cannot read %s: %s", path,
				   strerror(errno));
	return true;
}

/* Rules that involve more than one key, or that a missing key breaks. */
static bool check_whole(crm_config *cfg, bool preauth_set, crm_err *err) {
	if (cfg->n_listen == 0)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "listen",
				   "must name at least one host:port");
	/* The default yields to a smaller max_frame; an explicit value does not. */
	if (!preauth_set && cfg->max_frame_preauth > cfg->max_frame)
		cfg->max_frame_preauth = cfg->max_frame;
	if (cfg->max_frame_preauth > cfg->max_frame)
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "max_frame_preauth",
				   "must be between 1024 and max_frame (%u), got %u", cfg->max_frame,
				   cfg->max_frame_preauth);
	if (!check_readable("tls_cert", cfg->tls_cert, true, err) ||
	    !check_readable("tls_key", cfg->tls_key, true, err) ||
	    !check_readable("tls_client_ca", cfg->tls_client_ca, false, err))
		return false;
	if (cfg->tls_client_cert_required && cfg->tls_client_ca[0] == '\0')
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "tls_client_cert_required",
				   "needs tls_client_ca (the CA that signs client certificates)");
	return true;
}

bool crm_config_load_string(const char *text, crm_config *cfg, crm_err *err) {
	parse_state st;
	char where[32];
	int r;

	crm_config_defaults(cfg);
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.err = err;
	st.text = text;
	r = ini_parse_stream(read_line, &st, on_key, &st);
	if (r < 0)
		return crm_err_set(err, CRM_INTERNAL, "config", "out of memory reading the file");
	if (r > 0 && (!crm_err_isset(err) || (st.err_line != 0 && r < st.err_line))) {
		/* inih found a line it cannot parse before any key we refused. */
		crm_err_clear(err);
		snprintf(where, sizeof(where), "line %d", r);
		return crm_err_set(err, CRM_INVALID_ARGUMENT, where,
				   "expected \"key = value\", a [section] or a comment");
	}
	if (crm_err_isset(err))
		return false;
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].offset == offsetof(crm_config, max_frame_preauth))
			return check_whole(cfg, st.seen[i], err);
	return crm_err_set(err, CRM_INTERNAL, "max_frame_preauth", "missing from keys[]");
}

bool crm_config_load(const char *path, crm_config *cfg, crm_err *err) {
	FILE *f = NULL;
	char *text = NULL;
	size_t n;
	bool ok = false;

	f = fopen(path, "r");
	if (f == NULL) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "config", "cannot open %s: %s", path,
			    strerror(errno));
		goto cleanup;
	}
	text = malloc(FILE_MAX + 1);
	if (text == NULL) {
		crm_err_set(err, CRM_INTERNAL, "config", "out of memory");
		goto cleanup;
	}
	n = fread(text, 1, FILE_MAX + 1, f);
	if (ferror(f)) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "config", "cannot read %s: %s", path,
			    strerror(errno));
		goto cleanup;
	}
	if (n > FILE_MAX) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "config", "%s is larger than %d bytes",
			    path, FILE_MAX);
		goto cleanup;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		crm_err_set(err, CRM_INVALID_ARGUMENT, "config", "%s contains a NUL byte", path);
		goto cleanup;
	}
	ok = crm_config_load_string(text, cfg, err);
cleanup:
	free(text);
	if (f)
		fclose(f);
	return ok;
}

bool crm_config_is_trusted_proxy(const crm_config *cfg, const struct sockaddr *addr) {
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	const uint8_t *peer, *peer4 = NULL;
	size_t n;

	peer = addr_bytes(addr, &n);
	if (peer == NULL)
		return false;
	if (n == 4)
		peer4 = peer;
	else if (memcmp(peer, v4mapped, sizeof(v4mapped)) == 0)
		peer4 = peer + 12; /* ::ffff:a.b.c.d from a dual-stack socket */
	for (int i = 0; i < cfg->n_trusted_proxies; i++) {
		const crm_cidr *c = &cfg->trusted_proxies[i];
		size_t cn;
		const uint8_t *net = addr_bytes((const struct sockaddr *)&c->addr, &cn);
		if (cn == 4 && peer4 && prefix_match(peer4, net, c->prefix))
			return true;
		if (cn == 16 && n == 16 && prefix_match(peer, net, c->prefix))
			return true;
	}
	return false;
}
