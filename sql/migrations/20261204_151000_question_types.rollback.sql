-- Down Migration
-- Description: Back to rating and text questions only

-- submit_feedback() without option_ids: the migration's patch undone, in reverse.
DO $$
DECLARE
    patched TEXT := pg_get_functiondef('submit_feedback(uuid, bytea, jsonb)'::regprocedure);
    step TEXT[];
BEGIN
    FOREACH step SLICE 1 IN ARRAY ARRAY[
        ['a.rating, nullif(a.option_ids, ''{}''), nullif(btrim(a.comment), '''')',
         'a.rating, nullif(btrim(a.comment), '''')'],
        ['relationship, rating, option_ids, comment, comment_ciphertext',
         'relationship, rating, comment, comment_ciphertext'],
        ['a.rating IS NOT NULL OR cardinality(a.option_ids) > 0 OR a.comment_ciphertext IS NOT NULL',
         'a.rating IS NOT NULL OR a.comment_ciphertext IS NOT NULL'],
        ['comment_key_id TEXT, option_ids UUID[])', 'comment_key_id TEXT)'],
        ['comment_ciphertext TEXT, option_ids UUID[])', 'comment_ciphertext TEXT)']
    ] LOOP
        patched := replace(patched, step[1], step[2]);
    END LOOP;
    EXECUTE patched;
END
$$;

CREATE OR REPLACE FUNCTION check_feedback_response() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    q RECORD;
    cycle_status TEXT;
    anonymous BOOLEAN;
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
    IF q.question_type = 'rating' AND NEW.rating IS NULL THEN
        RAISE EXCEPTION 'question % needs a rating from % to %', q.position, q.scale_min, q.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type = 'rating' AND NEW.rating NOT BETWEEN q.scale_min AND q.scale_max THEN
        RAISE EXCEPTION 'rating % for question % is outside its scale % to %',
                NEW.rating, q.position, q.scale_min, q.scale_max
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    IF q.question_type = 'text' AND NEW.rating IS NOT NULL THEN
        RAISE EXCEPTION 'question % is a text question and takes no rating', q.position
            USING ERRCODE = 'IK422', COLUMN = 'rating', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_answer_check;

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_answer_check
    CHECK (rating IS NOT NULL OR comment_ciphertext IS NOT NULL OR btrim(comment) <> '');

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_option_ids_check;

ALTER TABLE feedback_responses DROP COLUMN option_ids;

DROP TRIGGER feedback_questions_keep_options ON feedback_questions;

DROP FUNCTION keep_options_on_choice_questions();

DROP POLICY feedback_question_options_current ON feedback_question_options;

DROP TABLE feedback_question_options;

DROP FUNCTION check_feedback_question_option();

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_weight_check;

ALTER TABLE feedback_questions DROP COLUMN weight;

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_scale_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_scale_check CHECK (
    (question_type = 'rating' AND competency_id IS NOT NULL
        AND scale_min IS NOT NULL AND scale_max IS NOT NULL
        AND scale_min >= 0 AND scale_max <= 100 AND scale_min < scale_max)
    OR (question_type = 'text' AND scale_min IS NULL AND scale_max IS NULL));

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_type_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_type_check CHECK (question_type IN ('rating', 'text'));
