-- Test-only statements of the security tests: what an attacker working as
-- ikenei_app would run by hand in a scoped transaction. Each is expected to
-- be refused or to find nothing.

-- name: organization_of_access_token_exists()$
-- Whether the function that opened a token's organization is still there.
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'organization_of_access_token');

-- name: set_invitation_status(invitation_id, status)!
-- Moves an invitation to completed or declined by hand, with the time its status needs.
UPDATE feedback_invitations
   SET status = :status::text,
       completed_at = CASE WHEN :status::text = 'completed' THEN now() END,
       declined_at = CASE WHEN :status::text = 'declined' THEN now() END
 WHERE id = :invitation_id;

-- name: join_answers_by_xmin(cycle_id)
-- The attack of the review: answers and the invitations they completed share a transaction id.
SELECT i.rater_user_id, r.rating, r.comment_ciphertext IS NOT NULL AS has_comment
  FROM feedback_responses r
  JOIN feedback_invitations i ON i.xmin = r.xmin
 WHERE r.cycle_id = :cycle_id;

-- name: join_ratings_by_xmin(cycle_id)
-- The same join on the competency ratings.
SELECT i.rater_user_id, r.rating
  FROM feedback_ratings r
  JOIN feedback_invitations i ON i.xmin = r.xmin
 WHERE r.cycle_id = :cycle_id;

-- name: answers_in_ctid_order(cycle_id)
-- The answers in the order they were written (their place in the table).
SELECT r.ctid::text AS place, r.rating FROM feedback_responses r WHERE r.cycle_id = :cycle_id ORDER BY r.ctid;

-- name: join_answers_by_time(cycle_id)
-- Answers beside the invitations completed at their time.
SELECT i.rater_user_id, r.rating
  FROM feedback_responses r
  JOIN feedback_invitations i ON i.cycle_id = r.cycle_id AND date_trunc('day', i.completed_at) = r.created_at
 WHERE r.cycle_id = :cycle_id;

-- name: answers_as_stored(cycle_id)
-- The answers in whatever order the server returns them.
SELECT r.submission_id, r.rating FROM feedback_responses r WHERE r.cycle_id = :cycle_id;

-- name: insert_answer(organization_id, cycle_id, form_id, question_id, target_user_id)!
-- An answer written by hand, past submit_feedback: a forged rating.
INSERT INTO feedback_responses (organization_id, cycle_id, form_id, question_id, target_user_id,
                                submission_id, relationship, rating)
VALUES (:organization_id, :cycle_id, :form_id, :question_id, :target_user_id, gen_random_uuid(), 'peer', 1);

-- name: comments_as_served(target_user_id, cycle_id)
-- The comments function's rows as the server sends them: question position, group and answer id.
SELECT question_position, rater_group, response_id FROM feedback_comments(:target_user_id, :cycle_id);

-- name: insert_form(organization_id, is_anonymous, anonymity_threshold)!
-- A form written by hand, past the repository.
INSERT INTO feedback_forms (organization_id, title, is_anonymous, anonymity_threshold)
VALUES (:organization_id, 'By hand', :is_anonymous, :anonymity_threshold);

