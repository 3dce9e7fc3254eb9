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

-- name: list_feedback_forms(organization_id, is_active, after_created_at, after_id, limit)
-- A page of an organization's forms in creation order; is_active NULL lists all.
SELECT id, organization_id, title, description, form_type, is_anonymous, anonymity_threshold,
       is_active, settings, created_by, created_at, updated_at
  FROM feedback_forms
 WHERE organization_id = :organization_id AND deleted_at IS NULL
   AND (:is_active::boolean IS NULL OR is_active = :is_active)
   AND (created_at, id) > (coalesce(:after_created_at::timestamptz, '-infinity'), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY created_at, id
 LIMIT :limit;

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

-- name: add_feedback_question(form_id, position, question_text, question_type, competency_id, scale_min, scale_max, is_required, weight)^
-- Adds a question to a form at position (NULL: after the last); a rating question's scale defaults to 1-5,
-- an nps question's is 0-10.
INSERT INTO feedback_questions
    (organization_id, form_id, position, question_text, question_type, competency_id,
     scale_min, scale_max, is_required, weight)
SELECT f.organization_id, f.id,
       coalesce(:position::smallint,
                (SELECT coalesce(max(q.position), 0) + 1 FROM feedback_questions q WHERE q.form_id = f.id)),
       :question_text::text, :question_type::text, :competency_id::uuid,
       CASE :question_type::text WHEN 'rating' THEN coalesce(:scale_min::smallint, 1)
                                 WHEN 'nps' THEN coalesce(:scale_min::smallint, 0) ELSE :scale_min::smallint END,
       CASE :question_type::text WHEN 'rating' THEN coalesce(:scale_max::smallint, 5)
                                 WHEN 'nps' THEN coalesce(:scale_max::smallint, 10) ELSE :scale_max::smallint END,
       :is_required::boolean, coalesce(:weight::numeric, 1)
  FROM feedback_forms f
 WHERE f.id = :form_id AND f.deleted_at IS NULL
RETURNING id, organization_id, form_id, position, question_text, question_type, competency_id,
          scale_min, scale_max, is_required, weight, created_at, updated_at;

-- name: get_feedback_question(question_id)^
-- One question by id, or nothing.
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, weight, created_at, updated_at
  FROM feedback_questions
 WHERE id = :question_id;

-- name: list_feedback_questions(form_id)
-- The questions of a form in their order.
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, weight, created_at, updated_at
  FROM feedback_questions
 WHERE form_id = :form_id
 ORDER BY position;

-- name: update_feedback_question(question_id, question_text, question_type, competency_id, scale_min, scale_max, is_required, weight)^
-- Replaces the editable fields of a question (not its position); returns it, or nothing.
UPDATE feedback_questions
   SET question_text = :question_text, question_type = :question_type, competency_id = :competency_id,
       scale_min = :scale_min, scale_max = :scale_max, is_required = :is_required, weight = :weight
 WHERE id = :question_id
RETURNING id, organization_id, form_id, position, question_text, question_type, competency_id,
          scale_min, scale_max, is_required, weight, created_at, updated_at;

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
              q.competency_id, q.scale_min, q.scale_max, q.is_required, q.weight, q.created_at, q.updated_at
)
SELECT id, organization_id, form_id, position, question_text, question_type, competency_id,
       scale_min, scale_max, is_required, weight, created_at, updated_at
  FROM moved
 ORDER BY position;

-- Options of choice questions ---------------------------------------------------

-- name: delete_feedback_question_options(question_id)!
-- Deletes every option of a question (the first half of set_options, in its transaction).
DELETE FROM feedback_question_options WHERE question_id = :question_id;

-- name: add_feedback_question_options(question_id, labels)
-- Adds options to a question, numbered 1..n in the order of labels; returns them.
-- Nothing if the question is absent.
WITH added AS (
    INSERT INTO feedback_question_options (organization_id, form_id, question_id, position, label)
    SELECT q.organization_id, q.form_id, q.id, t.ord::smallint, t.label
      FROM feedback_questions q CROSS JOIN unnest(:labels::text[]) WITH ORDINALITY AS t(label, ord)
     WHERE q.id = :question_id
    RETURNING id, question_id, position, label
)
SELECT id, question_id, position, label FROM added ORDER BY position;

-- name: list_feedback_question_options_by_token(access_token_hash)
-- The options of the choice questions of the form an access token's open invitation asks, in order.
SELECT id, question_id, position, label FROM feedback_question_options_of_token(:access_token_hash::bytea);

