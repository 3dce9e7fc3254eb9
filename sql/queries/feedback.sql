-- The 360-degree feedback process: forms and their ordered questions, cycles
-- and their status moves, invitations to raters, submissions and results.
--
-- Status changes are guarded here (`WHERE status = ...`), so of two racing
-- callers exactly one changes the row; the triggers of the schema refuse any
-- move these queries do not make. Submitting, declining, what an external
-- rater's token opens, and results are functions of the schema that check
-- who asks. Results never leave the database for a rater group smaller than
-- the form's anonymity_threshold: such a group is folded into "others", and
-- "others" is dropped when it is still too small. No result query returns an
-- invitation or rater id.

-- Forms ---------------------------------------------------------------------

-- name: create_feedback_form(organization_id, title, description, form_type, is_anonymous, anonymity_threshold, is_active, settings, created_by)^
-- Inserts a form; returns it.
INSERT INTO feedback_forms
    (organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
     is_active, settings, created_by)
VALUES (:organization_id, :title, :description, :form_type, :is_anonymous, :anonymity_threshold,
        :is_active, coalesce(:settings::jsonb, '{}'), :created_by)
RETURNING id, organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
          is_active, settings, created_by, created_at, updated_at;

-- name: get_feedback_form(form_id)^
-- One form by id, or nothing (also when soft-deleted).
SELECT id, organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
       is_active, settings, created_by, created_at, updated_at
  FROM feedback_forms
 WHERE id = :form_id AND deleted_at IS NULL;

-- name: list_feedback_forms(organization_id, is_active, limit, offset)
-- A page of an organization's forms in creation order; is_active NULL lists all.
SELECT id, organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
       is_active, settings, created_by, created_at, updated_at
  FROM feedback_forms
 WHERE organization_id = :organization_id AND deleted_at IS NULL
   AND (:is_active::boolean IS NULL OR is_active = :is_active)
 ORDER BY created_at, id
 LIMIT :limit OFFSET :offset;

-- name: update_feedback_form(form_id, title, description, form_type, is_anonymous, anonymity_threshold, is_active, settings)^
-- Replaces the editable fields of a form; returns it, or nothing if absent.
UPDATE feedback_forms
   SET title = :title, description = :description, form_type = :form_type,
       is_anonymous = :is_anonymous, anonymity_threshold = :anonymity_threshold,
       is_active = :is_active, settings = :settings
 WHERE id = :form_id AND deleted_at IS NULL
RETURNING id, organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
          is_active, settings, created_by, created_at, updated_at;

-- name: soft_delete_feedback_form(form_id)$
-- Marks a form deleted and inactive; returns its id, or nothing if absent.
UPDATE feedback_forms SET deleted_at = now(), is_active = false
 WHERE id = :form_id AND deleted_at IS NULL
RETURNING id;

-- Questions -----------------------------------------------------------------

-- name: add_feedback_question(form_id, position, question_text, question_type, competency_id, scale_min, scale_max, is_required)^
-- Adds a question to a form at position (NULL: after the last); a rating question's scale defaults to 1-5.
INSERT INTO feedback_questions
    (organization_id, form_id, position, question_text, question_type, competency_id,
     scale_min, scale_max, is_required)
SELECT f.organization_id, f.id,
       coalesce(:position::smallint,
                (SELECT coalesce(max(q.position), 0) + 1 FROM feedback_questions q WHERE q.form_id = f.id)),
       :question_text::text, :question_type::text, :competency_id::uuid,
       CASE WHEN :question_type::text = 'rating' THEN coalesce(:scale_min::smallint, 1) ELSE :scale_min::smallint END,
       CASE WHEN :question_type::text = 'rating' THEN coalesce(:scale_max::smallint, 5) ELSE :scale_max::smallint END,
       :is_required::boolean
  FROM feedback_forms f
 WHERE f.id = :form_id AND f.deleted_at IS NULL
RETURNING id, organization_id, form_id, position, question_text, question_type, competency_id,
          scale_min, scale_max, is_required, created_at, updated_at;

-- name: get_feedback_question(question_id)^
-- One question by id, or nothing.
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, created_at, updated_at
  FROM feedback_questions
 WHERE id = :question_id;

-- name: list_feedback_questions(form_id)
-- The questions of a form in their order.
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, created_at, updated_at
  FROM feedback_questions
 WHERE form_id = :form_id
 ORDER BY position;

