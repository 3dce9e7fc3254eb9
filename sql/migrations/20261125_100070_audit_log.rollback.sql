-- Down Migration
-- Description: Drop the audit trail: the audit triggers, audit_row_change, refuse_log_change and audit_log

DROP TRIGGER dashboard_widgets_audit ON dashboard_widgets;
DROP TRIGGER recommendations_audit ON recommendations;
DROP TRIGGER learning_progress_audit ON learning_progress;
DROP TRIGGER learning_objectives_audit ON learning_objectives;
DROP TRIGGER learning_plans_audit ON learning_plans;
DROP TRIGGER feedback_ratings_audit ON feedback_ratings;
DROP TRIGGER feedback_responses_audit ON feedback_responses;
DROP TRIGGER feedback_invitations_audit ON feedback_invitations;
DROP TRIGGER user_competencies_audit ON user_competencies;
DROP TRIGGER user_roles_audit ON user_roles;
DROP TRIGGER user_organizations_audit ON user_organizations;
DROP TRIGGER users_audit ON users;

DROP FUNCTION audit_row_change();

DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;

DROP FUNCTION refuse_log_change();

DROP TABLE audit_log;
