-- Down Migration
-- Description: An organization may again change its members' accounts; the email scope finds its person; another organization's rows are refused by name

DROP TRIGGER analytics_events_user_is_member ON analytics_events;

DROP FUNCTION ensure_event_user_is_member();

CREATE OR REPLACE FUNCTION ensure_shared_or_same_organization() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    referenced_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    referenced_org uuid;
BEGIN
    IF referenced_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT organization_id FROM public.%I WHERE id = $1', TG_ARGV[1])
        INTO referenced_org USING referenced_id;
    IF referenced_org IS NOT NULL AND referenced_org <> NEW.organization_id THEN
        RAISE EXCEPTION '% refers to a % row of another organization', TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'IK422', COLUMN = TG_ARGV[0], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

DROP FUNCTION password_hash_for_sign_in(text);

DROP TRIGGER users_account_changed_by_its_person ON users;

DROP FUNCTION ensure_account_changed_by_its_person();

DROP POLICY users_member_update ON users;

CREATE POLICY users_member_update ON users FOR UPDATE
    USING (EXISTS (SELECT 1 FROM user_organizations m
                    WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                      AND m.status <> 'left'))
    WITH CHECK (EXISTS (SELECT 1 FROM user_organizations m
                         WHERE m.user_id = users.id AND m.organization_id = current_organization_id()
                           AND m.status <> 'left'));

DROP POLICY users_sign_up ON users;

CREATE POLICY users_sign_up ON users FOR INSERT
    WITH CHECK (lower(email) = current_person_email());

DROP POLICY users_person ON users;

CREATE POLICY users_person ON users FOR SELECT
    USING (id = (SELECT current_person_id()) OR lower(email) = current_person_email());

CREATE OR REPLACE FUNCTION current_person_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(
        nullif(current_setting('ikenei.user_id', true), '')::uuid,
        (SELECT u.id FROM public.users u
          WHERE lower(u.email) = public.current_person_email() AND u.deleted_at IS NULL))
$$;
