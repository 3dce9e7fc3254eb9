-- Up Migration
-- Description: Raw answers are never the application's: results come from functions, anonymous ones only after the close and at a threshold of at least 3; anonymous answers leave no audit entry
-- Date: 2026-12-04
--
-- What an adversarial review did as ikenei_app in an ordinary organization
-- scope, and what stops it now:
--
-- * Joined feedback_responses.xmin to feedback_invitations.xmin (one
--   transaction writes the answers and completes the invitation), and could
--   as well have used ctid order, created_at against completed_at, or the
--   order rows come back in: 11 of 11 anonymous answers named their rater.
--   Now ikenei_app has no privilege at all on feedback_responses and
--   feedback_ratings (named forms' too: one rule, no per-row exception to get
--   wrong). Answers are written by submit_feedback and read through the
--   results functions below, which run as their owner and return aggregates
--   and comments by rater group: no row id of an answer but a comment's
--   (random, needed to decrypt it), no system column, no time, and comments
--   ordered by question, group and that random id, never by insertion.
-- * Read results after each completion and subtracted (the newest rater's
--   exact rating), or filled in the other raters' invitations: results of an
--   anonymous form are served only once its cycle is closed (IK409 naming
--   its status until then), after which no answer can arrive (see
--   20261204_100000); only the rater submits.
-- * Read the audit rows of each submission next to the invitation it
--   completed: see audit_row_change below.
-- * Made an anonymous form with anonymity_threshold 1: an anonymous form now
--   needs a threshold of at least 3 (existing ones below are raised to 3,
--   which shows less, never more).
--
-- Who may read whose results is one function, may_read_feedback_results,
-- asked by every results function: for now whoever works for the
-- organization (as row-level security allowed before); the permissions of
-- the acting person's roles decide it in a later migration.

REVOKE ALL ON feedback_responses, feedback_ratings FROM ikenei_app;

UPDATE feedback_forms SET anonymity_threshold = 3 WHERE is_anonymous AND anonymity_threshold < 3;

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_anonymity_threshold_check;

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_anonymity_threshold_check
    CHECK (anonymity_threshold BETWEEN 1 AND 50 AND (NOT is_anonymous OR anonymity_threshold >= 3));

-- Whether the acting person of the current scope may read the feedback
-- results (analysis, results by group, comments) of p_target_user_id in
-- p_organization_id. The results functions ask nothing else about the
-- reader; the tables' owner is not asked (acting_role_bypasses_rls).
CREATE FUNCTION may_read_feedback_results(p_organization_id UUID, p_target_user_id UUID) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT p_organization_id = public.current_organization_id()
$$;

-- The rules every results function applies before it reads an answer: the
-- cycle must exist and its results be the reader's to see (else NULL:
-- nothing is shown, as for an unknown cycle); an anonymous form's cycle must
-- be closed (else IK409 naming its status). Then the read is logged in
-- data_access_log (p_what) with the transaction's actor, else the acting
-- role, and the form's anonymity threshold returned.
CREATE FUNCTION open_feedback_results(p_target_user_id UUID, p_cycle_id UUID, p_what TEXT) RETURNS smallint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c RECORD;
BEGIN
    SELECT cy.organization_id, cy.status, f.is_anonymous, f.anonymity_threshold INTO c
      FROM public.feedback_cycles cy
      JOIN public.feedback_forms f ON f.id = cy.form_id
     WHERE cy.id = p_cycle_id;
    IF NOT FOUND OR NOT coalesce(public.acting_role_bypasses_rls()
                                 OR public.may_read_feedback_results(c.organization_id, p_target_user_id),
                                 false) THEN
        RETURN NULL;
    END IF;
    IF c.is_anonymous AND c.status <> 'closed' THEN
        RAISE EXCEPTION 'feedback cycle % is %: the results of an anonymous form are shown once its cycle is closed',
                p_cycle_id, c.status
            USING ERRCODE = 'IK409', DETAIL = c.status, TABLE = 'feedback_cycles';
    END IF;
    INSERT INTO public.data_access_log (actor, organization_id, subject_user_id, what)
    VALUES (coalesce(nullif(current_setting('ikenei.actor', true), ''),
                     CASE WHEN current_setting('role') = 'none' THEN session_user::text
                          ELSE current_setting('role') END),
            c.organization_id, p_target_user_id, p_what);
    RETURN c.anonymity_threshold;
