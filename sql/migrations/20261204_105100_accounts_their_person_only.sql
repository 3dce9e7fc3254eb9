-- Up Migration
-- Description: A person's account changes only in their own scope; an email scope only signs up or in; no lookup tells another organization's ids apart from missing ones
-- Date: 2026-12-04
--
-- 1. A person's credentials and account (email, password hash, active,
--    email verified, last sign-in, deletion) change only in that person's
--    own scope (db.person(user_id) or an organization scope acting as them):
--    users belong to several organizations, and one of them must not take
--    over or lock out a person the others share. An organization ends a
--    membership (remove_member, set_member_status), never the account. The
--    profile (names, title, department, manager, picture) of a member stays
--    the organization's to keep, by a holder of users.manage (or the
--    maintenance scope).
-- 2. The email scope (db.person(email=...)) signs up or in, nothing more:
--    current_person_id() no longer turns an email into an id, so the email
--    scope reaches no organization, membership, consent or log of the person;
--    it sees a users row only when it created it in its own transaction
--    (sign-up returns the new row), and sign-in reads the id and password hash
--    of the active account with that email through
--    password_hash_for_sign_in(), which answers only the email of the scope. After the password matched, the
--    repository makes the transaction the person's (sign_in_person).
-- 3. A reference to a roles or competency category row of another
--    organization is refused exactly as one to no row at all: the same
--    message, so a refusal does not confirm that an id exists elsewhere.
-- 4. An analytics event names only a member of its organization (any status):
--    a user of another organization is refused as one that does not exist.

CREATE OR REPLACE FUNCTION current_person_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT nullif(current_setting('ikenei.user_id', true), '')::uuid
$$;

DROP POLICY users_person ON users;

-- By email only the row this transaction signed up (created_at = now(), the
-- transaction's start): no existing account shows itself to an email scope.
CREATE POLICY users_person ON users FOR SELECT
    USING (id = (SELECT current_person_id())
           OR (lower(email) = (SELECT current_person_email()) AND created_at = now()));

DROP POLICY users_sign_up ON users;

CREATE POLICY users_sign_up ON users FOR INSERT
    WITH CHECK (lower(email) = (SELECT current_person_email()) AND created_at = now());

DROP POLICY users_member_update ON users;

CREATE POLICY users_member_update ON users FOR UPDATE
    USING ((SELECT acting_person_may('users.manage'))
           AND EXISTS (SELECT 1 FROM user_organizations m
                        WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                          AND m.status <> 'left'))
    WITH CHECK ((SELECT acting_person_may('users.manage'))
                AND EXISTS (SELECT 1 FROM user_organizations m
                             WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                               AND m.status <> 'left'));

-- The account's own columns: only its person changes them (row-level
-- security decides which rows a role may update, not which columns).
CREATE FUNCTION ensure_account_changed_by_its_person() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF row_security_active('public.users')
       AND OLD.id IS DISTINCT FROM public.current_person_id()
       AND (NEW.email, NEW.password_hash, NEW.is_active, NEW.email_verified, NEW.last_login_at, NEW.deleted_at)
           IS DISTINCT FROM
           (OLD.email, OLD.password_hash, OLD.is_active, OLD.email_verified, OLD.last_login_at, OLD.deleted_at)
    THEN
        RAISE EXCEPTION 'a person''s email, password, activity and deletion change only in their own scope (row-level security): an organization ends a membership, not an account'
            USING ERRCODE = 'insufficient_privilege', TABLE = 'users';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_account_changed_by_its_person BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION ensure_account_changed_by_its_person();

-- The id and hash of the active account with this email, for checking a
-- password: only in the email scope of that very email; nothing in an
-- organization scope, a person's scope or outside any scope. (The tables'
-- owner reads users itself: see get_password_hash.)
CREATE FUNCTION password_hash_for_sign_in(p_email text, OUT id uuid, OUT password_hash text)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT u.id, u.password_hash::text
      FROM public.users u
     WHERE lower(u.email) = lower(p_email) AND u.deleted_at IS NULL AND u.is_active
       AND public.current_organization_id() IS NULL
       AND public.current_person_id() IS NULL
       AND public.current_person_email() = lower(p_email)
$$;

REVOKE ALL ON FUNCTION password_hash_for_sign_in(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION password_hash_for_sign_in(text) TO ikenei_app;

-- Another organization's row answers as no row: the same message either way.
CREATE OR REPLACE FUNCTION ensure_shared_or_same_organization() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    referenced_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    referenced_org uuid;
    found_rows integer;
BEGIN
    IF referenced_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- EXECUTE does not set FOUND: the row count tells a missing row.
    EXECUTE format('SELECT organization_id FROM public.%I WHERE id = $1', TG_ARGV[1])
        INTO referenced_org USING referenced_id;
    GET DIAGNOSTICS found_rows = ROW_COUNT;
    IF found_rows = 0 OR (referenced_org IS NOT NULL AND referenced_org <> NEW.organization_id) THEN
        RAISE EXCEPTION '% refers to no % row of this organization', TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'IK422', COLUMN = TG_ARGV[0], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION ensure_event_user_is_member() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.user_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM public.user_organizations m
         WHERE m.organization_id = NEW.organization_id AND m.user_id = NEW.user_id)
    THEN
        RAISE EXCEPTION 'user_id refers to no member of this organization'
            USING ERRCODE = 'IK422', COLUMN = 'user_id', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER analytics_events_user_is_member BEFORE INSERT OR UPDATE OF user_id, organization_id
    ON analytics_events FOR EACH ROW EXECUTE FUNCTION ensure_event_user_is_member();
