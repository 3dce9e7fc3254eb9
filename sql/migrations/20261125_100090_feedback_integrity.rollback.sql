-- Down Migration
-- Description: Back to mutable feedback rows, unchecked ratings, unstamped cycles and assessment-time history

CREATE OR REPLACE FUNCTION record_user_competency_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_competency_history
        (organization_id, user_competency_id, user_id, competency_id,
         current_level, target_level, source, set_by, cycle_id, recorded_at)
    VALUES
        (NEW.organization_id, NEW.id, NEW.user_id, NEW.competency_id,
         NEW.current_level, NEW.target_level, NEW.source, NEW.set_by, NEW.cycle_id, NEW.assessed_at);
    RETURN NULL;
END
$$;

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_closed_at_check;

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_activated_at_check;

DROP TRIGGER feedback_cycles_stamp_status ON feedback_cycles;

DROP FUNCTION stamp_cycle_status();

DROP TRIGGER feedback_ratings_immutable ON feedback_ratings;

DROP TRIGGER feedback_responses_immutable ON feedback_responses;

DROP FUNCTION refuse_feedback_edit();

DROP TRIGGER feedback_ratings_check ON feedback_ratings;

DROP FUNCTION check_feedback_rating();

DROP TRIGGER feedback_responses_check ON feedback_responses;

CREATE TRIGGER feedback_responses_check BEFORE INSERT OR UPDATE ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION check_feedback_response();
