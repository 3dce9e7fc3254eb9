-- Development seed: learning resources, plans built from competency gaps,
-- their objectives, progress entries and recommendations.
--
-- Maya Okafor (2002) has two ACTIVE plans, which the spec's "Learning
-- Progress Query" lists, and one completed plan it leaves out:
--   ...008101  "Coaching and strategy: growing as a people leader", built from
--              the mid-year cycle (6102): 4 objectives, 2 completed -> 50.00 %
--   ...008102  "Sharpen technical judgement", her own: 3 objectives,
--              1 completed -> 33.33 %
--   ...008103  "First 90 days as a manager": completed in 2024.
-- Sam Fischer (2007) has an active plan with nothing completed yet (0.00 %),
-- Priya Nair (2008) a paused one and Ravi Patel (2012, Bluefin) a draft.
-- Every active plan has objectives: the spec's query divides by their count.
--
-- Resources are tied to a competency and a level range, so they can be
-- matched to a gap; resource types come from the prod seed.
--
-- Run again safely: fixed ids and ON CONFLICT (id) DO NOTHING.

INSERT INTO learning_resources (id, organization_id, title, description, resource_type, url, provider,
                                competency_id, min_level, max_level, duration_minutes, cost)
SELECT v.id::uuid, v.organization_id::uuid, v.title, v.description, v.resource_type, v.url, v.provider,
       v.competency_id::uuid, v.min_level, v.max_level, v.duration_minutes, v.cost
  FROM (VALUES
    -- Northwind Labs
    ('00000000-0000-4000-8000-000000007101', '00000000-0000-4000-8000-000000001001',
     'Coaching Skills for New Managers', 'Five modules on feedback conversations, questions and delegation.',
     'course', 'https://academy.northwind.example/courses/coaching-basics', 'Northwind Academy',
     '00000000-0000-4000-8000-000000003102', 1, 3, 360, 0.00),
    ('00000000-0000-4000-8000-000000007102', '00000000-0000-4000-8000-000000001001',
     'Questions That Help People Think', 'A practical book on coaching through questions rather than answers.',
     'book', 'https://books.example/questions-that-help-people-think', 'Harbor Press',
     '00000000-0000-4000-8000-000000003102', 2, 4, 420, 24.90),
    ('00000000-0000-4000-8000-000000007103', '00000000-0000-4000-8000-000000001001',
     'Strategy on a Page', 'Half-day workshop: turn company goals into a one-page team strategy.',
     'workshop', NULL, 'Northwind Academy',
     '00000000-0000-4000-8000-000000003101', 2, 4, 240, 0.00),
    ('00000000-0000-4000-8000-000000007104', '00000000-0000-4000-8000-000000001001',
     'Leadership mentoring circle', 'Monthly circle of four managers with a senior leader as mentor.',
     'mentoring', NULL, 'Northwind Labs',
     '00000000-0000-4000-8000-000000003102', 3, 5, 600, 0.00),
    ('00000000-0000-4000-8000-000000007105', '00000000-0000-4000-8000-000000001001',
     'Listening to Understand, Not to Reply', 'Short article with three habits for better listening in meetings.',
     'article', 'https://journal.example/listening-to-understand', 'Team Practices Journal',
     '00000000-0000-4000-8000-000000003104', 1, 3, 15, 0.00),
    ('00000000-0000-4000-8000-000000007106', '00000000-0000-4000-8000-000000001001',
     'Data-Intensive Systems: Lecture Series', 'Twelve recorded lectures on storage, replication and stream processing.',
     'video', 'https://talks.example/data-intensive-systems', 'Open Engineering Talks',
     '00000000-0000-4000-8000-000000003106', 2, 4, 540, 0.00),
    ('00000000-0000-4000-8000-000000007107', '00000000-0000-4000-8000-000000001001',
     'The Curious Engineer', 'Weekly podcast: engineers on how they learned a new field.',
     'podcast', 'https://podcasts.example/curious-engineer', 'The Curious Engineer',
     '00000000-0000-4000-8000-000000003108', 1, 5, 45, 0.00),
    ('00000000-0000-4000-8000-000000007108', '00000000-0000-4000-8000-000000001001',
     'Run the quarterly architecture review', 'Prepare and chair one architecture review, with a principal engineer as backup.',
     'on_the_job', NULL, 'Northwind Labs',
     '00000000-0000-4000-8000-000000003106', 3, 5, 480, 0.00),
    ('00000000-0000-4000-8000-000000007109', '00000000-0000-4000-8000-000000001001',
     'Delivery Planning and Estimation', 'Course on forecasting, slicing work and communicating dates.',
     'course', 'https://courses.example/delivery-planning', 'Courses Example',
     '00000000-0000-4000-8000-000000003107', 2, 4, 300, 149.00),
    -- Bluefin Logistics
    ('00000000-0000-4000-8000-000000007201', '00000000-0000-4000-8000-000000001002',
     'Lean Warehouse Fundamentals', 'Introduction to flow, waste and standard work in a warehouse.',
     'course', 'https://training.bluefin.example/lean-fundamentals', 'Bluefin Training',
     '00000000-0000-4000-8000-000000003205', 1, 3, 480, 0.00),
    ('00000000-0000-4000-8000-000000007202', '00000000-0000-4000-8000-000000001002',
     'Forklift Safety Certification', 'Theory and practical exam for operating forklifts on site.',
     'certification', NULL, 'Regional Safety Council',
     '00000000-0000-4000-8000-000000003202', 1, 2, 960, 180.00),
    ('00000000-0000-4000-8000-000000007203', '00000000-0000-4000-8000-000000001002',
     'Shift Planning Workshop', 'Plan a week of shifts against real order forecasts.',
     'workshop', NULL, 'Bluefin Training',
     '00000000-0000-4000-8000-000000003201', 2, 4, 240, 0.00)
  ) AS v (id, organization_id, title, description, resource_type, url, provider,
          competency_id, min_level, max_level, duration_minutes, cost)
