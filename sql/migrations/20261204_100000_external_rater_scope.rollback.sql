-- Down Migration
-- Description: A token scope works for its invitation's organization again; anyone of the organization may submit or decline

CREATE FUNCTION organization_of_access_token(p_access_token_hash BYTEA) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT i.organization_id FROM public.feedback_invitations i
     WHERE i.access_token_hash = p_access_token_hash
$$;

REVOKE ALL ON FUNCTION organization_of_access_token(BYTEA) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION organization_of_access_token(BYTEA) TO ikenei_app;

DROP TRIGGER feedback_invitations_answered_by_rater ON feedback_invitations;

DROP FUNCTION guard_invitation_answer();

DROP FUNCTION decline_feedback(UUID, BYTEA);

REVOKE ALL ON FUNCTION submit_feedback(UUID, BYTEA, JSONB) FROM ikenei_app;

GRANT EXECUTE ON FUNCTION submit_feedback(UUID, BYTEA, JSONB) TO PUBLIC;

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

    IF current_setting('ikenei.plaintext_sample_data', true) IS DISTINCT FROM 'on'
       AND EXISTS (SELECT 1 FROM jsonb_array_elements(p_answers) AS e(answer)
                    WHERE e.answer ->> 'comment' IS NOT NULL) THEN
        RAISE EXCEPTION 'a comment must be encrypted by the application (comment_ciphertext, comment_key_id), never sent as text'
            USING ERRCODE = 'IK422', COLUMN = 'comment';
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
       AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_answers)
                                  AS a(question_id UUID, rating SMALLINT, comment TEXT, comment_ciphertext TEXT)
                        WHERE a.question_id = q.id
                          AND (a.rating IS NOT NULL OR a.comment_ciphertext IS NOT NULL OR btrim(a.comment) <> ''));
    IF missing > 0 THEN
        RAISE EXCEPTION '% required question(s) left unanswered', missing
            USING ERRCODE = 'IK422', COLUMN = 'answers';
    END IF;

    -- Anonymous answers keep only the day, so their time cannot single out a rater.
    stamp := CASE WHEN inv.is_anonymous THEN date_trunc('day', now()) ELSE now() END;

    INSERT INTO feedback_responses
        (id, organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
         invitation_id, relationship, rating, comment, comment_ciphertext, comment_key_id, created_at)
    SELECT coalesce(a.id, gen_random_uuid()), inv.organization_id, inv.cycle_id, inv.form_id, a.question_id,
           inv.target_user_id, submission,
           CASE WHEN inv.is_anonymous THEN NULL ELSE inv.id END, inv.relationship,
           a.rating, nullif(btrim(a.comment), ''), decode(a.comment_ciphertext, 'base64'), a.comment_key_id, stamp
      FROM jsonb_to_recordset(p_answers)
           AS a(id UUID, question_id UUID, rating SMALLINT, comment TEXT, comment_ciphertext TEXT, comment_key_id TEXT)
     WHERE a.rating IS NOT NULL OR a.comment_ciphertext IS NOT NULL OR btrim(a.comment) <> '';

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

DROP FUNCTION invitation_for_its_rater(UUID, BYTEA);

DROP FUNCTION feedback_questions_of_token(BYTEA);

DROP FUNCTION feedback_invitation_of_token(BYTEA);

DROP FUNCTION current_access_token_hash();

DROP FUNCTION acting_role_bypasses_rls();
