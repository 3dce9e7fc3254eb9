-- Organizations and their memberships. Soft-deleted organizations are skipped.

-- name: create_organization(name, domain, industry, size_category, logo_url, settings)^
-- Inserts an organization; returns it.
INSERT INTO organizations (name, domain, industry, size_category, logo_url, settings)
VALUES (:name, :domain, :industry, :size_category, :logo_url, coalesce(:settings::jsonb, '{}'))
RETURNING id, name, domain, industry, size_category, logo_url, settings, is_active, created_at, updated_at;

-- name: get_organization(organization_id)^
-- One organization by id, or nothing.
SELECT id, name, domain, industry, size_category, logo_url, settings, is_active, created_at, updated_at
  FROM organizations
 WHERE id = :organization_id AND deleted_at IS NULL;

-- name: get_organization_by_domain(domain)^
-- One organization by its domain (any case: domains are stored in lower case), or nothing.
SELECT id, name, domain, industry, size_category, logo_url, settings, is_active, created_at, updated_at
  FROM organizations
 WHERE domain = lower(:domain) AND deleted_at IS NULL;

-- name: list_organizations(is_active, after_name, after_id, limit)
-- A page of organizations by name; is_active NULL lists all.
-- Which organizations a scope sees is row-level security's word; where they
-- are looked for follows the scope, as in list_users: a scope with an
-- organization or a person reads those by id (the scope's organization and
-- the person's memberships: a handful, sorted), and only a session with no
-- scope at all (the owner's maintenance) walks every organization by name, a
-- page's worth. Each branch's condition is decided once.
SELECT * FROM (
    (SELECT o.id, o.name, o.domain, o.industry, o.size_category, o.logo_url, o.settings, o.is_active,
            o.created_at, o.updated_at
       FROM (SELECT (SELECT current_organization_id()) AS id
             UNION
             SELECT m.organization_id FROM user_organizations m
              WHERE m.user_id = (SELECT current_person_id()) AND m.status <> 'left') AS scoped
      -- One lookup by id each (LIMIT 1 keeps the planner from turning it into a walk by name).
      CROSS JOIN LATERAL (
            SELECT * FROM organizations o
             WHERE o.id = scoped.id AND o.deleted_at IS NULL
               AND (:is_active::boolean IS NULL OR o.is_active = :is_active)
               AND (o.name, o.id) > (coalesce(:after_name::text, ''),
                                     coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
             LIMIT 1) AS o
      WHERE (SELECT current_organization_id()) IS NOT NULL OR (SELECT current_person_id()) IS NOT NULL
      ORDER BY o.name, o.id LIMIT :limit)
    UNION ALL
    (SELECT o.id, o.name, o.domain, o.industry, o.size_category, o.logo_url, o.settings, o.is_active,
            o.created_at, o.updated_at
       FROM organizations o
      WHERE (SELECT current_organization_id()) IS NULL AND (SELECT current_person_id()) IS NULL
        AND (SELECT current_person_email()) IS NULL AND (SELECT current_access_token_hash()) IS NULL
        AND o.deleted_at IS NULL
        AND (:is_active::boolean IS NULL OR o.is_active = :is_active)
        AND (o.name, o.id) > (coalesce(:after_name::text, ''),
                              coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
      ORDER BY o.name, o.id LIMIT :limit)
) AS o
 ORDER BY name, id
 LIMIT :limit;

-- name: update_organization(organization_id, name, domain, industry, size_category, logo_url, settings, is_active)^
-- Replaces the editable fields of an organization; returns it, or nothing if absent.
UPDATE organizations
   SET name = :name, domain = :domain, industry = :industry, size_category = :size_category,
       logo_url = :logo_url, settings = :settings, is_active = :is_active
 WHERE id = :organization_id AND deleted_at IS NULL
RETURNING id, name, domain, industry, size_category, logo_url, settings, is_active, created_at, updated_at;

-- name: soft_delete_organization(organization_id)$
-- Marks an organization deleted and inactive; returns its id, or nothing if absent.
UPDATE organizations SET deleted_at = now(), is_active = false
 WHERE id = :organization_id AND deleted_at IS NULL
RETURNING id;

-- name: add_member(organization_id, user_id, status)^
-- Makes a user a member of an organization; returns the membership.
INSERT INTO user_organizations (organization_id, user_id, status)
VALUES (:organization_id, :user_id, :status)
RETURNING id, organization_id, user_id, status, joined_at, left_at, created_at, updated_at;

-- name: get_membership(organization_id, user_id)^
-- The membership of a user in an organization, or nothing.
SELECT id, organization_id, user_id, status, joined_at, left_at, created_at, updated_at
  FROM user_organizations
 WHERE organization_id = :organization_id AND user_id = :user_id;

-- name: set_member_status(organization_id, user_id, status)^
-- Changes a membership's status (leaving stamps left_at); returns it, or nothing.
UPDATE user_organizations
   -- The casts give the status parameter one type: bare, it is deduced as varchar here, text below.
   SET status = :status::text,
       left_at = CASE WHEN :status::text = 'left' THEN coalesce(left_at, now()) END
 WHERE organization_id = :organization_id AND user_id = :user_id
RETURNING id, organization_id, user_id, status, joined_at, left_at, created_at, updated_at;

-- name: list_members(organization_id, status, after_joined_at, after_user_id, limit)
-- A page of an organization's people with their membership, in the order they joined (served by
-- the index on organization, joined_at, user); status NULL lists all.
-- The memberships come in order from a subquery of their own and each person is looked
-- up beside their membership (LATERAL ... LIMIT 1), so a page reads the people it shows:
-- under row-level security the planner expects a handful of members (the two ORed
-- policies of user_organizations), and with a plain join it looked up every member and
-- sorted them all before taking the page.
SELECT u.id AS user_id, u.email, u.first_name, u.last_name, u.job_title, u.department,
       u.manager_id, m.status, m.joined_at
  FROM (SELECT m.user_id, m.status, m.joined_at
          FROM user_organizations m
         WHERE m.organization_id = :organization_id
           AND (:status::text IS NULL OR m.status = :status)
           AND (m.joined_at, m.user_id) > (coalesce(:after_joined_at::timestamptz, '-infinity'), coalesce(:after_user_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
         ORDER BY m.joined_at, m.user_id) AS m
 CROSS JOIN LATERAL (SELECT u.id, u.email, u.first_name, u.last_name, u.job_title, u.department, u.manager_id
                       FROM users u WHERE u.id = m.user_id AND u.deleted_at IS NULL LIMIT 1) AS u
 ORDER BY m.joined_at, m.user_id
 LIMIT :limit;

-- name: list_user_organizations(user_id)
-- The organizations a user belongs to (not left), by name.
SELECT o.id, o.name, o.domain, o.industry, o.size_category, o.logo_url, o.settings, o.is_active,
       o.created_at, o.updated_at
  FROM user_organizations m
  JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
 WHERE m.user_id = :user_id AND m.status <> 'left'
 ORDER BY o.name, o.id;
