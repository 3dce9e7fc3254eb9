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

-- name: report_window(since_seconds)^
-- The first and last snapshot of the period, and how many it holds.
SELECT min(id) AS first_id, max(id) AS last_id, count(*)::int AS snapshots,
       min(taken_at) AS first_at, max(taken_at) AS last_at
  FROM monitoring.snapshots
 WHERE taken_at >= now() - make_interval(secs => :since_seconds);

-- name: report_statements(first_id, last_id)
-- Per statement, what ran between the first and the last snapshot of a period, most time first.
SELECT s.queryid, max(s.query_name) AS query_name, min(s.query) AS query,
       sum(s.delta_calls)::bigint AS calls, sum(s.delta_total_ms) AS total_ms,
       sum(s.delta_total_ms) / nullif(sum(s.delta_calls), 0) AS mean_ms,
       sum(s.delta_rows)::bigint AS rows,
       sum(s.delta_shared_blks_hit)::bigint AS shared_blks_hit,
       sum(s.delta_shared_blks_read)::bigint AS shared_blks_read
  FROM monitoring.statement_stats s
 WHERE s.snapshot_id > :first_id AND s.snapshot_id <= :last_id
 GROUP BY s.queryid
HAVING sum(s.delta_calls) > 0
 ORDER BY total_ms DESC, s.queryid;

-- name: report_tables(first_id, last_id)
-- Per table: size at the start and end of a period, every size between, and its scans and tuples over it.
SELECT l.table_name,
       coalesce(f.total_bytes, l.total_bytes) AS first_bytes, l.total_bytes AS last_bytes,
       (SELECT array_agg(h.total_bytes ORDER BY h.snapshot_id)
          FROM monitoring.table_stats h
         WHERE h.table_name = l.table_name AND h.snapshot_id BETWEEN :first_id AND :last_id) AS history,
       l.seq_scan - coalesce(f.seq_scan, 0) AS seq_scans,
       l.seq_tup_read - coalesce(f.seq_tup_read, 0) AS seq_rows_read,
       l.idx_scan - coalesce(f.idx_scan, 0) AS index_scans,
       l.live_tuples, l.dead_tuples, l.last_vacuum, l.last_analyze
  FROM monitoring.table_stats l
  LEFT JOIN monitoring.table_stats f ON f.snapshot_id = :first_id AND f.table_name = l.table_name
 WHERE l.snapshot_id = :last_id
 ORDER BY l.total_bytes - coalesce(f.total_bytes, l.total_bytes) DESC, l.table_name;

-- name: report_snapshot_pair(first_id, last_id)^
-- Cache hits and reads over a period (cumulative when it holds one snapshot), connections and pool at its end.
SELECT CASE WHEN l.id = f.id THEN l.blocks_hit ELSE l.blocks_hit - f.blocks_hit END AS blocks_hit,
       CASE WHEN l.id = f.id THEN l.blocks_read ELSE l.blocks_read - f.blocks_read END AS blocks_read,
       l.connections, l.max_connections, l.xid_age,
       l.pool_size, l.pool_max, l.pool_idle, l.pool_in_use, l.pool_waiting, l.taken_at
  FROM monitoring.snapshots f, monitoring.snapshots l
 WHERE f.id = :first_id AND l.id = :last_id;

-- name: live_database_figures()^
-- Cache hits and reads since the statistics were reset, wraparound age, connections now.
SELECT d.blks_hit AS blocks_hit, d.blks_read AS blocks_read, age(db.datfrozenxid) AS xid_age,
       (SELECT count(*) FROM pg_stat_activity a
         WHERE a.datname = current_database() AND a.backend_type = 'client backend')::int AS connections,
       current_setting('max_connections')::int AS max_connections
  FROM pg_stat_database d
  JOIN pg_database db ON db.oid = d.datid
 WHERE d.datname = current_database();

