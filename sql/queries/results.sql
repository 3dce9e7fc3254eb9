-- Results across cycles and people (ikenei/repositories/results.py): a
-- person's trend over closed cycles, the team or department heatmap of a
-- cycle, blind spots and hidden strengths, and the weighted score. Every one
-- counts only the ratings by others that results by group shows (a rater
-- group below the form's anonymity threshold folded into "others", dropped
-- while still too small; self apart), so none of them can be subtracted from
-- another to uncover a hidden group, and each read is logged in
-- data_access_log like the other results.

-- name: get_feedback_trend(target_user_id)
-- Per competency and closed cycle the person was rated in (oldest cycle
-- first): others' average and how many submissions it holds (NULL and 0
-- while too few are shown), and the person's own rating.
WITH cycles AS (
    SELECT c.id, c.organization_id, c.name, c.closed_at, f.anonymity_threshold AS n
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.status = 'closed'
       AND EXISTS (SELECT 1 FROM feedback_ratings r WHERE r.cycle_id = c.id AND r.target_user_id = :target_user_id)
), logged AS (
    -- A read of sensitive results, logged in the same statement.
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT DISTINCT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user),
           x.organization_id, :target_user_id::uuid, 'feedback.trend'
      FROM cycles x
), ratings AS (
    SELECT r.cycle_id, r.competency_id, r.relationship, r.rating
      FROM feedback_ratings r JOIN cycles x ON x.id = r.cycle_id
     WHERE r.target_user_id = :target_user_id
), sizes AS (
    SELECT r.cycle_id, r.competency_id, r.relationship, count(*) AS submissions, x.n,
           CASE WHEN count(*) >= x.n THEN r.relationship ELSE 'others' END AS rater_group
      FROM ratings r JOIN cycles x ON x.id = r.cycle_id
     WHERE r.relationship <> 'self'
     GROUP BY r.cycle_id, r.competency_id, r.relationship, x.n
), shown AS (
    SELECT g.cycle_id, g.competency_id, g.relationship
      FROM (SELECT s.*, sum(s.submissions) OVER (PARTITION BY s.cycle_id, s.competency_id, s.rater_group)
                        AS group_submissions
              FROM sizes s) g
     WHERE g.group_submissions >= g.n
)
SELECT c.id AS competency_id, c.name AS competency_name, x.id AS cycle_id, x.name AS cycle_name, x.closed_at,
       round(avg(r.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS others_average,
       (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS others_count,
       round(avg(r.rating) FILTER (WHERE r.relationship = 'self'), 2) AS self_rating
  FROM ratings r
  JOIN cycles x ON x.id = r.cycle_id
  JOIN competencies c ON c.id = r.competency_id
  LEFT JOIN shown s ON s.cycle_id = r.cycle_id AND s.competency_id = r.competency_id
                   AND s.relationship = r.relationship
 GROUP BY c.id, c.name, x.id, x.name, x.closed_at
 ORDER BY c.name, c.id, x.closed_at, x.id;

-- name: get_feedback_heatmap(cycle_id, by)
-- The competency x team (by = 'team') or x department table of a cycle, one
-- row per cell, suppressed cells without count or average (see
-- feedback_heatmap()); logged in data_access_log as feedback.heatmap.
WITH logged AS (
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user), c.organization_id, NULL,
           'feedback.heatmap'
      FROM feedback_cycles c
     WHERE c.id = :cycle_id
)
SELECT competency_id, competency_name, group_key, group_label, people_count, submission_count, average_rating,
       suppressed
  FROM feedback_heatmap(:cycle_id, :by);

-- name: get_feedback_blind_spots(target_user_id, cycle_id)
-- For a closed cycle (nothing otherwise), per competency the person rated
-- themselves on or others rated: the person's own rating, others' average
-- (NULL while too few are shown), the gap (self minus others) and the
-- classification by the form's "blind_spot_margin" (default 1): blind_spot
-- (self at least the margin above others), hidden_strength (others at least
-- the margin above self), aligned, or unknown (either side missing).
WITH cycle AS (
    SELECT c.id, c.organization_id, f.anonymity_threshold AS n,
           coalesce((f.settings ->> 'blind_spot_margin')::numeric, 1) AS margin
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = :cycle_id AND c.status = 'closed'
), logged AS (
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user), x.organization_id,
           :target_user_id::uuid, 'feedback.blind_spots'
      FROM cycle x
), ratings AS (
    SELECT r.competency_id, r.relationship, r.rating
      FROM feedback_ratings r JOIN cycle x ON x.id = r.cycle_id
     WHERE r.target_user_id = :target_user_id
), sizes AS (
    SELECT r.competency_id, r.relationship, count(*) AS submissions, x.n,
           CASE WHEN count(*) >= x.n THEN r.relationship ELSE 'others' END AS rater_group
      FROM ratings r CROSS JOIN cycle x
     WHERE r.relationship <> 'self'
     GROUP BY r.competency_id, r.relationship, x.n
), shown AS (
    SELECT g.competency_id, g.relationship
      FROM (SELECT s.*, sum(s.submissions) OVER (PARTITION BY s.competency_id, s.rater_group) AS group_submissions
              FROM sizes s) g
     WHERE g.group_submissions >= g.n
), sides AS (
    SELECT r.competency_id,
           round(avg(r.rating) FILTER (WHERE r.relationship = 'self'), 2) AS self_rating,
           round(avg(r.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS others_average,
           (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS others_count
      FROM ratings r
      LEFT JOIN shown s ON s.competency_id = r.competency_id AND s.relationship = r.relationship
     GROUP BY r.competency_id
)
SELECT c.id AS competency_id, c.name AS competency_name, d.self_rating, d.others_average, d.others_count,
       d.self_rating - d.others_average AS gap, x.margin,
       CASE WHEN d.self_rating IS NULL OR d.others_average IS NULL THEN 'unknown'
            WHEN d.self_rating - d.others_average >= x.margin THEN 'blind_spot'
            WHEN d.others_average - d.self_rating >= x.margin THEN 'hidden_strength'
            ELSE 'aligned' END AS classification
  FROM sides d
  JOIN competencies c ON c.id = d.competency_id
 CROSS JOIN cycle x
 ORDER BY c.name, c.id;

-- name: get_feedback_weighted_score(target_user_id, cycle_id)
-- Per competency of the person's rated answers by others in a cycle: the
-- competency's weight, the question-weighted average of the answers as a
-- percentage of each question's scale (0 = its minimum, 100 = its maximum),
-- how many answers count; and on every row the overall score: the
-- competency-weighted mean of those percentages. Only answers of shown rater
-- groups count (self never).
WITH threshold AS (
    SELECT f.anonymity_threshold AS n, c.organization_id
      FROM feedback_cycles c
      JOIN feedback_forms f ON f.id = c.form_id
     WHERE c.id = :cycle_id
), logged AS (
    INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
    SELECT coalesce(nullif(current_setting('ikenei.actor', true), ''), current_user), t.organization_id,
           :target_user_id::uuid, 'feedback.weighted_score'
      FROM threshold t
), answers AS (
    SELECT q.competency_id, r.relationship, r.submission_id, q.weight,
           100.0 * (r.rating - q.scale_min) / (q.scale_max - q.scale_min) AS percent
      FROM feedback_responses r
      JOIN feedback_questions q ON q.id = r.question_id
     WHERE r.target_user_id = :target_user_id AND r.cycle_id = :cycle_id AND r.relationship <> 'self'
       AND r.rating IS NOT NULL AND q.question_type = 'rating' AND q.competency_id IS NOT NULL
), sizes AS (
    SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions, t.n,
           CASE WHEN count(DISTINCT a.submission_id) >= t.n THEN a.relationship ELSE 'others' END AS rater_group
      FROM answers a CROSS JOIN threshold t
     GROUP BY a.competency_id, a.relationship, t.n
), shown AS (
    SELECT g.competency_id, g.relationship
      FROM (SELECT s.*, sum(s.submissions) OVER (PARTITION BY s.competency_id, s.rater_group) AS group_submissions
              FROM sizes s) g
     WHERE g.group_submissions >= g.n
), per_competency AS (
    SELECT a.competency_id, sum(a.weight * a.percent) / sum(a.weight) AS percent, count(*)::int AS answer_count
      FROM answers a
      JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
     GROUP BY a.competency_id
)
SELECT c.id AS competency_id, c.name AS competency_name, c.weight, round(p.percent, 2) AS weighted_percent,
       p.answer_count,
       round(sum(c.weight * p.percent) OVER () / sum(c.weight) OVER (), 2) AS overall_score
  FROM per_competency p
  JOIN competencies c ON c.id = p.competency_id
 ORDER BY c.name, c.id;
