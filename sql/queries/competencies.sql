-- The competency framework: categories (shared standard ones have
-- organization_id NULL), an organization's competencies with their ordered
-- proficiency levels, and each person's current and target level. Every change
-- of a person's level is copied into user_competency_history by a trigger.
-- Soft-deleted competencies are skipped.

-- name: create_competency_category(organization_id, name, description, sort_order)^
-- Inserts a category (organization_id NULL: a shared standard one); returns it.
INSERT INTO competency_categories (organization_id, name, description, sort_order)
VALUES (:organization_id, :name, :description, :sort_order)
RETURNING id, organization_id, name, description, sort_order, created_at, updated_at;

-- name: get_competency_category(category_id)^
-- One category by id, or nothing.
SELECT id, organization_id, name, description, sort_order, created_at, updated_at
  FROM competency_categories
 WHERE id = :category_id;

-- name: list_competency_categories(organization_id)
-- The shared standard categories and the organization's own, by sort order and name.
SELECT id, organization_id, name, description, sort_order, created_at, updated_at
  FROM competency_categories
 WHERE organization_id = :organization_id OR organization_id IS NULL
 ORDER BY sort_order, name, id;

-- name: update_competency_category(category_id, organization_id, name, description, sort_order)^
-- Replaces a category's editable fields if it belongs to the given owner (NULL: shared); returns it, or nothing.
UPDATE competency_categories
   SET name = :name, description = :description, sort_order = :sort_order
 WHERE id = :category_id AND organization_id IS NOT DISTINCT FROM :organization_id::uuid
RETURNING id, organization_id, name, description, sort_order, created_at, updated_at;

-- name: delete_competency_category(organization_id, category_id)$
-- Deletes a category of the given owner (NULL: shared); its competencies become uncategorised. Returns its id, or nothing.
DELETE FROM competency_categories
 WHERE id = :category_id AND organization_id IS NOT DISTINCT FROM :organization_id::uuid
RETURNING id;

-- name: create_competency(organization_id, name, description, category_id, weight, is_active)^
-- Inserts an organization's competency; returns it.
INSERT INTO competencies (organization_id, name, description, category_id, weight, is_active)
VALUES (:organization_id, :name, :description, :category_id, :weight, :is_active)
RETURNING id, organization_id, name, description, category_id, weight, is_active, created_at, updated_at;

-- name: get_competency(competency_id)^
-- One competency by id, or nothing.
SELECT id, organization_id, name, description, category_id, weight, is_active, created_at, updated_at
  FROM competencies
 WHERE id = :competency_id AND deleted_at IS NULL;

