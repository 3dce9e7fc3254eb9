-- Up Migration
-- Description: Row-level security: every statement of a non-owner role sees and changes only the rows of the organization (or person) its transaction works for
-- Date: 2026-11-25
--
-- A transaction says whom it works for with transaction-local settings
-- (set_config(..., true): they end with the transaction, so a pooled
-- connection never carries them into the next caller's work), set by
-- ikenei.Database's scopes (sql/queries/session.sql):
--
--   ikenei.organization_id  the organization: db.organization(id)
--   ikenei.user_id          a signed-in person: db.person(user_id)
--   ikenei.user_email       a person signing up or in: db.person(email=...)
--
-- With none of them set, every table of an organization's data shows no row
-- and takes no write: never all organizations. The policies bind every role
-- but the tables' owner and superusers (the tables do not FORCE row-level
-- security), so migrations, seeds, the retention run and key rotation, which
-- run as the owner, see everything as before.
--
-- What each kind of table shows to a non-owner role:
--
--   an organization's data (organization_id NOT NULL): the rows of the
--       current organization; a write must keep organization_id the current one.
--   roles, competency_categories: the shared rows (organization_id NULL) are
--       read by everyone and written by the owner only; an organization's own
--       rows as above.
--   organizations: the current one, which alone can be changed, and for a
--       person the organizations they belong to (not left). A new
--       organization is created in the scope of its new id: inside
--       db.organization(new_id) the id defaults to the scope's, so that the
--       new row is the current organization (see the id default below).
--   users (global identities): the members of the current organization (any
--       membership status, since history refers to people who left), who may
--       also be changed there while they have not left, and the person of a
--       person scope. A user is created only by signing up: in the scope of
--       their own email. No policy deletes users: erasure is the owner's.
--   user_organizations: the current organization's, and a person's own
--       (read only: joining or leaving is the organization's write).
--   user_consents: read where their person is visible; given and withdrawn
--       only by the person themselves.
--   audit_log: the current organization's entries (written by its trigger as
--       the owner). data_access_log: the current organization's entries, and
--       the reads of a person's own data; appended for the current
--       organization. data_processing_log: a person's own exports and
--       erasures; the rest (retention runs, the data protection officer's
--       work) is the owner's.
--   learning_resource_types, system_settings, retention_policies,
--       encryption_keys: global, not an organization's; no policies (the
--       application may only read the first three, see the previous migration).
--
-- These policies guard against the application's mistakes (a query without
-- its organization filter, another organization's id passed in), not against
-- code that sets the settings itself: the role may set them, as it must.

CREATE FUNCTION current_organization_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('ikenei.organization_id', true), '')::uuid
$$;

CREATE FUNCTION current_person_email() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT lower(nullif(current_setting('ikenei.user_email', true), ''))
$$;

-- The person of a person scope: ikenei.user_id, else the user with the scope's
-- email. SECURITY DEFINER: it reads users past their policies, which refer to
-- it, so they do not recurse. Policies call it as (SELECT current_person_id()),
-- once per statement.
CREATE FUNCTION current_person_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(
        nullif(current_setting('ikenei.user_id', true), '')::uuid,
        (SELECT u.id FROM public.users u
          WHERE lower(u.email) = public.current_person_email() AND u.deleted_at IS NULL))
$$;

REVOKE ALL ON FUNCTION current_person_id() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION current_person_id() TO ikenei_app;

-- An external rater has no account and no organization: the organization of
-- the invitation an access token opens (expired or not, so that the
-- repository can say it expired), found past the policies. Only the holder of
-- the token knows its digest.
CREATE FUNCTION organization_of_access_token(p_access_token_hash BYTEA) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT i.organization_id FROM public.feedback_invitations i
     WHERE i.access_token_hash = p_access_token_hash
$$;

REVOKE ALL ON FUNCTION organization_of_access_token(BYTEA) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION organization_of_access_token(BYTEA) TO ikenei_app;

-- The "shared or same organization" check must see the referenced row even
-- when the policies hide it: otherwise another organization's role or
-- category would look like a shared one (organization_id NULL) and pass.
CREATE OR REPLACE FUNCTION ensure_shared_or_same_organization() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    referenced_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    referenced_org uuid;
BEGIN
    IF referenced_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT organization_id FROM public.%I WHERE id = $1', TG_ARGV[1])
        INTO referenced_org USING referenced_id;
    IF referenced_org IS NOT NULL AND referenced_org <> NEW.organization_id THEN
        RAISE EXCEPTION '% refers to a % row of another organization', TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'IK422', COLUMN = TG_ARGV[0], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

ALTER TABLE organizations ALTER COLUMN id SET DEFAULT coalesce(current_organization_id(), gen_random_uuid());

-- Organizations and people ----------------------------------------------------

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;

