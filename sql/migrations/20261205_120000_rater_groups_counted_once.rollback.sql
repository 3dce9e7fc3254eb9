-- Down Migration
-- Description: The results functions of 20261205_100000 again (shown inlined)

CREATE OR REPLACE FUNCTION feedback_question_results(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (question_id UUID, "position" SMALLINT, question_text TEXT, question_type TEXT, answer_count INT,
               average_rating NUMERIC, nps_score NUMERIC, distribution JSONB)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.question_results');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT r.question_id, r.relationship, r.submission_id, r.rating, r.option_ids
          FROM public.feedback_responses r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id AND r.relationship <> 'self'
           AND (r.rating IS NOT NULL OR r.option_ids IS NOT NULL)
    ), group_sizes AS (
        SELECT a.question_id, a.relationship, count(DISTINCT a.submission_id) AS submissions,
               public.feedback_rater_group(a.relationship, count(DISTINCT a.submission_id), n) AS rater_group
          FROM answers a
         GROUP BY a.question_id, a.relationship
    ), shown AS (
        SELECT g.question_id, g.relationship
          FROM (SELECT s.question_id, s.relationship,
                       sum(s.submissions) OVER (PARTITION BY s.question_id, s.rater_group) AS group_submissions
                  FROM group_sizes s) g
         WHERE g.group_submissions >= n
    ), kept AS (
        SELECT a.question_id, a.submission_id, a.rating, a.option_ids
          FROM answers a JOIN shown s ON s.question_id = a.question_id AND s.relationship = a.relationship
    ), per_question AS (
        SELECT k.question_id, count(DISTINCT k.submission_id)::int AS answer_count,
               round(avg(k.rating), 2) AS average_rating,
               count(*) FILTER (WHERE k.rating >= 9) AS promoters,
               count(*) FILTER (WHERE k.rating BETWEEN 7 AND 8) AS passives,
               count(*) FILTER (WHERE k.rating <= 6) AS detractors,
               count(k.rating) AS rated
          FROM kept k
         GROUP BY k.question_id
    ), per_option AS (
        SELECT k.question_id, chosen.option_id, count(*)::int AS chosen_count
          FROM kept k CROSS JOIN unnest(k.option_ids) AS chosen(option_id)
         GROUP BY k.question_id, chosen.option_id
    )
    SELECT q.id, q.position, q.question_text::text, q.question_type::text, coalesce(p.answer_count, 0),
           p.average_rating,
           CASE WHEN q.question_type = 'nps' AND p.rated > 0
                THEN round(100.0 * (p.promoters - p.detractors) / p.rated, 1) END,
           CASE WHEN q.question_type = 'nps' THEN
                    jsonb_build_array(
                        jsonb_build_object('option_id', NULL, 'label', 'detractors', 'count', coalesce(p.detractors, 0)),
                        jsonb_build_object('option_id', NULL, 'label', 'passives', 'count', coalesce(p.passives, 0)),
                        jsonb_build_object('option_id', NULL, 'label', 'promoters', 'count', coalesce(p.promoters, 0)))
                ELSE coalesce((SELECT jsonb_agg(jsonb_build_object('option_id', o.id, 'label', o.label,
                                                                   'count', coalesce(po.chosen_count, 0))
                                                ORDER BY o.position)
                                 FROM public.feedback_question_options o
                                 LEFT JOIN per_option po ON po.question_id = o.question_id AND po.option_id = o.id
                                WHERE o.question_id = q.id), '[]'::jsonb) END
      FROM public.feedback_cycles c
      JOIN public.feedback_questions q ON q.form_id = c.form_id AND q.question_type <> 'text'
      LEFT JOIN per_question p ON p.question_id = q.id
     WHERE c.id = p_cycle_id
     ORDER BY q.position;
END
$$;

CREATE OR REPLACE FUNCTION feedback_blind_spots(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (competency_id UUID, competency_name TEXT, self_rating NUMERIC, others_average NUMERIC,
               others_count INT, gap NUMERIC, margin NUMERIC, classification TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    cyc RECORD;
    n smallint;
BEGIN
    SELECT c.status, coalesce((f.settings ->> 'blind_spot_margin')::numeric, 1) AS margin INTO cyc
      FROM public.feedback_cycles c JOIN public.feedback_forms f ON f.id = c.form_id
     WHERE c.id = p_cycle_id;
    IF FOUND AND cyc.status <> 'closed' THEN
        RAISE EXCEPTION 'feedback cycle % is %: blind spots need a closed cycle', p_cycle_id, cyc.status
            USING ERRCODE = 'IK409', DETAIL = cyc.status, TABLE = 'feedback_cycles';
    END IF;
    n := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.blind_spots');
    IF n IS NULL THEN
        RAISE EXCEPTION 'feedback cycle % not found', p_cycle_id
            USING ERRCODE = 'IK404', DETAIL = p_cycle_id::text, TABLE = 'feedback_cycles';
    END IF;
    RETURN QUERY
    WITH ratings AS (
        SELECT r.competency_id, r.relationship, r.rating
          FROM public.feedback_ratings r
         WHERE r.cycle_id = p_cycle_id AND r.target_user_id = p_target_user_id
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
    ), sides AS (
        SELECT r.competency_id,
               round(avg(r.rating) FILTER (WHERE r.relationship = 'self'), 2) AS self_rating,
               round(avg(r.rating) FILTER (WHERE s.relationship IS NOT NULL), 2) AS others_average,
               (count(*) FILTER (WHERE s.relationship IS NOT NULL))::int AS others_count
          FROM ratings r
          LEFT JOIN shown s ON s.competency_id = r.competency_id AND s.relationship = r.relationship
         GROUP BY r.competency_id
    )
    SELECT c.id, c.name::text, d.self_rating, d.others_average, d.others_count,
           d.self_rating - d.others_average, cyc.margin,
           CASE WHEN d.self_rating IS NULL OR d.others_average IS NULL THEN 'unknown'
                WHEN d.self_rating - d.others_average >= cyc.margin THEN 'blind_spot'
                WHEN d.others_average - d.self_rating >= cyc.margin THEN 'hidden_strength'
                ELSE 'aligned' END
      FROM sides d
      JOIN public.competencies c ON c.id = d.competency_id
     ORDER BY c.name, c.id;
END
$$;
