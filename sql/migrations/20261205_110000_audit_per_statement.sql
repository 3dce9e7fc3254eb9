-- Up Migration
-- Description: The audit trail is written once per statement from its transition tables, not once per row
-- Date: 2026-12-05
--
-- audit_row_change ran once for every row a statement wrote, each call
-- building two JSON values and inserting one audit row on its own: on a
-- submission's answers it cost more than the insert of the answers itself.
-- It now runs once per statement and writes that statement's audit rows with
-- one INSERT ... SELECT from the statement's transition tables (audit_new,
-- audit_old). PostgreSQL allows transition tables only on a trigger of one
-- event, so each audited table has three triggers, <table>_audit_insert,
-- _update and _delete; none has a column list or a WHEN clause, as the row
-- triggers had none.
--
-- The entries are the same as before, row for row: table_name, row_id (the
-- row's id), organization_id, action, changed_columns (INSERT and DELETE:
-- the columns holding a value, in table order; UPDATE: the columns whose
-- value changed, updated_at left out, and no entry when nothing else
-- changed), actor and occurred_at (now(), the transaction's time). Within a
-- statement the entries keep the order of the rows. What differs is only the
-- order of ids between tables when a delete cascades: the cascaded rows'
-- entries now come before the entries of the rows that caused them, not
-- interleaved with them.
--
-- An UPDATE's old and new transition tables hold the rows in the same order
-- (PostgreSQL adds a row's old and new version to them together), so the
-- n-th old row is the n-th new row's previous version, whatever the update
-- did to the row's id.
--
-- The anonymity rule of 20261204_100100 stays as it was: a row of
-- feedback_responses or feedback_ratings that names no invitation (every
-- answer of an anonymous form, and a named one whose invitation is gone) gets
-- no audit entry at all, when written, changed or deleted. Keep it in any
-- rewrite of the audit trail.

DROP TRIGGER users_audit ON users;
DROP TRIGGER user_organizations_audit ON user_organizations;
DROP TRIGGER user_roles_audit ON user_roles;
DROP TRIGGER user_competencies_audit ON user_competencies;
DROP TRIGGER feedback_invitations_audit ON feedback_invitations;
DROP TRIGGER feedback_responses_audit ON feedback_responses;
DROP TRIGGER feedback_ratings_audit ON feedback_ratings;
DROP TRIGGER learning_plans_audit ON learning_plans;
DROP TRIGGER learning_objectives_audit ON learning_objectives;
DROP TRIGGER learning_progress_audit ON learning_progress;
DROP TRIGGER recommendations_audit ON recommendations;
DROP TRIGGER dashboard_widgets_audit ON dashboard_widgets;
DROP TRIGGER user_consents_audit ON user_consents;
DROP TRIGGER feedback_nominations_audit ON feedback_nominations;
DROP TRIGGER notifications_audit ON notifications;
DROP TRIGGER competency_evidence_audit ON competency_evidence;
DROP TRIGGER learning_plan_reviews_audit ON learning_plan_reviews;

-- SECURITY DEFINER with a fixed search_path, as before: it writes audit_log
-- even for a caller that may not, and a caller's search_path cannot
-- redirect it. Each row is read once, as jsonb (whose lookups by key are
-- cheap, unlike json's); the table's column order comes from the catalog.
-- A column holds a value when its jsonb value is not null (SQL NULL and a
-- jsonb column holding JSON null alike, as before); a column changed when
-- the text of its value did (as before: 1.5 and 1.50 differ).
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    who TEXT := nullif(current_setting('ikenei.actor', true), '');
    -- Answers: see the anonymity rule in this migration's header.
    answers BOOLEAN := TG_TABLE_NAME IN ('feedback_responses', 'feedback_ratings');
    columns TEXT[];
BEGIN
    IF TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'audit_row_change runs FOR EACH STATEMENT with transition tables audit_new and audit_old, not on %', TG_TABLE_NAME;
    END IF;
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO columns
      FROM pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
        SELECT TG_TABLE_NAME, r.j ->> 'id', (r.j ->> 'organization_id')::uuid, 'INSERT',
               ARRAY(SELECT c FROM unnest(columns) AS c WHERE r.j ->> c IS NOT NULL), who, now()
          FROM (SELECT to_jsonb(n) AS j FROM audit_new n OFFSET 0) AS r
         WHERE NOT answers OR r.j ->> 'invitation_id' IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
        SELECT TG_TABLE_NAME, r.j ->> 'id', (r.j ->> 'organization_id')::uuid, 'DELETE',
               ARRAY(SELECT c FROM unnest(columns) AS c WHERE r.j ->> c IS NOT NULL), who, now()
          FROM (SELECT to_jsonb(o) AS j FROM audit_old o OFFSET 0) AS r
         WHERE NOT answers OR r.j ->> 'invitation_id' IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
        SELECT TG_TABLE_NAME, d.j ->> 'id', (d.j ->> 'organization_id')::uuid, 'UPDATE', d.changed, who, now()
          FROM (SELECT n.j, n.k, o.j AS was,
                       ARRAY(SELECT c FROM unnest(columns) AS c
                              WHERE c <> 'updated_at'
                                AND (n.j -> c)::text IS DISTINCT FROM (o.j -> c)::text) AS changed
                  FROM (SELECT to_jsonb(x) AS j, row_number() OVER () AS k FROM audit_new x) AS n
                  JOIN (SELECT to_jsonb(x) AS j, row_number() OVER () AS k FROM audit_old x) AS o ON o.k = n.k
                OFFSET 0) AS d
         WHERE cardinality(d.changed) > 0
           AND (NOT answers OR d.j ->> 'invitation_id' IS NOT NULL OR d.was ->> 'invitation_id' IS NOT NULL)
         ORDER BY d.k;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_audit_insert AFTER INSERT ON users REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER users_audit_update AFTER UPDATE ON users REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER users_audit_delete AFTER DELETE ON users REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_organizations_audit_insert AFTER INSERT ON user_organizations REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_organizations_audit_update AFTER UPDATE ON user_organizations REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_organizations_audit_delete AFTER DELETE ON user_organizations REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_roles_audit_insert AFTER INSERT ON user_roles REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_roles_audit_update AFTER UPDATE ON user_roles REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_roles_audit_delete AFTER DELETE ON user_roles REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_competencies_audit_insert AFTER INSERT ON user_competencies REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_competencies_audit_update AFTER UPDATE ON user_competencies REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_competencies_audit_delete AFTER DELETE ON user_competencies REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_invitations_audit_insert AFTER INSERT ON feedback_invitations REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_invitations_audit_update AFTER UPDATE ON feedback_invitations REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_invitations_audit_delete AFTER DELETE ON feedback_invitations REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_responses_audit_insert AFTER INSERT ON feedback_responses REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_responses_audit_update AFTER UPDATE ON feedback_responses REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_responses_audit_delete AFTER DELETE ON feedback_responses REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_ratings_audit_insert AFTER INSERT ON feedback_ratings REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_ratings_audit_update AFTER UPDATE ON feedback_ratings REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_ratings_audit_delete AFTER DELETE ON feedback_ratings REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plans_audit_insert AFTER INSERT ON learning_plans REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plans_audit_update AFTER UPDATE ON learning_plans REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plans_audit_delete AFTER DELETE ON learning_plans REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_objectives_audit_insert AFTER INSERT ON learning_objectives REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_objectives_audit_update AFTER UPDATE ON learning_objectives REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_objectives_audit_delete AFTER DELETE ON learning_objectives REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_progress_audit_insert AFTER INSERT ON learning_progress REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_progress_audit_update AFTER UPDATE ON learning_progress REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_progress_audit_delete AFTER DELETE ON learning_progress REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER recommendations_audit_insert AFTER INSERT ON recommendations REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER recommendations_audit_update AFTER UPDATE ON recommendations REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER recommendations_audit_delete AFTER DELETE ON recommendations REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER dashboard_widgets_audit_insert AFTER INSERT ON dashboard_widgets REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER dashboard_widgets_audit_update AFTER UPDATE ON dashboard_widgets REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER dashboard_widgets_audit_delete AFTER DELETE ON dashboard_widgets REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_consents_audit_insert AFTER INSERT ON user_consents REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_consents_audit_update AFTER UPDATE ON user_consents REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_consents_audit_delete AFTER DELETE ON user_consents REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_nominations_audit_insert AFTER INSERT ON feedback_nominations REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_nominations_audit_update AFTER UPDATE ON feedback_nominations REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_nominations_audit_delete AFTER DELETE ON feedback_nominations REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER notifications_audit_insert AFTER INSERT ON notifications REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER notifications_audit_update AFTER UPDATE ON notifications REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER notifications_audit_delete AFTER DELETE ON notifications REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER competency_evidence_audit_insert AFTER INSERT ON competency_evidence REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER competency_evidence_audit_update AFTER UPDATE ON competency_evidence REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER competency_evidence_audit_delete AFTER DELETE ON competency_evidence REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plan_reviews_audit_insert AFTER INSERT ON learning_plan_reviews REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plan_reviews_audit_update AFTER UPDATE ON learning_plan_reviews REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plan_reviews_audit_delete AFTER DELETE ON learning_plan_reviews REFERENCING OLD TABLE AS audit_old
    FOR EACH STATEMENT EXECUTE FUNCTION audit_row_change();
