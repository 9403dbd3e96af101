/*
 * commands: the one table of `crm` commands. A new command is a row here
 * plus its handler in cmd_<noun>.c; main.c does the rest (lookup, --help,
 * the command list in `crm --help`).
 */
#include "cli.h"

const struct crm_cli_noun crm_cli_nouns[] = {
	{"ping", "check that the server answers, and how fast"},
	{"version", "show the client's and the server's versions"},
	{"note", "short text notes (a simple record type)"},
};
const size_t crm_cli_n_nouns = sizeof(crm_cli_nouns) / sizeof(crm_cli_nouns[0]);

const struct crm_cli_command crm_cli_commands[] = {
	{"ping", NULL, crm_cmd_ping, "[--deep] [--count N]",
	 "check that the server answers, and how fast",
	 "Sends ping requests one after the other and prints the server's version,\n"
	 "the protocol version and the round-trip time of each in milliseconds.\n"
	 "\n"
	 "  --deep       go through a database worker too (proves the whole path)\n"
	 "               and print the database schema version\n"
	 "  --count N    send N pings (default 1); with N > 1 the table also shows\n"
	 "               the minimum, average and maximum round-trip time\n"},
	{"version", NULL, crm_cmd_version, "", "show the client's and the server's versions",
	 "Prints this crm's version and protocol, and those of the server.\n"
	 "('crm --version' prints the client's alone, without connecting.)\n"},
	{"note", "add", crm_cmd_note_add, "TEXT [--idempotency-key KEY]", "add a note",
	 "Stores TEXT (1 to 4096 bytes of UTF-8; - reads it from standard input)\n"
	 "as a new note and prints its id.\n"
	 "\n"
	 "  --idempotency-key KEY   the request's idempotency key (1-64 bytes).\n"
	 "                          Without one, a random key is used, so a retry\n"
	 "                          after a dropped connection cannot add the note\n"
	 "                          twice. Repeating a command with the same key\n"
	 "                          within 24 hours returns the first result.\n"},
	{"note", "show", crm_cmd_note_show, "ID", "show one note",
	 "Prints the note with this id.\n"},
};
const size_t crm_cli_n_commands = sizeof(crm_cli_commands) / sizeof(crm_cli_commands[0]);
