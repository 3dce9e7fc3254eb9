-- Development seed: the process around the cycles, one example of each capability (Northwind).
--
--   reminders      Northwind's own limits: 3 reminders, 2 days apart.
--   trend          ...008201 "Q3 check-in 2026", CLOSED, on the named form 5102:
--                  Maya Okafor (2002) rated again by her manager, three peers
--                  and herself; with the mid-year check-in (6102) that is two
--                  closed cycles for results.trend.
--   question types ...008101 "Team pulse" form: a rating, a single choice, a
--                  multiple choice, an NPS and a text question; its cycle
--                  ...008301 (ACTIVE) answered by Maya's three reports.
--   nominations    ...008202 "Leadership 360 2027", DRAFT: Daniel Kim (2003)
--                  nominated peers, one in each state (proposed, approved with
--                  its invitation, rejected with a reason, withdrawn), under
--                  rules of 2-4 peers and at most one external rater.
--   notifications  an invitation sent, a reminder that failed, a nomination
--                  and a plan review waiting for Elena Ruiz (2001).
--   plan template  ...840001 "New team lead" (three objectives due 14, 45
--                  and 90 days after the start) and Daniel's active plan from
--                  it, started 30 days ago (so its first objective is overdue),
--                  submitted for review by Elena.
--   evidence       Maya's coaching level (3102) carries a link and the cycle
--                  it came from (a note would be encrypted, which SQL cannot do).
--
-- Run again safely: fixed ids with ON CONFLICT DO NOTHING, state changes
-- that name the state they start from, answers only while a cycle is active.
-- The Q3 cycle's required comment is sample text handed to submit_feedback()
-- under ikenei.plaintext_sample_data, encrypted by `ikenei seed dev` after.

SELECT set_config('ikenei.plaintext_sample_data', 'on', true);

UPDATE organizations
   SET settings = settings || '{"feedback.max_reminders": 3, "feedback.reminder_interval_days": 2}'
 WHERE id = '00000000-0000-4000-8000-000000001001'
   AND settings -> 'feedback.max_reminders' IS NULL;

-- ------------------------------------------------------------ question types
INSERT INTO feedback_forms (id, organization_id, title, description, form_type, is_anonymous,
                            anonymity_threshold, created_by)
VALUES ('00000000-0000-4000-8000-000000008101', '00000000-0000-4000-8000-000000001001', 'Team pulse',
        'A short pulse of a team about its lead: one question of each type.', 'upward', false, 3,
        '00000000-0000-4000-8000-000000002006')
ON CONFLICT DO NOTHING;

INSERT INTO feedback_questions (id, organization_id, form_id, position, question_text, question_type,
                                competency_id, scale_min, scale_max, is_required)
SELECT q.id::uuid, '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101', q.position,
       q.question_text, q.question_type, q.competency_id::uuid, q.scale_min, q.scale_max, q.is_required
  FROM (VALUES
    ('00000000-0000-4000-8000-000000810101', 1, 'Explains decisions so that the team can act on them.', 'rating',
     '00000000-0000-4000-8000-000000003103', 1, 5, true),
    ('00000000-0000-4000-8000-000000810102', 2, 'What should your lead focus on next quarter?', 'single_choice',
     NULL, NULL, NULL, true),
    ('00000000-0000-4000-8000-000000810103', 3, 'Which team meetings are worth keeping?', 'multiple_choice',
     NULL, NULL, NULL, true),
    ('00000000-0000-4000-8000-000000810104', 4, 'How likely are you to recommend this team to a friend?', 'nps',
     NULL, 0, 10, true),
    ('00000000-0000-4000-8000-000000810105', 5, 'Anything else?', 'text', NULL, NULL, NULL, false)
  ) AS q (id, position, question_text, question_type, competency_id, scale_min, scale_max, is_required)
 -- Frozen once the cycle runs: a rerun must not even try to insert them.
 WHERE NOT EXISTS (SELECT 1 FROM feedback_questions x WHERE x.form_id = '00000000-0000-4000-8000-000000008101');

INSERT INTO feedback_question_options (id, organization_id, form_id, question_id, position, label)
SELECT o.id::uuid, '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008101',
       o.question_id::uuid, o.position, o.label
  FROM (VALUES
    ('00000000-0000-4000-8000-000081010201', '00000000-0000-4000-8000-000000810102', 1, 'Hiring'),
    ('00000000-0000-4000-8000-000081010202', '00000000-0000-4000-8000-000000810102', 2, 'Roadmap'),
    ('00000000-0000-4000-8000-000081010203', '00000000-0000-4000-8000-000000810102', 3, 'Coaching'),
    ('00000000-0000-4000-8000-000081010301', '00000000-0000-4000-8000-000000810103', 1, 'Stand-up'),
    ('00000000-0000-4000-8000-000081010302', '00000000-0000-4000-8000-000000810103', 2, 'Planning'),
    ('00000000-0000-4000-8000-000081010303', '00000000-0000-4000-8000-000000810103', 3, 'Retrospective'),
    ('00000000-0000-4000-8000-000081010304', '00000000-0000-4000-8000-000000810103', 4, 'Demo')
  ) AS o (id, question_id, position, label)
 WHERE NOT EXISTS (SELECT 1 FROM feedback_question_options x WHERE x.form_id = '00000000-0000-4000-8000-000000008101');

