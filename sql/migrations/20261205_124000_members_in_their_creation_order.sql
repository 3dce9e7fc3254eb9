-- Up Migration
-- Description: A membership keeps its person's creation time, so that users.list pages an organization's people by an index
-- Date: 2026-12-05
--
-- users.list lists people in creation order, (users.created_at, users.id). In
-- an organization's scope it read every member to sort them: about 500 buffers
-- for an organization of 100, and as many as the organization has people for
-- any page. user_organizations.user_created_at holds the person's created_at,
-- and an index on (organization_id, user_created_at, user_id) serves the
-- organization's people in that order, a page at a time.
--
-- The column is the person's, never the caller's: a trigger sets it on every
-- insert and update of a membership (as the owner: the person joining is not
-- yet visible to the organization that adds them; it reads that one value
-- and refuses nothing, so it tells no one anything new), and a change of a
-- person's created_at is carried to their memberships. A person who does not
-- exist gets -infinity, and the foreign key then refuses the row as before.

ALTER TABLE user_organizations ADD COLUMN user_created_at TIMESTAMPTZ;
UPDATE user_organizations m SET user_created_at = u.created_at FROM users u WHERE u.id = m.user_id;
ALTER TABLE user_organizations ALTER COLUMN user_created_at SET NOT NULL;

CREATE FUNCTION membership_takes_person_created_at() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    NEW.user_created_at := coalesce(
        (SELECT u.created_at FROM public.users u WHERE u.id = NEW.user_id), '-infinity');
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION membership_takes_person_created_at() FROM PUBLIC;

CREATE TRIGGER user_organizations_person_created_at BEFORE INSERT OR UPDATE ON user_organizations
    FOR EACH ROW EXECUTE FUNCTION membership_takes_person_created_at();

CREATE FUNCTION person_created_at_to_memberships() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE public.user_organizations SET user_created_at = NEW.created_at WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION person_created_at_to_memberships() FROM PUBLIC;

CREATE TRIGGER users_created_at_to_memberships AFTER UPDATE OF created_at ON users
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION person_created_at_to_memberships();

CREATE INDEX idx_user_organizations_user_order ON user_organizations (organization_id, user_created_at, user_id);
