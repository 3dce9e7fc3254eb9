-- Test-only queries of tests/test_permissions.py: what the session's role
-- reaches of one person's rows in a table, by plain SQL, as a hostile service
-- would try it inside an organization scope that names another acting person.

-- name: create_reach_functions#
-- Session-local functions (pg_temp: they vanish with the session, and nothing
-- of the schema changes): how many rows of a table about one person the
-- session sees, and (p_write) how many an UPDATE (setting a column to itself)
-- and a DELETE touch; -1 when the privilege is missing. Run them in a transaction
-- that is rolled back. Dynamic SQL needs PL/pgSQL.
CREATE OR REPLACE FUNCTION pg_temp.rows_about(p_table text, p_column text, p_person uuid, p_write boolean,
                                              OUT seen bigint, OUT updated bigint, OUT deleted bigint)
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE format('SELECT count(*) FROM public.%I WHERE %I = $1', p_table, p_column)
           INTO seen USING p_person;
    EXCEPTION WHEN insufficient_privilege THEN
        seen := -1;
    END;
    IF NOT p_write THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format('WITH t AS (UPDATE public.%I SET %I = %I WHERE %I = $1 RETURNING 1) SELECT count(*) FROM t',
                       p_table, p_column, p_column, p_column)
           INTO updated USING p_person;
    EXCEPTION WHEN insufficient_privilege THEN
        updated := -1;
    END;
    BEGIN
        EXECUTE format('WITH t AS (DELETE FROM public.%I WHERE %I = $1 RETURNING 1) SELECT count(*) FROM t',
                       p_table, p_column)
           INTO deleted USING p_person;
    EXCEPTION WHEN insufficient_privilege THEN
        deleted := -1;
    END;
END
$$;

-- name: rows_about(table_name, column_name, person, write)^
-- What the session reaches of the rows of table_name whose column_name is
-- person: sees, and with write also updates and deletes (NULL when not tried).
SELECT seen, updated, deleted FROM pg_temp.rows_about(:table_name, :column_name, :person, :write);

-- name: objectives_of_plan(plan_id)$
-- How many objectives of a plan the session sees.
SELECT count(*) FROM learning_objectives WHERE plan_id = :plan_id;

-- name: set_acting_person(user_id)$
-- Names another acting person in the current scope, as a hostile service could.
SELECT set_config('ikenei.user_id', :user_id::uuid::text, true);

-- name: acting_person_may_all(permission)$
-- Whether the acting person holds a permission (true in the maintenance scope).
SELECT acting_person_may(:permission);

-- name: explain_plans_read()$
-- The executed plan of a read of every learning plan under the policies, as JSON.
EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM learning_plans;
