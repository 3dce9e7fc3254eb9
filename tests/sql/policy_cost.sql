-- Test-only queries of the row-level security cost tests: the policies'
-- expressions and the functions that read the scope, from the catalog.

-- name: list_policy_expressions()
-- Every policy, of every schema, with its USING and WITH CHECK expressions as PostgreSQL prints them.
SELECT schemaname || '.' || tablename AS table_name, policyname::text AS policy_name,
       coalesce(qual, '') AS using_expression, coalesce(with_check, '') AS check_expression
  FROM pg_policies
 ORDER BY schemaname, tablename, policyname;

-- name: list_scope_readers()
-- The functions of the schema whose body reads a setting (current_setting), by name.
SELECT DISTINCT p.proname::text AS name
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND p.prokind = 'f'
   AND coalesce(p.prosrc, '') || coalesce(pg_get_function_sqlbody(p.oid), '') LIKE '%current\_setting(%'
 ORDER BY 1;
