-- Up Migration
-- Description: notifications, the log of every message the product sends about the process, and reminder limits per organization
-- Date: 2026-12-04
--
-- A notification is one message to one recipient about one subject:
--
--   recipient      a member (recipient_user_id), or, for a message about a
--                  feedback invitation, that invitation's rater (NULL: an
--                  external rater is reached by the invitation's email, so
--                  their address is kept once, where erasure finds it).
--   template_key   what the message says; it fixes subject_type:
--                    feedback.invitation, feedback.reminder  -> feedback_invitation
--                    feedback.nomination_to_approve          -> feedback_nomination
--                    feedback.cycle_closing, feedback.results_released -> feedback_cycle
--                    learning.plan_due                       -> learning_objective
--                    learning.plan_review                    -> learning_plan
--   status         queued -> sent | failed, failed -> queued (a retry).
--
-- A notification never names a submission or an answer: on an anonymous
-- form nothing here can tell who answered what.
--
-- Reminders (feedback.reminder) follow the organization's
-- settings "feedback.max_reminders" and "feedback.reminder_interval_days"
-- (organizations.settings, else system_settings, else 3 and 3), checked
-- here so that a bad value is refused when it is stored.

ALTER TABLE organizations ADD CONSTRAINT organizations_settings_max_reminders_check
    CHECK (settings -> 'feedback.max_reminders' IS NULL
           OR (jsonb_typeof(settings -> 'feedback.max_reminders') = 'number'
               AND (settings ->> 'feedback.max_reminders')::numeric IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));

ALTER TABLE organizations ADD CONSTRAINT organizations_settings_reminder_interval_days_check
    CHECK (settings -> 'feedback.reminder_interval_days' IS NULL
           OR (jsonb_typeof(settings -> 'feedback.reminder_interval_days') = 'number'
               AND (settings ->> 'feedback.reminder_interval_days')::numeric = floor((settings ->> 'feedback.reminder_interval_days')::numeric)
               AND (settings ->> 'feedback.reminder_interval_days')::numeric BETWEEN 1 AND 60));

CREATE TABLE notifications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    recipient_user_id UUID,
    channel VARCHAR(20) NOT NULL DEFAULT 'email',
    template_key VARCHAR(50) NOT NULL,
    subject_type VARCHAR(30) NOT NULL,
    subject_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'queued',
    attempts SMALLINT NOT NULL DEFAULT 0,
    last_error TEXT,
    queued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'in_app')),
    CONSTRAINT notifications_template_key_check CHECK (template_key IN (
        'feedback.invitation', 'feedback.reminder', 'feedback.nomination_to_approve',
        'feedback.cycle_closing', 'feedback.results_released', 'learning.plan_due', 'learning.plan_review')),
    CONSTRAINT notifications_subject_type_check CHECK (
        (template_key IN ('feedback.invitation', 'feedback.reminder') AND subject_type = 'feedback_invitation')
        OR (template_key = 'feedback.nomination_to_approve' AND subject_type = 'feedback_nomination')
        OR (template_key IN ('feedback.cycle_closing', 'feedback.results_released') AND subject_type = 'feedback_cycle')
        OR (template_key = 'learning.plan_due' AND subject_type = 'learning_objective')
        OR (template_key = 'learning.plan_review' AND subject_type = 'learning_plan')),
    CONSTRAINT notifications_recipient_user_id_check
        CHECK (recipient_user_id IS NOT NULL OR subject_type = 'feedback_invitation'),
    CONSTRAINT notifications_status_check CHECK (status IN ('queued', 'sent', 'failed')),
    CONSTRAINT notifications_attempts_check CHECK (attempts BETWEEN 0 AND 100),
    CONSTRAINT notifications_last_error_check CHECK (btrim(last_error) <> '' AND length(last_error) <= 500),
    CONSTRAINT notifications_sent_at_check CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT notifications_failed_at_check CHECK ((status = 'failed') = (failed_at IS NOT NULL)),
    CONSTRAINT notifications_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT notifications_recipient_user_id_fkey FOREIGN KEY (organization_id, recipient_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE
);

CREATE INDEX idx_notifications_queue ON notifications (organization_id, status, queued_at);
CREATE INDEX idx_notifications_recipient ON notifications (recipient_user_id, queued_at) WHERE recipient_user_id IS NOT NULL;
CREATE INDEX idx_notifications_subject ON notifications (subject_id);

CREATE TRIGGER notifications_set_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER notifications_guard_status BEFORE UPDATE OF status ON notifications
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('queued>sent', 'queued>failed', 'failed>queued');
CREATE TRIGGER notifications_audit AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;

CREATE POLICY notifications_current ON notifications
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- The reminder limits of an organization: its own settings, else the
-- system's, else 3 reminders at least 3 days apart.
CREATE FUNCTION feedback_reminder_policy(p_organization_id UUID)
RETURNS TABLE (max_reminders INTEGER, reminder_interval_days INTEGER)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce((o.settings ->> 'feedback.max_reminders')::integer,
                    (SELECT (s.value #>> '{}')::integer FROM public.system_settings s
                      WHERE s.key = 'feedback.max_reminders'),
                    3),
           coalesce((o.settings ->> 'feedback.reminder_interval_days')::integer,
                    (SELECT (s.value #>> '{}')::integer FROM public.system_settings s
                      WHERE s.key = 'feedback.reminder_interval_days'),
                    3)
      FROM public.organizations o
     WHERE o.id = p_organization_id
$$;
