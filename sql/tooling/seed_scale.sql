-- The at-scale data generator of `ikenei seed scale` (ikenei.schema.seed_scale).
--
-- Set-based: every statement inserts all rows of one kind for one
-- organization (INSERT ... SELECT over generate_series), through every
-- constraint and trigger of the schema, as the tables' owner. Nothing here
-- calls random(): each value is a hash of (seed, organization number, what it
-- is), so a load is the same for the same seed whatever the order or the
-- server. Ids are md5 hashes of the same keys, written as uuids.
--
-- A "hash fraction" is the first 28 bits of such an md5 divided by 2^28:
--   ('x' || substr(md5(KEY), 1, 7))::bit(28)::int / 268435456.0
--
-- The shape of one organization of P people (people numbered 1..P):
--   * manager of person i > 1 is person (i - 2) / 6 + 1 (a tree of six
--     reports per manager; person 1 leads it, person 2 is its HR manager);
--   * in every cycle each person is rated by themselves, their manager,
--     their direct reports and up to five peers (people i + 7, i + 14, ...
--     i + 35 round the organization, leaving out the manager and the
--     reports; at least three): about eight invitations a person;
--   * ten competencies, one rating question each, and a free-text question;
--     an anonymous form (threshold 3) and a named one; every cycle but the
--     newest is closed; cycles alternate between the two forms, the newest
--     on the named form in even-numbered organizations and on the anonymous
--     one in odd-numbered ones (so both closed anonymous cycles, whose
--     answers the close rewrites, and open anonymous ones exist);
--   * 90 % of the invitations completed, 40 % of the submissions with an
--     encrypted comment; a learning plan per person with two objectives.

-- name: scale_has_people()$
-- Whether any person exists (a load adds to such a database only when told to).
SELECT EXISTS (SELECT 1 FROM users);

-- name: scale_next_organization_number()$
-- The first organization number a load may use: past every organization
-- already there, so that an added load never reuses a domain or an id.
SELECT count(*)::int FROM organizations;

-- name: scale_has_prod_seed()$
-- Whether the system roles and standard categories of the prod seed are there.
SELECT count(*) FILTER (WHERE kind = 'role') = 4 AND count(*) FILTER (WHERE kind = 'category') >= 8
  FROM (SELECT 'role' AS kind FROM roles
         WHERE organization_id IS NULL AND name IN ('admin', 'hr_manager', 'manager', 'employee')
        UNION ALL
        SELECT 'category' FROM competency_categories WHERE organization_id IS NULL) s;

-- name: scale_insert_organization(seed, org_no, people, as_of)!
-- The organization.
INSERT INTO organizations (id, name, domain, industry, size_category, settings, created_at)
SELECT md5(k.p || '/org')::uuid,
       'Scale Organization ' || CAST(:org_no AS int),
       'org' || CAST(:org_no AS int) || '-s' || CAST(:seed AS int) || '.scale.example',
       (ARRAY['Software', 'Logistics', 'Healthcare', 'Finance', 'Retail', 'Manufacturing'])
           [1 + CAST(:org_no AS int) % 6],
       CASE WHEN CAST(:people AS int) <= 10 THEN '1-10' WHEN CAST(:people AS int) <= 50 THEN '11-50'
            WHEN CAST(:people AS int) <= 200 THEN '51-200' WHEN CAST(:people AS int) <= 1000 THEN '201-1000'
            WHEN CAST(:people AS int) <= 5000 THEN '1001-5000' ELSE '5000+' END,
       '{"timezone": "UTC", "locale": "en-GB"}'::jsonb,
       CAST(:as_of AS timestamptz) - interval '3 years'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k;

-- name: scale_insert_people(seed, org_no, people, as_of, password_hash)!
-- The people: names from small lists, a manager tree, departments by team.
INSERT INTO users (id, email, password_hash, first_name, last_name, job_title, department,
                   manager_id, is_active, email_verified, last_login_at, created_at)