-- name: update_feedback_question(question_id, question_text, question_type, competency_id, scale_min, scale_max, is_required)^
-- Replaces the editable fields of a question (not its position); returns it, or nothing.
UPDATE feedback_questions
   SET question_text = :question_text, question_type = :question_type, competency_id = :competency_id,
       scale_min = :scale_min, scale_max = :scale_max, is_required = :is_required
 WHERE id = :question_id
RETURNING id, organization_id, form_id, position, question_text, question_type, competency_id,
          scale_min, scale_max, is_required, created_at, updated_at;

-- name: delete_feedback_question(question_id)$
-- Deletes a question; returns its id, or nothing if absent.
DELETE FROM feedback_questions WHERE id = :question_id RETURNING id;

-- name: reorder_feedback_questions(form_id, question_ids)
-- Numbers a form's questions 1..n in the order given, in one statement (the
-- position key is checked at its end); changes nothing and returns nothing
-- unless question_ids names every question of the form exactly once.
WITH wanted AS (
    SELECT t.id, t.ord::smallint AS position
      FROM unnest(:question_ids::uuid[]) WITH ORDINALITY AS t(id, ord)
), form_questions AS (
    SELECT id FROM feedback_questions WHERE form_id = :form_id
), complete AS (
    SELECT (SELECT count(DISTINCT id) FROM wanted) = (SELECT count(*) FROM wanted)
       AND (SELECT count(*) FROM wanted) = (SELECT count(*) FROM form_questions)
       AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.id NOT IN (SELECT id FROM form_questions)) AS ok
), moved AS (
    UPDATE feedback_questions q
       SET position = w.position
      FROM wanted w, complete
     WHERE q.id = w.id AND q.form_id = :form_id AND complete.ok
    RETURNING q.id, q.organization_id, q.form_id, q.position, q.question_text, q.question_type,
              q.competency_id, q.scale_min, q.scale_max, q.is_required, q.created_at, q.updated_at
)
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, created_at, updated_at
  FROM moved
 ORDER BY position;

-- Cycles --------------------------------------------------------------------

