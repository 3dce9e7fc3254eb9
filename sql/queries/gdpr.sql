-- GDPR export and erasure of one person (ikenei.gdpr), run as the tables'
-- owner. A person is every users row with their email (lower-cased, soft-
-- deleted accounts included) and every invitation that reached them as an
-- external rater by that email. The export queries each return one section
-- as a JSON array; an encrypted value comes as {"sealed": {table, column,
-- row_id, key_id, ciphertext (base64)}} for the application to decrypt (the
-- database has no key), or as text when it was stored before encryption.

-- name: begin_gdpr_export()!
-- Reads every section of the export from one snapshot (first statement of its transaction).
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;

-- name: find_gdpr_accounts(email, user_id)
-- The accounts with this email (case ignored) or this id, soft-deleted ones
-- too, the current one first: id, email, deleted_at.
SELECT id, email, deleted_at FROM users
 WHERE lower(email) = lower(:email) OR id = :user_id
 ORDER BY deleted_at DESC NULLS FIRST, created_at DESC, id;

-- name: lock_gdpr_accounts(email, user_id)
-- find_gdpr_accounts, locking those users rows until the transaction ends.
SELECT id, email, deleted_at FROM users
 WHERE lower(email) = lower(:email) OR id = :user_id
 ORDER BY deleted_at DESC NULLS FIRST, created_at DESC, id
   FOR UPDATE;

-- name: count_gdpr_rater_invitations(email)$
-- How many invitations reached this email as an external rater.
SELECT count(*)::int FROM feedback_invitations
 WHERE rater_user_id IS NULL AND lower(rater_email) = lower(:email);

-- name: lock_gdpr_rater_invitations(email)$
-- count_gdpr_rater_invitations, locking those invitations until the transaction ends.
WITH locked AS (
    SELECT id FROM feedback_invitations
     WHERE rater_user_id IS NULL AND lower(rater_email) = lower(:email)
       FOR UPDATE
)
SELECT count(*)::int FROM locked;

-- Export -----------------------------------------------------------------------

-- name: export_gdpr_accounts(user_ids)$
-- The person's users rows (every column but the password hash), with their manager's name.
SELECT coalesce(jsonb_agg(
           (to_jsonb(u) - 'password_hash')
           || jsonb_build_object('manager_name', nullif(concat_ws(' ', m.first_name, m.last_name), ''))
           ORDER BY u.deleted_at DESC NULLS FIRST, u.created_at DESC, u.id), '[]')
  FROM users u
  LEFT JOIN users m ON m.id = u.manager_id
 WHERE u.id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_memberships(user_ids)$
-- The person's organization memberships, with the organization's name.
SELECT coalesce(jsonb_agg(
           to_jsonb(uo) || jsonb_build_object('organization_name', o.name)
           ORDER BY uo.joined_at, uo.id), '[]')
  FROM user_organizations uo
  JOIN organizations o ON o.id = uo.organization_id
 WHERE uo.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_roles(user_ids)$
-- The roles the person holds, per organization.
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'user_id', ur.user_id, 'organization_id', ur.organization_id, 'organization_name', o.name,
           'role_id', r.id, 'role', r.name, 'description', r.description, 'permissions', r.permissions,
           'is_system', r.is_system, 'granted_by', ur.granted_by, 'granted_at', ur.granted_at)
           ORDER BY o.name, r.name, ur.id), '[]')
  FROM user_roles ur
  JOIN roles r ON r.id = ur.role_id
  JOIN organizations o ON o.id = ur.organization_id
 WHERE ur.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_competencies(user_ids)$
-- The person's competency levels, each with the competency's name and its history, oldest first.
SELECT coalesce(jsonb_agg(
           to_jsonb(uc) || jsonb_build_object(
               'competency_name', c.name,
               'organization_name', o.name,
               'history', (SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.recorded_at, h.id), '[]')
                             FROM user_competency_history h WHERE h.user_competency_id = uc.id))
           ORDER BY o.name, c.name, uc.id), '[]')
  FROM user_competencies uc
  JOIN competencies c ON c.id = uc.competency_id
  JOIN organizations o ON o.id = uc.organization_id
 WHERE uc.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_learning_plans(user_ids)$