CREATE POLICY organizations_current ON organizations
    USING (id = current_organization_id())
    WITH CHECK (id = current_organization_id());

CREATE POLICY organizations_of_person ON organizations FOR SELECT
    USING (EXISTS (SELECT 1 FROM user_organizations m
                    WHERE m.organization_id = organizations.id AND m.status <> 'left'
                      AND m.user_id = (SELECT current_person_id())));

ALTER TABLE user_organizations ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_organizations_current ON user_organizations
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

CREATE POLICY user_organizations_of_person ON user_organizations FOR SELECT
    USING (user_id = (SELECT current_person_id()));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;

CREATE POLICY users_member ON users FOR SELECT
    USING (EXISTS (SELECT 1 FROM user_organizations m
                    WHERE m.user_id = users.id AND m.organization_id = current_organization_id()));

-- Changed only while a member: someone who left is still shown (the
-- organization's history names them) but is no longer the organization's to
-- change; they may belong to another organization now, whose email and
-- password for them this one must not rewrite.
CREATE POLICY users_member_update ON users FOR UPDATE
    USING (EXISTS (SELECT 1 FROM user_organizations m
                    WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                      AND m.status <> 'left'))
    WITH CHECK (EXISTS (SELECT 1 FROM user_organizations m
                         WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                           AND m.status <> 'left'));

-- By email too: while signing up, the new row is not yet there for current_person_id() to find.
CREATE POLICY users_person ON users FOR SELECT
    USING (id = (SELECT current_person_id()) OR lower(email) = current_person_email());

CREATE POLICY users_person_update ON users FOR UPDATE
    USING (id = (SELECT current_person_id()))
    WITH CHECK (id = (SELECT current_person_id()));

CREATE POLICY users_sign_up ON users FOR INSERT
    WITH CHECK (lower(email) = current_person_email());

ALTER TABLE user_consents ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_consents_visible ON user_consents FOR SELECT
    USING (EXISTS (SELECT 1 FROM users u WHERE u.id = user_consents.user_id));

CREATE POLICY user_consents_given ON user_consents FOR INSERT
    WITH CHECK (user_id = (SELECT current_person_id()));

CREATE POLICY user_consents_withdrawn ON user_consents FOR UPDATE
    USING (user_id = (SELECT current_person_id()))
    WITH CHECK (user_id = (SELECT current_person_id()));

-- Shared catalogs with an organization's own rows -----------------------------

ALTER TABLE roles ENABLE ROW LEVEL SECURITY;

CREATE POLICY roles_shared ON roles FOR SELECT
    USING (organization_id IS NULL);

CREATE POLICY roles_current ON roles
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE competency_categories ENABLE ROW LEVEL SECURITY;

CREATE POLICY competency_categories_shared ON competency_categories FOR SELECT
    USING (organization_id IS NULL);

CREATE POLICY competency_categories_current ON competency_categories
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- An organization's data --------------------------------------------------------

ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_roles_current ON user_roles
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE competencies ENABLE ROW LEVEL SECURITY;

CREATE POLICY competencies_current ON competencies
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE competency_levels ENABLE ROW LEVEL SECURITY;

CREATE POLICY competency_levels_current ON competency_levels
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE user_competencies ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_competencies_current ON user_competencies
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE user_competency_history ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_competency_history_current ON user_competency_history
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_forms ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_forms_current ON feedback_forms
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_questions ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_questions_current ON feedback_questions
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_cycles ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_cycles_current ON feedback_cycles
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_invitations ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_invitations_current ON feedback_invitations
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_responses ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_responses_current ON feedback_responses
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_ratings ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_ratings_current ON feedback_ratings
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_resources ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_resources_current ON learning_resources
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_plans ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_plans_current ON learning_plans
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_objectives ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_objectives_current ON learning_objectives
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_progress ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_progress_current ON learning_progress
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE recommendations ENABLE ROW LEVEL SECURITY;

CREATE POLICY recommendations_current ON recommendations
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE analytics_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY analytics_events_current ON analytics_events
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE reports ENABLE ROW LEVEL SECURITY;

CREATE POLICY reports_current ON reports
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE dashboard_widgets ENABLE ROW LEVEL SECURITY;

CREATE POLICY dashboard_widgets_current ON dashboard_widgets
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- The logs --------------------------------------------------------------------

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY audit_log_current ON audit_log FOR SELECT
    USING (organization_id = current_organization_id());

ALTER TABLE data_access_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY data_access_log_current ON data_access_log
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

CREATE POLICY data_access_log_of_person ON data_access_log FOR SELECT
    USING (subject_user_id = (SELECT current_person_id()));

ALTER TABLE data_processing_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY data_processing_log_of_person ON data_processing_log
    USING (subject_user_id = (SELECT current_person_id()))
    WITH CHECK (subject_user_id = (SELECT current_person_id()));
