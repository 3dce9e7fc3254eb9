-- Development seed: a few analytics events, reports and dashboard widgets.
--
-- Enough for the analytics, reporting and dashboard code to have something to
-- show: logins and learning activity (analytics_events), one report of each
-- outcome (completed, queued, failed), and the dashboards of Maya Okafor,
-- Aisha Rahman and Olivia Brown.
--
-- Run again safely. analytics_events has a generated bigint key and no
-- natural unique key, so an event is inserted only where no event with the
-- same organization, session, type and time exists (the times are fixed).
-- Reports and widgets have fixed ids and ON CONFLICT (id) DO NOTHING.

INSERT INTO analytics_events (organization_id, user_id, session_id, event_type, properties, occurred_at)
SELECT v.organization_id::uuid, v.user_id::uuid, v.session_id, v.event_type,
       v.properties::jsonb, v.occurred_at::timestamptz
  FROM (VALUES
    -- Northwind Labs
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006', 'dev-session-aisha-0001',
     'auth.login', '{"method": "password"}', '2026-05-26 09:15:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006', 'dev-session-aisha-0001',
     'report.requested', '{"report_type": "feedback_summary", "cycle_id": "00000000-0000-4000-8000-000000006102"}', '2026-05-26 09:20:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007', 'dev-session-sam-0001',
     'auth.login', '{"method": "password"}', '2026-11-10 14:00:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007', 'dev-session-sam-0001',
     'learning.progress.recorded', '{"plan_id": "00000000-0000-4000-8000-000000008104", "progress_percent": 30}', '2026-11-10 14:20:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'dev-session-maya-0001',
     'auth.login', '{"method": "password"}', '2026-11-12 18:00:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'dev-session-maya-0001',
     'learning.progress.recorded', '{"plan_id": "00000000-0000-4000-8000-000000008101", "progress_percent": 60}', '2026-11-12 18:10:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'dev-session-maya-0002',
     'auth.login', '{"method": "password"}', '2026-11-13 09:58:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'dev-session-maya-0002',
     'recommendation.accepted', '{"recommendation_id": "00000000-0000-4000-8000-00000000a102"}', '2026-11-13 10:05:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'dev-session-maya-0003',
     'learning.plan.viewed', '{"plan_id": "00000000-0000-4000-8000-000000008102"}', '2026-11-20 07:40:00+00'),
    ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002001', 'dev-session-elena-0001',
     'dashboard.viewed', '{"widgets": 0}', '2026-11-20 08:45:00+00'),
    -- Bluefin Logistics
    ('00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011', 'dev-session-olivia-0001',
     'auth.login', '{"method": "password"}', '2026-11-23 12:40:00+00'),
    ('00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011', 'dev-session-olivia-0001',
     'feedback.form.viewed', '{"form_id": "00000000-0000-4000-8000-000000005201"}', '2026-11-23 12:46:00+00'),
    ('00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002012', 'dev-session-ravi-0001',
     'auth.login', '{"method": "password"}', '2026-11-24 09:09:00+00')
  ) AS v (organization_id, user_id, session_id, event_type, properties, occurred_at)
 WHERE NOT EXISTS (
        SELECT 1 FROM analytics_events e
         WHERE e.organization_id = v.organization_id::uuid
           AND e.session_id = v.session_id
           AND e.event_type = v.event_type
           AND e.occurred_at = v.occurred_at::timestamptz);

INSERT INTO reports (id, organization_id, report_type, title, parameters, status, result, file_url,
                     error_message, requested_by, started_at, completed_at)
VALUES
    ('00000000-0000-4000-8000-00000000b101', '00000000-0000-4000-8000-000000001001', 'feedback_summary',
     'Mid-year check-in 2026: feedback summary',
     '{"cycle_id": "00000000-0000-4000-8000-000000006102"}', 'completed',
     '{"targets": 2, "invitations": 8, "completed": 7, "expired": 1, "completion_rate": 0.875}',
     'https://files.northwind.example/reports/mid-year-2026-feedback-summary.pdf',
     NULL, '00000000-0000-4000-8000-000000002006', '2026-05-26 09:20:05+00', '2026-05-26 09:20:41+00'),
    ('00000000-0000-4000-8000-00000000b102', '00000000-0000-4000-8000-000000001001', 'learning_progress',
     'Learning progress: Engineering',
     '{"department": "Engineering", "plan_status": ["active", "paused"]}', 'queued',
     NULL, NULL,
     NULL, '00000000-0000-4000-8000-000000002001', NULL, NULL),
    ('00000000-0000-4000-8000-00000000b201', '00000000-0000-4000-8000-000000001002', 'competency_gaps',
     'Competency gaps: Operations',
     '{"department": "Operations"}', 'failed',
     NULL, NULL,
     'The report took longer than its 300 s limit and was stopped.', '00000000-0000-4000-8000-000000002010',
     '2026-11-02 07:00:00+00', '2026-11-02 07:05:00+00')
ON CONFLICT (id) DO NOTHING;

INSERT INTO dashboard_widgets (id, organization_id, user_id, widget_type, title,
                               position, width, height, configuration, is_visible)
VALUES
    -- Maya Okafor: her feedback, competencies, plans and the feedback she owes
    ('00000000-0000-4000-8000-00000000c101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'feedback_summary', 'My Leadership 360', 0, 6, 4, '{"cycle_id": "00000000-0000-4000-8000-000000006101"}', true),
    ('00000000-0000-4000-8000-00000000c102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'competency_radar', 'My competencies', 1, 6, 4, '{"show_targets": true}', true),
    ('00000000-0000-4000-8000-00000000c103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'learning_progress', 'My learning plans', 2, 8, 3, '{"plan_status": "active"}', true),
    ('00000000-0000-4000-8000-00000000c104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'pending_feedback', 'Feedback I owe', 3, 4, 3, '{}', true),
    -- Aisha Rahman (HR): how the running cycle is going
    ('00000000-0000-4000-8000-00000000c105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006',
     'cycle_completion', 'Leadership 360 completion', 0, 8, 4, '{"cycle_id": "00000000-0000-4000-8000-000000006101"}', true),
    ('00000000-0000-4000-8000-00000000c106', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006',
     'activity', 'Recent activity', 1, 4, 4, '{"limit": 20}', true),
    ('00000000-0000-4000-8000-00000000c107', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006',
     'recommendations', 'Recommendations', 2, 4, 3, '{}', false),
    -- Olivia Brown (Bluefin)
    ('00000000-0000-4000-8000-00000000c201', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011',
     'pending_feedback', 'Feedback to give', 0, 6, 3, '{}', true)
ON CONFLICT (id) DO NOTHING;
