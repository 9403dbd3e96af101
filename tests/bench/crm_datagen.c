/*
 * crm-datagen: reproducible data for benchmarks, loaded with COPY as the
 * owner role (a DBA-side tool: it writes the tables directly, not through
 * crmd).
 *
 *   crm-datagen --db CONNINFO [--scale S] [--seed N] [--only TYPE[,TYPE...]]
 *               [--audit-rows N] [--types N]
 *
 * The same scale and seed on the same database always give the same rows.
 * Each kind of row is one entry in `generators` below, loaded in that
 * order: its count at scale 1, the COPY target and a function writing the
 * rows of item i (a contact's e-mail addresses, say, are the rows of item
 * i of `emails`). At scale 1: 50 teams, 1,000 users, 10,000 sessions,
 * 200,000 accounts, 1,000,000 contacts (30% Chinese names in eastern
 * order) with about 1,050,000 relations to accounts (90% of contacts have
 * a primary one, mirrored in contacts.account_id), 1,020,000 e-mail
 * addresses, 1,000,000 phone numbers in many national formats, and
 * 400,000 tags, and 500,000 audit rows (--audit-rows N for another
 * number): the history of random accounts, 80% of it by the account's
 * owner, newest last, with the subject columns crmd's own trigger would
 * write (sql/0007_audit.sql); run again with --only audit to add more;
 * 5,000,000 interactions over the three years before 2026 and 500,000
 * tasks (70% done), each with an account and often one of its contacts
 * (some with the contact only: on the account's timeline through it),
 * skewed so that the first 5 accounts hold 10% of them (100,000
 * interactions each at scale 1; at a smaller scale fewer such accounts,
 * at least one) and the others about 22 each.
 * Industries follow a Zipf-like curve: the most common one
 * holds a third of the accounts, so a list filtered on it has a 1,000th
 * page of 50. --only loads the named generators alone; the
 * rows they point at (users, accounts; for relations, emails, phones and
 * tags the contacts and accounts of an earlier run with the same seed) are
 * taken from the database.
 *
 * Item i of each generator is a pure function of (seed, i) and of what it
 * points at: every attribute comes from a splitmix stream seeded with the
 * seed, the generator and i, so relations, e-mail addresses and phones
 * recompute the contact they belong to instead of remembering it.
 *
 * Business records (accounts, contacts) take their ids from one block
 * reserved on crm.record_id_seq (so later inserts through crmd never
 * collide; the database should be quiet while the block is reserved) and
 * are registered in crm.records by a COPY before their own.
 *
 * The load runs in one transaction. For each table it writes it disables
 * the triggers named in the generator (audit, and for business tables
 * register_record and touch_record: generated rows get no audit history,
 * and their registry rows are written here), lifts FORCE ROW LEVEL
 * SECURITY (COPY refuses a table whose row-level security applies to the
 * user; the owner bypasses it without FORCE) and, when the table receives
 * more rows than it holds, drops its indexes, foreign keys, and primary
 * keys and unique constraints that no foreign key points at, and
 * re-creates them after the COPY (a sort or a join each, instead of a
 * million index insertions and key checks). Everything is restored before
 * the commit; an error rolls it all back. Afterwards the loaded tables are
 * vacuumed and analysed, so the first benchmark does not pay for hint bits.
 *
 * --types N adds N synthetic record types, for benchmarks only (how
 * get and list fare as the registry grows): bench_t01, bench_t02, ...
 * after those an earlier run added, each a row in crm.record_types, a
 * table crm.bench_tNN with the columns every business record has and a
 * name, made a record type as crmd's own are (crm.attach_record: registry,
 * versions, row-level security, audit), the permissions of accounts, and
 * 1,000 rows at scale 1 owned by random users; then crm.refresh_side_rls()
 * so the side tables' policies cover them. `--only types --types N` adds
 * the types alone; `--drop-types` removes them all again (and loads
 * nothing), so a benchmark can measure with and without them in turn. A
 * database with them is for benchmarks, not for crmd's tests (the catalog
 * lint knows nothing of them).
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
#include <strings.h>
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

/* true with probability pct/100 */
static bool chance(rng *r, int pct) { return (int)pick(r, 100) < pct; }

static double unit(rng *r) { return (double)(next(r) >> 11) / 9007199254740992.0; }

/* Independent streams: one per (generator or attribute group, item). */
enum { S_ACCOUNT = 1, S_CONTACT, S_NAME, S_LINK, S_OWNER, S_EMAIL, S_PHONE, S_TAG, S_CREATED, S_AUDIT,
       S_INTERACTION, S_TASK };

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

/* Contacts: larger lists, each name with the ASCII form its e-mail
 * address uses. */
typedef struct name {
	const char *text, *ascii;
} name;

static const name person_given[] = {
	{"Anna", "anna"},     {"Ben", "ben"},	      {"Carla", "carla"},   {"David", "david"},
	{"Elena", "elena"},   {"Felix", "felix"},     {"Grace", "grace"},   {"Hugo", "hugo"},
	{"Inès", "ines"},     {"Jonas", "jonas"},     {"Kofi", "kofi"},     {"Lena", "lena"},
	{"Marco", "marco"},   {"Nadia", "nadia"},     {"Omar", "omar"},     {"Paula", "paula"},
	{"Rui", "rui"},	      {"Sofia", "sofia"},     {"Thomas", "thomas"}, {"Ursula", "ursula"},
	{"Viktor", "viktor"}, {"Wiebke", "wiebke"},   {"Yusuf", "yusuf"},   {"Zoë", "zoe"},
	{"Amélie", "amelie"}, {"Björn", "bjorn"},     {"Chloé", "chloe"},   {"Daniel", "daniel"},
	{"Emma", "emma"},     {"François", "francois"}, {"Giulia", "giulia"}, {"Hannah", "hannah"},
	{"Ivan", "ivan"},     {"Julia", "julia"},     {"Karim", "karim"},   {"Laura", "laura"},
	{"Mateo", "mateo"},   {"Nora", "nora"},	      {"Oliver", "oliver"}, {"Priya", "priya"},
	{"Quentin", "quentin"}, {"Rosa", "rosa"},     {"Sven", "sven"},     {"Tomás", "tomas"},
	{"Valentina", "valentina"}, {"William", "william"}, {"Xavier", "xavier"}, {"Zofia", "zofia"}};
static const name person_family[] = {
	{"Müller", "mueller"},	   {"Smith", "smith"},	      {"García", "garcia"},
	{"Rossi", "rossi"},	   {"Dubois", "dubois"},      {"Nowak", "nowak"},
	{"Jensen", "jensen"},	   {"O'Brien", "obrien"},     {"Silva", "silva"},
	{"Kowalski", "kowalski"},  {"Schneider", "schneider"}, {"Martin", "martin"},
	{"Costa", "costa"},	   {"Andersson", "andersson"}, {"Fischer", "fischer"},
	{"Weber", "weber"},	   {"Johnson", "johnson"},    {"Williams", "williams"},
	{"Brown", "brown"},	   {"Taylor", "taylor"},      {"Fernández", "fernandez"},
	{"López", "lopez"},	   {"Bianchi", "bianchi"},    {"Romano", "romano"},
	{"Lefèvre", "lefevre"},	   {"Moreau", "moreau"},      {"Wiśniewski", "wisniewski"},
	{"Novák", "novak"},	   {"Hansen", "hansen"},      {"Nielsen", "nielsen"},
	{"Van der Berg", "vanderberg"}, {"De Vries", "devries"}, {"Papadopoulos", "papadopoulos"},
	{"Yılmaz", "yilmaz"},	   {"Kaya", "kaya"},	      {"Ivanova", "ivanova"},
	{"Horváth", "horvath"},	   {"Nagy", "nagy"},	      {"Ferreira", "ferreira"},
	{"Santos", "santos"},	   {"Eriksson", "eriksson"},  {"Lindqvist", "lindqvist"},
	{"Okafor", "okafor"},	   {"Mensah", "mensah"},      {"Tanaka", "tanaka"},
	{"Kim", "kim"},		   {"Nguyen", "nguyen"},      {"Patel", "patel"}};
static const name han_family[] = {
	{"王", "wang"},	 {"李", "li"},	 {"张", "zhang"}, {"刘", "liu"},   {"陈", "chen"},
	{"杨", "yang"},	 {"黄", "huang"}, {"赵", "zhao"},  {"周", "zhou"},  {"吴", "wu"},
	{"徐", "xu"},	 {"孙", "sun"},	 {"马", "ma"},	  {"朱", "zhu"},   {"胡", "hu"},
	{"郭", "guo"},	 {"何", "he"},	 {"林", "lin"},	  {"高", "gao"},   {"罗", "luo"},
	{"郑", "zheng"}, {"梁", "liang"}, {"谢", "xie"},   {"宋", "song"},  {"唐", "tang"},
	{"许", "xu"},	 {"韩", "han"},	 {"冯", "feng"},  {"邓", "deng"},  {"曹", "cao"},
	{"欧阳", "ouyang"}, {"司马", "sima"}};
static const name han_given[] = {
	{"伟", "wei"},	 {"芳", "fang"},  {"娜", "na"},	   {"敏", "min"},   {"静", "jing"},
	{"丽", "li"},	 {"强", "qiang"}, {"磊", "lei"},   {"洋", "yang"},  {"艳", "yan"},
	{"勇", "yong"},	 {"军", "jun"},	  {"杰", "jie"},   {"娟", "juan"},  {"涛", "tao"},
	{"明", "ming"},	 {"超", "chao"},  {"秀", "xiu"},   {"霞", "xia"},   {"平", "ping"},
	{"刚", "gang"},	 {"桂", "gui"},	  {"英", "ying"},  {"华", "hua"},   {"文", "wen"},
	{"建", "jian"},	 {"国", "guo"},	  {"志", "zhi"},   {"海", "hai"},   {"红", "hong"},
	{"玉", "yu"},	 {"兰", "lan"},	  {"晓", "xiao"},  {"婷", "ting"},  {"雪", "xue"},
	{"宇", "yu"},	 {"浩", "hao"},	  {"鹏", "peng"},  {"琳", "lin"},   {"欣", "xin"}};

