-- Test-only statements of the result index tests: the plans of the statements
-- the result functions run inside (auto_explain), under the application role.

-- name: load_auto_explain()!
-- Loads auto_explain into this session (superuser only).
LOAD 'auto_explain';

-- name: explain_nested_statements()$
-- Logs the plan of every statement, nested ones included, as JSON, to the client.
SELECT set_config('auto_explain.log_min_duration', '0', false),
       set_config('auto_explain.log_nested_statements', 'on', false),
       set_config('auto_explain.log_format', 'json', false),
       set_config('client_min_messages', 'log', false);

-- name: avoid_sequential_scans()$
-- For this transaction: a table of a few rows is still read the way a large one is.
SELECT set_config('enable_seqscan', 'off', true);

-- name: act_as_application(organization_id)$
-- For this transaction: the application role, in this organization's maintenance scope.
SELECT set_config('role', 'ikenei_app', true),
       set_config('ikenei.organization_id', :organization_id::uuid::text, true);

-- name: analysis_of(target_user_id, cycle_id)
-- The analysis, as the repository reads it.
SELECT competency_id FROM feedback_analysis(:target_user_id::uuid, :cycle_id::uuid);

-- name: vacuum_answers_and_invitations()!
-- Marks the pages of answers and invitations all-visible, as autovacuum would, so that an index-only scan can be chosen.
VACUUM (ANALYZE) feedback_responses, feedback_invitations;

-- name: analyse_nested_statements()$
-- As explain_nested_statements, with each node's actual rows and loops.
SELECT set_config('auto_explain.log_min_duration', '0', false),
       set_config('auto_explain.log_nested_statements', 'on', false),
       set_config('auto_explain.log_analyze', 'on', false),
       set_config('auto_explain.log_format', 'json', false),
       set_config('client_min_messages', 'log', false);

-- name: question_results_of(target_user_id, cycle_id)
-- The results per question, as the repository reads them.
SELECT question_id FROM feedback_question_results(:target_user_id::uuid, :cycle_id::uuid);

-- name: blind_spots_of(target_user_id, cycle_id)
-- The blind spots, as the repository reads them.
SELECT competency_id FROM feedback_blind_spots(:target_user_id::uuid, :cycle_id::uuid);

-- name: vacuum_events()!
-- Marks the pages of events all-visible, as autovacuum would.
VACUUM (ANALYZE) analytics_events;

-- name: trend_of(target_user_id)
-- The trend, as the repository reads it.
SELECT competency_id FROM feedback_trend(:target_user_id::uuid);

-- name: results_by_group_of(target_user_id, cycle_id)
-- The results by rater group, as the repository reads them.
SELECT competency_id FROM feedback_results_by_group(:target_user_id::uuid, :cycle_id::uuid);

-- name: heatmap_of(cycle_id)
-- The heatmap by team, as the repository reads it.
SELECT competency_id FROM feedback_heatmap(:cycle_id::uuid, 'team');

-- name: weighted_score_of(target_user_id, cycle_id)
-- The weighted score, as the repository reads it.
SELECT competency_id FROM feedback_weighted_score(:target_user_id::uuid, :cycle_id::uuid);
