-- Up Migration
-- Description: Audit trail: audit_log written by one trigger on every table holding personal data, append-only
-- Date: 2026-11-25
--
-- audit_log says who changed which row of which table, when, and which
-- columns: metadata only, never a value. The values are personal data; an
-- audit row must not become a second copy of them that outlives an erasure.
--
--   action           INSERT, UPDATE or DELETE.
--   changed_columns  UPDATE: the columns whose value changed (updated_at, kept
--                    by its own trigger, is left out; an UPDATE that changes
--                    nothing else is not recorded). INSERT and DELETE: every
--                    column that holds a value (is not null), in table order.
--   actor            current_setting('ikenei.actor'), which
--                    Database.transaction(actor=...) sets for its transaction
--                    only (set_config(..., true)), so a pooled connection never
--                    carries it into the next caller's work. NULL when no actor
--                    was declared (seeds, maintenance, a caller that did not
--                    name one): the log does not guess, and "system" would
--                    claim more than is known.
--   organization_id  the row's organization where it has one (users and
--                    user_consents do not). No foreign key: the trail outlives
--                    the organizations and rows it describes.
--
-- The logs (audit_log, and data_access_log and data_processing_log from the
-- next migrations) are append-only: refuse_log_change refuses UPDATE, DELETE
-- and TRUNCATE with SQLSTATE IK409 (ikenei.errors.Conflict). The one
-- sanctioned exception is the retention run (ikenei.retention), which sets
-- ikenei.retention = 'on' for its own transaction only. This guards against
-- the application's mistakes; it is no defence against a role that owns the
-- tables (an owner can drop a trigger). Deployments that need that run the
-- application as a role without UPDATE/DELETE privileges on the logs.

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id TEXT,
    organization_id UUID,
    action TEXT NOT NULL,
    changed_columns TEXT[] NOT NULL,
    actor TEXT,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_action_check CHECK (action IN ('INSERT', 'UPDATE', 'DELETE'))
);

CREATE INDEX idx_audit_log_row ON audit_log (table_name, row_id);
CREATE INDEX idx_audit_log_occurred_at ON audit_log (occurred_at);

CREATE FUNCTION refuse_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('ikenei.retention', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: its rows cannot be %', TG_TABLE_NAME, lower(TG_OP) || 'd'
        USING ERRCODE = 'IK409', DETAIL = 'append-only', TABLE = TG_TABLE_NAME,
              HINT = 'only the retention run (ikenei retention run) removes old entries';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_log_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_change();

-- SECURITY DEFINER with a fixed search_path: it writes audit_log even for a
-- caller that may not, and a caller's search_path cannot redirect it.
CREATE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    new_row JSON;
    old_row JSON;
    the_row JSON;
    columns TEXT[];
    who TEXT := nullif(current_setting('ikenei.actor', true), '');
    row_key TEXT;
    stamp TIMESTAMPTZ := now();
BEGIN
    IF TG_OP <> 'DELETE' THEN
        new_row := row_to_json(NEW);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := row_to_json(OLD);
    END IF;
    the_row := coalesce(new_row, old_row);
    row_key := the_row ->> 'id';

    -- json (not jsonb) keeps the table's column order.
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.position) INTO columns
          FROM json_each(new_row) WITH ORDINALITY AS n(key, value, position)
          JOIN json_each(old_row) AS o(key, value) ON o.key = n.key
         WHERE n.key <> 'updated_at' AND n.value::text IS DISTINCT FROM o.value::text;
        IF columns IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
        SELECT array_agg(c.key ORDER BY c.position) INTO columns
          FROM json_each(the_row) WITH ORDINALITY AS c(key, value, position)
         WHERE json_typeof(c.value) <> 'null';
    END IF;

    -- A submission on an anonymous form is written without its invitation
    -- (invitation_id IS NULL) and with its time cut to the day, so that
    -- nothing links an answer to its rater. The actor of that transaction is
    -- the rater, so the audit rows of those answers and ratings record no
    -- actor, no row id and only the day the row itself keeps: an audit row
    -- must not undo the anonymity the feedback tables give. What remains:
    -- the audit rows of one submission have ids next to the audit row of the
    -- invitation it completes (one transaction, as the feedback rows share
    -- their transaction id with the invitation's), so a reader of the log can
    -- tell that whoever completed an invitation wrote some anonymous rows that
    -- day, and whether they held a comment, but not which rows. Closing that
    -- needs submissions written apart from their invitation, not another log.
    IF TG_OP = 'INSERT' AND TG_TABLE_NAME IN ('feedback_responses', 'feedback_ratings')
       AND new_row ->> 'invitation_id' IS NULL THEN
        who := NULL;
        row_key := NULL;
        stamp := (new_row ->> 'created_at')::timestamptz;
    END IF;

    INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
    VALUES (TG_TABLE_NAME, row_key, (the_row ->> 'organization_id')::uuid, TG_OP, columns, who, stamp);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_organizations_audit AFTER INSERT OR UPDATE OR DELETE ON user_organizations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_roles_audit AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_competencies_audit AFTER INSERT OR UPDATE OR DELETE ON user_competencies
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_invitations_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_invitations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_responses_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_ratings_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_ratings
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plans_audit AFTER INSERT OR UPDATE OR DELETE ON learning_plans
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_objectives_audit AFTER INSERT OR UPDATE OR DELETE ON learning_objectives
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_progress_audit AFTER INSERT OR UPDATE OR DELETE ON learning_progress
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER recommendations_audit AFTER INSERT OR UPDATE OR DELETE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER dashboard_widgets_audit AFTER INSERT OR UPDATE OR DELETE ON dashboard_widgets
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
