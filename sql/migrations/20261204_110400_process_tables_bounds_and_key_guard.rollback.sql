-- Down Migration
-- Description: The 360-process tables without the retired-key guard and the free-text bounds

ALTER TABLE notifications DROP CONSTRAINT notifications_last_error_length_check;

ALTER TABLE learning_plan_templates DROP CONSTRAINT learning_plan_templates_description_length_check;

ALTER TABLE learning_plan_template_objectives DROP CONSTRAINT learning_plan_template_objectives_description_length_check;

ALTER TABLE learning_plan_reviews DROP CONSTRAINT learning_plan_reviews_comment_length_check;

ALTER TABLE feedback_nominations DROP CONSTRAINT feedback_nominations_decision_reason_length_check;

ALTER TABLE competency_evidence DROP CONSTRAINT competency_evidence_url_length_check;

DROP TRIGGER competency_evidence_note_key_not_retired ON competency_evidence;