/* Accounts: Latin names are [family or prefix] core [city] form; Chinese
 * ones city + two words + trade + form. */
static const char *const co_prefix[] = {
	"Nordic", "Alpine", "Atlas", "Blue", "Bright", "Cedar", "Delta", "Eagle", "Evergreen",
	"Falcon", "Golden", "Granite", "Harbor", "Horizon", "Iron", "Lakeside", "Lunar", "Maple",
	"Meridian", "Northwind", "Oak", "Orion", "Pacific", "Pioneer", "Quantum", "Red", "Riverside",
	"Silver", "Summit", "Sun", "Titan", "Union", "Vertex", "Vista", "West", "Zenith", "Crown",
	"Polar", "Coastal", "Metro"};
static const char *const co_core[] = {
	"Data", "Logistics", "Foods", "Energy", "Systems", "Software", "Capital", "Health",
	"Media", "Motors", "Textiles", "Pharma", "Labs", "Consulting", "Construction", "Telecom",
	"Retail", "Analytics", "Robotics", "Solar", "Marine", "Airlines", "Insurance", "Bank",
	"Education", "Hotels", "Farms", "Steel", "Chemicals", "Design"};
static const char *const co_form[] = {"GmbH", "Ltd", "Inc.", "S.A.", "SARL", "AG", "B.V.", "S.p.A.",
				      "AB", "Sp. z o.o.", "LLC", "Corp.", "GmbH & Co. KG", "Group",
				      "Oy", "A/S"};
static const char *const han_word[] = {"华", "中", "新", "东方", "天宇", "金", "瑞", "宏", "恒", "盛",
				       "创", "信", "联", "博", "海", "鑫", "龙", "安", "明", "泰"};
static const char *const han_trade[] = {"科技", "贸易", "电子", "软件", "物流", "医药",
					"能源", "食品", "建设", "传媒", "咨询", "机械"};
static const char *const han_form[] = {"有限公司", "股份有限公司", "集团"};

static const char *const latin_titles[] = {
	"CEO", "CFO", "CTO", "Head of Sales", "Head of Procurement", "Sales Manager", "Buyer",
	"Software Engineer", "Office Manager", "Account Manager", "Project Lead", "Controller",
	"Marketing Director", "Operations Manager", "IT Administrator", "Consultant"};
static const char *const han_titles[] = {"总经理", "销售经理", "工程师", "采购经理", "财务总监",
					 "市场总监", "技术总监", "项目经理", "行政主管", "顾问"};
static const char *const channels[] = {"email", "phone", "sms", "mail", "in_person"};
static const char *const mail_domains[] = {"example.com", "example.org", "example.net",
					   "mail.example", "example.de", "example.co.uk"};
static const char *const han_mail_domains[] = {"example.cn", "example.com.cn", "mail.example.cn"};
static const char *const tag_words[] = {"vip",	     "key-account", "churn-risk", "newsletter",
					"trade-fair-2025", "partner-program", "重点客户", "expansion",
					"reference", "beta", "upsell", "Q4-focus"};
/* Industries in order of how common they are (others follow, rarer). */
static const char *const industry_rank[] = {"Software", "Manufacturing", "Retail", "Consulting",
					    "Healthcare", "Banking"};

enum phone_style { PH_DE, PH_GB, PH_FR, PH_US, PH_CN, PH_OTHER };

typedef struct country {
	const char *code, *region, *currency, *calling;
	int style;
	const char *cities[4], *streets[3];
} country;

static const country countries[] = {
	{"DE", "EMEA", "EUR", "49", PH_DE, {"Berlin", "München", "Hamburg", "Köln"},
	 {"Hauptstraße", "Bahnhofstraße", "Gartenweg"}},
	{"GB", "EMEA", "EUR", "44", PH_GB, {"London", "Manchester", "Leeds", "Bristol"},
	 {"High Street", "Station Road", "Church Lane"}},
	{"FR", "EMEA", "EUR", "33", PH_FR, {"Paris", "Lyon", "Marseille", "Lille"},
	 {"Rue de la Paix", "Avenue Foch", "Rue Victor Hugo"}},
	{"NL", "EMEA", "EUR", "31", PH_OTHER, {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"},
	 {"Kerkstraat", "Dorpsstraat", "Molenweg"}},
	{"ES", "EMEA", "EUR", "34", PH_OTHER, {"Madrid", "Barcelona", "Valencia", "Sevilla"},
	 {"Calle Mayor", "Gran Vía", "Calle del Sol"}},
	{"IT", "EMEA", "EUR", "39", PH_OTHER, {"Milano", "Roma", "Torino", "Bologna"},
	 {"Via Roma", "Corso Italia", "Via Garibaldi"}},
	{"SE", "EMEA", "EUR", "46", PH_OTHER, {"Stockholm", "Göteborg", "Malmö", "Uppsala"},
	 {"Storgatan", "Kungsgatan", "Drottninggatan"}},
	{"PL", "EMEA", "EUR", "48", PH_OTHER, {"Warszawa", "Kraków", "Łódź", "Wrocław"},
	 {"ulica Długa", "ulica Polna", "ulica Leśna"}},
	{"US", "Americas", "USD", "1", PH_US, {"New York", "San Francisco", "Chicago", "Austin"},
	 {"Main Street", "Market Street", "Oak Avenue"}},
	{"CA", "Americas", "USD", "1", PH_US, {"Toronto", "Montréal", "Vancouver", "Calgary"},
	 {"King Street", "Rue Sainte-Catherine", "Granville Street"}},
	{"BR", "Americas", "USD", "55", PH_OTHER, {"São Paulo", "Rio de Janeiro", "Curitiba", "Recife"},
	 {"Rua Augusta", "Avenida Paulista", "Rua das Flores"}},
	{"MX", "Americas", "USD", "52", PH_OTHER, {"Ciudad de México", "Guadalajara", "Monterrey", "Puebla"},
	 {"Avenida Juárez", "Calle Hidalgo", "Paseo de la Reforma"}},
	{"JP", "APAC", "USD", "81", PH_OTHER, {"東京", "大阪", "横浜", "名古屋"},
	 {"銀座", "本町", "中央通り"}},
	{"AU", "APAC", "USD", "61", PH_OTHER, {"Sydney", "Melbourne", "Brisbane", "Perth"},
	 {"George Street", "Collins Street", "Queen Street"}},
	{"SG", "APAC", "USD", "65", PH_OTHER, {"Singapore", "Jurong", "Tampines", "Woodlands"},
	 {"Orchard Road", "Raffles Place", "Marina Boulevard"}},
	{"IN", "APAC", "USD", "91", PH_OTHER, {"Mumbai", "Bengaluru", "Delhi", "Pune"},
	 {"MG Road", "Park Street", "Linking Road"}},
	{"CN", "Greater China", "CNY", "86", PH_CN, {"北京", "上海", "深圳", "广州"},
	 {"建国路", "人民路", "中山路"}},
	{"HK", "Greater China", "CNY", "852", PH_OTHER, {"香港", "九龍", "沙田", "荃灣"},
	 {"皇后大道", "彌敦道", "軒尼詩道"}},
	{"TW", "Greater China", "CNY", "886", PH_OTHER, {"台北", "台中", "高雄", "新竹"},
	 {"中山北路", "忠孝東路", "民生路"}},
};
#define CN_COUNTRY ((int)N(countries) - 3) /* CN, HK, TW: the last three */

/* ---------------------------------------------------------------- context */

typedef struct owner {
	long id, team; /* team 0: none */
} owner;

typedef struct account_ref {
	long id, owner, team;
} account_ref;

typedef struct block {
	long first, n; /* ids first .. first + n - 1 */
} block;

typedef struct picklist {
	char **v;
	int n;
} picklist;

typedef struct ctx {
	double scale;
	uint64_t seed;
	char hash[crypto_pwhash_STRBYTES];
	long teams, users;
	long team_base, user_base; /* ids already taken before this load */
	/* read from the database when a generator needs them */
	owner *owners;
	long n_owners;
	long *dg_users; /* the users crm-datagen made (user000001, ...), by id */
	long n_dg_users;
	account_ref *accounts;
	long n_accounts;
	block acc, con; /* this run's (or, with --only, the earlier run's) records */
	block inter, task; /* this run's interactions and tasks */
	/* contacts with a primary account, by account id (interactions, tasks) */
	long *cpa_acc, *cpa_con;
	long n_cpa;
	picklist industry, region, tier, role;
	double *industry_cdf;
	int greater_china; /* index in region, -1 if the pick list has none */
	long audit_base; /* audit rows already there: this run's item i is row audit_base + i */
	long audit_rows; /* --audit-rows (0: 500,000 x scale) */
} ctx;

static rng stream(const ctx *c, int s, long i) {
	rng r = {c->seed * 0xD1B54A32D192ED03ull + (uint64_t)s * 0x9E3779B97F4A7C15ull +
		 (uint64_t)i * 0xBF58476D1CE4E5B9ull};
	next(&r);
	return r;
}

/* ---------------------------------------------------------------- output */

typedef struct out {
	char *p;
	size_t len, cap;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len)
			break;
		o->cap = o->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			abort();
	}
	o->len += (size_t)n;
}

/* A nullable text column: the value, or \N. */
static const char *opt(const char *s) { return s ? s : "\\N"; }

/* Generated timestamps lie in the three years before 2026-01-01 UTC. */
#define T_END 1767225600L
#define T_SPAN (3L * 365 * 86400)