SELECT md5(k.p || '/u/' || i)::uuid,
       'person' || i || '@org' || CAST(:org_no AS int) || '-s' || CAST(:seed AS int) || '.scale.example',
       CAST(:password_hash AS text),
       (ARRAY['Ada', 'Ben', 'Chiara', 'Dev', 'Elif', 'Femi', 'Grace', 'Hiro', 'Ines', 'Jonas',
              'Kofi', 'Lena', 'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq'])
           [1 + ('x' || substr(md5(k.p || '/fn/' || i), 1, 7))::bit(28)::int % 20],
       (ARRAY['Adeyemi', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad',
              'Ito', 'Jansen', 'Kowalski', 'Larsen', 'Moreau', 'Nakamura', 'Okafor', 'Petrov',
              'Quispe', 'Rossi', 'Silva', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Yilmaz', 'Zhou'])
           [1 + ('x' || substr(md5(k.p || '/ln/' || i), 1, 7))::bit(28)::int % 25],
       CASE WHEN i = 1 THEN 'Chief Executive' WHEN i = 2 THEN 'HR Manager'
            WHEN 6 * (i - 1) + 2 <= CAST(:people AS int) THEN 'Team Lead' ELSE 'Specialist' END,
       (ARRAY['Engineering', 'Product', 'Operations', 'Sales', 'Finance', 'People'])
           [1 + (CASE WHEN i = 1 THEN 0 ELSE (i - 2) / 6 END) % 6],
       CASE WHEN i > 1 THEN md5(k.p || '/u/' || ((i - 2) / 6 + 1))::uuid END,
       true, true,
       CAST(:as_of AS timestamptz) - ('x' || substr(md5(k.p || '/login/' || i), 1, 7))::bit(28)::int
                                     * interval '1 second' / 8,
       CAST(:as_of AS timestamptz) - interval '2 years' + i * interval '1 minute'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, CAST(:people AS int)) AS i;

-- name: scale_insert_memberships(seed, org_no, people, as_of)!
-- Every person an active member of the organization.
INSERT INTO user_organizations (id, organization_id, user_id, status, joined_at, created_at)
SELECT md5(k.p || '/m/' || i)::uuid, md5(k.p || '/org')::uuid, md5(k.p || '/u/' || i)::uuid, 'active',
       CAST(:as_of AS timestamptz) - interval '2 years' + i * interval '1 minute',
       CAST(:as_of AS timestamptz) - interval '2 years' + i * interval '1 minute'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, CAST(:people AS int)) AS i;

-- name: scale_insert_role_assignments(seed, org_no, people, as_of)!
-- employee for everyone, manager for whoever has reports, admin for person 1,
-- hr_manager for person 2 (the system roles of the prod seed).
INSERT INTO user_roles (id, organization_id, user_id, role_id, granted_by, granted_at)
SELECT md5(k.p || '/ur/' || a.i || '/' || a.role)::uuid, md5(k.p || '/org')::uuid,
       md5(k.p || '/u/' || a.i)::uuid, r.id,
       CASE WHEN a.i > 1 THEN md5(k.p || '/u/1')::uuid END,
       CAST(:as_of AS timestamptz) - interval '2 years' + a.i * interval '1 minute'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       LATERAL (SELECT i, 'employee' AS role FROM generate_series(1, CAST(:people AS int)) AS i
                UNION ALL
                SELECT i, 'manager' FROM generate_series(1, CAST(:people AS int)) AS i
                 WHERE 6 * (i - 1) + 2 <= CAST(:people AS int)
                UNION ALL
                SELECT 1, 'admin'
                UNION ALL
                SELECT 2, 'hr_manager' WHERE CAST(:people AS int) >= 2) a
  JOIN roles r ON r.organization_id IS NULL AND r.name = a.role;

