-- Test-only queries for the learning tests: what the repositories deliberately
-- cannot do (count raw rows, move a status past the guarded queries, see who
-- waits for a lock).

-- name: count_learning_rows()^
-- How many plans (soft-deleted ones included), objectives and progress entries exist.
SELECT (SELECT count(*) FROM learning_plans)::int AS plans,
       (SELECT count(*) FROM learning_objectives)::int AS objectives,
       (SELECT count(*) FROM learning_progress)::int AS progress;

-- name: force_learning_plan_status(plan_id, status)!
-- Sets a plan's status directly, past the guarded queries: only the database's trigger decides.
UPDATE learning_plans
   SET status = :status::text,
       actual_completion_date = CASE WHEN :status::text = 'completed' THEN current_date END
 WHERE id = :plan_id;

-- name: count_lock_waiters()$
-- How many sessions of this database are waiting for a lock.
SELECT count(*)::int FROM pg_stat_activity
 WHERE datname = current_database() AND wait_event_type = 'Lock';
