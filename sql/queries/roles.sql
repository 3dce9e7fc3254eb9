-- Roles (system roles are shared: organization_id IS NULL) and their
-- assignment to members of an organization.

-- name: create_role(organization_id, name, description, permissions)^
-- Inserts an organization's own role; returns it.
INSERT INTO roles (organization_id, name, description, permissions, is_system)
VALUES (:organization_id, :name, :description, coalesce(:permissions::jsonb, '[]'), false)
RETURNING id, organization_id, name, description, permissions, is_system, created_at, updated_at;

-- name: get_role(role_id)^
-- One role by id, or nothing.
SELECT id, organization_id, name, description, permissions, is_system, created_at, updated_at
  FROM roles WHERE id = :role_id;

-- name: get_role_by_name(organization_id, name)^
-- The organization's role of this name, else the system role of this name.
SELECT id, organization_id, name, description, permissions, is_system, created_at, updated_at
  FROM roles
 WHERE name = :name AND (organization_id = :organization_id OR organization_id IS NULL)
 ORDER BY organization_id NULLS LAST
 LIMIT 1;

-- name: list_roles(organization_id)
-- The system roles and the organization's own, system roles first, by name.
SELECT id, organization_id, name, description, permissions, is_system, created_at, updated_at
  FROM roles
 WHERE organization_id = :organization_id OR organization_id IS NULL
 ORDER BY is_system DESC, name, id;

-- name: update_role(role_id, name, description, permissions)^
-- Replaces an organization role's editable fields; system roles are not editable.
UPDATE roles SET name = :name, description = :description, permissions = :permissions
 WHERE id = :role_id AND NOT is_system
RETURNING id, organization_id, name, description, permissions, is_system, created_at, updated_at;

-- name: delete_role(role_id)$
-- Deletes an organization's own role (and its assignments); returns its id, or nothing.
DELETE FROM roles WHERE id = :role_id AND NOT is_system RETURNING id;

-- name: assign_role(organization_id, user_id, role_id, granted_by)^
-- Grants a system role or one of the organization's own to a member; returns
-- the assignment, or nothing when no such role is the organization's to grant
-- (another organization's role looks exactly like a missing one).
INSERT INTO user_roles (organization_id, user_id, role_id, granted_by)
SELECT :organization_id::uuid, :user_id::uuid, r.id, :granted_by::uuid
  FROM roles r
 WHERE r.id = :role_id AND (r.organization_id IS NULL OR r.organization_id = :organization_id::uuid)
RETURNING id, organization_id, user_id, role_id, granted_by, granted_at;

-- name: revoke_role(organization_id, user_id, role_id)$
-- Removes a role from a member; returns the assignment id, or nothing.
DELETE FROM user_roles
 WHERE organization_id = :organization_id AND user_id = :user_id AND role_id = :role_id
RETURNING id;

-- name: list_user_roles(organization_id, user_id)
-- The roles a member holds in an organization, by name.
SELECT r.id, r.organization_id, r.name, r.description, r.permissions, r.is_system, r.created_at, r.updated_at
  FROM user_roles ur
  JOIN roles r ON r.id = ur.role_id
 WHERE ur.organization_id = :organization_id AND ur.user_id = :user_id
 ORDER BY r.name, r.id;

-- name: list_role_members(organization_id, role_id, after_granted_at, after_id, limit)
-- A page of the role's assignments to current members (not left, not deleted), oldest first.
-- The membership and the person are checked beside each assignment (LATERAL ... LIMIT 1),
-- so a page walks the assignments in order and checks the page's people only; with
-- plain joins the planner, expecting a handful of members under row-level security,
-- checked every assignee of the role and sorted them all.
SELECT ur.id, ur.organization_id, ur.user_id, ur.role_id, ur.granted_by, ur.granted_at
  FROM user_roles ur
 CROSS JOIN LATERAL (SELECT FROM user_organizations m
                      WHERE m.organization_id = ur.organization_id AND m.user_id = ur.user_id
                        AND m.status <> 'left' LIMIT 1) AS member
 CROSS JOIN LATERAL (SELECT FROM users u WHERE u.id = ur.user_id AND u.deleted_at IS NULL LIMIT 1) AS person
 WHERE ur.organization_id = :organization_id AND ur.role_id = :role_id
   AND (ur.granted_at, ur.id) > (coalesce(:after_granted_at::timestamptz, '-infinity'), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY ur.granted_at, ur.id
 LIMIT :limit;
