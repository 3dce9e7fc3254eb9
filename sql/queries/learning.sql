-- Learning: resource types and resources, plans built from competency gaps,
-- their objectives and progress entries, and recommendations. Plan and
-- recommendation status moves are guarded here (WHERE status = ...) and by
-- the guard_status_transition triggers. Soft-deleted resources and plans are skipped.
--
-- get_learning_plan_details and create_learning_plan_from_gaps return a plan's
-- objectives and progress entries as arrays of ROW(...): their field order is
-- the order of LearningObjective and LearningProgress in ikenei/repositories/learning.py.

-- name: upsert_learning_resource_type(code, name, description)^
-- Inserts a kind of learning material, or renames the one with this code; returns it.
INSERT INTO learning_resource_types (code, name, description)
VALUES (:code, :name, :description)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description
RETURNING code, name, description, created_at;

-- name: list_learning_resource_types()
-- Every kind of learning material, by name.
SELECT code, name, description, created_at FROM learning_resource_types ORDER BY name, code;

-- name: create_learning_resource(organization_id, title, description, resource_type, url, provider, competency_id, min_level, max_level, duration_minutes, cost, is_active)^
-- Inserts an organization's learning resource; returns it.
INSERT INTO learning_resources
       (organization_id, title, description, resource_type, url, provider, competency_id,
        min_level, max_level, duration_minutes, cost, is_active)
VALUES (:organization_id, :title, :description, :resource_type, :url, :provider, :competency_id,
        :min_level, :max_level, :duration_minutes, :cost, :is_active)
RETURNING id, organization_id, title, description, resource_type, url, provider, competency_id,
          min_level, max_level, duration_minutes, cost, is_active, created_at, updated_at;

-- name: get_learning_resource(resource_id)^
-- One learning resource by id, or nothing.
SELECT id, organization_id, title, description, resource_type, url, provider, competency_id,
       min_level, max_level, duration_minutes, cost, is_active, created_at, updated_at
  FROM learning_resources
 WHERE id = :resource_id AND deleted_at IS NULL;

