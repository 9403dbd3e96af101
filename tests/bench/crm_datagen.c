/*
 * crm-datagen: reproducible data for benchmarks, loaded with COPY as the
 * owner role (a DBA-side tool: it writes the tables directly, not through
 * crmd).
 *
 *   crm-datagen --db CONNINFO [--scale S] [--seed N] [--only TYPE]
 *
 * The same scale and seed always give the same rows. Each record type is
 * one entry in `generators` below: its row count at scale 1, the COPY
 * statement, and a function writing row i. Later domains (accounts,
 * contacts, interactions, deals, tickets) add their entry there.
 *
 * Audit: generated rows get no audit history. The load runs in one
 * transaction with the tables' `audit` triggers disabled (ALTER TABLE ...
 * DISABLE TRIGGER, which the owner may do), so the figures measure the
 * request paths on realistic volumes, not a history nobody made. The
 * triggers are enabled again before commit.
 *
 * Users all get the password "datagen-<seed>" (hashed once, with the
 * server's default argon2id cost) so a benchmark can log in as any of
 * them. Sessions get tokens derived from the seed: the token of session i
 * is the hex SHA-256 of "datagen:<seed>:<i>", so a load generator can
 * resume them without logging in.
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t next(rng *r) { /* splitmix64 */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t pick(rng *r, uint64_t n) { return n ? next(r) % n : 0; }

static const char *const latin_given[] = {"Anna", "Ben", "Carla", "David", "Elena", "Felix",
					  "Grace", "Hugo", "Ines", "Jonas", "Kofi", "Lena",
					  "Marco", "Nadia", "Omar", "Paula", "Rui", "Sofia"};
static const char *const latin_family[] = {"Müller", "Smith", "García", "Rossi", "Dubois",
					   "Nowak", "Jensen", "O'Brien", "Silva", "Kowalski",
					   "Schneider", "Martin", "Costa", "Andersson"};
