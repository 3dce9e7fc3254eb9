-- Test-only queries of tests/test_seed_scale.py: the shape of a generated load.

-- name: table_digests()
-- An md5 of every generated table's rows in id order, without what differs
-- between two loads of the same seed by design (updated_at stamps, the
-- ciphertexts of comments with their fresh nonces, the events' identity).
SELECT 'organizations' AS table_name, md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) AS digest FROM organizations t
UNION ALL SELECT 'users', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM users t
UNION ALL SELECT 'user_organizations', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM user_organizations t
UNION ALL SELECT 'user_roles', md5(string_agg(to_jsonb(t)::text, ',' ORDER BY t.id)) FROM user_roles t
UNION ALL SELECT 'competencies', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM competencies t
UNION ALL SELECT 'competency_levels', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM competency_levels t
UNION ALL SELECT 'feedback_forms', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM feedback_forms t
UNION ALL SELECT 'feedback_questions', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM feedback_questions t
UNION ALL SELECT 'feedback_cycles', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM feedback_cycles t
UNION ALL SELECT 'feedback_invitations', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM feedback_invitations t
UNION ALL SELECT 'feedback_responses', md5(string_agg((to_jsonb(t) - 'comment_ciphertext')::text, ',' ORDER BY t.id)) FROM feedback_responses t
UNION ALL SELECT 'feedback_ratings', md5(string_agg(to_jsonb(t)::text, ',' ORDER BY t.id)) FROM feedback_ratings t
UNION ALL SELECT 'learning_plans', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM learning_plans t
UNION ALL SELECT 'learning_objectives', md5(string_agg((to_jsonb(t) - 'updated_at')::text, ',' ORDER BY t.id)) FROM learning_objectives t
UNION ALL SELECT 'analytics_events', md5(string_agg((to_jsonb(t) - 'id')::text, ',' ORDER BY (to_jsonb(t) - 'id')::text)) FROM analytics_events t
ORDER BY 1;

-- name: people_without_invitations()
-- Per relationship, the members rated in a cycle without one: every member
-- rates themselves and has peers; every member but the top one has a
-- manager; every member with reports is rated by them.
SELECT x.relationship, count(*)::int AS missing
  FROM (SELECT 'self' AS relationship UNION ALL SELECT 'peer' UNION ALL SELECT 'manager'
        UNION ALL SELECT 'direct_report') x
  JOIN feedback_cycles c ON true
  JOIN user_organizations m ON m.organization_id = c.organization_id
  JOIN users u ON u.id = m.user_id
 WHERE (x.relationship IN ('self', 'peer')
        OR x.relationship = 'manager' AND u.manager_id IS NOT NULL
        OR x.relationship = 'direct_report' AND EXISTS (SELECT 1 FROM users r WHERE r.manager_id = u.id))
   AND NOT EXISTS (SELECT 1 FROM feedback_invitations i
                    WHERE i.cycle_id = c.id AND i.target_user_id = u.id AND i.relationship = x.relationship)
 GROUP BY x.relationship
 ORDER BY 1;

-- name: completion()$
-- The share of invitations completed.
SELECT round(avg((status = 'completed')::int), 3)::float8 FROM feedback_invitations;

-- name: stored_comments()
-- Every stored comment as stored: the answer's id, its ciphertext and key.
SELECT id, comment_ciphertext, comment_key_id FROM feedback_responses
 WHERE comment_ciphertext IS NOT NULL ORDER BY id;

-- name: events_per_organization()
-- Analytics events and members of each organization.
SELECT o.id AS organization_id,
       (SELECT count(*) FROM analytics_events e WHERE e.organization_id = o.id)::int AS events,
       (SELECT count(*) FROM user_organizations m WHERE m.organization_id = o.id)::int AS members,
       (SELECT count(DISTINCT date_trunc('month', e.occurred_at)) FROM analytics_events e
         WHERE e.organization_id = o.id)::int AS months
  FROM organizations o ORDER BY o.id;

-- name: anonymous_answers()
-- Per form kind and cycle status: answers, those naming an invitation, their
-- audit entries, and how many distinct days they are dated.
SELECT f.is_anonymous, c.status, count(*)::int AS answers,
       count(r.invitation_id)::int AS with_invitation,
       (SELECT count(*) FROM audit_log a
         WHERE a.table_name = 'feedback_responses'
           AND a.row_id IN (SELECT r2.id::text FROM feedback_responses r2
                             JOIN feedback_cycles c2 ON c2.id = r2.cycle_id
                             JOIN feedback_forms f2 ON f2.id = c2.form_id
                            WHERE f2.is_anonymous = f.is_anonymous AND c2.status = c.status))::int AS audited,
       bool_and(c.status <> 'closed' OR NOT f.is_anonymous
                OR r.created_at = date_trunc('day', c.closed_at)) AS dated_at_close
  FROM feedback_responses r
  JOIN feedback_cycles c ON c.id = r.cycle_id
  JOIN feedback_forms f ON f.id = c.form_id
 GROUP BY f.is_anonymous, c.status
 ORDER BY 1, 2;

-- name: closed_anonymous_cycle()^
-- A closed cycle of an anonymous form with a person rated in it, and the
-- organization's admin (person 1: no manager).
SELECT c.id AS cycle_id, c.organization_id, i.target_user_id,
       (SELECT u.id FROM users u JOIN user_organizations m ON m.user_id = u.id
         WHERE m.organization_id = c.organization_id AND u.manager_id IS NULL) AS admin_id
  FROM feedback_cycles c
  JOIN feedback_forms f ON f.id = c.form_id AND f.is_anonymous
  JOIN feedback_invitations i ON i.cycle_id = c.id AND i.relationship = 'direct_report'
 WHERE c.status = 'closed'
 ORDER BY c.id, i.target_user_id
 LIMIT 1;

-- name: people_count()$
-- How many people exist.
SELECT count(*)::int FROM users;
