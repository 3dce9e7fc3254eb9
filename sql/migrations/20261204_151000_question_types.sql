-- Up Migration
-- Description: Question types: single and multiple choice with options as rows, a 0-10 NPS scale, per-question weights; the answer's shape checked by the database
-- Date: 2026-12-04
--
--   rating           a rating on the question's scale (as before), for one competency
--   text             free text only (as before)
--   single_choice    exactly one of the question's options
--   multiple_choice  one or more distinct options of the question
--   nps              0 to 10 ("how likely ... would you recommend"), no competency:
--                    its scale is not a competency score and stays out of feedback_ratings
--
-- Options are rows of feedback_question_options (position, label), frozen
-- with their questions while an active or closed cycle uses the form. An
-- answer to a choice question lists its options in
-- feedback_responses.option_ids; check_feedback_response() checks, on every
-- insert, that each is an option of the answered question and that the count
-- fits the type; an option that an answer names cannot be deleted. A comment
-- may accompany any answer. Answers stay immutable (refuse_feedback_edit
-- compares whole rows, option_ids included).
--
-- feedback_questions.weight (default 1) weighs a question within its
-- competency in the weighted score (feedback.weighted_score); the seed's
-- feedback analysis and results by group ignore it and keep their meaning.

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_type_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_type_check
    CHECK (question_type IN ('rating', 'text', 'single_choice', 'multiple_choice', 'nps'));

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_scale_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_scale_check CHECK (
    (question_type = 'rating' AND competency_id IS NOT NULL
        AND scale_min IS NOT NULL AND scale_max IS NOT NULL
        AND scale_min >= 0 AND scale_max <= 100 AND scale_min < scale_max)
    OR (question_type = 'nps' AND competency_id IS NULL AND scale_min = 0 AND scale_max = 10)
    OR (question_type IN ('text', 'single_choice', 'multiple_choice') AND scale_min IS NULL AND scale_max IS NULL));

ALTER TABLE feedback_questions ADD COLUMN weight NUMERIC(4,2) NOT NULL DEFAULT 1;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_weight_check CHECK (weight > 0 AND weight <= 10);

CREATE TABLE feedback_question_options (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    form_id UUID NOT NULL,
    question_id UUID NOT NULL,
    position SMALLINT NOT NULL,
    label VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_question_options_position_check CHECK (position BETWEEN 1 AND 50),
    CONSTRAINT feedback_question_options_label_check CHECK (btrim(label) <> ''),
    CONSTRAINT feedback_question_options_position_key UNIQUE (question_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT feedback_question_options_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_question_options_question_id_fkey FOREIGN KEY (organization_id, form_id, question_id)
        REFERENCES feedback_questions (organization_id, form_id, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX feedback_question_options_label_key ON feedback_question_options (question_id, lower(label));

CREATE TRIGGER feedback_question_options_set_updated_at BEFORE UPDATE ON feedback_question_options
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Options are part of their question: frozen like it while a cycle uses the form.
CREATE TRIGGER feedback_question_options_frozen_while_used BEFORE INSERT OR UPDATE OR DELETE ON feedback_question_options
    FOR EACH ROW EXECUTE FUNCTION freeze_questions_of_used_forms();

ALTER TABLE feedback_question_options ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_question_options_current ON feedback_question_options
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- Only a choice question has options, and an option stays once a cycle has
-- run on its form: while it is active or closed the form is frozen (the
-- trigger above); a cancelled cycle's form is not, but answers may name the
-- option. Asked of the cycles, not of the answers, which the application may
-- not read.
CREATE FUNCTION check_feedback_question_option() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    kind TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM public.feedback_cycles c
                    WHERE c.form_id = OLD.form_id AND c.status = 'cancelled' AND c.activated_at IS NOT NULL) THEN
            RAISE EXCEPTION 'option % of question % may be named by answers: it cannot be deleted', OLD.position, OLD.question_id
                USING ERRCODE = 'IK409', DETAIL = 'answered', TABLE = TG_TABLE_NAME;
        END IF;
        RETURN OLD;
    END IF;
    SELECT q.question_type INTO kind FROM public.feedback_questions q WHERE q.id = NEW.question_id;
    IF kind NOT IN ('single_choice', 'multiple_choice') THEN
        RAISE EXCEPTION 'a % question has no options', kind
            USING ERRCODE = 'IK422', COLUMN = 'question_id', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_question_options_check BEFORE INSERT OR UPDATE OF question_id OR DELETE ON feedback_question_options
    FOR EACH ROW EXECUTE FUNCTION check_feedback_question_option();

-- A question that has options stays a choice question.
CREATE FUNCTION keep_options_on_choice_questions() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.question_type NOT IN ('single_choice', 'multiple_choice')
       AND EXISTS (SELECT 1 FROM public.feedback_question_options o WHERE o.question_id = NEW.id) THEN
        RAISE EXCEPTION 'question % has options: it must stay a choice question', NEW.position
            USING ERRCODE = 'IK422', COLUMN = 'question_type', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_questions_keep_options BEFORE UPDATE OF question_type ON feedback_questions
    FOR EACH ROW WHEN (OLD.question_type IS DISTINCT FROM NEW.question_type)
    EXECUTE FUNCTION keep_options_on_choice_questions();

ALTER TABLE feedback_responses ADD COLUMN option_ids UUID[];

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_option_ids_check
    CHECK (cardinality(option_ids) BETWEEN 1 AND 50 AND array_position(option_ids, NULL) IS NULL);

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_answer_check;

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_answer_check
    CHECK (rating IS NOT NULL OR option_ids IS NOT NULL OR comment_ciphertext IS NOT NULL OR btrim(comment) <> '');

-- Checks every answer, whoever writes it: the cycle must be active, an
-- anonymous form's answers carry no invitation, and the answer has the shape
-- of its question's type (see the header).
CREATE OR REPLACE FUNCTION check_feedback_response() RETURNS trigger
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

-- submit_feedback() takes "option_ids" (an array of option ids) in an
-- answer too, and an answer with options counts as answered. The function
-- is patched where it stands rather than restated, so that whatever else
-- earlier migrations made of it (who may submit, its search_path, its
-- privileges) stays as it is; a definition that no longer holds the patched
-- fragments stops the migration instead of being half patched.
DO $$
DECLARE
    patched TEXT := pg_get_functiondef('submit_feedback(uuid, bytea, jsonb)'::regprocedure);
    step TEXT[];
BEGIN
    FOREACH step SLICE 1 IN ARRAY ARRAY[
        ['comment_ciphertext TEXT)', 'comment_ciphertext TEXT, option_ids UUID[])'],
        ['comment_key_id TEXT)', 'comment_key_id TEXT, option_ids UUID[])'],
        ['a.rating IS NOT NULL OR a.comment_ciphertext IS NOT NULL',
         'a.rating IS NOT NULL OR cardinality(a.option_ids) > 0 OR a.comment_ciphertext IS NOT NULL'],
        ['relationship, rating, comment, comment_ciphertext',
         'relationship, rating, option_ids, comment, comment_ciphertext'],
        ['a.rating, nullif(btrim(a.comment), '''')',
         'a.rating, nullif(a.option_ids, ''{}''), nullif(btrim(a.comment), '''')']
    ] LOOP
        IF strpos(patched, step[1]) = 0 THEN
            RAISE EXCEPTION 'submit_feedback() no longer holds "%": this migration must be updated', step[1];
        END IF;
        patched := replace(patched, step[1], step[2]);
    END LOOP;
    EXECUTE patched;
END
$$;
