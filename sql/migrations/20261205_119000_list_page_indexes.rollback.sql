-- Down Migration
-- Description: The seed's indexes instead of the keyset pages' indexes

CREATE INDEX idx_reports_organization_status ON reports (organization_id, status, created_at);
CREATE INDEX idx_user_competency_history_user
    ON user_competency_history (organization_id, user_id, competency_id, recorded_at);
CREATE INDEX idx_feedback_forms_organization ON feedback_forms (organization_id, created_at)
    WHERE deleted_at IS NULL;
CREATE INDEX idx_organizations_active ON organizations (name) WHERE deleted_at IS NULL;
CREATE INDEX idx_learning_objectives_due ON learning_objectives (organization_id, due_date)
    WHERE due_date IS NOT NULL AND status IN ('not_started', 'in_progress');
CREATE INDEX idx_user_consents_user ON user_consents (user_id, granted_at);
CREATE INDEX idx_feedback_nominations_target ON feedback_nominations (cycle_id, target_user_id, relationship, status);

CREATE INDEX idx_analytics_events_organization_time ON analytics_events (organization_id, occurred_at)
    INCLUDE (event_type);
DROP INDEX idx_analytics_events_organization_page;
DROP INDEX idx_learning_plan_templates_organization_title;
DROP INDEX idx_user_roles_role_granted;
DROP INDEX idx_user_consents_person;
DROP INDEX idx_data_access_log_organization;
DROP INDEX idx_audit_log_organization;
DROP INDEX idx_learning_objectives_overdue;
DROP INDEX idx_user_organizations_joined;
DROP INDEX idx_organizations_name;
DROP INDEX idx_notifications_organization_queued;
DROP INDEX idx_feedback_nominations_cycle_page;
DROP INDEX idx_recommendations_member_score;
DROP INDEX idx_learning_plans_member_created;
DROP INDEX idx_learning_resources_organization_title;
DROP INDEX idx_feedback_invitations_cycle_contact;
DROP INDEX idx_feedback_invitations_cycle_page;
DROP INDEX idx_feedback_cycles_organization_created;
DROP INDEX idx_feedback_forms_organization_created;
DROP INDEX idx_user_competency_history_page;
DROP INDEX idx_competencies_organization_name;
DROP INDEX idx_reports_organization_created;
