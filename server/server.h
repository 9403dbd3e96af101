/*
 * server: `crmd serve`: start-up checks, listeners, I/O threads, DB
 * workers, signals (SIGTERM/SIGINT drain and exit 0, SIGHUP reloads TLS
 * and the log level), and an orderly shutdown.
 */
#ifndef CRM_SERVER_H
#define CRM_SERVER_H

#include "config.h"

/* Runs until shut down; returns the process exit code. */
int crm_serve(const char *config_path, const crm_config *cfg);

#endif
