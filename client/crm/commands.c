/*
 * commands: the table of `crm` commands. A new command is a row here plus
 * its handler in cmd_<noun>.c; main.c does the rest (lookup, --help, the
 * command list in `crm --help`). The commands of the record types (crm
 * account add, ...) are not rows here: they are made from each type's
 * table (cmd_<type>.c) and the verbs below (rec_verbs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_record.h"
#include "crm_field_facts.h" /* generated: the facts of the standard fields */

/* before the record types' nouns (crm_rec_types) */
static const struct crm_cli_noun nouns_head[] = {
	{"ping", N_("check that the server answers, and how fast")},
	{"version", N_("show the client's and the server's versions")},
	{"login", N_("log in and keep the session for the next commands")},
	{"logout", N_("end the session")},
	{"whoami", N_("show who the session belongs to")},
	{"passwd", N_("change your password")},
	{"user", N_("user accounts (admins)")},
	{"team", N_("teams and their tree")},
	{"role", N_("roles and their permissions")},
	{"permission", N_("the permission matrix: role x record type x action -> scope")},
	{"session", N_("sessions: list and revoke")},
	{"audit", N_("the audit trail of changes and logins")},
};

/* after the record types' nouns */
static const struct crm_cli_noun nouns_tail[] = {
	{"relation", N_("relationships between records (contact -> account, ...)")},
	{"share", N_("share a record with a user or a team; list its shares")},
	{"watch", N_("follow records: their changes, your tasks and reminders as they happen")},
	{"attach", N_("files attached to records: put, list, get, delete")},
	{"timeline", N_("a record's interactions, tasks and changes, newest first")},
	{"type", N_("the record types you may read, their labels and your actions")},
	{"field", N_("custom fields of a record type (admins add and remove them)")},
	{"picklist", N_("value lists of pick-list fields and relationship roles")},
};

#define PAGE_HELP                                                                   \
	N_("  --limit N        at most N rows (1-500, default 50)\n"                       \
	"  --cursor C       the page after the one that printed 'next page: ...'\n"     \
	"                   on standard error (printed whenever there is more)\n")

#define PASSWORD_STDIN_HELP                                                         \
	N_("  --password-stdin read the password from the first line of standard\n"        \
	"                   input (for scripts) instead of prompting\n")


/* ---------------------------------------------------------------- record help */

#define RECORD_COMMON_HELP                                                           \
	N_("  --tag TAG                   repeatable; the tags given replace the record's\n" \
	"                              (on edit, --add-tag TAG and --remove-tag TAG\n"    \
	"                              change only the tags named)\n"                     \
	"  --set FIELD=VALUE           a custom field ('crm field list TYPE');\n"       \
	"                              repeatable; an empty VALUE empties it. VALUE:\n"  \
	"                              12.5, \"10.00 EUR\", 2026-03-01, true/false, a\n"  \
	"                              pick-list value, text\n"                           \
	"  --external-id KEY           the record's key in another system (1-255\n"      \
	"                              characters, unique per type; imports match on it)\n")

#define RECORD_EDIT_HELP                                                              \
	N_("  --clear FIELD               repeatable: empty a field, named like its option\n"  \
	"                              (website, billing-city) or its JSON name\n"           \
	"                              (billing_address, tags, emails, custom.NAME)\n"       \
	"  --version N                 change only if the record is still at version N\n" \
	"                              (default: the version crm reads just before)\n"     \
	"\n"                                                                                 \
	"Only the fields given change. crm sends the change with the version it reads\n"   \
	"just before; if someone else changed the record in between, nothing is\n"        \
	"changed and crm says so (exit 8, CONFLICT): run the command again. --add-X,\n"   \
	"--remove-X and a --primary-X alone change the record's list as it is when\n"    \
	"the change arrives: an edit made only of them reads nothing first and is\n"    \
	"sent without a version (unless --version is given), so edits made at once\n"  \
	"all land. Removing an item the record lacks is refused (exit 2) with the\n"   \
	"items it has. Prints the record as it is now.\n")

#define RECORD_ADD_KEY_HELP                                                           \
	N_("  --idempotency-key KEY       the request's idempotency key (1-64 bytes); a\n"    \
	"                              random one by default, so a retry after a dropped\n" \
	"                              connection cannot add the record twice\n"           \
	"\n"                                                                                 \
	"Prints the new record's id; with --format json or csv the whole record.\n")

/* --filter's help; the standard fields named are those of the type that
 * filter (filter_fields). */
#define FILTER_HELP                                                                         \
	N_("repeatable; all must hold. COND is FIELD=VALUE, FIELD!=VALUE, FIELD>=VALUE, "       \
	"FIELD<=VALUE, FIELD>VALUE or FIELD<VALUE; FIELD= matches an empty field, FIELD!= a " \
	"filled one. FIELD=V repeated for one FIELD matches any of the values. FIELD is a "  \
	"standard field (%s, ...) or custom.NAME; 'crm field list %s' shows which fields "   \
	"filter and sort. A FIELD ending in _at also takes -7d, dates")

#define LIST_OPTIONS_HELP                                                                  \
	N_("  --owner USER, --team TEAM, --tag TAG\n"                                           \
	"                   the same as --filter owner=USER and so on (repeatable)\n"        \
	"%s"                                                                                 \
	"  --updated-since TIME  changed at or after TIME: 2026-03-01 (midnight UTC),\n"     \
	"                   RFC 3339 (2026-03-01T09:00:00+01:00), or -7d, -12h\n"            \
	"%s"                                                                                 \
	"  --total          count the matches too: exact up to 10,000, then \"10,000+\"\n"  \
	"  --deleted        list deleted records instead (restore brings them back)\n"      \
	"  --export         a bulk export: needs the export permission\n"                    \
	"  --all            every page, not only the first (progress on standard error\n"   \
	"                   on a terminal); pages of 500 unless --limit\n") PAGE_HELP

