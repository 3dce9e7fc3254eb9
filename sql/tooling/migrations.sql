-- Bookkeeping queries of ikenei.migrations (psycopg, via aiosql).
-- yoyo keeps its tables in the connection's current schema: _yoyo_migration
-- (what is applied) and yoyo_lock (one row while a run holds the lock).

-- name: has_migration_table()$
-- Whether yoyo's table of applied migrations exists in this database.
SELECT to_regclass('_yoyo_migration') IS NOT NULL;

-- name: applied_migrations()
-- Every applied migration: its hash, id and when it was applied (UTC, naive).
SELECT migration_hash, migration_id, applied_at_utc
  FROM _yoyo_migration
 ORDER BY applied_at_utc, migration_id;

-- name: has_lock_table()$
-- Whether yoyo's lock table exists in this database.
SELECT to_regclass('yoyo_lock') IS NOT NULL;

-- name: migration_lock()^
-- The lock row, if a run holds the lock: the holder's process id, since when
-- (UTC), and for how many seconds by the server's clock.
SELECT pid, ctime,
       extract(epoch FROM (now() AT TIME ZONE 'UTC') - ctime)::float8 AS age_seconds
  FROM yoyo_lock;

-- name: holder_connected(application_pattern)$
-- Whether a session whose application_name matches the pattern (a run of
-- ikenei.migrations tags its connections with its process id) is connected
-- to this database.
SELECT EXISTS (
    SELECT 1 FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE :application_pattern
);

-- name: archiving()$
-- Whether the server archives its WAL (so that a named restore point can be
-- restored to).
SELECT current_setting('archive_mode') <> 'off';

-- name: create_restore_point(name)$
-- A named point in the WAL, before a migration run (`ikenei backup restore
-- --to-name before-<first migration>` undoes the run with its data); its LSN.
SELECT pg_create_restore_point(:name)::text;
