-- Down Migration
-- Description: The audit trail is written once per row again

DROP TRIGGER learning_plan_reviews_audit_delete ON learning_plan_reviews;
DROP TRIGGER learning_plan_reviews_audit_update ON learning_plan_reviews;
DROP TRIGGER learning_plan_reviews_audit_insert ON learning_plan_reviews;
DROP TRIGGER competency_evidence_audit_delete ON competency_evidence;
DROP TRIGGER competency_evidence_audit_update ON competency_evidence;
DROP TRIGGER competency_evidence_audit_insert ON competency_evidence;
DROP TRIGGER notifications_audit_delete ON notifications;
DROP TRIGGER notifications_audit_update ON notifications;
DROP TRIGGER notifications_audit_insert ON notifications;
DROP TRIGGER feedback_nominations_audit_delete ON feedback_nominations;
DROP TRIGGER feedback_nominations_audit_update ON feedback_nominations;
DROP TRIGGER feedback_nominations_audit_insert ON feedback_nominations;
DROP TRIGGER user_consents_audit_delete ON user_consents;
DROP TRIGGER user_consents_audit_update ON user_consents;
DROP TRIGGER user_consents_audit_insert ON user_consents;
DROP TRIGGER dashboard_widgets_audit_delete ON dashboard_widgets;
DROP TRIGGER dashboard_widgets_audit_update ON dashboard_widgets;
DROP TRIGGER dashboard_widgets_audit_insert ON dashboard_widgets;
DROP TRIGGER recommendations_audit_delete ON recommendations;
DROP TRIGGER recommendations_audit_update ON recommendations;
DROP TRIGGER recommendations_audit_insert ON recommendations;
DROP TRIGGER learning_progress_audit_delete ON learning_progress;
DROP TRIGGER learning_progress_audit_update ON learning_progress;
DROP TRIGGER learning_progress_audit_insert ON learning_progress;
DROP TRIGGER learning_objectives_audit_delete ON learning_objectives;
DROP TRIGGER learning_objectives_audit_update ON learning_objectives;
DROP TRIGGER learning_objectives_audit_insert ON learning_objectives;
DROP TRIGGER learning_plans_audit_delete ON learning_plans;
DROP TRIGGER learning_plans_audit_update ON learning_plans;
DROP TRIGGER learning_plans_audit_insert ON learning_plans;
DROP TRIGGER feedback_ratings_audit_delete ON feedback_ratings;
DROP TRIGGER feedback_ratings_audit_update ON feedback_ratings;
DROP TRIGGER feedback_ratings_audit_insert ON feedback_ratings;
DROP TRIGGER feedback_responses_audit_delete ON feedback_responses;
DROP TRIGGER feedback_responses_audit_update ON feedback_responses;
DROP TRIGGER feedback_responses_audit_insert ON feedback_responses;
DROP TRIGGER feedback_invitations_audit_delete ON feedback_invitations;
DROP TRIGGER feedback_invitations_audit_update ON feedback_invitations;
DROP TRIGGER feedback_invitations_audit_insert ON feedback_invitations;
DROP TRIGGER user_competencies_audit_delete ON user_competencies;
DROP TRIGGER user_competencies_audit_update ON user_competencies;
DROP TRIGGER user_competencies_audit_insert ON user_competencies;
DROP TRIGGER user_roles_audit_delete ON user_roles;
DROP TRIGGER user_roles_audit_update ON user_roles;
DROP TRIGGER user_roles_audit_insert ON user_roles;
DROP TRIGGER user_organizations_audit_delete ON user_organizations;
DROP TRIGGER user_organizations_audit_update ON user_organizations;
DROP TRIGGER user_organizations_audit_insert ON user_organizations;
DROP TRIGGER users_audit_delete ON users;
DROP TRIGGER users_audit_update ON users;
DROP TRIGGER users_audit_insert ON users;

CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
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

    -- Anonymity: keep this rule in any rewrite of the audit trail (a
    -- statement-level trigger too). A row of feedback_responses or
    -- feedback_ratings that names no invitation (every answer of an anonymous
    -- form, and a named one whose invitation is gone) gets no audit entry at
    -- all, when written, changed or deleted. Any entry would sit beside the
    -- entry of the invitation its submission completed (same transaction,
    -- next ids, same time), and its columns would tell whether the answer
    -- holds a comment: together with the comments that results show, that
    -- named the writer of a comment. The invitation's own entry (status
    -- completed) is the trail of a submission; it says nothing of the answers.
    IF TG_TABLE_NAME IN ('feedback_responses', 'feedback_ratings')
       AND (new_row IS NULL OR new_row ->> 'invitation_id' IS NULL)
       AND (old_row IS NULL OR old_row ->> 'invitation_id' IS NULL) THEN
        RETURN NULL;
    END IF;

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

    INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
    VALUES (TG_TABLE_NAME, row_key, (the_row ->> 'organization_id')::uuid, TG_OP, columns, who, stamp);
    RETURN NULL;
END
$$;

CREATE TRIGGER learning_plan_reviews_audit AFTER INSERT OR UPDATE OR DELETE ON learning_plan_reviews
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER competency_evidence_audit AFTER INSERT OR UPDATE OR DELETE ON competency_evidence
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER notifications_audit AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_nominations_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_nominations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_consents_audit AFTER INSERT OR UPDATE OR DELETE ON user_consents
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER dashboard_widgets_audit AFTER INSERT OR UPDATE OR DELETE ON dashboard_widgets
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER recommendations_audit AFTER INSERT OR UPDATE OR DELETE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_progress_audit AFTER INSERT OR UPDATE OR DELETE ON learning_progress
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_objectives_audit AFTER INSERT OR UPDATE OR DELETE ON learning_objectives
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER learning_plans_audit AFTER INSERT OR UPDATE OR DELETE ON learning_plans
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_ratings_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_ratings
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_responses_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER feedback_invitations_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_invitations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_competencies_audit AFTER INSERT OR UPDATE OR DELETE ON user_competencies
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_roles_audit AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER user_organizations_audit AFTER INSERT OR UPDATE OR DELETE ON user_organizations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();