-- name: list_feedback_question_options(form_id)
-- Every option of a form's questions, by question position, then option position.
SELECT o.id, o.question_id, o.position, o.label
  FROM feedback_question_options o
  JOIN feedback_questions q ON q.id = o.question_id
 WHERE o.form_id = :form_id
 ORDER BY q.position, o.position;


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

-- name: list_feedback_cycles(organization_id, status, form_id, after_created_at, after_id, limit)
-- A page of an organization's cycles, newest first; status / form_id NULL do not filter.
SELECT id, organization_id, form_id, name, description, status, starts_at, ends_at,
       activated_at, closed_at, created_by, created_at, updated_at
  FROM feedback_cycles
 WHERE organization_id = :organization_id
   AND (:status::text IS NULL OR status = :status)
   AND (:form_id::uuid IS NULL OR form_id = :form_id)
   AND (created_at, id) < (coalesce(:after_created_at::timestamptz, 'infinity'), coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY created_at DESC, id DESC
 LIMIT :limit;

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
       scale_min, scale_max, is_required, weight, created_at, updated_at
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

-- name: record_feedback_reminder(invitation_id, channel, at)^
-- Records a reminder to the rater of an open, sent invitation of an active
-- cycle at `at` (NULL: now) and queues its notification, in one statement,
-- only while the organization's limits allow it: fewer than max_reminders so
-- far, the last one (or the sending) at least reminder_interval_days ago, and
-- before the cycle's end and the token's expiry. Of two racing callers only
-- one passes: the second re-reads the updated row and fails the same checks.
-- Nothing when refused (see get_feedback_reminder_state).
WITH policy AS (
    SELECT p.max_reminders, p.reminder_interval_days, coalesce(:at::timestamptz, now()) AS at
      FROM feedback_invitations i
     CROSS JOIN LATERAL feedback_reminder_policy(i.organization_id) p
     WHERE i.id = :invitation_id
), reminded AS (
    UPDATE feedback_invitations i
       SET reminder_count = i.reminder_count + 1, last_reminded_at = p.at
      FROM feedback_cycles c, policy p
     WHERE i.id = :invitation_id AND i.status IN ('pending', 'started') AND i.sent_at IS NOT NULL
       AND c.id = i.cycle_id AND c.status = 'active'
       AND (c.ends_at IS NULL OR c.ends_at > p.at)
       AND (i.token_expires_at IS NULL OR i.token_expires_at > p.at)
       AND i.reminder_count < p.max_reminders
       AND coalesce(i.last_reminded_at, i.sent_at) <= p.at - make_interval(days => p.reminder_interval_days)
    RETURNING i.id, i.organization_id, i.rater_user_id, i.reminder_count, i.last_reminded_at
), queued AS (
    INSERT INTO notifications
        (organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, queued_at)
    SELECT r.organization_id, r.rater_user_id, :channel::text, 'feedback.reminder', 'feedback_invitation', r.id,
           r.last_reminded_at
      FROM reminded r
    RETURNING id, subject_id
)
SELECT r.id AS invitation_id, r.reminder_count, r.last_reminded_at, q.id AS notification_id,
       r.rater_user_id AS recipient_user_id
  FROM reminded r JOIN queued q ON q.subject_id = r.id;

-- name: get_feedback_reminder_state(invitation_id, at)^
-- Why an invitation takes no reminder at `at` (NULL: now): its and its cycle's
-- status, whether it was sent, its reminders against the limits, and whether
-- the cycle ended or the token expired. Nothing if the invitation is absent.
SELECT i.status, c.status AS cycle_status, i.sent_at IS NOT NULL AS sent, i.reminder_count,
       p.max_reminders, p.reminder_interval_days,
       coalesce(i.last_reminded_at, i.sent_at) + make_interval(days => p.reminder_interval_days) AS next_due_at,
       coalesce(c.ends_at <= coalesce(:at::timestamptz, now()), false) AS cycle_ended,
       coalesce(i.token_expires_at <= coalesce(:at::timestamptz, now()), false) AS token_expired
  FROM feedback_invitations i
  JOIN feedback_cycles c ON c.id = i.cycle_id
 CROSS JOIN LATERAL feedback_reminder_policy(i.organization_id) p
 WHERE i.id = :invitation_id;

-- name: list_feedback_due_reminders(cycle_id, at, after_last_reminded_at, after_sent_at, after_invitation_id, limit)
-- The invitations of an active cycle owed a reminder at `at` (NULL: now):
-- exactly those record_feedback_reminder would accept, with the rater to
-- write to and the person rated, longest waiting first. The cycle and its
-- reminder policy are read once (scalar subqueries of a materialized row), not
-- joined to every invitation walked.
WITH policy AS MATERIALIZED (
    SELECT c.organization_id, p.max_reminders, p.reminder_interval_days,
           coalesce(:at::timestamptz, now()) AS at
      FROM feedback_cycles c
     CROSS JOIN LATERAL feedback_reminder_policy(c.organization_id) p
     WHERE c.id = :cycle_id AND c.status = 'active'
       AND (c.ends_at IS NULL OR c.ends_at > coalesce(:at::timestamptz, now()))
)
SELECT i.id AS invitation_id, i.target_user_id,
       t.first_name || ' ' || t.last_name AS target_name,
       i.rater_user_id,
       coalesce(r.first_name || ' ' || r.last_name, i.rater_name) AS rater_name,
       coalesce(r.email, i.rater_email) AS rater_email,
       i.relationship, i.reminder_count, (SELECT p.max_reminders FROM policy p) - i.reminder_count AS reminders_left,
       i.sent_at, i.last_reminded_at
  FROM feedback_invitations i
  JOIN users t ON t.id = i.target_user_id
  LEFT JOIN users r ON r.id = i.rater_user_id
 WHERE i.cycle_id = :cycle_id AND i.status IN ('pending', 'started') AND i.sent_at IS NOT NULL
   AND i.organization_id = (SELECT p.organization_id FROM policy p)
   AND (i.token_expires_at IS NULL OR i.token_expires_at > (SELECT p.at FROM policy p))
   AND i.reminder_count < (SELECT p.max_reminders FROM policy p)
   AND coalesce(i.last_reminded_at, i.sent_at)
       <= (SELECT p.at - make_interval(days => p.reminder_interval_days) FROM policy p)
   AND (coalesce(i.last_reminded_at, i.sent_at, '-infinity'::timestamptz), i.id)
       > (coalesce(:after_last_reminded_at::timestamptz, :after_sent_at::timestamptz, '-infinity'),
          coalesce(:after_invitation_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY coalesce(i.last_reminded_at, i.sent_at, '-infinity'::timestamptz), i.id
 LIMIT :limit;

-- name: expire_overdue_feedback_invitations(cycle_id)!
-- Expires the open invitations of a cycle whose token expired or whose cycle ended (or is over).
UPDATE feedback_invitations i
   SET status = 'expired'
  FROM feedback_cycles c
 WHERE i.cycle_id = :cycle_id AND i.status IN ('pending', 'started')
   AND c.id = i.cycle_id
   AND (i.token_expires_at <= now() OR c.ends_at <= now() OR c.status IN ('closed', 'cancelled'));

-- name: list_feedback_pending_raters(cycle_id, quiet_period, after_last_reminded_at, after_sent_at, after_invitation_id, limit)
-- Who still has to answer in an active cycle (open invitations, token not
-- expired), least recently contacted first; with quiet_period, only those not
-- sent or reminded within it. The cycle is read once, not joined to every
-- invitation walked.
SELECT i.id AS invitation_id, i.target_user_id,
       t.first_name || ' ' || t.last_name AS target_name,
       i.rater_user_id,
       coalesce(r.first_name || ' ' || r.last_name, i.rater_name) AS rater_name,
       coalesce(r.email, i.rater_email) AS rater_email,
       i.relationship, i.status, i.reminder_count, i.last_reminded_at, i.sent_at, i.token_expires_at
  FROM feedback_invitations i
  JOIN users t ON t.id = i.target_user_id
  LEFT JOIN users r ON r.id = i.rater_user_id
 WHERE i.cycle_id = :cycle_id AND i.status IN ('pending', 'started')
   -- the active cycle's organization, read once (nothing if it is not active)
   AND i.organization_id = (SELECT c.organization_id FROM feedback_cycles c
                             WHERE c.id = :cycle_id AND c.status = 'active')
   AND (i.token_expires_at IS NULL OR i.token_expires_at > now())
   AND (:quiet_period::interval IS NULL
        OR coalesce(i.last_reminded_at, i.sent_at) IS NULL
        OR coalesce(i.last_reminded_at, i.sent_at) <= now() - :quiet_period::interval)
   AND (coalesce(i.last_reminded_at, i.sent_at, '-infinity'::timestamptz), i.id)
       > (coalesce(:after_last_reminded_at::timestamptz, :after_sent_at::timestamptz, '-infinity'),
          coalesce(:after_invitation_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY coalesce(i.last_reminded_at, i.sent_at, '-infinity'::timestamptz), i.id
 LIMIT :limit;

-- name: list_feedback_cycle_invitations(cycle_id, status, relationship, after_target_user_id, after_relationship, after_id, limit)
-- A page of a cycle's invitations with target and rater names, by target then
-- relationship; status / relationship NULL do not filter. The page is read
-- first and each person on it is looked up once: a target has several
-- invitations in a row, and each lookup passes the policies of users.
WITH page AS MATERIALIZED (
    SELECT i.id, i.cycle_id, i.target_user_id, i.rater_user_id, i.rater_name, i.rater_email,
           i.relationship, i.status, i.token_expires_at, i.reminder_count, i.last_reminded_at,
           i.sent_at, i.started_at, i.completed_at, i.declined_at
      FROM feedback_invitations i
     WHERE i.cycle_id = :cycle_id
       -- the cycle's organization: an index range under any role (see 20261205_119100)
       AND i.organization_id = (SELECT c.organization_id FROM feedback_cycles c WHERE c.id = :cycle_id)
       AND (:status::text IS NULL OR i.status = :status)
       AND (:relationship::text IS NULL OR i.relationship = :relationship)
       AND (i.target_user_id, i.relationship, i.id)
           > (coalesce(:after_target_user_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid),
              coalesce(:after_relationship::text, ''), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
     ORDER BY i.target_user_id, i.relationship, i.id
     LIMIT :limit
), people AS MATERIALIZED (
    SELECT u.id, u.first_name || ' ' || u.last_name AS name, u.email
      FROM users u
     WHERE u.id IN (SELECT p.target_user_id FROM page p UNION SELECT p.rater_user_id FROM page p)
)
SELECT i.id, i.cycle_id, i.target_user_id, t.name AS target_name, i.rater_user_id,
       coalesce(r.name, i.rater_name) AS rater_name, coalesce(r.email, i.rater_email) AS rater_email,
       i.relationship, i.status, i.token_expires_at, i.reminder_count, i.last_reminded_at,
       i.sent_at, i.started_at, i.completed_at, i.declined_at
  FROM page i
  JOIN people t ON t.id = i.target_user_id
  LEFT JOIN people r ON r.id = i.rater_user_id
 ORDER BY i.target_user_id, i.relationship, i.id;

-- Submitting ----------------------------------------------------------------

-- name: submit_feedback(invitation_id, access_token_hash, answers)$
-- Writes one whole submission (answers, competency ratings, invitation
-- completed) or nothing; returns the submission id.
SELECT submit_feedback(:invitation_id, :access_token_hash::bytea, :answers::jsonb);

-- Results -------------------------------------------------------------------
-- Served by functions that run as their owner (migration
-- 20261204_100100_anonymous_answers_apart): the application has no privilege
-- on the answers themselves. Each checks that the reader may see the
-- person's results, refuses an anonymous form's results until its cycle is
-- closed (IK409), folds rater groups below the form's threshold into
-- "others" (dropped while still too small), and records the read in
-- data_access_log (feedback.analysis, feedback.results_by_group,
-- feedback.comments) with the transaction's actor, else the acting role.

-- name: get_feedback_analysis(target_user_id, cycle_id)
-- The seed's feedback analysis per competency: average, count and standard deviation of the ratings of the groups results by group show, and the person's own rating beside them.
SELECT competency_id, competency_name, average_rating, response_count, rating_stddev, self_rating
  FROM feedback_analysis(:target_user_id::uuid, :cycle_id::uuid);

-- name: get_feedback_results_by_group(target_user_id, cycle_id)
-- Per competency and rater group, the mean of the submissions' competency ratings and how many submissions it has ("self" apart).
SELECT competency_id, competency_name, rater_group, submission_count, average_rating
  FROM feedback_results_by_group(:target_user_id::uuid, :cycle_id::uuid);

-- name: list_feedback_comments(target_user_id, cycle_id)
-- The stored comments on a person in a cycle by question and rater group, each as stored with its answer's random id (which decrypting needs); never in an order of time or rater.
SELECT question_id, question_position, question_text, competency_id, rater_group, response_id,
       comment_ciphertext, comment_key_id, comment
  FROM feedback_comments(:target_user_id::uuid, :cycle_id::uuid);

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


-- name: get_feedback_question_results(target_user_id, cycle_id)
-- Per question of the cycle's form but text ones, in order: submissions of
-- others counted, average rating (rating, nps), NPS score and the
-- distribution (count per option; nps: detractors, passives, promoters), over
-- the rater groups results by group shows (see feedback_question_results()).
SELECT question_id, "position", question_text, question_type, answer_count, average_rating, nps_score,
       distribution
  FROM feedback_question_results(:target_user_id, :cycle_id);