-- The person's learning plans (deleted ones too), each with its objectives,
-- progress entries (notes sealed) and recommendations.
SELECT coalesce(jsonb_agg(
           to_jsonb(p) || jsonb_build_object(
               'organization_name', o.name,
               'objectives', (SELECT coalesce(jsonb_agg(to_jsonb(ob) ORDER BY ob.position, ob.id), '[]')
                                FROM learning_objectives ob WHERE ob.plan_id = p.id),
               'progress', (SELECT coalesce(jsonb_agg(
                                       (to_jsonb(lp) - 'notes' - 'notes_ciphertext' - 'notes_key_id')
                                       || jsonb_build_object('notes', CASE
                                              WHEN lp.notes_ciphertext IS NULL THEN to_jsonb(lp.notes)
                                              ELSE jsonb_build_object('sealed', jsonb_build_object(
                                                  'table', 'learning_progress', 'column', 'notes',
                                                  'row_id', lp.id, 'key_id', lp.notes_key_id,
                                                  'ciphertext', encode(lp.notes_ciphertext, 'base64')))
                                              END)
                                       ORDER BY lp.recorded_at, lp.id), '[]')
                              FROM learning_progress lp WHERE lp.plan_id = p.id),
               'recommendations', (SELECT coalesce(jsonb_agg(to_jsonb(rc) ORDER BY rc.created_at, rc.id), '[]')
                                     FROM recommendations rc WHERE rc.plan_id = p.id))
           ORDER BY p.created_at, p.id), '[]')
  FROM learning_plans p
  JOIN organizations o ON o.id = p.organization_id
 WHERE p.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_other_recommendations(user_ids)$
-- The person's recommendations that belong to no plan.
SELECT coalesce(jsonb_agg(to_jsonb(rc) ORDER BY rc.created_at, rc.id), '[]')
  FROM recommendations rc
 WHERE rc.user_id = ANY(:user_ids::uuid[]) AND rc.plan_id IS NULL;

-- name: export_gdpr_feedback_received(user_ids)$
-- Per cycle in which the person was rated: the cycle and its form, and on a
-- form that is not anonymous every answer with its rater's name (comments
-- sealed) and every invitation. On an anonymous form neither: nothing here
-- may tell who gave which answer (the application adds what results show).
WITH rated AS (
    SELECT target_user_id, cycle_id FROM feedback_invitations WHERE target_user_id = ANY(:user_ids::uuid[])
    UNION
    SELECT target_user_id, cycle_id FROM feedback_ratings WHERE target_user_id = ANY(:user_ids::uuid[])
    UNION
    SELECT target_user_id, cycle_id FROM feedback_responses WHERE target_user_id = ANY(:user_ids::uuid[])
)
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'user_id', x.target_user_id,
           'cycle_id', c.id, 'cycle_name', c.name, 'cycle_status', c.status,
           'starts_at', c.starts_at, 'ends_at', c.ends_at,
           'organization_id', c.organization_id, 'organization_name', o.name,
           'form_id', f.id, 'form_title', f.title, 'anonymous', f.is_anonymous,
           'anonymity_threshold', f.anonymity_threshold,
           'invitations', CASE WHEN f.is_anonymous THEN NULL ELSE (
               SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'invitation_id', i.id, 'relationship', i.relationship, 'status', i.status,
                          'rater_user_id', i.rater_user_id,
                          'rater_name', coalesce(nullif(concat_ws(' ', ru.first_name, ru.last_name), ''), i.rater_name),
                          'sent_at', i.sent_at, 'completed_at', i.completed_at, 'declined_at', i.declined_at)
                          ORDER BY i.relationship, i.created_at, i.id), '[]')
                 FROM feedback_invitations i
                 LEFT JOIN users ru ON ru.id = i.rater_user_id
                WHERE i.cycle_id = c.id AND i.target_user_id = x.target_user_id) END,
           'answers', CASE WHEN f.is_anonymous THEN NULL ELSE (
               SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'response_id', r.id, 'submission_id', r.submission_id,
                          'question_id', q.id, 'question_position', q.position, 'question_text', q.question_text,
                          'relationship', r.relationship, 'rating', r.rating,
                          'comment', CASE
                              WHEN r.comment_ciphertext IS NULL THEN to_jsonb(r.comment)
                              ELSE jsonb_build_object('sealed', jsonb_build_object(
                                  'table', 'feedback_responses', 'column', 'comment',
                                  'row_id', r.id, 'key_id', r.comment_key_id,
                                  'ciphertext', encode(r.comment_ciphertext, 'base64')))
                              END,
                          'rater_user_id', i.rater_user_id,
                          'rater_name', coalesce(nullif(concat_ws(' ', ru.first_name, ru.last_name), ''), i.rater_name),
                          'submitted_at', r.created_at)
                          ORDER BY r.relationship, r.submission_id, q.position, r.id), '[]')
                 FROM feedback_responses r
                 JOIN feedback_questions q ON q.id = r.question_id
                 LEFT JOIN feedback_invitations i ON i.id = r.invitation_id
                 LEFT JOIN users ru ON ru.id = i.rater_user_id
                WHERE r.cycle_id = c.id AND r.target_user_id = x.target_user_id) END)
           ORDER BY c.created_at, c.id, x.target_user_id), '[]')
  FROM rated x
  JOIN feedback_cycles c ON c.id = x.cycle_id
  JOIN feedback_forms f ON f.id = c.form_id
  JOIN organizations o ON o.id = c.organization_id;

