-- Production seed: the default system configuration.
--
-- system_settings holds one JSON value per key; the application reads them
-- and an administrator may change them. These are the defaults a new
-- installation starts with.
--
-- Run again safely: an existing key keeps its value (ON CONFLICT DO
-- NOTHING), so re-seeding never undoes an administrator's change.

INSERT INTO system_settings (key, value, description)
VALUES
    ('feedback.default_anonymity_threshold', '3',
     'Fewest answers a rater group needs before its results of an anonymous form are shown; a new form starts with this threshold.'),
    ('feedback.rating_scale', '{"min": 1, "max": 5}',
     'Default scale of a new rating question.'),
    ('feedback.invitation_token_ttl_days', '21',
     'Days an external rater''s access link stays valid after it is sent.'),
    ('feedback.reminder_interval_days', '3',
     'Days between two reminders to a rater who has not answered yet.'),
    ('feedback.max_reminders', '3',
     'Most reminders sent for one invitation.'),
    ('feedback.default_cycle_duration_days', '21',
     'Days between the start and the planned end of a new feedback cycle.'),
    ('learning.default_plan_duration_days', '90',
     'Days between the start and the target completion date of a new learning plan.'),
    ('learning.max_active_plans_per_user', '3',
     'Most learning plans one person may have active at a time.'),
    ('learning.recommendations_per_objective', '3',
     'How many resources are recommended for one learning objective.'),
    ('retention.analytics_events_days', '395',
     'Days analytics events are kept before they are purged (13 months, so a year can be compared with the one before).'),
    ('retention.reports_days', '365',
     'Days a generated report and its file are kept.')
ON CONFLICT (key) DO NOTHING;
