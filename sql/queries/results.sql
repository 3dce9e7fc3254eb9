-- Results across cycles and people (ikenei/repositories/results.py): a
-- person's trend over closed cycles, the team or department heatmap of a
-- cycle, blind spots and hidden strengths, and the weighted score. Each is a
-- function of the schema (migration 20261204_155000) that reads the answers
-- as its owner after open_feedback_results (the reader's organization, an
-- anonymous form's cycle closed, the read logged in data_access_log), and
-- counts only the ratings by others that results by group shows (a rater
-- group below the form's threshold folded into "others", dropped while still
-- too small; self apart), so no result can be subtracted from another to
-- uncover a hidden group.

-- name: get_feedback_trend(target_user_id)
-- Per closed cycle the person was rated in (oldest first) and competency (by
-- name): others' average and how many submissions it holds (NULL and 0 while
-- too few are shown), and the person's own rating.
SELECT competency_id, competency_name, cycle_id, cycle_name, closed_at, others_average, others_count, self_rating
  FROM feedback_trend(:target_user_id);

-- name: get_feedback_heatmap(cycle_id, by)
-- The competency x team (by = 'team') or x department table of a cycle, one
-- row per cell, suppressed cells without counts or average (see feedback_heatmap()).
SELECT competency_id, competency_name, group_key, group_label, people_count, submission_count, average_rating,
       suppressed
  FROM feedback_heatmap(:cycle_id, :by);

-- name: get_feedback_blind_spots(target_user_id, cycle_id)
-- For a closed cycle, per competency: own rating, others' average (NULL while
-- hidden), gap (self minus others), the form's margin and the classification
-- (blind_spot, hidden_strength, aligned, unknown); see feedback_blind_spots().
SELECT competency_id, competency_name, self_rating, others_average, others_count, gap, margin, classification
  FROM feedback_blind_spots(:target_user_id, :cycle_id);

-- name: get_feedback_weighted_score(target_user_id, cycle_id)
-- Per competency: weight, question-weighted % of scale, answers counted, and
-- on every row the competency-weighted overall score (see feedback_weighted_score()).
SELECT competency_id, competency_name, weight, weighted_percent, answer_count, overall_score
  FROM feedback_weighted_score(:target_user_id, :cycle_id);