static const char *const cjk_family[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"};
static const char *const cjk_given[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军"};
static const char *const roles[] = {"sales", "sales", "sales", "support", "support",
				    "marketing", "manager", "viewer"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct ctx {
	double scale;
	uint64_t seed;
	char hash[crypto_pwhash_STRBYTES];
	long teams, users;
	long team_base, user_base; /* ids already taken before this load */
} ctx;

typedef struct generator {
	const char *name;
	double per_scale; /* rows at scale 1 */
	const char *table;
	const char *columns; /* the COPY column list */
	void (*row)(const ctx *c, long i, char *buf, size_t size);
} generator;

/* Teams: 10 top-level teams, the rest below them (two levels). */
static void team_row(const ctx *c, long i, char *buf, size_t size) {
	long parent = i < 10 ? 0 : (i < 40 ? 1 + (i % 10) : 11 + (i % 30));

	if (parent)
		snprintf(buf, size, "%ld\tTeam %ld\t%ld\n", c->team_base + i + 1, c->team_base + i + 1,
			 c->team_base + parent);
	else
		snprintf(buf, size, "%ld\tTeam %ld\t\\N\n", c->team_base + i + 1,
			 c->team_base + i + 1);
}

static void user_row(const ctx *c, long i, char *buf, size_t size) {
	rng r = {c->seed * 1000003u + (uint64_t)i};
	char name[128];

	if (pick(&r, 3) == 0)
		snprintf(name, sizeof(name), "%s%s%s", cjk_family[pick(&r, N(cjk_family))],
			 cjk_given[pick(&r, N(cjk_given))], cjk_given[pick(&r, N(cjk_given))]);
	else
		snprintf(name, sizeof(name), "%s %s", latin_given[pick(&r, N(latin_given))],
			 latin_family[pick(&r, N(latin_family))]);
	snprintf(buf, size, "%ld\tuser%06ld\t%s\tuser%06ld@example.com\t%s\t%ld\t%s\n",
		 c->user_base + i + 1, c->user_base + i + 1, name, c->user_base + i + 1,
		 roles[pick(&r, N(roles))], c->team_base + 1 + (long)pick(&r, (uint64_t)c->teams),
		 c->hash);
}

static void session_row(const ctx *c, long i, char *buf, size_t size) {
	char text[128], hex[65];
	uint8_t tok[32], hash[32];

	snprintf(text, sizeof(text), "datagen:%llu:%ld", (unsigned long long)c->seed, i);
	crypto_hash_sha256(tok, (const uint8_t *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), tok, sizeof(tok));
	crypto_hash_sha256(hash, (const uint8_t *)hex, 64);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	snprintf(buf, size, "\\\\x%s\t%ld\tdatagen\t2100-01-01 00:00:00+00\t36500 days\n", hex,
		 c->user_base + 1 + (i % c->users));
}

static const generator generators[] = {
	{"teams", 50, "crm.teams", "id, name, parent_id", team_row},
	{"users", 1000, "crm.users", "id, username, display_name, email, role, team_id, password_hash",
	 user_row},
	{"sessions", 10000, "crm.sessions", "token_hash, user_id, client_name, expires_at, idle_timeout",
	 session_row},
};

static void die(const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "crm-datagen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void exec_ok(PGconn *db, const char *sql) {
	PGresult *r = PQexec(db, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
}

static long max_id(PGconn *db, const char *table) {
	char sql[128];
	PGresult *r;
	long v;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s", table);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(db));
	v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(const char *name, long done, long total, double t0, bool last) {
	double el = now_s() - t0, rate = el > 0 ? done / el : 0;

	if (!isatty(STDERR_FILENO) && !last)
		return;
	fprintf(stderr, "\r%-10s %10ld/%-10ld %10.0f rows/s  ETA %5.0fs%s", name, done, total, rate,
		rate > 0 ? (total - done) / rate : 0, last ? "\n" : "");
}

static void load(PGconn *db, const ctx *c, const generator *g) {
	long total = (long)llround(g->per_scale * c->scale), i;
	char buf[1024], sql[512];
	double t0 = now_s();
	PGresult *r;

	if (total < 1)
		total = 1;
	/* COPY into a staging table, then one INSERT that may give the ids
	 * (identity columns are GENERATED ALWAYS). */
	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA",
		 g->columns, g->table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "COPY stage (%s) FROM STDIN", g->columns);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	for (i = 0; i < total; i++) {
		g->row(c, i, buf, sizeof(buf));
		if (PQputCopyData(db, buf, (int)strlen(buf)) != 1)
			die("COPY %s: %s", g->name, PQerrorMessage(db));
		if (i % 4096 == 0)
			progress(g->name, i, total, t0, false);
	}
	if (PQputCopyEnd(db, NULL) != 1)
		die("COPY %s: %s", g->name, PQerrorMessage(db));
	r = PQgetResult(db);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("COPY %s: %s", g->name, PQerrorMessage(db));
	PQclear(r);
	snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER audit", g->table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT * FROM stage",
		 g->table, g->columns);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ENABLE TRIGGER audit", g->table);
	exec_ok(db, sql);
	exec_ok(db, "DROP TABLE stage");
	progress(g->name, total, total, t0, true);
}

int main(int argc, char **argv) {
	static const struct option lo[] = {{"db", 1, 0, 'd'},	 {"scale", 1, 0, 's'},
					   {"seed", 1, 0, 'S'}, {"only", 1, 0, 'o'},
					   {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *conninfo = NULL, *only = NULL;
	char pw[64];
	ctx c = {.scale = 1, .seed = 1};
	PGconn *db;
	int o;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'd': conninfo = optarg; break;
		case 's': c.scale = atof(optarg); break;
		case 'S': c.seed = strtoull(optarg, NULL, 10); break;
		case 'o': only = optarg; break;
		case 'h':
			printf("usage: crm-datagen --db CONNINFO [--scale S] [--seed N] [--only TYPE]\n"
			       "  loads teams, users, sessions as the owner role (see the file header)\n");
			return 0;
		default: return 2;
		}
	}
	if (conninfo == NULL || c.scale <= 0)
		die("--db CONNINFO (the owner role) is required; --scale must be positive");
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	snprintf(pw, sizeof(pw), "datagen-%llu", (unsigned long long)c.seed);
	if (crypto_pwhash_str_alg(c.hash, pw, strlen(pw), 2, 19456 * 1024,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("argon2id failed");
	c.teams = (long)llround(generators[0].per_scale * c.scale);
	c.users = (long)llround(generators[1].per_scale * c.scale);
	if (c.teams < 1 || c.users < 1)
		c.teams = c.users = 1;
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK)
		die("cannot connect: %s", PQerrorMessage(db));
	exec_ok(db, "BEGIN");
	c.team_base = max_id(db, "crm.teams");
	c.user_base = max_id(db, "crm.users");
	for (size_t i = 0; i < N(generators); i++)
		if (only == NULL || strcmp(only, generators[i].name) == 0)
			load(db, &c, &generators[i]);
	/* Identity columns: continue after the rows given explicit ids. */
	exec_ok(db, "SELECT setval(pg_get_serial_sequence('crm.teams', 'id'),"
		    " (SELECT max(id) FROM crm.teams))");
	exec_ok(db, "SELECT setval(pg_get_serial_sequence('crm.users', 'id'),"
		    " (SELECT max(id) FROM crm.users))");
	exec_ok(db, "COMMIT");
	exec_ok(db, "ANALYZE crm.teams, crm.users, crm.sessions");
	PQfinish(db);
	fprintf(stderr, "crm-datagen: scale %g seed %llu loaded; users' password: %s\n", c.scale,
		(unsigned long long)c.seed, pw);
	return 0;
}
