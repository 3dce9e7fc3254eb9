-- Up Migration
-- Description: Every function of the schema runs with a fixed search_path (temporary objects last) or a body bound when it was created
-- Date: 2026-12-04
--
-- A name without a schema is looked up on the caller's search_path, and
-- PostgreSQL searches pg_temp first unless the path names it: a session
-- working as ikenei_app could create a temporary table feedback_cycles and
-- have freeze_privacy_of_used_forms read it instead of ours (and so lower the
-- anonymity threshold of a form an active cycle uses). Now:
--
-- * every PL/pgSQL and SQL function with a body kept as text runs with
--   search_path = pg_catalog, public, pg_temp: pg_temp last, so a temporary
--   table never stands in for one of ours;
-- * current_organization_id() and current_person_email(), which every
--   row-level security policy calls and PostgreSQL inlines into the
--   statement, get a SQL-standard body (RETURN ...), whose names are bound
--   when the function is created: inlined as before, and immune to the path.
--
-- tests/test_search_path.py fails for any later function that has neither.

ALTER FUNCTION set_updated_at() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION guard_status_transition() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION freeze_questions_of_used_forms() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION check_feedback_response() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION freeze_privacy_of_used_forms() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION refuse_log_change() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION refuse_consent_edit() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION check_feedback_rating() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION refuse_feedback_edit() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION stamp_cycle_status() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION record_user_competency_history() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION new_organization_id() SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE FUNCTION current_organization_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('ikenei.organization_id', true), '')::uuid;

CREATE OR REPLACE FUNCTION current_person_email() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN lower(nullif(current_setting('ikenei.user_email', true), ''));
