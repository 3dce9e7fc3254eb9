-- Down Migration
-- Description: Policies call current_organization_id() for every row again

ALTER POLICY users_member_update ON users
    USING ((( SELECT acting_person_may('users.manage'::text) AS acting_person_may) AND (EXISTS ( SELECT 1
   FROM user_organizations m
  WHERE ((m.user_id = users.id) AND (m.organization_id = current_organization_id()) AND ((m.status)::text <> 'left'::text))))))
    WITH CHECK ((( SELECT acting_person_may('users.manage'::text) AS acting_person_may) AND (EXISTS ( SELECT 1
   FROM user_organizations m
  WHERE ((m.user_id = users.id) AND (m.organization_id = current_organization_id()) AND ((m.status)::text <> 'left'::text))))));
ALTER POLICY users_member ON users
    USING ((EXISTS ( SELECT 1
   FROM user_organizations m
  WHERE ((m.user_id = users.id) AND (m.organization_id = current_organization_id())))));
ALTER POLICY user_roles_current ON user_roles
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY user_organizations_join ON user_organizations
    WITH CHECK (((organization_id = current_organization_id()) AND (user_id = ( SELECT current_person_id() AS current_person_id))));
ALTER POLICY user_organizations_end ON user_organizations
    USING ((organization_id = current_organization_id()));
ALTER POLICY user_organizations_current ON user_organizations
    USING ((organization_id = current_organization_id()));
ALTER POLICY user_organizations_change ON user_organizations
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY user_competency_history_current ON user_competency_history
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY user_competencies_current ON user_competencies
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY roles_current ON roles
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY reports_current ON reports
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY recommendations_current ON recommendations
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY organizations_current ON organizations
    USING ((id = current_organization_id()))
    WITH CHECK ((id = current_organization_id()));
ALTER POLICY notifications_current ON notifications
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_resources_current ON learning_resources
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_progress_current ON learning_progress
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_plans_current ON learning_plans
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_plan_templates_current ON learning_plan_templates
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_plan_template_objectives_current ON learning_plan_template_objectives
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_plan_reviews_current ON learning_plan_reviews
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY learning_objectives_current ON learning_objectives
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_responses_current ON feedback_responses
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_ratings_current ON feedback_ratings
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_questions_current ON feedback_questions
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_question_options_current ON feedback_question_options
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_nominations_current ON feedback_nominations
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_nomination_rules_current ON feedback_nomination_rules
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_invitations_current ON feedback_invitations
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_forms_current ON feedback_forms
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY feedback_cycles_current ON feedback_cycles
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY data_access_log_current ON data_access_log
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY dashboard_widgets_current ON dashboard_widgets
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY competency_levels_current ON competency_levels
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY competency_evidence_current ON competency_evidence
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY competency_categories_current ON competency_categories
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY competencies_current ON competencies
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
ALTER POLICY audit_log_current ON audit_log
    USING ((organization_id = current_organization_id()));
ALTER POLICY analytics_events_current ON analytics_events
    USING ((organization_id = current_organization_id()))
    WITH CHECK ((organization_id = current_organization_id()));