#define YES_HELP                                                                          \
	N_("  --yes   do not ask for confirmation (crm asks on a terminal and refuses to\n"     \
	"          go ahead without one unless --yes is given)\n")

/* the commands before the record types' */
static const struct crm_cli_command head[] = {
	{"ping", NULL, crm_cmd_ping, "[--deep] [--count N]",
	 N_("check that the server answers, and how fast"),
	 N_("Sends ping requests one after the other and prints the server's version,\n"
	 "the protocol version and the round-trip time of each in milliseconds.\n"
	 "\n"
	 "  --deep       go through a database worker too (proves the whole path)\n"
	 "               and print the database schema version\n"
	 "  --count N    send N pings (default 1); with N > 1 the table also shows\n"
	 "               the minimum, average and maximum round-trip time\n"), 0},
	{"version", NULL, crm_cmd_version, "", N_("show the client's and the server's versions"),
	 N_("Prints this crm's version and protocol, and those of the server.\n"
	 "('crm --version' prints the client's alone, without connecting.)\n"),
	 CRM_CMD_NO_SESSION},

	/* ---------------------------------------------------------------- session */
	{"login", NULL, crm_cmd_login, "USERNAME [--password-stdin]",
	 N_("log in and keep the session for the next commands"),
	 N_("Logs in as USERNAME and stores the session token in the session file\n"
	 "($CRM_SESSION_FILE, else $XDG_CONFIG_HOME/crm/session, else\n"
	 "~/.config/crm/session; created with mode 0600 in a folder with mode 0700),\n"
	 "together with the server it belongs to. Later commands to that server\n"
	 "resume the session; the token is never sent to another server.\n"
	 "\n"
	 "On a terminal crm asks for the password without echoing it; when standard\n"
	 "input is not a terminal it refuses to ask: use --password-stdin.\n"
	 "\n") PASSWORD_STDIN_HELP,
	 CRM_CMD_NO_SESSION},
	{"logout", NULL, crm_cmd_logout, "", N_("end the session"),
	 N_("Ends the session on the server and removes the session file.\n"), 0},
	{"whoami", NULL, crm_cmd_whoami, "", N_("show who the session belongs to"),
	 N_("Prints the logged-in user (role, team, teams managed) and the session's\n"
	 "id and expiry.\n"), 0},
	{"passwd", NULL, crm_cmd_passwd, "[--password-stdin]", N_("change your password"),
	 N_("Asks for the current password and the new one (twice). Changing it ends\n"
	 "every session of yours; the new session the server returns replaces the\n"
	 "one in the session file, so this crm stays logged in.\n"
	 "\n"
	 "  --password-stdin read the current password, then the new one, from the\n"
	 "                   first two lines of standard input\n"), 0},

	/* ---------------------------------------------------------------- users */
	{"user", "add", crm_cmd_user_add,
	 "USERNAME --role ROLE [--team TEAM] [--email E] [--display-name N]\n"
	 "       [--time-zone TZ] [--locale L] [--password-stdin]",
	 N_("create a user"),
	 N_("Creates a user. USERNAME is 1-64 of a-z 0-9 . _ - (lower-cased).\n"
	 "\n"
	 "  --role ROLE         the user's role (see 'crm role list'); required\n"
	 "  --team TEAM         the team the user belongs to\n"
	 "  --email E           e-mail address\n"
	 "  --display-name N    the name people see\n"
	 "  --time-zone TZ      IANA time zone, e.g. Europe/Berlin (default UTC)\n"
	 "  --locale L          e.g. de-DE (default en-US)\n") PASSWORD_STDIN_HELP
	 N_("\n"
	 "On a terminal crm asks for the new user's password (twice; an empty answer\n"
	 "creates the user without one). Without a terminal and without\n"
	 "--password-stdin the user is created without a password: set one later\n"
	 "with 'crm user reset-password'.\n"), 0},
	{"user", "list", crm_cmd_user_list,
	 "[--team TEAM] [--role ROLE] [--all] [--limit N] [--cursor C]", N_("list users"),
	 N_("Lists active users, by username.\n"
	 "\n"
	 "  --team TEAM      only members of TEAM\n"
	 "  --role ROLE      only users with ROLE\n"
	 "  --all            include disabled users\n") PAGE_HELP
	 N_("\n"
	 "The table leaves out some columns; JSON and CSV have them all.\n"), 0},
	{"user", "show", crm_cmd_user_show, "USERNAME", N_("show one user"),
	 N_("Prints every field of one user.\n"), 0},
	{"user", "edit", crm_cmd_user_edit,
	 "USERNAME [--display-name N] [--email E | --clear-email] [--time-zone TZ]\n"
	 "       [--locale L] [--role ROLE] [--team TEAM]\n"
	 "       [--manages TEAM ... | --clear-manages]",
	 N_("change a user"),
	 N_("Changes the fields given and leaves the others alone.\n"
	 "\n"
	 "  --display-name N    the name people see\n"
	 "  --email E           e-mail address; --clear-email removes it\n"
	 "  --time-zone TZ      IANA time zone\n"
	 "  --locale L          locale, e.g. en-GB\n"
	 "  --role ROLE         the role (the last active admin keeps theirs)\n"
	 "  --team TEAM         the team the user belongs to\n"
	 "  --manages TEAM      repeatable: the teams the user manages (replaces the\n"
	 "                      list); --clear-manages empties it\n"), 0},
	{"user", "disable", crm_cmd_user_disable, "USERNAME", N_("disable a user"),
	 N_("Disables a user: they can no longer log in and all their sessions end.\n"
	 "The last active admin cannot be disabled.\n"), 0},
	{"user", "enable", crm_cmd_user_enable, "USERNAME", N_("enable a disabled user"),
	 N_("Lets a disabled user log in again.\n"), 0},
	{"user", "reset-password", crm_cmd_user_reset_password, "USERNAME [--password-stdin]",
	 N_("set a user's password (admins)"),
	 N_("Sets a new password for USERNAME; all their sessions end. crm asks for it\n"
	 "twice on a terminal.\n"
	 "\n") PASSWORD_STDIN_HELP, 0},

	/* ---------------------------------------------------------------- teams */
	{"team", "add", crm_cmd_team_add, "NAME [--parent TEAM]", N_("create a team"),
	 N_("Creates a team, at the top or below --parent TEAM.\n"), 0},
	{"team", "list", crm_cmd_team_list, "", N_("list teams"),
	 N_("Lists every team with its path in the tree, members and managers.\n"), 0},
	{"team", "show", crm_cmd_team_show, "NAME", N_("show one team"),
	 N_("Prints one team: parent, path, number of members, managers.\n"), 0},
	{"team", "edit", crm_cmd_team_edit, "NAME --name NEW", N_("rename a team"),
	 N_("Renames a team. (To move it in the tree: 'crm team move'.)\n"), 0},
	{"team", "move", crm_cmd_team_move, "NAME (--parent TEAM | --root)",
	 N_("move a team in the tree"),
	 N_("Moves a team below --parent TEAM, or to the top with --root. A team cannot\n"
	 "move below itself or its own sub-teams.\n"), 0},
	{"team", "delete", crm_cmd_team_delete, "NAME", N_("delete an empty team (admins)"),
	 N_("Deletes a team. Refused while it has members or sub-teams or owns records,\n"
	 "saying how many of each are left: move them to another team first.\n"), 0},

	/* ---------------------------------------------------------------- roles, permissions */
	{"role", "list", crm_cmd_role_list, "", N_("list roles"),
	 N_("Lists the roles with their description and number of users.\n"), 0},
	{"role", "show", crm_cmd_role_show, "ROLE", N_("show a role's permissions"),
	 N_("Prints the role, then its permissions as a matrix: a row per record type,\n"
	 "a column per action, the scope in each cell ('-': not allowed).\n"
	 "JSON: the role with its permissions as a list; CSV: one permission a line.\n"), 0},
	{"permission", "list", crm_cmd_permission_list, "[--role ROLE] [--type TYPE]",
	 N_("list permissions"),
	 N_("Lists the permission matrix one cell a line: role, record type, action,\n"
	 "scope.\n"
	 "\n"
	 "  --role ROLE      only this role\n"
	 "  --type TYPE      only this record type\n"), 0},
	{"permission", "set", crm_cmd_permission_set, "ROLE TYPE ACTION SCOPE",
	 N_("change one cell of the matrix (admins)"),
	 N_("Lets ROLE do ACTION on records of TYPE within SCOPE. The change is audited.\n"
	 "\n"
	 "  ACTION  read, create, update, delete, export, reassign or admin\n"
	 "  SCOPE   none, own (records the user owns), team (of the user's team and\n"
	 "          the teams they manage), subteams (those and every team below\n"
	 "          them) or all\n"), 0},

	/* ---------------------------------------------------------------- sessions */
	{"session", "list", crm_cmd_session_list, "[--user USER | --all]", N_("list sessions"),
	 N_("Lists your sessions ('current' marks this one); an admin may ask for one\n"
	 "user's (--user USER) or everyone's (--all).\n"), 0},
	{"session", "revoke", crm_cmd_session_revoke, "ID", N_("end a session"),
	 N_("Ends the session with this id (see 'crm session list'). Revoking your own\n"
	 "current session logs you out.\n"), 0},

	/* ---------------------------------------------------------------- audit */
	{"audit", "list", crm_cmd_audit_list,
	 "[--record TYPE/ID] [--user NAME] [--since TIME] [--until TIME]\n"
	 "       [--all] [--limit N] [--cursor C]",
	 N_("show the audit trail"),
	 N_("Lists audit entries: who changed what, when, from where; newest first.\n"
	 "\n"
	 "  --record TYPE/ID the history of one record (note/42), or TYPE for all\n"
	 "                   records of a type\n"
	 "  --user NAME      what NAME did\n"
	 "  --since TIME     from TIME on\n"
	 "  --until TIME     up to TIME\n"
	 "  --all            every page, not only the first (progress on standard error\n"
	 "                   on a terminal); pages of 500 unless --limit\n") PAGE_HELP
	 N_("\n"
	 "TIME is RFC 3339 (2026-11-22T10:00:00Z, 2026-11-22T11:00:00+01:00), a date\n"
	 "(2026-11-22: midnight UTC) or a time back from now: -30m, -1h, -7d, -2w.\n"
	 "\n"
	 "Tables summarise the changed fields as 'field: old → new' (+field: added,\n"
	 "-field: removed), with user and team names beside their ids ('5 (alice)')\n"
	 "and money with its currency, cut at 60 columns ('…'); JSON gives\n"
	 "old_values and new_values as recorded, as JSON objects, CSV as JSON text.\n"), 0},

};

