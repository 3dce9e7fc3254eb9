-- Development seed: feedback cycles, their invitations and mock answers.
--
--   ...006101  Northwind "Leadership 360", ACTIVE, on the anonymous form 5101.
--              Maya Okafor (2002) is rated by herself, her manager, four
--              peers (one declined), three direct reports and an external
--              client contact; Daniel Kim (2003) is half-way through. This is
--              the cycle the spec's "Feedback Analysis Query" is tried on.
--   ...006102  Northwind "Mid-year check-in", CLOSED, on the named form 5102:
--              Maya's and Sam's earlier results, which the learning plans
--              (060) are built from.
--   ...006201  Bluefin "Shift team feedback", DRAFT: invitations prepared,
--              nothing sent yet.
--
-- The database enforces the process, and this seed goes through it rather
-- than around it: a cycle is inserted as draft; its questions exist already
-- (030), as they are frozen once it is active; it is then activated, and
-- every answer is written by submit_feedback(), which checks the cycle and
-- the invitation, writes the responses and per-competency ratings, and
-- completes the invitation. Some invitations are left pending, started or
-- declined, so completion figures are not all 100 %.
--
-- Dates: the active cycle runs around the day the seed is run (it started 10
-- days before, ends 18 days after), because submit_feedback stamps answers
-- with the current time and checks the external rater's token against it.
-- The closed cycle ran in May 2026; its invitations are dated back into May
-- before the cycle is closed (submitted answers are immutable and keep the
-- time of the seed run).
--
-- The external rater's link token is the text 'northwind-dev-external-rater';
-- only its SHA-256 digest is stored, as for a real token.
--
-- Run again safely: every insert has a fixed id, every state change names the
-- state it starts from (a rerun finds the cycles past it), and only pending or
-- started invitations of an active cycle are answered.
--
-- Comments are encrypted by the application, with a key the database never
-- sees, so SQL cannot write them as they are stored. These sample comments
-- (public text, not anyone's feedback) are handed to submit_feedback() as
-- text, which it accepts only in a transaction that declares
-- ikenei.plaintext_sample_data = 'on' (for this file only, switched off at
-- its end); `ikenei seed dev` then encrypts them with the configured key
-- (`ikenei keys rotate`), so a seeded database holds no comment as text.

SELECT set_config('ikenei.plaintext_sample_data', 'on', true);

-- The raters' answers below (and the Q3 check-in's in 080) are written as a
-- text array in question order, which this turns into the JSON array
-- submit_feedback() takes: a rating question's entry as a rating, a text
-- question's as a comment. Session-local (pg_temp), so it is no part of the
-- schema; 080 can call it because the runner runs every seed file on one
-- connection.
CREATE OR REPLACE FUNCTION pg_temp.answers_in_order(of_form uuid, answers text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_agg(jsonb_build_object(
               'question_id', q.id,
               'rating',  CASE WHEN q.question_type = 'rating' THEN answers[q.position]::smallint END,
               'comment', CASE WHEN q.question_type = 'text' THEN answers[q.position] END)
             ORDER BY q.position)
      FROM feedback_questions q
     WHERE q.form_id = of_form
$$;

INSERT INTO feedback_cycles (id, organization_id, form_id, name, description,
                             status, starts_at, ends_at, created_by)
VALUES
    ('00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000001001',
     '00000000-0000-4000-8000-000000005101', 'Leadership 360',
     'Anonymous 360-degree feedback for everyone who leads a team or a product.',
     'draft', date_trunc('day', now()) - interval '10 days' + interval '8 hours',
              date_trunc('day', now()) + interval '18 days' + interval '17 hours',
     '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000001001',
     '00000000-0000-4000-8000-000000005102', 'Mid-year check-in 2026',
     'Named mid-year feedback from managers and closest colleagues.',
     'draft', '2026-05-04 08:00:00+00', '2026-05-22 17:00:00+00',
     '00000000-0000-4000-8000-000000002006'),
    ('00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000001002',
     '00000000-0000-4000-8000-000000005201', 'Shift team feedback: night shift',
     'First feedback round of the night shift.',
     'draft', date_trunc('day', now()) + interval '7 days' + interval '8 hours',
              date_trunc('day', now()) + interval '28 days' + interval '17 hours',
     '00000000-0000-4000-8000-000000002010')
ON CONFLICT (id) DO NOTHING;

-- Times are offsets from the cycle's start (sent_at is the start itself, for a
-- cycle that has been sent). An external rater (no account) has an email, a
-- token digest and a token valid until the cycle ends.
INSERT INTO feedback_invitations (id, organization_id, cycle_id, target_user_id, rater_user_id,
                                  rater_email, rater_name, relationship, status,
                                  access_token_hash, token_expires_at,
                                  reminder_count, last_reminded_at,
                                  sent_at, started_at, declined_at)