-- name: scale_insert_competencies(seed, org_no, as_of)!
-- The framework: ten competencies in the standard categories, weights 1-2.
INSERT INTO competencies (id, organization_id, name, description, category_id, weight, created_at)
SELECT md5(k.p || '/c/' || c.n)::uuid, md5(k.p || '/org')::uuid, c.name,
       'How well a person shows ' || lower(c.name) || ' in their daily work.',
       (SELECT id FROM competency_categories
         WHERE organization_id IS NULL AND name = c.category),
       1 + (('x' || substr(md5(k.p || '/cw/' || c.n), 1, 7))::bit(28)::int % 5) / 4.0,
       CAST(:as_of AS timestamptz) - interval '2 years'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       (VALUES (1, 'Strategic Thinking', 'Leadership'), (2, 'Coaching', 'Leadership'),
               (3, 'Clear Writing', 'Communication'), (4, 'Active Listening', 'Communication'),
               (5, 'Cross-team Work', 'Collaboration'), (6, 'Code Quality', 'Technical Excellence'),
               (7, 'Delivery', 'Execution'), (8, 'Learning from Feedback', 'Growth Mindset'),
               (9, 'Customer Empathy', 'Customer Focus'), (10, 'Experimentation', 'Innovation'))
           AS c(n, name, category);

-- name: scale_insert_competency_levels(seed, org_no, as_of)!
-- Proficiency levels 1-5 of every competency.
INSERT INTO competency_levels (id, organization_id, competency_id, level, name, description, created_at)
SELECT md5(k.p || '/cl/' || c || '/' || l)::uuid, md5(k.p || '/org')::uuid,
       md5(k.p || '/c/' || c)::uuid, l,
       (ARRAY['Novice', 'Developing', 'Proficient', 'Advanced', 'Expert'])[l],
       'Level ' || l || ' of competency ' || c || '.',
       CAST(:as_of AS timestamptz) - interval '2 years'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, 10) AS c, generate_series(1, 5) AS l;

-- name: scale_insert_forms(seed, org_no, as_of)!
-- An anonymous 360 form (threshold 3) and a named one.
INSERT INTO feedback_forms (id, organization_id, title, description, form_type, is_anonymous,
                            anonymity_threshold, created_by, created_at)
SELECT md5(k.p || '/f/' || f.n)::uuid, md5(k.p || '/org')::uuid, f.title,
       'Ten competencies rated 1-5 and an optional comment.', '360', f.anonymous, 3,
       md5(k.p || '/u/1')::uuid,
       CAST(:as_of AS timestamptz) - interval '2 years'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       (VALUES (1, 'Anonymous 360', true), (2, 'Named 360', false)) AS f(n, title, anonymous);

-- name: scale_insert_questions(seed, org_no, as_of)!
-- Per form: a rating question (1-5) per competency, then a free-text question.
INSERT INTO feedback_questions (id, organization_id, form_id, position, question_text, question_type,
                                competency_id, scale_min, scale_max, is_required, created_at)
SELECT md5(k.p || '/q/' || f || '/' || q)::uuid, md5(k.p || '/org')::uuid, md5(k.p || '/f/' || f)::uuid, q,
       CASE WHEN q <= 10 THEN 'How would you rate this person on competency ' || q || '?'
            ELSE 'Anything else you would like to say?' END,
       CASE WHEN q <= 10 THEN 'rating' ELSE 'text' END,
       CASE WHEN q <= 10 THEN md5(k.p || '/c/' || q)::uuid END,
       CASE WHEN q <= 10 THEN 1 END, CASE WHEN q <= 10 THEN 5 END,
       q <= 10,
       CAST(:as_of AS timestamptz) - interval '2 years'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, 2) AS f, generate_series(1, 11) AS q;

-- name: scale_insert_cycles(seed, org_no, cycles, as_of)!
-- The cycles, all active for now (answers arrive only while a cycle is
-- active): cycle j of C runs 120 days apart, the newest around as_of.
INSERT INTO feedback_cycles (id, organization_id, form_id, name, description, status, starts_at, ends_at,
                             activated_at, created_by, created_at)
