-- Up Migration
-- Description: user_consents: consent per person and purpose, versioned, with its history
-- Date: 2026-11-25
--
-- One row per consent given: the purpose, the version of the wording agreed
-- to, when it was granted and (once) when it was withdrawn. At most one open
-- (not withdrawn) consent per person and purpose; granting a new version
-- closes the old one at the same instant, so the history has no gap and no
-- overlap. A recorded consent is evidence: only its withdrawal may change it.
--
-- The purposes are the CHECK of the domain consent_purpose, so every query
-- that names a purpose (grant, withdraw, has_consent) refuses an unknown one
-- with a check violation (ikenei.errors.InvalidData on field "purpose")
-- instead of silently finding nothing. Adding a purpose is a migration:
-- ALTER DOMAIN consent_purpose DROP CONSTRAINT purpose_check, then ADD it
-- with the longer list.

CREATE DOMAIN consent_purpose AS VARCHAR(50)
    CONSTRAINT purpose_check
    CHECK (VALUE IN ('feedback_processing', 'ai_recommendations', 'analytics', 'marketing_emails'));

CREATE TABLE user_consents (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    purpose consent_purpose NOT NULL,
    consent_version VARCHAR(50) NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    withdrawn_at TIMESTAMPTZ,
    CONSTRAINT user_consents_consent_version_check CHECK (btrim(consent_version) <> ''),
    CONSTRAINT user_consents_withdrawn_at_check CHECK (withdrawn_at >= granted_at),
    CONSTRAINT user_consents_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX user_consents_purpose_key ON user_consents (user_id, purpose) WHERE withdrawn_at IS NULL;
CREATE INDEX idx_user_consents_user ON user_consents (user_id, granted_at);

CREATE FUNCTION refuse_consent_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'withdrawn_at') = (to_jsonb(OLD) - 'withdrawn_at')
       AND (OLD.withdrawn_at IS NULL OR NEW.withdrawn_at = OLD.withdrawn_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a recorded consent cannot be changed, only withdrawn once (user_consents %)', OLD.id
        USING ERRCODE = 'IK409', TABLE = TG_TABLE_NAME,
              DETAIL = CASE WHEN OLD.withdrawn_at IS NULL THEN 'granted' ELSE 'withdrawn' END;
END
$$;

CREATE TRIGGER user_consents_immutable BEFORE UPDATE ON user_consents
    FOR EACH ROW EXECUTE FUNCTION refuse_consent_edit();
CREATE TRIGGER user_consents_audit AFTER INSERT OR UPDATE OR DELETE ON user_consents
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
