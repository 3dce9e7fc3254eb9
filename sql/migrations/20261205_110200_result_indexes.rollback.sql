-- Down Migration
-- Description: The seed's indexes of answers, ratings, invitations and events again

DROP INDEX idx_analytics_events_organization_time;
CREATE INDEX idx_analytics_events_organization_time ON analytics_events (organization_id, occurred_at);

DROP INDEX idx_feedback_invitations_cycle_status;
CREATE INDEX idx_feedback_invitations_cycle_status ON feedback_invitations (cycle_id, status);

DROP INDEX idx_feedback_ratings_target_cycle;
CREATE INDEX idx_feedback_ratings_target_cycle ON feedback_ratings (target_user_id, cycle_id, competency_id);

DROP INDEX idx_feedback_responses_target_cycle;
CREATE INDEX idx_feedback_responses_user ON feedback_responses (target_user_id);
CREATE INDEX idx_feedback_responses_submission ON feedback_responses (submission_id);
CREATE INDEX idx_feedback_responses_question ON feedback_responses (question_id);
