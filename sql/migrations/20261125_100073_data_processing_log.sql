-- Up Migration
-- Description: data_processing_log: every export, erasure and retention run, append-only
-- Date: 2026-11-25
--
-- The record of processing a person's data as a whole (GDPR exports and
-- erasures) and of each retention run. subject_user_id has no foreign key:
-- the subject may be erased. subject_reference identifies the subject once
-- the id means nothing any more: a salted hash (64 hex digits, see
-- ikenei.repositories.privacy.subject_reference), never the email; a
-- retention run has no subject. details holds counts, never values.
-- Append-only like audit_log (refuse_log_change).

CREATE TABLE data_processing_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation VARCHAR(20) NOT NULL,
    subject_user_id UUID,
    subject_reference VARCHAR(64),
    actor VARCHAR(200) NOT NULL,
    details JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT data_processing_log_operation_check CHECK (operation IN ('export', 'erasure', 'retention')),
    CONSTRAINT data_processing_log_subject_reference_check CHECK (
        CASE WHEN operation = 'retention' THEN subject_reference IS NULL AND subject_user_id IS NULL
             ELSE subject_reference IS NOT NULL AND subject_reference ~ '^[0-9a-f]{64}$' END),
    CONSTRAINT data_processing_log_actor_check CHECK (btrim(actor) <> ''),
    CONSTRAINT data_processing_log_details_check CHECK (jsonb_typeof(details) = 'object')
);

CREATE INDEX idx_data_processing_log_operation_time ON data_processing_log (operation, occurred_at);
CREATE INDEX idx_data_processing_log_subject ON data_processing_log (subject_user_id)
    WHERE subject_user_id IS NOT NULL;

CREATE TRIGGER data_processing_log_append_only BEFORE UPDATE OR DELETE ON data_processing_log
    FOR EACH ROW EXECUTE FUNCTION refuse_log_change();
CREATE TRIGGER data_processing_log_no_truncate BEFORE TRUNCATE ON data_processing_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_change();
