-- Down Migration
-- Description: The results functions write the rater-group rule and order out again; the two functions go

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
               CASE WHEN count(DISTINCT a.submission_id) >= n THEN a.relationship ELSE 'others' END AS rater_group
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
               CASE WHEN r.relationship = 'self' OR count(*) >= n THEN r.relationship ELSE 'others' END AS rater_group
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
              array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                             p.rater_group::text);
END
$$;

CREATE OR REPLACE FUNCTION feedback_comments(p_target_user_id UUID, p_cycle_id UUID)
RETURNS TABLE (question_id UUID, question_position SMALLINT, question_text TEXT, competency_id UUID,
               rater_group TEXT, response_id UUID, comment_ciphertext BYTEA, comment_key_id TEXT,
               comment TEXT)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n smallint := public.open_feedback_results(p_target_user_id, p_cycle_id, 'feedback.comments');
BEGIN
    IF n IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH answers AS (
        SELECT r.id, r.question_id, r.relationship, r.submission_id, r.comment, r.comment_ciphertext,
               r.comment_key_id
          FROM public.feedback_responses r
         WHERE r.target_user_id = p_target_user_id AND r.cycle_id = p_cycle_id
    ), group_sizes AS (
        SELECT a.relationship, count(DISTINCT a.submission_id) AS submissions,
               CASE WHEN a.relationship = 'self' OR count(DISTINCT a.submission_id) >= n
                    THEN a.relationship ELSE 'others' END AS rater_group
          FROM answers a
         GROUP BY a.relationship
    ), shown AS (
        SELECT g.relationship, g.rater_group
          FROM (SELECT relationship, rater_group,
                       sum(submissions) OVER (PARTITION BY rater_group) AS group_submissions
                  FROM group_sizes) g
         WHERE g.rater_group = 'self' OR g.group_submissions >= n
    )
    SELECT q.id, q.position, q.question_text, q.competency_id, s.rater_group::text, a.id,
           a.comment_ciphertext, a.comment_key_id, a.comment
      FROM answers a
      JOIN shown s ON s.relationship = a.relationship
      JOIN public.feedback_questions q ON q.id = a.question_id
     WHERE a.comment_ciphertext IS NOT NULL OR a.comment IS NOT NULL
     ORDER BY q.position, q.id,
              array_position(ARRAY['self', 'manager', 'peer', 'direct_report', 'external', 'others']::text[],
                             s.rater_group::text),
              a.id;
END
$$;

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
               CASE WHEN count(DISTINCT a.submission_id) >= n THEN a.relationship ELSE 'others' END AS rater_group
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
                   CASE WHEN count(*) >= n THEN r.relationship ELSE 'others' END AS rater_group
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
               CASE WHEN count(*) >= n THEN r.relationship ELSE 'others' END AS rater_group
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
               CASE WHEN count(DISTINCT a.submission_id) >= n THEN a.relationship ELSE 'others' END AS rater_group
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

CREATE OR REPLACE FUNCTION feedback_heatmap(p_cycle_id UUID, p_by TEXT)
RETURNS TABLE (competency_id UUID, competency_name TEXT, group_key TEXT, group_label TEXT,
               people_count INTEGER, submission_count INTEGER, average_rating NUMERIC, suppressed BOOLEAN)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    threshold INTEGER;
    comps UUID[];
    names TEXT[];
    keys TEXT[];
    labels TEXT[];
    counts INTEGER[];
    people INTEGER[];
    averages NUMERIC[];
    hidden BOOLEAN[];
    changed BOOLEAN;
    line RECORD;
    pick INTEGER;
