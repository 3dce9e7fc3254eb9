-- Helper queries of the migration tests (psycopg, via aiosql).

-- name: applied_ids()
-- Ids of the migrations recorded as applied, in id order; none if yoyo never ran.
SELECT migration_id FROM _yoyo_migration ORDER BY migration_id;

-- name: yoyo_tables_exist()$
-- Whether yoyo's table of applied migrations exists.
SELECT to_regclass('_yoyo_migration') IS NOT NULL;

-- name: insert_lock_row(pid, age_seconds)!
-- A lock row as a run of process :pid that started :age_seconds ago would
-- have left it (yoyo stores UTC without a zone).
INSERT INTO yoyo_lock (locked, ctime, pid)
VALUES (1, (now() AT TIME ZONE 'UTC') - make_interval(secs => :age_seconds), :pid);

-- name: lock_rows()
-- The lock rows: the pids holding the migration lock.
SELECT pid FROM yoyo_lock;

-- name: seed_items()
-- The names in the throw-away table of the seed-runner tests.
SELECT name FROM seed_items ORDER BY name;

-- name: lock_table_exists()$
-- Whether yoyo's lock table exists.
SELECT to_regclass('yoyo_lock') IS NOT NULL;
