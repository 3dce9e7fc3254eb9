-- Down Migration
-- Description: The acting person's permissions no longer narrow what an organization scope reaches

DROP POLICY user_competency_history_reach ON user_competency_history;

DROP POLICY user_competencies_reach ON user_competencies;

DROP POLICY recommendations_reach ON recommendations;

DROP POLICY learning_progress_reach ON learning_progress;

DROP POLICY learning_objectives_reach ON learning_objectives;

DROP POLICY learning_plans_reach ON learning_plans;

DROP POLICY feedback_invitations_reach_delete ON feedback_invitations;

DROP POLICY feedback_invitations_reach_invite ON feedback_invitations;

DROP POLICY feedback_invitations_reach_answer ON feedback_invitations;

DROP POLICY feedback_invitations_reach_read ON feedback_invitations;

CREATE OR REPLACE FUNCTION may_read_feedback_results(p_organization_id UUID, p_target_user_id UUID) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT p_organization_id = public.current_organization_id()
$$;

DROP FUNCTION learning_plan_person(uuid);

DROP FUNCTION may_view_results_of(uuid);

DROP FUNCTION in_reach(uuid, uuid[]);

DROP FUNCTION people_in_reach(text, text, text);

DROP FUNCTION acting_person_may(text);

DROP FUNCTION acting_permissions();

DROP FUNCTION acting_person_id();