-- name: list_competencies(organization_id, category_id, is_active, after_name, after_id, limit)
-- A page of an organization's competencies by name; a NULL filter does not filter.
SELECT id, organization_id, name, description, category_id, weight, is_active, created_at, updated_at
  FROM competencies
 WHERE organization_id = :organization_id AND deleted_at IS NULL
   AND (:category_id::uuid IS NULL OR category_id = :category_id)
   AND (:is_active::boolean IS NULL OR is_active = :is_active)
   AND (name, id) > (coalesce(:after_name::text, ''), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY name, id
 LIMIT :limit;

-- name: update_competency(competency_id, name, description, category_id, weight, is_active)^
-- Replaces a competency's editable fields; returns it, or nothing if absent.
UPDATE competencies
   SET name = :name, description = :description, category_id = :category_id,
       weight = :weight, is_active = :is_active
 WHERE id = :competency_id AND deleted_at IS NULL
RETURNING id, organization_id, name, description, category_id, weight, is_active, created_at, updated_at;

-- name: soft_delete_competency(competency_id)$
-- Marks a competency deleted and inactive; returns its id, or nothing if absent.
UPDATE competencies SET deleted_at = now(), is_active = false
 WHERE id = :competency_id AND deleted_at IS NULL
RETURNING id;

-- name: set_competency_levels(organization_id, competency_id, names, descriptions)
-- Makes the competency's levels exactly 1..n (n = number of names): existing
-- levels keep their id and take the new name and description, levels above n
-- are deleted (refused while a person's level refers to one). Returns the levels in order.
WITH wanted AS (
    SELECT level::smallint AS level, name, description
      FROM unnest(:names::text[], :descriptions::text[]) WITH ORDINALITY AS t (name, description, level)
), removed AS (
    DELETE FROM competency_levels
     WHERE organization_id = :organization_id AND competency_id = :competency_id
       AND level > (SELECT count(*) FROM wanted)
), kept AS (
    INSERT INTO competency_levels (organization_id, competency_id, level, name, description)
    SELECT :organization_id, :competency_id, level, name, description FROM wanted
    ON CONFLICT (organization_id, competency_id, level)
    DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description
    RETURNING id, organization_id, competency_id, level, name, description, created_at, updated_at
)
SELECT id, organization_id, competency_id, level, name, description, created_at, updated_at
  FROM kept
 ORDER BY level;

-- name: list_competency_levels(competency_id)
-- The proficiency levels of a competency, lowest first.
SELECT id, organization_id, competency_id, level, name, description, created_at, updated_at
  FROM competency_levels
 WHERE competency_id = :competency_id
 ORDER BY level;

-- name: update_competency_level(level_id, name, description)^
-- Renames or redescribes one proficiency level (its number is its identity); returns it, or nothing.
UPDATE competency_levels SET name = :name, description = :description
 WHERE id = :level_id
RETURNING id, organization_id, competency_id, level, name, description, created_at, updated_at;

-- name: delete_competency_level(level_id)$
-- Deletes one proficiency level (refused while a person's level refers to it); returns its id, or nothing.
DELETE FROM competency_levels WHERE id = :level_id RETURNING id;

-- name: set_user_competency(organization_id, user_id, competency_id, current_level, target_level, source, set_by, cycle_id)^
-- Records a person's level for a competency (a NULL level keeps the stored one); returns the row.
-- The history row is written by the user_competencies_record_history trigger.
INSERT INTO user_competencies
       (organization_id, user_id, competency_id, current_level, target_level, source, set_by, cycle_id)
VALUES (:organization_id, :user_id, :competency_id, :current_level, :target_level, :source, :set_by, :cycle_id)
ON CONFLICT (organization_id, user_id, competency_id) DO UPDATE
   SET current_level = coalesce(EXCLUDED.current_level, user_competencies.current_level),
       target_level = coalesce(EXCLUDED.target_level, user_competencies.target_level),
       source = EXCLUDED.source, set_by = EXCLUDED.set_by, cycle_id = EXCLUDED.cycle_id,
       assessed_at = now()
RETURNING id, organization_id, user_id, competency_id, current_level, target_level, source, set_by, cycle_id,
          assessed_at, created_at, updated_at;

-- name: get_user_competency(organization_id, user_id, competency_id)^
-- A person's level for one competency, or nothing.
SELECT id, organization_id, user_id, competency_id, current_level, target_level, source, set_by, cycle_id,
       assessed_at, created_at, updated_at
  FROM user_competencies
 WHERE organization_id = :organization_id AND user_id = :user_id AND competency_id = :competency_id;

-- name: list_user_competencies(organization_id, user_id)
-- A person's levels with the competency, category and level names, by competency name.
SELECT uc.competency_id, c.name AS competency_name, c.category_id, cat.name AS category_name,
       uc.current_level, cur.name AS current_level_name, uc.target_level, tgt.name AS target_level_name,
       uc.source, uc.set_by, uc.cycle_id, uc.assessed_at
  FROM user_competencies uc
  JOIN competencies c ON c.organization_id = uc.organization_id AND c.id = uc.competency_id
                     AND c.deleted_at IS NULL
  LEFT JOIN competency_categories cat ON cat.id = c.category_id
  LEFT JOIN competency_levels cur ON cur.organization_id = uc.organization_id
                                 AND cur.competency_id = uc.competency_id AND cur.level = uc.current_level
  LEFT JOIN competency_levels tgt ON tgt.organization_id = uc.organization_id
                                 AND tgt.competency_id = uc.competency_id AND tgt.level = uc.target_level
 WHERE uc.organization_id = :organization_id AND uc.user_id = :user_id
 ORDER BY c.name, c.id;

-- name: list_user_competency_history(organization_id, user_id, competency_id, after_recorded_at, after_id, limit)
-- A page of the changes to a person's level for one competency, newest first
-- (changes made in one transaction share their recorded_at), each with its
-- evidence if any (the note as stored: ciphertext and key id).
SELECT h.id, h.current_level, h.target_level, h.source, h.set_by, h.cycle_id, h.recorded_at,
       e.id AS evidence_id, e.note_ciphertext, e.note_key_id, e.url, e.cycle_id AS evidence_cycle_id,
       e.plan_id AS evidence_plan_id, e.recorded_by
  FROM user_competency_history h
  LEFT JOIN competency_evidence e ON e.history_id = h.id
 WHERE h.organization_id = :organization_id AND h.user_id = :user_id AND h.competency_id = :competency_id
   AND (h.recorded_at, h.id) < (coalesce(:after_recorded_at::timestamptz, 'infinity'), coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY h.recorded_at DESC, h.id DESC
 LIMIT :limit;

-- name: add_competency_evidence(evidence_id, organization_id, user_id, competency_id, note_ciphertext, note_key_id, url, cycle_id, plan_id, recorded_by)$
-- Attaches evidence (its id and encrypted note from the application) to the
-- change of a person's level this transaction recorded; returns its id, or
-- nothing when this transaction recorded no such change.
INSERT INTO competency_evidence (id, organization_id, history_id, note_ciphertext, note_key_id, url, cycle_id,
                                 plan_id, recorded_by)
SELECT :evidence_id, h.organization_id, h.id, :note_ciphertext::bytea, :note_key_id::text, :url::text,
       :cycle_id::uuid, :plan_id::uuid, :recorded_by::uuid
  FROM user_competency_history h
 WHERE h.organization_id = :organization_id AND h.user_id = :user_id AND h.competency_id = :competency_id
   AND h.recorded_at = now()
   AND NOT EXISTS (SELECT 1 FROM competency_evidence e WHERE e.history_id = h.id)
 ORDER BY h.id
 LIMIT 1
RETURNING id;

-- name: list_competency_gaps(organization_id, user_id)
-- A person's active competencies below target (no current level counts as 0), largest gap first.
-- create_learning_plan_from_gaps (learning.sql) applies the same rule.
SELECT c.id AS competency_id, c.name AS competency_name, c.category_id, cat.name AS category_name,
       coalesce(uc.current_level, 0) AS current_level, uc.target_level,
       uc.target_level - coalesce(uc.current_level, 0) AS gap
  FROM user_competencies uc
  JOIN competencies c ON c.organization_id = uc.organization_id AND c.id = uc.competency_id
                     AND c.deleted_at IS NULL AND c.is_active
  LEFT JOIN competency_categories cat ON cat.id = c.category_id
 WHERE uc.organization_id = :organization_id AND uc.user_id = :user_id
   AND uc.target_level > coalesce(uc.current_level, 0)
 ORDER BY gap DESC, c.name, c.id;
