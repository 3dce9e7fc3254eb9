-- Up Migration
-- Description: Shared trigger functions: updated_at upkeep, status transition guard, shared-or-same-organization check
-- Date: 2026-11-25

-- Every table with an updated_at column gets a BEFORE UPDATE trigger calling
-- this, so callers never maintain the column themselves.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Guards a status column: the trigger's arguments list the allowed moves as
-- 'from>to'. A refused move raises SQLSTATE IK409 (ikenei.errors.Conflict)
-- with the current state as DETAIL.
CREATE FUNCTION guard_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ((OLD.status || '>' || NEW.status) = ANY (TG_ARGV)) THEN
        RAISE EXCEPTION '% % cannot move from % to %', TG_TABLE_NAME, OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'IK409', DETAIL = OLD.status, COLUMN = 'status', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

-- Some catalogs hold shared rows (organization_id IS NULL: system roles,
-- standard categories) beside an organization's own. A composite foreign key
-- cannot express "shared or mine", so this trigger does: TG_ARGV[0] is the
-- referencing column, TG_ARGV[1] the referenced table.
CREATE FUNCTION ensure_shared_or_same_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    referenced_org uuid;
BEGIN
    IF referenced_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT organization_id FROM %I WHERE id = $1', TG_ARGV[1])
        INTO referenced_org USING referenced_id;
    IF referenced_org IS NOT NULL AND referenced_org <> NEW.organization_id THEN
        RAISE EXCEPTION '% refers to a % row of another organization', TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'IK422', COLUMN = TG_ARGV[0], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;
