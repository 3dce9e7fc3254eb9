-- Up Migration
-- Description: Results by group and the trend read a person's ratings once: no join of the ratings to their own groups
-- Date: 2026-12-05
--
-- As in 20261205_120000, the planner expects one rating of a person in a
-- cycle, so it joined the ratings to their per-group counts in a nested loop:
-- feedback_results_by_group rescanned the person's ratings once per group
-- (40 times for 120 ratings at 20,000 people, 0.6 ms of its 1 ms), and
-- feedback_trend computed its shown-groups window once per rating.
-- feedback_results_by_group now sums each relationship's ratings once and adds
-- the sums of a group's relationships (count and average unchanged: the
-- average is the sum of the ratings over their count, as avg() computes it;
-- ratings are NOT NULL); feedback_trend computes shown once (MATERIALIZED).
-- The bodies are otherwise those of 20261205_100000.

CREATE OR REPLACE FUNCTION feedback_results_by_group(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, rater_group TEXT, submission_count INT,
               average_rating NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.results_by_group');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH placed AS (
        SELECT r.competency_id, r.relationship, count(*) AS ratings, sum(r.rating) AS total,
               public.feedback_rater_group(r.relationship, count(*), n, true) AS rater_group
          FROM public.feedback_ratings r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
         GROUP BY r.competency_id, r.relationship
    )
    SELECT p.competency_id, c.name::text, p.rater_group::text, sum(p.ratings)::int,
           round(sum(p.total) / sum(p.ratings), 2)
      FROM placed p
      JOIN public.competencies c ON c.id = p.competency_id
     GROUP BY p.competency_id, c.name, p.rater_group
    HAVING p.rater_group = 'self' OR sum(p.ratings) >= n
     ORDER BY c.name, p.competency_id,
              public.feedback_rater_group_rank(p.rater_group);
END
$$;

CREATE OR REPLACE FUNCTION feedback_trend(p_target_user_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, cycle_id UUID, cycle_name TEXT, closed_at TIMESTAMPTZ,
               others_average NUMERIC, others_count INT, self_rating NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    cyc RECORD;
    n smallint;
BEGIN
    FOR cyc IN
        SELECT c.id, c.name, c.closed_at
          FROM public.feedback_cycles c
         WHERE c.status = 'closed'
           AND EXISTS (SELECT 1 FROM public.feedback_ratings r
                        WHERE r.cycle_id = c.id AND r.target_user_id = p_target_user_id)
         ORDER BY c.closed_at, c.id
    LOOP
        n := public.open_feedback_results(p_target_user_id, cyc.id, 'feedback.trend');
        CONTINUE WHEN n IS NULL;
        RETURN QUERY
        WITH ratings AS (
            SELECT r.competency_id, r.relationship, r.rating
              FROM public.feedback_ratings r
             WHERE r.cycle_id = cyc.id AND r.target_user_id = p_target_user_id
        ), sizes AS (
            SELECT r.competency_id, r.relationship, count(*) AS submissions,
                   public.feedback_rater_group(r.relationship, count(*), n) AS rater_group
              FROM ratings r
             WHERE r.relationship <> 'self'
             GROUP BY r.competency_id, r.relationship
        ), shown AS MATERIALIZED (
            SELECT g.competency_id, g.relationship
              FROM (SELECT s.competency_id, s.relationship,
                           sum(s.submissions) OVER (PARTITION BY s.competency_id, s.rater_group) AS group_submissions
                      FROM sizes s) g
             WHERE g.group_submissions >= n
        )
        SELECT c.id, c.name::text, cyc.id, cyc.name::text, cyc.closed_at,
               round(avg(r.rating) FILTER (WHERE s.relationship IS NOT NULL), 2),
               (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int,
               round(avg(r.rating) FILTER (WHERE r.relationship = 'self'), 2)
          FROM ratings r
          JOIN public.competencies c ON c.id = r.competency_id
          LEFT JOIN shown s ON s.competency_id = r.competency_id AND s.relationship = r.relationship
         GROUP BY c.id, c.name
         ORDER BY c.name, c.id;
    END LOOP;
END
$$;
