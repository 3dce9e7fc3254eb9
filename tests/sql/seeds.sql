-- Helper queries of the seed tests (psycopg, via aiosql).

-- name: create_table_digest_function#
-- A session-local function giving one table's row count and an md5 digest of
-- all its rows (as text, sorted). Dynamic SQL needs PL/pgSQL; pg_temp keeps
-- the function out of the schema under test. (query_to_xml would do without
-- it, but the embedded server is built without XML support.)
CREATE FUNCTION pg_temp.table_digest(table_name text, OUT row_count bigint, OUT digest text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) '
                   'FROM public.%I AS t', table_name)
       INTO row_count, digest;
END
$$;

-- name: table_snapshot()
-- Every table of schema public with its row count and digest: two equal
-- snapshots mean nothing was inserted, deleted or changed, updated_at included.
-- Needs create_table_digest_function on the same connection first.
SELECT c.relname AS table_name, d.row_count, d.digest
  FROM pg_class c
 CROSS JOIN LATERAL pg_temp.table_digest(c.relname::text) AS d
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;

-- name: system_role_names()
-- Names of the system roles (shared by every organization).
SELECT name FROM roles WHERE organization_id IS NULL AND is_system ORDER BY name;

-- name: standard_category_names()
-- Names of the standard competency categories (shared by every organization).
SELECT name FROM competency_categories WHERE organization_id IS NULL ORDER BY sort_order;

-- name: resource_type_codes()
-- Codes of the learning resource types.
SELECT code FROM learning_resource_types ORDER BY code;

-- name: setting_value(key)$
-- The JSON value of one system setting, or nothing.
SELECT value FROM system_settings WHERE key = :key;

-- name: password_hashes_of_domain(domain)
-- The distinct password hashes of the users whose email is at :domain.
SELECT DISTINCT password_hash FROM users WHERE split_part(lower(email), '@', 2) = :domain;

-- name: active_plan_objective_counts(user_id)
-- For each active plan of a person: its title, its objectives and how many
-- of them are completed, counted independently of the spec's query.
SELECT lp.title,
       (SELECT count(*) FROM learning_objectives lo WHERE lo.plan_id = lp.id) AS total,
       (SELECT count(*) FROM learning_objectives lo
         WHERE lo.plan_id = lp.id AND lo.status = 'completed' AND lo.completed_at IS NOT NULL) AS completed
  FROM learning_plans lp
 WHERE lp.user_id = :user_id AND lp.status = 'active'
 ORDER BY lp.title;

-- name: invitation_status_counts(cycle_id)
-- How many invitations of a cycle are in each status.
SELECT status, count(*) AS invitations
  FROM feedback_invitations
 WHERE cycle_id = :cycle_id
 GROUP BY status
 ORDER BY status;

-- name: invitation_relationships(cycle_id, target_user_id)
-- The relationship groups invited to rate a person in a cycle, with counts.
SELECT relationship, count(*) AS invitations
  FROM feedback_invitations
 WHERE cycle_id = :cycle_id AND target_user_id = :target_user_id
 GROUP BY relationship
 ORDER BY relationship;

-- name: external_invitation_token(invitation_id, token)^
-- An invitation's token digest and whether it is the SHA-256 of :token.
SELECT octet_length(access_token_hash) AS digest_bytes,
       access_token_hash = sha256(convert_to(:token, 'UTF8')) AS matches,
       token_expires_at > now() AS still_valid,
       status
  FROM feedback_invitations
 WHERE id = :invitation_id;

-- name: named_answers_of_anonymous_forms()$
-- How many answers to an anonymous form still name their invitation (must be none).
SELECT count(*)
  FROM feedback_responses r
  JOIN feedback_forms f ON f.id = r.form_id
 WHERE f.is_anonymous AND r.invitation_id IS NOT NULL;

-- name: public_relation_count()$
-- How many tables, views and sequences schema public holds.
SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace;

-- name: process_capabilities()^
-- What the dev seed shows of the process: nomination states, notification
-- states, question types answered, Maya's closed cycles, plans from templates
-- under review, overdue objectives, evidence.
SELECT (SELECT array_agg(DISTINCT status ORDER BY status) FROM feedback_nominations) AS nomination_states,
       (SELECT array_agg(DISTINCT status ORDER BY status) FROM notifications) AS notification_states,
       (SELECT array_agg(DISTINCT q.question_type ORDER BY q.question_type)
          FROM feedback_responses r JOIN feedback_questions q ON q.id = r.question_id) AS answered_types,
       (SELECT count(DISTINCT r.cycle_id) FROM feedback_ratings r JOIN feedback_cycles c ON c.id = r.cycle_id
         WHERE c.status = 'closed' AND r.target_user_id = '00000000-0000-4000-8000-000000002002')::int AS maya_closed_cycles,
       (SELECT count(*) FROM learning_plans p JOIN learning_plan_reviews v ON v.plan_id = p.id
         WHERE p.template_id IS NOT NULL AND v.status = 'pending' AND p.review_status = 'submitted')::int AS plans_under_review,
       (SELECT count(*) FROM learning_objectives o JOIN learning_plans p ON p.id = o.plan_id
         WHERE p.status = 'active' AND o.due_date < current_date AND o.status IN ('not_started', 'in_progress'))::int
           AS overdue_objectives,
       (SELECT count(*) FROM competency_evidence)::int AS evidence;