-- name: list_learning_resources(organization_id, competency_id, resource_type, level_from, level_to, is_active, after_title, after_id, limit)
-- A page of an organization's resources by title; a NULL filter does not filter. A resource
-- matches a level range when its own range (no min_level: 1, no max_level: 10) overlaps it.
SELECT id, organization_id, title, description, resource_type, url, provider, competency_id,
       min_level, max_level, duration_minutes, cost, is_active, created_at, updated_at
  FROM learning_resources
 WHERE organization_id = :organization_id AND deleted_at IS NULL
   AND (:competency_id::uuid IS NULL OR competency_id = :competency_id)
   AND (:resource_type::text IS NULL OR resource_type = :resource_type)
   AND (:level_to::smallint IS NULL OR coalesce(min_level, 1) <= :level_to)
   AND (:level_from::smallint IS NULL OR coalesce(max_level, 10) >= :level_from)
   AND (:is_active::boolean IS NULL OR is_active = :is_active)
   AND (title, id) > (coalesce(:after_title::text, ''), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY title, id
 LIMIT :limit;

-- name: update_learning_resource(resource_id, title, description, resource_type, url, provider, competency_id, min_level, max_level, duration_minutes, cost, is_active)^
-- Replaces a resource's editable fields; returns it, or nothing if absent.
UPDATE learning_resources
   SET title = :title, description = :description, resource_type = :resource_type, url = :url,
       provider = :provider, competency_id = :competency_id, min_level = :min_level,
       max_level = :max_level, duration_minutes = :duration_minutes, cost = :cost, is_active = :is_active
 WHERE id = :resource_id AND deleted_at IS NULL
RETURNING id, organization_id, title, description, resource_type, url, provider, competency_id,
          min_level, max_level, duration_minutes, cost, is_active, created_at, updated_at;

-- name: soft_delete_learning_resource(resource_id)$
-- Marks a resource deleted and inactive; returns its id, or nothing if absent.
UPDATE learning_resources SET deleted_at = now(), is_active = false
 WHERE id = :resource_id AND deleted_at IS NULL
RETURNING id;

-- name: create_learning_plan(organization_id, user_id, title, description, ai_analysis, status, start_date, target_completion_date, source_cycle_id, created_by)^
-- Inserts a learning plan for a member; returns it.
INSERT INTO learning_plans
       (organization_id, user_id, title, description, ai_analysis, status, start_date,
        target_completion_date, source_cycle_id, created_by)
VALUES (:organization_id, :user_id, :title, :description, :ai_analysis, :status, :start_date,
        :target_completion_date, :source_cycle_id, :created_by)
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: create_learning_plan_from_gaps(organization_id, user_id, title, description, ai_analysis, status, start_date, target_completion_date, source_cycle_id, created_by)^
-- Inserts a plan and one objective per active competency where the person is below target
-- (the rule of list_competency_gaps), largest gap first: levels copied, priority 1 (gap of 4
-- or more) to 4 (gap of 1). Returns the plan with its objectives; nothing, and nothing
-- written, when the person has no gap.
WITH gaps AS (
    SELECT c.id AS competency_id, c.name,
           coalesce(uc.current_level, 0) AS current_level, uc.target_level,
           uc.target_level - coalesce(uc.current_level, 0) AS gap
      FROM user_competencies uc
      JOIN competencies c ON c.organization_id = uc.organization_id AND c.id = uc.competency_id
                         AND c.deleted_at IS NULL AND c.is_active
     WHERE uc.organization_id = :organization_id AND uc.user_id = :user_id
       AND uc.target_level > coalesce(uc.current_level, 0)
), plan AS (
    INSERT INTO learning_plans
           (organization_id, user_id, title, description, ai_analysis, status, start_date,
            target_completion_date, source_cycle_id, created_by)
    SELECT :organization_id, :user_id, :title::text, :description::text, :ai_analysis::jsonb, :status::text,
           :start_date::date, :target_completion_date::date, :source_cycle_id::uuid, :created_by::uuid
     WHERE EXISTS (SELECT FROM gaps)
    RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
              target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at
), objectives AS (
    INSERT INTO learning_objectives
           (organization_id, plan_id, competency_id, title, current_level, target_level, priority, position)
    SELECT p.organization_id, p.id, g.competency_id, g.name, g.current_level, g.target_level,
           greatest(1, 5 - g.gap),
           row_number() OVER (ORDER BY g.gap DESC, g.name, g.competency_id)
      FROM plan p CROSS JOIN gaps g
    RETURNING id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
              status, priority, position, due_date, completed_at, created_at, updated_at
)
-- The RETURNING lists above are the columns of get_learning_plan_details, in
-- its order: the plan's, then each objective's as a row.
SELECT p.*, array(SELECT ROW(o.*) FROM objectives o ORDER BY o.position) AS objectives
  FROM plan p;

-- name: get_learning_plan(plan_id)^
-- One learning plan by id, or nothing.
SELECT id, organization_id, user_id, title, description, ai_analysis, status, start_date,
       target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at
  FROM learning_plans
 WHERE id = :plan_id AND deleted_at IS NULL;

-- name: get_learning_plan_status(plan_id)$
-- The status of a plan, or nothing if absent: tells why a guarded move did not happen.
SELECT status FROM learning_plans WHERE id = :plan_id AND deleted_at IS NULL;

-- name: get_learning_plan_details(plan_id)^
-- A plan with its objectives (in order) and progress entries (oldest first), in one statement.
SELECT p.id, p.organization_id, p.user_id, p.title, p.description, p.ai_analysis, p.status, p.start_date,
       p.target_completion_date, p.actual_completion_date, p.source_cycle_id, p.created_by, p.created_at,
       p.updated_at,
       array(SELECT ROW(o.id, o.organization_id, o.plan_id, o.competency_id, o.title, o.description,
                        o.current_level, o.target_level, o.status, o.priority, o.position, o.due_date,
                        o.completed_at, o.created_at, o.updated_at)
               FROM learning_objectives o
              WHERE o.plan_id = p.id
              ORDER BY o.position, o.created_at, o.id) AS objectives,
       array(SELECT ROW(g.id, g.organization_id, g.plan_id, g.objective_id, g.resource_id, g.user_id,
                        g.progress_percent, g.time_spent_minutes, g.notes, g.notes_ciphertext, g.notes_key_id,
                        g.completed_at, g.recorded_at)
               FROM learning_progress g
              WHERE g.plan_id = p.id
              ORDER BY g.recorded_at, g.id) AS progress
  FROM learning_plans p
 WHERE p.id = :plan_id AND p.deleted_at IS NULL;

-- name: list_learning_plans(organization_id, user_id, status, after_created_at, after_id, limit)
-- A page of a member's plans, newest first; status NULL lists every status.
SELECT id, organization_id, user_id, title, description, ai_analysis, status, start_date,
       target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at
  FROM learning_plans
 WHERE organization_id = :organization_id AND user_id = :user_id AND deleted_at IS NULL
   AND (:status::text IS NULL OR status = :status)
   AND (created_at, id) < (coalesce(:after_created_at::timestamptz, 'infinity'), coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY created_at DESC, id DESC
 LIMIT :limit;

-- name: update_learning_plan(plan_id, title, description, ai_analysis, start_date, target_completion_date)^
-- Replaces a plan's editable fields (not its status: see the moves below); returns it, or nothing.
UPDATE learning_plans
   SET title = :title, description = :description, ai_analysis = :ai_analysis, start_date = :start_date,
       target_completion_date = :target_completion_date
 WHERE id = :plan_id AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: soft_delete_learning_plan(plan_id)$
-- Marks a plan deleted; returns its id, or nothing if absent.
UPDATE learning_plans SET deleted_at = now()
 WHERE id = :plan_id AND deleted_at IS NULL
RETURNING id;

-- name: activate_learning_plan(plan_id)^
-- Moves a draft plan to active; returns it, or nothing if it is absent or not a draft.
UPDATE learning_plans SET status = 'active'
 WHERE id = :plan_id AND status = 'draft' AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: pause_learning_plan(plan_id)^
-- Moves an active plan to paused; returns it, or nothing if it is absent or not active.
UPDATE learning_plans SET status = 'paused'
 WHERE id = :plan_id AND status = 'active' AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: resume_learning_plan(plan_id)^
-- Moves a paused plan back to active; returns it, or nothing if it is absent or not paused.
UPDATE learning_plans SET status = 'active'
 WHERE id = :plan_id AND status = 'paused' AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: complete_learning_plan(plan_id)^
-- Moves an active plan to completed as of today; returns it, or nothing if it is absent or not active.
UPDATE learning_plans SET status = 'completed', actual_completion_date = current_date
 WHERE id = :plan_id AND status = 'active' AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: cancel_learning_plan(plan_id)^
-- Cancels a draft, active or paused plan; returns it, or nothing if it is absent or already ended.
UPDATE learning_plans SET status = 'cancelled'
 WHERE id = :plan_id AND status IN ('draft', 'active', 'paused') AND deleted_at IS NULL
RETURNING id, organization_id, user_id, title, description, ai_analysis, status, start_date,
          target_completion_date, actual_completion_date, source_cycle_id, created_by, created_at, updated_at;

-- name: add_learning_objective(organization_id, plan_id, competency_id, title, description, current_level, target_level, priority, position, due_date)^
-- Inserts an objective into a plan, by default after its last one; returns it.
INSERT INTO learning_objectives
       (organization_id, plan_id, competency_id, title, description, current_level, target_level,
        priority, position, due_date)
VALUES (:organization_id, :plan_id, :competency_id, :title, :description, :current_level, :target_level,
        :priority,
        coalesce(:position::smallint,
                 (SELECT coalesce(max(position), 0) + 1 FROM learning_objectives WHERE plan_id = :plan_id)),
        :due_date)
RETURNING id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
          status, priority, position, due_date, completed_at, created_at, updated_at;

-- name: get_learning_objective(objective_id)^
-- One objective by id, or nothing.
SELECT id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
       status, priority, position, due_date, completed_at, created_at, updated_at
  FROM learning_objectives
 WHERE id = :objective_id;

-- name: list_learning_objectives(plan_id)
-- A plan's objectives in order.
SELECT id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
       status, priority, position, due_date, completed_at, created_at, updated_at
  FROM learning_objectives
 WHERE plan_id = :plan_id
 ORDER BY position, created_at, id;

-- name: update_learning_objective(objective_id, competency_id, title, description, current_level, target_level, priority, position, due_date)^
-- Replaces an objective's editable fields (not its status); returns it, or nothing.
UPDATE learning_objectives
   SET competency_id = :competency_id, title = :title, description = :description,
       current_level = :current_level, target_level = :target_level, priority = :priority,
       position = :position, due_date = :due_date
 WHERE id = :objective_id
RETURNING id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
          status, priority, position, due_date, completed_at, created_at, updated_at;

-- name: set_learning_objective_status(objective_id, status)^
-- Sets an objective's status; completed_at is stamped on completion (kept if already
-- completed) and cleared otherwise. Returns it, or nothing.
UPDATE learning_objectives
   SET status = :status::text,
       completed_at = CASE WHEN :status::text = 'completed' THEN coalesce(completed_at, now()) END
 WHERE id = :objective_id
RETURNING id, organization_id, plan_id, competency_id, title, description, current_level, target_level,
          status, priority, position, due_date, completed_at, created_at, updated_at;

-- name: delete_learning_objective(objective_id)$
-- Deletes an objective with its progress entries; returns its id, or nothing.
DELETE FROM learning_objectives WHERE id = :objective_id RETURNING id;

-- name: record_learning_progress(progress_id, plan_id, objective_id, resource_id, progress_percent, time_spent_minutes, notes_ciphertext, notes_key_id, completed_at)^
-- Adds a progress entry (its id and encrypted note from the application) to a
-- plan, for the plan's owner; completed_at defaults to now at 100 percent.
-- Returns it, or nothing if the plan is absent.
INSERT INTO learning_progress
       (id, organization_id, plan_id, objective_id, resource_id, user_id, progress_percent,
        time_spent_minutes, notes_ciphertext, notes_key_id, completed_at, recorded_at)
SELECT :progress_id, p.organization_id, p.id, :objective_id::uuid, :resource_id::uuid, p.user_id,
       :progress_percent::smallint, :time_spent_minutes::integer, :notes_ciphertext::bytea, :notes_key_id::text,
       coalesce(:completed_at::timestamptz, CASE WHEN :progress_percent = 100 THEN clock_timestamp() END),
       clock_timestamp()
  FROM learning_plans p
 WHERE p.id = :plan_id AND p.deleted_at IS NULL
RETURNING id, organization_id, plan_id, objective_id, resource_id, user_id, progress_percent,
          time_spent_minutes, notes, notes_ciphertext, notes_key_id, completed_at, recorded_at;

-- name: list_learning_progress(plan_id, objective_id)
-- A plan's progress entries, oldest first; objective_id NULL lists the whole plan's.
-- A note comes as stored: ciphertext and key id, or text not yet encrypted.
SELECT id, organization_id, plan_id, objective_id, resource_id, user_id, progress_percent,
       time_spent_minutes, notes, notes_ciphertext, notes_key_id, completed_at, recorded_at
  FROM learning_progress
 WHERE plan_id = :plan_id AND (:objective_id::uuid IS NULL OR objective_id = :objective_id)
 ORDER BY recorded_at, id;

-- name: create_recommendation(organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type, title, reason, score, model_name, model_version, model_metadata)^
-- Inserts a pending recommendation for a member; returns it.
INSERT INTO recommendations
       (organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
        title, reason, score, model_name, model_version, model_metadata)
VALUES (:organization_id, :user_id, :plan_id, :objective_id, :resource_id, :competency_id, :recommendation_type,
        :title, :reason, :score, :model_name, :model_version, coalesce(:model_metadata::jsonb, '{}'))
RETURNING id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
          title, reason, score, model_name, model_version, model_metadata, status, decided_at, created_at,
          updated_at;

-- name: get_recommendation(recommendation_id)^
-- One recommendation by id, or nothing.
SELECT id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
       title, reason, score, model_name, model_version, model_metadata, status, decided_at, created_at,
       updated_at
  FROM recommendations
 WHERE id = :recommendation_id;

-- name: get_recommendation_status(recommendation_id)$
-- The status of a recommendation, or nothing if absent: tells why a guarded move did not happen.
SELECT status FROM recommendations WHERE id = :recommendation_id;

-- name: list_recommendations(organization_id, user_id, status, after_score, after_created_at, after_id, limit)
-- A page of a member's recommendations, best score first; status NULL lists every status.
SELECT id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
       title, reason, score, model_name, model_version, model_metadata, status, decided_at, created_at,
       updated_at
  FROM recommendations
 WHERE organization_id = :organization_id AND user_id = :user_id
   AND (:status::text IS NULL OR status = :status)
   AND (score, created_at, id) < (coalesce(:after_score::numeric, 'Infinity'), coalesce(:after_created_at::timestamptz, 'infinity'),
                               coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY score DESC, created_at DESC, id DESC
 LIMIT :limit;

-- name: accept_recommendation(recommendation_id)^
-- Moves a pending recommendation to accepted; returns it, or nothing if absent or already decided.
UPDATE recommendations SET status = 'accepted', decided_at = now()
 WHERE id = :recommendation_id AND status = 'pending'
RETURNING id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
          title, reason, score, model_name, model_version, model_metadata, status, decided_at, created_at,
          updated_at;

-- name: dismiss_recommendation(recommendation_id)^
-- Moves a pending recommendation to dismissed; returns it, or nothing if absent or already decided.
UPDATE recommendations SET status = 'dismissed', decided_at = now()
 WHERE id = :recommendation_id AND status = 'pending'
RETURNING id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id, recommendation_type,
          title, reason, score, model_name, model_version, model_metadata, status, decided_at, created_at,
          updated_at;

-- name: learning_progress_summary(organization_id, user_id)
-- The specification's "Learning Progress Query": per active plan of a person, its objectives,
-- the completed ones and the completion percentage (NULL for a plan without objectives).
-- organization_id NULL covers every organization.
SELECT lp.id AS plan_id,
       lp.title AS plan_title,
       count(lo.id) AS total_objectives,
       count(CASE WHEN lo.status = 'completed' THEN 1 END) AS completed_objectives,
       round(count(CASE WHEN lo.status = 'completed' THEN 1 END) * 100.0 / nullif(count(lo.id), 0), 2)
           AS completion_percentage
  FROM learning_plans lp
  LEFT JOIN learning_objectives lo ON lp.id = lo.plan_id
 WHERE lp.user_id = :user_id
   AND lp.status = 'active'
   AND lp.deleted_at IS NULL
   AND (:organization_id::uuid IS NULL OR lp.organization_id = :organization_id)
 GROUP BY lp.id, lp.title
 ORDER BY lp.created_at, lp.id;
