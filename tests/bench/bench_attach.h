/* bench_attach: crm-bench's attach workload (bench_attach.c). */
#ifndef CRM_BENCH_ATTACH_H
#define CRM_BENCH_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "crmclient.h"

struct bench_attach_result {
	double put_mib_s, get_mib_s;       /* through crmd */
	double pq_put_mib_s, pq_get_mib_s; /* straight through libpq (0 without a DSN) */
	int64_t put_us, get_us, pq_put_us, pq_get_us;
	long files;                        /* files downloaded through crmd */
	long errors;
	char first_error[320];
};

/* Uploads and downloads a file of `size` random bytes to account `account`
 * through c for duration_s seconds each, then (dsn not NULL) writes and
 * reads the same chunks straight through libpq as long. */
void bench_attach_run(crm_client *c, const char *dsn, int64_t account, size_t size, int duration_s,
		      struct bench_attach_result *res);

#endif
