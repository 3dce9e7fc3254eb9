-- Down Migration
-- Description: Drop the monitoring schema, its history and the pg_stat_statements made in it
--
-- ikenei_monitor belongs to the whole server (other databases may use it);
-- only what this database gave it is taken back. pg_stat_statements goes only
-- when it was made in this schema; an install of its own elsewhere stays.

REVOKE SELECT ON monitoring.snapshots, monitoring.statement_stats, monitoring.table_stats,
    monitoring.index_stats, monitoring.suggestions, monitoring.baselines, monitoring.alerts
    FROM ikenei_monitor;

REVOKE USAGE ON SCHEMA monitoring FROM ikenei_monitor;

DROP FUNCTION monitoring.build_candidate_index(regclass, text[]);

DROP TABLE monitoring.alerts;

DROP TABLE monitoring.baselines;

DROP TABLE monitoring.suggestions;

DROP TABLE monitoring.index_stats;

DROP TABLE monitoring.table_stats;

DROP TABLE monitoring.statement_stats;

DROP TABLE monitoring.snapshots;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'pg_stat_statements' AND n.nspname = 'monitoring') THEN
        DROP EXTENSION pg_stat_statements;
    END IF;
END
$$;

DROP SCHEMA monitoring;