-- name: export_gdpr_feedback_given(user_ids, email)$
-- Every invitation that asked the person to rate someone else (as a member or
-- as an external rater by email), with whom it was about; on a form that is
-- not anonymous also their answers (comments sealed). Answers on an anonymous
-- form are linked to no rater, so none can be given here.
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'invitation_id', i.id, 'rater_user_id', i.rater_user_id, 'rater_email', i.rater_email,
           'rater_name', i.rater_name, 'relationship', i.relationship, 'status', i.status,
           'cycle_id', c.id, 'cycle_name', c.name, 'organization_id', c.organization_id,
           'organization_name', o.name, 'form_title', f.title, 'anonymous', f.is_anonymous,
           'target_user_id', i.target_user_id,
           'target_name', concat_ws(' ', t.first_name, t.last_name),
           'sent_at', i.sent_at, 'started_at', i.started_at, 'completed_at', i.completed_at,
           'declined_at', i.declined_at, 'token_expires_at', i.token_expires_at,
           'answers', CASE WHEN f.is_anonymous THEN NULL ELSE (
               SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'response_id', r.id, 'question_id', q.id, 'question_position', q.position,
                          'question_text', q.question_text, 'rating', r.rating,
                          'comment', CASE
                              WHEN r.comment_ciphertext IS NULL THEN to_jsonb(r.comment)
                              ELSE jsonb_build_object('sealed', jsonb_build_object(
                                  'table', 'feedback_responses', 'column', 'comment',
                                  'row_id', r.id, 'key_id', r.comment_key_id,
                                  'ciphertext', encode(r.comment_ciphertext, 'base64')))
                              END,
                          'submitted_at', r.created_at)
                          ORDER BY q.position, r.id), '[]')
                 FROM feedback_responses r
                 JOIN feedback_questions q ON q.id = r.question_id
                WHERE r.invitation_id = i.id) END)
           ORDER BY c.created_at, c.id, i.created_at, i.id), '[]')
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id
  JOIN feedback_forms f ON f.id = c.form_id
  JOIN organizations o ON o.id = c.organization_id
  JOIN users t ON t.id = i.target_user_id
 WHERE i.relationship <> 'self'
   AND (i.rater_user_id = ANY(:user_ids::uuid[])
        OR (i.rater_user_id IS NULL AND lower(i.rater_email) = lower(:email)));

-- name: export_gdpr_consents(user_ids)$
-- The person's consents, withdrawn ones included, oldest first.
SELECT coalesce(jsonb_agg(to_jsonb(uc) ORDER BY uc.granted_at, uc.id), '[]')
  FROM user_consents uc
 WHERE uc.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_analytics_events(user_ids)$
-- The analytics events recorded for the person, oldest first.
SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.occurred_at, e.id), '[]')
  FROM analytics_events e
 WHERE e.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_dashboard_widgets(user_ids)$
-- The person's dashboard widgets.
SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.organization_id, w.position), '[]')
  FROM dashboard_widgets w
 WHERE w.user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_reports_requested(user_ids)$