ON CONFLICT (id) DO NOTHING;

INSERT INTO learning_plans (id, organization_id, user_id, title, description, ai_analysis, status,
                            start_date, target_completion_date, actual_completion_date,
                            source_cycle_id, created_by)
VALUES
    ('00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'Coaching and strategy: growing as a people leader',
     'Built from the mid-year check-in: close the coaching gap and sharpen direction-setting.',
     '{"summary": "Strong delivery and collaboration; coaching is the largest gap and the lowest-rated competency.",
       "gaps": [{"competency": "Coaching & Developing Others", "current_level": 2, "target_level": 4},
                {"competency": "Strategic Thinking", "current_level": 3, "target_level": 4},
                {"competency": "Active Listening", "current_level": 3, "target_level": 4},
                {"competency": "Delivery & Ownership", "current_level": 4, "target_level": 5}],
       "model": "ikenei-planner", "model_version": "2026.05", "generated_at": "2026-06-12T09:00:00Z"}',
     'active', '2026-06-15', '2026-12-18', NULL,
     '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002001'),
    ('00000000-0000-4000-8000-000000008102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'Sharpen technical judgement',
     'Self-directed: stay close enough to the systems to make good calls with the team.',
     NULL,
     'active', '2026-09-01', '2027-02-26', NULL,
     NULL, '00000000-0000-4000-8000-000000002002'),
    ('00000000-0000-4000-8000-000000008103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     'First 90 days as a manager',
     'Onboarding plan for the move from senior engineer to engineering manager.',
     NULL,
     'completed', '2024-03-04', '2024-06-01', '2024-05-28',
     NULL, '00000000-0000-4000-8000-000000002001'),
    ('00000000-0000-4000-8000-000000008104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007',
     'Path to staff engineer',
     'Built from the mid-year check-in: deeper systems expertise and growing others.',
     '{"summary": "Trusted technical lead; next step is technical depth at system level and mentoring.",
       "gaps": [{"competency": "Technical Depth", "current_level": 4, "target_level": 5},
                {"competency": "Coaching & Developing Others", "current_level": 2, "target_level": 3}],
       "model": "ikenei-planner", "model_version": "2026.05", "generated_at": "2026-06-16T08:30:00Z"}',
     'active', '2026-06-20', '2027-03-31', NULL,
     '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002'),
    ('00000000-0000-4000-8000-000000008105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002008',
     'Growing on the platform team',
     'Paused while Priya covers an on-call rotation.',
     NULL,
     'paused', '2026-07-20', '2026-12-31', NULL,
     NULL, '00000000-0000-4000-8000-000000002008'),
    ('00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002012',
     'Safety and planning basics',
     'Draft prepared by Olivia Brown, to be agreed with Ravi.',
     NULL,
     'draft', NULL, NULL, NULL,
     NULL, '00000000-0000-4000-8000-000000002011')
