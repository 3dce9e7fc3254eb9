-- Test-only queries of the free-text bounds (tests/test_bad_input.py).

-- name: list_unbounded_text_columns()
-- The columns of the application's tables (schema public) whose type has no
-- bound (text, json, jsonb, bytea) and that no CHECK bounds by length
-- (char_length or octet_length of the column), a closed list of values, a
-- pattern of bounded length, or a foreign key to a bounded column.
SELECT c.relname || '.' || a.attname AS column_name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
   AND c.relname NOT LIKE '\_yoyo%' AND c.relname <> 'yoyo_lock'
   AND a.atttypid IN ('text'::regtype, 'json'::regtype, 'jsonb'::regtype, 'bytea'::regtype)
   AND NOT EXISTS (
       SELECT 1 FROM pg_constraint k
        WHERE k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY(k.conkey)
          AND pg_get_constraintdef(k.oid) ~ ('(char_length|octet_length)\(\(?' || a.attname || '\M'))
   AND NOT EXISTS (
       SELECT 1 FROM pg_constraint k
        WHERE k.conrelid = c.oid AND k.contype = 'f' AND a.attnum = ANY(k.conkey))
   AND NOT EXISTS (
       SELECT 1 FROM pg_constraint k
        WHERE k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY(k.conkey)
          AND pg_get_constraintdef(k.oid) ~ '(\{\d+,\d+\}\$|= ANY \(ARRAY\[)')
 ORDER BY 1;