-- name: list_long_running(min_seconds)
-- Statements of this database running longer than the limit, or waiting for another's lock, now.
SELECT a.pid, a.state, extract(epoch FROM now() - a.query_start)::float8 AS seconds,
       pg_blocking_pids(a.pid) AS blocked_by, left(a.query, 200) AS query
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
   AND a.backend_type = 'client backend' AND a.state IS DISTINCT FROM 'idle'
   AND (now() - a.query_start >= make_interval(secs => :min_seconds)
        OR cardinality(pg_blocking_pids(a.pid)) > 0)
 ORDER BY a.query_start;

-- name: list_unused_indexes()
-- Indexes never scanned since the statistics were reset; never a primary key, unique index or constraint's index.
SELECT format('%I.%I', s.schemaname, s.indexrelname) AS index_name,
       format('%I.%I', s.schemaname, s.relname) AS table_name,
       pg_relation_size(s.indexrelid) AS bytes
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE coalesce(s.idx_scan, 0) = 0
   AND NOT i.indisprimary AND NOT i.indisunique AND NOT i.indisexclusion
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
 ORDER BY bytes DESC, index_name;

-- name: list_duplicate_indexes()
-- Indexes whose key columns lead another index of the same table (same method, operator classes and predicate); never a primary key or unique index.
SELECT format('%I.%I', n.nspname, ia.relname) AS index_name,
       format('%I.%I', n.nspname, t.relname) AS table_name,
       format('%I.%I', n.nspname, ib.relname) AS covered_by,
       pg_relation_size(a.indexrelid) AS bytes
  FROM pg_index a
  JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
  JOIN pg_class ia ON ia.oid = a.indexrelid
  JOIN pg_class ib ON ib.oid = b.indexrelid
  JOIN pg_class t ON t.oid = a.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
   AND NOT a.indisprimary AND NOT a.indisunique AND NOT a.indisexclusion
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = a.indexrelid)
   AND a.indisvalid AND b.indisvalid
   AND ia.relam = ib.relam
   AND a.indexprs IS NULL AND b.indexprs IS NULL
   AND pg_get_expr(a.indpred, a.indrelid) IS NOT DISTINCT FROM pg_get_expr(b.indpred, b.indrelid)
   AND a.indnkeyatts <= b.indnkeyatts
   AND (a.indkey::int2[])[0 : a.indnkeyatts - 1] = (b.indkey::int2[])[0 : a.indnkeyatts - 1]
   AND (a.indclass::oid[])[0 : a.indnkeyatts - 1] = (b.indclass::oid[])[0 : a.indnkeyatts - 1]
   -- Two identical indexes: the later one is the duplicate (unless the other is unique).
   AND (a.indnkeyatts < b.indnkeyatts OR b.indisunique OR a.indexrelid > b.indexrelid)
 ORDER BY index_name, covered_by;

-- name: list_invalid_indexes()
-- Indexes left invalid (a failed CREATE INDEX CONCURRENTLY): written to, never read.
SELECT format('%I.%I', n.nspname, ic.relname) AS index_name,
       format('%I.%I', n.nspname, t.relname) AS table_name,
       pg_relation_size(i.indexrelid) AS bytes
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE NOT i.indisvalid
 ORDER BY index_name;

-- name: named_statement_rows()
-- Per named query over every snapshot kept: calls and rows per call.
SELECT query_name, sum(delta_calls)::bigint AS calls,
       sum(delta_rows)::float8 / nullif(sum(delta_calls), 0) AS rows_per_call
  FROM monitoring.statement_stats
 WHERE query_name IS NOT NULL
 GROUP BY query_name
HAVING sum(delta_calls) > 0;

-- name: force_generic_plans()$
-- Makes this transaction's prepared statements use their generic plan, whatever values EXECUTE gives.
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);

-- name: prepared_plan_parameters()$
-- The parameter types of the statement monitoring has prepared (ikenei_monitor_plan), or nothing.
SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'ikenei_monitor_plan';

