-- Down Migration
-- Description: The rules of an answer checked by a trigger call per row again (check_feedback_response of 20261204_151000)

DROP TRIGGER feedback_responses_check ON feedback_responses;
DROP FUNCTION check_feedback_responses();

CREATE FUNCTION check_feedback_response() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    q RECORD;
    cycle_status TEXT;
    anonymous BOOLEAN;
    chosen INTEGER := coalesce(cardinality(NEW.option_ids), 0);
BEGIN
    SELECT c.status, f.is_anonymous INTO cycle_status, anonymous
      FROM feedback_cycles c JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = NEW.cycle_id;
    IF cycle_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'feedback cycle % is %, not active: it takes no answers', NEW.cycle_id, cycle_status
            USING ERRCODE = 'IK409', DETAIL = cycle_status, TABLE = 'feedback_cycles';
    END IF;
    IF anonymous AND NEW.invitation_id IS NOT NULL THEN
        RAISE EXCEPTION 'answers to an anonymous form cannot name their invitation'
            USING ERRCODE = 'IK422', COLUMN = 'invitation_id', TABLE = TG_TABLE_NAME;
    END IF;
    SELECT question_type, scale_min, scale_max, position INTO q
      FROM feedback_questions WHERE id = NEW.question_id;
    IF q.question_type IN ('rating', 'nps') AND NEW.rating IS NULL THEN
        RAISE EXCEPTION 'question % needs a rating from % to %', q.position, q.scale_min, q.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type IN ('rating', 'nps') AND NEW.rating NOT BETWEEN q.scale_min AND q.scale_max THEN
        RAISE EXCEPTION 'rating % for question % is outside its scale % to %',
                NEW.rating, q.position, q.scale_min, q.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type NOT IN ('rating', 'nps') AND NEW.rating IS NOT NULL THEN
        RAISE EXCEPTION 'question % is a % question and takes no rating', q.position, q.question_type
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type NOT IN ('single_choice', 'multiple_choice') AND chosen > 0 THEN
        RAISE EXCEPTION 'question % is a % question and takes no options', q.position, q.question_type
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type = 'single_choice' AND chosen <> 1 THEN
        RAISE EXCEPTION 'question % takes exactly one option, not %', q.position, chosen
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type = 'multiple_choice' AND chosen = 0 THEN
        RAISE EXCEPTION 'question % takes one or more options', q.position
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF chosen > 0 AND (SELECT count(DISTINCT o.id) FROM feedback_question_options o
                        WHERE o.question_id = NEW.question_id AND o.id = ANY (NEW.option_ids)) <> chosen THEN
        RAISE EXCEPTION 'the options of an answer to question % must be distinct options of that question', q.position
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_responses_check BEFORE INSERT ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION check_feedback_response();
