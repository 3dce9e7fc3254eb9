-- Up Migration
-- Description: Create organizations, users, user_organizations, roles and user_roles
-- Date: 2026-11-25
--
-- Users are global identities; an organization's people are its rows in
-- user_organizations. The seed's `idx_users_organization ON users(organization_id)`
-- names a column users does not have (a user may belong to several
-- organizations): the lookup it was meant for, "the people of an
-- organization", is served by idx_user_organizations_organization on the
-- membership table instead.
--
-- Emails are unique case-insensitively among users not soft-deleted, so the
-- seed's idx_users_email is that unique index on lower(email); look users up
-- with lower(email) = lower($1).

CREATE TABLE organizations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    domain VARCHAR(100),
    industry VARCHAR(100),
    size_category VARCHAR(50),
    logo_url TEXT,
    settings JSONB NOT NULL DEFAULT '{}',
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT organizations_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT organizations_domain_check CHECK (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
    CONSTRAINT organizations_size_category_check
        CHECK (size_category IN ('1-10', '11-50', '51-200', '201-1000', '1001-5000', '5000+')),
    CONSTRAINT organizations_settings_check CHECK (jsonb_typeof(settings) = 'object')
);

CREATE UNIQUE INDEX organizations_domain_key ON organizations (domain) WHERE deleted_at IS NULL;
CREATE INDEX idx_organizations_active ON organizations (name) WHERE deleted_at IS NULL;

CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    job_title VARCHAR(200),
    department VARCHAR(100),
    manager_id UUID,
    profile_image_url TEXT,
    is_active BOOLEAN NOT NULL DEFAULT true,
    email_verified BOOLEAN NOT NULL DEFAULT false,
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT users_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    -- Only bcrypt hashes are stored, never a password or another scheme.
    CONSTRAINT users_password_hash_check CHECK (password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'),
    CONSTRAINT users_first_name_check CHECK (btrim(first_name) <> ''),
    CONSTRAINT users_last_name_check CHECK (btrim(last_name) <> ''),
    CONSTRAINT users_manager_id_check CHECK (manager_id <> id),
    CONSTRAINT users_manager_id_fkey FOREIGN KEY (manager_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX idx_users_email ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX idx_users_active ON users (is_active) WHERE is_active = true;
CREATE INDEX idx_users_manager ON users (manager_id) WHERE manager_id IS NOT NULL;

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_organizations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    left_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_organizations_status_check CHECK (status IN ('invited', 'active', 'suspended', 'left')),
    CONSTRAINT user_organizations_left_at_check CHECK ((status = 'left') = (left_at IS NOT NULL)),
    CONSTRAINT user_organizations_user_id_key UNIQUE (organization_id, user_id),
    CONSTRAINT user_organizations_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT user_organizations_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_user_organizations_organization ON user_organizations (organization_id, status);
CREATE INDEX idx_user_organizations_user ON user_organizations (user_id);

CREATE TRIGGER user_organizations_set_updated_at BEFORE UPDATE ON user_organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- System roles (organization_id IS NULL, seeded) are shared by every
-- organization; an organization may add its own.
CREATE TABLE roles (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    permissions JSONB NOT NULL DEFAULT '[]',
    is_system BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT roles_name_check CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT roles_permissions_check CHECK (jsonb_typeof(permissions) = 'array'),
    CONSTRAINT roles_is_system_check CHECK (is_system = (organization_id IS NULL)),
    CONSTRAINT roles_name_key UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT roles_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON roles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_roles (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    role_id UUID NOT NULL,
    granted_by UUID,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_roles_role_id_key UNIQUE (organization_id, user_id, role_id),
    CONSTRAINT user_roles_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT user_roles_granted_by_fkey FOREIGN KEY (granted_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_user_roles_role ON user_roles (role_id);

CREATE TRIGGER user_roles_role_same_organization BEFORE INSERT OR UPDATE OF role_id, organization_id ON user_roles
    FOR EACH ROW EXECUTE FUNCTION ensure_shared_or_same_organization('role_id', 'roles');
