-- Down Migration
-- Description: An organization's scope may make anyone its member again; a new organization's id is its scope's whenever one is set

DROP POLICY user_organizations_end ON user_organizations;

DROP POLICY user_organizations_change ON user_organizations;

DROP POLICY user_organizations_join ON user_organizations;

DROP POLICY user_organizations_current ON user_organizations;

CREATE POLICY user_organizations_current ON user_organizations
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE organizations ALTER COLUMN id SET DEFAULT coalesce(current_organization_id(), gen_random_uuid());

DROP FUNCTION new_organization_id();
