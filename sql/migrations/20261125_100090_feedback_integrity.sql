-- Up Migration
-- Description: Submitted feedback is immutable, ratings obey the same rules as answers, cycles stamp their state times, history records when it was written
-- Date: 2026-11-25
--
-- - feedback_ratings gets the checks feedback_responses has (active cycle,
--   no invitation on an anonymous form), so a direct insert cannot bypass
--   them either.
-- - A submitted answer or rating cannot be edited. The only change allowed is
--   the foreign key's own ON DELETE SET NULL of invitation_id, and the answer
--   checks now run on INSERT only, so deleting an invitation after its cycle
--   closed still works.
-- - A cycle's activated_at / closed_at are stamped by the database when its
--   status moves, and CHECKs keep them consistent with the status.
-- - user_competency_history.recorded_at is the time of the change, not the
--   time of the assessment it records.

DROP TRIGGER feedback_responses_check ON feedback_responses;

CREATE TRIGGER feedback_responses_check BEFORE INSERT ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION check_feedback_response();

CREATE FUNCTION check_feedback_rating() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cycle_status TEXT;
    anonymous BOOLEAN;
BEGIN
    SELECT c.status, f.is_anonymous INTO cycle_status, anonymous
      FROM feedback_cycles c JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = NEW.cycle_id;
    IF cycle_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'feedback cycle % is %, not active: it takes no ratings', NEW.cycle_id, cycle_status
            USING ERRCODE = 'IK409', DETAIL = cycle_status, TABLE = 'feedback_cycles';
    END IF;
    IF anonymous AND NEW.invitation_id IS NOT NULL THEN
        RAISE EXCEPTION 'ratings on an anonymous form cannot name their invitation'
            USING ERRCODE = 'IK422', COLUMN = 'invitation_id', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_ratings_check BEFORE INSERT ON feedback_ratings
    FOR EACH ROW EXECUTE FUNCTION check_feedback_rating();

CREATE FUNCTION refuse_feedback_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.invitation_id IS NULL
       AND (to_jsonb(NEW) - 'invitation_id') = (to_jsonb(OLD) - 'invitation_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'submitted feedback cannot be changed (% %)', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'IK409', DETAIL = 'submitted', TABLE = TG_TABLE_NAME;
END
$$;

CREATE TRIGGER feedback_responses_immutable BEFORE UPDATE ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION refuse_feedback_edit();

CREATE TRIGGER feedback_ratings_immutable BEFORE UPDATE ON feedback_ratings
    FOR EACH ROW EXECUTE FUNCTION refuse_feedback_edit();

CREATE FUNCTION stamp_cycle_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'active' THEN
        NEW.activated_at := coalesce(NEW.activated_at, now());
    ELSIF NEW.status IN ('closed', 'cancelled') THEN
        NEW.closed_at := coalesce(NEW.closed_at, now());
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_cycles_stamp_status BEFORE INSERT OR UPDATE OF status ON feedback_cycles
    FOR EACH ROW EXECUTE FUNCTION stamp_cycle_status();

UPDATE feedback_cycles SET activated_at = coalesce(activated_at, created_at)
 WHERE status IN ('active', 'closed') AND activated_at IS NULL;

UPDATE feedback_cycles SET closed_at = coalesce(closed_at, updated_at)
 WHERE status IN ('closed', 'cancelled') AND closed_at IS NULL;

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_activated_at_check
    CHECK (status IN ('draft', 'cancelled') OR activated_at IS NOT NULL);

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_closed_at_check
    CHECK ((status IN ('closed', 'cancelled')) = (closed_at IS NOT NULL));

CREATE OR REPLACE FUNCTION record_user_competency_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_competency_history
        (organization_id, user_competency_id, user_id, competency_id,
         current_level, target_level, source, set_by, cycle_id, recorded_at)
    VALUES
        (NEW.organization_id, NEW.id, NEW.user_id, NEW.competency_id,
         NEW.current_level, NEW.target_level, NEW.source, NEW.set_by, NEW.cycle_id, now());
    RETURN NULL;
END
$$;
