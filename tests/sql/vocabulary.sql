-- Test-only catalog reads for tests/test_vocabulary.py.

-- name: list_word_checks()
-- Every CHECK constraint that limits one text column (or a domain) to a list
-- of words: where (table.column or domain), its name and its definition.
SELECT coalesce(c.relname || '.' || a.attname, t.typname)::text AS place,
       k.conname::text AS name,
       pg_get_constraintdef(k.oid) AS definition
  FROM pg_constraint k
  LEFT JOIN pg_class c ON c.oid = k.conrelid
  LEFT JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
  LEFT JOIN pg_type t ON t.oid = k.contypid
 WHERE k.contype = 'c'
   AND k.connamespace = 'public'::regnamespace
   AND coalesce(cardinality(k.conkey), 0) <= 1
   AND pg_get_constraintdef(k.oid) ~ '^CHECK \(\(?\(?(VALUE|[a-z_]+)\)?(::text)? = ANY \(\(?ARRAY\['
 ORDER BY 1, 2;

-- name: rater_group_rank(rater_group)$
-- Where a rater group stands in the order every result lists the groups in.
SELECT feedback_rater_group_rank(:rater_group);

-- name: rater_group(relationship, raters, threshold, self_apart)$
-- The group a relationship's answers count in, by the schema's one rule.
SELECT feedback_rater_group(:relationship, :raters, :threshold, :self_apart);

-- name: list_functions_writing_the_rater_group_rule_out()
-- Functions of the schema, other than the rule's own two, whose source spells
-- out the fold into "others" or the order of the groups by hand.
SELECT p.proname::text
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND p.proname NOT IN ('feedback_rater_group', 'feedback_rater_group_rank')
   AND (p.prosrc ~ 'ELSE ''others''' OR p.prosrc ~ 'ARRAY\[''self''')
 ORDER BY 1;
