-- Up Migration
-- Description: Create the 360-degree feedback system: forms, questions, cycles, invitations, responses, ratings
-- Date: 2026-11-25
--
-- feedback_responses and feedback_ratings do not overlap:
--   feedback_responses  one row per answered question of one submission: the
--                       raw answer (a rating on the question's scale and/or a
--                       comment). The seed's feedback analysis query reads it.
--   feedback_ratings    one row per competency of one submission: the score the
--                       rater gave that competency (the mean of their answers to
--                       the competency's questions), written with the answers.
--                       Results per relationship group and competency levels
--                       from a cycle read it.
-- Both carry a random submission_id that groups one submission's rows. For an
-- anonymous form invitation_id stays NULL and times are kept to the day, so
-- nothing links an answer to its rater; the relationship group is kept
-- because counting needs it.
--
-- The process rules live here, where no caller can skip them: allowed status
-- moves (guard_status_transition), answers only while the cycle is active and
-- within the question's scale, questions frozen while a cycle runs on their
-- form, and submit_feedback() writing a whole submission or nothing.

CREATE TABLE feedback_forms (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    form_type VARCHAR(50) NOT NULL DEFAULT 'standard',
    is_anonymous BOOLEAN NOT NULL DEFAULT false,
    anonymity_threshold SMALLINT NOT NULL DEFAULT 3,
    is_active BOOLEAN NOT NULL DEFAULT true,
    settings JSONB NOT NULL DEFAULT '{}',
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT feedback_forms_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT feedback_forms_form_type_check
        CHECK (form_type IN ('standard', '360', 'self_assessment', 'manager_review', 'peer_review', 'upward')),
    CONSTRAINT feedback_forms_anonymity_threshold_check CHECK (anonymity_threshold BETWEEN 1 AND 50),
    CONSTRAINT feedback_forms_settings_check CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT feedback_forms_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_forms_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT feedback_forms_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_feedback_forms_organization ON feedback_forms (organization_id, created_at) WHERE deleted_at IS NULL;

CREATE TRIGGER feedback_forms_set_updated_at BEFORE UPDATE ON feedback_forms
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE feedback_questions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    form_id UUID NOT NULL,
    position SMALLINT NOT NULL,
    question_text TEXT NOT NULL,
    question_type VARCHAR(20) NOT NULL DEFAULT 'rating',
    competency_id UUID,
    scale_min SMALLINT,
    scale_max SMALLINT,
    is_required BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_questions_position_check CHECK (position >= 1),
    CONSTRAINT feedback_questions_question_text_check CHECK (btrim(question_text) <> ''),
    CONSTRAINT feedback_questions_question_type_check CHECK (question_type IN ('rating', 'text')),
    -- A rating question rates one competency on its own scale; a text question
    -- is free text and has neither.
    CONSTRAINT feedback_questions_scale_check CHECK (
        (question_type = 'rating' AND competency_id IS NOT NULL
            AND scale_min IS NOT NULL AND scale_max IS NOT NULL
            AND scale_min >= 0 AND scale_max <= 100 AND scale_min < scale_max)
        OR (question_type = 'text' AND scale_min IS NULL AND scale_max IS NULL)),
    CONSTRAINT feedback_questions_position_key UNIQUE (form_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT feedback_questions_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_questions_form_id_id_key UNIQUE (organization_id, form_id, id),
    CONSTRAINT feedback_questions_form_id_fkey FOREIGN KEY (organization_id, form_id)
        REFERENCES feedback_forms (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT feedback_questions_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE RESTRICT
);

CREATE INDEX idx_feedback_questions_competency ON feedback_questions (competency_id);

CREATE TRIGGER feedback_questions_set_updated_at BEFORE UPDATE ON feedback_questions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE feedback_cycles (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    form_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    status VARCHAR(20) NOT NULL DEFAULT 'draft',
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ,
    activated_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_cycles_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT feedback_cycles_status_check CHECK (status IN ('draft', 'active', 'closed', 'cancelled')),
    CONSTRAINT feedback_cycles_ends_at_check CHECK (ends_at > starts_at),
    CONSTRAINT feedback_cycles_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_cycles_form_id_id_key UNIQUE (organization_id, form_id, id),
    CONSTRAINT feedback_cycles_form_id_fkey FOREIGN KEY (organization_id, form_id)
        REFERENCES feedback_forms (organization_id, id) ON DELETE RESTRICT,
    CONSTRAINT feedback_cycles_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_feedback_cycles_organization_status ON feedback_cycles (organization_id, status);
CREATE INDEX idx_feedback_cycles_form_status ON feedback_cycles (form_id, status);

CREATE TRIGGER feedback_cycles_set_updated_at BEFORE UPDATE ON feedback_cycles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER feedback_cycles_guard_status BEFORE UPDATE OF status ON feedback_cycles
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('draft>active', 'draft>cancelled', 'active>closed', 'active>cancelled');

ALTER TABLE user_competencies ADD CONSTRAINT user_competencies_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
    REFERENCES feedback_cycles (organization_id, id) ON DELETE SET NULL (cycle_id);

-- Questions are frozen while a cycle on their form is active or closed: the
-- answers already given refer to them as they are.
CREATE FUNCTION freeze_questions_of_used_forms() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    the_form UUID := CASE WHEN TG_OP = 'DELETE' THEN OLD.form_id ELSE NEW.form_id END;
    cycle_status TEXT;
BEGIN
    SELECT c.status INTO cycle_status FROM feedback_cycles c
     WHERE c.form_id = the_form AND c.status IN ('active', 'closed')
     LIMIT 1;
    IF cycle_status IS NULL AND TG_OP = 'UPDATE' AND OLD.form_id <> NEW.form_id THEN
        SELECT c.status INTO cycle_status FROM feedback_cycles c
         WHERE c.form_id = OLD.form_id AND c.status IN ('active', 'closed')
         LIMIT 1;
    END IF;
    IF cycle_status IS NOT NULL THEN
        RAISE EXCEPTION 'the questions of form % cannot change: a % cycle uses it', the_form, cycle_status
            USING ERRCODE = 'IK409', DETAIL = cycle_status, TABLE = 'feedback_questions';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER feedback_questions_frozen_while_used BEFORE INSERT OR UPDATE OR DELETE ON feedback_questions
    FOR EACH ROW EXECUTE FUNCTION freeze_questions_of_used_forms();

CREATE TABLE feedback_invitations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    target_user_id UUID NOT NULL,
    rater_user_id UUID,
    rater_email VARCHAR(255),
    rater_name VARCHAR(200),
    relationship VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    access_token_hash BYTEA,
    token_expires_at TIMESTAMPTZ,
    reminder_count INTEGER NOT NULL DEFAULT 0,
    last_reminded_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    declined_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_invitations_relationship_check
        CHECK (relationship IN ('self', 'manager', 'peer', 'direct_report', 'external')),
    CONSTRAINT feedback_invitations_status_check
        CHECK (status IN ('pending', 'started', 'completed', 'declined', 'expired')),
    -- External raters have no account: they are reached by email and answer
    -- with a secret token, of which only the SHA-256 digest is kept.
    CONSTRAINT feedback_invitations_rater_check CHECK (
        (relationship = 'external' AND rater_user_id IS NULL AND rater_email IS NOT NULL
            AND access_token_hash IS NOT NULL AND token_expires_at IS NOT NULL)
        OR (relationship <> 'external' AND rater_user_id IS NOT NULL AND rater_email IS NULL)),
    CONSTRAINT feedback_invitations_rater_user_id_check CHECK (
        (relationship = 'self') = (rater_user_id IS NOT DISTINCT FROM target_user_id)),
    CONSTRAINT feedback_invitations_rater_email_check CHECK (rater_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    CONSTRAINT feedback_invitations_access_token_hash_check CHECK (octet_length(access_token_hash) = 32),
    CONSTRAINT feedback_invitations_reminder_count_check CHECK (reminder_count >= 0),
    CONSTRAINT feedback_invitations_completed_at_check CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT feedback_invitations_declined_at_check CHECK ((status = 'declined') = (declined_at IS NOT NULL)),
    CONSTRAINT feedback_invitations_access_token_hash_key UNIQUE (access_token_hash),
    CONSTRAINT feedback_invitations_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_invitations_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT feedback_invitations_target_user_id_fkey FOREIGN KEY (organization_id, target_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT feedback_invitations_rater_user_id_fkey FOREIGN KEY (organization_id, rater_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX feedback_invitations_rater_key
    ON feedback_invitations (cycle_id, target_user_id, rater_user_id) WHERE rater_user_id IS NOT NULL;
CREATE UNIQUE INDEX feedback_invitations_rater_email_key
    ON feedback_invitations (cycle_id, target_user_id, lower(rater_email)) WHERE rater_user_id IS NULL;
CREATE INDEX idx_feedback_invitations_cycle_status ON feedback_invitations (cycle_id, status);
CREATE INDEX idx_feedback_invitations_target ON feedback_invitations (target_user_id, cycle_id);
CREATE INDEX idx_feedback_invitations_rater ON feedback_invitations (rater_user_id, status) WHERE rater_user_id IS NOT NULL;

CREATE TRIGGER feedback_invitations_set_updated_at BEFORE UPDATE ON feedback_invitations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER feedback_invitations_guard_status BEFORE UPDATE OF status ON feedback_invitations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition(
        'pending>started', 'pending>completed', 'pending>declined', 'pending>expired',
        'started>completed', 'started>declined', 'started>expired');

CREATE TABLE feedback_responses (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    form_id UUID NOT NULL,
    question_id UUID NOT NULL,
    target_user_id UUID NOT NULL,
    submission_id UUID NOT NULL,
    invitation_id UUID,
    relationship VARCHAR(20) NOT NULL,
    rating SMALLINT,
    comment TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_responses_relationship_check
        CHECK (relationship IN ('self', 'manager', 'peer', 'direct_report', 'external')),
    CONSTRAINT feedback_responses_answer_check CHECK (rating IS NOT NULL OR btrim(comment) <> ''),
    CONSTRAINT feedback_responses_question_id_key UNIQUE (submission_id, question_id),
    CONSTRAINT feedback_responses_cycle_id_fkey FOREIGN KEY (organization_id, form_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, form_id, id) ON DELETE CASCADE,
    -- An answer can only be to a question of the cycle's form.
    CONSTRAINT feedback_responses_question_id_fkey FOREIGN KEY (organization_id, form_id, question_id)
        REFERENCES feedback_questions (organization_id, form_id, id) ON DELETE RESTRICT,
    CONSTRAINT feedback_responses_target_user_id_fkey FOREIGN KEY (organization_id, target_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT feedback_responses_invitation_id_fkey FOREIGN KEY (organization_id, invitation_id)
        REFERENCES feedback_invitations (organization_id, id) ON DELETE SET NULL (invitation_id)
);

CREATE INDEX idx_feedback_responses_form_cycle ON feedback_responses(form_id, cycle_id);
CREATE INDEX idx_feedback_responses_user ON feedback_responses(target_user_id);
CREATE INDEX idx_feedback_responses_submission ON feedback_responses (submission_id);
CREATE INDEX idx_feedback_responses_question ON feedback_responses (question_id);
CREATE INDEX idx_feedback_responses_invitation ON feedback_responses (invitation_id) WHERE invitation_id IS NOT NULL;

-- Checks every answer, whoever writes it: the cycle must be active, a rating
-- must lie on its question's scale (and a text question takes no rating), and
-- an anonymous form's answers carry no invitation.
CREATE FUNCTION check_feedback_response() RETURNS trigger
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

CREATE TRIGGER feedback_responses_check BEFORE INSERT OR UPDATE ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION check_feedback_response();

CREATE TABLE feedback_ratings (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    target_user_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    submission_id UUID NOT NULL,
    invitation_id UUID,
    relationship VARCHAR(20) NOT NULL,
    rating NUMERIC(5,2) NOT NULL,
    answer_count SMALLINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_ratings_relationship_check
        CHECK (relationship IN ('self', 'manager', 'peer', 'direct_report', 'external')),
    CONSTRAINT feedback_ratings_rating_check CHECK (rating BETWEEN 0 AND 100),
    CONSTRAINT feedback_ratings_answer_count_check CHECK (answer_count >= 1),
    CONSTRAINT feedback_ratings_competency_id_key UNIQUE (submission_id, competency_id),
    CONSTRAINT feedback_ratings_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT feedback_ratings_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE RESTRICT,
    CONSTRAINT feedback_ratings_target_user_id_fkey FOREIGN KEY (organization_id, target_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT feedback_ratings_invitation_id_fkey FOREIGN KEY (organization_id, invitation_id)
        REFERENCES feedback_invitations (organization_id, id) ON DELETE SET NULL (invitation_id)
);

CREATE INDEX idx_feedback_ratings_target_cycle ON feedback_ratings (target_user_id, cycle_id, competency_id);
CREATE INDEX idx_feedback_ratings_cycle ON feedback_ratings (cycle_id);

-- One submission, whole or nothing: locks the invitation, checks token,
-- cycle and invitation state, writes every answer and the per-competency
-- ratings, and completes the invitation. p_answers is a JSON array of
-- {"question_id", "rating", "comment"}. Returns the submission id.
CREATE FUNCTION submit_feedback(p_invitation_id UUID, p_token_hash BYTEA, p_answers JSONB) RETURNS UUID
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
