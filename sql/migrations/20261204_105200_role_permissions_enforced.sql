-- Up Migration
-- Description: Every permission of the production roles is enforced: writes of an organization's framework, forms, cycles, resources, roles, memberships and reports, reads of analytics, reports and logs, and a person's own dashboard
-- Date: 2026-12-04
--
-- With an acting person (db.organization(org, user_id=...)), the statements
-- below need the permission named; the maintenance scope (no acting person)
-- and the tables' owner are not bound. RESTRICTIVE policies, so they only
-- narrow the organization policies; reads of the same tables stay open to
-- every member unless a line says otherwise.
--
--   organization.manage        change or delete the organization; read its
--                              audit trail and the organization's data access
--                              log (a person always reads the reads of their own data)
--   users.manage               change or end memberships (besides one's own),
--                              a member's profile (see 20261204_105100)
--   roles.manage               the organization's own roles and every role
--                              assignment; an organization with no assignment
--                              yet lets its founding member grant the first
--   competencies.manage        the organization's categories, competencies and proficiency levels
--   feedback.forms.manage      forms and their questions
--   feedback.cycles.manage     cycles (and every invitation: 20261204_105000)
--   learning.resources.manage  learning resources
--   reports.manage             reports: request, run, delete; read them with reports.view too
--   analytics.view             read the organization's analytics events (every
--                              member records them and reads their own)
--   dashboard.manage_own       one's own dashboard widgets, nobody else's
--
-- The results, plans and invitations permissions are enforced by
-- 20261204_105000. Two permissions of the production seed are removed
-- instead, since nothing should hang on them: users.view (every member sees
-- the names of the organization's people, whom they rate and are rated by)
-- and feedback.respond (an invitation addressed to a person is what lets them
-- answer; an external rater has no account). The seed no longer grants them,
-- and this migration takes them from the system roles already seeded.

-- Whether the current organization has any role assignment yet; SECURITY
-- DEFINER: a policy of user_roles cannot read user_roles itself.
CREATE FUNCTION organization_has_role_assignments() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM public.user_roles ur
                    WHERE ur.organization_id = public.current_organization_id())
$$;

REVOKE ALL ON FUNCTION organization_has_role_assignments() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION organization_has_role_assignments() TO ikenei_app;

-- The organization itself -----------------------------------------------------------

CREATE POLICY organizations_manage_update ON organizations AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('organization.manage')));

CREATE POLICY organizations_manage_delete ON organizations AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('organization.manage')));

CREATE POLICY audit_log_manage ON audit_log AS RESTRICTIVE FOR SELECT
    USING ((SELECT acting_person_may('organization.manage')));

CREATE POLICY data_access_log_manage ON data_access_log AS RESTRICTIVE FOR SELECT
    USING (subject_user_id = (SELECT current_person_id()) OR (SELECT acting_person_may('organization.manage')));

-- Memberships ------------------------------------------------------------------------

CREATE POLICY user_organizations_manage_update ON user_organizations AS RESTRICTIVE FOR UPDATE
    USING (user_id = (SELECT acting_person_id()) OR (SELECT acting_person_may('users.manage')));

CREATE POLICY user_organizations_manage_delete ON user_organizations AS RESTRICTIVE FOR DELETE
    USING (user_id = (SELECT acting_person_id()) OR (SELECT acting_person_may('users.manage')));

-- Roles ------------------------------------------------------------------------------

CREATE POLICY roles_manage_insert ON roles AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('roles.manage')));

CREATE POLICY roles_manage_update ON roles AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('roles.manage')));

CREATE POLICY roles_manage_delete ON roles AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('roles.manage')));

CREATE POLICY user_roles_manage_insert ON user_roles AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('roles.manage'))
                OR (user_id = (SELECT acting_person_id()) AND NOT (SELECT organization_has_role_assignments())));

CREATE POLICY user_roles_manage_update ON user_roles AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('roles.manage')));

CREATE POLICY user_roles_manage_delete ON user_roles AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('roles.manage')));

-- The competency framework --------------------------------------------------------------

CREATE POLICY competency_categories_manage_insert ON competency_categories AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competency_categories_manage_update ON competency_categories AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competency_categories_manage_delete ON competency_categories AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competencies_manage_insert ON competencies AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competencies_manage_update ON competencies AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competencies_manage_delete ON competencies AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competency_levels_manage_insert ON competency_levels AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competency_levels_manage_update ON competency_levels AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('competencies.manage')));

CREATE POLICY competency_levels_manage_delete ON competency_levels AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('competencies.manage')));

-- Feedback forms and cycles ---------------------------------------------------------------

CREATE POLICY feedback_forms_manage_insert ON feedback_forms AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_forms_manage_update ON feedback_forms AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_forms_manage_delete ON feedback_forms AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_questions_manage_insert ON feedback_questions AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_questions_manage_update ON feedback_questions AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_questions_manage_delete ON feedback_questions AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('feedback.forms.manage')));

CREATE POLICY feedback_cycles_manage_insert ON feedback_cycles AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('feedback.cycles.manage')));

CREATE POLICY feedback_cycles_manage_update ON feedback_cycles AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('feedback.cycles.manage')));

CREATE POLICY feedback_cycles_manage_delete ON feedback_cycles AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('feedback.cycles.manage')));

-- Learning resources ------------------------------------------------------------------------

CREATE POLICY learning_resources_manage_insert ON learning_resources AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('learning.resources.manage')));

CREATE POLICY learning_resources_manage_update ON learning_resources AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('learning.resources.manage')));

CREATE POLICY learning_resources_manage_delete ON learning_resources AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('learning.resources.manage')));

-- Reports, analytics and dashboards -------------------------------------------------------------

CREATE POLICY reports_view ON reports AS RESTRICTIVE FOR SELECT
    USING ((SELECT acting_person_may('reports.view')) OR (SELECT acting_person_may('reports.manage')));

CREATE POLICY reports_manage_insert ON reports AS RESTRICTIVE FOR INSERT
    WITH CHECK ((SELECT acting_person_may('reports.manage')));

CREATE POLICY reports_manage_update ON reports AS RESTRICTIVE FOR UPDATE
    USING ((SELECT acting_person_may('reports.manage')));

CREATE POLICY reports_manage_delete ON reports AS RESTRICTIVE FOR DELETE
    USING ((SELECT acting_person_may('reports.manage')));

-- One's own events (a dashboard counts them) and the rows one's own
-- transaction wrote (record_event returns the new id) need no permission.
CREATE POLICY analytics_events_view ON analytics_events AS RESTRICTIVE FOR SELECT
    USING ((SELECT acting_person_may('analytics.view'))
           OR user_id = (SELECT acting_person_id())
           OR xmin = (SELECT pg_current_xact_id_if_assigned()::xid));

CREATE POLICY dashboard_widgets_own ON dashboard_widgets AS RESTRICTIVE
    USING ((SELECT acting_person_id()) IS NULL
           OR (user_id = (SELECT acting_person_id()) AND (SELECT acting_person_may('dashboard.manage_own'))))
    WITH CHECK ((SELECT acting_person_id()) IS NULL
                OR (user_id = (SELECT acting_person_id()) AND (SELECT acting_person_may('dashboard.manage_own'))));

-- Permissions nothing enforces leave the system roles ----------------------------------------------

UPDATE roles SET permissions = permissions - 'users.view' - 'feedback.respond'
 WHERE is_system AND (permissions ? 'users.view' OR permissions ? 'feedback.respond');