ON CONFLICT (id) DO NOTHING;

INSERT INTO learning_objectives (id, organization_id, plan_id, competency_id, title, description,
                                 current_level, target_level, status, priority, position,
                                 due_date, completed_at)
SELECT v.id::uuid, v.organization_id::uuid, v.plan_id::uuid, v.competency_id::uuid, v.title, v.description,
       v.current_level, v.target_level, v.status, v.priority, v.position,
       v.due_date::date, v.completed_at::timestamptz
  FROM (VALUES
    -- Plan 8101 (Maya, active): 2 of 4 completed
    ('00000000-0000-4000-8000-000000810101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000003101', 'Write and share a one-page team strategy',
     'Link every team goal to a company goal and review it with the team.',
     3, 4, 'completed', 2, 1, '2026-09-30', '2026-09-18 16:00:00+00'),
    ('00000000-0000-4000-8000-000000810102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000003104', 'Listen first in one-to-ones',
     'Summarise what was heard before answering, for six weeks of one-to-ones.',
     3, 4, 'completed', 3, 2, '2026-10-31', '2026-10-23 11:30:00+00'),
    ('00000000-0000-4000-8000-000000810103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000003102', 'Coach instead of solving',
     'Give each direct report specific feedback every month and delegate one stretch task each.',
     2, 4, 'in_progress', 1, 3, '2026-12-18', NULL),
    ('00000000-0000-4000-8000-000000810104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000003107', 'Forecast delivery with ranges',
     'Replace single-date commitments with forecast ranges for the team''s projects.',
     4, 5, 'not_started', 3, 4, '2026-12-18', NULL),
    -- Plan 8102 (Maya, active): 1 of 3 completed
    ('00000000-0000-4000-8000-000000810201', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008102',
     '00000000-0000-4000-8000-000000003106', 'Refresh distributed systems fundamentals',
     'Work through the lecture series and discuss one topic per week with the team.',
     3, 4, 'completed', 2, 1, '2026-11-30', '2026-11-06 17:45:00+00'),
    ('00000000-0000-4000-8000-000000810202', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008102',
     '00000000-0000-4000-8000-000000003108', 'Learn one new area a quarter',
     'Pick an unfamiliar area of the stack each quarter and give a short talk about it.',
     3, 4, 'in_progress', 3, 2, '2027-02-26', NULL),
    ('00000000-0000-4000-8000-000000810203', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008102',
     NULL, 'Pair with the platform team for one sprint',
     'Join the platform team''s sprint to understand their constraints first-hand.',
     NULL, NULL, 'not_started', 4, 3, '2027-01-29', NULL),
    -- Plan 8103 (Maya, completed in 2024)
    ('00000000-0000-4000-8000-000000810301', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008103',
     NULL, 'Hold a first one-to-one with every team member',
     NULL,
     NULL, NULL, 'completed', 1, 1, '2024-03-22', '2024-03-21 15:00:00+00'),
    ('00000000-0000-4000-8000-000000810302', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008103',
     '00000000-0000-4000-8000-000000003103', 'Run the team''s planning and status updates',
     NULL,
     3, 4, 'completed', 2, 2, '2024-05-31', '2024-05-28 10:00:00+00'),
    -- Plan 8104 (Sam, active): nothing completed yet
    ('00000000-0000-4000-8000-000000810401', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008104',
     '00000000-0000-4000-8000-000000003106', 'Own the architecture review for a quarter',
     'Prepare and chair the quarterly architecture review.',
     4, 5, 'in_progress', 1, 1, '2027-01-15', NULL),
    ('00000000-0000-4000-8000-000000810402', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008104',
     '00000000-0000-4000-8000-000000003102', 'Mentor a junior engineer',
     'Mentor Jonas Weber through his first two projects.',
     2, 3, 'not_started', 2, 2, '2027-03-31', NULL),
    -- Plan 8105 (Priya, paused)
    ('00000000-0000-4000-8000-000000810501', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008105',
     '00000000-0000-4000-8000-000000003106', 'Understand the deployment pipeline end to end',
     NULL,
     2, 3, 'in_progress', 2, 1, '2026-12-31', NULL),
    -- Plan 8201 (Ravi, draft)
    ('00000000-0000-4000-8000-000000820101', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000008201',
     '00000000-0000-4000-8000-000000003202', 'Get the forklift safety certificate',
     NULL,
     3, 4, 'not_started', 1, 1, NULL, NULL)
  ) AS v (id, organization_id, plan_id, competency_id, title, description,
          current_level, target_level, status, priority, position, due_date, completed_at)
