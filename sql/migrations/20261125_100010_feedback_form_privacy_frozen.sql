-- Up Migration
-- Description: Freeze a feedback form's anonymity settings while an active or closed cycle uses it
-- Date: 2026-11-25
--
-- The answers of a cycle were given under the form's promise of anonymity:
-- turning is_anonymous on or off afterwards would either break that promise
-- (answers stored with their invitation would show as anonymous) or make
-- results claim a protection they never had, and a lower anonymity_threshold
-- would show groups that were hidden when people answered. Raising the
-- threshold only hides more and stays allowed.

CREATE FUNCTION freeze_privacy_of_used_forms() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cycle_status TEXT;
BEGIN
    SELECT c.status INTO cycle_status FROM feedback_cycles c
     WHERE c.form_id = NEW.id AND c.status IN ('active', 'closed')
     LIMIT 1;
    IF cycle_status IS NOT NULL THEN
        RAISE EXCEPTION 'the anonymity settings of form % cannot change: a % cycle uses it', NEW.id, cycle_status
            USING ERRCODE = 'IK409', DETAIL = cycle_status, TABLE = 'feedback_forms';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_forms_privacy_frozen_while_used
    BEFORE UPDATE OF is_anonymous, anonymity_threshold ON feedback_forms
    FOR EACH ROW
    WHEN (OLD.is_anonymous IS DISTINCT FROM NEW.is_anonymous
          OR NEW.anonymity_threshold < OLD.anonymity_threshold)
    EXECUTE FUNCTION freeze_privacy_of_used_forms();
