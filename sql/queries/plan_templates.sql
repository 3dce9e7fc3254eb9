-- Learning plan templates (ikenei/repositories/plan_templates.py): an
-- organization's reusable plans, their objectives with due-date offsets, and
-- a plan made from one for a person in one statement.

-- name: create_learning_plan_template(organization_id, title, description, created_by)^
-- Inserts an organization's plan template; returns it.
INSERT INTO learning_plan_templates (organization_id, title, description, created_by)
VALUES (:organization_id, :title, :description, :created_by)
RETURNING id, organization_id, title, description, is_active, created_by, created_at, updated_at;

-- name: get_learning_plan_template(template_id)^
-- One template by id, or nothing (also when soft-deleted).
SELECT id, organization_id, title, description, is_active, created_by, created_at, updated_at
  FROM learning_plan_templates
 WHERE id = :template_id AND deleted_at IS NULL;

-- name: list_learning_plan_templates(organization_id, is_active, after_title, after_id, limit)
-- A page of an organization's templates by title; is_active NULL lists all.
SELECT id, organization_id, title, description, is_active, created_by, created_at, updated_at
  FROM learning_plan_templates
 WHERE organization_id = :organization_id AND deleted_at IS NULL
   AND (:is_active::boolean IS NULL OR is_active = :is_active)
   AND (lower(title), id) > (lower(coalesce(:after_title::text, '')), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY lower(title), id
 LIMIT :limit;

-- name: set_learning_plan_template_active(template_id, is_active)^
-- Offers a template for new plans or withdraws it; returns it, or nothing if absent.
UPDATE learning_plan_templates SET is_active = :is_active
 WHERE id = :template_id AND deleted_at IS NULL
RETURNING id, organization_id, title, description, is_active, created_by, created_at, updated_at;

-- name: add_learning_plan_template_objective(template_id, position, title, description, competency_id, target_level, resource_id, priority, due_offset_days)^
-- Adds an objective to a template, by default after its last one; nothing if the template is absent.
INSERT INTO learning_plan_template_objectives
       (organization_id, template_id, position, title, description, competency_id, target_level, resource_id,
        priority, due_offset_days)
SELECT t.organization_id, t.id,
       coalesce(:position::smallint,
                (SELECT coalesce(max(o.position), 0) + 1 FROM learning_plan_template_objectives o
                  WHERE o.template_id = t.id)),
       :title::text, :description::text, :competency_id::uuid, :target_level::smallint, :resource_id::uuid,
       :priority::smallint, :due_offset_days::integer
  FROM learning_plan_templates t
 WHERE t.id = :template_id AND t.deleted_at IS NULL
RETURNING id, template_id, position, title, description, competency_id, target_level, resource_id, priority,
          due_offset_days;

-- name: list_learning_plan_template_objectives(template_id)
-- A template's objectives in order.
SELECT id, template_id, position, title, description, competency_id, target_level, resource_id, priority,
       due_offset_days
  FROM learning_plan_template_objectives
 WHERE template_id = :template_id
 ORDER BY position;

-- name: create_learning_plan_from_template(template_id, user_id, title, start_date, status, created_by)^
-- A plan for a member made from an active template, in one statement: its
-- objectives copied in order, each due start_date + its offset, the person's
-- current level copied beside the target; the plan's target completion the
-- latest due date. Returns the plan with its objectives; nothing, and
-- nothing written, if the template is absent, deleted or inactive.
WITH template AS (
    SELECT t.id, t.organization_id, t.title,
           (SELECT max(o.due_offset_days) FROM learning_plan_template_objectives o WHERE o.template_id = t.id) AS last_offset
      FROM learning_plan_templates t
     WHERE t.id = :template_id AND t.deleted_at IS NULL AND t.is_active
), plan AS (
    INSERT INTO learning_plans
           (organization_id, user_id, title, status, start_date, target_completion_date, template_id, created_by)
    SELECT t.organization_id, :user_id::uuid, coalesce(:title::text, t.title), :status::text, :start_date::date,
           :start_date::date + t.last_offset, t.id, :created_by::uuid
      FROM template t
    RETURNING id, organization_id, user_id, title, status, start_date, target_completion_date, template_id
), objectives AS (
    INSERT INTO learning_objectives
           (organization_id, plan_id, competency_id, title, description, current_level, target_level,
            priority, position, due_date, resource_id)
    SELECT p.organization_id, p.id, o.competency_id, o.title, o.description, uc.current_level, o.target_level,
           o.priority, o.position, p.start_date + o.due_offset_days, o.resource_id
      FROM plan p
      JOIN learning_plan_template_objectives o ON o.template_id = p.template_id
      LEFT JOIN user_competencies uc ON uc.organization_id = p.organization_id AND uc.user_id = p.user_id
                                    AND uc.competency_id = o.competency_id
    RETURNING id, competency_id, title, current_level, target_level, priority, position, due_date, resource_id
)
SELECT p.id, p.organization_id, p.user_id, p.title, p.status, p.start_date, p.target_completion_date, p.template_id,
       array(SELECT ROW(o.id, o.position, o.title, o.competency_id, o.current_level, o.target_level, o.priority,
                        o.due_date, o.resource_id)
               FROM objectives o ORDER BY o.position) AS objectives
  FROM plan p;
