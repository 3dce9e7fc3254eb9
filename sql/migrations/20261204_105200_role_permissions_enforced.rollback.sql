-- Down Migration
-- Description: The production roles' permissions no longer narrow writes, and the system roles get users.view and feedback.respond back

UPDATE roles SET permissions = permissions || '["users.view"]'::jsonb
 WHERE is_system AND name IN ('hr_manager', 'manager') AND NOT permissions ? 'users.view';

UPDATE roles SET permissions = permissions || '["feedback.respond"]'::jsonb
 WHERE is_system AND name IN ('manager', 'employee', 'external_rater') AND NOT permissions ? 'feedback.respond';

DROP POLICY dashboard_widgets_own ON dashboard_widgets;

DROP POLICY analytics_events_view ON analytics_events;

DROP POLICY reports_manage_delete ON reports;

DROP POLICY reports_manage_update ON reports;

DROP POLICY reports_manage_insert ON reports;

DROP POLICY reports_view ON reports;

DROP POLICY learning_resources_manage_delete ON learning_resources;

DROP POLICY learning_resources_manage_update ON learning_resources;

DROP POLICY learning_resources_manage_insert ON learning_resources;

DROP POLICY feedback_cycles_manage_delete ON feedback_cycles;

DROP POLICY feedback_cycles_manage_update ON feedback_cycles;

DROP POLICY feedback_cycles_manage_insert ON feedback_cycles;

DROP POLICY feedback_questions_manage_delete ON feedback_questions;

DROP POLICY feedback_questions_manage_update ON feedback_questions;

DROP POLICY feedback_questions_manage_insert ON feedback_questions;

DROP POLICY feedback_forms_manage_delete ON feedback_forms;

DROP POLICY feedback_forms_manage_update ON feedback_forms;

DROP POLICY feedback_forms_manage_insert ON feedback_forms;

DROP POLICY competency_levels_manage_delete ON competency_levels;

DROP POLICY competency_levels_manage_update ON competency_levels;

DROP POLICY competency_levels_manage_insert ON competency_levels;

DROP POLICY competencies_manage_delete ON competencies;

DROP POLICY competencies_manage_update ON competencies;

DROP POLICY competencies_manage_insert ON competencies;

DROP POLICY competency_categories_manage_delete ON competency_categories;

DROP POLICY competency_categories_manage_update ON competency_categories;

DROP POLICY competency_categories_manage_insert ON competency_categories;

DROP POLICY user_roles_manage_delete ON user_roles;

DROP POLICY user_roles_manage_update ON user_roles;

DROP POLICY user_roles_manage_insert ON user_roles;

DROP POLICY roles_manage_delete ON roles;

DROP POLICY roles_manage_update ON roles;

DROP POLICY roles_manage_insert ON roles;

DROP POLICY user_organizations_manage_delete ON user_organizations;

DROP POLICY user_organizations_manage_update ON user_organizations;

DROP POLICY data_access_log_manage ON data_access_log;

DROP POLICY audit_log_manage ON audit_log;

DROP POLICY organizations_manage_delete ON organizations;

DROP POLICY organizations_manage_update ON organizations;

DROP FUNCTION organization_has_role_assignments();
