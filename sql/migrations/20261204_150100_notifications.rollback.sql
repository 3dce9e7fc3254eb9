-- Down Migration
-- Description: Remove notifications and the reminder limits per organization

DROP FUNCTION feedback_reminder_policy(UUID);

DROP POLICY notifications_current ON notifications;

DROP TABLE notifications;

ALTER TABLE organizations DROP CONSTRAINT organizations_settings_reminder_interval_days_check;

ALTER TABLE organizations DROP CONSTRAINT organizations_settings_max_reminders_check;
