-- Down Migration
-- Description: Results by group and the trend of 20261205_100000 again

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
    WITH ratings AS (
        SELECT r.competency_id, r.relationship, r.rating
          FROM public.feedback_ratings r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
    ), placed AS (
        SELECT r.competency_id, r.relationship,
               public.feedback_rater_group(r.relationship, count(*), n, true) AS rater_group
          FROM ratings r
         GROUP BY r.competency_id, r.relationship
    )
    SELECT r.competency_id, c.name::text, p.rater_group::text, count(*)::int, round(avg(r.rating), 2)
      FROM ratings r
      JOIN placed p ON p.competency_id = r.competency_id AND p.relationship = r.relationship
      JOIN public.competencies c ON c.id = r.competency_id
     GROUP BY r.competency_id, c.name, p.rater_group
    HAVING p.rater_group = 'self' OR count(*) >= n
     ORDER BY c.name, r.competency_id,
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
        ), shown AS (
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
