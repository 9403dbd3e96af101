/*
 * client_net: the address in --server and the TCP connection under TLS.
 * Connecting is blocking with a deadline (non-blocking connect + poll), so
 * an unreachable host costs at most the connect timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"
#include "i18n.h"

int64_t crm_client_mono_us(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool port_valid(const char *port) {
	char *end;
	long v;

	if (port[0] < '0' || port[0] > '9')
		return false;
	errno = 0;
	v = strtol(port, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

static bool usage_error(const char *server, const char *why, crm_err *err) {
	return crm_err_set(err, CRM_INVALID_ARGUMENT, "server",
			   _("bad server address \"%s\": %s; expected HOST:PORT or [IPv6]:PORT"), server,
			   why);
}

bool crm_client_net_split(const char *server, char **host, char **port, crm_err *err) {
	const char *colon, *hend, *hstart = server;

	if (server == NULL || server[0] == '\0')
		return crm_err_set(err, CRM_INVALID_ARGUMENT, "server",
				   _("no server given; expected HOST:PORT or [IPv6]:PORT"));
	if (server[0] == '[') {
		hstart = server + 1;
		hend = strchr(hstart, ']');
		if (hend == NULL || hend[1] != ':')
			return usage_error(server, _("an IPv6 address in [ ] must be followed by :PORT"),
					   err);
		colon = hend + 1;
	} else {
		colon = strrchr(server, ':');
		if (colon == NULL)
			return usage_error(server, _("the port is missing (crmd listens on 7443 by default)"),
					   err);
		hend = colon;
		if (memchr(server, ':', (size_t)(colon - server)) != NULL)
			return usage_error(server, _("write an IPv6 address in brackets"), err);
	}
	if (hend == hstart)
		return usage_error(server, _("the host is empty"), err);
	if (!port_valid(colon + 1))
		return usage_error(server, _("the port must be a number from 1 to 65535"), err);
	*host = strndup(hstart, (size_t)(hend - hstart));
	*port = strdup(colon + 1);
	if (*host == NULL || *port == NULL)
		return crm_err_set(err, CRM_INTERNAL, NULL, _("out of memory"));
	return true;
}

bool crm_client_net_is_ip(const char *host) {
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

bool crm_client_net_wait(int fd, short events, int64_t deadline_us) {
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline_us - crm_client_mono_us();
		if (left <= 0)
			return false;
		rc = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return true; /* let the next I/O call report it */
	}
}

/* One address: a non-blocking connect, finished within the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline_us) {
	int fd, soerr = 0, one = 1;
	socklen_t len = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		if (!crm_client_net_wait(fd, POLLOUT, deadline_us)) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* requests are small and latency matters more than packet count */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

static bool connect_error(const crm_client *c, int e, crm_err *err) {
	switch (e) {
	case ECONNREFUSED:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("cannot connect to %s: connection refused; is crmd running and "
				   "listening on that address and port?"),
				   c->server);
	case ETIMEDOUT:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("cannot connect to %s: timed out after %d ms; check the address, "
				   "the port and any firewall in between"),
				   c->server, c->opt.connect_timeout_ms);
	case ENETUNREACH:
	case EHOSTUNREACH:
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("cannot connect to %s: %s; check the address and this machine's "
				   "network"),
				   c->server, strerror(e));
	default:
		return crm_err_set(err, CRM_UNAVAILABLE, "server", _("cannot connect to %s: %s"),
				   c->server, strerror(e));
	}
}

bool crm_client_net_connect(crm_client *c, int64_t deadline_us, crm_err *err) {
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	int rc, last = ECONNREFUSED;

	rc = getaddrinfo(c->host, c->port, &hints, &res);
	if (rc != 0)
		return crm_err_set(err, CRM_UNAVAILABLE, "server",
				   _("cannot resolve \"%s\": %s; check the host name in the server "
				   "address"),
				   c->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = connect_one(ai, deadline_us);
		if (c->fd >= 0)
			break;
		last = errno;
		if (last == ETIMEDOUT)
			break; /* the deadline covers all addresses together */
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return connect_error(c, last, err);
	return true;
}
