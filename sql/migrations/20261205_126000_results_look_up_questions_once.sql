-- Up Migration
-- Description: The analysis, the weighted score and the trend look up each question, competency and cycle once, not once per answer
-- Date: 2026-12-05
--
-- As the heatmap did (20261205_125000), these joined every answer or rating of
-- a person to its question and its competency before grouping: two or three
-- index lookups per answer, where reading the answers from their covering
-- index took seven buffers (the analysis of a person with 120 answers: 730
-- buffers). The questions a person's answers name are now read once (a
-- materialized list of those questions), and the competencies are joined to
-- the per-competency results, after grouping. The trend found the person's
-- closed cycles by probing the ratings once per closed cycle of the server (of
-- every organization: it grew with the server); it now takes the cycles from
-- the person's own ratings. The groups shown are computed once (MATERIALIZED,
-- as in 20261205_120000): joined to the answers after the move, the planner
-- would otherwise recompute them once per answer. Results are unchanged:
-- only where rows are looked up moved. The bodies are otherwise those of
-- 20261205_100000 (analysis, weighted score) and 20261205_122000 (trend).

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
    WITH questions AS MATERIALIZED (
        SELECT q.id, q.competency_id, q.weight, q.scale_min, q.scale_max, q.question_type
          FROM public.feedback_questions q
         WHERE q.id IN (SELECT r.question_id FROM public.feedback_responses r
                         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id)
    ), answers AS (
        SELECT q.competency_id, r.relationship, r.submission_id, r.rating
          FROM public.feedback_responses r
          JOIN questions q ON q.id = r.question_id
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
           AND r.rating IS NOT NULL AND q.competency_id IS NOT NULL
    ), group_sizes AS (
        SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               public.feedback_rater_group(a.relationship, count(DISTINCT a.submission_id), n) AS rater_group
          FROM answers a
         WHERE a.relationship <> 'self'
         GROUP BY a.competency_id, a.relationship
    ), shown AS MATERIALIZED (
        SELECT g.competency_id, g.relationship
          FROM (SELECT competency_id, relationship,
                       sum(submissions) OVER (PARTITION BY competency_id, rater_group) AS group_submissions
                  FROM group_sizes) g
         WHERE g.group_submissions >= n
    ), per_competency AS (
        SELECT a.competency_id,
               round(avg(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS average_rating,
               (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS response_count,
               round(stddev_samp(a.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS rating_stddev,
               round(avg(a.rating) FILTER (WHERE a.relationship = 'self'), 2) AS self_rating
          FROM answers a
          LEFT JOIN shown s ON s.competency_id = a.competency_id AND s.relationship = a.relationship
         GROUP BY a.competency_id
        HAVING count(s.relationship) > 0 OR bool_or(a.relationship = 'self')
    )
    SELECT c.id, c.name::text, p.average_rating, p.response_count, p.rating_stddev, p.self_rating
      FROM per_competency p
      JOIN public.competencies c ON c.id = p.competency_id
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
    WITH questions AS MATERIALIZED (
        SELECT q.id, q.competency_id, q.weight, q.scale_min, q.scale_max, q.question_type
          FROM public.feedback_questions q
         WHERE q.id IN (SELECT r.question_id FROM public.feedback_responses r
                         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id)
    ), answers AS (
        SELECT q.competency_id, r.relationship, r.submission_id, q.weight,
               100.0 * (r.rating - q.scale_min) / (q.scale_max - q.scale_min) AS percent
          FROM public.feedback_responses r
          JOIN questions q ON q.id = r.question_id
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id AND r.relationship <> 'self'
           AND r.rating IS NOT NULL AND q.question_type = 'rating' AND q.competency_id IS NOT NULL
    ), sizes AS (
        SELECT a.competency_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               public.feedback_rater_group(a.relationship, count(DISTINCT a.submission_id), n) AS rater_group
          FROM answers a
         GROUP BY a.competency_id, a.relationship
    ), shown AS MATERIALIZED (
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
           AND c.id IN (SELECT r.cycle_id FROM public.feedback_ratings r
                         WHERE r.target_user_id = p_target_user_id)
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
        ), per_competency AS (
            SELECT r.competency_id,
                   round(avg(r.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS others_average,
                   (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS others_count,
                   round(avg(r.rating) FILTER (WHERE r.relationship = 'self'), 2) AS self_rating
              FROM ratings r
              LEFT JOIN shown s ON s.competency_id = r.competency_id AND s.relationship = r.relationship
             GROUP BY r.competency_id
        )
        SELECT c.id, c.name::text, cyc.id, cyc.name::text, cyc.closed_at,
               p.others_average, p.others_count, p.self_rating
          FROM per_competency p
          JOIN public.competencies c ON c.id = p.competency_id
         ORDER BY c.name, c.id;
    END LOOP;
END
$$;

