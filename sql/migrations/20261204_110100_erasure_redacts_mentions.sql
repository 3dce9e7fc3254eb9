-- Up Migration
-- Description: An erasure leaves no trace of the person: their id, email and name are redacted wherever they are written
-- Date: 2026-12-04
--
-- Deleting the person's rows (ikenei.privacy.gdpr) leaves what others wrote
-- about them and what the logs say about them: a colleague's recommendation
-- "Ask <name> for coaching tips", a report titled with their name whose
-- parameters hold their id, audit and access-log actors of the form
-- user:<id>. These two functions find that, in every table of every schema
-- of the application, so that tables added later are covered too.
--
-- person_mentions_pattern(ids, emails, names) is the one regular expression
-- (applied case-insensitively) of every form the person is written in: each
-- id with or without its hyphens, each email, each full name with any run
-- of spaces between its words; each only where it stands alone (not as part
-- of a longer word, email or id). NULL when there is nothing to look for.
--
-- erase_person_mentions(ids, pattern) then, for every column:
--   - uuid: a value equal to one of the ids is cleared (NULL), or its row
--     deleted when the column is NOT NULL (foreign keys have already done
--     this for columns that reference users);
--   - text, varchar, char, json, jsonb: every match of the pattern is
--     replaced by [erased person] (in JSON, inside the string that held it,
--     so the document stays valid);
-- except the users row's own email and names, which belong to the other
-- accounts that are not erased (a former holder of a reused address keeps
-- it). It returns the columns it changed and how many rows. A column that
-- refuses the change stops the erasure with an error naming it (the caller's
-- transaction then changes nothing). The logs are rewritten too: the caller
-- enables that for its transaction (ikenei.retention, as the retention run).
--
-- Both have a fixed search_path; the tables are named with their schema.

CREATE FUNCTION person_mentions_pattern(ids UUID[], emails TEXT[], names TEXT[]) RETURNS TEXT
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH terms AS (
        -- An id: 8-4-4-4-12 hex digits, each hyphen optional.
        SELECT '(?<![[:xdigit:]])'
               || regexp_replace(replace(id::text, '-', ''),
                                 '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-?\2-?\3-?\4-?\5')
               || '(?![[:xdigit:]])' AS term
          FROM unnest(ids) AS id
         WHERE id IS NOT NULL
        UNION ALL
        SELECT '(?<![[:alnum:]._%+-])'
               || regexp_replace(btrim(email), '([][!$()*+.:<=>?\\^{|}-])', '\\\1', 'g')
               || '(?![[:alnum:]_-]|\.[[:alnum:]])'
          FROM unnest(emails) AS email
         WHERE btrim(email) <> ''
        UNION ALL
        SELECT '(?<![[:alnum:]_])'
               || array_to_string(ARRAY(
                      SELECT regexp_replace(word, '([][!$()*+.:<=>?\\^{|}-])', '\\\1', 'g')
                        FROM regexp_split_to_table(btrim(name), '[[:space:]]+') AS word), '[[:space:]]+')
               || '(?![[:alnum:]_])'
          FROM unnest(names) AS name
         WHERE btrim(name) <> ''
    )
    SELECT '(' || string_agg(term, '|') || ')' FROM terms;
$$;

CREATE FUNCTION erase_person_mentions(p_ids UUID[], p_pattern TEXT)
RETURNS TABLE (column_name TEXT, rows_changed BIGINT)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col RECORD;
    changed BIGINT;
BEGIN
    FOR col IN
        SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS attribute,
               a.atttypid AS type_id, format_type(a.atttypid, a.atttypmod) AS type_name,
               a.attnotnull AS not_null
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
           AND a.atttypid IN ('uuid'::regtype, 'text'::regtype, 'varchar'::regtype, 'bpchar'::regtype,
                              'json'::regtype, 'jsonb'::regtype)
           AND NOT (n.nspname = 'public' AND c.relname = 'users'
                    AND a.attname IN ('email', 'first_name', 'last_name', 'password_hash'))
         ORDER BY n.nspname, c.relname, a.attnum
    LOOP
        BEGIN
            IF col.type_id = 'uuid'::regtype THEN
                IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
                    CONTINUE;
                END IF;
                IF col.not_null THEN
                    EXECUTE format('DELETE FROM %I.%I WHERE %I = ANY($1)',
                                   col.schema_name, col.table_name, col.attribute) USING p_ids;
                ELSE
                    EXECUTE format('UPDATE %I.%I SET %I = NULL WHERE %I = ANY($1)',
                                   col.schema_name, col.table_name, col.attribute, col.attribute) USING p_ids;
                END IF;
            ELSE
                IF p_pattern IS NULL THEN
                    CONTINUE;
                END IF;
                -- An explicit cast to varchar(n) shortens a value the replacement lengthened.
                EXECUTE format('UPDATE %I.%I SET %I = regexp_replace(%I::text, $1, %L, %L)::%s WHERE %I::text ~* $1',
                               col.schema_name, col.table_name, col.attribute, col.attribute,
                               '[erased person]', 'gi', col.type_name, col.attribute) USING p_pattern;
            END IF;
            GET DIAGNOSTICS changed = ROW_COUNT;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'the erasure cannot remove the person from %.%.%: %',
                            col.schema_name, col.table_name, col.attribute, SQLERRM
                USING ERRCODE = 'IK409', DETAIL = 'refused', TABLE = col.table_name, COLUMN = col.attribute;
        END;
        IF changed > 0 THEN
            column_name := format('%s.%s.%s', col.schema_name, col.table_name, col.attribute);
            rows_changed := changed;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