static void ts(char *buf, size_t size, long epoch) {
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* When record i of a kind was created (also its crm.records row). */
static long created_at(const ctx *c, int kind, long i) {
	rng r = stream(c, S_CREATED * 16 + kind, i);
	return T_END - T_SPAN + (long)pick(&r, (uint64_t)T_SPAN);
}

static bool is_space(char ch) { return ch != '\0' && strchr(" \t\n\r\f\v", ch) != NULL; }

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Where a trailing extension starts (what crm.phone_norm's
 * '\s*(x|ext\.?|#)\s*[0-9]+\s*$', any case, matches), or len. */
static size_t extension_at(const char *p, size_t len) {
	size_t e = len, k;

	while (e > 0 && is_space(p[e - 1]))
		e--;
	for (k = e; k > 0 && is_digit(p[k - 1]); k--)
		;
	if (k == e)
		return len;
	while (k > 0 && is_space(p[k - 1]))
		k--;
	if (k >= 4 && p[k - 1] == '.' && strncasecmp(p + k - 4, "ext", 3) == 0)
		k -= 4;
	else if (k >= 3 && strncasecmp(p + k - 3, "ext", 3) == 0)
		k -= 3;
	else if (k >= 1 && (p[k - 1] == 'x' || p[k - 1] == 'X' || p[k - 1] == '#'))
		k -= 1;
	else
		return len;
	while (k > 0 && is_space(p[k - 1]))
		k--;
	return k;
}

/* crm.phone_norm() in C: the extension dropped, then the digits, with +
 * for an international number (a leading 00 counts as +). */
static void phone_norm(const char *p, char *outp, size_t size) {
	size_t end = extension_at(p, strlen(p)), j = 0;

	while (end > 0 && p[end - 1] == ' ') /* btrim */
		end--;
	while (end > 0 && *p == ' ')
		p++, end--;
	if (end > 0 && *p == '+')
		outp[j++] = '+';
	for (size_t k = 0; k < end && j + 1 < size; k++)
		if (is_digit(p[k]))
			outp[j++] = p[k];
	outp[j] = '\0';
	if (outp[0] == '0' && outp[1] == '0') {
		outp[0] = '+';
		memmove(outp + 1, outp + 2, j - 1);
	}
}

/* A phone number in the style of a country, as people type them. */
static void phone(rng *r, const country *k, bool mobile, char *buf, size_t size) {
	static const int de_area[] = {30, 89, 40, 221, 69};
	int s = (int)pick(r, 10);

	switch (k->style) {
	case PH_DE:
		if (s < 4)
			snprintf(buf, size, "(0%d) %07d", de_area[pick(r, N(de_area))], (int)pick(r, 10000000));
		else if (s < 7)
			snprintf(buf, size, "0049 %d %07d", de_area[pick(r, N(de_area))], (int)pick(r, 10000000));
		else
			snprintf(buf, size, "+49 %d %07d", mobile ? 151 : de_area[pick(r, N(de_area))],
				 (int)pick(r, 10000000));
		break;
	case PH_GB:
		if (s < 6)
			snprintf(buf, size, "+44 20 %04d %04d", (int)pick(r, 10000), (int)pick(r, 10000));
		else
			snprintf(buf, size, "020 %04d %04d", (int)pick(r, 10000), (int)pick(r, 10000));
		break;
	case PH_FR:
		snprintf(buf, size, "+33 %d %02d %02d %02d %02d", mobile ? 6 : 1, (int)pick(r, 100),
			 (int)pick(r, 100), (int)pick(r, 100), (int)pick(r, 100));
		break;
	case PH_US:
		if (s < 3)
			snprintf(buf, size, "555-%04d x %d", (int)pick(r, 10000), 1 + (int)pick(r, 99));
		else if (s < 7)
			snprintf(buf, size, "(212) 555-%04d", (int)pick(r, 10000));
		else
			snprintf(buf, size, "+1 415 555 %04d", (int)pick(r, 10000));
		break;
	case PH_CN:
		if (mobile || s < 6)
			snprintf(buf, size, "+86 1%d%d %04d %04d", 3 + (int)pick(r, 6), (int)pick(r, 10),
				 (int)pick(r, 10000), (int)pick(r, 10000));
		else if (s < 8)
			snprintf(buf, size, "010-%08d", (int)pick(r, 100000000));
		else
			snprintf(buf, size, "0086 21 %08d", (int)pick(r, 100000000));
		break;
	default:
		snprintf(buf, size, "+%s %d %07d", k->calling, 2 + (int)pick(r, 98), (int)pick(r, 10000000));
		break;
	}
}

static const owner *some_owner(const ctx *c, rng *r) {
	return &c->owners[pick(r, (uint64_t)c->n_owners)];
}

static void team_col(char *buf, size_t size, long team) {
	if (team)
		snprintf(buf, size, "%ld", team);
	else
		snprintf(buf, size, "\\N");
}

/* ---------------------------------------------------------------- teams, users, sessions */

/* Teams: 10 top-level teams, the rest below them (two levels). */
static void team_row(const ctx *c, long i, out *o) {
	long parent = i < 10 ? 0 : (i < 40 ? 1 + (i % 10) : 11 + (i % 30));

	if (parent)
		put(o, "%ld\tTeam %ld\t%ld\n", c->team_base + i + 1, c->team_base + i + 1,
		    c->team_base + parent);
	else
		put(o, "%ld\tTeam %ld\t\\N\n", c->team_base + i + 1, c->team_base + i + 1);
}

static void user_row(const ctx *c, long i, out *o) {
	rng r = {c->seed * 1000003u + (uint64_t)i};
	char nm[128];

	if (pick(&r, 3) == 0)
		snprintf(nm, sizeof(nm), "%s%s%s", cjk_family[pick(&r, N(cjk_family))],
			 cjk_given[pick(&r, N(cjk_given))], cjk_given[pick(&r, N(cjk_given))]);
	else
		snprintf(nm, sizeof(nm), "%s %s", latin_given[pick(&r, N(latin_given))],
			 latin_family[pick(&r, N(latin_family))]);
	put(o, "%ld\tuser%06ld\t%s\tuser%06ld@example.com\t%s\t%ld\t%s\n", c->user_base + i + 1,
	    c->user_base + i + 1, nm, c->user_base + i + 1, roles[pick(&r, N(roles))],
	    c->team_base + 1 + (long)pick(&r, (uint64_t)c->teams), c->hash);
}

static void session_row(const ctx *c, long i, out *o) {
	char text[128], hex[65];
	uint8_t tok[32], hash[32];

	snprintf(text, sizeof(text), "datagen:%llu:%ld", (unsigned long long)c->seed, i);
	crypto_hash_sha256(tok, (const uint8_t *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), tok, sizeof(tok));
	crypto_hash_sha256(hash, (const uint8_t *)hex, 64);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	put(o, "\\\\x%s\t%ld\tdatagen\t2100-01-01 00:00:00+00\t36500 days\n", hex,
	    c->dg_users[i % c->n_dg_users]);
}

/* ---------------------------------------------------------------- accounts */

static int pick_industry(const ctx *c, rng *r) {
	double u = unit(r);

	for (int k = 0; k < c->industry.n; k++)
		if (u < c->industry_cdf[k])
			return k;
	return c->industry.n - 1;
}

static const country *account_country(const ctx *c, rng *r, bool han, int *region) {
	const char *rname;
	int tries = 0;

	if (han && c->greater_china >= 0) {
		*region = c->greater_china;
		return &countries[chance(r, 80) ? CN_COUNTRY : CN_COUNTRY + 1 + (int)pick(r, 2)];
	}
	do
		*region = (int)pick(r, (uint64_t)c->region.n);
	while (*region == c->greater_china && c->region.n > 1 && ++tries < 8);
	rname = c->region.v[*region];
	for (int k = 0, seen = 0, want = (int)pick(r, 8); k < 64; k++) {
		const country *x = &countries[k % N(countries)];
		if (strcmp(x->region, rname) == 0 && seen++ == want)
			return x;
	}
	return &countries[pick(r, CN_COUNTRY)]; /* a region of the admins' own */
}

static void account_name(rng *r, bool han, bool individual, const char *city, char *buf,
			 size_t size) {
	if (individual && han)
		snprintf(buf, size, "%s%s%s", han_family[pick(r, N(han_family))].text,
			 han_given[pick(r, N(han_given))].text, han_given[pick(r, N(han_given))].text);
	else if (individual)
		snprintf(buf, size, "%s %s", person_given[pick(r, N(person_given))].text,
			 person_family[pick(r, N(person_family))].text);
	else if (han)
		snprintf(buf, size, "%s%s%s%s%s", city, han_word[pick(r, N(han_word))],
			 han_word[pick(r, N(han_word))], han_trade[pick(r, N(han_trade))],
			 han_form[pick(r, N(han_form))]);
	else if (chance(r, 30))
		snprintf(buf, size, "%s %s %s", person_family[pick(r, N(person_family))].text,
			 co_core[pick(r, N(co_core))], co_form[pick(r, N(co_form))]);
	else if (chance(r, 30))
		snprintf(buf, size, "%s %s %s %s", co_prefix[pick(r, N(co_prefix))],
			 co_core[pick(r, N(co_core))], city, co_form[pick(r, N(co_form))]);
	else
		snprintf(buf, size, "%s %s %s", co_prefix[pick(r, N(co_prefix))],
			 co_core[pick(r, N(co_core))], co_form[pick(r, N(co_form))]);
}

/* "Atlas Data GmbH" → "atlasdatagmbh"; empty for non-Latin names. */
static void slug(const char *s, char *buf, size_t size) {
	size_t j = 0;

	for (; *s && j + 1 < size; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			buf[j++] = *s;
		else if (*s >= 'A' && *s <= 'Z')
			buf[j++] = (char)(*s - 'A' + 'a');
	buf[j] = '\0';
}

static void account_row(const ctx *c, long i, out *o) {
	static const char *const types[] = {"prospect", "prospect", "prospect", "prospect", "customer",
					    "customer", "customer", "customer", "partner", "competitor",
					    "other"};
	rng r = stream(c, S_ACCOUNT, i);
	const owner *w = some_owner(c, &r);
	long id = c->acc.first + i, created = created_at(c, S_ACCOUNT, i);
	long updated = created + (long)pick(&r, (uint64_t)(T_END - created));
	bool han = chance(&r, 30), individual = chance(&r, 3);
	int region, industry = pick_industry(c, &r);
	const country *k = account_country(c, &r, han, &region);
	char nm[256], cts[32], uts[32], team[24], web[128], ph[64], phn[64], street[128], postal[16];
	char parent[24], revenue[48], employees[24], descr[160] = "", s[96];
	const char *tier = NULL, *cur = NULL, *legal = NULL;
	const char *city = k->cities[pick(&r, 4)];
	bool has_web, has_phone, has_addr, ship;

	ts(cts, sizeof(cts), created);
	ts(uts, sizeof(uts), updated);
	team_col(team, sizeof(team), w->team);
	account_name(&r, han, individual, city, nm, sizeof(nm));
	if (!individual && chance(&r, 50))
		legal = nm;
	if (c->tier.n && chance(&r, 70))
		tier = c->tier.v[pick(&r, (uint64_t)c->tier.n)];
	slug(nm, s, sizeof(s));
	has_web = !individual && chance(&r, 70);
	if (s[0])
		snprintf(web, sizeof(web), "https://www.%s.example", s);
	else
		snprintf(web, sizeof(web), "https://a%ld.example.cn", id);
	has_phone = chance(&r, 80);
	phone(&r, k, false, ph, sizeof(ph));
	phone_norm(ph, phn, sizeof(phn));
	has_addr = chance(&r, 85);
	ship = has_addr && chance(&r, 30);
	snprintf(street, sizeof(street), "%s %d", k->streets[pick(&r, 3)], 1 + (int)pick(&r, 200));
	snprintf(postal, sizeof(postal), "%05d", (int)pick(&r, 100000));
	if (i >= 50 && chance(&r, 5))
		snprintf(parent, sizeof(parent), "%ld", c->acc.first + (long)pick(&r, (uint64_t)i));
	else
		snprintf(parent, sizeof(parent), "\\N");
	if (chance(&r, 60)) {
		double v = exp(log(1e5) + unit(&r) * (log(5e9) - log(1e5)));
		cur = strcmp(k->currency, "EUR") == 0 && chance(&r, 20) ? "USD" : k->currency;
		snprintf(revenue, sizeof(revenue), "%.0f", floor(v / 1000) * 1000);
	} else {
		snprintf(revenue, sizeof(revenue), "\\N");
	}
	if (chance(&r, 80))
		snprintf(employees, sizeof(employees), "%.0f", floor(exp(unit(&r) * log(200000.0))));
	else
		snprintf(employees, sizeof(employees), "\\N");
	if (chance(&r, 25))
		snprintf(descr, sizeof(descr), "%s account in %s; first contact at a %s.",
			 c->industry.n ? c->industry.v[industry] : "Key", city,
			 chance(&r, 50) ? "trade fair" : "webinar");
	put(o, "%ld\t%ld\t%s\t%s\t%ld\t%s\t%ld\t", id, w->id, team, cts, w->id, uts, w->id);
	put(o, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t", nm, opt(legal),
	    individual ? "customer" : types[pick(&r, N(types))], individual ? "t" : "f",
	    c->industry.n ? c->industry.v[industry] : "\\N", c->region.n ? c->region.v[region] : "\\N",
	    opt(tier));
	put(o, "%s\t%s\t%s\t", has_web ? web : "\\N", has_phone ? ph : "\\N", has_phone ? phn : "\\N");
	if (has_addr)
		put(o, "%s\t%s\t%s\t%s\t", street, city, postal, k->code);
	else
		put(o, "\\N\t\\N\t\\N\t\\N\t");
	if (ship)
		put(o, "%s\t%s\t%s\t%s\t", street, city, postal, k->code);
	else
		put(o, "\\N\t\\N\t\\N\t\\N\t");
	put(o, "%s\t%s\t%s\t%s\t%s\n", parent, revenue, opt(cur), employees,
	    descr[0] ? descr : "\\N");
}

/* ---------------------------------------------------------------- contacts */

typedef struct person {
	bool han;
	const name *given, *given2, *family;
	const country *k; /* where their phone numbers are from */
} person;

static person contact_person(const ctx *c, long i) {
	rng r = stream(c, S_NAME, i);
	person p = {0};

	p.han = chance(&r, 30);
	if (p.han) {
		p.family = &han_family[pick(&r, N(han_family))];
		p.given = &han_given[pick(&r, N(han_given))];
		if (chance(&r, 70))
			p.given2 = &han_given[pick(&r, N(han_given))];
		p.k = &countries[chance(&r, 85) ? CN_COUNTRY : CN_COUNTRY + 1 + (int)pick(&r, 2)];
	} else {
		p.family = &person_family[pick(&r, N(person_family))];
		p.given = &person_given[pick(&r, N(person_given))];
		p.k = &countries[pick(&r, CN_COUNTRY)];
	}
	return p;
}

/* Contact i's accounts: most have a primary one (mirrored in
 * contacts.account_id), some only a former or other link, a few a second,
 * non-primary one. Indexes into c->accounts; -1 for none. */
typedef struct affil {
	long acc, extra;
	bool primary;
	int role, extra_role;
} affil;

static int role_named(const ctx *c, const char *v, int fallback) {
	for (int k = 0; k < c->role.n; k++)
		if (strcmp(c->role.v[k], v) == 0)
			return k;
	return fallback;
}

static affil contact_link(const ctx *c, long i) {
	rng r = stream(c, S_LINK, i);
	affil l = {-1, -1, false, 0, 0};

	if (c->n_accounts == 0 || c->role.n == 0)
		return l;
	l.acc = (long)pick(&r, (uint64_t)c->n_accounts);
	l.primary = chance(&r, 90);
	if (l.primary)
		l.role = chance(&r, 70) ? role_named(c, "employee", 0) : (int)pick(&r, (uint64_t)c->role.n);
	else
		l.role = role_named(c, "former_employee", (int)pick(&r, (uint64_t)c->role.n));
	if (c->n_accounts > 1 && chance(&r, 5)) {
		l.extra = (long)pick(&r, (uint64_t)c->n_accounts - 1);
		if (l.extra >= l.acc)
			l.extra++;
		l.extra_role = (int)pick(&r, (uint64_t)c->role.n);
	}
	return l;
}

/* Most contacts belong to their account's owner. */
static owner contact_owner(const ctx *c, long i, const affil *l) {
	rng r = stream(c, S_OWNER, i);

	if (l->acc >= 0 && chance(&r, 80))
		return (owner){c->accounts[l->acc].owner, c->accounts[l->acc].team};
	return *some_owner(c, &r);
}

static void contact_row(const ctx *c, long i, out *o) {
	rng r = stream(c, S_CONTACT, i);
	person p = contact_person(c, i);
	affil l = contact_link(c, i);
	owner w = contact_owner(c, i, &l);
	long created = created_at(c, S_CONTACT, i);
	long updated = created + (long)pick(&r, (uint64_t)(T_END - created));
	char given[64], cts[32], uts[32], team[24], bday[48], dnc[40], opt_out[40], acc[24];
	const char *title = NULL, *channel = NULL;

	ts(cts, sizeof(cts), created);
	ts(uts, sizeof(uts), updated);
	team_col(team, sizeof(team), w.team);
	snprintf(given, sizeof(given), "%s%s", p.given->text, p.given2 ? p.given2->text : "");
	if (chance(&r, 70))
		title = p.han ? han_titles[pick(&r, N(han_titles))] : latin_titles[pick(&r, N(latin_titles))];
	if (chance(&r, 30)) {
		static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int month = 1 + (int)pick(&r, 12), year = chance(&r, 80) ? 1950 + (int)pick(&r, 55) : 0;
		int days = mdays[month - 1];
		if (month == 2 && year && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
			days = 28;
		if (year)
			snprintf(bday, sizeof(bday), "%d\t%d\t%d", year, month, 1 + (int)pick(&r, (uint64_t)days));
		else
			snprintf(bday, sizeof(bday), "\\N\t%d\t%d", month, 1 + (int)pick(&r, (uint64_t)days));
	} else {
		snprintf(bday, sizeof(bday), "\\N\t\\N\t\\N");
	}
	if (chance(&r, 50))
		channel = channels[pick(&r, N(channels))];
	if (chance(&r, 2))
		snprintf(dnc, sizeof(dnc), "t\t%s", uts);
	else
		snprintf(dnc, sizeof(dnc), "f\t\\N");
	if (chance(&r, 10))
		snprintf(opt_out, sizeof(opt_out), "t\t%s", uts);
	else
		snprintf(opt_out, sizeof(opt_out), "f\t\\N");
	if (l.acc >= 0 && l.primary)
		snprintf(acc, sizeof(acc), "%ld", c->accounts[l.acc].id);
	else
		snprintf(acc, sizeof(acc), "\\N");
	put(o, "%ld\t%ld\t%s\t%s\t%ld\t%s\t%ld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
	    c->con.first + i, w.id, team, cts, w.id, uts, w.id, given, p.family->text,
	    p.han ? "eastern" : "western", opt(title), bday, opt(channel), dnc, opt_out, acc,
	    chance(&r, 10) ? "Met at the customer day; prefers calls in the morning." : "\\N");
}

static void relation_row(const ctx *c, long i, out *o) {
	affil l = contact_link(c, i);
	owner w;
	char cts[32];

	if (l.acc < 0)
		return;
	w = contact_owner(c, i, &l);
	ts(cts, sizeof(cts), created_at(c, S_CONTACT, i));
	put(o, "%ld\tcontact\t%ld\taccount\t%s\t%s\t%s\t%ld\n", c->con.first + i,
	    c->accounts[l.acc].id, c->role.v[l.role], l.primary ? "t" : "f", cts, w.id);
	if (l.extra >= 0)
		put(o, "%ld\tcontact\t%ld\taccount\t%s\tf\t%s\t%ld\n", c->con.first + i,
		    c->accounts[l.extra].id, c->role.v[l.extra_role], cts, w.id);
}

static void email_row(const ctx *c, long i, out *o) {
	rng r = stream(c, S_EMAIL, i);
	person p = contact_person(c, i);
	int n = chance(&r, 85) ? (chance(&r, 20) ? 2 : 1) : 0;

	for (int k = 0; k < n; k++) {
		const char *dom = p.han && k == 0 ? han_mail_domains[pick(&r, N(han_mail_domains))]
						  : mail_domains[pick(&r, N(mail_domains))];
		if (chance(&r, 50))
			put(o, "%ld\t%d\t%s%s.%s@%s\t%s\t%s\n", c->con.first + i, k, p.given->ascii,
			    p.given2 ? p.given2->ascii : "", p.family->ascii, dom,
			    k == 0 ? "work" : (chance(&r, 70) ? "home" : "other"), k == 0 ? "t" : "f");
		else
			put(o, "%ld\t%d\t%s%s.%s%ld@%s\t%s\t%s\n", c->con.first + i, k, p.given->ascii,
			    p.given2 ? p.given2->ascii : "", p.family->ascii, i % 10000, dom,
			    k == 0 ? "work" : (chance(&r, 70) ? "home" : "other"), k == 0 ? "t" : "f");
	}
}

static void phone_row(const ctx *c, long i, out *o) {
	static const char *const second[] = {"mobile", "home", "fax", "other"};
	rng r = stream(c, S_PHONE, i);
	person p = contact_person(c, i);
	int n = chance(&r, 70) ? 1 : (chance(&r, 50) ? 2 : 0);

	for (int k = 0; k < n; k++) {
		bool mobile = k == 0 ? chance(&r, 40) : true;
		const char *kind = k == 0 ? (mobile ? "mobile" : "work") : second[pick(&r, N(second))];
		char ph[64], phn[64];

		phone(&r, p.k, mobile, ph, sizeof(ph));
		phone_norm(ph, phn, sizeof(phn));
		put(o, "%ld\t%d\t%s\t%s\t%s\t%s\n", c->con.first + i, k, ph, phn, kind,
		    k == 0 ? "t" : "f");
	}
}

/* Items 0 .. accounts-1 are accounts, then contacts. */
static void tag_row(const ctx *c, long i, out *o) {
	rng r = stream(c, S_TAG, i);
	bool acc = i < c->acc.n;
	long id = acc ? c->acc.first + i : c->con.first + (i - c->acc.n);
	int n = chance(&r, acc ? 25 : 15) ? 1 + (int)pick(&r, 3) : 0, first = (int)pick(&r, N(tag_words));

	for (int k = 0; k < n; k++) /* distinct: consecutive words */
		put(o, "%ld\t%s\t%s\n", id, acc ? "account" : "contact",
		    tag_words[(first + k) % (int)N(tag_words)]);
}

/* ---------------------------------------------------------------- audit history */

/* Row audit_base + i of the history: a change to a random account, by its
 * owner (80%) or someone else, about 19 s after the row before it (5M rows
 * span the three years). The subject columns are what crm.audit_subject
 * writes for an account. */
static void audit_row(const ctx *c, long i, out *o) {
	long n = c->audit_base + i;
	rng r = stream(c, S_AUDIT, n);
	const account_ref *a;
	long actor, v = (long)pick(&r, 1000000);
	char when[32], team[24];
	int kind;

	if (c->n_accounts == 0)
		return;
	a = &c->accounts[pick(&r, (uint64_t)c->n_accounts)];
	actor = chance(&r, 80) ? a->owner : some_owner(c, &r)->id;
	ts(when, sizeof(when), T_END - T_SPAN + n * (T_SPAN / 5000000));
	team_col(team, sizeof(team), a->team);
	kind = (int)pick(&r, 10);
	put(o, "%s\t%ld\tuser%06ld\taccount\t%ld\t", when, actor, actor, a->id);
	if (kind < 7)
		put(o, "update\t{\"website\": \"https://w%ld.example.com\"}\t"
		       "{\"website\": \"https://w%ld.example.com\"}", v, v + 1);
	else if (kind < 9)
		put(o, "update\t{\"annual_revenue\": %ld, \"annual_revenue_currency\": \"EUR\"}\t"
		       "{\"annual_revenue\": %ld, \"annual_revenue_currency\": \"EUR\"}", v * 100, v * 100 + 5000);
	else
		put(o, "update\t{\"tier\": \"Silver\"}\t{\"tier\": \"Gold\"}");
	put(o, "\t%ld\taccount\t%ld\t%ld\t%s\t", a->id, a->id, a->owner, team);
	/* what the trigger audit_shown would write (disabled for the load):
	 * an amount with its currency, the currency key folded in */
	if (kind == 7 || kind == 8)
		put(o, "{\"annual_revenue\": \"%ld.00 EUR\"}\t{\"annual_revenue\": \"%ld.00 EUR\"}\n",
		    v * 100, v * 100 + 5000);
	else
		put(o, "\\N\t\\N\n");
}

/* ---------------------------------------------------------------- interactions, tasks */

/* The accounts that hold most history: the first HEAVY x scale accounts
 * loaded (at least one) share HEAVY_PCT percent of the interactions and
 * tasks, so each holds 100,000 interactions at any scale from 0.2 up (at
 * scale 1: 5 accounts), fewer below (5,000 at 0.01); the others share the
 * rest evenly (about 22 each), so the timeline benchmark has its heavy
 * and its light accounts. */
#define HEAVY 5
#define HEAVY_PCT 10

static const char *const interaction_kinds[] = {"call", "call", "call", "email", "email", "email",
						"meeting", "visit", "message", "note"};
static const char *const interaction_subjects[] = {
	"Intro call", "Follow-up", "Quarterly review", "Pricing question", "Demo", "Renewal",
	"Support escalation", "Contract draft", "季度回顾", "报价跟进", "产品演示", "续约沟通"};
static const char *const task_subjects[] = {"Send the offer", "Call back", "Prepare the demo",
					    "Check the contract", "发送报价", "回电"};
static const char *const priorities[] = {"low", "normal", "normal", "normal", "high", "urgent"};

/* The contacts whose primary account is account id `acc` (indexes into
 * c->cpa_con: *first, count returned). */
static long contacts_of(const ctx *c, long acc, long *first) {
	long lo = 0, hi = c->n_cpa, end;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (c->cpa_acc[mid] < acc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < c->n_cpa && c->cpa_acc[end] == acc; end++)
		;
	*first = lo;
	return end - lo;
}

/* Who it is with: the account (HEAVY_PCT% one of the heavy ones), and a
 * contact of it or not; an interaction or task with a contact only is
 * on the account's timeline through that contact (via_account_id). */
typedef struct hlink {
	const account_ref *a;
	long contact; /* 0: none */
	bool with_account;
} hlink;

static hlink history_link(const ctx *c, rng *r) {
	hlink l = {0};
	long heavy = lround(HEAVY * c->scale), first, n;

	if (heavy < 1)
		heavy = 1;
	if (heavy > c->n_accounts)
		heavy = c->n_accounts;

	l.a = &c->accounts[chance(r, HEAVY_PCT) ? pick(r, (uint64_t)heavy)
						: pick(r, (uint64_t)c->n_accounts)];
	n = contacts_of(c, l.a->id, &first);
	l.with_account = n == 0 || chance(r, 60);
	if (n > 0 && (!l.with_account || chance(r, 60)))
		l.contact = c->cpa_con[first + (long)pick(r, (uint64_t)n)];
	return l;
}

static void id_col(char *buf, size_t size, bool set, long id) {
	if (set)
		snprintf(buf, size, "%ld", id);
	else
		snprintf(buf, size, "\\N");
}

static void interaction_row(const ctx *c, long i, out *o) {
	rng r = stream(c, S_INTERACTION, i);
	hlink l;
	long actor, team, at;
	char ats[32], cts[32], acc[24], con[24], teams[24];

	if (c->n_accounts == 0)
		return;
	l = history_link(c, &r);
	actor = chance(&r, 80) ? l.a->owner : some_owner(c, &r)->id;
	team = actor == l.a->owner ? l.a->team : 0;
	at = T_END - T_SPAN + (long)pick(&r, (uint64_t)T_SPAN);
	ts(ats, sizeof(ats), at);
	ts(cts, sizeof(cts), at + (long)pick(&r, 3600));
	id_col(acc, sizeof(acc), l.with_account, l.a->id);
	id_col(con, sizeof(con), l.contact != 0, l.contact);
	team_col(teams, sizeof(teams), team);
	put(o, "%ld\t%ld\t%s\t%s\t%ld\t%s\t%ld\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%ld\n", c->inter.first + i,
	    actor, teams, cts, actor, cts, actor, interaction_kinds[pick(&r, N(interaction_kinds))],
	    chance(&r, 50) ? "out" : "in", interaction_subjects[pick(&r, N(interaction_subjects))], ats,
	    (int)pick(&r, 90), acc, con, l.a->id);
}

static void task_row(const ctx *c, long i, out *o) {
	rng r = stream(c, S_TASK, i);
	hlink l;
	long actor, team, made, due;
	char cts[32], dts[32], done[32], acc[24], con[24], teams[24];
	const char *status;

	if (c->n_accounts == 0)
		return;
	l = history_link(c, &r);
	actor = chance(&r, 80) ? l.a->owner : some_owner(c, &r)->id;
	team = actor == l.a->owner ? l.a->team : 0;
	made = T_END - T_SPAN + (long)pick(&r, (uint64_t)T_SPAN);
	due = made + (long)pick(&r, 30L * 86400);
	ts(cts, sizeof(cts), made);
	ts(dts, sizeof(dts), due);
	status = chance(&r, 70) ? "done" : chance(&r, 50) ? "open" : chance(&r, 50) ? "in_progress" : "cancelled";
	if (strcmp(status, "done") == 0)
		ts(done, sizeof(done), made + (long)pick(&r, (uint64_t)(due - made + 1)));
	else
		snprintf(done, sizeof(done), "\\N");
	id_col(acc, sizeof(acc), l.with_account, l.a->id);
	id_col(con, sizeof(con), l.contact != 0, l.contact);
	team_col(teams, sizeof(teams), team);
	put(o, "%ld\t%ld\t%s\t%s\t%ld\t%s\t%ld\t%s\t%s\t%s\t%s\t%ld\t%s\t%s\t%s\t%ld\n", c->task.first + i,
	    actor, teams, cts, actor, cts, actor, task_subjects[pick(&r, N(task_subjects))],
	    chance(&r, 85) ? dts : "\\N", priorities[pick(&r, N(priorities))], status, actor, acc, con,
	    done, l.a->id);
}

/* ---------------------------------------------------------------- generators */

enum need {
	NEED_OWNERS = 1,
	NEED_ACCOUNTS = 2,
	NEED_ACC_BLOCK = 4,
	NEED_CON_BLOCK = 8,
	NEED_DG_USERS = 16,
	NEED_CONTACTS_OF = 32
};

typedef struct generator {
	const char *name;
	double per_scale; /* items at scale 1; 0: one per record of `per` */
	const char *table;
	const char *columns;  /* the COPY column list */
	const char *triggers; /* disabled during the load, comma separated */
	const char *record_type; /* business records: ids reserved, crm.records first */
	int needs;
	void (*row)(const ctx *c, long i, out *o);
} generator;

#define BIZ_TRIGGERS "audit,register_record,touch_record"

static const generator generators[] = {
	{"teams", 50, "crm.teams", "id, name, parent_id", "audit", NULL, 0, team_row},
	{"users", 1000, "crm.users", "id, username, display_name, email, role, team_id, password_hash",
	 "audit", NULL, 0, user_row},
	{"sessions", 10000, "crm.sessions", "token_hash, user_id, client_name, expires_at, idle_timeout",
	 "audit", NULL, NEED_DG_USERS, session_row},
	{"accounts", 200000, "crm.accounts",
	 "id, owner_id, team_id, created_at, created_by, updated_at, updated_by, name, legal_name, "
	 "type, individual, industry, region, tier, website, phone, phone_norm, billing_street, "
	 "billing_city, billing_postal_code, billing_country, shipping_street, shipping_city, "
	 "shipping_postal_code, shipping_country, parent_id, annual_revenue, annual_revenue_currency, "
	 "employees, description",
	 BIZ_TRIGGERS, "account", NEED_OWNERS, account_row},
	{"contacts", 1000000, "crm.contacts",
	 "id, owner_id, team_id, created_at, created_by, updated_at, updated_by, given_name, "
	 "family_name, name_order, title, birthday_year, birthday_month, birthday_day, "
	 "preferred_channel, do_not_contact, do_not_contact_at, marketing_opt_out, "
	 "marketing_opt_out_at, account_id, description",
	 BIZ_TRIGGERS, "contact", NEED_OWNERS | NEED_ACCOUNTS, contact_row},
	{"relations", 0, "crm.relations",
	 "from_id, from_type, to_id, to_type, role, is_primary, created_at, created_by", "audit", NULL,
	 NEED_OWNERS | NEED_ACCOUNTS | NEED_CON_BLOCK, relation_row},
	{"emails", 0, "crm.contact_emails", "contact_id, position, address, kind, is_primary", "audit",
	 NULL, NEED_CON_BLOCK, email_row},
	{"phones", 0, "crm.contact_phones", "contact_id, position, number, number_norm, kind, is_primary",
	 "audit", NULL, NEED_CON_BLOCK, phone_row},
	{"tags", 0, "crm.record_tags", "record_id, record_type, tag", "audit", NULL,
	 NEED_ACC_BLOCK | NEED_CON_BLOCK, tag_row},
	{"audit", 500000, "crm.audit",
	 "at, user_id, username, record_type, record_id, action, old_values, new_values, record_ref, "
	 "subject_type, subject_ref, subject_owner, subject_team, old_shown, new_shown",
	 "audit_subject,audit_shown", NULL, NEED_OWNERS | NEED_ACCOUNTS, audit_row},
	{"interactions", 5000000, "crm.interactions",
	 "id, owner_id, team_id, created_at, created_by, updated_at, updated_by, kind, direction, "
	 "subject, occurred_at, duration, account_id, contact_id, via_account_id",
	 BIZ_TRIGGERS ",timeline_via", "interaction", NEED_OWNERS | NEED_ACCOUNTS | NEED_CONTACTS_OF,
	 interaction_row},
	{"tasks", 500000, "crm.tasks",
	 "id, owner_id, team_id, created_at, created_by, updated_at, updated_by, subject, due_at, "
	 "priority, status, assignee_id, account_id, contact_id, completed_at, via_account_id",
	 BIZ_TRIGGERS ",timeline_via,task_events", "task",
	 NEED_OWNERS | NEED_ACCOUNTS | NEED_CONTACTS_OF, task_row},
};

/* ---------------------------------------------------------------- database */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "\ncrm-datagen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static PGresult *query(PGconn *db, const char *sql, int n, const char *const *params) {
	PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(db));
	return r;
}

static void exec_ok(PGconn *db, const char *sql) { PQclear(query(db, sql, 0, NULL)); }

static long query_long(PGconn *db, const char *sql) {
	PGresult *r = query(db, sql, 0, NULL);
	long v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : 0;

	PQclear(r);
	return v;
}

static long max_id(PGconn *db, const char *table) {
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) FROM %s", table);
	return query_long(db, sql);
}

