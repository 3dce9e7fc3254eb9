-- Down Migration
-- Description: The analysis and the weighted score of 20261205_100000 and the trend of 20261205_122000 again

CREATE OR REPLACE FUNCTION feedback_analysis(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, average_rating NUMERIC, response_count INT,
               rating_stddev NUMERIC, self_rating NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.analysis');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT q.competency_id, r.relationship, r.submission_id, r.rating
          FROM public.feedback_responses r
          JOIN public.feedback_questions q ON q.id = r.question_id
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
           AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
    ), group_sizes AS (
        SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               public.feedback_rater_group(a.relationship, count(DISTINCT a.submission_id), n) AS rater_group
          FROM answers a
         WHERE a.relationship <> 'self'
         GROUP BY a.competency_id, a.relationship
    ), shown AS (
        SELECT g.competency_id, g.relationship
          FROM (SELECT competency_id, relationship,
                       sum(submissions) OVER (PARTITION BY competency_id, rater_group) AS group_submissions
                  FROM group_sizes) g
         WHERE g.group_submissions >= n
    )
    SELECT c.id, c.name::text,
           round(avg(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2),
           (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int,
           round(stddev_samp(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2),
           round(avg(a.rating) FILTER (WHERE a.relationship = 'self'), 2)
      FROM answers a
      JOIN public.competencies c ON c.id = a.competency_id
      LEFT JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
     GROUP BY c.id, c.name
    HAVING count(s.relationship) > 0 OR bool_or(a.relationship = 'self')
     ORDER BY 3 DESC NULLS LAST, c.name, c.id;
END
$$;


CREATE OR REPLACE FUNCTION feedback_weighted_score(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, weight NUMERIC, weighted_percent NUMERIC,
               answer_count INT, overall_score NUMERIC)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.weighted_score');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT q.competency_id, r.relationship, r.submission_id, q.weight,
               100.0 * (r.rating - q.scale_min) / (q.scale_max - q.scale_min) AS percent
          FROM public.feedback_responses r
          JOIN public.feedback_questions q ON q.id = r.question_id
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id AND r.relationship <> 'self'
           AND r.rating IS NOT NULL AND q.question_type = 'rating' AND q.competency_id IS NOT NULL
    ), sizes AS (
        SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               public.feedback_rater_group(a.relationship, count(DISTINCT a.submission_id), n) AS rater_group
          FROM answers a
         GROUP BY a.competency_id, a.relationship
    ), shown AS (
        SELECT g.competency_id, g.relationship
          FROM (SELECT s.competency_id, s.relationship,
                       sum(s.submissions) OVER (PARTITION BY s.competency_id, s.rater_group) AS group_submissions
                  FROM sizes s) g
         WHERE g.group_submissions >= n
    ), per_competency AS (
        SELECT a.competency_id, sum(a.weight * a.percent) / sum(a.weight) AS percent, count(*)::int AS answer_count
          FROM answers a
          JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
         GROUP BY a.competency_id
    )
    SELECT c.id, c.name::text, c.weight, round(p.percent, 2), p.answer_count,
           round(sum(c.weight * p.percent) OVER () / sum(c.weight) OVER (), 2)
      FROM per_competency p
      JOIN public.competencies c ON c.id = p.competency_id
     ORDER BY c.name, c.id;
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