ON CONFLICT (id) DO NOTHING;

-- Progress log entries; an entry at 100 % may carry the time it was completed.
INSERT INTO learning_progress (id, organization_id, plan_id, objective_id, resource_id, user_id,
                               progress_percent, time_spent_minutes, notes, completed_at, recorded_at)
SELECT v.id::uuid, v.organization_id::uuid, v.plan_id::uuid, v.objective_id::uuid, v.resource_id::uuid,
       v.user_id::uuid, v.progress_percent, v.time_spent_minutes, v.notes,
       v.completed_at::timestamptz, v.recorded_at::timestamptz
  FROM (VALUES
    ('00000000-0000-4000-8000-000000009101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000810101', '00000000-0000-4000-8000-000000007103', '00000000-0000-4000-8000-000000002002',
     100, 240, 'Workshop done; the team strategy page is on the wiki.', '2026-09-18 16:00:00+00', '2026-09-18 16:00:00+00'),
    ('00000000-0000-4000-8000-000000009102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000810102', '00000000-0000-4000-8000-000000007105', '00000000-0000-4000-8000-000000002002',
     100, 20, NULL, '2026-09-10 08:30:00+00', '2026-09-10 08:30:00+00'),
    ('00000000-0000-4000-8000-000000009103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000810102', NULL, '00000000-0000-4000-8000-000000002002',
     100, 180, 'Six weeks of summarising before answering in every one-to-one.', '2026-10-23 11:30:00+00', '2026-10-23 11:30:00+00'),
    ('00000000-0000-4000-8000-000000009104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000810103', '00000000-0000-4000-8000-000000007101', '00000000-0000-4000-8000-000000002002',
     60, 220, 'Modules 1 to 3 of 5.', NULL, '2026-11-12 18:10:00+00'),
    ('00000000-0000-4000-8000-000000009105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
     '00000000-0000-4000-8000-000000810103', '00000000-0000-4000-8000-000000007102', '00000000-0000-4000-8000-000000002002',
     25, 100, NULL, NULL, '2026-11-19 21:00:00+00'),
    ('00000000-0000-4000-8000-000000009106', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008102',
     '00000000-0000-4000-8000-000000810201', '00000000-0000-4000-8000-000000007106', '00000000-0000-4000-8000-000000002002',
     100, 540, 'All twelve lectures; discussed replication with the team.', '2026-11-06 17:45:00+00', '2026-11-06 17:45:00+00'),
    ('00000000-0000-4000-8000-000000009107', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008102',
     '00000000-0000-4000-8000-000000810202', '00000000-0000-4000-8000-000000007107', '00000000-0000-4000-8000-000000002002',
     40, 90, NULL, NULL, '2026-11-20 07:45:00+00'),
    ('00000000-0000-4000-8000-000000009108', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008104',
     '00000000-0000-4000-8000-000000810401', '00000000-0000-4000-8000-000000007108', '00000000-0000-4000-8000-000000002007',
     30, 180, 'Agenda and reading list for the January review drafted.', NULL, '2026-11-10 14:20:00+00')
  ) AS v (id, organization_id, plan_id, objective_id, resource_id, user_id,
          progress_percent, time_spent_minutes, notes, completed_at, recorded_at)
