-- Down Migration
-- Description: Remove learning plan templates and plan review

DROP FUNCTION decide_learning_plan_review(UUID, BOOLEAN, UUID, TEXT);

DROP POLICY learning_plan_reviews_current ON learning_plan_reviews;

DROP POLICY learning_plan_template_objectives_current ON learning_plan_template_objectives;

DROP POLICY learning_plan_templates_current ON learning_plan_templates;

DROP TABLE learning_plan_reviews;

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_review_status_check;

ALTER TABLE learning_plans DROP COLUMN review_status;

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_template_id_fkey;

ALTER TABLE learning_plans DROP COLUMN template_id;

DROP INDEX idx_learning_objectives_due;

ALTER TABLE learning_objectives DROP CONSTRAINT learning_objectives_resource_id_fkey;

ALTER TABLE learning_objectives DROP COLUMN resource_id;

DROP TABLE learning_plan_template_objectives;

DROP TABLE learning_plan_templates;