static double now_s(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void progress(const char *what, long done, long total, long rows, double t0, bool last) {
	double el = now_s() - t0, rate = el > 0 ? rows / el : 0, irate = el > 0 ? done / el : 0;

	if (!isatty(STDERR_FILENO) && !last)
		return;
	fprintf(stderr, "\r%-10s %10ld/%-10ld %10ld rows %9.0f rows/s  ETA %4.0fs%s", what, done, total,
		rows, rate, irate > 0 ? (total - done) / irate : 0, last ? "\n" : "");
}

/* Statements that undo the preparation of a table, run in reverse. */
typedef struct undo {
	char **sql;
	int n, cap;
} undo;

static void undo_push(undo *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void undo_push(undo *u, const char *fmt, ...) {
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (u->n == u->cap && (u->sql = realloc(u->sql, sizeof(char *) * (size_t)(u->cap = u->cap * 2 + 8))) == NULL)
		abort();
	u->sql[u->n++] = s;
}

static void undo_run(PGconn *db, undo *u, const char *what) {
	double t0 = now_s();

	if (u->n > 2 && isatty(STDERR_FILENO))
		fprintf(stderr, "%-10s restoring indexes, keys and triggers...", what);
	while (u->n > 0) {
		char *s = u->sql[--u->n];
		exec_ok(db, s);
		free(s);
	}
	if (now_s() - t0 > 0.5 && isatty(STDERR_FILENO))
		fprintf(stderr, " %.1fs\n", now_s() - t0);
	else if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r");
}

/* Gets `table` ready for a COPY of `rows` rows (see the file header). */
static void prepare(PGconn *db, const char *table, const char *triggers, long rows, undo *u) {
	char sql[512], list[256], *tok, *save = NULL;
	const char *p[1] = {table};
	PGresult *r;
	long have;

	r = query(db, "SELECT relforcerowsecurity FROM pg_class WHERE oid = $1::regclass", 1, p);
	if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		snprintf(sql, sizeof(sql), "ALTER TABLE %s NO FORCE ROW LEVEL SECURITY", table);
		exec_ok(db, sql);
		undo_push(u, "ALTER TABLE %s FORCE ROW LEVEL SECURITY", table);
	}
	PQclear(r);
	snprintf(list, sizeof(list), "%s", triggers ? triggers : "");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *tp[2] = {table, tok};
		r = query(db, "SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2"
			      " AND tgenabled <> 'D'", 2, tp);
		if (PQntuples(r) == 1) {
			snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER %s", table, tok);
			exec_ok(db, sql);
			undo_push(u, "ALTER TABLE %s ENABLE TRIGGER %s", table, tok);
		}
		PQclear(r);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %ld) s", table, rows);
	have = query_long(db, sql);
	if (rows < 10000 || have >= rows)
		return; /* few rows, or a big table: keep its indexes and keys */
	r = query(db, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
		      " WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname", 1, p);
	for (int i = 0; i < PQntuples(r); i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE %s DROP CONSTRAINT %s", table, PQgetvalue(r, i, 0));
		exec_ok(db, sql);
		undo_push(u, "ALTER TABLE %s ADD CONSTRAINT %s %s", table, PQgetvalue(r, i, 0),
			  PQgetvalue(r, i, 1));
	}
	PQclear(r);
	/* Indexes that back no constraint (re-creating a unique one checks it
	 * again), then primary keys and unique constraints no foreign key
	 * points at. */
	r = query(db, "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
		      " WHERE i.indrelid = $1::regclass"
		      " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
		      " ORDER BY 1", 1, p);
	for (int i = 0; i < PQntuples(r); i++) {
		snprintf(sql, sizeof(sql), "DROP INDEX %s", PQgetvalue(r, i, 0));
		exec_ok(db, sql);
		undo_push(u, "%s", PQgetvalue(r, i, 1));
	}
	PQclear(r);
	r = query(db, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
		      " WHERE conrelid = $1::regclass AND contype IN ('p', 'u')"
		      " AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'"
		      " AND f.confrelid = $1::regclass) ORDER BY conname", 1, p);
	for (int i = 0; i < PQntuples(r); i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE %s DROP CONSTRAINT %s", table, PQgetvalue(r, i, 0));
		exec_ok(db, sql);
		undo_push(u, "ALTER TABLE %s ADD CONSTRAINT %s %s", table, PQgetvalue(r, i, 0),
			  PQgetvalue(r, i, 1));
	}
	PQclear(r);
}

