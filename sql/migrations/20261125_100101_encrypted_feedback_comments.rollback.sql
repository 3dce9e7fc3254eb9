-- Down Migration
-- Description: Back to feedback comments stored as text; refused while any comment is encrypted

-- The database cannot decrypt: rolling back with encrypted comments would
-- lose them.
DO $$
DECLARE
    encrypted BIGINT;
BEGIN
    SELECT count(*) INTO encrypted FROM feedback_responses WHERE comment_ciphertext IS NOT NULL;
    IF encrypted > 0 THEN
        RAISE EXCEPTION '% feedback comment(s) are encrypted: rolling back would lose them', encrypted
            USING ERRCODE = 'IK409', DETAIL = 'encrypted', TABLE = 'feedback_responses';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION submit_feedback(p_invitation_id UUID, p_token_hash BYTEA, p_answers JSONB) RETURNS UUID
LANGUAGE plpgsql AS $$
DECLARE
    inv RECORD;
    submission UUID := gen_random_uuid();
    stamp TIMESTAMPTZ;
    missing INTEGER;
    stray UUID;
BEGIN
    SELECT i.id, i.organization_id, i.cycle_id, i.target_user_id, i.relationship, i.status,
           i.access_token_hash, i.token_expires_at, c.status AS cycle_status, c.form_id,
           f.is_anonymous
      INTO inv
      FROM feedback_invitations i
      JOIN feedback_cycles c ON c.id = i.cycle_id
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE i.id = p_invitation_id
       FOR UPDATE OF i;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback invitation % not found', p_invitation_id
            USING ERRCODE = 'IK404', DETAIL = p_invitation_id::text, TABLE = 'feedback_invitations';
    END IF;
    IF inv.access_token_hash IS NOT NULL OR p_token_hash IS NOT NULL THEN
        IF p_token_hash IS DISTINCT FROM inv.access_token_hash THEN
            RAISE EXCEPTION 'the access token does not match this invitation'
                USING ERRCODE = 'IK422', COLUMN = 'access_token';
        END IF;
        IF inv.token_expires_at IS NOT NULL AND inv.token_expires_at <= now() THEN
            RAISE EXCEPTION 'the access token expired at %', inv.token_expires_at
                USING ERRCODE = 'IK409', DETAIL = 'expired', TABLE = 'feedback_invitations';
        END IF;
    END IF;
    IF inv.cycle_status <> 'active' THEN
        RAISE EXCEPTION 'feedback cycle % is %, not active: it takes no answers', inv.cycle_id, inv.cycle_status
            USING ERRCODE = 'IK409', DETAIL = inv.cycle_status, TABLE = 'feedback_cycles';
    END IF;
    IF inv.status NOT IN ('pending', 'started') THEN
        RAISE EXCEPTION 'feedback invitation % is %: it takes no further answers', p_invitation_id, inv.status
            USING ERRCODE = 'IK409', DETAIL = inv.status, TABLE = 'feedback_invitations';
    END IF;
    IF jsonb_typeof(p_answers) IS DISTINCT FROM 'array' OR jsonb_array_length(p_answers) = 0 THEN
        RAISE EXCEPTION 'a submission needs at least one answer'
            USING ERRCODE = 'IK422', COLUMN = 'answers';
    END IF;

    SELECT a.question_id INTO stray
      FROM jsonb_to_recordset(p_answers) AS a(question_id UUID)
     WHERE NOT EXISTS (SELECT 1 FROM feedback_questions q
                        WHERE q.id = a.question_id AND q.form_id = inv.form_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'question % is not part of this cycle''s form', coalesce(stray::text, 'null')
            USING ERRCODE = 'IK422', COLUMN = 'question_id';
    END IF;

    SELECT count(*) INTO missing
      FROM feedback_questions q
     WHERE q.form_id = inv.form_id AND q.is_required
       AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_answers) AS a(question_id UUID, rating SMALLINT, comment TEXT)
                        WHERE a.question_id = q.id AND (a.rating IS NOT NULL OR btrim(a.comment) <> ''));
    IF missing > 0 THEN
        RAISE EXCEPTION '% required question(s) left unanswered', missing
            USING ERRCODE = 'IK422', COLUMN = 'answers';
    END IF;

    -- Anonymous answers keep only the day, so their time cannot single out a rater.
    stamp := CASE WHEN inv.is_anonymous THEN date_trunc('day', now()) ELSE now() END;

    INSERT INTO feedback_responses
        (organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
         invitation_id, relationship, rating, comment, created_at)
    SELECT inv.organization_id, inv.cycle_id, inv.form_id, a.question_id, inv.target_user_id, submission,
           CASE WHEN inv.is_anonymous THEN NULL ELSE inv.id END, inv.relationship,
           a.rating, nullif(btrim(a.comment), ''), stamp
      FROM jsonb_to_recordset(p_answers) AS a(question_id UUID, rating SMALLINT, comment TEXT)
     WHERE a.rating IS NOT NULL OR btrim(a.comment) <> '';

    INSERT INTO feedback_ratings
        (organization_id, cycle_id, target_user_id, competency_id, submission_id,
         invitation_id, relationship, rating, answer_count, created_at)
    SELECT inv.organization_id, inv.cycle_id, inv.target_user_id, q.competency_id, submission,
           CASE WHEN inv.is_anonymous THEN NULL ELSE inv.id END, inv.relationship,
           round(avg(r.rating), 2), count(*), stamp
      FROM feedback_responses r
      JOIN feedback_questions q ON q.id = r.question_id
     WHERE r.submission_id = submission AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
     GROUP BY q.competency_id;

    UPDATE feedback_invitations
       SET status = 'completed', completed_at = stamp,
           started_at = coalesce(started_at, stamp)
     WHERE id = p_invitation_id;

    RETURN submission;
END
$$;

CREATE OR REPLACE FUNCTION refuse_feedback_edit() RETURNS trigger
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

DROP INDEX idx_feedback_responses_comment_key;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_answer_check;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_key_id_fkey;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_check;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_key_id_check;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_ciphertext_check;

COMMENT ON COLUMN feedback_responses.comment IS NULL;

ALTER TABLE feedback_responses
    DROP COLUMN comment_key_id,
    DROP COLUMN comment_ciphertext;

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_answer_check
    CHECK (rating IS NOT NULL OR btrim(comment) <> '');
