-- Test-only queries of tests/test_accounts.py: what a hostile service could
-- run by plain SQL, as ikenei_app, to take over or look up a person another
-- organization shares.

-- name: raw_set_email(user_id, email)!
-- Rewrites a person's email.
UPDATE users SET email = :email WHERE id = :user_id;

-- name: raw_set_password_hash(user_id, password_hash)!
-- Rewrites a person's password hash.
UPDATE users SET password_hash = :password_hash WHERE id = :user_id;

-- name: raw_deactivate(user_id)!
-- Deactivates a person's account.
UPDATE users SET is_active = false WHERE id = :user_id;

-- name: raw_soft_delete(user_id)!
-- Soft-deletes a person's account.
UPDATE users SET deleted_at = now() WHERE id = :user_id;

-- name: raw_verify_email(user_id)!
-- Marks a person's email verified.
UPDATE users SET email_verified = NOT email_verified WHERE id = :user_id;

-- name: visible_users()$
-- How many users rows the session sees.
SELECT count(*) FROM users;

-- name: person_of_email(email)$
-- The person current_person_id() finds after naming an email in the scope, as a lookup would try.
SELECT current_person_id()
  FROM (SELECT set_config('ikenei.user_email', lower(:email::text), true)) AS named;

-- name: sign_in_hash_of(email)$
-- The id password_hash_for_sign_in answers for an email in the current scope, if any.
SELECT id FROM password_hash_for_sign_in(:email);

-- name: raw_assign_role(organization_id, user_id, role_id)!
-- Grants a role by plain SQL.
INSERT INTO user_roles (organization_id, user_id, role_id) VALUES (:organization_id, :user_id, :role_id);

-- name: raw_record_event(organization_id, user_id)!
-- Records an analytics event about a user by plain SQL.
INSERT INTO analytics_events (organization_id, user_id, event_type) VALUES (:organization_id, :user_id, 'page.viewed');

-- name: raw_set_email_through_user_records(user_id, email)!
-- Rewrites a person's email through the read-only view of user records.
UPDATE user_records SET email = :email WHERE id = :user_id;

-- name: count_user_records()$
-- How many user records the session sees through the view.
SELECT count(*) FROM user_records;

-- name: count_live_users()$
-- How many live users the session sees in the table.
SELECT count(*) FROM users WHERE deleted_at IS NULL;
