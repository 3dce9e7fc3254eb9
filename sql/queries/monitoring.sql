-- Performance monitoring (ikenei.monitoring): snapshots of the cumulative
-- statistics views into the monitoring schema, the report over them, the
-- catalog reads of the plan checks and the index advisor, baselines and
-- alerts. Every statement reads statistics or the monitoring schema; none
-- takes a lock that blocks the application's writes.

-- name: use_monitoring_search_path()$
-- Lets this session find pg_stat_statements and hypopg wherever they were created (public or monitoring).
SELECT set_config('search_path', 'public, monitoring', false);

-- name: statements_probe()$
-- Reads one row of pg_stat_statements; fails when it is missing or not preloaded.
SELECT count(*) FROM (SELECT 1 FROM pg_stat_statements LIMIT 1) AS probe;

-- name: server_version_num()$
-- The server's version as a number (150020, 180000).
SELECT current_setting('server_version_num')::int;

-- name: limit_snapshot_wait()$
-- A snapshot waits at most 2 s for a lock (only a running ALTER TABLE can make it wait), for this transaction.
SELECT set_config('lock_timeout', '2s', true);

-- name: insert_snapshot(statements_available, pool_size, pool_max, pool_idle, pool_in_use, pool_waiting)$
-- Records the database-wide figures of a new snapshot; its id.
INSERT INTO monitoring.snapshots (
    server_version_num, statements_available, blocks_hit, blocks_read, xid_age,
    connections, max_connections, pool_size, pool_max, pool_idle, pool_in_use, pool_waiting)
SELECT current_setting('server_version_num')::int, :statements_available, d.blks_hit, d.blks_read,
       age(db.datfrozenxid),
       coalesce((SELECT jsonb_object_agg(c.state, c.n)
                   FROM (SELECT coalesce(a.state, 'unknown') AS state, count(*) AS n
                           FROM pg_stat_activity a
                          WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                          GROUP BY 1) AS c), '{}'::jsonb),
       current_setting('max_connections')::int,
       :pool_size, :pool_max, :pool_idle, :pool_in_use, :pool_waiting
  FROM pg_stat_database d
  JOIN pg_database db ON db.oid = d.datid
 WHERE d.datname = current_database()
RETURNING id;

-- name: insert_statement_stats(snapshot_id)$
-- This database's pg_stat_statements figures with their deltas since the previous snapshot; how many statements.
-- A statement first seen, one whose calls fell, or any after a reset of the
-- extension (pg_stat_statements_info.stats_reset) starts a new series.
WITH current_stats AS (
    SELECT s.queryid, min(s.query) AS query, sum(s.calls)::bigint AS calls,
           sum(s.total_exec_time) AS total_ms, sum(s.rows)::bigint AS rows,
           sum(s.shared_blks_hit)::bigint AS hit, sum(s.shared_blks_read)::bigint AS read
      FROM pg_stat_statements s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND s.queryid IS NOT NULL
     GROUP BY s.queryid
), previous AS (
    SELECT p.id, p.taken_at, p.statements_reset_at
      FROM monitoring.snapshots p
     WHERE p.id < :snapshot_id AND p.statements_available
     ORDER BY p.id DESC
     LIMIT 1
), reset AS (
    UPDATE monitoring.snapshots
       SET statements_reset_at = (SELECT stats_reset FROM pg_stat_statements_info)
     WHERE id = :snapshot_id
    RETURNING statements_reset_at
), inserted AS (
    INSERT INTO monitoring.statement_stats (
        snapshot_id, queryid, query, calls, total_ms, rows, shared_blks_hit, shared_blks_read,
        new_series, delta_calls, delta_total_ms, delta_rows, delta_shared_blks_hit, delta_shared_blks_read)
    SELECT :snapshot_id, c.queryid, c.query, c.calls, c.total_ms, c.rows, c.hit, c.read,
           f.fresh,
           CASE WHEN f.fresh THEN c.calls ELSE c.calls - p.calls END,
           CASE WHEN f.fresh THEN c.total_ms ELSE greatest(c.total_ms - p.total_ms, 0) END,
           CASE WHEN f.fresh THEN c.rows ELSE greatest(c.rows - p.rows, 0) END,
           CASE WHEN f.fresh THEN c.hit ELSE greatest(c.hit - p.shared_blks_hit, 0) END,
           CASE WHEN f.fresh THEN c.read ELSE greatest(c.read - p.shared_blks_read, 0) END
      FROM current_stats c
      LEFT JOIN monitoring.statement_stats p
        ON p.snapshot_id = (SELECT id FROM previous) AND p.queryid = c.queryid
     CROSS JOIN LATERAL (
           SELECT p.queryid IS NULL
               OR c.calls < p.calls
               OR (SELECT statements_reset_at FROM reset)
                  IS DISTINCT FROM (SELECT statements_reset_at FROM previous) AS fresh
     ) AS f
    RETURNING 1
)
SELECT count(*)::int FROM inserted;

