-- Catalog queries of ikenei.verify (psycopg, via aiosql).

-- name: pin_search_path()$
-- Names types as the manifest does, whatever the role's search_path; for this
-- transaction only.
SELECT set_config('search_path', 'public', true);

-- name: schema_objects()
-- Every object the migrations create in schema public, as manifest entries
-- (kind, name): tables, views, their columns with types, indexes, constraints,
-- triggers, functions, types, standalone sequences, and the extensions of the
-- database. Left out: yoyo's bookkeeping tables (_yoyo_*, yoyo_lock), what
-- belongs to an extension, plpgsql (always installed), and NOT NULL
-- constraints, which only PostgreSQL 18+ lists as constraints.
--
-- An extension's objects are those pg_depend ties to it (deptype 'e'), as
-- (catalog, oid); a catalog row's tableoid is its catalog, so one test,
-- (x.tableoid, x.oid) NOT IN extension_members, serves relations, functions
-- and types alike.
WITH extension_members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), relations AS (
    SELECT c.oid, c.relname, c.relkind
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace
       AND NOT starts_with(c.relname, '_yoyo')
       AND NOT starts_with(c.relname, 'yoyo_')
       AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM extension_members)
)
SELECT 'table' AS kind, relname AS name
  FROM relations WHERE relkind IN ('r', 'p')
UNION ALL
SELECT CASE relkind WHEN 'm' THEN 'materialized_view' ELSE 'view' END, relname
  FROM relations WHERE relkind IN ('v', 'm')
UNION ALL
SELECT 'column', r.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
  FROM relations r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE r.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'index', i.relname
  FROM relations i
  JOIN pg_index x ON x.indexrelid = i.oid
  JOIN relations t ON t.oid = x.indrelid
 WHERE i.relkind IN ('i', 'I')
UNION ALL
SELECT 'sequence', s.relname
  FROM relations s
 WHERE s.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                      AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'constraint', t.relname || '.' || con.conname
  FROM pg_constraint con
  JOIN relations t ON t.oid = con.conrelid
 WHERE con.contype <> 'n'  -- NOT NULL: a catalog row only from PostgreSQL 18 on
UNION ALL
SELECT 'constraint', ty.typname || '.' || con.conname
  FROM pg_constraint con
  JOIN pg_type ty ON ty.oid = con.contypid
 WHERE ty.typnamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', t.relname || '.' || tg.tgname
  FROM pg_trigger tg
  JOIN relations t ON t.oid = tg.tgrelid
 WHERE NOT tg.tgisinternal
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM extension_members)
UNION ALL
SELECT 'type', ty.typname
  FROM pg_type ty
 WHERE ty.typnamespace = 'public'::regnamespace
   AND ty.typtype IN ('d', 'e', 'r', 'c')
   AND (ty.typtype <> 'c'
        OR (SELECT c.relkind FROM pg_class c WHERE c.oid = ty.typrelid) = 'c')
   AND (ty.tableoid, ty.oid) NOT IN (SELECT classid, objid FROM extension_members)
UNION ALL
SELECT 'extension', e.extname
  FROM pg_extension e
 WHERE e.extname <> 'plpgsql'
 ORDER BY 1, 2;
