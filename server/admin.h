/*
 * admin: `crmd create-admin`, the first administrator. Runs as the owner
 * role (db_owner), so it works on an empty installation; the new user is
 * audited like any other.
 */
#ifndef CRM_ADMIN_H
#define CRM_ADMIN_H

#include "config.h"

/* Reads the password from stdin (prompting twice, without echo, on a
 * terminal) and creates USERNAME with role admin. */
bool crm_create_admin(const crm_config *cfg, const char *username, crm_err *err) CRM_MUSTCHECK;

#endif