SELECT md5(k.p || '/cy/' || j)::uuid, md5(k.p || '/org')::uuid,
       md5(k.p || '/f/' || CASE WHEN (CAST(:cycles AS int) - 1 - j + CAST(:org_no AS int)) % 2 = 1
                                THEN 1 ELSE 2 END)::uuid,
       'Review ' || (j + 1), 'Feedback round ' || (j + 1) || ' of the organization.', 'active',
       s.starts, s.starts + interval '60 days', s.starts,
       md5(k.p || '/u/2')::uuid, s.starts - interval '7 days'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(0, CAST(:cycles AS int) - 1) AS j,
       LATERAL (SELECT CAST(:as_of AS timestamptz) - interval '30 days'
                       - (CAST(:cycles AS int) - 1 - j) * interval '120 days' AS starts) s;

-- name: scale_insert_invitations(seed, org_no, people, cycles, as_of)!
-- Every person rated in every cycle by self, manager, direct reports and
-- five peers. Closed cycles (all but the newest): 90 % completed, then
-- declined or expired; the active one: 90 % completed, then started,
-- declined or pending. Completed (and started) at a time inside the cycle
-- and before as_of.
INSERT INTO feedback_invitations (id, organization_id, cycle_id, target_user_id, rater_user_id,
                                  relationship, status, sent_at, started_at, completed_at, declined_at,
                                  created_at)
SELECT i.id, md5(k.p || '/org')::uuid, md5(k.p || '/cy/' || i.j)::uuid,
       md5(k.p || '/u/' || i.target)::uuid, md5(k.p || '/u/' || i.rater)::uuid, i.relationship,
       i.status, i.starts,
       CASE WHEN i.status IN ('completed', 'started') THEN i.done END,
       CASE WHEN i.status = 'completed' THEN i.done END,
       CASE WHEN i.status = 'declined' THEN i.done END,
       i.starts - interval '1 day'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       LATERAL (
           SELECT md5(k.p || '/inv/' || j || '/' || r.target || '/' || r.rater)::uuid AS id, j,
                  r.target, r.rater, r.relationship, s.starts,
                  CASE WHEN h.x < 0.90 THEN 'completed'
                       WHEN j < CAST(:cycles AS int) - 1 THEN CASE WHEN h.x < 0.94 THEN 'declined' ELSE 'expired' END
                       WHEN h.x < 0.92 THEN 'started' WHEN h.x < 0.95 THEN 'declined' ELSE 'pending' END AS status,
                  s.starts + (least(s.starts + interval '60 days', CAST(:as_of AS timestamptz)) - s.starts)
                             * h.y AS done
             FROM generate_series(0, CAST(:cycles AS int) - 1) AS j
            CROSS JOIN LATERAL (SELECT CAST(:as_of AS timestamptz) - interval '30 days'
                                       - (CAST(:cycles AS int) - 1 - j) * interval '120 days' AS starts) s
            CROSS JOIN (
                SELECT t AS target, t AS rater, 'self' AS relationship
                  FROM generate_series(1, CAST(:people AS int)) AS t
                UNION ALL
                SELECT t, (t - 2) / 6 + 1, 'manager'
                  FROM generate_series(2, CAST(:people AS int)) AS t
                UNION ALL
                SELECT (t - 2) / 6 + 1, t, 'direct_report'
                  FROM generate_series(2, CAST(:people AS int)) AS t
                UNION ALL
                SELECT DISTINCT t, rater, 'peer'
                  FROM generate_series(1, CAST(:people AS int)) AS t,
                       generate_series(1, 5) AS d,
                       LATERAL (SELECT 1 + (t - 1 + 7 * d) % CAST(:people AS int) AS rater) pr
                 WHERE rater <> t
                   AND NOT (t > 1 AND rater = (t - 2) / 6 + 1)
                   AND NOT (rater > 1 AND (rater - 2) / 6 + 1 = t)
            ) r
            CROSS JOIN LATERAL (
                SELECT ('x' || substr(md5(k.p || '/st/' || j || '/' || r.target || '/' || r.rater), 1, 7))::bit(28)::int
                           / 268435456.0 AS x,
                       ('x' || substr(md5(k.p || '/at/' || j || '/' || r.target || '/' || r.rater), 1, 7))::bit(28)::int
                           / 268435456.0 AS y) h
       ) i;

