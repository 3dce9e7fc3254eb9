-- Up Migration
-- Description: An external rater's token opens its own invitation and nothing else; only the invited rater submits or declines, and never after the close
-- Date: 2026-12-04
--
-- Before: db.external_rater(token) made the token's organization the
-- transaction's, so the holder of any token (used or expired too) read and
-- wrote the whole organization; anyone working for an organization could
-- submit or decline every invitation of it (and so fill in the other raters'
-- answers to solve for the one real rating); and a submission that read its
-- cycle as active could commit after the cycle's close.
--
-- Now:
--
-- * A token scope (ikenei.access_token_hash, the hex SHA-256 digest of the
--   token, set by db.external_rater) works for no organization: row-level
--   security shows it no row of any table. Four functions, which run as their
--   owner and check the token themselves, are all it can use:
--   feedback_invitation_of_token (its invitation, the form's title and the
--   name of the person rated), feedback_questions_of_token (the questions of
--   its form), submit_feedback and decline_feedback. They answer only while
--   the invitation is open (pending or started), its token unexpired and
--   (but declining) its cycle active; otherwise IK404 (unknown token) or
--   IK409 naming the state (completed, declined, expired, or the cycle's).
--   organization_of_access_token, which opened the organization, is dropped.
-- * submit_feedback and decline_feedback act only for the invited rater: a
--   member's invitation in the scope of its organization with the rater as
--   the acting person (db.organization(org, user_id=rater)), an external
--   rater's in the scope of its token. Anyone else gets IK404 when the
--   invitation is not of their organization, else IK403 (OutOfScope). The
--   tables' owner (seeds, maintenance) is not bound by this, as it is not by
--   row-level security (acting_role_bypasses_rls).
-- * Row-level-security-bound roles cannot move an invitation to completed or
--   declined themselves (guard_invitation_answer): only through those two
--   functions, which check who is answering.
-- * submit_feedback takes a share lock on the cycle row: a close waits for
--   the submissions in flight, and a submission waiting for a close re-reads
--   the cycle as closed and is refused. An answer commits before the close or
--   not at all.

-- Whether the role the session acts as is not bound by row-level security
-- (the tables' owner, a superuser, a BYPASSRLS role). Inside a SECURITY
-- DEFINER function current_user is the definer, so the acting role is read
-- from the session: its SET ROLE (a setting only the role's members can
-- set), else the login role.
CREATE FUNCTION acting_role_bypasses_rls() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((
        SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, c.relowner, 'MEMBER')
          FROM pg_roles r, pg_class c
         WHERE r.rolname = CASE WHEN current_setting('role') = 'none' THEN session_user::text
                                ELSE current_setting('role') END
           AND c.oid = 'public.feedback_invitations'::regclass), false)
$$;

-- The token digest of the current token scope, or NULL.
CREATE FUNCTION current_access_token_hash() RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
RETURN decode(nullif(current_setting('ikenei.access_token_hash', true), ''), 'hex');

-- The open invitation an access-token digest opens, for its holder: IK404 when
-- no invitation has it (or, for a role bound by row-level security, when it is
-- not the token of the current token scope), IK409 naming why it is closed.
CREATE FUNCTION feedback_invitation_of_token(p_token_hash BYTEA)
RETURNS TABLE (id UUID, cycle_id UUID, form_id UUID, form_title TEXT, is_anonymous BOOLEAN,
               target_name TEXT, relationship TEXT, status TEXT, token_expires_at TIMESTAMPTZ)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv RECORD;
BEGIN
    SELECT i.id, i.cycle_id, c.form_id, f.title, f.is_anonymous,
           u.first_name || ' ' || u.last_name AS target_name, i.relationship, i.status,
           i.token_expires_at, c.status AS cycle_status
      INTO inv
      FROM public.feedback_invitations i
      JOIN public.feedback_cycles c ON c.id = i.cycle_id
      JOIN public.feedback_forms f ON f.id = c.form_id
      JOIN public.users u ON u.id = i.target_user_id
     WHERE i.access_token_hash = p_token_hash
       AND (public.acting_role_bypasses_rls() OR p_token_hash = public.current_access_token_hash());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback invitation for this access token not found'
            USING ERRCODE = 'IK404', DETAIL = 'for this access token', TABLE = 'feedback_invitations';
    END IF;
    IF inv.status NOT IN ('pending', 'started') THEN
        RAISE EXCEPTION 'the feedback invitation of this access token is %', inv.status
            USING ERRCODE = 'IK409', DETAIL = inv.status, TABLE = 'feedback_invitations';
    END IF;
    IF inv.token_expires_at <= now() THEN
        RAISE EXCEPTION 'the access token expired at %', inv.token_expires_at
            USING ERRCODE = 'IK409', DETAIL = 'expired', TABLE = 'feedback_invitations';
    END IF;
    IF inv.cycle_status <> 'active' THEN
        RAISE EXCEPTION 'the feedback cycle of this access token is %, not active', inv.cycle_status
            USING ERRCODE = 'IK409', DETAIL = inv.cycle_status, TABLE = 'feedback_cycles';
    END IF;
    RETURN QUERY SELECT inv.id, inv.cycle_id, inv.form_id, inv.title::text, inv.is_anonymous,
                        inv.target_name, inv.relationship::text, inv.status::text, inv.token_expires_at;
END
$$;

-- The questions of the form of the open invitation this digest opens, in their
-- order; refused like feedback_invitation_of_token.
CREATE FUNCTION feedback_questions_of_token(p_token_hash BYTEA)
RETURNS SETOF feedback_questions
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    the_form UUID;
BEGIN
    SELECT t.form_id INTO the_form FROM public.feedback_invitation_of_token(p_token_hash) AS t;
    RETURN QUERY SELECT q.* FROM public.feedback_questions q WHERE q.form_id = the_form ORDER BY q.position;
END
$$;

-- Finds the invitation p_invitation_id for whoever may answer it, locked, and
-- with its cycle share-locked; raises when the caller is not its rater.
-- Shared by submit_feedback and decline_feedback.
CREATE FUNCTION invitation_for_its_rater(p_invitation_id UUID, p_token_hash BYTEA,
    OUT invitation_id UUID, OUT organization_id UUID, OUT cycle_id UUID, OUT target_user_id UUID,
    OUT relationship TEXT, OUT status TEXT, OUT cycle_status TEXT, OUT form_id UUID,
    OUT is_anonymous BOOLEAN)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv RECORD;
    maintenance BOOLEAN := public.acting_role_bypasses_rls();
BEGIN
    -- FOR SHARE OF c: a close waits for this transaction, and this one,
    -- waiting for a close, reads the cycle as it is after it.
    SELECT i.id, i.organization_id, i.cycle_id, i.target_user_id, i.rater_user_id, i.relationship,
           i.status, i.access_token_hash, i.token_expires_at, c.status AS cycle_status, c.form_id,
           f.is_anonymous
      INTO inv
      FROM public.feedback_invitations i
      JOIN public.feedback_cycles c ON c.id = i.cycle_id
      JOIN public.feedback_forms f ON f.id = c.form_id
     WHERE i.id = p_invitation_id
       FOR UPDATE OF i FOR SHARE OF c;
    IF NOT FOUND
       OR NOT coalesce(maintenance
                       OR inv.organization_id = public.current_organization_id()
                       OR inv.access_token_hash = public.current_access_token_hash(), false) THEN
        RAISE EXCEPTION 'feedback invitation % not found', p_invitation_id
            USING ERRCODE = 'IK404', DETAIL = p_invitation_id::text, TABLE = 'feedback_invitations';
    END IF;
    IF inv.access_token_hash IS NOT NULL OR p_token_hash IS NOT NULL THEN
        IF p_token_hash IS DISTINCT FROM inv.access_token_hash THEN
            RAISE EXCEPTION 'the access token does not match this invitation'
                USING ERRCODE = 'IK422', COLUMN = 'access_token';
        END IF;
    END IF;
    IF NOT maintenance THEN
        IF inv.access_token_hash IS NOT NULL
           AND inv.access_token_hash IS DISTINCT FROM public.current_access_token_hash() THEN
            RAISE EXCEPTION 'feedback invitation % is answered in the scope of its access token only', p_invitation_id
                USING ERRCODE = 'IK403', TABLE = 'feedback_invitations';
        END IF;
        IF inv.access_token_hash IS NULL
           AND inv.rater_user_id IS DISTINCT FROM public.current_person_id() THEN
            RAISE EXCEPTION 'feedback invitation % is answered by its rater only: this transaction acts for another person', p_invitation_id
                USING ERRCODE = 'IK403', TABLE = 'feedback_invitations';
        END IF;
    END IF;
    IF inv.token_expires_at IS NOT NULL AND inv.token_expires_at <= now() THEN
        RAISE EXCEPTION 'the access token expired at %', inv.token_expires_at
            USING ERRCODE = 'IK409', DETAIL = 'expired', TABLE = 'feedback_invitations';
    END IF;
    invitation_id := inv.id;
    organization_id := inv.organization_id;
    cycle_id := inv.cycle_id;
    target_user_id := inv.target_user_id;
    relationship := inv.relationship;
    status := inv.status;
    cycle_status := inv.cycle_status;
    form_id := inv.form_id;
    is_anonymous := inv.is_anonymous;
END
$$;

REVOKE ALL ON FUNCTION invitation_for_its_rater(UUID, BYTEA) FROM PUBLIC;

-- One submission, whole or nothing, by the invited rater (see the header):
-- checks who submits, the cycle and the invitation, writes every answer and
-- the per-competency ratings, and completes the invitation. p_answers as
-- before: a JSON array of {"id", "question_id", "rating", "comment_ciphertext"
-- (base64), "comment_key_id"}. Returns the submission id.
CREATE OR REPLACE FUNCTION submit_feedback(p_invitation_id UUID, p_token_hash BYTEA, p_answers JSONB) RETURNS UUID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv RECORD;
    submission UUID := gen_random_uuid();
    stamp TIMESTAMPTZ;
    missing INTEGER;
    stray UUID;
BEGIN
    SELECT * INTO inv FROM public.invitation_for_its_rater(p_invitation_id, p_token_hash);
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
     WHERE NOT EXISTS (SELECT 1 FROM public.feedback_questions q
                        WHERE q.id = a.question_id AND q.form_id = inv.form_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'question % is not part of this cycle''s form', coalesce(stray::text, 'null')
            USING ERRCODE = 'IK422', COLUMN = 'question_id';
    END IF;

    SELECT count(*) INTO missing
      FROM public.feedback_questions q
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

    INSERT INTO public.feedback_responses
        (id, organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
         invitation_id, relationship, rating, comment, comment_ciphertext, comment_key_id, created_at)
    SELECT coalesce(a.id, gen_random_uuid()), inv.organization_id, inv.cycle_id, inv.form_id, a.question_id,
           inv.target_user_id, submission,
           CASE WHEN inv.is_anonymous THEN NULL ELSE inv.invitation_id END, inv.relationship,
           a.rating, nullif(btrim(a.comment), ''), decode(a.comment_ciphertext, 'base64'), a.comment_key_id, stamp
      FROM jsonb_to_recordset(p_answers)
           AS a(id UUID, question_id UUID, rating SMALLINT, comment TEXT, comment_ciphertext TEXT, comment_key_id TEXT)
     WHERE a.rating IS NOT NULL OR a.comment_ciphertext IS NOT NULL OR btrim(a.comment) <> '';

    INSERT INTO public.feedback_ratings
        (organization_id, cycle_id, target_user_id, competency_id, submission_id,
         invitation_id, relationship, rating, answer_count, created_at)
    SELECT inv.organization_id, inv.cycle_id, inv.target_user_id, q.competency_id, submission,
           CASE WHEN inv.is_anonymous THEN NULL ELSE inv.invitation_id END, inv.relationship,
           round(avg(r.rating), 2), count(*), stamp
      FROM public.feedback_responses r
      JOIN public.feedback_questions q ON q.id = r.question_id
     WHERE r.submission_id = submission AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
     GROUP BY q.competency_id;

    UPDATE public.feedback_invitations
       SET status = 'completed', completed_at = stamp,
           started_at = coalesce(started_at, stamp)
     WHERE id = p_invitation_id;

    RETURN submission;
END
$$;

REVOKE ALL ON FUNCTION submit_feedback(UUID, BYTEA, JSONB) FROM PUBLIC;

-- Declines an open invitation for its rater (checked as submit_feedback
-- checks it); returns the invitation. IK409 naming its status when it is not
-- open, or 'expired' for an expired token.
CREATE FUNCTION decline_feedback(p_invitation_id UUID, p_token_hash BYTEA) RETURNS SETOF feedback_invitations
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv RECORD;
BEGIN
    SELECT * INTO inv FROM public.invitation_for_its_rater(p_invitation_id, p_token_hash);
    IF inv.status NOT IN ('pending', 'started') THEN
        RAISE EXCEPTION 'feedback invitation % is %: it cannot be declined', p_invitation_id, inv.status
            USING ERRCODE = 'IK409', DETAIL = inv.status, TABLE = 'feedback_invitations';
    END IF;
    RETURN QUERY
        UPDATE public.feedback_invitations i
           SET status = 'declined', declined_at = now()
         WHERE i.id = p_invitation_id
        RETURNING i.*;
END
$$;

REVOKE ALL ON FUNCTION feedback_invitation_of_token(BYTEA) FROM PUBLIC;
REVOKE ALL ON FUNCTION feedback_questions_of_token(BYTEA) FROM PUBLIC;
REVOKE ALL ON FUNCTION decline_feedback(UUID, BYTEA) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION submit_feedback(UUID, BYTEA, JSONB) TO ikenei_app;
GRANT EXECUTE ON FUNCTION decline_feedback(UUID, BYTEA) TO ikenei_app;
GRANT EXECUTE ON FUNCTION feedback_invitation_of_token(BYTEA) TO ikenei_app;
GRANT EXECUTE ON FUNCTION feedback_questions_of_token(BYTEA) TO ikenei_app;

-- A role bound by row-level security (the application) cannot complete or
-- decline an invitation with a plain UPDATE or INSERT: only submit_feedback
-- and decline_feedback, which run as their owner, do that, for the rater.
CREATE FUNCTION guard_invitation_answer() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
        RETURN NEW;
    END IF;
    IF row_security_active('public.feedback_invitations'::regclass) THEN
        RAISE EXCEPTION 'feedback invitation % can be % by its rater only (submit or decline)', NEW.id, NEW.status
            USING ERRCODE = 'IK403', TABLE = 'feedback_invitations';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_invitations_answered_by_rater
    BEFORE INSERT OR UPDATE OF status ON feedback_invitations
    FOR EACH ROW WHEN (NEW.status IN ('completed', 'declined'))
    EXECUTE FUNCTION guard_invitation_answer();

DROP FUNCTION organization_of_access_token(BYTEA);
