/*
 * cmd_record: the business record commands (`crm account ...`,
 * `crm contact ...`, `crm note ...`), one implementation for every record type.
 *
 * A record type is a row of data, struct crm_rec_type (cmd_account.c,
 * cmd_contact.c): its message in crm.proto, the flags that set its
 * standard fields (each names a proto field path; generated from the
 * field options of crm.proto into crm_rec_flags.h by proto/gen_fields.py),
 * the columns of its list table, the filter shortcuts of its list. Everything else is read from
 * the protobuf-c descriptors: a flag's value is parsed by the type of the
 * field it names (text, enum, yes/no, id, count, money, date, list of
 * text), and records are printed by walking their fields. Its commands
 * (add show list edit delete restore purge reassign share) and their help
 * are made from the table by commands.c (crm_cli_commands). A new
 * record type (leads, deals, ...) is a new cmd_<type>.c with its table,
 * crm_rec_<type>: the list of types, crm_rec_types, is made from crm.proto
 * (crm_record_types.h, generated), and client/CMakeLists.txt takes every
 * crm/cmd_*.c.
 *
 *   cmd_record_build.c  flags -> RecordCreate / RecordUpdate / RecordList
 *   cmd_record_view.c   messages -> result sets (show, list, JSON values)
 *   cmd_record.c        the handlers: add show list edit delete restore
 *                       purge reassign
 *
 * Memory: what a parse builds (sub-messages, arrays, copied text) lives in
 * a crm_rec_mem and is freed with it; message text otherwise points into
 * argv. Out of memory aborts (CLI code, like output.c).
 */
#ifndef CRM_CLI_CMD_RECORD_H
#define CRM_CLI_CMD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "crm_record_types.h" /* generated: CRM_RECORD_TYPES, CRM_N_RECORD_TYPES */
#include "recval.h"           /* a record's values (crm_recval_inner, _fields, _has) */

/* How a flag's argument becomes a field value. */
enum crm_rec_flag_kind {
	/* by the field's type: bytes (text; a repeated one appends), enum
	 * (its value names), bool (yes|no), int64 (an id when the field ends
	 * in _id, else a whole number >= 0), Money, Date */
	CRM_REC_VALUE = 0,
	CRM_REC_SWITCH,  /* bool without a value: --flag, --flag=no */
	CRM_REC_TYPED,   /* repeated message: [KIND:]VALUE into its first field and "kind" */
	CRM_REC_PRIMARY, /* which item of a TYPED list (same path) is primary */
	CRM_REC_PAIR,    /* repeated message: KEY=VALUE into its first two fields */
	CRM_REC_MINUTES, /* int64, a count of minutes: 90, 15m, 1h30m, 2h */
	/* edit only: one item more or less in a repeated field (a TYPED one:
	 * [KIND:]VALUE to add, VALUE to remove), sent as RecordUpdate's
	 * add_X / remove_X: the server changes the list as it is then
	 * (crm_rec_list_ops) */
	CRM_REC_ADD,
	CRM_REC_REMOVE,
};

struct crm_rec_flag {
	const char *flag;         /* the long option, without "--" */
	const char *path;         /* proto field path: "name", "billing_address.city" */
	enum crm_rec_flag_kind kind;
	const char *const *kinds; /* TYPED: the kinds allowed (NULL-terminated) */
};

/* A column of a list table for people. */
enum crm_rec_col_how {
	CRM_REC_COL_FIELD = 0, /* the field at path */
	CRM_REC_COL_PRIMARY,   /* path is a repeated message: the first field of its
				* primary item (else of the first item) */
};

struct crm_rec_col {
	const char *header;
	const char *path;
	enum crm_rec_col_how how;
};

/* A list filter shortcut: --FLAG VALUE is --filter FIELD=VALUE. */
struct crm_rec_shortcut {
	const char *flag;
	const char *field;
};

/* A list option of a type's own that stands for filters (task list --mine,
 * --due): apply adds them with crm_rec_list_filter; 0 or an exit status. */
struct crm_rec_list_parse;
struct crm_rec_mem;
struct crm_rec_list_option {
	const char *flag;
	int has_arg; /* getopt's no_argument or required_argument */
	int (*apply)(struct crm_cli *cli, struct crm_rec_list_parse *lp, const char *arg);
};

/* Adds a filter as --filter EXPR would ("assignee=me", "due_at<now"); the
 * text is copied. 0 or a usage exit status. */
int crm_rec_list_filter(struct crm_rec_list_parse *lp, const char *expr);
/* The time the list command started, microseconds since the epoch. */
int64_t crm_rec_list_now(const struct crm_rec_list_parse *lp);

