-- Up Migration
-- Description: Evidence on competency level changes: an encrypted note, a URL, the cycle or plan it came from, who recorded it
-- Date: 2026-12-04
--
-- One evidence row may accompany one entry of user_competency_history (the
-- change it supports). Its note is private text, encrypted by the
-- application like feedback comments and progress notes (ikenei.crypto:
-- AES-256-GCM bound to this table, column and row id, which is why the
-- application makes the row's id); the database keeps only the ciphertext
-- and its key id. `ikenei keys rotate` re-encrypts it with the others.
--
-- Evidence goes with its history entry: erasing the person deletes their
-- levels, their history and so their evidence; a deleted cycle or plan only
-- unlinks it, and a deleted recorder leaves it unsigned.

ALTER TABLE user_competency_history
    ADD CONSTRAINT user_competency_history_organization_id_id_key UNIQUE (organization_id, id);

CREATE TABLE competency_evidence (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL,
    history_id UUID NOT NULL,
    note_ciphertext BYTEA,
    note_key_id TEXT,
    url TEXT,
    cycle_id UUID,
    plan_id UUID,
    recorded_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Version byte 1, a 12-byte nonce, the text and a 16-byte tag.
    CONSTRAINT competency_evidence_note_ciphertext_check
        CHECK (octet_length(note_ciphertext) BETWEEN 29 AND 8000 AND get_byte(note_ciphertext, 0) = 1),
    CONSTRAINT competency_evidence_note_key_id_check CHECK ((note_ciphertext IS NULL) = (note_key_id IS NULL)),
    CONSTRAINT competency_evidence_url_check CHECK (url ~ '^https?://[^[:space:]]+$' AND length(url) <= 2000),
    CONSTRAINT competency_evidence_content_check
        CHECK (note_ciphertext IS NOT NULL OR url IS NOT NULL OR cycle_id IS NOT NULL OR plan_id IS NOT NULL),
    CONSTRAINT competency_evidence_history_id_key UNIQUE (history_id),
    CONSTRAINT competency_evidence_history_id_fkey FOREIGN KEY (organization_id, history_id)
        REFERENCES user_competency_history (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT competency_evidence_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE SET NULL (cycle_id),
    CONSTRAINT competency_evidence_plan_id_fkey FOREIGN KEY (organization_id, plan_id)
        REFERENCES learning_plans (organization_id, id) ON DELETE SET NULL (plan_id),
    CONSTRAINT competency_evidence_recorded_by_fkey FOREIGN KEY (recorded_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT competency_evidence_note_key_id_fkey FOREIGN KEY (note_key_id)
        REFERENCES encryption_keys (key_id) ON DELETE RESTRICT
);

CREATE INDEX idx_competency_evidence_note_key ON competency_evidence (note_key_id) WHERE note_key_id IS NOT NULL;
CREATE INDEX idx_competency_evidence_cycle ON competency_evidence (cycle_id) WHERE cycle_id IS NOT NULL;
CREATE INDEX idx_competency_evidence_plan ON competency_evidence (plan_id) WHERE plan_id IS NOT NULL;

CREATE TRIGGER competency_evidence_audit AFTER INSERT OR UPDATE OR DELETE ON competency_evidence
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();

ALTER TABLE competency_evidence ENABLE ROW LEVEL SECURITY;

CREATE POLICY competency_evidence_current ON competency_evidence
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());
