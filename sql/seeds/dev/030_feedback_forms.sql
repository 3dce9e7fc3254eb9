-- Development seed: sample feedback forms and their ordered questions.
--
--   ...005101  Northwind "Leadership 360" - anonymous (threshold 3): answers
--              carry no invitation, only the rater's relationship group.
--   ...005102  Northwind "Mid-year check-in" - not anonymous.
--   ...005201  Bluefin "Shift team feedback" - not anonymous.
-- Every form has rating questions, each rating one competency (020) on a
-- 1-5 scale, and free-text questions. In the Leadership 360, two questions
-- rate Coaching & Developing Others, so that a competency can be scored from
-- more than one answer.
--
-- Run again safely. Questions are frozen once a cycle on their form is
-- active (a trigger refuses any insert, update or delete), and a BEFORE
-- INSERT trigger fires even for a row that ON CONFLICT then skips: so the
-- questions are inserted only where their id is not there yet, and a rerun
-- never reaches the trigger.

INSERT INTO feedback_forms (id, organization_id, title, description, form_type,
                            is_anonymous, anonymity_threshold, settings, created_by)
VALUES
    ('00000000-0000-4000-8000-000000005101', '00000000-0000-4000-8000-000000001001',
     'Leadership 360', 'Anonymous 360-degree feedback for people who lead teams.', '360',
     true, 3, '{"show_comments_to_target": true, "allow_decline": true}',
     '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000005102', '00000000-0000-4000-8000-000000001001',
     'Mid-year check-in', 'Named feedback from a person''s manager and closest colleagues, twice a year.', 'standard',
     false, 3, '{"show_comments_to_target": true}',
     '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000005201', '00000000-0000-4000-8000-000000001002',
     'Shift team feedback', 'Feedback among the members of a warehouse shift.', 'peer_review',
     false, 3, '{}',
     '00000000-0000-4000-8000-000000002010')
ON CONFLICT (id) DO NOTHING;

-- Competency ids: 3101 Strategic Thinking, 3102 Coaching & Developing Others,
-- 3103 Clear Communication, 3104 Active Listening, 3105 Cross-team
-- Collaboration, 3106 Technical Depth, 3107 Delivery & Ownership,
-- 3108 Learning Agility; 3201 Operational Planning, 3202 Safety Awareness,
-- 3203 Team Leadership, 3204 Stakeholder Communication.
INSERT INTO feedback_questions (id, organization_id, form_id, position, question_text,
                                question_type, competency_id, scale_min, scale_max, is_required)
SELECT q.id::uuid, q.organization_id::uuid, q.form_id::uuid, q.position, q.question_text,
       q.question_type, q.competency_id::uuid, q.scale_min, q.scale_max, q.is_required
  FROM (VALUES
    -- Leadership 360 (anonymous)
    ('00000000-0000-4000-8000-000000510101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 1,
     'Sets a clear direction and explains how our work fits the company''s goals.',
     'rating', '00000000-0000-4000-8000-000000003101', 1, 5, true),
    ('00000000-0000-4000-8000-000000510102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 2,
     'Gives specific, timely feedback that helps people improve.',
     'rating', '00000000-0000-4000-8000-000000003102', 1, 5, true),
    ('00000000-0000-4000-8000-000000510103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 3,
     'Communicates decisions and the reasons behind them clearly.',
     'rating', '00000000-0000-4000-8000-000000003103', 1, 5, true),
    ('00000000-0000-4000-8000-000000510104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 4,
     'Listens to understand before responding, also when they disagree.',
     'rating', '00000000-0000-4000-8000-000000003104', 1, 5, true),
    ('00000000-0000-4000-8000-000000510105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 5,
     'Works well with other teams and resolves disagreements constructively.',
     'rating', '00000000-0000-4000-8000-000000003105', 1, 5, true),
    ('00000000-0000-4000-8000-000000510106', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 6,
     'Delivers on commitments and owns the outcome when things go wrong.',
     'rating', '00000000-0000-4000-8000-000000003107', 1, 5, true),
    ('00000000-0000-4000-8000-000000510107', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 7,
     'Delegates work that stretches people and supports them while they grow into it.',
     'rating', '00000000-0000-4000-8000-000000003102', 1, 5, true),
    ('00000000-0000-4000-8000-000000510108', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 8,
     'What should this person keep doing?',
     'text', NULL, NULL, NULL, true),
    ('00000000-0000-4000-8000-000000510109', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005101', 9,
     'What is one thing this person could do differently to be more effective?',
     'text', NULL, NULL, NULL, false),
    -- Mid-year check-in (named)
    ('00000000-0000-4000-8000-000000510201', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 1,
     'Makes sound technical decisions and explains the trade-offs.',
     'rating', '00000000-0000-4000-8000-000000003106', 1, 5, true),
    ('00000000-0000-4000-8000-000000510202', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 2,
     'Delivers what was agreed, on time and at the expected quality.',
     'rating', '00000000-0000-4000-8000-000000003107', 1, 5, true),
    ('00000000-0000-4000-8000-000000510203', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 3,
     'Seeks out feedback and acts on it.',
     'rating', '00000000-0000-4000-8000-000000003108', 1, 5, true),
    ('00000000-0000-4000-8000-000000510204', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 4,
     'Keeps the people affected informed about progress and risks.',
     'rating', '00000000-0000-4000-8000-000000003103', 1, 5, true),
    ('00000000-0000-4000-8000-000000510205', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 5,
     'Helps the people around them grow.',
     'rating', '00000000-0000-4000-8000-000000003102', 1, 5, true),
    ('00000000-0000-4000-8000-000000510206', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000005102', 6,
     'What went particularly well in the first half of the year?',
     'text', NULL, NULL, NULL, true),
    -- Shift team feedback (Bluefin)
    ('00000000-0000-4000-8000-000000520101', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000005201', 1,
     'Plans the shift so that orders leave on time.',
     'rating', '00000000-0000-4000-8000-000000003201', 1, 5, true),
    ('00000000-0000-4000-8000-000000520102', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000005201', 2,
     'Works safely and speaks up about hazards.',
     'rating', '00000000-0000-4000-8000-000000003202', 1, 5, true),
    ('00000000-0000-4000-8000-000000520103', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000005201', 3,
     'Keeps the team organized and motivated.',
     'rating', '00000000-0000-4000-8000-000000003203', 1, 5, true),
    ('00000000-0000-4000-8000-000000520104', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000005201', 4,
     'Keeps carriers and other sites informed when plans change.',
     'rating', '00000000-0000-4000-8000-000000003204', 1, 5, true),
    ('00000000-0000-4000-8000-000000520105', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000005201', 5,
     'Anything else you would like to tell this colleague?',
     'text', NULL, NULL, NULL, false)
  ) AS q (id, organization_id, form_id, position, question_text,
          question_type, competency_id, scale_min, scale_max, is_required)
 WHERE NOT EXISTS (SELECT 1 FROM feedback_questions existing WHERE existing.id = q.id::uuid)
ON CONFLICT (id) DO NOTHING;