-- name: delete_cycle(cycle_id)!
-- Deletes a cycle with its invitations and answers (the owner's, by hand).
DELETE FROM feedback_cycles WHERE id = :cycle_id;

-- name: functions_without_a_fixed_search_path()
-- The functions of schema public (but an extension's) whose names depend on the caller's
-- search_path: neither a SQL-standard body (bound at creation) nor a search_path setting
-- that ends with pg_temp (without it, pg_temp is searched first).
SELECT p.oid::regprocedure::text AS name
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
   AND p.prosqlbody IS NULL
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c(setting)
                    WHERE c.setting ~ '^search_path=' AND c.setting ~ '(^|[ ,=])pg_temp$')
 ORDER BY 1;

-- name: create_shadow_function#
-- A session-local function that makes, for every table of schema public, a
-- temporary table of the same name and columns (dropped at commit), first on
-- the default search_path. With p_fill it copies what the session may read
-- into them and then makes them say what an attacker wants a rule to read:
-- every cycle running, every form named with threshold 1, every invitation
-- open with a token that never expires, every question on a 0-100 scale.
CREATE OR REPLACE FUNCTION pg_temp.shadow_every_table(p_fill boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    made integer := 0;
BEGIN
    FOR t IN SELECT c.relname::text AS name,
                    string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', '
                               ORDER BY a.attnum) AS columns
               FROM pg_class c
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
              GROUP BY c.relname LOOP
        EXECUTE format('CREATE TEMP TABLE %I (%s) ON COMMIT DROP', t.name, t.columns);
        IF p_fill THEN
            BEGIN
                EXECUTE format('INSERT INTO pg_temp.%I SELECT * FROM public.%I', t.name, t.name);
            EXCEPTION WHEN insufficient_privilege THEN
                NULL;
            END;
        END IF;
        made := made + 1;
    END LOOP;
    IF p_fill THEN
        UPDATE pg_temp.feedback_cycles SET status = 'active', closed_at = NULL;
        UPDATE pg_temp.feedback_forms SET is_anonymous = false, anonymity_threshold = 1;
        UPDATE pg_temp.feedback_invitations
           SET status = 'pending', completed_at = NULL, token_expires_at = 'infinity';
        UPDATE pg_temp.feedback_questions SET scale_min = 0, scale_max = 100;
    END IF;
    RETURN made;
END
$$;

-- name: shadow_every_table(fill)$
-- Shadows every table of schema public (see create_shadow_function); how many.
SELECT pg_temp.shadow_every_table(:fill::boolean);

-- name: shadowed_tables()$
-- How many tables of schema public a temporary table of the same name stands in front of.
SELECT count(*)::int FROM pg_class t JOIN pg_class p ON p.relname = t.relname
 WHERE t.relnamespace = pg_my_temp_schema() AND p.relnamespace = 'public'::regnamespace AND p.relkind = 'r';

-- The statements below name schema public: an attacker who shadows a table
-- still writes the real one, and wants the rule it triggers to read the shadow.

-- name: set_cycle_status(cycle_id, status)!
-- Moves a cycle by hand.
UPDATE public.feedback_cycles SET status = :status::text WHERE id = :cycle_id;

-- name: set_form_threshold(form_id, threshold)!
-- Sets a form's anonymity threshold by hand.
UPDATE public.feedback_forms SET anonymity_threshold = :threshold::smallint WHERE id = :form_id;

-- name: rename_question(question_id, question_text)!
-- Rewrites a question by hand.
UPDATE public.feedback_questions SET question_text = :question_text::text WHERE id = :question_id;

-- name: count_audit_entries()$
-- How many audit entries of the current organization the public log holds.
SELECT count(*)::int FROM public.audit_log;

-- name: count_shadow_audit_entries()$
-- How many entries the temporary audit_log holds.
SELECT count(*)::int FROM pg_temp.audit_log;

-- name: count_reminder(invitation_id)!
-- Counts a reminder of an invitation by hand: an audited change of the organization.
UPDATE public.feedback_invitations SET reminder_count = reminder_count + 1 WHERE id = :invitation_id;

-- name: answer_stamps(cycle_id)^
-- How many transaction ids and dates a cycle's answers and ratings carry, and whether
-- their one transaction id is that of the cycle's last change.
SELECT count(DISTINCT r.xmin::text)::int AS transactions,
       count(DISTINCT r.created_at)::int AS dates,
       bool_and(r.xmin::text = c.xmin::text) AS written_by_the_cycles_last_change
  FROM (SELECT xmin, created_at, cycle_id FROM feedback_responses WHERE cycle_id = :cycle_id
        UNION ALL
        SELECT xmin, created_at, cycle_id FROM feedback_ratings WHERE cycle_id = :cycle_id) AS r
  JOIN feedback_cycles c ON c.id = r.cycle_id;
