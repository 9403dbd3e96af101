-- 0032_participants: an interaction's participants and links (issue 13:
-- "participants (users and contacts); links to any records (accounts and
-- contacts now; deals and tickets later link the same way)"). An
-- interaction keeps its one account_id and contact_id (the first contact);
-- further contacts, the users who took part and the records it is about
-- are rows of crm.record_links. The functions, triggers and policies are
-- modules/82_history.sql's; the timeline reads the links through
-- record_links_target_idx (modules/84_timeline.sql; docs/data.md,
-- "Participants and links").
--
-- A link joins a record (record_id, record_type: an interaction now, a
-- task later) to a target: a business record (target_id, target_type) or
-- a user (target_user_id, target_type 'user'). kind says how: a
-- participant (a contact or user who took part) or related (a record the
-- interaction is about). record_type, target_type and at are derived by
-- a trigger from the rows themselves, never taken from the writer.

CREATE TABLE crm.record_links (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_id bigint NOT NULL REFERENCES crm.records ON DELETE CASCADE,
	record_type text NOT NULL,
	kind text NOT NULL CONSTRAINT record_links_kind_check CHECK (kind IN ('participant', 'related')),
	target_type text NOT NULL,
	target_id bigint REFERENCES crm.records ON DELETE CASCADE,
	target_user_id bigint REFERENCES crm.users ON DELETE CASCADE,
	at timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by bigint REFERENCES crm.users,
	CONSTRAINT record_links_target_one CHECK ((target_type = 'user') = (target_user_id IS NOT NULL)
		AND (target_id IS NULL) = (target_user_id IS NOT NULL)),
	CONSTRAINT record_links_target_self CHECK (target_id IS DISTINCT FROM record_id),
	CONSTRAINT record_links_kind_user CHECK (target_user_id IS NULL OR kind = 'participant')
);
COMMENT ON TABLE crm.record_links IS 'Participants and links of interactions: a further contact, a user who took part, or a record the interaction is about (docs/data.md, "Participants and links"). Visible when both ends are; written by whoever may edit the interaction, to a target they can read.';
COMMENT ON COLUMN crm.record_links.id IS 'The link''s id.';
COMMENT ON COLUMN crm.record_links.record_id IS 'The interaction (crm.records) the link belongs to.';
COMMENT ON COLUMN crm.record_links.record_type IS 'Its type (interaction), copied from crm.records by the trigger record_link_fill.';
COMMENT ON COLUMN crm.record_links.kind IS 'participant (a contact or user who took part) or related (a record it is about).';
COMMENT ON COLUMN crm.record_links.target_type IS 'The target''s record type (contact, account, ...) from crm.records, or user.';
COMMENT ON COLUMN crm.record_links.target_id IS 'The target record, when it is a record.';
COMMENT ON COLUMN crm.record_links.target_user_id IS 'The target user, when it is a user (a participant).';
COMMENT ON COLUMN crm.record_links.at IS 'The interaction''s occurred_at, kept in step by triggers: the timeline of the target reads links by it.';
COMMENT ON COLUMN crm.record_links.created_at IS 'When the link was made.';
COMMENT ON COLUMN crm.record_links.created_by IS 'Who made the link.';
COMMENT ON CONSTRAINT record_links_target_one ON crm.record_links IS 'A link names a record or a user, never both.';
COMMENT ON CONSTRAINT record_links_target_self ON crm.record_links IS 'A record is not linked to itself.';
COMMENT ON CONSTRAINT record_links_kind_user ON crm.record_links IS 'A user is linked only as a participant.';

CREATE UNIQUE INDEX record_links_pair_key ON crm.record_links (record_id, target_type, coalesce(target_id, target_user_id));
COMMENT ON INDEX crm.record_links_pair_key IS 'One link between a record and a target, whatever its kind (the timeline shows the record once).';
CREATE INDEX record_links_target_idx ON crm.record_links (target_type, target_id, at DESC, record_id DESC)
	WHERE target_id IS NOT NULL;
COMMENT ON INDEX crm.record_links_target_idx IS 'A record''s timeline: the interactions linked to it, newest first; purges of the target.';
CREATE INDEX record_links_user_idx ON crm.record_links (target_user_id, record_id) WHERE target_user_id IS NOT NULL;
COMMENT ON INDEX crm.record_links_user_idx IS 'A user''s participations; deletion of the user.';

ALTER TABLE crm.record_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.record_links FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON crm.record_links TO crm_app;
GRANT UPDATE (at) ON crm.record_links TO crm_app;

-- Audited as changes of the interaction they belong to, as its tags and
-- custom values are (crm.audit_side: {"links": {...}} in the
-- interaction's audit rows).
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON crm.record_links
	FOR EACH ROW EXECUTE FUNCTION crm.audit_side('', 'record_id', 'links');
