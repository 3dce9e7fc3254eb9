-- Up Migration
-- Description: The acting person's role permissions decide whose results, plans, progress notes, levels and invitations a statement of an organization scope reaches
-- Date: 2026-12-04
--
-- An organization scope names the person acting in it:
-- db.organization(org, user_id=person) sets ikenei.user_id beside
-- ikenei.organization_id. Row-level security then binds the statement to
-- that person's role permissions in the organization (the "<area>.<action>"
-- strings of roles.permissions, held through user_roles while the person is
-- an active member and an active, undeleted user):
--
--   feedback.results.view_own|view_team|view_all
--       the results and comments (may_read_feedback_results) of the person
--       themselves | of the people below them in the manager chain | of
--       everyone in the organization.
--   learning.plans.manage_own|manage_team|manage_all
--       learning_plans, their objectives and progress entries (with the
--       private notes), recommendations, competency levels and their
--       history: read and written for the same three reaches.
--   feedback.invitations.manage_own|manage_team, feedback.cycles.manage
--       feedback_invitations about oneself | one's team | everyone, to read,
--       make and delete; a rater also reads and answers the invitations
--       addressed to them (never makes one for themselves).
--
-- "The team" is everyone down the manager chain (users.manager_id, followed
-- recursively, cycles ignored) who is a member of the organization (any
-- status but left), each link too.
--
-- A scope WITHOUT an acting person (db.organization(org) alone) is the
-- organization's maintenance scope: it reaches all of the organization's rows
-- as before. Only maintenance code (imports, batch jobs, the organization's
-- own administration tooling) may open it; code serving a person names them.
--
-- Why row-level security and not definer functions: the rule then binds every
-- statement of the application's role, the repositories' and any raw SQL
-- alike, with no second path around it; a definer function would bind only
-- its own callers. The policies are RESTRICTIVE, so they narrow the
-- organization policies of migration 20261125_100141 and never widen them.
-- Their cost: each policy compares a column with an array computed by an
-- init plan ((SELECT people_in_reach(...))), so the permissions and the
-- manager chain are read once per statement, never per row.
--
-- The results functions (analysis, results by group, comments) read the
-- answers as their owner and ask may_read_feedback_results, which now applies
-- the same rule through may_view_results_of.

-- The acting person of an organization scope; NULL outside one, or in the maintenance scope.
CREATE FUNCTION acting_person_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT CASE WHEN public.current_organization_id() IS NOT NULL
                THEN nullif(current_setting('ikenei.user_id', true), '')::uuid END
$$;

-- The permissions the acting person holds in the current organization: empty
-- for a person who is not an active member, is deactivated or deleted.
-- SECURITY DEFINER: it reads user_roles and roles past their policies (which
-- call it).
CREATE FUNCTION acting_permissions() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT p.permission ORDER BY p.permission), '{}')
      FROM public.user_roles ur
      JOIN public.user_organizations m
        ON m.organization_id = ur.organization_id AND m.user_id = ur.user_id AND m.status = 'active'
      JOIN public.users u ON u.id = ur.user_id AND u.is_active AND u.deleted_at IS NULL
      JOIN public.roles r
        ON r.id = ur.role_id AND (r.organization_id IS NULL OR r.organization_id = ur.organization_id)
     CROSS JOIN LATERAL jsonb_array_elements_text(r.permissions) AS p(permission)
     WHERE ur.organization_id = public.current_organization_id()
       AND ur.user_id = public.acting_person_id()
$$;