-- name: scale_comment_answers(seed, org_no)
-- The answers to the free-text question that will hold a comment (40 % of
-- the submissions): the id each will have (its ciphertext is bound to it)
-- and which comment of the pool it says.
SELECT md5(k.p || '/r/' || i.id || '/11')::uuid AS id,
       ('x' || substr(md5(k.p || '/ct/' || i.id), 1, 7))::bit(28)::int AS pick
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k
  JOIN feedback_invitations i ON i.organization_id = md5(k.p || '/org')::uuid AND i.status = 'completed'
 WHERE ('x' || substr(md5(k.p || '/cm/' || i.id), 1, 7))::bit(28)::int / 268435456.0 < 0.40
 ORDER BY 1;

-- name: scale_insert_answers(seed, org_no, comment_ids, comment_ciphertexts, comment_key_id)!
-- What submit_feedback writes for each completed invitation: one answer per
-- rating question (the person's level on the competency, give or take one,
-- by rater) and the encrypted comments; an anonymous form's answers name no
-- invitation and keep only the day of their submission.
INSERT INTO feedback_responses (id, organization_id, cycle_id, form_id, question_id, target_user_id,
                                submission_id, invitation_id, relationship, rating,
                                comment_ciphertext, comment_key_id, created_at)
SELECT md5(k.p || '/r/' || i.id || '/' || q.position)::uuid, i.organization_id, i.cycle_id, c.form_id, q.id,
       i.target_user_id, md5(k.p || '/sub/' || i.id)::uuid,
       CASE WHEN f.is_anonymous THEN NULL ELSE i.id END, i.relationship,
       CASE WHEN q.question_type = 'rating' THEN
           greatest(1, least(5, round(1.5 + 3 * ('x' || substr(md5(k.p || '/lvl/' || i.target_user_id || '/' || q.position), 1, 7))::bit(28)::int / 268435456.0
                                       + 2 * ('x' || substr(md5(k.p || '/n/' || i.id || '/' || q.position), 1, 7))::bit(28)::int / 268435456.0 - 1)))
       END,
       t.ciphertext, CASE WHEN t.ciphertext IS NOT NULL THEN CAST(:comment_key_id AS text) END,
       CASE WHEN f.is_anonymous THEN date_trunc('day', i.completed_at) ELSE i.completed_at END
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k
  JOIN feedback_invitations i ON i.organization_id = md5(k.p || '/org')::uuid AND i.status = 'completed'
  JOIN feedback_cycles c ON c.id = i.cycle_id
  JOIN feedback_forms f ON f.id = c.form_id
  JOIN feedback_questions q ON q.form_id = c.form_id
  LEFT JOIN unnest(CAST(:comment_ids AS uuid[]), CAST(:comment_ciphertexts AS bytea[])) AS t(id, ciphertext)
         ON t.id = md5(k.p || '/r/' || i.id || '/' || q.position)::uuid
 WHERE q.question_type = 'rating' OR t.ciphertext IS NOT NULL
 ORDER BY i.completed_at, i.id, q.position;

