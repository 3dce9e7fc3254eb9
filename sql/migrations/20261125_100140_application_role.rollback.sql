-- Down Migration
-- Description: Take back every privilege of ikenei_app in this database; the role itself stays
--
-- The role belongs to the whole server: other databases (another environment,
-- a test clone) may use it, and the administrator may have made it. Only
-- what this database gave it is taken back here; drop it by hand once no
-- database uses it: DROP ROLE ikenei_app.

ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON SEQUENCES FROM ikenei_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ikenei_app;

REVOKE SELECT, INSERT, UPDATE ON encryption_keys FROM ikenei_app;

REVOKE SELECT, INSERT ON data_access_log, data_processing_log FROM ikenei_app;

REVOKE SELECT ON learning_resource_types, system_settings, retention_policies, audit_log FROM ikenei_app;

REVOKE SELECT, INSERT, UPDATE, DELETE ON
    organizations, users, user_organizations, roles, user_roles,
    competency_categories, competencies, competency_levels, user_competencies, user_competency_history,
    feedback_forms, feedback_questions, feedback_cycles, feedback_invitations, feedback_responses,
    feedback_ratings,
    learning_resources, learning_plans, learning_objectives, learning_progress, recommendations,
    analytics_events, reports, dashboard_widgets,
    user_consents
    FROM ikenei_app;

REVOKE USAGE ON SCHEMA public FROM ikenei_app;