/* COPYs the rows of items 0 .. n-1 of `row` (or registry rows). */
static long copy_rows(PGconn *db, const ctx *c, const char *what, const char *table,
		      const char *columns, long n, void (*row)(const ctx *, long, out *),
		      const char *record_type, long first, int kind) {
	char sql[1024], t[32];
	out o = {malloc(1 << 18), 0, 1 << 18};
	double t0 = now_s();
	long rows = 0;
	PGresult *r;

	snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN", table, columns);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	for (long i = 0; i < n; i++) {
		if (row) {
			row(c, i, &o);
		} else {
			ts(t, sizeof(t), created_at(c, kind, i));
			put(&o, "%ld\t%s\t%s\n", first + i, record_type, t);
		}
		if (o.len >= 1 << 17 || i == n - 1) {
			for (size_t k = 0; k < o.len; k++)
				rows += o.p[k] == '\n';
			if (PQputCopyData(db, o.p, (int)o.len) != 1)
				die("COPY %s: %s", what, PQerrorMessage(db));
			o.len = 0;
			progress(what, i + 1, n, rows, t0, false);
		}
	}
	free(o.p);
	if (PQputCopyEnd(db, NULL) != 1)
		die("COPY %s: %s", what, PQerrorMessage(db));
	r = PQgetResult(db);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("COPY %s: %s", what, PQerrorMessage(db));
	PQclear(r);
	while ((r = PQgetResult(db)) != NULL)
		PQclear(r);
	progress(what, n, n, rows, t0, true);
	return rows;
}

