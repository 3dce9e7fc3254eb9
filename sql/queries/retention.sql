-- The retention run (ikenei.retention): one query per policy of
-- retention_policies, each given its period in days and returning how many
-- rows it deleted (or, for erased_person_leftovers, touched). All run in one
-- transaction; now() is its start, so every policy cuts at the same instant.

-- name: enable_retention_purge()$
-- Lets this transaction, and it alone, delete old log entries (refuse_log_change).
SELECT set_config('ikenei.retention', 'on', true);

-- name: purge_analytics_events(period_days)$
-- Deletes analytics events older than the period.
WITH gone AS (
    DELETE FROM analytics_events WHERE occurred_at < now() - make_interval(days => :period_days)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: purge_audit_log(period_days)$
-- Deletes audit entries older than the period.
WITH gone AS (
    DELETE FROM audit_log WHERE occurred_at < now() - make_interval(days => :period_days)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: purge_data_access_log(period_days)$
-- Deletes logged reads older than the period.
WITH gone AS (
    DELETE FROM data_access_log WHERE occurred_at < now() - make_interval(days => :period_days)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: purge_expired_feedback_invitations(period_days)$
-- Deletes invitations that expired unanswered and have not changed for the period.
WITH gone AS (
    DELETE FROM feedback_invitations
     WHERE status = 'expired' AND updated_at < now() - make_interval(days => :period_days)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: purge_data_processing_log(period_days)$
-- Deletes data-processing entries older than the period.
WITH gone AS (
    DELETE FROM data_processing_log WHERE occurred_at < now() - make_interval(days => :period_days)
    RETURNING 1
)
SELECT count(*)::int FROM gone;

-- name: purge_erased_person_leftovers(period_days)$
-- For people erased more than the period ago: deletes the reads naming them and
-- the audit entries of their users row, clears them as audit actor, and forgets
-- their id in data_processing_log; how many rows that touched.
WITH erased AS (
    SELECT DISTINCT subject_user_id AS user_id
      FROM data_processing_log
     WHERE operation = 'erasure' AND subject_user_id IS NOT NULL
       AND occurred_at < now() - make_interval(days => :period_days)
), reads AS (
    DELETE FROM data_access_log a USING erased e
     WHERE a.subject_user_id = e.user_id OR a.actor = e.user_id::text
    RETURNING 1
), trail AS (
    DELETE FROM audit_log l USING erased e
     WHERE l.table_name = 'users' AND l.row_id = e.user_id::text
    RETURNING 1
), acted AS (
    -- Entries of other rows stay; only the erased person's name as actor goes.
    UPDATE audit_log l SET actor = NULL FROM erased e
     WHERE l.actor = e.user_id::text
       AND NOT (l.table_name = 'users' AND l.row_id = e.user_id::text)
    RETURNING 1
), forgotten AS (
    UPDATE data_processing_log p SET subject_user_id = NULL FROM erased e
     WHERE p.subject_user_id = e.user_id
    RETURNING 1
)
SELECT ((SELECT count(*) FROM reads) + (SELECT count(*) FROM trail)
        + (SELECT count(*) FROM acted) + (SELECT count(*) FROM forgotten))::int;