-- name: scale_insert_competency_ratings(seed, org_no)!
-- What submit_feedback writes beside the answers: per submission and
-- competency the mean of its ratings and how many there are. The answers are
-- found by submission (an index), not by organization (none: a scan of every
-- organization's answers, for each organization).
INSERT INTO feedback_ratings (id, organization_id, cycle_id, target_user_id, competency_id, submission_id,
                              invitation_id, relationship, rating, answer_count, created_at)
SELECT md5(k.p || '/rt/' || r.submission_id || '/' || q.competency_id)::uuid, r.organization_id, r.cycle_id,
       r.target_user_id, q.competency_id, r.submission_id, r.invitation_id, r.relationship,
       round(avg(r.rating), 2), count(*), min(r.created_at)
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k
  JOIN feedback_invitations i ON i.organization_id = md5(k.p || '/org')::uuid AND i.status = 'completed'
  JOIN feedback_responses r ON r.submission_id = md5(k.p || '/sub/' || i.id)::uuid
  JOIN feedback_questions q ON q.id = r.question_id
 WHERE r.rating IS NOT NULL AND q.competency_id IS NOT NULL
 GROUP BY k.p, r.organization_id, r.cycle_id, r.target_user_id, r.submission_id, r.invitation_id,
          r.relationship, q.competency_id
 ORDER BY min(r.created_at), r.submission_id, q.competency_id;

-- name: scale_close_cycles(seed, org_no, cycles)!
-- Closes every cycle but the newest at its end, as close_cycle does: the
-- schema's trigger rewrites an anonymous cycle's answers at the close.
UPDATE feedback_cycles c
   SET status = 'closed', closed_at = c.ends_at
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k
 WHERE c.organization_id = md5(k.p || '/org')::uuid AND c.status = 'active'
   AND c.id IN (SELECT md5(k.p || '/cy/' || j)::uuid FROM generate_series(0, CAST(:cycles AS int) - 2) AS j);

-- name: scale_insert_plans(seed, org_no, people, cycles, as_of)!
-- A learning plan per person, from the newest closed cycle when there is one.
INSERT INTO learning_plans (id, organization_id, user_id, title, description, ai_analysis, status, start_date,
                            target_completion_date, actual_completion_date, source_cycle_id, created_by,
                            created_at)
SELECT md5(k.p || '/lp/' || i)::uuid, md5(k.p || '/org')::uuid, md5(k.p || '/u/' || i)::uuid,
       'Development plan ' || i, 'Grow on the two competencies with the widest gap.',
       jsonb_build_object('generated_by', 'seed.scale', 'gaps', 2), p.status,
       p.starts, p.starts + 180, CASE WHEN p.status = 'completed' THEN p.starts + 150 END,
       CASE WHEN CAST(:cycles AS int) > 1 THEN md5(k.p || '/cy/' || (CAST(:cycles AS int) - 2))::uuid END,
       md5(k.p || '/u/' || i)::uuid, p.starts - interval '1 day'
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, CAST(:people AS int)) AS i,
       LATERAL (SELECT CASE WHEN x < 0.60 THEN 'active' WHEN x < 0.80 THEN 'completed'
                            WHEN x < 0.90 THEN 'draft' ELSE 'paused' END AS status,
                       (CAST(:as_of AS timestamptz) - (60 + (x * 1000)::int % 200) * interval '1 day')::date AS starts
                  FROM (SELECT ('x' || substr(md5(k.p || '/lps/' || i), 1, 7))::bit(28)::int / 268435456.0 AS x) h) p;

-- name: scale_insert_objectives(seed, org_no, people)!
-- Two objectives per plan, on two different competencies.
INSERT INTO learning_objectives (id, organization_id, plan_id, competency_id, title, current_level,
                                 target_level, status, priority, position, due_date, completed_at, created_at)
SELECT md5(k.p || '/lo/' || i || '/' || o)::uuid, md5(k.p || '/org')::uuid, md5(k.p || '/lp/' || i)::uuid,
       md5(k.p || '/c/' || c.n)::uuid, 'Raise competency ' || c.n, 2, 4, s.status, 1 + (i + o) % 5, o,
       p.start_date + 90 * o, CASE WHEN s.status = 'completed' THEN p.start_date + 60 * o END,
       p.created_at
  FROM (SELECT CAST(:seed AS int) || '/' || CAST(:org_no AS int) AS p) k,
       generate_series(1, CAST(:people AS int)) AS i, generate_series(1, 2) AS o,
       LATERAL (SELECT 1 + (('x' || substr(md5(k.p || '/loc/' || i), 1, 7))::bit(28)::int % 10 + o - 1) % 10 AS n) c,
       LATERAL (SELECT lp.start_date, lp.created_at, lp.status AS plan_status
                  FROM learning_plans lp WHERE lp.id = md5(k.p || '/lp/' || i)::uuid) p,
       LATERAL (SELECT CASE WHEN p.plan_status = 'completed' THEN 'completed'
                            WHEN p.plan_status = 'draft' THEN 'not_started'
                            ELSE (ARRAY['not_started', 'in_progress', 'completed'])
                                     [1 + ('x' || substr(md5(k.p || '/los/' || i || '/' || o), 1, 7))::bit(28)::int % 3]
                       END AS status) s;