-- The reports the person asked for (what and when, not their contents, which describe others).
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'report_id', rp.id, 'organization_id', rp.organization_id, 'report_type', rp.report_type,
           'title', rp.title, 'status', rp.status, 'requested_by', rp.requested_by,
           'created_at', rp.created_at, 'completed_at', rp.completed_at)
           ORDER BY rp.created_at, rp.id), '[]')
  FROM reports rp
 WHERE rp.requested_by = ANY(:user_ids::uuid[]);

-- name: export_gdpr_data_access(user_ids)$
-- Who viewed the person's sensitive data (results, exports), and when.
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'actor', a.actor, 'organization_id', a.organization_id, 'subject_user_id', a.subject_user_id,
           'what', a.what, 'occurred_at', a.occurred_at)
           ORDER BY a.occurred_at, a.id), '[]')
  FROM data_access_log a
 WHERE a.subject_user_id = ANY(:user_ids::uuid[]);

-- name: export_gdpr_processing(user_ids, subject_reference)$
-- The earlier exports and erasures of the person's data.
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'operation', p.operation, 'subject_user_id', p.subject_user_id, 'actor', p.actor,
           'details', p.details, 'occurred_at', p.occurred_at)
           ORDER BY p.occurred_at, p.id), '[]')
  FROM data_processing_log p
 WHERE p.subject_user_id = ANY(:user_ids::uuid[]) OR p.subject_reference = :subject_reference;

-- Erasure ----------------------------------------------------------------------

-- name: gdpr_person_names(user_ids, email)$
-- The full names the person is known by: their account's, and those their
-- invitations as an external rater gave them.
SELECT coalesce(array_agg(DISTINCT n.name ORDER BY n.name), '{}')
  FROM (SELECT concat_ws(' ', first_name, last_name) AS name
          FROM users WHERE id = ANY(:user_ids::uuid[])
        UNION
        SELECT rater_name FROM feedback_invitations
         WHERE rater_user_id IS NULL AND lower(rater_email) = lower(:email)) n
 WHERE n.name IS NOT NULL AND btrim(n.name) <> '';

-- name: gdpr_mentions_pattern(user_ids, emails, names)$
-- The regular expression of every form the person is written in (person_mentions_pattern), or NULL.
SELECT person_mentions_pattern(:user_ids::uuid[], :emails::text[], :names::text[]);

-- name: enable_gdpr_log_rewrite()$
-- Lets this transaction, and it alone, delete and rewrite the log entries
-- that name the erased person (refuse_log_change, as for the retention run).
SELECT set_config('ikenei.retention', 'on', true);

