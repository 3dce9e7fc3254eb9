-- Down Migration
-- Description: Remove rater nominations and their rules

DROP FUNCTION decide_feedback_nomination(UUID, BOOLEAN, UUID, TEXT, BYTEA, TIMESTAMPTZ);

DROP FUNCTION nominate_feedback_rater(UUID, UUID, TEXT, UUID, TEXT, TEXT, UUID);

DROP POLICY feedback_nominations_current ON feedback_nominations;

DROP POLICY feedback_nomination_rules_current ON feedback_nomination_rules;

DROP TABLE feedback_nominations;

DROP TABLE feedback_nomination_rules;

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_settings_nominations_by_check;
