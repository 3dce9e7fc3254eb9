-- Test-only queries of tests/test_isolation.py: the catalog of row-level
-- security, what a session can see and change of every table, a digest of
-- the whole database, and a session's role and scope settings.

-- name: rls_catalog()
-- Every table of schema public but yoyo's: its owner, whether it has an
-- organization_id column, whether row-level security is enabled and forced,
-- its policies, and what ikenei_app may do with it.
SELECT c.relname::text AS table_name,
       pg_get_userbyid(c.relowner)::text AS owner,
       EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
           AS has_organization_id,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY p.polname)
           AS policies,
       ARRAY(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p
              WHERE has_table_privilege('ikenei_app', c.oid, p)) AS app_privileges
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
   AND NOT starts_with(c.relname, '_yoyo')
   AND NOT starts_with(c.relname, 'yoyo_')
 ORDER BY c.relname;

-- name: app_role_attributes()^
-- Whether ikenei_app is a superuser or bypasses row-level security.
SELECT rolsuper AS superuser, rolbypassrls AS bypasses_rls
  FROM pg_roles WHERE rolname = 'ikenei_app';

-- name: security_definer_functions()
-- The functions of schema public that run as their owner: past row-level security.
SELECT p.proname::text AS name
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
 ORDER BY 1;

-- name: views_running_as_owner()
-- Views of schema public without security_invoker: they would read past row-level security.
SELECT c.relname::text AS name
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('v', 'm')
   AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
 ORDER BY 1;

-- name: create_probe_function#
-- A session-local function: how many rows of one table the session sees that
-- belong to another organization than p_other_than (any organization when
-- NULL; with key_column NULL, a table of people's data: every row it sees), and with p_write how
-- many of them an UPDATE (setting touch_column to itself) and a DELETE touch
-- (-1: the privilege is missing, for the read too;
-- -2: a trigger refused the statement, so it reached a row). It runs as the
-- session's role, so row-level security applies; run it in a transaction that
-- is rolled back. Rows with key_column NULL of a table that keeps shared rows
-- (roles, competency_categories) are everyone's, so not counted. Dynamic SQL
-- needs PL/pgSQL; pg_temp keeps it out of the schema. The UPDATE and the
-- DELETE each run through pg_temp.rows_touched, which turns a refusal into
-- -1 or -2 the same way for both.
CREATE OR REPLACE FUNCTION pg_temp.rows_touched(statement text, p_other_than uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint;
BEGIN
    EXECUTE statement USING p_other_than;
    GET DIAGNOSTICS touched = ROW_COUNT;
    RETURN touched;
EXCEPTION
    WHEN insufficient_privilege THEN RETURN -1;
    WHEN OTHERS THEN RETURN -2;
END
$$;

CREATE OR REPLACE FUNCTION pg_temp.probe_table(
    table_name text, key_column text, touch_column text, p_other_than uuid, keeps_shared boolean,
    p_write boolean,
    OUT seen bigint, OUT updated bigint, OUT deleted bigint)
LANGUAGE plpgsql AS $$
DECLARE
    other text := 'true';
BEGIN
    IF key_column IS NOT NULL THEN
        other := format('%I IS DISTINCT FROM $1', key_column);
        IF keeps_shared THEN
            other := other || format(' AND %I IS NOT NULL', key_column);
        END IF;
    END IF;
    BEGIN
        EXECUTE format('SELECT count(*) FROM public.%I WHERE %s', table_name, other)
           INTO seen USING p_other_than;
    EXCEPTION WHEN insufficient_privilege THEN
        seen := -1;
    END;
    IF NOT p_write THEN
        RETURN;
    END IF;
    updated := pg_temp.rows_touched(
        format('UPDATE public.%I SET %I = %I WHERE %s', table_name, touch_column, touch_column, other),
        p_other_than);
    deleted := pg_temp.rows_touched(format('DELETE FROM public.%I WHERE %s', table_name, other), p_other_than);
END
$$;

-- name: probe_tables(other_than, shared_tables, write)
-- probe_table for every table with row-level security enabled; needs
-- create_probe_function on the same connection first. key_column: the
-- column naming a row's organization (organizations: its id), NULL for
-- people's data that belongs to no one organization.
SELECT c.relname::text AS table_name, k.key_column, p.seen, p.updated, p.deleted
  FROM pg_class c
 CROSS JOIN LATERAL (
        SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attname = 'organization_id'
                                    AND NOT a.attisdropped) THEN 'organization_id'
                    WHEN c.relname = 'organizations' THEN 'id' END AS key_column,
               -- The first column an UPDATE may set (not an identity or generated one).
               (SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attidentity = '' AND a.attgenerated = ''
                 ORDER BY a.attnum LIMIT 1) AS first_column) AS k
 CROSS JOIN LATERAL pg_temp.probe_table(c.relname::text, k.key_column,
                                        coalesce(k.key_column, k.first_column), :other_than::uuid,
                                        c.relname = ANY (:shared_tables::text[]), :write::boolean) AS p
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
   AND c.relrowsecurity
 ORDER BY c.relname;

-- name: create_table_digest_function#
-- A session-local function giving one table's row count and an md5 digest of
-- all its rows (as text, sorted).
CREATE OR REPLACE FUNCTION pg_temp.table_digest(table_name text, OUT row_count bigint, OUT digest text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) '
                   'FROM public.%I AS t', table_name)
       INTO row_count, digest;
END
$$;

-- name: table_snapshot()
-- Every table of schema public with its row count and digest, as the session
-- sees it; needs create_table_digest_function on the same connection first.
SELECT c.relname::text AS table_name, d.row_count, d.digest
  FROM pg_class c
 CROSS JOIN LATERAL pg_temp.table_digest(c.relname::text) AS d
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;

-- name: session_state()^
-- The connection's server process, its role and its scope settings ('' or NULL: not set).
SELECT pg_backend_pid() AS backend_pid,
       current_user::text AS role_name,
       current_setting('ikenei.organization_id', true) AS organization_id,
       current_setting('ikenei.user_id', true) AS user_id,
       current_setting('ikenei.user_email', true) AS user_email,
       current_setting('ikenei.actor', true) AS actor;

-- name: reset_role#
-- What any code could run on a pooled connection: back to the session's default role.
RESET ROLE;

-- name: reset_all#
-- What asyncpg's pool runs when a connection is released.
RESET ALL;

-- name: current_role()$
-- The role the session works as.
SELECT current_user::text;
