-- Up Migration
-- Description: The 360-process tables follow the rules of the others: a retired key encrypts no evidence note, free text is bounded
-- Date: 2026-12-04
-- depends: 20261204_150000_rater_nominations 20261204_150100_notifications 20261204_152000_competency_evidence 20261204_153000_plan_templates_and_review
--
-- 20261204_110000 guards every key-id column of field encryption with
-- refuse_retired_key(), and 20261204_110300 bounds every text and JSON column
-- of unbounded type; the tables of the 360 process came later (band 15xxxx),
-- so this migration depends on them and applies after them. Same names, same
-- bounds as the README's table: 10,000 characters for comments, reasons,
-- descriptions and errors, 2,048 for URLs.

CREATE TRIGGER competency_evidence_note_key_not_retired
    BEFORE INSERT OR UPDATE OF note_key_id ON competency_evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('note_key_id');

ALTER TABLE competency_evidence ADD CONSTRAINT competency_evidence_url_length_check
    CHECK (char_length(url) <= 2048);

ALTER TABLE feedback_nominations ADD CONSTRAINT feedback_nominations_decision_reason_length_check
    CHECK (char_length(decision_reason) <= 10000);

ALTER TABLE learning_plan_reviews ADD CONSTRAINT learning_plan_reviews_comment_length_check
    CHECK (char_length(comment) <= 10000);

ALTER TABLE learning_plan_template_objectives ADD CONSTRAINT learning_plan_template_objectives_description_length_check
    CHECK (char_length(description) <= 10000);

ALTER TABLE learning_plan_templates ADD CONSTRAINT learning_plan_templates_description_length_check
    CHECK (char_length(description) <= 10000);

ALTER TABLE notifications ADD CONSTRAINT notifications_last_error_length_check
    CHECK (char_length(last_error) <= 10000);
