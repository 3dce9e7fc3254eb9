-- Queries of bench/scale.py (`make bench-scale`): what it measures on, and
-- the raw-driver side of its write comparisons.

-- name: scale_fixture()^
-- What the measured calls are about, in the first organization with a closed
-- cycle of an anonymous form: that cycle, the organization's active cycle and
-- both forms, a manager rated in both with an active plan (the target), its
-- top person (an admin, the acting person), that plan and a competency.
SELECT c.organization_id, c.id AS closed_cycle_id,
       (SELECT a.id FROM feedback_cycles a WHERE a.organization_id = c.organization_id
           AND a.status = 'active' ORDER BY a.starts_at DESC, a.id LIMIT 1) AS active_cycle_id,
       c.form_id,
       t.target_user_id,
       (SELECT u.id FROM users u JOIN user_organizations m ON m.user_id = u.id
         WHERE m.organization_id = c.organization_id AND u.manager_id IS NULL
         ORDER BY u.id LIMIT 1) AS admin_id,
       (SELECT p.id FROM learning_plans p WHERE p.user_id = t.target_user_id AND p.status = 'active'
         ORDER BY p.id LIMIT 1) AS plan_id,
       (SELECT q.competency_id FROM feedback_questions q WHERE q.form_id = c.form_id
           AND q.competency_id IS NOT NULL ORDER BY q.position LIMIT 1) AS competency_id,
       (SELECT r.id FROM roles r WHERE r.organization_id IS NULL AND r.name = 'employee') AS employee_role_id,
       (SELECT count(*) FROM users)::int AS people
  FROM feedback_cycles c
  JOIN feedback_forms f ON f.id = c.form_id AND f.is_anonymous
  CROSS JOIN LATERAL (
      SELECT i.target_user_id FROM feedback_invitations i
       WHERE i.cycle_id = c.id AND i.relationship = 'direct_report'
         -- Someone with a manager (not the acting top person) and an active
         -- plan, so that the reads have the same kind of answer on both sizes.
         AND EXISTS (SELECT 1 FROM users u JOIN learning_plans p ON p.user_id = u.id
                      WHERE u.id = i.target_user_id AND u.manager_id IS NOT NULL
                        AND p.status = 'active' AND p.deleted_at IS NULL)
       GROUP BY i.target_user_id
       ORDER BY count(*) DESC, i.target_user_id LIMIT 1) t
 WHERE c.status = 'closed'
 ORDER BY c.organization_id, c.id
 LIMIT 1;

-- name: open_invitations(limit)
-- Open invitations of active cycles with their rater and the questions of
-- their form (id, type): what a submission answers. Spread over organizations.
SELECT i.id, i.organization_id, i.rater_user_id,
       array_agg(q.id ORDER BY q.position) AS question_ids,
       array_agg(q.question_type::text ORDER BY q.position) AS question_types
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id AND c.status = 'active'
  JOIN feedback_questions q ON q.form_id = c.form_id
 WHERE i.status IN ('pending', 'started') AND i.rater_user_id IS NOT NULL
 GROUP BY i.id, i.organization_id, i.rater_user_id
 ORDER BY md5(i.id::text)
 LIMIT :limit;

-- name: raw_submit_answers(invitation_id, submission_id, answer_ids, question_ids, ratings, ciphertexts, key_id)!
-- The raw side of a submission, part 1: the answers, as submit_feedback
-- writes them (the invitation named unless the form is anonymous).
INSERT INTO feedback_responses
    (id, organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
     invitation_id, relationship, rating, comment_ciphertext, comment_key_id, created_at)
SELECT a.id, i.organization_id, i.cycle_id, c.form_id, a.question_id, i.target_user_id, :submission_id,
       CASE WHEN f.is_anonymous THEN NULL ELSE i.id END, i.relationship, a.rating, a.ciphertext,
       CASE WHEN a.ciphertext IS NOT NULL THEN CAST(:key_id AS text) END,
       CASE WHEN f.is_anonymous THEN date_trunc('day', now()) ELSE now() END
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id
  JOIN feedback_forms f ON f.id = c.form_id
  CROSS JOIN unnest(CAST(:answer_ids AS uuid[]), CAST(:question_ids AS uuid[]), CAST(:ratings AS smallint[]),
                    CAST(:ciphertexts AS bytea[])) AS a(id, question_id, rating, ciphertext)
 WHERE i.id = :invitation_id;

-- name: raw_submit_ratings(submission_id)!
-- Part 2: the competency ratings of the submission.
INSERT INTO feedback_ratings
    (organization_id, cycle_id, target_user_id, competency_id, submission_id, invitation_id,
     relationship, rating, answer_count, created_at)
SELECT r.organization_id, r.cycle_id, r.target_user_id, q.competency_id, r.submission_id, r.invitation_id,
       r.relationship, round(avg(r.rating), 2), count(*), min(r.created_at)
  FROM feedback_responses r
  JOIN feedback_questions q ON q.id = r.question_id
 WHERE r.submission_id = :submission_id AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
 GROUP BY r.organization_id, r.cycle_id, r.target_user_id, q.competency_id, r.submission_id,
          r.invitation_id, r.relationship;

-- name: raw_submit_complete(invitation_id)!
-- Part 3: the invitation completed.
UPDATE feedback_invitations
   SET status = 'completed', completed_at = now(), started_at = coalesce(started_at, now())
 WHERE id = :invitation_id;

-- name: database_bytes()$
-- The size of the current database.
SELECT pg_database_size(current_database());

-- name: data_directory()$
-- Where the server keeps its data (superuser or pg_read_all_settings).
SELECT current_setting('data_directory');

-- name: vacuum_analyze_all()!
-- After a load or a migration: fresh planner statistics, and a visibility map
-- that covers the loaded rows, so that index-only scans are measured as they
-- run once autovacuum has caught up, not while it is still working.
VACUUM (ANALYZE);

-- name: answers_to_insert_again#
-- For the trigger measurement: 20,000 answers of active cycles, copied into a
-- temporary table under submissions of their own, so that inserting them again
-- passes every constraint and trigger of feedback_responses.
CREATE TEMP TABLE answers_again AS
SELECT r.organization_id, r.cycle_id, r.form_id, r.question_id, r.target_user_id,
       md5(r.submission_id::text || 'again')::uuid AS submission_id, r.invitation_id, r.relationship,
       r.rating, r.comment, r.comment_ciphertext, r.comment_key_id, r.option_ids
  FROM feedback_responses r
  JOIN feedback_cycles c ON c.id = r.cycle_id AND c.status = 'active'
 LIMIT 20000;

-- name: count_answers_to_insert_again()$
SELECT count(*) FROM answers_again;

-- name: insert_answers_again()!
-- The measured insert (inside a transaction that is rolled back).
INSERT INTO feedback_responses (organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
                                invitation_id, relationship, rating, comment, comment_ciphertext, comment_key_id,
                                option_ids)
SELECT organization_id, cycle_id, form_id, question_id, target_user_id, submission_id,
       invitation_id, relationship, rating, comment, comment_ciphertext, comment_key_id, option_ids
  FROM answers_again;

-- name: without_table_triggers#
-- For the rest of the transaction: the table's own triggers off, its foreign keys still checked.
ALTER TABLE feedback_responses DISABLE TRIGGER USER;

-- name: without_any_trigger#
-- For the rest of the transaction: no trigger at all, the foreign keys' neither (a bare insert).
SET LOCAL session_replication_role = replica;

-- name: drop_answers_to_insert_again#
DROP TABLE IF EXISTS answers_again;