BEGIN
    IF p_by IS NULL OR p_by NOT IN ('team', 'department') THEN
        RAISE EXCEPTION 'a heatmap is by team or by department, not %', coalesce(p_by, 'null')
            USING ERRCODE = 'IK422', COLUMN = 'by';
    END IF;
    threshold := public.open_feedback_results(NULL, p_cycle_id, 'feedback.heatmap');
    IF threshold IS NULL THEN
        RAISE EXCEPTION 'feedback cycle % not found', p_cycle_id
            USING ERRCODE = 'IK404', DETAIL = p_cycle_id::text, TABLE = 'feedback_cycles';
    END IF;

    WITH ratings AS (
        SELECT r.target_user_id, r.competency_id, r.relationship, r.rating
          FROM feedback_ratings r
         WHERE r.cycle_id = p_cycle_id AND r.relationship <> 'self'
    ), sizes AS (
        SELECT r.target_user_id, r.competency_id, r.relationship, count(*) AS submissions,
               CASE WHEN count(*) >= threshold THEN r.relationship ELSE 'others' END AS rater_group
          FROM ratings r
         GROUP BY r.target_user_id, r.competency_id, r.relationship
    ), shown AS (
        SELECT g.target_user_id, g.competency_id, g.relationship
          FROM (SELECT s.*, sum(s.submissions) OVER (PARTITION BY s.target_user_id, s.competency_id, s.rater_group)
                            AS group_submissions
                  FROM sizes s) g
         WHERE g.group_submissions >= threshold
    ), placed AS (
        SELECT r.competency_id, r.target_user_id, r.rating,
               CASE WHEN p_by = 'team' THEN coalesce(u.manager_id::text, 'none')
                    ELSE coalesce(lower(btrim(u.department)), 'none') END AS key,
               CASE WHEN p_by = 'team' THEN coalesce(m.first_name || ' ' || m.last_name, 'no manager')
                    ELSE coalesce(btrim(u.department), 'no department') END AS label
          FROM ratings r
          JOIN shown s ON s.target_user_id = r.target_user_id AND s.competency_id = r.competency_id
                      AND s.relationship = r.relationship
          JOIN users u ON u.id = r.target_user_id
          LEFT JOIN users m ON m.id = u.manager_id
    ), cells AS (
        SELECT p.competency_id, c.name::text AS competency_name, p.key, min(p.label) AS label,
               count(*)::int AS n, count(DISTINCT p.target_user_id)::int AS people,
               round(avg(p.rating), 2) AS average
          FROM placed p JOIN competencies c ON c.id = p.competency_id
         GROUP BY p.competency_id, c.name, p.key
    )
    SELECT array_agg(x.competency_id ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.competency_name ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.key ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.label ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.n ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.people ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.average ORDER BY x.competency_name, x.competency_id, x.label, x.key),
           array_agg(x.n < threshold OR x.people < threshold
                     ORDER BY x.competency_name, x.competency_id, x.label, x.key)
      INTO comps, names, keys, labels, counts, people, averages, hidden
      FROM cells x;
    IF comps IS NULL THEN
        RETURN;
    END IF;

    -- Complementary suppression: a row (competency) or column (group) with
    -- exactly one hidden cell among several hides its smallest shown cell too.
    LOOP
        changed := false;
        FOR line IN
            SELECT 'row' AS kind, comps[i]::text AS line_key FROM generate_subscripts(comps, 1) AS i
            UNION
            SELECT 'column', keys[i] FROM generate_subscripts(keys, 1) AS i
        LOOP
            IF (SELECT count(*) FILTER (WHERE hidden[i]) = 1 AND count(*) > 1
                  FROM generate_subscripts(comps, 1) AS i
                 WHERE CASE WHEN line.kind = 'row' THEN comps[i]::text ELSE keys[i] END = line.line_key) THEN
                SELECT i INTO pick
                  FROM generate_subscripts(comps, 1) AS i
                 WHERE CASE WHEN line.kind = 'row' THEN comps[i]::text ELSE keys[i] END = line.line_key
                   AND NOT hidden[i]
                 ORDER BY people[i], counts[i], i
                 LIMIT 1;
                hidden[pick] := true;
                changed := true;
            END IF;
        END LOOP;
        EXIT WHEN NOT changed;
    END LOOP;

    RETURN QUERY
        SELECT comps[i], names[i], keys[i], labels[i],
               CASE WHEN hidden[i] THEN NULL ELSE people[i] END,
               CASE WHEN hidden[i] THEN NULL ELSE counts[i] END,
               CASE WHEN hidden[i] THEN NULL ELSE averages[i] END,
               hidden[i]
          FROM generate_subscripts(comps, 1) AS i
         ORDER BY i;
END
$$;

DROP FUNCTION feedback_rater_group_rank(TEXT);
DROP FUNCTION feedback_rater_group(TEXT, BIGINT, INTEGER, BOOLEAN);
