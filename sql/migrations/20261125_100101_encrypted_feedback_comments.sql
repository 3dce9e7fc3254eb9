-- Up Migration
-- Description: Feedback comments are stored encrypted by the application (ciphertext and key id), never as text
-- Date: 2026-11-25
--
-- feedback_responses.comment_ciphertext holds the comment encrypted by the
-- application (ikenei.crypto: AES-256-GCM, bound to this table, column and
-- row id) and comment_key_id the id of its key (encryption_keys).
--
-- feedback_responses.comment is kept only for text written before this
-- migration (and the sample comments of the dev seed): SQL cannot encrypt it,
-- since the database has no key. `ikenei keys rotate` encrypts every such
-- comment and clears the text; the application never writes it.
--
-- submit_feedback() now takes each answer as {"id", "question_id", "rating",
-- "comment_ciphertext" (base64), "comment_key_id"}: the answer's id comes from
-- the application, which encrypts the comment for that row before sending it.
-- A plain "comment" is refused, so a mistake cannot store text unencrypted;
-- the dev seed's sample texts pass only because that transaction declares
-- ikenei.plaintext_sample_data = 'on' (and are encrypted by `ikenei seed dev`
-- right after). A blank comment is dropped by the application before
-- encryption, as the text is no longer visible here.
--
-- Submitted answers stay immutable; the one change now allowed besides the
-- foreign key's SET NULL is encrypting a stored comment or re-encrypting it
-- under another key: a comment cannot appear, disappear or change anything
-- else of its row. (That the new ciphertext holds the same text only the
-- application can know.)

ALTER TABLE feedback_responses
    ADD COLUMN comment_ciphertext BYTEA,
    ADD COLUMN comment_key_id TEXT;

COMMENT ON COLUMN feedback_responses.comment IS
    'Legacy plaintext comment awaiting encryption by `ikenei keys rotate`; never written by the application.';

-- Version byte 1, a 12-byte nonce, the text and a 16-byte tag.
ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_ciphertext_check
    CHECK (octet_length(comment_ciphertext) >= 29 AND get_byte(comment_ciphertext, 0) = 1);

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_key_id_check
    CHECK ((comment_ciphertext IS NULL) = (comment_key_id IS NULL));

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_check
    CHECK (comment IS NULL OR comment_ciphertext IS NULL);

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_key_id_fkey
    FOREIGN KEY (comment_key_id) REFERENCES encryption_keys (key_id) ON DELETE RESTRICT;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_answer_check;

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_answer_check
    CHECK (rating IS NOT NULL OR comment_ciphertext IS NOT NULL OR btrim(comment) <> '');

CREATE INDEX idx_feedback_responses_comment_key ON feedback_responses (comment_key_id)
    WHERE comment_key_id IS NOT NULL;

CREATE OR REPLACE FUNCTION refuse_feedback_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_row JSONB := to_jsonb(NEW);
    old_row JSONB := to_jsonb(OLD);
    comment_columns TEXT[] := ARRAY['comment', 'comment_ciphertext', 'comment_key_id'];
BEGIN
    IF NEW.invitation_id IS NULL
       AND (new_row - 'invitation_id') = (old_row - 'invitation_id') THEN
        RETURN NEW;
    END IF;
    -- A stored comment encrypted, or re-encrypted under another key.
    IF (new_row - comment_columns) = (old_row - comment_columns)
       AND new_row ->> 'comment' IS NULL AND new_row ->> 'comment_ciphertext' IS NOT NULL
       AND (old_row ->> 'comment' IS NOT NULL OR old_row ->> 'comment_ciphertext' IS NOT NULL) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'submitted feedback cannot be changed (% %)', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'IK409', DETAIL = 'submitted', TABLE = TG_TABLE_NAME;
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
