-- Up Migration
-- Description: data_access_log: who viewed which person's sensitive data (results, exports), append-only
-- Date: 2026-11-25
--
-- Reads leave no trace in the database by themselves, so the API logs them:
-- PrivacyRepository.log_access() when someone views a person's feedback
-- results or an export. `what` is a code (feedback_results, export, ...), never
-- free text, so no personal data slips into the log. No foreign keys: the log
-- outlives the people and organizations it names (an erased person's entries
-- go with the retention policy erased_person_leftovers). Append-only like
-- audit_log (refuse_log_change).

CREATE TABLE data_access_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor VARCHAR(200) NOT NULL,
    organization_id UUID,
    subject_user_id UUID,
    what VARCHAR(100) NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT data_access_log_actor_check CHECK (btrim(actor) <> ''),
    CONSTRAINT data_access_log_what_check CHECK (what ~ '^[a-z][a-z0-9_.]*$')
);

CREATE INDEX idx_data_access_log_subject ON data_access_log (subject_user_id, occurred_at)
    WHERE subject_user_id IS NOT NULL;
CREATE INDEX idx_data_access_log_occurred_at ON data_access_log (occurred_at);

CREATE TRIGGER data_access_log_append_only BEFORE UPDATE OR DELETE ON data_access_log
    FOR EACH ROW EXECUTE FUNCTION refuse_log_change();
CREATE TRIGGER data_access_log_no_truncate BEFORE TRUNCATE ON data_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_change();