struct crm_rec_type {
	const char *noun;   /* "account": the command noun and the type's name */
	const char *plural; /* "accounts" */
	Crm__RecordType type;
	const ProtobufCMessageDescriptor *desc; /* &crm__account__descriptor */
	const char *const *needs_one_of;        /* add: at least one of these fields */
	/* a text field an operand may set too (add TEXT, edit ID TEXT; "-"
	 * reads standard input), as its flag does; NULL: none */
	const char *text_operand;
	const struct crm_rec_flag *flags;
	size_t n_flags;
	const struct crm_rec_col *cols;
	size_t n_cols;
	const struct crm_rec_shortcut *shortcuts; /* besides owner, team, tag */
	size_t n_shortcuts;
	const struct crm_rec_list_option *list_own; /* list options that stand for filters */
	size_t n_list_own;
	/* its own commands besides the common ones ("contact link"), listed
	 * after them; their noun is the type's */
	const struct crm_cli_command *verbs;
	size_t n_verbs;
	/* add: options of its own taken out of argv before the flags are
	 * parsed (interaction: a second --contact, --participant, --link into
	 * RecordCreate.links); removes what it takes (*argc shrinks), puts
	 * what it builds in mem; 0 or the exit code of a printed usage error */
	int (*add_own)(struct crm_cli *cli, int *argc, char **argv, struct crm_rec_mem *mem,
		       Crm__RecordCreate *create);
	/* reassign takes --with-contacts (accounts: their contacts move too) */
	bool with_contacts;
	/* the place of its commands in 'crm --help': lower first, equal ones
	 * in RecordType order (0 for most) */
	int help_rank;

	/* Help (commands.c builds the commands and their help from these;
	 * NULL: the common text). Paragraphs are rewrapped; option blocks
	 * ("  --flag  what") are printed as they are. */
	const char *a_noun;         /* "an account": the noun with its article */
	const char *summary;        /* the noun's line in 'crm --help' */
	const char *fields_help;    /* add and edit: the options of its own fields
				     * (before --tag, --set, --external-id) */
	const char *add_args;       /* add's synopsis */
	const char *add_lead;       /* add's first paragraph */
	const char *edit_args;      /* edit's synopsis */
	const char *edit_lead;      /* edit's first paragraph */
	const char *show_lead_more; /* show: after "one per line" */
	const char *list_summary;   /* list's line in the command list */
	const char *list_lead_more; /* list: after "a page at a time" */
	const char *list_options;   /* list: help of its shortcut options */
	const char *purge_what;     /* "its tags, ... and blanks ..." */
	const char *reassign_more;  /* reassign: more of its first paragraph */
	const char *reassign_options; /* reassign: help of its own options */
};

/* The record types, one for each of crm.proto's (CRM_RECORD_TYPES), in
 * RecordType order; NULL-terminated. */
extern const struct crm_rec_type *const crm_rec_types[];
/* Fills out (room for CRM_N_RECORD_TYPES) with the types in the order of 'crm
 * --help' (help_rank) and returns how many. */
size_t crm_rec_types_in_help_order(const struct crm_rec_type **out);

/* The types' names, in RecordType order: "account, contact, note". */
const char *crm_rec_type_names(void);
/* The type whose noun is noun ("account"), or NULL. */
const struct crm_rec_type *crm_rec_type_by_noun(const char *noun);
/* The type of the running command (cli->cmd->noun); aborts if none. */
const struct crm_rec_type *crm_rec_type_of(const struct crm_cli *cli);
/* Parses a TYPE operand ("account", "contact") into *type; false after
 * printing a usage error. */
bool crm_rec_parse_type(struct crm_cli *cli, const char *s, Crm__RecordType *type);

/* ---------------------------------------------------------------- memory */

struct crm_rec_mem {
	void **p;
	size_t n, cap;
};

/* Zeroed memory that lives until crm_rec_mem_free. */
void *crm_rec_alloc(struct crm_rec_mem *m, size_t size);
char *crm_rec_strdup(struct crm_rec_mem *m, const char *s, size_t len);
void crm_rec_mem_free(struct crm_rec_mem *m);

/* ---------------------------------------------------------------- building */

/* add and edit: the record to send and what else the flags said. */
struct crm_rec_edit {
	struct crm_rec_mem mem;
	Crm__Record record;    /* its kind set to the type's */
	ProtobufCMessage *msg; /* the account / contact inside record */
	char **clear;          /* edit: field names to empty */
	size_t n_clear;
	int64_t id; /* edit: the ID operand */
	bool has_version;
	int64_t version;
	const char *idempotency_key; /* add */
	int changes;                 /* fields set or cleared */
	size_t max_items;            /* room in each repeated field */
	/* --add-X / --remove-X items, in messages of the record's type; a
	 * PRIMARY flag given without its list (--primary-email alone) */
	ProtobufCMessage *adds, *removes;
	const char **primary; /* per flag row: the PRIMARY value given */
	int list_edits;       /* of the changes, how many are --add-X / --remove-X
			       * items and lone --primary-X (crm_rec_list_ops) */
};

/*
 * Parses the options and operands of `crm TYPE add` (edit false: no
 * operand) or `crm TYPE edit ID` into e (zero it first; free with
 * crm_rec_edit_fini in any case). Returns 0 or the exit code of a usage
 * error, which it printed.
 */
