/*
 * cmd_watch: `crm watch add|remove TYPE/ID`, `crm watch list` (the records
 * the user follows: WatchAdd, WatchRemove, WatchList) and `crm watch
 * follow`, which subscribes (Subscribe) and prints the events the server
 * pushes until interrupted, resuming from the last event's position after
 * a lost connection (docs/events.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_record.h"

#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 30000

/* ---------------------------------------------------------------- add, remove, list */

static int watch_change(struct crm_cli *cli, int argc, char **argv, bool add) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__WatchAdd wa = CRM__WATCH_ADD__INIT;
	Crm__WatchRemove wr = CRM__WATCH_REMOVE__INIT;
	Crm__ServerFrame *reply = NULL;
	struct crm_cli_target t = {0};
	int rc;

	if ((rc = crm_cli_operands(cli, argc, argv, 1, _("one record as TYPE/ID"))) != 0)
		return rc;
	if (!crm_cli_record_target(cli, argv[crm_cli_optind()], &t))
		return CRM_EXIT_USAGE;
	wa.has_type = wa.has_id = wr.has_type = wr.has_id = true;
	wa.type = wr.type = t.type;
	wa.id = wr.id = t.id;
	req.request_case = add ? CRM__CLIENT_FRAME__REQUEST_WATCH_ADD
			       : CRM__CLIENT_FRAME__REQUEST_WATCH_REMOVE;
	if (add)
		req.watch_add = &wa;
	else
		req.watch_remove = &wr;
	rc = 0;
	if (crm_cli_request(cli, &req, CRM__RESPONSE__BODY_EMPTY, &reply, &rc) != NULL)
		crm_cli_done(cli, add ? _("watching %s/%" PRId64) : _("no longer watching %s/%" PRId64),
			     argv[crm_cli_optind()], t.id);
	crm_client_reply_free(reply);
	return rc;
}

int crm_cmd_watch_add(struct crm_cli *cli, int argc, char **argv) {
	return watch_change(cli, argc, argv, true);
}

int crm_cmd_watch_remove(struct crm_cli *cli, int argc, char **argv) {
	return watch_change(cli, argc, argv, false);
}

int crm_cmd_watch_list(struct crm_cli *cli, int argc, char **argv) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__WatchList wl = CRM__WATCH_LIST__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__WatchListReply *l;
	int rc;

	if ((rc = crm_cli_operands(cli, argc, argv, 0, "")) != 0)
		return rc;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_WATCH_LIST;
	req.watch_list = &wl;
	l = crm_cli_request(cli, &req, CRM__RESPONSE__BODY_WATCH_LIST, &reply, &rc);
	if (l != NULL) {
		crm_result *r = crm_rec_result(&crm__watch__descriptor);

		for (size_t i = 0; i < l->n_watches; i++)
			crm_rec_add_message(r, &l->watches[i]->base);
		rc = crm_cli_print(cli, r, false);
		crm_result_free(r);
	}
	crm_client_reply_free(reply);
	return rc;
}

/* ---------------------------------------------------------------- follow */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
	(void)sig;
	interrupted = 1;
}

struct follow {
	struct crm_cli *cli;
	bool have_pos;        /* an event (or the subscription) gave a position */
	uint64_t xid, seq;
	bool dropped;         /* the server stopped sending: subscribe again */
};

