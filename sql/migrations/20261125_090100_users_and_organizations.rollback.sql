-- Down Migration
-- Description: Drop organizations, users, user_organizations, roles and user_roles

DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE user_organizations;
DROP TABLE users;
DROP TABLE organizations;