int crm_rec_parse_edit(struct crm_cli *cli, const struct crm_rec_type *t, bool edit, int argc,
		       char **argv, struct crm_rec_edit *e);
void crm_rec_edit_fini(struct crm_rec_edit *e);

/*
 * Puts the --add-X / --remove-X items and a lone --primary-X of e into
 * up's add_X, remove_X and primary_X fields (pointing into e): the server
 * applies them to the lists the record has when the update arrives
 * (removing an item the record lacks, or naming a primary it does not
 * have, is INVALID_ARGUMENT on that field). Returns how many were set.
 */
int crm_rec_list_ops(const struct crm_rec_type *t, struct crm_rec_edit *e, Crm__RecordUpdate *up);

/* list: the request and how to page. */
struct crm_rec_list {
	struct crm_rec_mem mem;
	Crm__RecordList rl;
	Crm__ListPage page;
	bool all; /* follow the cursors */
};

/* Parses `crm TYPE list` options into l (zero it first; free with
 * crm_rec_list_fini). Returns 0 or the exit code of a printed usage error. */
int crm_rec_parse_list(struct crm_cli *cli, const struct crm_rec_type *t, int argc, char **argv,
		       int64_t now_us, struct crm_rec_list *l);
void crm_rec_list_fini(struct crm_rec_list *l);

/*
 * The message holding the last field of a dotted path ("name",
 * "billing_address.city") below m, and that field in *fd_out; NULL when a
 * name is unknown, a segment is longer than 63 bytes, a step goes through
 * a repeated or non-message field, or m is NULL. With mem, messages
 * missing on the way are created in it (so the result is NULL only for a
 * bad path). With mem NULL it never writes, and a missing message gives
 * NULL: viewers pass a const message through a cast.
 */
ProtobufCMessage *crm_rec_walk(struct crm_rec_mem *mem, ProtobufCMessage *m, const char *path,
			       const ProtobufCFieldDescriptor **fd_out);

/* An int64 field of m by name (id, version; meta's too); false when absent. */
bool crm_rec_get_int(const ProtobufCMessage *m, const char *name, int64_t *out);

/* ---------------------------------------------------------------- viewing */

/*
 * A result set with a column per field of d (crm_recval_fields order), for
 * JSON and CSV; crm_rec_add_message adds m as a row. Values: enums by
 * their lower-case names ("customer"), instants (int64 *_at) as times,
 * money as {"amount","currency"}, nested messages as JSON objects of their
 * set fields, lists as JSON arrays; tables get readable text for these.
 */
crm_result *crm_rec_result(const ProtobufCMessageDescriptor *d);
void crm_rec_add_message(crm_result *r, const ProtobufCMessage *m);

/*
 * Prints one message: in table format as "field  value" lines of the
 * fields it has, in JSON as one object with every field (null when
 * absent), in CSV as one row. Returns the exit code.
 */
int crm_rec_print(struct crm_cli *cli, const ProtobufCMessage *m);
/* The same, custom values in tables named by their field's label from
 * fields (the server's field list; NULL: by name). */
int crm_rec_print_labeled(struct crm_cli *cli, const ProtobufCMessage *m,
			  const Crm__FieldListReply *fields);

/* The list table for people of type t: its columns, and a row per record. */
crm_result *crm_rec_people_result(const struct crm_rec_type *t);
void crm_rec_add_people_row(crm_result *r, const struct crm_rec_type *t,
			    const ProtobufCMessage *m);

/* ---------------------------------------------------------------- helpers for other nouns */

/*
 * Sends a list request, then, while `all` is set, again for each next page
 * (page is the request's ListPage: its cursor is advanced; a RecordList's
 * total is asked for on the first page only), calling add(ctx, body) for
 * each reply body. With `all`, progress goes to standard error when it is
 * a terminal; without, the "next page: ..." line when there is more.
 * Returns 0 or the exit code of a failure, which was printed.
 */
struct crm_rec_pager {
	Crm__ClientFrame *req;
	Crm__ListPage *page;
	Crm__Response__BodyCase want;
	bool all;
	const char *what; /* "accounts", for the progress line */
	/* Adds the rows of body; returns how many. */
	size_t (*add)(void *ctx, const void *body);
	void *ctx;
	/* The cursor of body (NULL when none). */
	const ProtobufCBinaryData *(*next_cursor)(const void *body);
	/* Called with the first reply's body (totals); may be NULL. */
	void (*first)(void *ctx, const void *body);
};
int crm_rec_page_all(struct crm_cli *cli, struct crm_rec_pager *p);

/* Asks "QUESTION [y/N] " on standard error and reads the answer from a
 * terminal; false for anything but y/yes (*rc 1), or when standard input
 * is no terminal (*rc: a usage error saying to add --yes). */
bool crm_rec_confirm(struct crm_cli *cli, const char *question, int *rc);

/* The type's noun and plural for sentences, in the user's language (the
 * command names stay t->noun). */
const char *crm_rec_noun(const struct crm_rec_type *t);
const char *crm_rec_plural(const struct crm_rec_type *t);

#endif
