-- 0001_init: the application schema and the first tables (notes, which
-- exercise the write path, and idempotency keys).
--
-- Runs as the owner role (crm_owner, owner of the database) inside one
-- transaction. Grants go to the application role crm_app by name; the DBA
-- creates it before the first `crmd migrate` (see deploy/ and sql/README.md).
-- Never edit this file once it has landed: add a new migration instead.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'crm_app') THEN
		RAISE EXCEPTION 'role crm_app does not exist: create the application role first: '
			'CREATE ROLE crm_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ''...'''
			USING HINT = 'crmd serves as crm_app; it must own nothing and may not '
				'bypass row-level security. Then run crmd migrate again.';
	END IF;
END
$$;

-- Nobody but the owner creates objects in public (already PostgreSQL 15's
-- default; stated so that an upgraded cluster gets it too).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS
	'Application data of crmd. Written only through crmd (role crm_app); '
	'for reporting, read the reporting schema instead of these tables.';

GRANT USAGE ON SCHEMA crm, crm_meta TO crm_app;
GRANT SELECT ON crm_meta.schema_migrations TO crm_app;

-- ------------------------------------------------------------------ notes

CREATE TABLE crm.notes (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	body text NOT NULL
		CONSTRAINT notes_body_length CHECK (octet_length(body) BETWEEN 1 AND 4096),
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.notes IS
	'Free-text notes. A small record type that exercises the whole write path '
	'(transaction, idempotency, validation); later migrations attach notes to '
	'accounts, contacts and deals.';
COMMENT ON COLUMN crm.notes.id IS 'Identity of the note; the note_id clients see.';
COMMENT ON COLUMN crm.notes.body IS
	'The note''s text: 1 to 4096 bytes of UTF-8, no control characters other '
	'than tab and newline (checked by crmd before it gets here).';
COMMENT ON COLUMN crm.notes.created_at IS 'When the note was created (transaction time).';

GRANT SELECT, INSERT ON crm.notes TO crm_app;

-- ------------------------------------------------------- idempotency keys

CREATE TABLE crm.idempotency_keys (
	principal text NOT NULL,
	key text NOT NULL,
	request_type text NOT NULL,
	request_hash bytea NOT NULL,
	response bytea,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (principal, key)
);
COMMENT ON TABLE crm.idempotency_keys IS
	'Results of mutating requests that carried an idempotency key, so that a '
	'client retrying after a lost reply gets the first result instead of a '
	'second effect. Written in the same transaction as the effect; rows older '
	'than 24 hours are purged by crmd.';
COMMENT ON COLUMN crm.idempotency_keys.principal IS
	'Who sent the request (the authenticated user, or the connection''s '
	'principal before sessions exist); keys are unique per principal.';
COMMENT ON COLUMN crm.idempotency_keys.key IS
	'The idempotency key chosen by the client (1 to 64 bytes).';
COMMENT ON COLUMN crm.idempotency_keys.request_type IS
	'The request type the key was first used with, e.g. note_create; reusing '
	'a key for another request is refused.';
COMMENT ON COLUMN crm.idempotency_keys.request_hash IS
	'Hash of the first request''s content; a retry with the same key but '
	'different content is refused rather than replayed.';
COMMENT ON COLUMN crm.idempotency_keys.response IS
	'The encoded response replayed to a retry; NULL while not yet known.';
COMMENT ON COLUMN crm.idempotency_keys.created_at IS
	'When the key was first used; drives the 24-hour purge.';

CREATE INDEX idempotency_keys_created_at_idx ON crm.idempotency_keys (created_at);
COMMENT ON INDEX crm.idempotency_keys_created_at_idx IS
	'Serves the purge of keys older than 24 hours.';

GRANT SELECT, INSERT, UPDATE, DELETE ON crm.idempotency_keys TO crm_app;