/* the commands after the record types' */
static const struct crm_cli_command tail[] = {
	/* ---------------------------------------------------------------- relations */
	{"relation", "add", crm_cmd_relation_add, "FROM TO --role ROLE [--primary]",
	 N_("relate two records"),
	 N_("Relates record FROM to record TO in a role. The roles each pair takes are\n"
	 "the values of a pick list; at first:\n"
	 "  contact -> account  (relation.contact.account): employee, decision_maker,\n"
	 "                      billing, technical, influencer, champion,\n"
	 "                      former_employee, other\n"
	 "  contact -> contact  (relation.contact.contact): reports_to, assistant_of,\n"
	 "                      referred_by, family, colleague, other\n"
	 "  account -> account  (relation.account.account): partner, competitor,\n"
	 "                      supplier, customer, subsidiary, other\n"
	 "Admins change them ('crm picklist add|remove'); 'crm picklist list NAME'\n"
	 "shows the current ones. (An account's parent is 'crm account edit ID\n"
	 "--parent P', not a relation.) --primary (contact -> account only) makes it\n"
	 "the contact's primary account. Prints the relation's id; with --format json\n"
	 "or csv the relation.\n"), 0},
	{"relation", "list", crm_cmd_relation_list, "ID [--all] [--limit N] [--cursor C]",
	 N_("list a record's relationships"),
	 N_("Lists the relationships from and to record ID.\n"
	 "\n"
	 "  --all            every page, not only the first\n") PAGE_HELP, 0},
	{"relation", "remove", crm_cmd_relation_remove, "RELATION_ID", N_("remove a relationship"),
	 N_("Removes the relationship with this id.\n"), 0},

	/* ---------------------------------------------------------------- sharing */
	{"share", NULL, crm_cmd_share,
	 "TYPE/ID (--user USER | --team TEAM) [--access read|edit] [--revoke]\n"
	 "       crm share list TYPE/ID",
	 N_("share a record with a user or team; 'share list' shows them"),
	 N_("Shares record TYPE/ID (account/42, contact/7, note/3) with one user or one\n"
	 "team beyond what their role lets them see: to read it, or to read and edit\n"
	 "it. Sharing again changes the access; --revoke takes the share back\n"
	 "(refused, exit 4, when there is none). Prints the record's shares after the\n"
	 "change.\n"
	 "\n"
	 "  --user USER      share with this user\n"
	 "  --team TEAM      share with every member of this team\n"
	 "  --access ACCESS  read (the default) or edit\n"
	 "  --revoke         remove the share with USER or TEAM\n"
	 "\n"
	 "You may share a record you may change by your role: your own, or one your\n"
	 "role's update scope covers. A share for editing lets its holder change the\n"
	 "record, not share it further. A record you cannot see is 'not found'. Each\n"
	 "share and revoke is in the record's audit trail ('crm audit list --record\n"
	 "TYPE/ID').\n"
	 "\n"
	 "crm share list TYPE/ID lists a record's shares: user or team, access, when\n"
	 "and by whom it was shared (the latter unknown for shares made before this\n"
	 "version). As a table, JSON or CSV (--format). Not yet for notes.\n"), 0},

	/* ---------------------------------------------------------------- timeline */
	{"timeline", NULL, crm_cmd_timeline,
	 "TYPE/ID [--kind KIND,...] [--since TIME] [--until TIME]\n"
	 "       [--total] [--limit N] [--cursor C]",
	 N_("a record's interactions, tasks and changes, newest first"),
	 N_("Shows the timeline of record TYPE/ID (account/42): its interactions, its\n"
	 "tasks and its changes from the audit trail, newest first. An account's\n"
	 "timeline also has the interactions and tasks of its contacts (those that\n"
	 "name no account of their own, on the account the contact was with when they\n"
	 "were recorded). What you may not see is neither shown nor counted.\n"
	 "\n"
	 "  --kind KIND,...  only these kinds (repeatable): call, meeting, email,\n"
	 "                   visit, message, note (interactions), task, change\n"
	 "  --since TIME     from TIME on\n"
	 "  --until TIME     before TIME\n"
	 "  --total          also count the items (exact up to 10,000)\n") PAGE_HELP
	 N_("\n"
	 "TIME is RFC 3339 (2026-11-22T10:00:00Z, 2026-11-22T11:00:00+01:00), a date\n"
	 "(2026-11-22: midnight UTC) or a time back from now: -30m, -1h, -7d, -2w.\n"
	 "An interaction is at the time it happened; a task when it was done, else\n"
	 "when it is due, else when it was made; a change when it was made.\n"
	 "\n"
	 "Tables show the time in your time zone and a summary: the subject (a task's\n"
	 "status after it) or a change's action and the fields it changed; JSON and\n"
	 "CSV give at (UTC), kind, record_type, record_id, summary, who and action.\n"), 0},

	/* ---------------------------------------------------------------- watching */
	{"watch", "add", crm_cmd_watch_add, "TYPE/ID", N_("watch a record"),
	 N_("Watches record TYPE/ID (account/42): 'crm watch follow' then shows its\n"
	 "changes as they happen, while you may see it. Watching it again is no error;\n"
	 "a record you cannot see is 'not found'.\n"), 0},
	{"watch", "remove", crm_cmd_watch_remove, "TYPE/ID", N_("stop watching a record"),
	 N_("Stops watching record TYPE/ID (refused, exit 4, when you do not watch it).\n"), 0},
	{"watch", "list", crm_cmd_watch_list, "", N_("list the records you watch"),
	 N_("Lists the records you watch and may still see: type, id and since when.\n"
	 "As a table, JSON or CSV (--format).\n"), 0},
	{"watch", "follow", crm_cmd_watch_follow, "[--format json]",
	 N_("print events as they happen, until interrupted"),
	 N_("Prints one line per event as the server pushes it, until Ctrl+C: a change\n"
	 "of a record you watch (created, updated, deleted, restored, reassigned,\n"
	 "purged), a task assigned to you (assigned) and a task's reminder falling due\n"
	 "(reminder). Only records you may see at that moment; never their values\n"
	 "('crm TYPE show ID' shows them). With --format json, one JSON object per line\n"
	 "with the event's position. After a lost connection it reconnects and goes on\n"
	 "from the last event it printed; when the server no longer holds the events\n"
	 "missed meanwhile, it says so on standard error.\n"), 0},

	/* ---------------------------------------------------------------- attachments */
	{"attach", "put", crm_cmd_attach_put, "TYPE/ID FILE [--name N] [--content-type T]",
	 N_("attach a file to a record"),
	 N_("Uploads FILE and attaches it to record TYPE/ID (account/42), in chunks,\n"
	 "each with its SHA-256, and the whole file's SHA-256 checked by the server\n"
	 "before the attachment becomes visible. Prints the attachment. You need the\n"
	 "right to edit the record; a record you cannot see is 'not found'. The size\n"
	 "limit is the server's (attachment_max_size, 25 MiB by default). Shows its\n"
	 "progress on standard error when that is a terminal.\n"
	 "\n"
	 "  --name N          the name to record (default: FILE's own name)\n"
	 "  --content-type T  its MIME type, e.g. application/pdf (default: guessed\n"
	 "                    from the name's extension, else\n"
	 "                    application/octet-stream)\n"), 0},
	{"attach", "list", crm_cmd_attach_list, "TYPE/ID [--limit N] [--cursor C]",
	 N_("list a record's attachments"),
	 N_("Lists the attachments of record TYPE/ID, newest first, a page at a time:\n"
	 "id, name, content type, size, who attached it and when. As a table, JSON\n"
	 "or CSV (--format); JSON and CSV also have the SHA-256 and the chunks.\n"
	 "\n") PAGE_HELP, 0},
	{"attach", "get", crm_cmd_attach_get, "ID --output FILE|DIR/|-", N_("download an attachment"),
	 N_("Downloads attachment ID and writes it where --output says, and nowhere else:\n"
	 "\n"
	 "  --output FILE   to FILE (replaced if it exists)\n"
	 "  --output DIR/   into directory DIR under the attachment's name, made safe\n"
	 "                  first ('/', '\\', control characters, bidirectional\n"
	 "                  controls, invalid UTF-8 and a leading '.' become '_',\n"
	 "                  at most 200 bytes); an existing file is not replaced\n"
	 "  --output -      to standard output\n"
	 "\n"
	 "The file is checked against its size and SHA-256 before it gets its name: a\n"
	 "failed or interrupted (Ctrl-C) download leaves nothing behind. Shows its\n"
	 "progress on standard error when that is a terminal.\n"), 0},
	{"attach", "delete", crm_cmd_attach_delete, "ID", N_("delete an attachment"),
	 N_("Deletes attachment ID (you need the right to edit its record). The\n"
	 "record's audit trail keeps its name, size and SHA-256.\n"), 0},

	/* ---------------------------------------------------------------- custom fields */
	{"field", "add", crm_cmd_field_add,
	 "TYPE NAME --kind KIND [--label L] [--required] [--max-length N] [--min X]\n"
	 "       [--max Y] [--option VALUE]...",
	 N_("add a custom field (admins)"),
	 N_("Adds a custom field to records of TYPE (%s). NAME is a-z, 0-9 and _, starting "
	 "with a letter, at most 40 characters; records then take --set NAME=VALUE and "
	 "filters custom.NAME.\n"
	 "\n"
	 "  --kind KIND       text, number, money, date, boolean or picklist; required\n"
	 "  --label L         the name people see (default: NAME)\n"
	 "  --required        every record must have a value\n"
	 "  --max-length N    text: at most N characters (default 255, at most 4096)\n"
	 "  --min X, --max Y  number and money: bounds (12.5); date: YYYY-MM-DD\n"
	 "  --option VALUE    picklist: a value; repeatable (more with 'crm picklist\n"
	 "                    add TYPE.NAME VALUE')\n"), CRM_CMD_HELP_TYPES},
	{"field", "list", crm_cmd_field_list, "TYPE", N_("list the fields of a record type"),
	 N_("Lists the fields of records of TYPE: the standard ones, then the custom ones,\n"
	 "with their label (what 'show' calls a custom field), kind, and whether\n"
	 "'list --sort' takes them (sortable). Filters take the standard fields the\n"
	 "server reports as filterable and every custom field (custom.NAME).\n"
	 "\n"
	 "With --format json or csv each field also has what a program needs to build\n"
	 "a form or a list view: cli_option (the option of 'add' and 'edit' that sets\n"
	 "it), help, max_length, multi_line, references (the record type an id field\n"
	 "names), read_only (set by the server) and personal (personal data).\n"), 0},

	/* ---------------------------------------------------------------- record types */
	{"type", "list", crm_cmd_type_list, "", N_("list the record types you may read"),
	 N_("Lists the record types your role may read: name (what commands and\n"
	 "'crm field list' take), label, plural_label, and the actions your role may\n"
	 "take on records of the type (read, create, update, delete, export, reassign,\n"
	 "admin; 'crm permission list' shows their scopes).\n"), 0},
	{"field", "remove", crm_cmd_field_remove, "TYPE NAME [--yes]", N_("remove a custom field and its values (admins)"),
	 N_("Removes a custom field and deletes its values from every record (each is\n"
	 "audited as a change of the record).\n"), 0},

	/* ---------------------------------------------------------------- pick lists */
	{"picklist", "list", crm_cmd_picklist_list, "[NAME]", N_("list pick lists and their values"),
	 N_("Lists the values of one pick list (industry, region, tier, account.FIELD,\n"
	 "relation.contact.account, ...) or of all, one value a line. Retired values\n"
	 "show active false: records keep them, new writes may not use them.\n"), 0},
	{"picklist", "add", crm_cmd_picklist_add, "NAME VALUE [--label L]",
	 N_("add a value to a pick list (admins)"),
	 N_("Adds VALUE to pick list NAME (or makes a retired one active again) and\n"
	 "prints the list.\n"
	 "\n"
	 "  --label L   the text people see (default: VALUE)\n"), 0},
	{"picklist", "remove", crm_cmd_picklist_remove, "NAME VALUE",
	 N_("retire a value of a pick list (admins)"),
	 N_("Retires VALUE: records keep it, new writes may not use it. Prints the list.\n"), 0},
	{"picklist", "move", crm_cmd_picklist_move, "NAME VALUE (--before OTHER | --after OTHER)",
	 N_("reorder a pick list (admins)"),
	 N_("Moves VALUE just before or just after OTHER (values match ignoring case) and\n"
	 "prints the list with its new positions.\n"), 0},
};

