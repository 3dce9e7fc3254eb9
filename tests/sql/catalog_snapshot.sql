-- Catalog queries of the migration tests (psycopg, via aiosql).

-- name: catalog_snapshot()
-- Everything the migrations define in schema public, with definitions, as
-- (kind, name, definition) rows: two databases with equal snapshots hold the
-- same schema. yoyo's bookkeeping tables are left out.
WITH relations AS (
    SELECT c.oid, c.relname, c.relkind
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace
       AND NOT starts_with(c.relname, '_yoyo')
       AND NOT starts_with(c.relname, 'yoyo_')
)
SELECT 'relation' AS kind, relname AS name, relkind::text AS definition
  FROM relations
UNION ALL
SELECT 'column', r.relname || '.' || a.attname,
       concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                 CASE a.attidentity WHEN 'a' THEN 'IDENTITY ALWAYS'
                                    WHEN 'd' THEN 'IDENTITY BY DEFAULT' END,
                 CASE a.attgenerated WHEN 's' THEN 'GENERATED' END,
                 'COLLATE ' || nullif(co.collname, 'default'),
                 'ORDINAL ' || a.attnum)
  FROM relations r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
UNION ALL
SELECT 'constraint', r.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
  FROM pg_constraint con
  JOIN relations r ON r.oid = con.conrelid
UNION ALL
SELECT 'index', i.relname, pg_get_indexdef(i.oid)
  FROM relations i
 WHERE i.relkind IN ('i', 'I')
UNION ALL
SELECT 'trigger', r.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t
  JOIN relations r ON r.oid = t.tgrelid
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'view', r.relname, pg_get_viewdef(r.oid)
  FROM relations r
 WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prokind::text END
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'type', t.typname, t.typtype::text
  FROM pg_type t
 WHERE t.typnamespace = 'public'::regnamespace
   AND NOT starts_with(t.typname, '_yoyo')
   AND NOT starts_with(t.typname, 'yoyo_')
   AND NOT starts_with(t.typname, '__yoyo')
UNION ALL
SELECT 'extension', e.extname, e.extversion
  FROM pg_extension e
UNION ALL
SELECT 'comment', c.relname, obj_description(c.oid, 'pg_class')
  FROM relations c
 WHERE obj_description(c.oid, 'pg_class') IS NOT NULL
 ORDER BY 1, 2, 3;

-- name: public_objects()
-- Every relation, function and type in schema public, and every extension
-- but plpgsql, as (kind, name): yoyo's own tables included.
SELECT 'relation' AS kind, c.relname AS name
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', p.proname
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'type', t.typname
  FROM pg_type t
 WHERE t.typnamespace = 'public'::regnamespace
UNION ALL
SELECT 'extension', e.extname
  FROM pg_extension e
 WHERE e.extname <> 'plpgsql'
 ORDER BY 1, 2;
