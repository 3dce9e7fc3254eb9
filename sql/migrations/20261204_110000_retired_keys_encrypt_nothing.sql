-- Up Migration
-- Description: A retired encryption key encrypts nothing new: the database refuses a value written under it
-- Date: 2026-12-04
--
-- `ikenei keys rotate` retires a key once no stored value uses it. An
-- instance still running with that key as its current one would otherwise
-- go on writing under it, and an instance started with the new key alone
-- would then fail on its first read of those values. refuse_retired_key()
-- refuses, on every column holding a key id of field encryption, a value
-- written (inserted, or moved to another key) under a retired key, with
-- SQLSTATE IK409 (ikenei.errors.Conflict, current 'retired').
--
-- The key's registry row is read FOR SHARE: a rotation retires a key only
-- after locking its row (FOR UPDATE) and then looking for values under it
-- with a fresh snapshot, so a value written while the key is being retired
-- is either seen by the rotation (the key stays) or refused here.
-- SECURITY DEFINER, with a fixed search_path: the application's role may
-- read the registry but not lock its rows.
--
-- encryption_keys_in_use() lists the key ids some stored value is encrypted
-- under, found through every foreign key to encryption_keys (so a column
-- added later is included without changing it). The start-up check
-- (ikenei.privacy.keys.check_keys) refuses keys that cannot read every one of
-- them, whatever the registry says is retired; the rotation retires only keys
-- it does not list. SECURITY DEFINER: the application's role, bound by
-- row-level security, would see no organization's values.

CREATE FUNCTION refuse_retired_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    new_key TEXT := to_jsonb(NEW) ->> TG_ARGV[0];
    retired TIMESTAMPTZ;
BEGIN
    IF new_key IS NULL OR (TG_OP = 'UPDATE' AND new_key IS NOT DISTINCT FROM to_jsonb(OLD) ->> TG_ARGV[0]) THEN
        RETURN NEW;
    END IF;
    SELECT k.retired_at INTO retired FROM public.encryption_keys k WHERE k.key_id = new_key FOR SHARE;
    IF retired IS NOT NULL THEN
        RAISE EXCEPTION 'encryption key % was retired at %: nothing new may be encrypted under it; restart with the current key as PII_ENCRYPTION_KEY', new_key, retired
            USING ERRCODE = 'IK409', DETAIL = 'retired', TABLE = TG_TABLE_NAME, COLUMN = TG_ARGV[0];
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER feedback_responses_comment_key_not_retired
    BEFORE INSERT OR UPDATE OF comment_key_id ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('comment_key_id');

CREATE TRIGGER learning_progress_notes_key_not_retired
    BEFORE INSERT OR UPDATE OF notes_key_id ON learning_progress
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('notes_key_id');

CREATE FUNCTION encryption_keys_in_use() RETURNS SETOF TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    ref RECORD;
BEGIN
    FOR ref IN SELECT c.conrelid::regclass AS table_name, a.attname AS column_name
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = 'public.encryption_keys'::regclass
                ORDER BY 1, 2 LOOP
        RETURN QUERY EXECUTE format(
            'SELECT k.key_id FROM public.encryption_keys k WHERE EXISTS (SELECT 1 FROM %s t WHERE t.%I = k.key_id)',
            ref.table_name, ref.column_name);
    END LOOP;
END
$$;
