-- Up Migration
-- Description: The rules of an answer are checked once per statement over the inserted rows, not by a trigger call per row
-- Date: 2026-12-05
--
-- check_feedback_response ran BEFORE INSERT for each answer: a PL/pgSQL call
-- and two lookups (the cycle with its form, the question) per row, 238 ms of a
-- 20,000-row insert that takes 665 ms with the table's constraints alone. The
-- same rules now run AFTER INSERT FOR EACH STATEMENT over the inserted rows
-- (a transition table, as the audit trail does since 20261205_110000): one
-- query finds an answer that breaks a rule, and that answer gets the error the
-- row trigger raised, with the same code, message and column. The rules and
-- their order are those of 20261204_151000.
--
-- What changes for a caller: nothing is written either way (the error aborts
-- the statement). An answer that also breaks a constraint (a question of
-- another form, a repeated question) now gets the constraint's error, which is
-- checked first; before, the rule's error came first. Closing an anonymous
-- cycle rewrites its answers inside the cycle's BEFORE UPDATE trigger
-- (20261204_100300): the statement trigger of that insert fires at the end of
-- the insert, while the cycle is still active, as the row trigger did.

CREATE FUNCTION check_feedback_responses() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    a RECORD;
BEGIN
    SELECT n.cycle_id, c.status AS cycle_status, f.is_anonymous AS anonymous, n.invitation_id, n.rating,
           q.question_type, q.scale_min, q.scale_max, q.position, n.chosen
      INTO a
      FROM (SELECT r.*, coalesce(cardinality(r.option_ids), 0) AS chosen FROM new_answers r) AS n
      LEFT JOIN feedback_cycles c ON c.id = n.cycle_id
      LEFT JOIN feedback_forms f ON f.id = c.form_id
      LEFT JOIN feedback_questions q ON q.id = n.question_id
     WHERE c.status IS DISTINCT FROM 'active'
        OR (f.is_anonymous AND n.invitation_id IS NOT NULL)
        OR (q.question_type IN ('rating', 'nps') AND (n.rating IS NULL OR n.rating NOT BETWEEN q.scale_min AND q.scale_max))
        OR (q.question_type NOT IN ('rating', 'nps') AND n.rating IS NOT NULL)
        OR (q.question_type NOT IN ('single_choice', 'multiple_choice') AND n.chosen > 0)
        OR (q.question_type = 'single_choice' AND n.chosen <> 1)
        OR (q.question_type = 'multiple_choice' AND n.chosen = 0)
        OR (n.chosen > 0 AND (SELECT count(DISTINCT o.id) FROM feedback_question_options o
                               WHERE o.question_id = n.question_id AND o.id = ANY (n.option_ids)) <> n.chosen)
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF a.cycle_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'feedback cycle % is %, not active: it takes no answers', a.cycle_id, a.cycle_status
            USING ERRCODE = 'IK409', DETAIL = a.cycle_status, TABLE = 'feedback_cycles';
    END IF;
    IF a.anonymous AND a.invitation_id IS NOT NULL THEN
        RAISE EXCEPTION 'answers to an anonymous form cannot name their invitation'
            USING ERRCODE = 'IK422', COLUMN = 'invitation_id', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type IN ('rating', 'nps') AND a.rating IS NULL THEN
        RAISE EXCEPTION 'question % needs a rating from % to %', a.position, a.scale_min, a.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type IN ('rating', 'nps') AND a.rating NOT BETWEEN a.scale_min AND a.scale_max THEN
        RAISE EXCEPTION 'rating % for question % is outside its scale % to %',
                a.rating, a.position, a.scale_min, a.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type NOT IN ('rating', 'nps') AND a.rating IS NOT NULL THEN
        RAISE EXCEPTION 'question % is a % question and takes no rating', a.position, a.question_type
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type NOT IN ('single_choice', 'multiple_choice') AND a.chosen > 0 THEN
        RAISE EXCEPTION 'question % is a % question and takes no options', a.position, a.question_type
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type = 'single_choice' AND a.chosen <> 1 THEN
        RAISE EXCEPTION 'question % takes exactly one option, not %', a.position, a.chosen
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF a.question_type = 'multiple_choice' AND a.chosen = 0 THEN
        RAISE EXCEPTION 'question % takes one or more options', a.position
            USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
    END IF;
    RAISE EXCEPTION 'the options of an answer to question % must be distinct options of that question', a.position
        USING ERRCODE = 'IK422', COLUMN = 'option_ids', TABLE = TG_TABLE_NAME;
END
$$;

DROP TRIGGER feedback_responses_check ON feedback_responses;
DROP FUNCTION check_feedback_response();

CREATE TRIGGER feedback_responses_check AFTER INSERT ON feedback_responses REFERENCING NEW TABLE AS new_answers
    FOR EACH STATEMENT EXECUTE FUNCTION check_feedback_responses();