/* Reserves n ids on crm.record_id_seq; returns the first. (A nextval by
 * someone else between the two calls would collide: the load then fails
 * on the registry's primary key and changes nothing.) */
static long reserve_ids(PGconn *db, long n) {
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "SELECT setval('crm.record_id_seq', nextval('crm.record_id_seq') + %ld)", n - 1);
	return query_long(db, sql) - n + 1;
}

static long items_of(const ctx *c, const generator *g) {
	long n;

	if (g->row == audit_row && c->audit_rows > 0)
		return c->audit_rows;
	if (g->per_scale > 0) {
		n = (long)llround(g->per_scale * c->scale);
		return n < 1 ? 1 : n;
	}
	if (g->row == tag_row)
		return c->acc.n + c->con.n;
	return c->con.n;
}

static void load(PGconn *db, ctx *c, const generator *g) {
	long n = items_of(c, g), first = 0;
	int kind = g->row == account_row	? S_ACCOUNT
		   : g->row == contact_row	? S_CONTACT
		   : g->row == interaction_row ? S_INTERACTION
					       : S_TASK;
	undo u = {0};

	if (n == 0) {
		fprintf(stderr, "%-10s nothing to add to\n", g->name);
		return;
	}
	if (g->record_type) {
		first = reserve_ids(db, n);
		if (g->row == account_row)
			c->acc = (block){first, n};
		else if (g->row == contact_row)
			c->con = (block){first, n};
		else if (g->row == interaction_row)
			c->inter = (block){first, n};
		else
			c->task = (block){first, n};
		prepare(db, "crm.records", NULL, n, &u);
		copy_rows(db, c, "records", "crm.records", "id, record_type, created_at", n, NULL,
			  g->record_type, first, kind);
		undo_run(db, &u, "records");
	}
	prepare(db, g->table, g->triggers, n, &u);
	copy_rows(db, c, g->name, g->table, g->columns, n, g->row, NULL, 0, 0);
	undo_run(db, &u, g->name);
	if (g->record_type) {
		/* the registry's copy of each record's owner and team, which
		 * the trigger register_record (disabled) would have written and
		 * crm.records' row-level security tests */
		char sql[512];

		prepare(db, "crm.records", NULL, 0, &u);
		snprintf(sql, sizeof(sql),
			 "UPDATE crm.records r SET owner_id = x.owner_id, team_id = x.team_id FROM %s x"
			 " WHERE x.id = r.id AND r.id BETWEEN %ld AND %ld",
			 g->table, first, first + n - 1);
		exec_ok(db, sql);
		undo_run(db, &u, "records");
	}
	free(u.sql);
}