-- name: create_feedback_cycle(form_id, name, description, starts_at, ends_at, created_by)^
-- Inserts a draft cycle on a form (of the form's organization); nothing if the form is absent.
INSERT INTO feedback_cycles (organization_id, form_id, name, description, starts_at, ends_at, created_by)
SELECT f.organization_id, f.id, :name::text, :description::text, :starts_at::timestamptz,
       :ends_at::timestamptz, :created_by::uuid
  FROM feedback_forms f
 WHERE f.id = :form_id AND f.deleted_at IS NULL
RETURNING id, organization_id, form_id, name, description, status, starts_at, ends_at,
          activated_at, closed_at, created_by, created_at, updated_at;

-- name: get_feedback_cycle(cycle_id)^
-- One cycle by id, or nothing.
SELECT id, organization_id, form_id, name, description, status, starts_at, ends_at,
       activated_at, closed_at, created_by, created_at, updated_at
  FROM feedback_cycles
 WHERE id = :cycle_id;

-- name: get_feedback_cycle_status(cycle_id)$
-- The status of a cycle, or nothing if absent: why a guarded change did not happen.
SELECT status FROM feedback_cycles WHERE id = :cycle_id;

-- name: list_feedback_cycles(organization_id, status, form_id, limit, offset)
-- A page of an organization's cycles, newest first; status / form_id NULL do not filter.
SELECT id, organization_id, form_id, name, description, status, starts_at, ends_at,
       activated_at, closed_at, created_by, created_at, updated_at
  FROM feedback_cycles
 WHERE organization_id = :organization_id
   AND (:status::text IS NULL OR status = :status)
   AND (:form_id::uuid IS NULL OR form_id = :form_id)
 ORDER BY created_at DESC, id DESC
 LIMIT :limit OFFSET :offset;

-- name: update_feedback_cycle(cycle_id, name, description, starts_at, ends_at)^
-- Replaces the name, description and dates of a draft cycle; nothing if absent or not draft.
UPDATE feedback_cycles
   SET name = :name, description = :description, starts_at = :starts_at, ends_at = :ends_at
 WHERE id = :cycle_id AND status = 'draft'
RETURNING id, organization_id, form_id, name, description, status, starts_at, ends_at,
          activated_at, closed_at, created_by, created_at, updated_at;

-- name: activate_feedback_cycle(cycle_id)^
-- Moves a draft cycle to active; nothing if absent or not draft.
UPDATE feedback_cycles SET status = 'active', activated_at = now()
 WHERE id = :cycle_id AND status = 'draft'
RETURNING id, organization_id, form_id, name, description, status, starts_at, ends_at,
          activated_at, closed_at, created_by, created_at, updated_at;

-- name: close_feedback_cycle(cycle_id)^
-- Moves an active cycle to closed; nothing if absent or not active.
UPDATE feedback_cycles SET status = 'closed', closed_at = now()
 WHERE id = :cycle_id AND status = 'active'
RETURNING id, organization_id, form_id, name, description, status, starts_at, ends_at,
          activated_at, closed_at, created_by, created_at, updated_at;

-- name: cancel_feedback_cycle(cycle_id)^
-- Moves a draft or active cycle to cancelled; nothing if absent or already over.
UPDATE feedback_cycles SET status = 'cancelled', closed_at = now()
 WHERE id = :cycle_id AND status IN ('draft', 'active')
RETURNING id, organization_id, form_id, name, description, status, starts_at, ends_at,
          activated_at, closed_at, created_by, created_at, updated_at;

-- Invitations ---------------------------------------------------------------

-- name: create_feedback_invitation(cycle_id, target_user_id, rater_user_id, rater_email, rater_name, relationship, access_token_hash, token_expires_at)^
-- Invites a rater to a draft or active cycle; a token's expiry defaults to the
-- cycle's end, else 30 days. Nothing if the cycle is absent or over.
INSERT INTO feedback_invitations
    (organization_id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name,
     relationship, access_token_hash, token_expires_at)
SELECT c.organization_id, c.id, :target_user_id::uuid, :rater_user_id::uuid, :rater_email::text,
       :rater_name::text, :relationship::text, :access_token_hash::bytea,
       CASE WHEN :access_token_hash::bytea IS NOT NULL
            THEN coalesce(:token_expires_at::timestamptz, c.ends_at, now() + interval '30 days') END
  FROM feedback_cycles c
 WHERE c.id = :cycle_id AND c.status IN ('draft', 'active')
RETURNING id, organization_id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name,
          relationship, status, token_expires_at, reminder_count, last_reminded_at, sent_at,
          started_at, completed_at, declined_at, created_at, updated_at;

-- name: get_feedback_invitation(invitation_id)^
-- One invitation by id, or nothing.
SELECT id, organization_id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name,
       relationship, status, token_expires_at, reminder_count, last_reminded_at, sent_at,
       started_at, completed_at, declined_at, created_at, updated_at
  FROM feedback_invitations
 WHERE id = :invitation_id;

-- name: get_feedback_invitation_by_token(access_token_hash)^
-- What the holder of an access token may see of its open invitation: form, person rated, relationship, status, expiry (refused with IK404/IK409 otherwise).
SELECT id, cycle_id, form_id, form_title, is_anonymous, target_name, relationship, status, token_expires_at
  FROM feedback_invitation_of_token(:access_token_hash::bytea);

-- name: list_feedback_questions_by_token(access_token_hash)
-- The questions of the form of the open invitation an access token opens, in their order.
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, created_at, updated_at
  FROM feedback_questions_of_token(:access_token_hash::bytea);

-- name: get_feedback_invitation_state(invitation_id)^
-- An invitation's status, its cycle's status and whether its token expired: why a guarded change did not happen.
SELECT i.status, c.status AS cycle_status, coalesce(i.token_expires_at <= now(), false) AS token_expired
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id
 WHERE i.id = :invitation_id;

-- name: mark_feedback_invitation_sent(invitation_id)^
-- Notes when an open invitation of an active cycle was first sent; nothing otherwise.
UPDATE feedback_invitations i
   SET sent_at = coalesce(i.sent_at, now())
  FROM feedback_cycles c
 WHERE i.id = :invitation_id AND i.status IN ('pending', 'started')
   AND c.id = i.cycle_id AND c.status = 'active'
RETURNING i.id, i.organization_id, i.cycle_id, i.target_user_id, i.rater_user_id, i.rater_email,
          i.rater_name, i.relationship, i.status, i.token_expires_at, i.reminder_count,
          i.last_reminded_at, i.sent_at, i.started_at, i.completed_at, i.declined_at,
          i.created_at, i.updated_at;

-- name: start_feedback_invitation(invitation_id)^
-- Marks an open invitation of an active cycle started (again: idempotent);
-- nothing if absent, answered, declined, expired, or the cycle is not active.
UPDATE feedback_invitations i
   SET status = 'started', started_at = coalesce(i.started_at, now())
  FROM feedback_cycles c
 WHERE i.id = :invitation_id AND i.status IN ('pending', 'started')
   AND (i.token_expires_at IS NULL OR i.token_expires_at > now())
   AND c.id = i.cycle_id AND c.status = 'active'
RETURNING i.id, i.organization_id, i.cycle_id, i.target_user_id, i.rater_user_id, i.rater_email,
          i.rater_name, i.relationship, i.status, i.token_expires_at, i.reminder_count,
          i.last_reminded_at, i.sent_at, i.started_at, i.completed_at, i.declined_at,
          i.created_at, i.updated_at;

-- name: decline_feedback_invitation(invitation_id, access_token_hash)^
-- Declines an open invitation for its rater (the acting person, or the scope's token); refused with IK404/IK403/IK409.
SELECT id, organization_id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name,
       relationship, status, token_expires_at, reminder_count, last_reminded_at, sent_at,
       started_at, completed_at, declined_at, created_at, updated_at
  FROM decline_feedback(:invitation_id::uuid, :access_token_hash::bytea);

-- name: record_feedback_reminder(invitation_id)^
-- Counts a reminder sent for an open invitation of an active cycle; nothing otherwise.
UPDATE feedback_invitations i
   SET reminder_count = i.reminder_count + 1, last_reminded_at = now()
  FROM feedback_cycles c
 WHERE i.id = :invitation_id AND i.status IN ('pending', 'started')
   AND c.id = i.cycle_id AND c.status = 'active'
RETURNING i.id, i.organization_id, i.cycle_id, i.target_user_id, i.rater_user_id, i.rater_email,
          i.rater_name, i.relationship, i.status, i.token_expires_at, i.reminder_count,
          i.last_reminded_at, i.sent_at, i.started_at, i.completed_at, i.declined_at,
          i.created_at, i.updated_at;

-- name: expire_overdue_feedback_invitations(cycle_id)!
-- Expires the open invitations of a cycle whose token expired or whose cycle ended (or is over).
UPDATE feedback_invitations i
   SET status = 'expired'
  FROM feedback_cycles c
 WHERE i.cycle_id = :cycle_id AND i.status IN ('pending', 'started')
   AND c.id = i.cycle_id
   AND (i.token_expires_at <= now() OR c.ends_at <= now() OR c.status IN ('closed', 'cancelled'));

-- name: list_feedback_pending_raters(cycle_id, quiet_period, limit, offset)
-- Who still has to answer in an active cycle (open invitations, token not
-- expired), least recently contacted first; with quiet_period, only those not
-- sent or reminded within it.
SELECT i.id AS invitation_id, i.target_user_id,
       t.first_name || ' ' || t.last_name AS target_name,
       i.rater_user_id,
       coalesce(r.first_name || ' ' || r.last_name, i.rater_name) AS rater_name,
       coalesce(r.email, i.rater_email) AS rater_email,
       i.relationship, i.status, i.reminder_count, i.last_reminded_at, i.sent_at, i.token_expires_at
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id AND c.status = 'active'
  JOIN users t ON t.id = i.target_user_id
  LEFT JOIN users r ON r.id = i.rater_user_id
 WHERE i.cycle_id = :cycle_id AND i.status IN ('pending', 'started')
   AND (i.token_expires_at IS NULL OR i.token_expires_at > now())
   AND (:quiet_period::interval IS NULL
        OR coalesce(i.last_reminded_at, i.sent_at) IS NULL
        OR coalesce(i.last_reminded_at, i.sent_at) <= now() - :quiet_period::interval)
 ORDER BY coalesce(i.last_reminded_at, i.sent_at) NULLS FIRST, i.id
 LIMIT :limit OFFSET :offset;

-- name: list_feedback_cycle_invitations(cycle_id, status, relationship, limit, offset)
-- A page of a cycle's invitations with target and rater names, by target then
-- relationship; status / relationship NULL do not filter.
SELECT i.id, i.cycle_id, i.target_user_id,
       t.first_name || ' ' || t.last_name AS target_name,
       i.rater_user_id,
       coalesce(r.first_name || ' ' || r.last_name, i.rater_name) AS rater_name,
       coalesce(r.email, i.rater_email) AS rater_email,
       i.relationship, i.status, i.token_expires_at, i.reminder_count, i.last_reminded_at,
       i.sent_at, i.started_at, i.completed_at, i.declined_at
  FROM feedback_invitations i
  JOIN users t ON t.id = i.target_user_id
  LEFT JOIN users r ON r.id = i.rater_user_id
 WHERE i.cycle_id = :cycle_id
   AND (:status::text IS NULL OR i.status = :status)
   AND (:relationship::text IS NULL OR i.relationship = :relationship)
 ORDER BY t.last_name, t.first_name, i.target_user_id,
          array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external']::text[], i.relationship::text),
          r.last_name NULLS LAST, r.first_name NULLS LAST, i.rater_name, i.id
 LIMIT :limit OFFSET :offset;

-- Submitting ----------------------------------------------------------------

-- name: submit_feedback(invitation_id, access_token_hash, answers)$
-- Writes one whole submission (answers, competency ratings, invitation
-- completed) or nothing; returns the submission id.
SELECT submit_feedback(:invitation_id, :access_token_hash::bytea, :answers::jsonb);

-- Results -------------------------------------------------------------------
-- Each results query also records the read in data_access_log (what:
-- feedback.analysis, feedback.results_by_group, feedback.comments) with the
-- transaction's actor, else the database role, as who read it.

-- name: get_feedback_analysis(target_user_id, cycle_id)
-- The seed's feedback analysis per competency, from the answers: average,
-- count and standard deviation of the ratings of other people, and the
-- person's own rating beside them. Only answers of rater groups that results
-- by group show (on their own or within "others") are counted, so the two
-- cannot be subtracted to uncover a hidden group.
WITH threshold AS (
    SELECT f.anonymity_threshold AS n
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = :cycle_id
), logged AS (
    -- A read of sensitive results, logged in the same statement.
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user),
           c.organization_id, :target_user_id, 'feedback.analysis'
      FROM feedback_cycles c
     WHERE c.id = :cycle_id
), answers AS (
    SELECT q.competency_id, r.relationship, r.submission_id, r.rating
      FROM feedback_responses r
      JOIN feedback_questions q ON q.id = r.question_id
     WHERE r.target_user_id = :target_user_id AND r.cycle_id = :cycle_id
       AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
), group_sizes AS (
    SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
           CASE WHEN count(DISTINCT a.submission_id) >= t.n THEN a.relationship ELSE 'others' END AS rater_group
      FROM answers a CROSS JOIN threshold t
     WHERE a.relationship <> 'self'
     GROUP BY a.competency_id, a.relationship, t.n
), shown AS (
    SELECT g.competency_id, g.relationship
      FROM (SELECT competency_id, relationship,
                   sum(submissions) OVER (PARTITION BY competency_id, rater_group) AS group_submissions
              FROM group_sizes) g
     CROSS JOIN threshold t
     WHERE g.group_submissions >= t.n
)
SELECT c.id AS competency_id, c.name AS competency_name,
       round(avg(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS average_rating,
       (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS response_count,
       round(stddev_samp(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS rating_stddev,
       round(avg(a.rating) FILTER (WHERE a.relationship = 'self'), 2) AS self_rating
  FROM answers a
  JOIN competencies c ON c.id = a.competency_id
  LEFT JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
 GROUP BY c.id, c.name
HAVING count(s.relationship) > 0 OR bool_or(a.relationship = 'self')
 ORDER BY average_rating DESC NULLS LAST, c.name, c.id;

-- name: get_feedback_results_by_group(target_user_id, cycle_id)
-- Per competency and rater group, the mean of the submissions' competency
-- ratings and how many submissions it has. A group below the threshold is
-- folded into "others", which is dropped while still below it; the person's
-- own rating ("self") stands beside the others, never in them.
WITH threshold AS (
    SELECT f.anonymity_threshold AS n
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = :cycle_id
), logged AS (
    -- A read of sensitive results, logged in the same statement.
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user),
           c.organization_id, :target_user_id, 'feedback.results_by_group'
      FROM feedback_cycles c
     WHERE c.id = :cycle_id
), ratings AS (
    SELECT competency_id, relationship, rating
      FROM feedback_ratings
     WHERE target_user_id = :target_user_id AND cycle_id = :cycle_id
), placed AS (
    SELECT r.competency_id, r.relationship,
           CASE WHEN r.relationship = 'self' OR count(*) >= t.n THEN r.relationship ELSE 'others' END AS rater_group
      FROM ratings r CROSS JOIN threshold t
     GROUP BY r.competency_id, r.relationship, t.n
)
SELECT r.competency_id, c.name AS competency_name, p.rater_group,
       count(*)::int AS submission_count,
       round(avg(r.rating), 2) AS average_rating
  FROM ratings r
  JOIN placed p ON p.competency_id = r.competency_id AND p.relationship = r.relationship
  JOIN competencies c ON c.id = r.competency_id
 CROSS JOIN threshold t
 GROUP BY r.competency_id, c.name, p.rater_group, t.n
HAVING p.rater_group = 'self' OR count(*) >= t.n
 ORDER BY c.name, r.competency_id,
          array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                         p.rater_group::text);

-- name: list_feedback_comments(target_user_id, cycle_id)
-- The stored free-text comments on a person in a cycle, by question, each with
-- its rater group: the relationship when that group has at least threshold
-- submissions, else "others" (dropped while below the threshold too); "self"
-- always. Each comment comes as stored (ciphertext and key id, or text not yet
-- encrypted) with its answer's id, which the application needs to decrypt it.
-- Ordered by question and group, never by time or rater; the application
-- orders by text within a group once decrypted.
WITH threshold AS (
    SELECT f.anonymity_threshold AS n
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = :cycle_id
), logged AS (
    -- A read of sensitive results, logged in the same statement.
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user),
           c.organization_id, :target_user_id, 'feedback.comments'
      FROM feedback_cycles c
     WHERE c.id = :cycle_id
), answers AS (
    SELECT id, question_id, relationship, submission_id, comment, comment_ciphertext, comment_key_id
      FROM feedback_responses
     WHERE target_user_id = :target_user_id AND cycle_id = :cycle_id
), group_sizes AS (
    SELECT a.relationship, count(DISTINCT a.submission_id) AS submissions,
           CASE WHEN a.relationship = 'self' OR count(DISTINCT a.submission_id) >= t.n
                THEN a.relationship ELSE 'others' END AS rater_group
      FROM answers a CROSS JOIN threshold t
     GROUP BY a.relationship, t.n
), shown AS (
    SELECT g.relationship, g.rater_group
      FROM (SELECT relationship, rater_group,
                   sum(submissions) OVER (PARTITION BY rater_group) AS group_submissions
              FROM group_sizes) g
     CROSS JOIN threshold t
     WHERE g.rater_group = 'self' OR g.group_submissions >= t.n
)
SELECT q.id AS question_id, q.position AS question_position, q.question_text, q.competency_id,
       s.rater_group, a.id AS response_id, a.comment_ciphertext, a.comment_key_id, a.comment
  FROM answers a
  JOIN shown s ON s.relationship = a.relationship
  JOIN feedback_questions q ON q.id = a.question_id
 WHERE a.comment_ciphertext IS NOT NULL OR a.comment IS NOT NULL
 ORDER BY q.position, q.id,
          array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                         s.rater_group::text);

-- name: get_feedback_cycle_completion(cycle_id)
-- Per relationship (all five, in a fixed order), how many invitations a cycle
-- has and how many are pending, started, completed, declined and expired;
-- nothing if the cycle is absent.
SELECT g.relationship,
       count(i.id)::int AS invited,
       (count(*) FILTER (WHERE i.status = 'pending'))::int AS pending,
       (count(*) FILTER (WHERE i.status = 'started'))::int AS started,
       (count(*) FILTER (WHERE i.status = 'completed'))::int AS completed,
       (count(*) FILTER (WHERE i.status = 'declined'))::int AS declined,
       (count(*) FILTER (WHERE i.status = 'expired'))::int AS expired
  FROM feedback_cycles c
 CROSS JOIN unnest(ARRAY['self', 'manager', 'peer', 'direct_report', 'external']::text[])
            WITH ORDINALITY AS g(relationship, ord)
  LEFT JOIN feedback_invitations i ON i.cycle_id = c.id AND i.relationship = g.relationship
 WHERE c.id = :cycle_id
 GROUP BY g.relationship, g.ord
 ORDER BY g.ord;
