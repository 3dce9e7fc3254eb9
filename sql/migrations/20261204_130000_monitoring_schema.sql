-- Up Migration
-- Description: The monitoring schema: snapshots of the statistics views, index suggestions, baselines and alerts
-- Date: 2026-12-04
--
-- `ikenei monitor snapshot` copies the cumulative statistics views
-- (pg_stat_statements, pg_stat_user_tables/indexes, pg_stat_database,
-- pg_stat_activity) into these tables, with per-statement deltas against the
-- previous snapshot, so history never needs a reset of pg_stat_statements.
--
-- Who sees it: the owner writes it; ikenei_monitor (NOLOGIN, made here when
-- missing, like ikenei_app) reads it and nothing of the organizations' data;
-- ikenei_app has no privilege on this schema at all (statement texts and
-- table sizes are not an organization's business).
--
-- pg_stat_statements is created in this schema when the server offers it and
-- no earlier install exists; without shared_preload_libraries it stays
-- unreadable, and `ikenei monitor` says so in one line.

CREATE SCHEMA monitoring;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
        BEGIN
            CREATE EXTENSION pg_stat_statements SCHEMA monitoring;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_stat_statements not created (% may not): a superuser runs CREATE EXTENSION pg_stat_statements',
                current_user;
        END;
    END IF;
END
$$;

CREATE TABLE monitoring.snapshots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    server_version_num integer NOT NULL,
    statements_available boolean NOT NULL,
    statements_reset_at timestamptz,
    blocks_hit bigint NOT NULL,
    blocks_read bigint NOT NULL,
    xid_age bigint NOT NULL,
    connections jsonb NOT NULL,
    max_connections integer NOT NULL,
    pool_size integer,
    pool_max integer,
    pool_idle integer,
    pool_in_use integer,
    pool_waiting integer,
    CONSTRAINT snapshots_pool_check CHECK (
        (pool_max IS NULL) = (pool_in_use IS NULL) AND (pool_max IS NULL OR pool_max > 0)
    )
);

CREATE INDEX idx_snapshots_taken_at ON monitoring.snapshots (taken_at);

CREATE TABLE monitoring.statement_stats (
    snapshot_id bigint NOT NULL REFERENCES monitoring.snapshots (id) ON DELETE CASCADE,
    queryid bigint NOT NULL,
    query text NOT NULL,
    query_name text,
    calls bigint NOT NULL,
    total_ms double precision NOT NULL,
    rows bigint NOT NULL,
    shared_blks_hit bigint NOT NULL,
    shared_blks_read bigint NOT NULL,
    -- Since the previous snapshot; a new series (first sight, or a reset of
    -- pg_stat_statements in between) counts from zero.
    new_series boolean NOT NULL,
    delta_calls bigint NOT NULL,
    delta_total_ms double precision NOT NULL,
    delta_rows bigint NOT NULL,
    delta_shared_blks_hit bigint NOT NULL,
    delta_shared_blks_read bigint NOT NULL,
    PRIMARY KEY (snapshot_id, queryid)
);

CREATE TABLE monitoring.table_stats (
    snapshot_id bigint NOT NULL REFERENCES monitoring.snapshots (id) ON DELETE CASCADE,
    table_name text NOT NULL,
    total_bytes bigint NOT NULL,
    table_bytes bigint NOT NULL,
    live_tuples bigint NOT NULL,
    dead_tuples bigint NOT NULL,
    seq_scan bigint NOT NULL,
    seq_tup_read bigint NOT NULL,
    idx_scan bigint NOT NULL,
    last_vacuum timestamptz,
    last_analyze timestamptz,
    PRIMARY KEY (snapshot_id, table_name)
);

CREATE TABLE monitoring.index_stats (
    snapshot_id bigint NOT NULL REFERENCES monitoring.snapshots (id) ON DELETE CASCADE,
    index_name text NOT NULL,
    table_name text NOT NULL,
    bytes bigint NOT NULL,
    idx_scan bigint NOT NULL,
    PRIMARY KEY (snapshot_id, index_name)
);

CREATE TABLE monitoring.suggestions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    suggested_at timestamptz NOT NULL DEFAULT now(),
    table_name text NOT NULL,
    columns text[] NOT NULL,
    method text NOT NULL CONSTRAINT suggestions_method_check CHECK (method IN ('hypopg', 'rollback')),
    cost_before double precision NOT NULL,
    cost_after double precision NOT NULL,
    statements text[] NOT NULL,
    index_bytes bigint,
    migration text
);

CREATE TABLE monitoring.baselines (
    name text NOT NULL,
    statement text NOT NULL,
    queryid bigint NOT NULL,
    calls bigint NOT NULL,
    mean_ms double precision NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, queryid)
);

CREATE TABLE monitoring.alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fired_at timestamptz NOT NULL DEFAULT now(),
    rule text NOT NULL,
    subject text NOT NULL,
    value double precision NOT NULL,
    threshold double precision NOT NULL,
    message text NOT NULL
);

CREATE INDEX idx_alerts_fired_at ON monitoring.alerts (fired_at);

-- The advisor's fallback where HypoPG is missing: a real candidate index,
-- built inside the caller's transaction (which rolls it back) under the
-- caller's lock_timeout and statement_timeout; its size. Names come from the
-- catalog (regclass) and are quoted here, never pasted by the caller.
CREATE FUNCTION monitoring.build_candidate_index(table_name regclass, columns text[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog
AS $$
DECLARE
    made oid;
BEGIN
    EXECUTE format('CREATE INDEX ikenei_candidate_index ON %s (%s)', table_name,
                   (SELECT string_agg(quote_ident(c), ', ' ORDER BY o)
                      FROM unnest(columns) WITH ORDINALITY AS u (c, o)));
    SELECT i.indexrelid INTO made
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = table_name AND c.relname = 'ikenei_candidate_index';
    RETURN pg_relation_size(made);
END
$$;

REVOKE ALL ON FUNCTION monitoring.build_candidate_index(regclass, text[]) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ikenei_monitor') THEN
        BEGIN
            CREATE ROLE ikenei_monitor NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role ikenei_monitor does not exist and % may not create roles', current_user
                    USING HINT = 'a superuser runs once: CREATE ROLE ikenei_monitor NOLOGIN;';
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA monitoring TO ikenei_monitor;

GRANT SELECT ON monitoring.snapshots, monitoring.statement_stats, monitoring.table_stats,
    monitoring.index_stats, monitoring.suggestions, monitoring.baselines, monitoring.alerts
    TO ikenei_monitor;
