-- Up Migration
-- Description: The trend looks up the closed cycles of the person's own ratings by key, not by reading every closed cycle of the server
-- Date: 2026-12-05
--
-- 20261205_126000 took the trend's cycles "from the person's own ratings" with
-- `c.status = 'closed' AND c.id IN (the person's cycles)`, but the planner
-- still starts from the cycles when it expects few of them: at 40 cycles it
-- probed the person's ratings once per closed cycle of the server, at 400 it
-- read every closed cycle into a hash (both grew with the server, not with
-- the person). The person's cycles now come from their ratings (the index on
-- target and cycle), and each is looked up by its key beside them
-- (LATERAL ... LIMIT 1, so that no plan scans the cycles). The body is
-- otherwise that of 20261205_126000; results are unchanged.

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
          FROM (SELECT DISTINCT r.cycle_id FROM public.feedback_ratings r
                 WHERE r.target_user_id = p_target_user_id) AS mine
         CROSS JOIN LATERAL (SELECT c.id, c.name, c.closed_at FROM public.feedback_cycles c
                              WHERE c.id = mine.cycle_id AND c.status = 'closed' LIMIT 1) AS c
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