-- name: list_table_columns()
-- Every column of the ordinary tables of the public schema, with the table's estimated rows and size.
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, c.relname AS bare_name,
       a.attname::text AS column_name, greatest(c.reltuples, 0)::float8 AS estimated_rows,
       pg_total_relation_size(c.oid) AS total_bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
 ORDER BY table_name, a.attnum;

-- name: list_view_names()
-- The views of the public schema, by name.
SELECT c.relname::text AS name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')
 ORDER BY 1;

-- name: list_index_columns()
-- The key columns of every valid index of the public schema's tables, in order (empty where one is an expression).
SELECT format('%I.%I', n.nspname, t.relname) AS table_name,
       format('%I.%I', n.nspname, ic.relname) AS index_name,
       array(SELECT coalesce(a.attname::text, '')
               FROM unnest((i.indkey::int2[])[0 : i.indnkeyatts - 1]) WITH ORDINALITY AS k (attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              ORDER BY k.ord) AS columns,
       i.indpred IS NOT NULL AS partial
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = 'public' AND i.indisvalid AND ic.relam = (SELECT oid FROM pg_am WHERE amname = 'btree');

-- name: hypopg_available()^
-- Whether the server offers HypoPG, and whether this database has it already.
SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg') AS offered,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg') AS installed;

-- name: create_hypopg()!
-- Creates HypoPG for the advisor's transaction alone (it is rolled back with it).
CREATE EXTENSION IF NOT EXISTS hypopg;

-- name: create_hypothetical_index(table_name, columns)$
-- A hypothetical B-tree index on the columns, seen by this session's planner only; its estimated size.
SELECT hypopg_relation_size(h.indexrelid)
  FROM hypopg_create_index(format('CREATE INDEX ON %s (%s)', :table_name::regclass,
           (SELECT string_agg(quote_ident(c), ', ' ORDER BY o)
              FROM unnest(:columns::text[]) WITH ORDINALITY AS u (c, o)))) AS h;

-- name: reset_hypothetical_indexes()$
-- Forgets every hypothetical index of this session.
SELECT hypopg_reset()::text;

-- name: limit_candidate_build(lock_timeout, statement_timeout)$
-- Bounds how long building a candidate index may wait for its lock and run, for this transaction.
SELECT set_config('lock_timeout', :lock_timeout, true) || set_config('statement_timeout', :statement_timeout, true);

-- name: build_candidate_index(table_name, columns)$
-- Builds a real candidate index inside the caller's transaction, to be rolled back; its size.
SELECT monitoring.build_candidate_index(:table_name::regclass, :columns::text[]);

-- name: insert_suggestion(table_name, columns, method, cost_before, cost_after, statements, index_bytes, migration)$
-- Stores one index suggestion of the advisor with its date; its id.
INSERT INTO monitoring.suggestions (table_name, columns, method, cost_before, cost_after, statements,
                                    index_bytes, migration)
VALUES (:table_name, :columns, :method, :cost_before, :cost_after, :statements, :index_bytes, :migration)
RETURNING id;

-- name: index_migration_statements(table_name, columns, index_name)^
-- The CREATE INDEX CONCURRENTLY of a suggestion and the DROP INDEX CONCURRENTLY of its rollback, every name quoted by the server.
SELECT format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %I.%I (%s);', :index_name::text, n.nspname, c.relname,
              (SELECT string_agg(quote_ident(u.col), ', ' ORDER BY u.ord)
                 FROM unnest(:columns::text[]) WITH ORDINALITY AS u (col, ord))) AS create_statement,
       format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I;', n.nspname, :index_name::text) AS drop_statement
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = :table_name::regclass;

-- name: statement_figures_since(since)
-- Per statement, what ran in the snapshots taken after an instant: calls and mean time, with its named query.
SELECT s.queryid, max(s.query_name) AS query_name, min(s.query) AS query,
       sum(s.delta_calls)::bigint AS calls,
       sum(s.delta_total_ms) / nullif(sum(s.delta_calls), 0) AS mean_ms
  FROM monitoring.statement_stats s
  JOIN monitoring.snapshots p ON p.id = s.snapshot_id
 WHERE p.taken_at > :since
 GROUP BY s.queryid
