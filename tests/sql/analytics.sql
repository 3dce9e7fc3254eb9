-- Test-only queries for the analytics tests: what the repository deliberately
-- cannot do (count every row of its tables).

-- name: count_analytics_rows()^
-- How many events, reports and dashboard widgets are stored.
SELECT (SELECT count(*) FROM analytics_events)::int AS events,
       (SELECT count(*) FROM reports)::int AS reports,
       (SELECT count(*) FROM dashboard_widgets)::int AS widgets;

-- name: delete_account(user_id)!
-- Deletes a person's account outright, as erasure and retention do.
DELETE FROM users WHERE id = :user_id;