ON CONFLICT (id) DO NOTHING;

INSERT INTO recommendations (id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id,
                             recommendation_type, title, reason, score,
                             model_name, model_version, model_metadata, status, decided_at)
SELECT v.id::uuid, v.organization_id::uuid, v.user_id::uuid, v.plan_id::uuid, v.objective_id::uuid,
       v.resource_id::uuid, v.competency_id::uuid, v.recommendation_type, v.title, v.reason, v.score,
       v.model_name, v.model_version, v.model_metadata::jsonb, v.status, v.decided_at::timestamptz
  FROM (VALUES
    ('00000000-0000-4000-8000-00000000a101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000810103', '00000000-0000-4000-8000-000000007104',
     '00000000-0000-4000-8000-000000003102', 'resource', 'Join the leadership mentoring circle',
     'Coaching is your largest gap (level 2 of 4) and your lowest-rated competency in the Leadership 360.',
     0.9120, 'ikenei-recommender', '2026.11', '{"signals": ["competency_gap", "feedback_average"], "gap": 2}',
     'pending', NULL),
    ('00000000-0000-4000-8000-00000000a102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000810103', '00000000-0000-4000-8000-000000007102',
     '00000000-0000-4000-8000-000000003102', 'resource', 'Read "Questions That Help People Think"',
     'Covers the coaching conversations your direct reports asked for more of.',
     0.8740, 'ikenei-recommender', '2026.11', '{"signals": ["competency_gap", "feedback_comments"], "gap": 2}',
     'accepted', '2026-11-13 10:05:00+00'),
    ('00000000-0000-4000-8000-00000000a103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000810104', '00000000-0000-4000-8000-000000007109',
     '00000000-0000-4000-8000-000000003107', 'resource', 'Take "Delivery Planning and Estimation"',
     'Forecasting with ranges is the next step from level 4 to 5 in Delivery & Ownership.',
     0.7315, 'ikenei-recommender', '2026.11', '{"signals": ["competency_gap"], "gap": 1}',
     'pending', NULL),
    ('00000000-0000-4000-8000-00000000a104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000810102', NULL,
     '00000000-0000-4000-8000-000000003104', 'practice', 'Summarise what you heard before you answer',
     'A daily habit that raises Active Listening quickly.',
     0.5500, 'ikenei-recommender', '2026.09', '{"signals": ["competency_gap"], "gap": 1}',
     'dismissed', '2026-10-01 09:12:00+00'),
    ('00000000-0000-4000-8000-00000000a105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007',
     '00000000-0000-4000-8000-000000008104', '00000000-0000-4000-8000-000000810401', '00000000-0000-4000-8000-000000007106',
     '00000000-0000-4000-8000-000000003106', 'resource', 'Watch "Data-Intensive Systems: Lecture Series"',
     'Builds the system-level depth the architecture review needs.',
     0.8200, 'ikenei-recommender', '2026.11', '{"signals": ["competency_gap"], "gap": 1}',
     'pending', NULL),
    ('00000000-0000-4000-8000-00000000a106', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007',
     '00000000-0000-4000-8000-000000008104', '00000000-0000-4000-8000-000000810402', NULL,
     '00000000-0000-4000-8000-000000003102', 'mentor', 'Ask Maya Okafor for coaching tips before mentoring Jonas',
     'Your manager is working on the same competency and can share what works.',
     0.6400, 'ikenei-recommender', '2026.11', '{"signals": ["competency_gap", "org_chart"], "gap": 1}',
     'pending', NULL)
  ) AS v (id, organization_id, user_id, plan_id, objective_id, resource_id, competency_id,
          recommendation_type, title, reason, score, model_name, model_version, model_metadata,
          status, decided_at)
ON CONFLICT (id) DO NOTHING;