/* One line per event: JSON for scripts, else time, kind, TYPE/ID, version. */
static void print_event(struct follow *f, const Crm__RecordEvent *e) {
	char type[32], when[40] = "";
	time_t secs = (time_t)(e->changed_at / 1000000);
	struct tm tm;

	crm_cli_type_name(e->type, type, sizeof(type));
	if (f->cli->format == CRM_FORMAT_JSON) {
		printf("{\"kind\":\"%s\",\"type\":\"%s\",\"id\":%" PRId64, e->kind ? e->kind : "", type,
		       e->id);
		if (e->has_version)
			printf(",\"version\":%" PRId64, e->version);
		printf(",\"changed_at\":%" PRId64 ",\"position\":{\"xid\":%" PRIu64 ",\"seq\":%" PRIu64
		       "}}\n",
		       e->changed_at, e->position ? e->position->xid : 0,
		       e->position ? e->position->seq : 0);
	} else {
		if (localtime_r(&secs, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s  %-10s %s/%" PRId64, when, e->kind ? e->kind : "", type, e->id);
		if (e->has_version)
			printf(_("  version %" PRId64), e->version);
		printf("\n");
	}
	fflush(stdout);
}

static void on_event(crm_client *c, const Crm__Event *ev, void *userdata) {
	struct follow *f = userdata;

	(void)c;
	if (ev->kind_case == CRM__EVENT__KIND_RECORD && ev->record) {
		print_event(f, ev->record);
		if (ev->record->position) {
			f->have_pos = true;
			f->xid = ev->record->position->xid;
			f->seq = ev->record->position->seq;
		}
	} else if (ev->kind_case == CRM__EVENT__KIND_DROPPED) {
		fprintf(stderr, _("crm: events came faster than they were read; some were dropped: "
				  "subscribing again\n"));
		f->dropped = true;
	}
}

/* Subscribes from the last position (none the first time). A position
 * the server no longer holds: says that events were missed. */
static bool subscribe(struct follow *f, crm_err *err) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Subscribe sub = CRM__SUBSCRIBE__INIT;
	Crm__EventPosition pos = CRM__EVENT_POSITION__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__SubscribeReply *sr;
	bool ok;

	if (f->have_pos) {
		pos.has_xid = pos.has_seq = true;
		pos.xid = f->xid;
		pos.seq = f->seq;
		sub.after = &pos;
	}
	req.request_case = CRM__CLIENT_FRAME__REQUEST_SUBSCRIBE;
	req.subscribe = &sub;
	ok = crm_cli_call(f->cli, &req, &reply, err);
	sr = ok ? crm_cli_body(reply, CRM__RESPONSE__BODY_SUBSCRIBE, err) : NULL;
	if (sr != NULL) {
		if (sr->resync_required)
			fprintf(stderr, _("crm: some events were missed (too long away): reload what you "
					  "show\n"));
		if (sr->position) {
			f->have_pos = true;
			f->xid = sr->position->xid;
			f->seq = sr->position->seq;
		}
		f->dropped = false;
	}
	crm_client_reply_free(reply);
	return sr != NULL;
}

/* Waits for and handles what the server sends until interrupted, the
 * connection breaks (false), or events were dropped. */
static bool pump(struct follow *f, crm_err *err) {
	crm_client *c = f->cli->client;

	while (!interrupted && !f->dropped) {
		struct pollfd p = {.fd = crm_client_fd(c), .events = crm_client_events(c)};
		int n = poll(&p, 1, 1000);

		if (n < 0 && errno == EINTR)
			continue;
		if (!crm_client_process(c, n > 0 ? p.revents : 0, err))
			return false;
	}
	return true;
}

/* After a lost connection: tries again with a growing pause until it is
 * back (true) or the user interrupts (false). */
static bool reconnect(struct follow *f, const crm_err *why) {
	char buf[256];
	int ms = RECONNECT_MIN_MS;
	crm_err err;

	fprintf(stderr, _("crm: connection lost (%s); reconnecting\n"),
		crm_err_text(why, buf, sizeof(buf)));
	while (!interrupted) {
		usleep((useconds_t)ms * 1000);
		crm_err_clear(&err);
		if (interrupted)
			break;
		if (crm_client_reconnect(f->cli->client, &err) && subscribe(f, &err))
			return true;
		ms = ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : ms * 2;
	}
	return false;
}

int crm_cmd_watch_follow(struct crm_cli *cli, int argc, char **argv) {
	struct follow f = {.cli = cli};
	struct sigaction sa, old_int, old_term;
	crm_err err;
	int rc;

	if ((rc = crm_cli_operands(cli, argc, argv, 0, "")) != 0)
		return rc;
	crm_err_clear(&err);
	if (!crm_cli_connect(cli, &err) || !subscribe(&f, &err))
		return crm_cli_fail(cli, &err);
	crm_client_set_event_cb(cli->client, on_event, &f);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt; /* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (cli->format != CRM_FORMAT_JSON)
		fprintf(stderr, _("crm: following your watched records, tasks and reminders; Ctrl+C "
				  "stops\n"));
	while (!interrupted) {
		crm_err_clear(&err);
		if (pump(&f, &err)) {
			if (f.dropped && !subscribe(&f, &err) && !reconnect(&f, &err))
				break;
			continue;
		}
		if (!reconnect(&f, &err))
			break;
	}
	crm_client_set_event_cb(cli->client, NULL, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return 0;
}
