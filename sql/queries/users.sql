-- Users: global identities. Every query skips soft-deleted users; reads go
-- through the view user_records (the record's columns, without deleted users).
-- The password hash is only ever read by get_password_hash, for verification.

-- name: create_user(email, password_hash, first_name, last_name, job_title, department, manager_id, profile_image_url)^
-- Inserts a user; returns the new user.
INSERT INTO users (email, password_hash, first_name, last_name, job_title, department, manager_id, profile_image_url)
VALUES (:email, :password_hash, :first_name, :last_name, :job_title, :department, :manager_id, :profile_image_url)
RETURNING id, email, first_name, last_name, job_title, department, manager_id, profile_image_url,
          is_active, email_verified, last_login_at, created_at, updated_at;

-- name: get_user(user_id)^
-- One user by id, or nothing.
SELECT * FROM user_records WHERE id = :user_id;

-- name: get_user_by_email(email)^
-- One user by email (case-insensitive), or nothing.
SELECT * FROM user_records WHERE lower(email) = lower(:email);

-- name: list_users(is_active, after_created_at, after_id, limit)
-- A page of users in creation order; is_active NULL lists active and inactive.
-- Which users the scope may see is row-level security's word; where they are
-- looked for follows the scope, so that no page walks every user of the
-- server: an organization's scope walks its members in their creation order,
-- which each membership keeps (user_created_at), a page at a time; a person's
-- scope reads their own row, and only a session with no scope at all (the owner's
-- maintenance) walks the users in creation order. Each branch's condition is
-- decided once, before any row is read, and each branch stops at a page, so
-- the walk of the last one reads a page's worth, not every user.
SELECT * FROM (
    (SELECT u.* FROM user_organizations m JOIN user_records u ON u.id = m.user_id
      WHERE m.organization_id = (SELECT current_organization_id())
        AND (SELECT current_organization_id()) IS NOT NULL
        AND (:is_active::boolean IS NULL OR u.is_active = :is_active)
        AND (m.user_created_at, m.user_id) > (coalesce(:after_created_at::timestamptz, '-infinity'),
                                              coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
      ORDER BY m.user_created_at, m.user_id LIMIT :limit)
    UNION ALL
    (SELECT u.* FROM user_records u
      WHERE u.id = (SELECT current_person_id())
        AND (SELECT current_person_id()) IS NOT NULL AND (SELECT current_organization_id()) IS NULL
        AND (:is_active::boolean IS NULL OR u.is_active = :is_active)
        AND (u.created_at, u.id) > (coalesce(:after_created_at::timestamptz, '-infinity'),
                                    coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid)))
    UNION ALL
    (SELECT u.* FROM user_records u
      WHERE (SELECT current_organization_id()) IS NULL AND (SELECT current_person_id()) IS NULL
        AND (SELECT current_person_email()) IS NULL AND (SELECT current_access_token_hash()) IS NULL
        AND (:is_active::boolean IS NULL OR u.is_active = :is_active)
        AND (u.created_at, u.id) > (coalesce(:after_created_at::timestamptz, '-infinity'),
                                    coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
      ORDER BY u.created_at, u.id LIMIT :limit)
) AS u
 ORDER BY created_at, id
 LIMIT :limit;

-- name: list_direct_reports(manager_id)
-- The users whose manager is the given user, by name.
SELECT * FROM user_records
 WHERE manager_id = :manager_id
 ORDER BY last_name, first_name, id;

-- name: update_user(user_id, email, first_name, last_name, job_title, department, manager_id, profile_image_url, is_active, email_verified)^
-- Replaces the editable fields of a user; returns it, or nothing if absent.
UPDATE users
   SET email = :email, first_name = :first_name, last_name = :last_name, job_title = :job_title,
       department = :department, manager_id = :manager_id, profile_image_url = :profile_image_url,
       is_active = :is_active, email_verified = :email_verified
 WHERE id = :user_id AND deleted_at IS NULL
RETURNING id, email, first_name, last_name, job_title, department, manager_id, profile_image_url,
          is_active, email_verified, last_login_at, created_at, updated_at;

-- name: soft_delete_user(user_id)$
-- Marks a user deleted and inactive; returns its id, or nothing if absent.
UPDATE users SET deleted_at = now(), is_active = false
 WHERE id = :user_id AND deleted_at IS NULL
RETURNING id;

-- name: get_password_hash(email)^
-- The id and bcrypt hash of the active user with this email, for verifying a
-- password: for a role bound by row-level security only in the email scope of
-- that email (password_hash_for_sign_in); the tables' owner reads it anywhere.
SELECT id, password_hash FROM password_hash_for_sign_in(:email)
UNION
SELECT id, password_hash FROM users
 WHERE lower(email) = lower(:email) AND deleted_at IS NULL AND is_active
   AND NOT row_security_active('public.users');

-- name: enter_signed_in_person(user_id)$
-- After the password matched in an email scope: makes the rest of the transaction the
-- person's (ikenei.user_id), if they are the active user of the scope's email; else changes nothing.
SELECT set_config('ikenei.user_id', :user_id::uuid::text, true)
 WHERE current_person_email() IS NOT NULL
   AND EXISTS (SELECT 1 FROM password_hash_for_sign_in(current_person_email()) s WHERE s.id = :user_id::uuid);

-- name: set_password_hash(user_id, password_hash)!
-- Stores a new bcrypt hash for a user.
UPDATE users SET password_hash = :password_hash WHERE id = :user_id AND deleted_at IS NULL;

-- name: record_login(user_id)!
-- Notes the time of a successful login.
UPDATE users SET last_login_at = now() WHERE id = :user_id AND deleted_at IS NULL;
