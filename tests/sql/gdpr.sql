-- Test-only queries for the GDPR tests: search every column of every table
-- for a text, fingerprint every table, and make an erasure fail half-way.

-- name: create_columns_holding_function()!
-- A session-local function: the columns (table.column) of schema public with
-- a value whose text holds the needle, ignoring case; a bytea also matches
-- when it holds the needle's UTF-8 bytes. Every column of every table is
-- read as text, whatever its type (jsonb, arrays and bytea included).
CREATE OR REPLACE FUNCTION pg_temp.columns_holding(needle TEXT) RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
DECLARE
    col RECORD;
    found BOOLEAN;
BEGIN
    FOR col IN SELECT c.relname AS table_name, a.attname AS column_name
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                ORDER BY c.relname, a.attnum LOOP
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM public.%I WHERE strpos(lower(%I::text), lower($1)) > 0'
            ' OR strpos(%I::text, $2) > 0)',
            col.table_name, col.column_name, col.column_name)
           INTO found
          USING needle, encode(convert_to(needle, 'UTF8'), 'hex');
        IF found THEN
            RETURN NEXT col.table_name || '.' || col.column_name;
        END IF;
    END LOOP;
END
$$;

-- name: columns_holding(needle)
-- The columns holding the text (see create_columns_holding_function).
SELECT pg_temp.columns_holding(:needle) AS column_name;

-- name: create_table_fingerprints_function()!
-- A session-local function: per table of schema public, its row count and an
-- md5 of all its rows, to prove that an operation changed nothing.
CREATE OR REPLACE FUNCTION pg_temp.table_fingerprints() RETURNS TABLE (table_name TEXT, row_count BIGINT, digest TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
        table_name := t.relname;
        EXECUTE format('SELECT count(*), md5(coalesce(string_agg(r::text, E''\n'' ORDER BY r::text), ''''))'
                       ' FROM public.%I r', t.relname)
           INTO row_count, digest;
        RETURN NEXT;
    END LOOP;
END
$$;

-- name: table_fingerprints()
-- Every table's row count and digest (see create_table_fingerprints_function).
SELECT table_name, row_count, digest FROM pg_temp.table_fingerprints();

-- name: make_user_deletion_fail()!
-- A trigger that fails every deletion of a users row: an erasure then fails
-- after it has already removed comments, invitations and events.
CREATE FUNCTION test_refuse_user_deletion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'test: deleting users row % fails', OLD.id;
END
$$;
CREATE TRIGGER test_users_refuse_deletion BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION test_refuse_user_deletion();

-- name: count_comments_of_response_rows(response_ids)$
-- How many of these answers exist, and how many of them hold a comment.
SELECT jsonb_build_object(
    'answers', count(*),
    'with_comment', count(*) FILTER (WHERE comment IS NOT NULL OR comment_ciphertext IS NOT NULL))
  FROM feedback_responses WHERE id = ANY(:response_ids::uuid[]);

-- name: list_invitation_response_ids(invitation_id)$
-- The ids of the answers that name this invitation.
SELECT array_agg(id ORDER BY id) FROM feedback_responses WHERE invitation_id = :invitation_id;

-- name: list_commented_answers(response_ids)
-- Of these answers, those holding a comment, with their rating: the rated ones first.
SELECT id, rating FROM feedback_responses
 WHERE id = ANY(:response_ids::uuid[]) AND (comment IS NOT NULL OR comment_ciphertext IS NOT NULL)
 ORDER BY rating NULLS LAST, id;

-- name: create_traces_function()!
-- A session-local function: for each needle, the columns (schema.table.column)
-- of every table of every schema but the system's with a value whose text
-- holds it, ignoring case; a bytea also matches when it holds the needle's
-- UTF-8 bytes. Every column is read as text, whatever its type (uuid, jsonb,
-- arrays and bytea included): audit and logs are tables like the others.
CREATE OR REPLACE FUNCTION pg_temp.traces(needles TEXT[]) RETURNS TABLE (needle TEXT, column_name TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    col RECORD;
    found BOOLEAN;
BEGIN
    FOR col IN SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS attribute
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'
                  AND n.nspname NOT LIKE 'pg\_%'
                ORDER BY 1, 2, a.attnum LOOP
        FOREACH needle IN ARRAY needles LOOP
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %I.%I WHERE strpos(lower(%I::text), lower($1)) > 0'
                ' OR strpos(%I::text, $2) > 0)',
                col.schema_name, col.table_name, col.attribute, col.attribute)
               INTO found
              USING needle, encode(convert_to(needle, 'UTF8'), 'hex');
            IF found THEN
                column_name := col.schema_name || '.' || col.table_name || '.' || col.attribute;
                RETURN NEXT;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- name: traces(needles)
-- Where each needle is still written (see create_traces_function).
SELECT needle, column_name FROM pg_temp.traces(:needles);

-- name: make_recommendation_update_fail()!
-- A trigger that fails every update of a recommendation: an erasure then
-- fails in its redaction, after it has deleted the account.
CREATE FUNCTION test_refuse_recommendation_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'test: updating recommendation % fails', OLD.id;
END
$$;
CREATE TRIGGER test_recommendations_refuse_update BEFORE UPDATE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION test_refuse_recommendation_update();