HAVING sum(s.delta_calls) > 0
 ORDER BY s.queryid;

-- name: save_baseline(name, statements, queryids, calls, mean_ms)$
-- Replaces the baseline of that name with these per-statement figures; how many statements.
WITH cleared AS (
    DELETE FROM monitoring.baselines WHERE name = :name RETURNING 1
), saved AS (
    INSERT INTO monitoring.baselines (name, statement, queryid, calls, mean_ms)
    SELECT :name, u.statement, u.queryid, u.calls, u.mean_ms
      FROM unnest(:statements::text[], :queryids::bigint[], :calls::bigint[], :mean_ms::float8[])
           AS u (statement, queryid, calls, mean_ms)
    RETURNING 1
)
SELECT (SELECT count(*) FROM saved)::int + 0 * (SELECT count(*) FROM cleared)::int;

-- name: list_baseline(name)
-- The per-statement figures of a saved baseline.
SELECT statement, queryid, calls, mean_ms, saved_at
  FROM monitoring.baselines
 WHERE name = :name
 ORDER BY statement;

-- name: latest_pool_figures()^
-- The application's pool figures of the newest snapshot that has them.
SELECT taken_at, pool_size, pool_max, pool_idle, pool_in_use, pool_waiting
  FROM monitoring.snapshots
 WHERE pool_max IS NOT NULL
 ORDER BY id DESC
 LIMIT 1;

-- name: insert_alert(rule, subject, value, threshold, message)$
-- Records one firing alert; its id.
INSERT INTO monitoring.alerts (rule, subject, value, threshold, message)
VALUES (:rule, :subject, :value, :threshold, :message)
RETURNING id;

-- name: database_now()$
-- The server's clock, which stamps the snapshots.
SELECT now();

-- name: live_connections_by_state()
-- Client connections to this database now, by state.
SELECT coalesce(a.state, 'unknown') AS state, count(*)::int AS connections
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.backend_type = 'client backend'
 GROUP BY 1
 ORDER BY 1;

-- name: live_table_figures()
-- Every user table now: size, scans, rows read by sequential scans, dead tuples.
SELECT format('%I.%I', t.schemaname, t.relname) AS table_name,
       coalesce(pg_total_relation_size(t.relid), 0) AS total_bytes,
       coalesce(t.seq_scan, 0) AS seq_scan, coalesce(t.seq_tup_read, 0) AS seq_tup_read,
       coalesce(t.idx_scan, 0) AS idx_scan, t.n_live_tup AS live_tuples, t.n_dead_tup AS dead_tuples
  FROM pg_stat_user_tables t
 ORDER BY 1;

-- name: live_index_figures()
-- Every index of a user table now: size and scans.
SELECT format('%I.%I', i.schemaname, i.indexrelname) AS index_name,
       format('%I.%I', i.schemaname, i.relname) AS table_name,
       coalesce(pg_relation_size(i.indexrelid), 0) AS bytes, coalesce(i.idx_scan, 0) AS idx_scan
  FROM pg_stat_user_indexes i
 ORDER BY 1;

-- name: live_statement_figures()
-- This database's pg_stat_statements figures now, per statement.
SELECT s.queryid, min(s.query) AS query, sum(s.calls)::bigint AS calls,
       sum(s.total_exec_time) AS total_ms, sum(s.rows)::bigint AS rows
  FROM pg_stat_statements s
 WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND s.queryid IS NOT NULL
 GROUP BY s.queryid;

-- name: live_replication_slots()
-- Every replication slot of the server now: whether a receiver uses it, and the
-- WAL the server keeps for it (from its restart LSN to the current position).
SELECT slot_name::text AS slot_name, slot_type, active,
       coalesce(pg_wal_lsn_diff(
           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                ELSE pg_current_wal_lsn() END,
           restart_lsn), 0)::bigint AS retained_bytes
  FROM pg_replication_slots
 ORDER BY 1;
