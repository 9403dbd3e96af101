/*
 * test_client_nonblocking: drives libcrmclient's non-blocking API from a
 * poll() loop against a live crmd, the way a GUI main loop would.
 *
 *  1. 100 pings queued at once (pipelined; beyond the server's
 *     max_inflight they wait in the client), each with its own payload;
 *     every reply must arrive, once, with its request's id and payload.
 *  2. A blocking call on the same connection still works afterwards.
 *  3. A frame above the server's max_frame is refused locally.
 *
 * Needs CRM_TEST_SERVER (HOST:PORT) and CRM_TEST_CA (PEM), which the
 * integration fixture sets; without them it prints "skipped" and exits 77
 * (ctest's SKIP_RETURN_CODE).
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crmclient.h"

#define N_PINGS 100
#define TEST_TIMEOUT_S 60

struct slot {
	uint64_t id;
	char payload[32];
	int replies;
	bool ok;
};

static int failures;

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(stderr, "test_client_nonblocking: " __VA_ARGS__); \
		fputc('\n', stderr);                                \
		failures++;                                         \
	} while (0)

static void on_reply(crm_client *c, Crm__ServerFrame *reply, const crm_err *err, void *userdata) {
	struct slot *s = userdata;
	const Crm__Response *r;

	s->replies++;
	if (err != NULL || reply == NULL) {
		FAIL("ping %s failed: %s [%s]", s->payload, err ? err->msg : "no reply",
		     err ? crm_status_name(err->code) : "?");
		goto done;
	}
	r = reply->response;
	if (r == NULL || r->id != s->id) {
		FAIL("ping %s: reply id %" PRIu64 ", request id %" PRIu64, s->payload,
		     r ? r->id : 0, s->id);
		goto done;
	}
	if (r->body_case != CRM__RESPONSE__BODY_PING || r->ping == NULL ||
	    r->ping->payload.len != strlen(s->payload) ||
	    memcmp(r->ping->payload.data, s->payload, r->ping->payload.len) != 0) {
		FAIL("ping %s: the reply does not echo the payload", s->payload);
		goto done;
	}
	s->ok = true;
done:
	crm_client_reply_free(reply);
}

static void on_event(crm_client *c, const Crm__Event *ev, void *userdata) {
	int *events = userdata;

	(*events)++;
}

static bool queue_pings(crm_client *c, struct slot *slots) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Ping ping = CRM__PING__INIT;
	crm_err err;
	int i;

	req.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	req.ping = &ping;
	ping.has_payload = true;
	for (i = 0; i < N_PINGS; i++) {
		crm_err_clear(&err);
		snprintf(slots[i].payload, sizeof(slots[i].payload), "ping-%d", i);
		ping.payload.data = (uint8_t *)slots[i].payload;
		ping.payload.len = strlen(slots[i].payload);
		if (!crm_client_send_async(c, &req, on_reply, &slots[i], &err)) {
			FAIL("send_async %d: %s", i, err.msg);
			return false;
		}
		slots[i].id = req.id;
		if (i > 0 && slots[i].id == slots[i - 1].id)
			FAIL("two requests got id %" PRIu64, req.id);
	}
	return true;
}

static bool all_answered(const struct slot *slots) {
	int i;

	for (i = 0; i < N_PINGS; i++)
		if (slots[i].replies == 0)
			return false;
	return true;
}

/* The loop a GUI would run: poll what the client asks for, then process. */
static bool run_loop(crm_client *c, const struct slot *slots) {
	time_t give_up = time(NULL) + TEST_TIMEOUT_S;
	struct pollfd pfd;
	crm_err err;
	int rc;

	while (!all_answered(slots)) {
		if (time(NULL) > give_up) {
			FAIL("timed out with %zu requests pending", crm_client_pending(c));
			return false;
		}
		pfd.fd = crm_client_fd(c);
		pfd.events = crm_client_events(c);
		pfd.revents = 0;
		rc = poll(&pfd, 1, 1000);
		if (rc < 0)
			continue;
		crm_err_clear(&err);
		if (!crm_client_process(c, pfd.revents, &err)) {
			FAIL("connection broke: %s", err.msg);
			return false;
		}
	}
	return true;
}

static void check_slots(const struct slot *slots) {
	int i;

	for (i = 0; i < N_PINGS; i++) {
		if (slots[i].replies != 1)
			FAIL("ping %d: %d replies", i, slots[i].replies);
		else if (!slots[i].ok)
			FAIL("ping %d: bad reply", i);
	}
}

static void check_blocking_call(crm_client *c) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Ping ping = CRM__PING__INIT;
	Crm__ServerFrame *reply = NULL;
	crm_err err;

	crm_err_clear(&err);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	req.ping = &ping;
	if (!crm_client_call(c, &req, &reply, &err))
		FAIL("blocking ping after the batch: %s", err.msg);
	else if (reply->response->id != req.id)
		FAIL("blocking ping: reply for id %" PRIu64, reply->response->id);
	crm_client_reply_free(reply);
}

static void check_frame_limit(crm_client *c) {
	uint32_t max = crm_client_server(c)->max_frame;
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Ping ping = CRM__PING__INIT;
	struct slot unused = {0};
	crm_err err;

	crm_err_clear(&err);
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	req.ping = &ping;
	ping.has_payload = true;
	ping.payload.len = (size_t)max + 1;
	ping.payload.data = calloc(1, ping.payload.len);
	if (ping.payload.data == NULL)
		return;
	if (crm_client_send_async(c, &req, on_reply, &unused, &err))
		FAIL("a %u-byte payload was queued; max_frame is %u", max + 1, max);
	else if (err.code != CRM_INVALID_ARGUMENT)
		FAIL("oversized frame: %s [%s], want INVALID_ARGUMENT", err.msg,
		     crm_status_name(err.code));
	free(ping.payload.data);
}

int main(void) {
	const char *server = getenv("CRM_TEST_SERVER"), *ca = getenv("CRM_TEST_CA");
	static struct slot slots[N_PINGS];
	crm_client_options o;
	crm_client *c;
	crm_err err;
	int events = 0;

	if (server == NULL || server[0] == '\0' || ca == NULL || ca[0] == '\0') {
		printf("skipped: CRM_TEST_SERVER and CRM_TEST_CA are not set\n");
		return 77;
	}
	crm_err_clear(&err);
	crm_client_options_init(&o);
	o.server = server;
	o.ca_file = ca;
	o.client_name = "test_client_nonblocking";
	o.event_cb = on_event;
	o.event_userdata = &events;
	c = crm_client_connect(&o, &err);
	if (c == NULL) {
		fprintf(stderr, "test_client_nonblocking: connect: %s [%s]\n", err.msg,
			crm_status_name(err.code));
		return 1;
	}
	if (queue_pings(c, slots) && run_loop(c, slots))
		check_slots(slots);
	if (crm_client_pending(c) != 0)
		FAIL("%zu requests still pending", crm_client_pending(c));
	check_blocking_call(c);
	check_frame_limit(c);
	printf("server %s, max_inflight %u: %d pipelined pings, %d events, %d failures\n",
	       crm_client_server(c)->server_version, crm_client_server(c)->max_inflight, N_PINGS,
	       events, failures);
	crm_client_free(c);
	return failures == 0 ? 0 : 1;
}