-- name: delete_gdpr_account_audit(user_ids)$
-- Deletes the audit entries of the person's users rows (their creation, changes and deletion); how many.
WITH gone AS (
    DELETE FROM audit_log
     WHERE table_name = 'users' AND row_id IN (SELECT u::text FROM unnest(:user_ids::uuid[]) AS u)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: delete_gdpr_data_access(user_ids)$
-- Deletes the logged reads of the person's data (who viewed it concerns them alone); how many.
WITH gone AS (
    DELETE FROM data_access_log WHERE subject_user_id = ANY(:user_ids::uuid[]) RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: erase_gdpr_mentions(user_ids, pattern)
-- Removes the person's id, email and name from every column of every table
-- (erase_person_mentions): the columns it changed and in how many rows.
SELECT column_name, rows_changed::int AS rows_changed
  FROM erase_person_mentions(:user_ids::uuid[], :pattern);

-- name: redact_gdpr_mentions(texts, pattern)
-- Of the texts, those the pattern finds the person in (by ordinal, from 1),
-- each with every match replaced by [erased person].
SELECT t.ordinal::int AS ordinal, regexp_replace(t.body, :pattern, '[erased person]', 'gi') AS body
  FROM unnest(:texts::text[]) WITH ORDINALITY AS t(body, ordinal)
 WHERE t.body ~* :pattern
 ORDER BY t.ordinal;

-- name: enable_gdpr_erasure()$
-- Lets this transaction, and it alone, remove the erased person's comments from submitted answers (refuse_feedback_edit).
SELECT set_config('ikenei.erasure', 'on', true);

-- name: count_gdpr_personal_rows(user_ids, email)$
-- How many rows of each kind hold the person's data, as a JSON object: what an erasure removes.
SELECT jsonb_build_object(
    'accounts', (SELECT count(*) FROM users WHERE id = ANY(:user_ids::uuid[])),
    'memberships', (SELECT count(*) FROM user_organizations WHERE user_id = ANY(:user_ids::uuid[])),
    'role_assignments', (SELECT count(*) FROM user_roles WHERE user_id = ANY(:user_ids::uuid[])),
    'competency_levels', (SELECT count(*) FROM user_competencies WHERE user_id = ANY(:user_ids::uuid[])),
    'competency_history', (SELECT count(*) FROM user_competency_history WHERE user_id = ANY(:user_ids::uuid[])),
    'invitations_received', (SELECT count(*) FROM feedback_invitations
                              WHERE target_user_id = ANY(:user_ids::uuid[])),
    'answers_received', (SELECT count(*) FROM feedback_responses WHERE target_user_id = ANY(:user_ids::uuid[])),
    'ratings_received', (SELECT count(*) FROM feedback_ratings WHERE target_user_id = ANY(:user_ids::uuid[])),
    'invitations_given', (SELECT count(*) FROM feedback_invitations
                           WHERE relationship <> 'self'
                             AND (rater_user_id = ANY(:user_ids::uuid[])
                                  OR (rater_user_id IS NULL AND lower(rater_email) = lower(:email)))),
    'learning_plans', (SELECT count(*) FROM learning_plans WHERE user_id = ANY(:user_ids::uuid[])),
    'learning_progress', (SELECT count(*) FROM learning_progress WHERE user_id = ANY(:user_ids::uuid[])),
    'recommendations', (SELECT count(*) FROM recommendations WHERE user_id = ANY(:user_ids::uuid[])),
    'consents', (SELECT count(*) FROM user_consents WHERE user_id = ANY(:user_ids::uuid[])),
    'analytics_events', (SELECT count(*) FROM analytics_events WHERE user_id = ANY(:user_ids::uuid[])),
    'dashboard_widgets', (SELECT count(*) FROM dashboard_widgets WHERE user_id = ANY(:user_ids::uuid[])));

-- name: erase_gdpr_given_comments(user_ids, email)$
-- Removes the comments the person wrote about others on forms that are not
-- anonymous (the answers that still name their invitation): an answer with a
-- rating keeps it and loses its comment, an answer that was only a comment is
-- deleted. How many answers lost a comment. Needs enable_gdpr_erasure.
WITH theirs AS (
    SELECT r.id, r.rating IS NOT NULL AS rated
      FROM feedback_responses r
      JOIN feedback_invitations i ON i.id = r.invitation_id
     WHERE i.relationship <> 'self'
       AND (i.rater_user_id = ANY(:user_ids::uuid[])
            OR (i.rater_user_id IS NULL AND lower(i.rater_email) = lower(:email)))
       AND (r.comment IS NOT NULL OR r.comment_ciphertext IS NOT NULL)
), cleared AS (
    UPDATE feedback_responses r
       SET comment = NULL, comment_ciphertext = NULL, comment_key_id = NULL
      FROM theirs t
     WHERE r.id = t.id AND t.rated
    RETURNING 1
), dropped AS (
    DELETE FROM feedback_responses r USING theirs t
     WHERE r.id = t.id AND NOT t.rated
    RETURNING 1
)
SELECT ((SELECT count(*) FROM cleared) + (SELECT count(*) FROM dropped))::int;

-- name: delete_gdpr_external_invitations(email)$
-- Deletes the invitations that reached the person as an external rater by
-- email (their answers stay, no longer linked to anyone); how many.
WITH gone AS (
    DELETE FROM feedback_invitations
     WHERE rater_user_id IS NULL AND lower(rater_email) = lower(:email)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: delete_gdpr_analytics_events(user_ids)$
-- Deletes the person's analytics events (the foreign key would only unlink them); how many.
WITH gone AS (
    DELETE FROM analytics_events WHERE user_id = ANY(:user_ids::uuid[]) RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: delete_gdpr_accounts(user_ids)$
-- Deletes the person's users rows; the foreign keys delete everything that is
-- theirs (memberships, roles, levels and history, invitations and feedback
-- about them, their invitations as a rater, plans, consents, widgets) and
-- unlink them from what stays (manager of, granted by, created by, set by,
-- requested by). How many accounts.
WITH gone AS (
    DELETE FROM users WHERE id = ANY(:user_ids::uuid[]) RETURNING 1
)
SELECT count(*)::int FROM gone;
