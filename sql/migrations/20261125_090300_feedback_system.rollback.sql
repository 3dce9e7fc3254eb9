-- Down Migration
-- Description: Drop the 360-degree feedback system

DROP FUNCTION submit_feedback(UUID, BYTEA, JSONB);
DROP TABLE feedback_ratings;
DROP TABLE feedback_responses;
DROP FUNCTION check_feedback_response();
DROP TABLE feedback_invitations;
DROP TABLE feedback_questions;
DROP FUNCTION freeze_questions_of_used_forms();
ALTER TABLE user_competencies DROP CONSTRAINT user_competencies_cycle_id_fkey;
DROP TABLE feedback_cycles;
DROP TABLE feedback_forms;
