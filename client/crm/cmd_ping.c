/*
 * cmd_ping: `crm ping` and `crm version`, the commands about the server
 * itself rather than about records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "crm_wire.h"

#define PING_COUNT_MAX 100000

static int64_t mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct ping_run {
	bool deep;
	long count;
	int64_t *rtt_us;
	uint32_t schema_version;
};

static int ping_args(struct crm_cli *cli, int argc, char **argv, struct ping_run *p) {
	static const struct option longopts[] = {{"deep", no_argument, NULL, 'd'},
						 {"count", required_argument, NULL, 'c'},
						 {NULL, 0, NULL, 0}};
	char *arg, *end;
	int c;

	p->count = 1;
	while ((c = crm_cli_getopt(cli, argc, argv, "c:", longopts, &arg)) != -1) {
		if (c == 'd') {
			p->deep = true;
		} else if (c == 'c') {
			p->count = strtol(arg, &end, 10);
			if (end == arg || *end != '\0' || p->count < 1 || p->count > PING_COUNT_MAX)
				return crm_cli_usage(cli, _("--count must be a number from 1 to %d"),
						     PING_COUNT_MAX);
		} else {
			return CRM_EXIT_USAGE;
		}
	}
	if (crm_cli_optind() < argc)
		return crm_cli_usage(cli, _("unexpected argument '%s'"), argv[crm_cli_optind()]);
	return 0;
}

/* One ping; its round trip in microseconds goes to *rtt_us. */
static bool ping_once(struct crm_cli *cli, struct ping_run *p, int64_t *rtt_us, crm_err *err) {
	Crm__ClientFrame req = CRM__CLIENT_FRAME__INIT;
	Crm__Ping ping = CRM__PING__INIT;
	Crm__ServerFrame *reply = NULL;
	const Crm__Response *r;
	int64_t t0;
	bool ok;

	ping.has_deep = true;
	ping.deep = p->deep;
	req.request_case = CRM__CLIENT_FRAME__REQUEST_PING;
	req.ping = &ping;
	t0 = mono_us();
	ok = crm_client_call(cli->client, &req, &reply, err);
	*rtt_us = mono_us() - t0;
	if (ok) {
		r = reply->response;
		if (r->body_case != CRM__RESPONSE__BODY_PING || r->ping == NULL)
			ok = crm_err_set(err, CRM_INTERNAL, NULL, _("the server's ping reply is empty"));
		else if (r->ping->has_schema_version)
			p->schema_version = r->ping->schema_version;
	}
	crm_client_reply_free(reply);
	return ok;
}

static void add_version(crm_result *r, uint32_t major, uint32_t minor) {
	char v[32];

	snprintf(v, sizeof(v), "%u.%u", major, minor);
	crm_result_add_str(r, v);
}

/*
 * Scripts get one row per ping, always the same columns, times as plain
 * numbers. People get the one ping of a plain `crm ping` as key/value
 * lines, without the seq, times with their unit.
 */
static crm_result *ping_rows(struct crm_cli *cli, const struct ping_run *p, bool people) {
	static const char *const cols[] = {"seq", "server_version", "protocol", "rtt_ms",
					   "schema_version"};
	static const char *const people_cols[] = {"server_version", "protocol", "rtt",
						  "schema_version"};
	const crm_client_server_info *info = crm_client_server(cli->client);
	crm_result *r = people ? crm_result_new(p->deep ? 4 : 3, people_cols)
			       : crm_result_new(p->deep ? 5 : 4, cols);
	long i;

	for (i = 0; i < p->count; i++) {
		crm_result_add_row(r);
		if (!people)
			crm_result_add_int(r, i + 1);
		crm_result_add_str(r, info->server_version);
		add_version(r, info->protocol_major, info->protocol_minor);
		crm_result_add_decimal_unit(r, p->rtt_us[i], 3, "ms");
		if (p->deep)
			crm_result_add_int(r, p->schema_version);
	}
	return r;
}

