-- 0009_reporting: a read-only reporting schema for DBAs and BI tools
-- (issue 11, docs/reporting.md).
--
-- The schema `reporting` holds one view per record type that has a table,
-- generated from crm.record_types by crm.refresh_reporting() in
-- sql/modules/95_reporting.sql. The views run as their owner (crm_owner),
-- so they see every live row whatever the per-user scopes; the role
-- crm_report may read them and nothing else (docs/security.md).
--
-- crm_report is a group role (NOLOGIN): the DBA creates it, like crm_auth
-- and crm_backup (crm_owner may not create roles), and grants it to the
-- login roles of reporting users and BI tools.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'crm_report') THEN
		RAISE EXCEPTION 'role crm_report does not exist: create the reporting role first: '
			'CREATE ROLE crm_report NOLOGIN NOSUPERUSER NOBYPASSRLS'
			USING HINT = 'crm_report may read the views of schema reporting and nothing else; '
				'grant it to reporting logins. See sql/README.md and docs/reporting.md. '
				'Then run crmd migrate again.';
	END IF;
END
$$;

CREATE SCHEMA reporting AUTHORIZATION crm_owner;
COMMENT ON SCHEMA reporting IS
	'One view per record type (live rows only, names and pick-list labels resolved), for DBAs and '
	'BI tools; readable by members of crm_report (docs/reporting.md). Views only ever gain columns.';

REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
GRANT USAGE ON SCHEMA reporting TO crm_report;
