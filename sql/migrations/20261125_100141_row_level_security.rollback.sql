-- Down Migration
-- Description: No row-level security: every role sees every row again; the scope settings mean nothing

DROP POLICY data_processing_log_of_person ON data_processing_log;

ALTER TABLE data_processing_log DISABLE ROW LEVEL SECURITY;

DROP POLICY data_access_log_of_person ON data_access_log;

DROP POLICY data_access_log_current ON data_access_log;

ALTER TABLE data_access_log DISABLE ROW LEVEL SECURITY;

DROP POLICY audit_log_current ON audit_log;

ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;

DROP POLICY dashboard_widgets_current ON dashboard_widgets;

ALTER TABLE dashboard_widgets DISABLE ROW LEVEL SECURITY;

DROP POLICY reports_current ON reports;

ALTER TABLE reports DISABLE ROW LEVEL SECURITY;

DROP POLICY analytics_events_current ON analytics_events;

ALTER TABLE analytics_events DISABLE ROW LEVEL SECURITY;

DROP POLICY recommendations_current ON recommendations;

ALTER TABLE recommendations DISABLE ROW LEVEL SECURITY;

DROP POLICY learning_progress_current ON learning_progress;

ALTER TABLE learning_progress DISABLE ROW LEVEL SECURITY;

DROP POLICY learning_objectives_current ON learning_objectives;

ALTER TABLE learning_objectives DISABLE ROW LEVEL SECURITY;

DROP POLICY learning_plans_current ON learning_plans;

ALTER TABLE learning_plans DISABLE ROW LEVEL SECURITY;

DROP POLICY learning_resources_current ON learning_resources;

ALTER TABLE learning_resources DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_ratings_current ON feedback_ratings;

ALTER TABLE feedback_ratings DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_responses_current ON feedback_responses;

ALTER TABLE feedback_responses DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_invitations_current ON feedback_invitations;

ALTER TABLE feedback_invitations DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_cycles_current ON feedback_cycles;

ALTER TABLE feedback_cycles DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_questions_current ON feedback_questions;

ALTER TABLE feedback_questions DISABLE ROW LEVEL SECURITY;

DROP POLICY feedback_forms_current ON feedback_forms;

ALTER TABLE feedback_forms DISABLE ROW LEVEL SECURITY;

DROP POLICY user_competency_history_current ON user_competency_history;

ALTER TABLE user_competency_history DISABLE ROW LEVEL SECURITY;

DROP POLICY user_competencies_current ON user_competencies;

ALTER TABLE user_competencies DISABLE ROW LEVEL SECURITY;

DROP POLICY competency_levels_current ON competency_levels;

ALTER TABLE competency_levels DISABLE ROW LEVEL SECURITY;

DROP POLICY competencies_current ON competencies;

ALTER TABLE competencies DISABLE ROW LEVEL SECURITY;

DROP POLICY user_roles_current ON user_roles;

ALTER TABLE user_roles DISABLE ROW LEVEL SECURITY;

DROP POLICY competency_categories_current ON competency_categories;

DROP POLICY competency_categories_shared ON competency_categories;

ALTER TABLE competency_categories DISABLE ROW LEVEL SECURITY;

DROP POLICY roles_current ON roles;

DROP POLICY roles_shared ON roles;

ALTER TABLE roles DISABLE ROW LEVEL SECURITY;

DROP POLICY user_consents_withdrawn ON user_consents;

DROP POLICY user_consents_given ON user_consents;

DROP POLICY user_consents_visible ON user_consents;

ALTER TABLE user_consents DISABLE ROW LEVEL SECURITY;

DROP POLICY users_sign_up ON users;

DROP POLICY users_person_update ON users;

DROP POLICY users_person ON users;

DROP POLICY users_member_update ON users;

DROP POLICY users_member ON users;

ALTER TABLE users DISABLE ROW LEVEL SECURITY;

DROP POLICY user_organizations_of_person ON user_organizations;

DROP POLICY user_organizations_current ON user_organizations;

ALTER TABLE user_organizations DISABLE ROW LEVEL SECURITY;

DROP POLICY organizations_of_person ON organizations;

DROP POLICY organizations_current ON organizations;

ALTER TABLE organizations DISABLE ROW LEVEL SECURITY;

ALTER TABLE organizations ALTER COLUMN id SET DEFAULT gen_random_uuid();

CREATE OR REPLACE FUNCTION ensure_shared_or_same_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    referenced_org uuid;
BEGIN
    IF referenced_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT organization_id FROM %I WHERE id = $1', TG_ARGV[1])
        INTO referenced_org USING referenced_id;
    IF referenced_org IS NOT NULL AND referenced_org <> NEW.organization_id THEN
        RAISE EXCEPTION '% refers to a % row of another organization', TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'IK422', COLUMN = TG_ARGV[0], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

DROP FUNCTION organization_of_access_token(BYTEA);

DROP FUNCTION current_person_id();

DROP FUNCTION current_person_email();

DROP FUNCTION current_organization_id();
