-- Down Migration
-- Description: Memberships without their person's creation time

DROP INDEX idx_user_organizations_user_order;
DROP TRIGGER users_created_at_to_memberships ON users;
DROP FUNCTION person_created_at_to_memberships();
DROP TRIGGER user_organizations_person_created_at ON user_organizations;
DROP FUNCTION membership_takes_person_created_at();
ALTER TABLE user_organizations DROP COLUMN user_created_at;