/* Contacts with a primary account, sorted by account (history_link). */
static void read_contacts_of(PGconn *db, ctx *c) {
	PGresult *r = query(db, "SELECT account_id, id FROM crm.contacts WHERE account_id IS NOT NULL"
				" AND deleted_at IS NULL ORDER BY account_id, id", 0, NULL);

	free(c->cpa_acc);
	free(c->cpa_con);
	c->n_cpa = PQntuples(r);
	c->cpa_acc = calloc((size_t)c->n_cpa + 1, sizeof(long));
	c->cpa_con = calloc((size_t)c->n_cpa + 1, sizeof(long));
	for (long i = 0; i < c->n_cpa; i++) {
		c->cpa_acc[i] = atol(PQgetvalue(r, (int)i, 0));
		c->cpa_con[i] = atol(PQgetvalue(r, (int)i, 1));
	}
	PQclear(r);
}

/* ---------------------------------------------------------------- what generators point at */

static void read_picklist(PGconn *db, const char *list, picklist *pl) {
	const char *p[1] = {list};
	PGresult *r = query(db, "SELECT value FROM crm.picklist_values WHERE picklist = $1 AND active"
				" ORDER BY position, value", 1, p);

	pl->n = PQntuples(r);
	pl->v = calloc((size_t)pl->n + 1, sizeof(char *));
	for (int i = 0; i < pl->n; i++)
		pl->v[i] = strdup(PQgetvalue(r, i, 0));
	PQclear(r);
}

static void read_picklists(PGconn *db, ctx *c) {
	double sum = 0;

	read_picklist(db, "industry", &c->industry);
	read_picklist(db, "region", &c->region);
	read_picklist(db, "tier", &c->tier);
	read_picklist(db, "relation.contact.account", &c->role);
	if (c->region.n == 0)
		die("pick list region is empty");
	c->greater_china = -1;
	for (int k = 0; k < c->region.n; k++)
		if (strcmp(c->region.v[k], "Greater China") == 0)
			c->greater_china = k;
	/* Industries: Zipf-like (weight 1/rank^1.1), the usual ones first, so
	 * the top industry holds about a third of the accounts. */
	c->industry_cdf = calloc((size_t)c->industry.n + 1, sizeof(double));
	for (int k = 0; k < c->industry.n; k++) {
		int rank = (int)N(industry_rank) + k;
		for (int j = 0; j < (int)N(industry_rank); j++)
			if (strcmp(industry_rank[j], c->industry.v[k]) == 0)
				rank = j;
		c->industry_cdf[k] = 1.0 / pow(rank + 1, 1.1);
		sum += c->industry_cdf[k];
	}
	for (int k = 0; k < c->industry.n; k++)
		c->industry_cdf[k] = c->industry_cdf[k] / sum + (k ? c->industry_cdf[k - 1] : 0);
}

static void read_owners(PGconn *db, ctx *c) {
	PGresult *r = query(db, "SELECT id, coalesce(team_id, 0) FROM crm.users WHERE active ORDER BY id",
			    0, NULL);

	free(c->owners);
	c->n_owners = PQntuples(r);
	if (c->n_owners == 0)
		die("no users to own the records: load users first");
	c->owners = calloc((size_t)c->n_owners, sizeof(owner));
	for (long i = 0; i < c->n_owners; i++)
		c->owners[i] = (owner){atol(PQgetvalue(r, (int)i, 0)), atol(PQgetvalue(r, (int)i, 1))};
	PQclear(r);
}

static void read_dg_users(PGconn *db, ctx *c) {
	PGresult *r = query(db, "SELECT id FROM crm.users WHERE username ~ '^user[0-9]{6}$' ORDER BY id",
			    0, NULL);

	free(c->dg_users);
	c->n_dg_users = PQntuples(r);
	if (c->n_dg_users == 0)
		die("no users of crm-datagen's (user000001, ...) to give sessions to: load users first");
	c->dg_users = calloc((size_t)c->n_dg_users, sizeof(long));
	for (long i = 0; i < c->n_dg_users; i++)
		c->dg_users[i] = atol(PQgetvalue(r, (int)i, 0));
	PQclear(r);
}

static void read_accounts(PGconn *db, ctx *c) {
	PGresult *r = query(db, "SELECT id, owner_id, coalesce(team_id, 0) FROM crm.accounts"
				" WHERE deleted_at IS NULL ORDER BY id", 0, NULL);

	free(c->accounts);
	c->n_accounts = PQntuples(r);
	c->accounts = calloc((size_t)c->n_accounts + 1, sizeof(account_ref));
	for (long i = 0; i < c->n_accounts; i++)
		c->accounts[i] = (account_ref){atol(PQgetvalue(r, (int)i, 0)),
					       atol(PQgetvalue(r, (int)i, 1)),
					       atol(PQgetvalue(r, (int)i, 2))};
	PQclear(r);
}

/* With --only: the block an earlier run loaded into `table`. */
static block find_block(PGconn *db, const char *table) {
	char sql[160];
	PGresult *r;
	block b = {0, 0};
	long last;

	snprintf(sql, sizeof(sql), "SELECT coalesce(min(id), 0), coalesce(max(id), -1), count(*) FROM %s",
		 table);
	r = query(db, sql, 0, NULL);
	b.first = atol(PQgetvalue(r, 0, 0));
	last = atol(PQgetvalue(r, 0, 1));
	b.n = atol(PQgetvalue(r, 0, 2));
	PQclear(r);
	if (b.n && last - b.first + 1 != b.n)
		die("%s does not hold one block of ids (not all from one crm-datagen run): "
		    "load it in the same run as what points at it", table);
	return b;
}

/* ---------------------------------------------------------------- synthetic types */

/* Adds type bench_t<k> (see the header): registry row, table, record
 * triggers and policies, permissions, rows. Appends the table to analyse. */
