-- The two "Complex Queries" of the specification (database-layer README,
-- section "Query Optimization"), each copied character for character below
-- its "-- name:" line: the seed data must give them meaningful rows.
-- $1 and $2 are positional parameters, bound natively by asyncpg; the test
-- reads each query up to the next "-- name:" line and runs it unchanged.

-- name: feedback_analysis
-- Get aggregated feedback scores for a user
SELECT 
    c.name as competency_name,
    AVG(fr.rating) as average_rating,
    COUNT(fr.id) as response_count,
    STDDEV(fr.rating) as rating_variance
FROM feedback_responses fr
JOIN feedback_questions fq ON fr.question_id = fq.id
JOIN competencies c ON fq.competency_id = c.id
WHERE fr.target_user_id = $1
    AND fr.cycle_id = $2
GROUP BY c.id, c.name
ORDER BY average_rating DESC;

-- name: learning_progress
-- Get user's learning progress summary
SELECT 
    lp.title as plan_title,
    COUNT(lo.id) as total_objectives,
    COUNT(CASE WHEN lo.status = 'completed' THEN 1 END) as completed_objectives,
    ROUND(
        COUNT(CASE WHEN lo.status = 'completed' THEN 1 END) * 100.0 / COUNT(lo.id), 
        2
    ) as completion_percentage
FROM learning_plans lp
LEFT JOIN learning_objectives lo ON lp.id = lo.plan_id
WHERE lp.user_id = $1
    AND lp.status = 'active'
GROUP BY lp.id, lp.title;