/* ---------------------------------------------------------------- record type commands */

/*
 * Every record type (crm_rec_types) has the same verbs, one handler each
 * for all types; their synopses and help are made here from the type's
 * table (cmd_<type>.c): its noun, a_noun, plural, fields_help, ... A
 * type's own commands (t->verbs) follow them.
 */

/* Closes f, opened by text_open(buf, ...), and returns the text written. */
static char *text_of(FILE *f, char **buf) {
	if (fclose(f) != 0 || *buf == NULL) {
		fputs(_("crm: out of memory\n"), stderr);
		abort();
	}
	return *buf;
}

/* Opens a text in memory to write to (*buf: the text, *len: its length). */
static FILE *text_open(char **buf, size_t *len) {
	FILE *f;

	*buf = NULL;
	f = open_memstream(buf, len);
	if (f == NULL) {
		fputs(_("crm: out of memory\n"), stderr);
		abort();
	}
	return f;
}

static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...) {
	char *buf;
	size_t len;
	FILE *f = text_open(&buf, &len);
	va_list ap;

	va_start(ap, format);
	vfprintf(f, format, ap);
	va_end(ap);
	return text_of(f, &buf);
}

#define HELP_WIDTH 80

/* Writes text at most HELP_WIDTH columns a line (a 'quoted command' is
 * not split): the first line after prefix, the others indented by as many
 * columns as prefix has (no tabs). */
