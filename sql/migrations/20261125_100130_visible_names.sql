-- Up Migration
-- Description: Names and titles must contain a visible character, not only whitespace
-- Date: 2026-11-25
--
-- The first checks used btrim(x) <> '', and btrim() strips spaces only: a name
-- of tabs or newlines passed. A value must now hold at least one character
-- that is not whitespace.

ALTER TABLE organizations DROP CONSTRAINT organizations_name_check;

ALTER TABLE organizations ADD CONSTRAINT organizations_name_check CHECK (name ~ '\S');

ALTER TABLE users DROP CONSTRAINT users_first_name_check;

ALTER TABLE users ADD CONSTRAINT users_first_name_check CHECK (first_name ~ '\S');

ALTER TABLE users DROP CONSTRAINT users_last_name_check;

ALTER TABLE users ADD CONSTRAINT users_last_name_check CHECK (last_name ~ '\S');

ALTER TABLE competency_categories DROP CONSTRAINT competency_categories_name_check;

ALTER TABLE competency_categories ADD CONSTRAINT competency_categories_name_check CHECK (name ~ '\S');

ALTER TABLE competencies DROP CONSTRAINT competencies_name_check;

ALTER TABLE competencies ADD CONSTRAINT competencies_name_check CHECK (name ~ '\S');

ALTER TABLE competency_levels DROP CONSTRAINT competency_levels_name_check;

ALTER TABLE competency_levels ADD CONSTRAINT competency_levels_name_check CHECK (name ~ '\S');

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_title_check;

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_title_check CHECK (title ~ '\S');

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_text_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_text_check CHECK (question_text ~ '\S');

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_name_check;

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_name_check CHECK (name ~ '\S');

ALTER TABLE learning_resource_types DROP CONSTRAINT learning_resource_types_name_check;

ALTER TABLE learning_resource_types ADD CONSTRAINT learning_resource_types_name_check CHECK (name ~ '\S');

ALTER TABLE learning_resources DROP CONSTRAINT learning_resources_title_check;

ALTER TABLE learning_resources ADD CONSTRAINT learning_resources_title_check CHECK (title ~ '\S');

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_title_check;

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_title_check CHECK (title ~ '\S');

ALTER TABLE learning_objectives DROP CONSTRAINT learning_objectives_title_check;

ALTER TABLE learning_objectives ADD CONSTRAINT learning_objectives_title_check CHECK (title ~ '\S');

ALTER TABLE recommendations DROP CONSTRAINT recommendations_title_check;

ALTER TABLE recommendations ADD CONSTRAINT recommendations_title_check CHECK (title ~ '\S');

ALTER TABLE reports DROP CONSTRAINT reports_title_check;

ALTER TABLE reports ADD CONSTRAINT reports_title_check CHECK (title ~ '\S');
