-- Queries of ikenei.backup (psycopg, via aiosql; a literal % is written %%): what a backup, a restore
-- or a drill asks the server. They read; the only writes are a WAL switch and
-- a named restore point, which add to the WAL and change no data.

-- name: server_facts()^
-- The facts a backup records and checks: version number, cluster identity,
-- archiving and WAL settings, whether the login role may replicate, and where
-- basic_archive (if that is the archiver) puts the WAL.
SELECT current_setting('server_version_num')::int AS version_num,
       (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
       current_setting('archive_mode') AS archive_mode,
       current_setting('wal_level') AS wal_level,
       coalesce(current_setting('summarize_wal', true), 'off') AS summarize_wal,
       current_setting('archive_timeout') AS archive_timeout,
       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)
           AS may_replicate,
       pg_is_in_recovery() AS in_recovery,
       coalesce(current_setting('basic_archive.archive_directory', true), '')
           AS archive_directory;

-- name: archiver_state()^
-- pg_stat_archiver: counts, the last archived and the last failed segment with
-- their times, and the server's clock to age them by.
SELECT archived_count, last_archived_wal, last_archived_time,
       failed_count, last_failed_wal, last_failed_time, now() AS now
  FROM pg_stat_archiver;

-- name: switch_wal()$
-- Closes the current WAL segment so that the archiver takes it now.
SELECT pg_walfile_name(pg_switch_wal());

-- name: current_wal_file()$
-- The WAL segment being written now.
SELECT pg_walfile_name(pg_current_wal_lsn());

-- name: create_restore_point(name)$
-- A named point in the WAL that `backup restore --to-name` can stop at; its LSN.
SELECT pg_create_restore_point(:name)::text;

-- name: in_recovery()$
-- Whether the server is still replaying WAL.
SELECT pg_is_in_recovery();

-- name: user_databases()
-- Databases a drill checks: every one that accepts connections, templates aside.
SELECT datname FROM pg_database
 WHERE datallowconn AND NOT datistemplate
 ORDER BY datname;

-- name: create_row_counter()!
-- pg_temp.row_count(table): the exact row count of one table. A temporary
-- function (gone with the session, nothing is left in the database), since a
-- count of a table named by the catalog needs dynamic SQL.
CREATE OR REPLACE FUNCTION pg_temp.row_count(target regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM ONLY %%s', target) INTO n;
    RETURN n;
END
$$;

-- name: table_row_counts()
-- Rows in every ordinary table of the database, by schema-qualified name, the
-- system catalogs aside (needs create_row_counter in the same session).
SELECT format('%%I.%%I', n.nspname, c.relname) AS table_name,
       pg_temp.row_count(c.oid::regclass) AS row_count
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%%'
   AND n.nspname NOT LIKE 'pg\_temp%%'
 ORDER BY 1;

-- name: ensure_amcheck()!
-- amcheck, which the drill's index checks need (the drill's scratch copy only).
CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA public;

-- name: check_btree_indexes()
-- bt_index_check on every valid B-tree index of the database, heap included
-- (every heap tuple must have its index entry); one row per index checked.
SELECT format('%%I.%%I', n.nspname, c.relname) AS index_name,
       public.bt_index_check(c.oid, true) IS NULL AS checked
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am a ON a.oid = c.relam
 WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready
   AND c.relpersistence <> 't'
 ORDER BY 1;

-- name: holds_migrations()$
-- Whether the database has IkeNei's migration bookkeeping (yoyo's table), so
-- that its schema can be checked against the manifest.
SELECT to_regclass('public._yoyo_migration') IS NOT NULL;

-- name: replication_slot(slot_name)^
-- The physical replication slot `ikenei backup receive-wal` streams through:
-- whether a receiver uses it now, and how much WAL the server keeps for it
-- (from the slot's restart LSN to the server's current position); no row when
-- there is no such slot.
SELECT slot_name::text, active, active_pid, coalesce(wal_status, '') AS wal_status,
       restart_lsn::text,
       coalesce(pg_wal_lsn_diff(
           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                ELSE pg_current_wal_lsn() END,
           restart_lsn), 0)::bigint AS retained_bytes
  FROM pg_replication_slots
 WHERE slot_name = :slot_name AND slot_type = 'physical';
