-- Test-only queries for the row mapping of the executor: rows of known
-- columns, with no table behind them.

-- name: pair(number, word)^
-- One row: the number and the word given.
SELECT :number::integer AS number, :word::text AS word;

-- name: pairs(count)
-- `count` rows: 1 and 'word 1', 2 and 'word 2', ...
SELECT n AS number, 'word ' || n AS word
  FROM generate_series(1, :count) AS n
 ORDER BY n;