static void add_type(PGconn *db, const ctx *c, int k, char *analyse, size_t size) {
	char tname[32], table[48], sql[2048];
	long rows = (long)llround(1000 * c->scale);

	snprintf(tname, sizeof(tname), "bench_t%02d", k);
	snprintf(table, sizeof(table), "crm.%s", tname);
	if (rows < 10)
		rows = 10;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO crm.record_types (name, description, table_name, personal)"
		 " VALUES ('%s', 'crm-datagen synthetic type %d (benchmarks only)', '%s', '{name}')",
		 tname, k, table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE %s (id bigint PRIMARY KEY REFERENCES crm.records,"
		 " owner_id bigint NOT NULL REFERENCES crm.users, team_id bigint REFERENCES crm.teams,"
		 " version bigint NOT NULL DEFAULT 1, created_at timestamptz NOT NULL DEFAULT now(),"
		 " created_by bigint REFERENCES crm.users, updated_at timestamptz NOT NULL DEFAULT now(),"
		 " updated_by bigint REFERENCES crm.users, deleted_at timestamptz, external_id text, name text NOT NULL)",
		 table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "CREATE INDEX ON %s (owner_id)", table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "CREATE INDEX ON %s (team_id)", table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "COMMENT ON TABLE %s IS 'crm-datagen --types: a synthetic record"
		 " type for benchmarks'", table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "SELECT crm.attach_record('%s', '%s')", table, tname);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO crm_app", table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO crm.permissions (role, record_type, action, scope)"
		 " SELECT role, '%s', action, scope FROM crm.permissions WHERE record_type = 'account'",
		 tname);
	exec_ok(db, sql);
	/* the rows get no audit history, as generated accounts do not */
	snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER audit", table);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (owner_id, team_id, name, created_by, updated_by)"
		 " SELECT u.id, u.team_id, '%s ' || g, u.id, u.id FROM generate_series(0, %ld) g"
		 " JOIN (SELECT id, team_id, row_number() OVER (ORDER BY id) - 1 AS k,"
		 " count(*) OVER () AS n FROM crm.users WHERE active) u ON u.k = (g * 7919 + %d) %% u.n",
		 table, tname, rows - 1, k);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ENABLE TRIGGER audit", table);
	exec_ok(db, sql);
	snprintf(analyse + strlen(analyse), size - strlen(analyse), "%s%s", analyse[0] ? ", " : "",
		 table);
	fprintf(stderr, "%-10s %s: %ld rows\n", "types", tname, rows);
}

/* The registry's tables, which adding or dropping types changes. */
#define REGISTRY_TABLES "crm.record_types, crm.permissions, crm.role_scopes"

/* --types N: N more synthetic types after those of earlier runs. */
static void add_types(PGconn *db, const ctx *c, int n, char *analyse, size_t size) {
	long have = query_long(db, "SELECT count(*) FROM crm.record_types WHERE name ~ '^bench_t[0-9]+$'");

	if (have + n > 99)
		die("--types: at most 99 synthetic types (%ld there already)", have);
	for (int k = (int)have + 1; k <= (int)have + n; k++)
		add_type(db, c, k, analyse, size);
	exec_ok(db, "SELECT crm.refresh_side_rls()");
	/* the registry's tables: each type's permissions rewrote most rows of
	 * crm.role_scopes (a new key in every role's and action's scopes);
	 * autovacuum would remove the dead versions soon after */
	snprintf(analyse + strlen(analyse), size - strlen(analyse), ", %s", REGISTRY_TABLES);
}

/* --drop-types: removes every synthetic type --types added (its table, its
 * rows in crm.records, its permissions, its registry row), so a benchmark
 * can measure with and without them in turn. */
static void drop_types(PGconn *db) {
	PGresult *r = PQexec(db, "SELECT name FROM crm.record_types WHERE name ~ '^bench_t[0-9]+$'"
				 " ORDER BY name");
	char sql[512];

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("--drop-types: %s", PQerrorMessage(db));
	/* the owner is subject to FORCE ROW LEVEL SECURITY; lifted for this
	 * transaction only, as for the COPY */
	exec_ok(db, "ALTER TABLE crm.records NO FORCE ROW LEVEL SECURITY");
	exec_ok(db, "ALTER TABLE crm.permissions NO FORCE ROW LEVEL SECURITY");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *t = PQgetvalue(r, i, 0); /* bench_tNN: matched above */
		snprintf(sql, sizeof(sql), "DROP TABLE crm.%s", t);
		exec_ok(db, sql);
		snprintf(sql, sizeof(sql), "DELETE FROM crm.records WHERE record_type = '%s'", t);
		exec_ok(db, sql);
		snprintf(sql, sizeof(sql), "DELETE FROM crm.permissions WHERE record_type = '%s'", t);
		exec_ok(db, sql);
		snprintf(sql, sizeof(sql), "DELETE FROM crm.record_types WHERE name = '%s'", t);
		exec_ok(db, sql);
	}
	exec_ok(db, "ALTER TABLE crm.records FORCE ROW LEVEL SECURITY");
	exec_ok(db, "ALTER TABLE crm.permissions FORCE ROW LEVEL SECURITY");
	exec_ok(db, "SELECT crm.refresh_side_rls()");
	fprintf(stderr, "%-10s dropped %d synthetic types\n", "types", PQntuples(r));
	PQclear(r);
}

/* ---------------------------------------------------------------- main */

static bool selected(const char *only, const char *gname) {
	size_t n = strlen(gname);

	if (only == NULL)
		return true;
	for (const char *p = only; (p = strstr(p, gname)) != NULL; p += n)
		if ((p == only || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

static void check_only(const char *only) {
	char list[256], *tok, *save = NULL;

	snprintf(list, sizeof(list), "%s", only);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < N(generators) && strcmp(tok, generators[i].name) != 0; i++)
			;
		if (i == N(generators) && strcmp(tok, "types") != 0)
			die("--only: unknown type %s (teams, users, sessions, accounts, contacts, relations, "
			    "emails, phones, tags, audit, interactions, tasks, types)", tok);
	}
}

int main(int argc, char **argv) {
	static const struct option lo[] = {{"db", 1, 0, 'd'},	 {"scale", 1, 0, 's'},
					   {"seed", 1, 0, 'S'}, {"only", 1, 0, 'o'},
					   {"audit-rows", 1, 0, 'A'}, {"types", 1, 0, 'T'},
					   {"drop-types", 0, 0, 'D'}, {"help", 0, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *conninfo = NULL, *only = NULL;
	char pw[64], analyse[4096] = "";
	ctx c = {.scale = 1, .seed = 1};
	bool owners_ok = false, accounts_ok = false, acc_known = false, con_known = false;
	double t0 = now_s();
	PGconn *db;
	int o, types = 0;
	bool drop = false;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'd': conninfo = optarg; break;
		case 's': c.scale = atof(optarg); break;
		case 'S': c.seed = strtoull(optarg, NULL, 10); break;
		case 'o': only = optarg; break;
		case 'A': c.audit_rows = atol(optarg); break;
		case 'T': types = atoi(optarg); break;
		case 'D': drop = true; break;
		case 'h':
			printf("usage: crm-datagen --db CONNINFO [--scale S] [--seed N] [--only TYPE[,TYPE...]]\n"
			       "                   [--audit-rows N] [--types N] [--drop-types]\n"
			       "  loads, in this order, teams, users, sessions, accounts, contacts, relations,\n"
			       "  emails, phones, tags, audit, interactions, tasks as the owner role (see\n"
			       "  the file header);\n"
			       "  --types N then adds N synthetic record types (benchmarks only; with\n"
			       "  --only types, nothing else); --drop-types removes them all and\n"
			       "  loads nothing\n");
			return 0;
		default: return 2;
		}
	}
	if (conninfo == NULL || c.scale <= 0 || c.audit_rows < 0 || types < 0)
		die("--db CONNINFO (the owner role) is required; --scale, --audit-rows and --types "
		    "must be positive");
	if (only)
		check_only(only);
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
	if (drop) {
		drop_types(db);
		exec_ok(db, "COMMIT");
		/* what autovacuum would do soon after: the registry's tables
		 * have a dead row per row removed (crm.role_scopes one per role
		 * and action for each type dropped) */
		exec_ok(db, "VACUUM (ANALYZE) " REGISTRY_TABLES ", crm.records");
		PQfinish(db);
		return 0;
	}
	exec_ok(db, "SET LOCAL maintenance_work_mem = '512MB'");
	c.team_base = max_id(db, "crm.teams");
	c.audit_base = query_long(db, "SELECT count(*) FROM crm.audit");
	c.user_base = max_id(db, "crm.users");
	read_picklists(db, &c);
	for (size_t i = 0; i < N(generators); i++) {
		const generator *g = &generators[i];

		if (!selected(only, g->name))
			continue;
		if ((g->needs & NEED_OWNERS) && !owners_ok)
			read_owners(db, &c), owners_ok = true;
		if (g->needs & NEED_DG_USERS)
			read_dg_users(db, &c);
		if (g->needs & NEED_CONTACTS_OF)
			read_contacts_of(db, &c);
		if ((g->needs & NEED_ACCOUNTS) && !accounts_ok)
			read_accounts(db, &c), accounts_ok = true;
		if ((g->needs & NEED_ACC_BLOCK) && !acc_known)
			c.acc = find_block(db, "crm.accounts"), acc_known = true;
		if ((g->needs & NEED_CON_BLOCK) && !con_known)
			c.con = find_block(db, "crm.contacts"), con_known = true;
		load(db, &c, g);
		if (g->row == user_row)
			owners_ok = false;
		if (g->row == account_row)
			accounts_ok = false, acc_known = true;
		if (g->row == contact_row)
			con_known = true;
		snprintf(analyse + strlen(analyse), sizeof(analyse) - strlen(analyse), "%s%s%s",
			 analyse[0] ? ", " : "", g->table,
			 g->record_type && !strstr(analyse, "crm.records") ? ", crm.records" : "");
	}
	if (types > 0)
		add_types(db, &c, types, analyse, sizeof(analyse));
	/* Identity columns: continue after the rows given explicit ids. */
	exec_ok(db, "SELECT setval(pg_get_serial_sequence('crm.teams', 'id'),"
		    " (SELECT max(id) FROM crm.teams))");
	exec_ok(db, "SELECT setval(pg_get_serial_sequence('crm.users', 'id'),"
		    " (SELECT max(id) FROM crm.users))");
	exec_ok(db, "COMMIT");
	if (analyse[0]) {
		char sql[sizeof(analyse) + 100];
		fprintf(stderr, "vacuum and analyse...");
		snprintf(sql, sizeof(sql), "VACUUM (ANALYZE) %s", analyse);
		exec_ok(db, sql);
	}
	PQfinish(db);
	fprintf(stderr, "\rcrm-datagen: scale %g seed %llu loaded in %.1fs", c.scale,
		(unsigned long long)c.seed, now_s() - t0);
	if (c.acc.n)
		fprintf(stderr, "; accounts %ld..%ld", c.acc.first, c.acc.first + c.acc.n - 1);
	if (c.con.n)
		fprintf(stderr, "; contacts %ld..%ld", c.con.first, c.con.first + c.con.n - 1);
	fprintf(stderr, "; users' password: %s\n", pw);
	return 0;
}
