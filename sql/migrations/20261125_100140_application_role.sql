-- Up Migration
-- Description: ikenei_app, the role the application works as: it owns nothing, may read and write the data, only append to the logs
-- Date: 2026-11-25
--
-- Row-level security (next migration) does not bind a table's owner, so the
-- application must work as a role that owns nothing: ikenei_app. It is a
-- NOLOGIN role: the application either connects as the owner and switches to
-- it on every connection (DB_APP_ROLE=ikenei_app, see ikenei.settings), or
-- connects as a login role of its own that is a member of it. Migrations,
-- seeds, the retention run and `ikenei keys rotate` stay with the owner.
--
-- Roles belong to the whole server, not to one database: the role is created
-- only when it does not exist yet (another database of the server, or the
-- administrator, may have made it). A migrating role that may not create
-- roles needs the administrator to run, once per server:
--     CREATE ROLE ikenei_app NOLOGIN; GRANT ikenei_app TO <owner>;
-- The migrating role is made a member so that its connections can switch.
--
-- What ikenei_app may do in this database:
--   * every table of the data: SELECT, INSERT, UPDATE, DELETE; which rows,
--     the policies of the next migration decide;
--   * the global catalogs (learning_resource_types, system_settings,
--     retention_policies): read only; the owner maintains them;
--   * encryption_keys: read, register and reinstate a key (the start-up check
--     of ikenei.keys), never delete one;
--   * the logs: audit_log only read (its trigger writes it as the owner, so
--     the application cannot forge an entry), data_access_log and
--     data_processing_log read and append. No UPDATE or DELETE on any log:
--     beyond the append-only triggers, the privilege is missing too.
-- Tables created by later migrations get the data privileges by default; a
-- later table of an organization's data must enable row-level security in
-- its own migration (tests/test_isolation.py fails until it does).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ikenei_app') THEN
        BEGIN
            CREATE ROLE ikenei_app NOLOGIN;
        EXCEPTION
            -- Made meanwhile by a migration of another database on this server.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role ikenei_app does not exist and % may not create roles', current_user
                    USING HINT = format('a superuser runs once: CREATE ROLE ikenei_app NOLOGIN; GRANT ikenei_app TO %I;',
                                        current_user);
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'ikenei_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT ikenei_app TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% is not a member of ikenei_app and may not make itself one', current_user
                USING HINT = format('a superuser runs once: GRANT ikenei_app TO %I;', current_user);
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO ikenei_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON
    organizations, users, user_organizations, roles, user_roles,
    competency_categories, competencies, competency_levels, user_competencies, user_competency_history,
    feedback_forms, feedback_questions, feedback_cycles, feedback_invitations, feedback_responses,
    feedback_ratings,
    learning_resources, learning_plans, learning_objectives, learning_progress, recommendations,
    analytics_events, reports, dashboard_widgets,
    user_consents
    TO ikenei_app;

GRANT SELECT ON learning_resource_types, system_settings, retention_policies, audit_log TO ikenei_app;

GRANT SELECT, INSERT ON data_access_log, data_processing_log TO ikenei_app;

GRANT SELECT, INSERT, UPDATE ON encryption_keys TO ikenei_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ikenei_app;

-- Identity columns (every generated key here) need no privilege on their
-- sequence; a later serial column's sequence would.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ikenei_app;