END
$$;

REVOKE ALL ON FUNCTION open_feedback_results(UUID, UUID, TEXT) FROM PUBLIC;

-- The seed's feedback analysis per competency (see sql/queries/feedback.sql,
-- get_feedback_analysis): only answers of rater groups that results by group
-- show are counted, so the two cannot be subtracted to uncover a hidden group.
CREATE FUNCTION feedback_analysis(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, average_rating NUMERIC, response_count INT,
               rating_stddev NUMERIC, self_rating NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.analysis');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT q.competency_id, r.relationship, r.submission_id, r.rating
          FROM public.feedback_responses r
          JOIN public.feedback_questions q ON q.id = r.question_id
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
           AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
    ), group_sizes AS (
        SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               CASE WHEN count(DISTINCT a.submission_id) >= n THEN a.relationship ELSE 'others' END AS rater_group
          FROM answers a
         WHERE a.relationship <> 'self'
         GROUP BY a.competency_id, a.relationship
    ), shown AS (
        SELECT g.competency_id, g.relationship
          FROM (SELECT competency_id, relationship,
                       sum(submissions) OVER (PARTITION BY competency_id, rater_group) AS group_submissions
                  FROM group_sizes) g
         WHERE g.group_submissions >= n
    )
    SELECT c.id, c.name::text,
           round(avg(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2),
           (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int,
           round(stddev_samp(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2),
           round(avg(a.rating) FILTER (WHERE a.relationship = 'self'), 2)
      FROM answers a
      JOIN public.competencies c ON c.id = a.competency_id
      LEFT JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
     GROUP BY c.id, c.name
    HAVING count(s.relationship) > 0 OR bool_or(a.relationship = 'self')
     ORDER BY 3 DESC NULLS LAST, c.name, c.id;
END
$$;

-- Per competency and rater group, the mean of the submissions' competency
-- ratings and how many submissions it has; a group below the threshold is
-- folded into "others", which is dropped while still below it; "self" apart.
CREATE FUNCTION feedback_results_by_group(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, rater_group TEXT, submission_count INT,
               average_rating NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.results_by_group');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH ratings AS (
        SELECT r.competency_id, r.relationship, r.rating
          FROM public.feedback_ratings r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
    ), placed AS (
        SELECT r.competency_id, r.relationship,
               CASE WHEN r.relationship = 'self' OR count(*) >= n THEN r.relationship ELSE 'others' END AS rater_group
          FROM ratings r
         GROUP BY r.competency_id, r.relationship
    )
    SELECT r.competency_id, c.name::text, p.rater_group::text, count(*)::int, round(avg(r.rating), 2)
      FROM ratings r
      JOIN placed p ON p.competency_id = r.competency_id AND p.relationship = r.relationship
      JOIN public.competencies c ON c.id = r.competency_id
     GROUP BY r.competency_id, c.name, p.rater_group
    HAVING p.rater_group = 'self' OR count(*) >= n
     ORDER BY c.name, r.competency_id,
              array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                             p.rater_group::text);
END
$$;

-- The stored comments on a person in a cycle by question, each with its rater
-- group (the relationship when that group has at least threshold
-- submissions, else "others", dropped while below it too; "self" always) and
-- its answer's random id, which decrypting needs. Ordered by question, group
-- and that id: never by time, rater or insertion.
CREATE FUNCTION feedback_comments(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (question_id UUID, question_position SMALLINT, question_text TEXT, competency_id UUID,
               rater_group TEXT, response_id UUID, comment_ciphertext BYTEA, comment_key_id TEXT,
               comment TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.comments');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT r.id, r.question_id, r.relationship, r.submission_id, r.comment, r.comment_ciphertext,
               r.comment_key_id
          FROM public.feedback_responses r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
    ), group_sizes AS (
        SELECT a.relationship, count(DISTINCT a.submission_id) AS submissions,
               CASE WHEN a.relationship = 'self' OR count(DISTINCT a.submission_id) >= n
                    THEN a.relationship ELSE 'others' END AS rater_group
          FROM answers a
         GROUP BY a.relationship
    ), shown AS (
        SELECT g.relationship, g.rater_group
          FROM (SELECT relationship, rater_group,
                       sum(submissions) OVER (PARTITION BY rater_group) AS group_submissions
                  FROM group_sizes) g
         WHERE g.rater_group = 'self' OR g.group_submissions >= n
    )
    SELECT q.id, q.position, q.question_text, q.competency_id, s.rater_group::text, a.id,
           a.comment_ciphertext, a.comment_key_id, a.comment
      FROM answers a
      JOIN shown s ON s.relationship = a.relationship
      JOIN public.feedback_questions q ON q.id = a.question_id
     WHERE a.comment_ciphertext IS NOT NULL OR a.comment IS NOT NULL
     ORDER BY q.position, q.id,
              array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                             s.rater_group::text),
              a.id;
END
$$;

REVOKE ALL ON FUNCTION feedback_analysis(UUID, UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION feedback_results_by_group(UUID, UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION feedback_comments(UUID, UUID) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION feedback_analysis(UUID, UUID) TO ikenei_app;
GRANT EXECUTE ON FUNCTION feedback_results_by_group(UUID, UUID) TO ikenei_app;
GRANT EXECUTE ON FUNCTION feedback_comments(UUID, UUID) TO ikenei_app;

-- Audit entries: the anonymity rule below replaces the earlier one, which
-- still wrote entries without actor or row id beside the invitation's.
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    new_row JSON;
    old_row JSON;
    the_row JSON;
    columns TEXT[];
    who TEXT := nullif(current_setting('ikenei.actor', true), '');
    row_key TEXT;
    stamp TIMESTAMPTZ := now();
BEGIN
    IF TG_OP <> 'DELETE' THEN
        new_row := row_to_json(NEW);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := row_to_json(OLD);
    END IF;
    the_row := coalesce(new_row, old_row);
    row_key := the_row ->> 'id';

    -- Anonymity: keep this rule in any rewrite of the audit trail (a
    -- statement-level trigger too). A row of feedback_responses or
    -- feedback_ratings that names no invitation (every answer of an anonymous
    -- form, and a named one whose invitation is gone) gets no audit entry at
    -- all, when written, changed or deleted. Any entry would sit beside the
    -- entry of the invitation its submission completed (same transaction,
    -- next ids, same time), and its columns would tell whether the answer
    -- holds a comment: together with the comments that results show, that
    -- named the writer of a comment. The invitation's own entry (status
    -- completed) is the trail of a submission; it says nothing of the answers.
    IF TG_TABLE_NAME IN ('feedback_responses', 'feedback_ratings')
       AND (new_row IS NULL OR new_row ->> 'invitation_id' IS NULL)
       AND (old_row IS NULL OR old_row ->> 'invitation_id' IS NULL) THEN
        RETURN NULL;
    END IF;

    -- json (not jsonb) keeps the table's column order.
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.position) INTO columns
          FROM json_each(new_row) WITH ORDINALITY AS n(key, value, position)
          JOIN json_each(old_row) AS o(key, value) ON o.key = n.key
         WHERE n.key <> 'updated_at' AND n.value::text IS DISTINCT FROM o.value::text;
        IF columns IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
        SELECT array_agg(c.key ORDER BY c.position) INTO columns
          FROM json_each(the_row) WITH ORDINALITY AS c(key, value, position)
         WHERE json_typeof(c.value) <> 'null';
    END IF;

    INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
    VALUES (TG_TABLE_NAME, row_key, (the_row ->> 'organization_id')::uuid, TG_OP, columns, who, stamp);
    RETURN NULL;
END
$$;
