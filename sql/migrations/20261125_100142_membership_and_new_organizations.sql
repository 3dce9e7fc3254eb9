-- Up Migration
-- Description: Row-level security: a membership is made only with its person acting; a new organization's id is its scope's only while no organization has it
-- Date: 2026-11-25
--
-- 1. Given another organization's user id, an organization could make that
--    person its member (add_member) and so come to see their users row. A
--    membership is now created only with its person acting in the
--    organization's scope, db.organization(id, user_id=person): the person
--    joins (accepts an invitation, founds an organization). Changing or ending
--    a membership stays the organization's.
-- 2. The id of an organization created in db.organization(new_id) defaulted to
--    the scope's id even when that organization existed, so creating one in
--    an existing organization's scope failed as a duplicate key. Now the
--    default is the scope's id only while no organization has it, else a
--    random one, which the policy refuses as it refuses any other.

CREATE FUNCTION new_organization_id() RETURNS uuid
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN current_organization_id() IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = current_organization_id())
                THEN current_organization_id()
                ELSE gen_random_uuid() END
$$;

ALTER TABLE organizations ALTER COLUMN id SET DEFAULT new_organization_id();

DROP POLICY user_organizations_current ON user_organizations;

CREATE POLICY user_organizations_current ON user_organizations FOR SELECT
    USING (organization_id = current_organization_id());

CREATE POLICY user_organizations_join ON user_organizations FOR INSERT
    WITH CHECK (organization_id = current_organization_id() AND user_id = (SELECT current_person_id()));

CREATE POLICY user_organizations_change ON user_organizations FOR UPDATE
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

CREATE POLICY user_organizations_end ON user_organizations FOR DELETE
    USING (organization_id = current_organization_id());