SELECT v.id::uuid, c.organization_id, c.id, v.target_user_id::uuid, v.rater_user_id::uuid,
       v.rater_email, v.rater_name, v.relationship, v.status,
       sha256(convert_to(v.token, 'UTF8')), CASE WHEN v.token IS NOT NULL THEN c.ends_at END,
       v.reminder_count, c.starts_at + v.reminded_after::interval,
       CASE WHEN v.sent THEN c.starts_at END,
       c.starts_at + v.started_after::interval, c.starts_at + v.declined_after::interval
  FROM (VALUES
    -- Leadership 360: Maya Okafor (2002)
    ('00000000-0000-4000-8000-000000610101', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002002', NULL, NULL, 'self', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610102', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002001', NULL, NULL, 'manager', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610103', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002003', NULL, NULL, 'peer', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610104', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002004', NULL, NULL, 'peer', 'pending', NULL, 1, '3 days', true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610105', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002005', NULL, NULL, 'peer', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610106', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002006', NULL, NULL, 'peer', 'declined', NULL, 0, NULL, true, NULL, '2 days 3 hours'),
    ('00000000-0000-4000-8000-000000610107', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002007', NULL, NULL, 'direct_report', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610108', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002008', NULL, NULL, 'direct_report', 'pending', NULL, 1, '3 days', true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610109', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002009', NULL, NULL, 'direct_report', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610110', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002002',
     NULL, 'chris.morgan@harbor-retail.example', 'Chris Morgan', 'external', 'pending',
     'northwind-dev-external-rater', 0, NULL, true, NULL, NULL),
    -- Leadership 360: Daniel Kim (2003), half-way through
    ('00000000-0000-4000-8000-000000610111', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002003',
     '00000000-0000-4000-8000-000000002003', NULL, NULL, 'self', 'pending', NULL, 2, '6 days', true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610112', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002003',
     '00000000-0000-4000-8000-000000002001', NULL, NULL, 'manager', 'started', NULL, 0, NULL, true, '5 days 2 hours', NULL),
    ('00000000-0000-4000-8000-000000610113', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002003',
     '00000000-0000-4000-8000-000000002002', NULL, NULL, 'peer', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610114', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002003',
     '00000000-0000-4000-8000-000000002004', NULL, NULL, 'peer', 'pending', NULL, 0, NULL, true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610115', '00000000-0000-4000-8000-000000006101', '00000000-0000-4000-8000-000000002003',
     '00000000-0000-4000-8000-000000002005', NULL, NULL, 'peer', 'pending', NULL, 1, '3 days', true, NULL, NULL),
    -- Mid-year check-in 2026: Maya Okafor (2002) and Sam Fischer (2007).
    -- Those who answered are 'started' here; submit_feedback completes them.
    ('00000000-0000-4000-8000-000000610201', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002002', NULL, NULL, 'self', 'started', NULL, 0, NULL, true, '1 day 2 hours', NULL),
    ('00000000-0000-4000-8000-000000610202', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002001', NULL, NULL, 'manager', 'started', NULL, 0, NULL, true, '3 days 6 hours', NULL),
    ('00000000-0000-4000-8000-000000610203', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002003', NULL, NULL, 'peer', 'started', NULL, 0, NULL, true, '2 days 1 hour', NULL),
    ('00000000-0000-4000-8000-000000610204', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002005', NULL, NULL, 'peer', 'started', NULL, 1, '3 days', true, '4 days 8 hours', NULL),
    ('00000000-0000-4000-8000-000000610205', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002002',
     '00000000-0000-4000-8000-000000002007', NULL, NULL, 'direct_report', 'pending', NULL, 3, '12 days', true, NULL, NULL),
    ('00000000-0000-4000-8000-000000610206', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002007',
     '00000000-0000-4000-8000-000000002007', NULL, NULL, 'self', 'started', NULL, 0, NULL, true, '1 day 3 hours', NULL),
    ('00000000-0000-4000-8000-000000610207', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002007',
     '00000000-0000-4000-8000-000000002002', NULL, NULL, 'manager', 'started', NULL, 0, NULL, true, '7 days 7 hours', NULL),
    ('00000000-0000-4000-8000-000000610208', '00000000-0000-4000-8000-000000006102', '00000000-0000-4000-8000-000000002007',
     '00000000-0000-4000-8000-000000002008', NULL, NULL, 'peer', 'started', NULL, 0, NULL, true, '8 days 2 hours', NULL),
    -- Shift team feedback (draft): Ravi Patel (2012) and Olivia Brown (2011), not sent yet
    ('00000000-0000-4000-8000-000000620101', '00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000002012',
     '00000000-0000-4000-8000-000000002012', NULL, NULL, 'self', 'pending', NULL, 0, NULL, false, NULL, NULL),
    ('00000000-0000-4000-8000-000000620102', '00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000002012',
     '00000000-0000-4000-8000-000000002011', NULL, NULL, 'manager', 'pending', NULL, 0, NULL, false, NULL, NULL),
    ('00000000-0000-4000-8000-000000620103', '00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000002011',
     '00000000-0000-4000-8000-000000002011', NULL, NULL, 'self', 'pending', NULL, 0, NULL, false, NULL, NULL),
    ('00000000-0000-4000-8000-000000620104', '00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000002011',
     '00000000-0000-4000-8000-000000002010', NULL, NULL, 'manager', 'pending', NULL, 0, NULL, false, NULL, NULL),
    ('00000000-0000-4000-8000-000000620105', '00000000-0000-4000-8000-000000006201', '00000000-0000-4000-8000-000000002011',
     '00000000-0000-4000-8000-000000002012', NULL, NULL, 'direct_report', 'pending', NULL, 0, NULL, false, NULL, NULL)
  ) AS v (id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name, relationship, status,
          token, reminder_count, reminded_after, sent, started_after, declined_after)
  JOIN feedback_cycles c ON c.id = v.cycle_id::uuid
ON CONFLICT (id) DO NOTHING;

-- ---------------------------------------------------------------- closed cycle
-- Mid-year check-in 2026: activate, answer, date the invitations back into May,
-- expire the invitation nobody answered, close. Each step after the
-- activation acts only while the cycle is still active, i.e. on the first run.

UPDATE feedback_cycles
   SET status = 'active', activated_at = starts_at
 WHERE id = '00000000-0000-4000-8000-000000006102' AND status = 'draft';

-- One row per rater: the answers in question order (form 5102: five ratings
-- on 1-5, then one comment).
SELECT submit_feedback(i.id, sha256(convert_to(a.token, 'UTF8')),
                       pg_temp.answers_in_order(c.form_id, a.answers_in_order))
  FROM (VALUES
    ('00000000-0000-4000-8000-000000610201', NULL, ARRAY['3', '4', '4', '4', '3',
        'Hired two engineers and onboarded them without slowing the team down.']),
    ('00000000-0000-4000-8000-000000610202', NULL, ARRAY['3', '4', '4', '4', '2',
        'Took over the team smoothly and kept delivery steady through the re-org.']),
    ('00000000-0000-4000-8000-000000610203', NULL, ARRAY['4', '4', '3', '3', '3',
        'Always clear about what the team can commit to, which made planning easy.']),
    ('00000000-0000-4000-8000-000000610204', NULL, ARRAY['3', '5', '4', '4', '2',
        'The release process is much calmer since Maya took it over.']),
    ('00000000-0000-4000-8000-000000610206', NULL, ARRAY['4', '3', '3', '3', '3',
        'Finished the migration of the billing service.']),
    ('00000000-0000-4000-8000-000000610207', NULL, ARRAY['4', '4', '3', '3', '4',
        'Led the billing migration end to end and mentored Priya along the way.']),
    ('00000000-0000-4000-8000-000000610208', NULL, ARRAY['5', '4', '4', '3', '4',
        'Patient reviewer; I learned a lot from pairing with Sam.'])
  ) AS a (invitation_id, token, answers_in_order)
  JOIN feedback_invitations i ON i.id = a.invitation_id::uuid
  JOIN feedback_cycles c ON c.id = i.cycle_id
 WHERE c.status = 'active' AND i.status IN ('pending', 'started');

-- Each rater took twenty minutes from opening the form to submitting it.
UPDATE feedback_invitations i
   SET completed_at = i.started_at + interval '20 minutes'
  FROM feedback_cycles c
 WHERE c.id = i.cycle_id AND c.id = '00000000-0000-4000-8000-000000006102'
   AND c.status = 'active' AND i.status = 'completed';

-- Submitted answers and ratings are immutable, so they keep the time of the
-- seed run; only the invitations carry the cycle's May dates.

UPDATE feedback_invitations i
   SET status = 'expired'
  FROM feedback_cycles c
 WHERE c.id = i.cycle_id AND c.id = '00000000-0000-4000-8000-000000006102'
   AND c.status = 'active' AND i.status IN ('pending', 'started');

UPDATE feedback_cycles
   SET status = 'closed', closed_at = '2026-05-26 09:00:00+00'
 WHERE id = '00000000-0000-4000-8000-000000006102' AND status = 'active';

-- ---------------------------------------------------------------- active cycle
-- Leadership 360: activate and answer. Daniel's self, manager and one peer
-- invitation stay open (pending or started), Aisha declined Maya's.

UPDATE feedback_cycles
   SET status = 'active', activated_at = starts_at
 WHERE id = '00000000-0000-4000-8000-000000006101' AND status = 'draft';

-- One row per rater: the answers in question order (form 5101: seven ratings
-- on 1-5, questions 2 and 7 both on coaching; then "keep doing" and the
-- optional "do differently", NULL when skipped). The external rater answers
-- with the token of their link.
SELECT submit_feedback(i.id, sha256(convert_to(a.token, 'UTF8')),
                       pg_temp.answers_in_order(c.form_id, a.answers_in_order))
  FROM (VALUES
    -- for Maya Okafor
    ('00000000-0000-4000-8000-000000610101', NULL, ARRAY['4', '3', '4', '3', '4', '4', '3',
        'Keeping the team focused on a few things at a time.',
        'Hand over more of the technical decisions to the senior engineers.']),
    ('00000000-0000-4000-8000-000000610102', NULL, ARRAY['4', '3', '4', '4', '5', '4', '2',
        'Building bridges with product and design; the roadmap reviews are far better.',
        'Delegate more: the team can carry bigger pieces than Maya gives them.']),
    ('00000000-0000-4000-8000-000000610103', NULL, ARRAY['5', '3', '4', '4', '5', '4', '3',
        'Honest, early warnings when a date is at risk.',
        NULL]),
    ('00000000-0000-4000-8000-000000610104', NULL, ARRAY['4', '2', '3', '4', '4', '5', '3',
        'Always makes time to walk through a design with us.',
        'Share the reasoning behind priority changes, not only the outcome.']),
    ('00000000-0000-4000-8000-000000610105', NULL, ARRAY['4', '3', '4', '3', '5', '4', '2',
        'Owning quality together with QA instead of handing it over.',
        'Let people finish their point in meetings before answering.']),
    ('00000000-0000-4000-8000-000000610107', NULL, ARRAY['3', '2', '4', '3', '4', '5', '2',
        'Shielding the team from last-minute scope changes.',
        'More regular one-to-ones with concrete feedback on my work.']),
    ('00000000-0000-4000-8000-000000610108', NULL, ARRAY['4', '3', '3', '4', '4', '4', '3',
        'Explaining the why behind our quarterly goals.',
        NULL]),
    ('00000000-0000-4000-8000-000000610109', NULL, ARRAY['4', '2', '4', '3', '4', '5', '3',
        'A calm and welcoming start for new joiners.',
        'Tell me earlier when something I did could be better.']),
    ('00000000-0000-4000-8000-000000610110', 'northwind-dev-external-rater',
        ARRAY['5', '3', '4', '4', '4', '5', '3',
        'Reliable delivery and very clear release notes for our team.',
        NULL]),
    -- for Daniel Kim
    ('00000000-0000-4000-8000-000000610113', NULL, ARRAY['5', '4', '4', '3', '4', '3', '4',
        'Clear product vision that engineering can plan against.',
        'Involve engineering earlier, before the scope is fixed.']),
    ('00000000-0000-4000-8000-000000610114', NULL, ARRAY['4', '3', '5', '4', '4', '3', '3',
        'Great customer interviews; the insights travel well across teams.',
        NULL])
  ) AS a (invitation_id, token, answers_in_order)
  JOIN feedback_invitations i ON i.id = a.invitation_id::uuid
  JOIN feedback_cycles c ON c.id = i.cycle_id
 WHERE c.status = 'active' AND i.status IN ('pending', 'started');

SELECT set_config('ikenei.plaintext_sample_data', 'off', true);