-- name: scale_insert_events(seed, org_nos, org_people, events_per_person, month, as_of)!
-- One month (0 = the oldest of the twelve before as_of) of analytics events
-- of the organizations numbered org_nos (with org_people people each),
-- inserted in time order as they would arrive, so the organizations' events
-- interleave; 10 % name no person.
INSERT INTO analytics_events (organization_id, user_id, session_id, event_type, properties, occurred_at)
SELECT md5(e.p || '/org')::uuid,
       CASE WHEN e.x >= 0.10 THEN md5(e.p || '/u/' || (1 + (e.x * 1000003)::int % e.people))::uuid END,
       'session-' || substr(md5(e.p || '/ses/' || e.n), 1, 12),
       (ARRAY['page.view', 'feedback.form_opened', 'feedback.submitted', 'results.viewed',
              'learning.plan_viewed', 'learning.progress_logged', 'dashboard.viewed', 'report.downloaded'])
           [1 + (e.x * 7919)::int % 8],
       jsonb_build_object('n', e.n % 100),
       e.at
  FROM (SELECT s.p, s.people, n,
               ('x' || substr(md5(s.p || '/ev/' || CAST(:month AS int) || '/' || n), 1, 7))::bit(28)::int / 268435456.0 AS x,
               CAST(:as_of AS timestamptz) - interval '365 days'
                   + (CAST(:month AS int) + ('x' || substr(md5(s.p || '/evt/' || CAST(:month AS int) || '/' || n), 1, 7))::bit(28)::int
                                            / 268435456.0) * interval '365 days' / 12 AS at
          FROM (SELECT CAST(:seed AS int) || '/' || o.no AS p, o.people
                  FROM unnest(CAST(:org_nos AS int[]), CAST(:org_people AS int[])) AS o(no, people)) s,
               generate_series(1, s.people * CAST(:events_per_person AS int) / 12
                                  + CASE WHEN CAST(:month AS int) < s.people * CAST(:events_per_person AS int) % 12
                                         THEN 1 ELSE 0 END) AS n) e
 ORDER BY e.at;

-- name: scale_record_load(load)!
-- Adds a finished load (its parameters, as JSON) to the list under system
-- setting seed.scale: what `make bench-scale` checks before reusing a database.
INSERT INTO system_settings (key, value, description)
VALUES ('seed.scale', jsonb_build_array(CAST(:load AS jsonb)),
        'Loads of ikenei seed scale (generated data for measurements), oldest first.')
ON CONFLICT (key) DO UPDATE SET value = system_settings.value || excluded.value;

-- name: scale_loads()$
-- The finished loads of ikenei seed scale, oldest first (a JSON array), or nothing.
SELECT value FROM system_settings WHERE key = 'seed.scale';

-- name: scale_row_counts()
-- Rows of the tables a load fills (exact counts), in a fixed order.
SELECT t.table_name, t.rows
  FROM (VALUES (1, 'organizations', (SELECT count(*) FROM organizations)),
               (2, 'users', (SELECT count(*) FROM users)),
               (3, 'feedback_cycles', (SELECT count(*) FROM feedback_cycles)),
               (4, 'feedback_invitations', (SELECT count(*) FROM feedback_invitations)),
               (5, 'feedback_responses', (SELECT count(*) FROM feedback_responses)),
               (6, 'feedback_ratings', (SELECT count(*) FROM feedback_ratings)),
               (7, 'learning_plans', (SELECT count(*) FROM learning_plans)),
               (8, 'learning_objectives', (SELECT count(*) FROM learning_objectives)),
               (9, 'analytics_events', (SELECT count(*) FROM analytics_events)),
               (10, 'audit_log', (SELECT count(*) FROM audit_log))) AS t(position, table_name, rows)
 ORDER BY t.position;