static void put_wrapped(FILE *f, const char *prefix, const char *text) {
	size_t indent = strlen(prefix), col = indent, wl;
	const char *p = text;

	fputs(prefix, f);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		wl = strcspn(p, " ");
		/* a quoted command ('crm field list note') stays on one line */
		if (*p == '\'' && strchr(p + 1, '\'') != NULL)
			wl = (size_t)(strchr(p + 1, '\'') - p) + strcspn(strchr(p + 1, '\''), " ");
		if (wl == 0)
			break;
		if (col > indent && col + 1 + wl > HELP_WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, wl, f);
		col += wl;
		p += wl;
	}
	fputc('\n', f);
}

/* A paragraph of help, wrapped; format as printf. */
static void put_para(FILE *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void put_para(FILE *f, const char *format, ...) {
	char *buf;
	size_t len;
	FILE *g = text_open(&buf, &len);
	va_list ap;

	va_start(ap, format);
	vfprintf(g, format, ap);
	va_end(ap);
	put_wrapped(f, "", text_of(g, &buf));
	free(buf);
}

/* The noun with its article; a type's table must have it (test_record). */
static const char *a_noun(const struct crm_rec_type *t) {
	if (t->a_noun == NULL) {
		fprintf(stderr, _("crm: bug: record type %s has no a_noun\n"), t->noun);
		abort();
	}
	return _(t->a_noun);
}

/* add and edit: the options of the type's fields, then the common ones */
static void put_fields(FILE *f, const struct crm_rec_type *t) {
	fputs(t->fields_help ? crm_i18n_lines(t->fields_help) : "", f);
	fputs(crm_i18n_lines(RECORD_COMMON_HELP), f);
}

static void help_add(FILE *f, const struct crm_rec_type *t) {
	if (t->add_lead)
		put_para(f, "%s", _(t->add_lead));
	else
		put_para(f, _("Adds %s with the fields given as options."), a_noun(t));
	fputc('\n', f);
	put_fields(f, t);
	fputs(crm_i18n_lines(RECORD_ADD_KEY_HELP), f);
}

static void help_show(FILE *f, const struct crm_rec_type *t) {
	put_para(f,
		 _("Prints every field the %s has, one per line%s. With --format json: one "
		 "object with every field (null when empty), named as in the README's data "
		 "reference."),
		 crm_rec_noun(t), t->show_lead_more ? _(t->show_lead_more) : "");
}

/* A standard field of the type that is not one of every record's
 * (RecordMeta's: owner, team, tags, ...). */
static bool own_field(const struct crm_field_facts *x, const struct crm_rec_type *t) {
	return strcmp(x->record_type, t->noun) == 0 &&
	       protobuf_c_message_descriptor_get_field_by_name(&crm__record_meta__descriptor,
							       x->field) == NULL;
}

/* list --filter: the standard fields of the type that filter, as crm.proto's
 * field options say (crm_field_facts.h): its own, then the shared ones. */
static char *filter_fields(const struct crm_rec_type *t) {
	char *buf;
	size_t i, len, n = 0;
	FILE *g = text_open(&buf, &len);

	for (i = 0; i < CRM_N_FIELD_FACTS; i++)
		if (strcmp(crm_field_facts[i].record_type, t->noun) == 0 &&
		    crm_field_facts[i].filterable)
			fprintf(g, "%s%s", n++ ? ", " : "", crm_field_facts[i].name);
	return text_of(g, &buf);
}

/* list --sort: an example, the type's first own field that sorts (as the
 * field options say) and the newest first. */
static const char *sort_example(const struct crm_rec_type *t) {
	static char buf[96];
	size_t i;

	for (i = 0; i < CRM_N_FIELD_FACTS; i++)
		if (own_field(&crm_field_facts[i], t) && crm_field_facts[i].sortable) {
			snprintf(buf, sizeof(buf), "%s,-updated_at", crm_field_facts[i].name);
			return buf;
		}
	return "-updated_at";
}

static void help_list(FILE *f, const struct crm_rec_type *t) {
	char *filter, *sort, *sort_help, *cols, *p;
	size_t i, len;
	FILE *g;

	put_para(f, _("Lists the %s you may read, a page at a time%s."), crm_rec_plural(t),
		 t->list_lead_more ? _(t->list_lead_more) : "");
	fputc('\n', f);
	p = filter_fields(t);
	filter = fmt(_(FILTER_HELP), p, t->noun);
	free(p);
	put_wrapped(f, _("  --filter COND    "), filter);
	free(filter);
	sort = fmt(_("comma-separated, '-' before a field sorts it descending: %s (at most 3; "
		     "id is always the last key)"),
		   sort_example(t));
	g = text_open(&sort_help, &len);
	put_wrapped(g, _("  --sort FIELDS    "), sort);
	free(sort);
	fprintf(f, crm_i18n_lines(LIST_OPTIONS_HELP),
		t->list_options ? _(t->list_options) : "",
		text_of(g, &sort_help));
	free(sort_help);
	fputc('\n', f);
	g = text_open(&cols, &len);
	for (i = 0; i < t->n_cols; i++)
		/* TRANSLATORS: joins the column names of a list: "id, name and owner" */
		fprintf(g, "%s%s", i == 0 ? "" : i + 1 == t->n_cols ? _(" and ") : _(", "),
			t->cols[i].header);
	p = text_of(g, &cols);
	put_para(f, _("The table shows %s; JSON and CSV every field. On a terminal, long cells "
		    "are cut with '...' to fit its width ($COLUMNS); 'show', JSON and CSV have "
		    "everything."), p);
	free(cols);
	put_para(f, _("With --total the count follows the table (JSON: {\"total\": N, "
		    "\"total_capped\": false, \"%s\": [...]}; CSV: on standard error)."),
		 t->plural);
}

static void help_edit(FILE *f, const struct crm_rec_type *t) {
	if (t->edit_lead)
		put_para(f, "%s", _(t->edit_lead));
	else
		put_para(f, _("Changes the fields given of %s ID."), crm_rec_noun(t));
	fputc('\n', f);
	put_fields(f, t);
	fputs(crm_i18n_lines(RECORD_EDIT_HELP), f);
}

static void help_delete(FILE *f, const struct crm_rec_type *t) {
	put_para(f,
		 _("Deletes %s softly: 'crm %s restore ID' brings it back, 'crm %s list "
		 "--deleted' lists the deleted ones."),
		 a_noun(t), t->noun, t->noun);
}

static void help_restore(FILE *f, const struct crm_rec_type *t) {
	put_para(f, _("Brings back a deleted %s."), crm_rec_noun(t));
}

static void help_purge(FILE *f, const struct crm_rec_type *t) {
	put_para(f, _("Removes %s for good, with %s. It cannot be undone."), a_noun(t),
		 t->purge_what ? _(t->purge_what)
			       : _("its tags, custom values and shares, and blanks its personal "
				   "data in the audit trail"));
	fputc('\n', f);
	fputs(crm_i18n_lines(YES_HELP), f);
}

static void help_reassign(FILE *f, const struct crm_rec_type *t) {
	put_para(f, _("Makes USER the %s's owner. It moves to USER's team unless --team names "
		    "another.%s"),
		 crm_rec_noun(t), t->reassign_more ? _(t->reassign_more) : "");
	if (t->reassign_options) {
		fputc('\n', f);
		fputs(crm_i18n_lines(t->reassign_options), f);
	}
}

static void help_share(FILE *f, const struct crm_rec_type *t) {
	put_para(f,
		 _("Shares the %s with one user or one team, to read or to edit; --revoke takes "
		 "the share back. The same as 'crm share %s/ID'. Prints the %s's shares after "
		 "the change."),
		 crm_rec_noun(t), t->noun, crm_rec_noun(t));
}

#define EDIT_ARGS                                                                          \
	"ID [--FIELD VALUE]... [--add-tag T]... [--remove-tag T]... [--set FIELD=VALUE]...\n" \
	"       [--clear FIELD]... [--version N]"

/* The verbs of every record type. In summaries %1$s is the noun with its
 * article ("an account"), %2$s the noun, %3$s the plural. */
static const struct rec_verb {
	const char *verb;
	crm_cli_handler run;
	const char *args; /* NULL: the type's own (add_args, edit_args) */
	const char *summary;
	void (*help)(FILE *f, const struct crm_rec_type *t);
	unsigned flags;
} rec_verbs[] = {
	{"add", crm_cmd_record_add, NULL, N_("add %1$s"), help_add, CRM_CMD_OWN_RETRY_HINT},
	{"show", crm_cmd_record_show, "ID", N_("show one %2$s"), help_show, 0},
	{"list", crm_cmd_record_list,
	 "[--filter COND]... [--sort FIELDS] [--total] [--all] [--deleted] [--export]\n"
	 "       [--limit N] [--cursor C] [shortcuts: --owner USER --team TEAM --tag TAG ...]",
	 N_("list %3$s"), help_list, 0},
	{"edit", crm_cmd_record_edit, NULL, N_("change %1$s"), help_edit, 0},
	{"delete", crm_cmd_record_delete, "ID", N_("delete %1$s"), help_delete, 0},
	{"restore", crm_cmd_record_restore, "ID", N_("restore a deleted %2$s"), help_restore, 0},
	{"purge", crm_cmd_record_purge, "ID [--yes]", N_("remove %1$s for good (admins)"), help_purge,
	 0},
	{"reassign", crm_cmd_record_reassign, NULL, N_("give %1$s to another owner"), help_reassign, 0},
	{"share", crm_cmd_record_share,
	 "ID (--user USER | --team TEAM) [--access read|edit] [--revoke]",
	 N_("share %1$s with a user or team"), help_share, 0},
};

static const char *verb_args(const struct rec_verb *v, const struct crm_rec_type *t) {
	if (v->args)
		return v->args;
	if (strcmp(v->verb, "add") == 0)
		return t->add_args ? t->add_args
				   : "--FIELD VALUE ... [--set FIELD=VALUE]... [--idempotency-key KEY]";
	if (strcmp(v->verb, "edit") == 0)
		return t->edit_args ? t->edit_args : EDIT_ARGS;
	/* reassign */
	return t->with_contacts ? "ID --owner USER [--team TEAM] [--with-contacts]"
				: "ID --owner USER [--team TEAM]";
}

static struct crm_cli_command rec_command(const struct rec_verb *v, const struct crm_rec_type *t) {
	struct crm_cli_command c = {.noun = t->noun, .verb = v->verb, .run = v->run,
				    .flags = v->flags};
	char *buf;
	size_t len;
	FILE *f;

	c.args = verb_args(v, t);
	if (strcmp(v->verb, "list") == 0 && t->list_summary)
		c.summary = _(t->list_summary);
	else
		c.summary = fmt(_(v->summary), a_noun(t), crm_rec_noun(t), crm_rec_plural(t));
	f = text_open(&buf, &len);
	v->help(f, t);
	c.help = text_of(f, &buf);
	return c;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The help of a command with CRM_CMD_HELP_TYPES: the record types' names
 * for the %s of its first paragraph, which is wrapped. */
static const char *help_with_types(const struct crm_cli_command *c) {
	const char *help = crm_i18n_lines(c->help); /* translated: its %s stays */
	const char *end = strstr(help, "\n\n"), *at = strstr(help, "%s");
	char *para, *buf;
	size_t len;
	FILE *f;

	if (end == NULL || at == NULL || at > end) {
		fprintf(stderr, _("crm: bug: the help of crm %s %s has no %%s to put the types in\n"),
			c->noun, c->verb);
		abort();
	}
	para = fmt("%.*s%s%.*s", (int)(at - help), help, crm_rec_type_names(),
		   (int)(end - at - 2), at + 2);
	f = text_open(&buf, &len);
	put_wrapped(f, "", para);
	fputs(end + 1, f);
	free(para);
	return text_of(f, &buf);
}

const struct crm_cli_command *crm_cli_commands(size_t *n) {
	static struct crm_cli_command *all;
	static size_t n_all;
	const struct crm_rec_type *types[CRM_N_RECORD_TYPES];
	size_t i, j, n_types, cap = N(head) + N(tail);

	if (all == NULL) {
		n_types = crm_rec_types_in_help_order(types);
		for (i = 0; i < n_types; i++)
			cap += N(rec_verbs) + types[i]->n_verbs;
		all = calloc(cap, sizeof(*all));
		if (all == NULL) {
			fputs(_("crm: out of memory\n"), stderr);
			abort();
		}
		for (i = 0; i < N(head); i++)
			all[n_all++] = head[i];
		for (i = 0; i < n_types; i++) {
			const struct crm_rec_type *t = types[i];

			for (j = 0; j < N(rec_verbs); j++)
				all[n_all++] = rec_command(&rec_verbs[j], t);
			for (j = 0; j < t->n_verbs; j++)
				all[n_all++] = t->verbs[j];
		}
		for (i = 0; i < N(tail); i++) {
			all[n_all] = tail[i];
			if (tail[i].flags & CRM_CMD_HELP_TYPES)
				all[n_all].help = help_with_types(&tail[i]);
			n_all++;
		}
	}
	*n = n_all;
	return all;
}

const struct crm_cli_noun *crm_cli_nouns(size_t *n) {
	static struct crm_cli_noun *all;
	static size_t n_all;
	const struct crm_rec_type *types[CRM_N_RECORD_TYPES];
	size_t i, n_types, cap = N(nouns_head) + N(nouns_tail);

	if (all == NULL) {
		n_types = crm_rec_types_in_help_order(types);
		cap += n_types;
		all = calloc(cap, sizeof(*all));
		if (all == NULL) {
			fputs(_("crm: out of memory\n"), stderr);
			abort();
		}
		for (i = 0; i < N(nouns_head); i++)
			all[n_all++] = nouns_head[i];
		for (i = 0; i < n_types; i++) {
			const struct crm_rec_type *t = types[i];

			all[n_all].noun = t->noun;
			all[n_all++].summary = t->summary ? _(t->summary) : t->plural;
		}
		for (i = 0; i < N(nouns_tail); i++)
			all[n_all++] = nouns_tail[i];
	}
	*n = n_all;
	return all;
}