-- Whether the acting person holds a permission; true in the maintenance scope.
CREATE FUNCTION acting_person_may(p_permission text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT public.acting_person_id() IS NULL OR p_permission = ANY (public.acting_permissions())
$$;

-- The people whose rows of an area the acting person reaches: NULL for
-- everyone (the maintenance scope, or p_all held), else themselves (p_own)
-- and everyone down their manager chain (p_team). SECURITY DEFINER: the
-- chain runs through users and memberships past their policies.
CREATE FUNCTION people_in_reach(p_all text, p_team text, p_own text) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    WITH RECURSIVE granted AS (
        SELECT public.acting_person_id() AS person, public.acting_permissions() AS permissions
    ), team(id) AS (
        SELECT u.id
          FROM granted g
          JOIN public.users u ON u.manager_id = g.person
          JOIN public.user_organizations m
            ON m.user_id = u.id AND m.organization_id = public.current_organization_id() AND m.status <> 'left'
         WHERE p_team = ANY (g.permissions)
        UNION
        SELECT u.id
          FROM team t
          JOIN public.users u ON u.manager_id = t.id
          JOIN public.user_organizations m
            ON m.user_id = u.id AND m.organization_id = public.current_organization_id() AND m.status <> 'left'
    )
    SELECT CASE
        WHEN g.person IS NULL OR p_all = ANY (g.permissions) THEN NULL
        ELSE ARRAY(SELECT g.person WHERE p_own = ANY (g.permissions)
                   UNION
                   SELECT id FROM team)
    END
      FROM granted g
$$;

-- Whether a person is in a reach (NULL: everyone). A SQL-standard body, bound
-- when created (no search_path to fix) and inlined into the policies.
CREATE FUNCTION in_reach(p_person uuid, p_reach uuid[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_reach IS NULL OR coalesce(p_person = ANY (p_reach), false);

-- Whether the acting person may read a person's feedback results; for the
-- results functions, which the same rule binds.
CREATE FUNCTION may_view_results_of(p_person uuid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT public.in_reach(p_person, public.people_in_reach(
        'feedback.results.view_all', 'feedback.results.view_team', 'feedback.results.view_own'))
$$;

-- The person whose plan this is, in the current organization. VOLATILE on
-- purpose: it then sees a plan inserted earlier in the same statement (a
-- plan made from gaps inserts its objectives in the same statement).
CREATE FUNCTION learning_plan_person(p_plan_id uuid) RETURNS uuid
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT p.user_id FROM public.learning_plans p
     WHERE p.id = p_plan_id AND p.organization_id = public.current_organization_id()
$$;

REVOKE ALL ON FUNCTION acting_permissions(), people_in_reach(text, text, text), learning_plan_person(uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acting_permissions(), people_in_reach(text, text, text), learning_plan_person(uuid)
    TO ikenei_app;

-- Results -----------------------------------------------------------------------
-- The answer tables are not the application's to read at all (20261204_100100):
-- the results functions ask may_read_feedback_results, now the permissions' rule.

CREATE OR REPLACE FUNCTION may_read_feedback_results(p_organization_id UUID, p_target_user_id UUID) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT p_organization_id = public.current_organization_id()
           AND public.may_view_results_of(p_target_user_id)
$$;

-- Invitations -------------------------------------------------------------------

-- A rater reads and answers (starts, declines, completes) the invitations
-- addressed to them; making or deleting one needs the reach over its person:
-- nobody invites themselves to rate a colleague.
CREATE POLICY feedback_invitations_reach_read ON feedback_invitations AS RESTRICTIVE FOR SELECT
    USING (in_reach(target_user_id, (SELECT people_in_reach(
               'feedback.cycles.manage', 'feedback.invitations.manage_team', 'feedback.invitations.manage_own')))
           OR rater_user_id = (SELECT acting_person_id()));

CREATE POLICY feedback_invitations_reach_answer ON feedback_invitations AS RESTRICTIVE FOR UPDATE
    USING (in_reach(target_user_id, (SELECT people_in_reach(
               'feedback.cycles.manage', 'feedback.invitations.manage_team', 'feedback.invitations.manage_own')))
           OR rater_user_id = (SELECT acting_person_id()))
    WITH CHECK (in_reach(target_user_id, (SELECT people_in_reach(
               'feedback.cycles.manage', 'feedback.invitations.manage_team', 'feedback.invitations.manage_own')))
           OR rater_user_id = (SELECT acting_person_id()));

CREATE POLICY feedback_invitations_reach_invite ON feedback_invitations AS RESTRICTIVE FOR INSERT
    WITH CHECK (in_reach(target_user_id, (SELECT people_in_reach(
               'feedback.cycles.manage', 'feedback.invitations.manage_team', 'feedback.invitations.manage_own'))));

CREATE POLICY feedback_invitations_reach_delete ON feedback_invitations AS RESTRICTIVE FOR DELETE
    USING (in_reach(target_user_id, (SELECT people_in_reach(
               'feedback.cycles.manage', 'feedback.invitations.manage_team', 'feedback.invitations.manage_own'))));

-- Learning and levels -------------------------------------------------------------

CREATE POLICY learning_plans_reach ON learning_plans AS RESTRICTIVE
    USING (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))))
    WITH CHECK (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))));

-- An objective goes with its plan: seen where the plan is seen (the plan's
-- policies apply inside the subquery), written where the plan's person is reached.
CREATE POLICY learning_objectives_reach ON learning_objectives AS RESTRICTIVE
    USING (EXISTS (SELECT 1 FROM learning_plans p WHERE p.id = learning_objectives.plan_id))
    WITH CHECK (in_reach(learning_plan_person(plan_id), (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own')))
                AND learning_plan_person(plan_id) IS NOT NULL);

CREATE POLICY learning_progress_reach ON learning_progress AS RESTRICTIVE
    USING (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))))
    WITH CHECK (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))));

CREATE POLICY recommendations_reach ON recommendations AS RESTRICTIVE
    USING (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))))
    WITH CHECK (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))));

CREATE POLICY user_competencies_reach ON user_competencies AS RESTRICTIVE
    USING (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))))
    WITH CHECK (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))));

CREATE POLICY user_competency_history_reach ON user_competency_history AS RESTRICTIVE
    USING (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))))
    WITH CHECK (in_reach(user_id, (SELECT people_in_reach(
               'learning.plans.manage_all', 'learning.plans.manage_team', 'learning.plans.manage_own'))));