/* People get the per-ping times, then a summary. */
static int ping_table(struct crm_cli *cli, const struct ping_run *p) {
	static const char *const seq_cols[] = {"seq", "rtt"};
	static const char *const sum_cols[] = {"server_version", "protocol", "count", "rtt_min",
					       "rtt_avg", "rtt_max", "schema_version"};
	const crm_client_server_info *info = crm_client_server(cli->client);
	int64_t min = p->rtt_us[0], max = p->rtt_us[0], sum = 0;
	crm_result *seq = crm_result_new(2, seq_cols), *r = crm_result_new(p->deep ? 7 : 6, sum_cols);
	int rc;
	long i;

	for (i = 0; i < p->count; i++) {
		min = p->rtt_us[i] < min ? p->rtt_us[i] : min;
		max = p->rtt_us[i] > max ? p->rtt_us[i] : max;
		sum += p->rtt_us[i];
		crm_result_add_row(seq);
		crm_result_add_int(seq, i + 1);
		crm_result_add_decimal_unit(seq, p->rtt_us[i], 3, "ms");
	}
	crm_result_add_row(r);
	crm_result_add_str(r, info->server_version);
	add_version(r, info->protocol_major, info->protocol_minor);
	crm_result_add_int(r, p->count);
	crm_result_add_decimal_unit(r, min, 3, "ms");
	crm_result_add_decimal_unit(r, sum / p->count, 3, "ms");
	crm_result_add_decimal_unit(r, max, 3, "ms");
	if (p->deep)
		crm_result_add_int(r, p->schema_version);
	rc = crm_cli_print(cli, seq, false);
	if (rc == 0 && putchar('\n') != EOF)
		rc = crm_cli_print(cli, r, true);
	crm_result_free(seq);
	crm_result_free(r);
	return rc;
}

static int ping_print(struct crm_cli *cli, const struct ping_run *p) {
	crm_result *r;
	int rc;

	if (cli->format == CRM_FORMAT_TABLE && p->count > 1)
		return ping_table(cli, p);
	r = ping_rows(cli, p, cli->format == CRM_FORMAT_TABLE);
	rc = crm_cli_print(cli, r, cli->format == CRM_FORMAT_TABLE);
	crm_result_free(r);
	return rc;
}

int crm_cmd_ping(struct crm_cli *cli, int argc, char **argv) {
	struct ping_run p = {0};
	crm_err err;
	int rc;
	long i;

	crm_err_clear(&err);
	rc = ping_args(cli, argc, argv, &p);
	if (rc != 0)
		return rc;
	cli->no_session = !p.deep; /* a plain ping works, and must, without one */
	p.rtt_us = calloc((size_t)p.count, sizeof(int64_t));
	if (p.rtt_us == NULL)
		return CRM_EXIT_FAILURE;
	if (!crm_cli_connect(cli, &err)) {
		free(p.rtt_us);
		return crm_cli_fail(cli, &err);
	}
	for (i = 0; i < p.count; i++) {
		if (!ping_once(cli, &p, &p.rtt_us[i], &err)) {
			free(p.rtt_us);
			return crm_cli_fail(cli, &err);
		}
	}
	rc = ping_print(cli, &p);
	free(p.rtt_us);
	return rc;
}

int crm_cmd_version(struct crm_cli *cli, int argc, char **argv) {
	static const char *const cols[] = {"client_version", "client_protocol", "server_version",
					   "server_protocol"};
	const crm_client_server_info *info;
	crm_result *r;
	crm_err err;
	int rc;

	crm_err_clear(&err);
	rc = crm_cli_operands(cli, argc, argv, 0, NULL);
	if (rc != 0)
		return rc;
	if (!crm_cli_connect(cli, &err))
		return crm_cli_fail(cli, &err);
	info = crm_client_server(cli->client);
	r = crm_result_new(4, cols);
	crm_result_add_row(r);
	crm_result_add_str(r, CRM_VERSION);
	add_version(r, CRM_PROTO_MAJOR, CRM_PROTO_MINOR);
	crm_result_add_str(r, info->server_version);
	add_version(r, info->protocol_major, info->protocol_minor);
	rc = crm_cli_print(cli, r, true);
	crm_result_free(r);
	return rc;
}