-- ---------------------------------------------------- cycles of this file
INSERT INTO feedback_cycles (id, organization_id, form_id, name, description, status, starts_at, ends_at, created_by)
VALUES
    ('00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000001001',
     '00000000-0000-4000-8000-000000005102', 'Q3 check-in 2026', 'Named feedback after the third quarter.',
     'draft', '2026-08-03 08:00:00+00', '2026-08-21 17:00:00+00', '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000008202', '00000000-0000-4000-8000-000000001001',
     '00000000-0000-4000-8000-000000005101', 'Leadership 360 2027',
     'Next year''s leadership feedback: raters are nominated and approved first.',
     'draft', NULL, NULL, '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000008301', '00000000-0000-4000-8000-000000001001',
     '00000000-0000-4000-8000-000000008101', 'Team pulse December', 'Maya''s team on Maya.',
     'draft', NULL, NULL, '00000000-0000-4000-8000-000000002006')
ON CONFLICT DO NOTHING;

INSERT INTO feedback_invitations (id, organization_id, cycle_id, target_user_id, rater_user_id, relationship, sent_at)
SELECT v.id::uuid, '00000000-0000-4000-8000-000000001001', v.cycle_id::uuid, v.target::uuid, v.rater::uuid,
       v.relationship, now() - interval '3 days'
  FROM (VALUES
    -- Q3 check-in: Maya by Elena, Daniel, Tom, Lina and herself
    ('00000000-0000-4000-8000-000000820101', '00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002001', 'manager'),
    ('00000000-0000-4000-8000-000000820102', '00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002003', 'peer'),
    ('00000000-0000-4000-8000-000000820103', '00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002004', 'peer'),
    ('00000000-0000-4000-8000-000000820104', '00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002005', 'peer'),
    ('00000000-0000-4000-8000-000000820105', '00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002002', 'self'),
    -- Leadership 360 2027: the invitation Lina's approved nomination made
    ('00000000-0000-4000-8000-000000820211', '00000000-0000-4000-8000-000000008202', '00000000-0000-4000-8000-000000002003', '00000000-0000-4000-8000-000000002005', 'peer'),
    -- Team pulse: Maya by Sam, Priya and Jonas
    ('00000000-0000-4000-8000-000000830101', '00000000-0000-4000-8000-000000008301', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002007', 'direct_report'),
    ('00000000-0000-4000-8000-000000830102', '00000000-0000-4000-8000-000000008301', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002008', 'direct_report'),
    ('00000000-0000-4000-8000-000000830103', '00000000-0000-4000-8000-000000008301', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000002009', 'direct_report')
  ) AS v (id, cycle_id, target, rater, relationship)
ON CONFLICT DO NOTHING;

UPDATE feedback_cycles SET status = 'active', activated_at = coalesce(starts_at, now())
 WHERE id IN ('00000000-0000-4000-8000-000000008201', '00000000-0000-4000-8000-000000008301') AND status = 'draft';

-- Q3 answers (form 5102: five ratings on 1-5, then a comment; made JSON by
-- pg_temp.answers_in_order of 040), then closed.
SELECT submit_feedback(i.id, NULL, pg_temp.answers_in_order(c.form_id, a.answers_in_order))
  FROM (VALUES
    ('00000000-0000-4000-8000-000000820101', ARRAY['4', '4', '4', '4', '4', 'Delegates far more than in spring.']),
    ('00000000-0000-4000-8000-000000820102', ARRAY['4', '4', '5', '4', '3', 'Reliable partner on the roadmap.']),
    ('00000000-0000-4000-8000-000000820103', ARRAY['3', '5', '4', '4', '4', 'Calm through the incident week.']),
    ('00000000-0000-4000-8000-000000820104', ARRAY['4', '4', '4', '5', '4', 'Made planning predictable.']),
    ('00000000-0000-4000-8000-000000820105', ARRAY['4', '3', '4', '4', '3', 'Handed over more decisions.'])
  ) AS a (invitation_id, answers_in_order)
  JOIN feedback_invitations i ON i.id = a.invitation_id::uuid
  JOIN feedback_cycles c ON c.id = i.cycle_id
 WHERE c.status = 'active' AND i.status IN ('pending', 'started');

UPDATE feedback_cycles SET status = 'closed', closed_at = '2026-08-25 09:00:00+00'
 WHERE id = '00000000-0000-4000-8000-000000008201' AND status = 'active';

-- Team pulse answers: rating, one option, options, NPS 0-10.
SELECT submit_feedback(i.id, NULL, jsonb_build_array(
           jsonb_build_object('question_id', '00000000-0000-4000-8000-000000810101', 'rating', a.rating),
           jsonb_build_object('question_id', '00000000-0000-4000-8000-000000810102', 'option_ids', a.single),
           jsonb_build_object('question_id', '00000000-0000-4000-8000-000000810103', 'option_ids', a.multiple),
           jsonb_build_object('question_id', '00000000-0000-4000-8000-000000810104', 'rating', a.nps)))
  FROM (VALUES
    ('00000000-0000-4000-8000-000000830101', 4, '["00000000-0000-4000-8000-000081010201"]'::jsonb,
     '["00000000-0000-4000-8000-000081010301", "00000000-0000-4000-8000-000081010303"]'::jsonb, 9),
    ('00000000-0000-4000-8000-000000830102', 3, '["00000000-0000-4000-8000-000081010203"]'::jsonb,
     '["00000000-0000-4000-8000-000081010303"]'::jsonb, 7),
    ('00000000-0000-4000-8000-000000830103', 5, '["00000000-0000-4000-8000-000081010201"]'::jsonb,
     '["00000000-0000-4000-8000-000081010302", "00000000-0000-4000-8000-000081010304"]'::jsonb, 10)
  ) AS a (invitation_id, rating, single, multiple, nps)
  JOIN feedback_invitations i ON i.id = a.invitation_id::uuid
  JOIN feedback_cycles c ON c.id = i.cycle_id
 WHERE c.status = 'active' AND i.status IN ('pending', 'started');

-- --------------------------------------------------------------- nominations
INSERT INTO feedback_nomination_rules (organization_id, cycle_id, relationship, min_raters, max_raters)
VALUES ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008202', 'peer', 2, 4),
       ('00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008202', 'external', 0, 1)
ON CONFLICT DO NOTHING;

INSERT INTO feedback_nominations (id, organization_id, cycle_id, target_user_id, relationship, rater_user_id,
                                  status, nominated_by, decided_by, decision_reason, decided_at, invitation_id)
SELECT n.id::uuid, '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000008202',
       '00000000-0000-4000-8000-000000002003', 'peer', n.rater::uuid, n.status,
       '00000000-0000-4000-8000-000000002003', n.decided_by::uuid, n.reason,
       CASE WHEN n.decided_by IS NOT NULL THEN now() END, n.invitation::uuid
  FROM (VALUES
    ('00000000-0000-4000-8000-000000820201', '00000000-0000-4000-8000-000000002004', 'proposed', NULL, NULL, NULL),
    ('00000000-0000-4000-8000-000000820202', '00000000-0000-4000-8000-000000002005', 'approved',
     '00000000-0000-4000-8000-000000002001', 'Works with Daniel on the roadmap every week.',
     '00000000-0000-4000-8000-000000820211'),
    ('00000000-0000-4000-8000-000000820203', '00000000-0000-4000-8000-000000002006', 'rejected',
     '00000000-0000-4000-8000-000000002001', 'Aisha runs the cycle; choose someone from your project.', NULL),
    ('00000000-0000-4000-8000-000000820204', '00000000-0000-4000-8000-000000002002', 'withdrawn', NULL, NULL, NULL)
  ) AS n (id, rater, status, decided_by, reason, invitation)
ON CONFLICT DO NOTHING;

-- ------------------------------------------------------------ plan template
INSERT INTO learning_plan_templates (id, organization_id, title, description, created_by)
VALUES ('00000000-0000-4000-8000-000000840001', '00000000-0000-4000-8000-000000001001', 'New team lead',
        'The first three months of someone who leads a team for the first time.',
        '00000000-0000-4000-8000-000000002006')
ON CONFLICT DO NOTHING;

INSERT INTO learning_plan_template_objectives (id, organization_id, template_id, position, title, competency_id,
                                               target_level, resource_id, priority, due_offset_days)
SELECT o.id::uuid, '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000840001', o.position,
       o.title, o.competency_id::uuid, o.target_level, o.resource_id::uuid, o.priority, o.due_offset_days
  FROM (VALUES
    ('00000000-0000-4000-8000-000000840101', 1, 'Shadow an experienced lead for two weeks', NULL, NULL, NULL, 2, 14),
    ('00000000-0000-4000-8000-000000840102', 2, 'Hold weekly one-to-ones with every report',
     '00000000-0000-4000-8000-000000003102', 4, '00000000-0000-4000-8000-000000007101', 1, 45),
    ('00000000-0000-4000-8000-000000840103', 3, 'Present the team''s quarter to the department',
     '00000000-0000-4000-8000-000000003103', 4, NULL, 3, 90)
  ) AS o (id, position, title, competency_id, target_level, resource_id, priority, due_offset_days)
ON CONFLICT DO NOTHING;

INSERT INTO learning_plans (id, organization_id, user_id, title, status, start_date, target_completion_date,
                            template_id, review_status, created_by)
VALUES ('00000000-0000-4000-8000-000000850001', '00000000-0000-4000-8000-000000001001',
        '00000000-0000-4000-8000-000000002003', 'New team lead', 'active', current_date - 30, current_date + 60,
        '00000000-0000-4000-8000-000000840001', 'submitted', '00000000-0000-4000-8000-000000002003')
ON CONFLICT DO NOTHING;

INSERT INTO learning_objectives (id, organization_id, plan_id, competency_id, title, current_level, target_level,
                                 priority, position, due_date, resource_id)
SELECT v.id::uuid, o.organization_id, '00000000-0000-4000-8000-000000850001', o.competency_id, o.title,
       uc.current_level, o.target_level, o.priority, o.position, p.start_date + o.due_offset_days, o.resource_id
  FROM (VALUES ('00000000-0000-4000-8000-000000850101', '00000000-0000-4000-8000-000000840101'),
               ('00000000-0000-4000-8000-000000850102', '00000000-0000-4000-8000-000000840102'),
               ('00000000-0000-4000-8000-000000850103', '00000000-0000-4000-8000-000000840103')) AS v (id, template_objective)
  JOIN learning_plan_template_objectives o ON o.id = v.template_objective::uuid
  JOIN learning_plans p ON p.id = '00000000-0000-4000-8000-000000850001'
  LEFT JOIN user_competencies uc ON uc.organization_id = p.organization_id AND uc.user_id = p.user_id
                                AND uc.competency_id = o.competency_id
ON CONFLICT DO NOTHING;

INSERT INTO learning_plan_reviews (id, organization_id, plan_id, submitted_by)
VALUES ('00000000-0000-4000-8000-000000850201', '00000000-0000-4000-8000-000000001001',
        '00000000-0000-4000-8000-000000850001', '00000000-0000-4000-8000-000000002003')
ON CONFLICT DO NOTHING;

-- ------------------------------------------------------------- notifications
INSERT INTO notifications (id, organization_id, recipient_user_id, channel, template_key, subject_type, subject_id,
                           status, attempts, last_error, sent_at, failed_at)
SELECT n.id::uuid, '00000000-0000-4000-8000-000000001001', n.recipient::uuid, n.channel, n.template_key,
       n.subject_type, n.subject_id::uuid, n.status, n.attempts, n.last_error,
       CASE WHEN n.status = 'sent' THEN now() END, CASE WHEN n.status = 'failed' THEN now() END
  FROM (VALUES
    ('00000000-0000-4000-8000-000000860001', '00000000-0000-4000-8000-000000002005', 'email', 'feedback.invitation',
     'feedback_invitation', '00000000-0000-4000-8000-000000820211', 'sent', 1, NULL),
    ('00000000-0000-4000-8000-000000860002', '00000000-0000-4000-8000-000000002005', 'email', 'feedback.reminder',
     'feedback_invitation', '00000000-0000-4000-8000-000000820211', 'failed', 1, 'mailbox full'),
    ('00000000-0000-4000-8000-000000860003', '00000000-0000-4000-8000-000000002001', 'in_app',
     'feedback.nomination_to_approve', 'feedback_nomination', '00000000-0000-4000-8000-000000820201', 'queued', 0, NULL),
    ('00000000-0000-4000-8000-000000860004', '00000000-0000-4000-8000-000000002001', 'in_app', 'learning.plan_review',
     'learning_plan', '00000000-0000-4000-8000-000000850001', 'queued', 0, NULL)
  ) AS n (id, recipient, channel, template_key, subject_type, subject_id, status, attempts, last_error)
ON CONFLICT DO NOTHING;

-- ------------------------------------------------------------------ evidence
INSERT INTO competency_evidence (id, organization_id, history_id, url, cycle_id, recorded_by)
SELECT '00000000-0000-4000-8000-000000870001', h.organization_id, h.id,
       'https://wiki.northwind.example/coaching-circle', '00000000-0000-4000-8000-000000006102',
       '00000000-0000-4000-8000-000000002001'
  FROM user_competency_history h
 WHERE h.organization_id = '00000000-0000-4000-8000-000000001001'
   AND h.user_id = '00000000-0000-4000-8000-000000002002'
   AND h.competency_id = '00000000-0000-4000-8000-000000003102'
 ORDER BY h.recorded_at DESC, h.id
 LIMIT 1
ON CONFLICT DO NOTHING;

SELECT set_config('ikenei.plaintext_sample_data', 'off', true);
