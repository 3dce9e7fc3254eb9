-- Test-only queries for the users, organizations and roles tests: what the
-- repositories deliberately cannot do (count every row, soft-deleted ones
-- included; read a stored hash; insert a system role, which only the prod
-- seed does).

-- name: count_foundation_rows()^
-- How many rows each table of users, organizations and roles holds, soft-deleted ones included.
SELECT (SELECT count(*) FROM users)::int AS users,
       (SELECT count(*) FROM organizations)::int AS organizations,
       (SELECT count(*) FROM user_organizations)::int AS memberships,
       (SELECT count(*) FROM roles)::int AS roles,
       (SELECT count(*) FROM user_roles)::int AS user_roles;

-- name: get_stored_password_hash(user_id)$
-- The bcrypt hash stored for a user, soft-deleted or not.
SELECT password_hash FROM users WHERE id = :user_id;

-- name: get_user_deleted_at(user_id)$
-- When a user was soft-deleted (NULL while not deleted).
SELECT deleted_at FROM users WHERE id = :user_id;

-- name: insert_system_role(name, permissions)^
-- A shared system role, inserted the way the prod seed does.
INSERT INTO roles (organization_id, name, description, permissions, is_system)
VALUES (NULL, :name, 'a system role made by a test', :permissions, true)
RETURNING id, organization_id, name, description, permissions, is_system, created_at, updated_at;
