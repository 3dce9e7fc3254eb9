-- The notification log (ikenei/repositories/notifications.py): every message
-- the product sends about the process, queued, then sent or failed. Status
-- moves are guarded here (WHERE status = ...) and by a trigger. Reminders are
-- written by feedback.sql's record_feedback_reminder, which checks the limits.

-- name: queue_notification(organization_id, recipient_user_id, channel, template_key, subject_type, subject_id)^
-- Queues one message about a subject of the same organization; returns it, or
-- nothing when no such subject exists there.
INSERT INTO notifications (organization_id, recipient_user_id, channel, template_key, subject_type, subject_id)
SELECT :organization_id::uuid, :recipient_user_id::uuid, :channel::text, :template_key::text,
       :subject_type::text, :subject_id::uuid
 WHERE CASE :subject_type::text
       WHEN 'feedback_invitation' THEN EXISTS (
           SELECT 1 FROM feedback_invitations WHERE id = :subject_id AND organization_id = :organization_id)
       WHEN 'feedback_nomination' THEN EXISTS (
           SELECT 1 FROM feedback_nominations WHERE id = :subject_id AND organization_id = :organization_id)
       WHEN 'feedback_cycle' THEN EXISTS (
           SELECT 1 FROM feedback_cycles WHERE id = :subject_id AND organization_id = :organization_id)
       WHEN 'learning_objective' THEN EXISTS (
           SELECT 1 FROM learning_objectives WHERE id = :subject_id AND organization_id = :organization_id)
       WHEN 'learning_plan' THEN EXISTS (
           SELECT 1 FROM learning_plans WHERE id = :subject_id AND organization_id = :organization_id
                                          AND deleted_at IS NULL)
       ELSE true END
RETURNING id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
          attempts, last_error, queued_at, sent_at, failed_at;

-- name: get_notification(notification_id)^
-- One notification by id, or nothing.
SELECT id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
       attempts, last_error, queued_at, sent_at, failed_at
  FROM notifications
 WHERE id = :notification_id;

-- name: get_notification_status(notification_id)$
-- The status of a notification, or nothing if absent: why a guarded change did not happen.
SELECT status FROM notifications WHERE id = :notification_id;

-- name: mark_notification_sent(notification_id)^
-- queued -> sent, counting the attempt; nothing if absent or not queued.
UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1
 WHERE id = :notification_id AND status = 'queued'
RETURNING id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
          attempts, last_error, queued_at, sent_at, failed_at;

-- name: mark_notification_failed(notification_id, error)^
-- queued -> failed with the delivery error, counting the attempt; nothing if absent or not queued.
UPDATE notifications SET status = 'failed', failed_at = now(), attempts = attempts + 1, last_error = :error
 WHERE id = :notification_id AND status = 'queued'
RETURNING id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
          attempts, last_error, queued_at, sent_at, failed_at;

-- name: requeue_notification(notification_id)^
-- failed -> queued for another attempt (the last error is kept); nothing if absent or not failed.
UPDATE notifications SET status = 'queued', failed_at = NULL, queued_at = now()
 WHERE id = :notification_id AND status = 'failed'
RETURNING id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
          attempts, last_error, queued_at, sent_at, failed_at;

-- name: list_notifications(organization_id, status, recipient_user_id, subject_id, after_queued_at, after_id, limit)
-- A page of an organization's notifications, oldest queued first; a NULL filter does not filter.
SELECT id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id, status,
       attempts, last_error, queued_at, sent_at, failed_at
  FROM notifications
 WHERE organization_id = :organization_id
   AND (:status::text IS NULL OR status = :status)
   AND (:recipient_user_id::uuid IS NULL OR recipient_user_id = :recipient_user_id)
   AND (:subject_id::uuid IS NULL OR subject_id = :subject_id)
   AND (queued_at, id) > (coalesce(:after_queued_at::timestamptz, '-infinity'), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY queued_at, id
 LIMIT :limit;