-- name: list_snapshot_statements(snapshot_id)
-- The statement texts of one snapshot, to name the ones that are our named queries.
SELECT queryid, query FROM monitoring.statement_stats WHERE snapshot_id = :snapshot_id;

-- name: name_snapshot_statements(snapshot_id, queryids, names)!
-- Stores the named query each statement of a snapshot is, where it is one of ours.
UPDATE monitoring.statement_stats s
   SET query_name = m.name
  FROM unnest(:queryids::bigint[], :names::text[]) AS m (queryid, name)
 WHERE s.snapshot_id = :snapshot_id AND s.queryid = m.queryid;

-- name: insert_table_stats(snapshot_id)!
-- Size, scans, tuples and maintenance times of every user table.
-- pg_total_relation_size takes and at once releases an ACCESS SHARE lock,
-- which no INSERT, UPDATE or DELETE waits for.
INSERT INTO monitoring.table_stats (
    snapshot_id, table_name, total_bytes, table_bytes, live_tuples, dead_tuples,
    seq_scan, seq_tup_read, idx_scan, last_vacuum, last_analyze)
SELECT :snapshot_id, format('%I.%I', t.schemaname, t.relname), z.total_bytes, z.table_bytes,
       t.n_live_tup, t.n_dead_tup, coalesce(t.seq_scan, 0), coalesce(t.seq_tup_read, 0),
       coalesce(t.idx_scan, 0),
       greatest(t.last_vacuum, t.last_autovacuum), greatest(t.last_analyze, t.last_autoanalyze)
  FROM pg_stat_user_tables t
 CROSS JOIN LATERAL (SELECT pg_total_relation_size(t.relid) AS total_bytes,
                            pg_relation_size(t.relid) AS table_bytes) AS z
 WHERE z.total_bytes IS NOT NULL AND z.table_bytes IS NOT NULL;

-- name: insert_index_stats(snapshot_id)!
-- Size and scans of every index of a user table.
INSERT INTO monitoring.index_stats (snapshot_id, index_name, table_name, bytes, idx_scan)
SELECT :snapshot_id, format('%I.%I', i.schemaname, i.indexrelname), format('%I.%I', i.schemaname, i.relname),
       z.bytes, coalesce(i.idx_scan, 0)
  FROM pg_stat_user_indexes i
 CROSS JOIN LATERAL (SELECT pg_relation_size(i.indexrelid) AS bytes) AS z
 WHERE z.bytes IS NOT NULL;

-- name: prune_snapshots(keep_seconds)$
-- Deletes snapshots (and their per-statement, table and index rows) and alerts older than the period; how many snapshots.
WITH gone AS (
    DELETE FROM monitoring.snapshots
     WHERE taken_at < now() - make_interval(secs => :keep_seconds)
    RETURNING 1
), alerts_gone AS (
    DELETE FROM monitoring.alerts
     WHERE fired_at < now() - make_interval(secs => :keep_seconds)
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone)::int + 0 * (SELECT count(*) FROM alerts_gone)::int;

-- name: session_leftovers()^
-- What a monitoring session holds now: its SQL-level prepared statements, and its process id (whose state another session reads).
SELECT (SELECT count(*) FROM pg_prepared_statements WHERE from_sql)::int AS prepared_statements,
       pg_backend_pid() AS pid;
