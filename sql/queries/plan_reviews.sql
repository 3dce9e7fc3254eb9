-- Plan review (ikenei/repositories/plan_reviews.py): a plan's owner submits
-- it, their manager approves it or sends it back with a comment
-- (decide_learning_plan_review(), migration 20261204_153000), and the
-- objectives past their due date that reminders are about.

-- name: submit_learning_plan_for_review(plan_id, submitted_by)^
-- Opens a review round of a plan, by its owner, unless one is open or the
-- plan is over; returns the pending review, or nothing when refused.
WITH moved AS (
    UPDATE learning_plans
       SET review_status = 'submitted'
     WHERE id = :plan_id AND deleted_at IS NULL AND review_status <> 'submitted'
       AND status IN ('draft', 'active', 'paused') AND user_id = :submitted_by
    RETURNING id, organization_id
), review AS (
    INSERT INTO learning_plan_reviews (organization_id, plan_id, submitted_by)
    SELECT organization_id, id, :submitted_by FROM moved
    RETURNING id, organization_id, plan_id, submitted_by, submitted_at, status, reviewer_id, comment, decided_at
)
SELECT id, organization_id, plan_id, submitted_by, submitted_at, status, reviewer_id, comment, decided_at
  FROM review;

-- name: get_learning_plan_review_state(plan_id)^
-- A plan's status, review status and owner: why a submission was refused. Nothing if absent.
SELECT status, review_status, user_id FROM learning_plans WHERE id = :plan_id AND deleted_at IS NULL;

-- name: decide_learning_plan_review(plan_id, approve, reviewer_id, comment)^
-- Approves the pending review of a plan or sends it back (see decide_learning_plan_review()); returns it.
SELECT id, organization_id, plan_id, submitted_by, submitted_at, status, reviewer_id, comment, decided_at
  FROM decide_learning_plan_review(:plan_id, :approve, :reviewer_id, :comment);

-- name: list_learning_plan_reviews(plan_id)
-- Every review round of a plan, newest first.
SELECT id, organization_id, plan_id, submitted_by, submitted_at, status, reviewer_id, comment, decided_at
  FROM learning_plan_reviews
 WHERE plan_id = :plan_id
 ORDER BY submitted_at DESC, id DESC;

-- name: list_overdue_learning_objectives(organization_id, as_of, after_due_date, after_plan_id, after_objective_id, limit)
-- The open objectives (not started or in progress) of an organization's
-- active plans whose due date is before as_of, with the plan and its owner,
-- most overdue first: what plan-due reminders are about.
SELECT o.id AS objective_id, o.title AS objective_title, o.due_date, (:as_of::date - o.due_date) AS days_overdue,
       o.status, p.id AS plan_id, p.title AS plan_title, p.user_id,
       u.first_name || ' ' || u.last_name AS user_name
  FROM learning_objectives o
  JOIN learning_plans p ON p.id = o.plan_id AND p.status = 'active' AND p.deleted_at IS NULL
  JOIN users u ON u.id = p.user_id
 WHERE o.organization_id = :organization_id AND o.due_date < :as_of::date
   AND o.status IN ('not_started', 'in_progress')
   AND (o.due_date, o.plan_id, o.id)
       > (coalesce(:after_due_date::date, '-infinity'), coalesce(:after_plan_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid),
          coalesce(:after_objective_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY o.due_date, o.plan_id, o.id
 LIMIT :limit;
