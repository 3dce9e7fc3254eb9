-- Test-only queries for the audit, privacy and retention tests: what the
-- repositories deliberately cannot do (tamper with the logs, write rows dated
-- in the past, hard-delete a person, look at the catalog).

-- name: count_privacy_rows()^
-- How many rows each log and the consents hold.
SELECT (SELECT count(*) FROM audit_log)::int AS audit_log,
       (SELECT count(*) FROM data_access_log)::int AS data_access_log,
       (SELECT count(*) FROM data_processing_log)::int AS data_processing_log,
       (SELECT count(*) FROM user_consents)::int AS user_consents;

-- name: list_audited_tables()
-- The tables whose inserts, updates and deletes audit_row_change() records, by name.
SELECT c.relname::text
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE p.proname = 'audit_row_change' AND NOT t.tgisinternal
 GROUP BY c.relname
HAVING bit_or(t.tgtype::int & (4 | 8 | 16)) = (4 | 8 | 16)
 ORDER BY 1;

-- name: audit_function_is_definer()^
-- Whether audit_row_change runs as its owner, and its fixed settings.
SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'audit_row_change';

-- name: audit_log_mentions(text)$
-- Whether any audit entry, in any column, holds this text.
SELECT EXISTS (SELECT 1 FROM audit_log l WHERE position(:text::text IN l::text) > 0);

-- name: hard_delete_user(user_id)!
-- Deletes a person for good (as an erasure would), cascading to their rows.
DELETE FROM users WHERE id = :user_id;

-- name: insert_user_as_is(email)$
-- A user written by plain SQL (no repository), for the application-role test; its id.
INSERT INTO users (email, password_hash, first_name, last_name)
VALUES (:email, '$2b$04$' || repeat('a', 53), 'Limited', 'Writer')
RETURNING id;

-- name: tamper_audit_actor()!
-- Tries to rewrite who did everything in the audit trail.
UPDATE audit_log SET actor = 'someone else';

-- name: delete_audit_rows()!
-- Tries to delete the audit trail.
DELETE FROM audit_log;

-- name: truncate_audit_log()!
-- Tries to empty the audit trail at once.
TRUNCATE audit_log;

-- name: delete_access_rows()!
-- Tries to delete the logged reads.
DELETE FROM data_access_log;

-- name: tamper_access_actor()!
-- Tries to rewrite who read what.
UPDATE data_access_log SET actor = 'someone else';

-- name: delete_processing_rows()!
-- Tries to delete the data-processing log.
DELETE FROM data_processing_log;

-- name: tamper_processing_details()!
-- Tries to rewrite what a processing entry says.
UPDATE data_processing_log SET details = '{"rows": 0}';

-- name: enable_retention_purge_here()$
-- What the retention run does: allows this transaction to change the logs.
SELECT set_config('ikenei.retention', 'on', true);

-- name: current_actor()$
-- The actor the audit trail would record now ('' or NULL when none).
SELECT current_setting('ikenei.actor', true);

-- name: become_app_role_signing_up(email)$
-- Acts as the application's role, in the scope of a person signing up with this email, until the end of the transaction.
SELECT set_config('role', 'ikenei_app', true), set_config('ikenei.user_email', :email, true);

-- name: insert_audit_row_directly()!
-- Tries to forge an audit entry by hand.
INSERT INTO audit_log (table_name, row_id, action, changed_columns) VALUES ('users', 'x', 'INSERT', '{}');

-- name: update_audit_rows_directly()!
-- Tries to rewrite audit entries by hand.
UPDATE audit_log SET actor = 'someone else';

-- name: delete_audit_rows_directly()!
-- Tries to remove audit entries by hand.
DELETE FROM audit_log;

-- name: update_consent_granted_at(consent_id)!
-- Tries to backdate a recorded consent.
UPDATE user_consents SET granted_at = granted_at - interval '1 year' WHERE id = :consent_id;

-- name: reopen_consent(consent_id)!
-- Tries to undo the withdrawal of a consent.
UPDATE user_consents SET withdrawn_at = NULL WHERE id = :consent_id;

-- name: count_open_consents(user_id, purpose)$
-- How many open consents a person has for a purpose.
SELECT count(*)::int FROM user_consents
 WHERE user_id = :user_id AND purpose = :purpose AND withdrawn_at IS NULL;

-- Rows dated in the past, for the retention tests. `days_ago` may be fractional.

-- name: insert_old_analytics_event(organization_id, days_ago)$
-- An analytics event that occurred days_ago; its id.
INSERT INTO analytics_events (organization_id, event_type, occurred_at)
VALUES (:organization_id, 'test.event', now() - make_interval(secs => :days_ago::float8 * 86400))
RETURNING id;

-- name: insert_old_audit_entry(row_id, actor, days_ago)$
-- An audit entry of a users row written days_ago; its id.
INSERT INTO audit_log (table_name, row_id, action, changed_columns, actor, occurred_at)
VALUES ('users', :row_id::text, 'UPDATE', '{job_title}', :actor::text,
        now() - make_interval(secs => :days_ago::float8 * 86400))
RETURNING id;

-- name: insert_old_access_entry(actor, subject_user_id, days_ago)$
-- A logged read days_ago; its id.
INSERT INTO data_access_log (actor, subject_user_id, what, occurred_at)
VALUES (:actor, :subject_user_id, 'feedback_results', now() - make_interval(secs => :days_ago::float8 * 86400))
RETURNING id;

-- name: insert_old_processing_entry(operation, subject_user_id, subject_reference, days_ago)$
-- An export or erasure recorded days_ago; its id.
INSERT INTO data_processing_log (operation, subject_user_id, subject_reference, actor, occurred_at)
VALUES (:operation, :subject_user_id, :subject_reference, 'privacy-officer',
        now() - make_interval(secs => :days_ago::float8 * 86400))
RETURNING id;

-- name: insert_old_invitation(organization_id, cycle_id, target_user_id, rater_user_id, status, days_ago)$
-- A peer invitation in this status, last changed days_ago; its id.
INSERT INTO feedback_invitations (organization_id, cycle_id, target_user_id, rater_user_id, relationship,
                                  status, created_at, updated_at)
VALUES (:organization_id, :cycle_id, :target_user_id, :rater_user_id, 'peer', :status,
        now() - make_interval(secs => :days_ago::float8 * 86400 + 60),
        now() - make_interval(secs => :days_ago::float8 * 86400))
RETURNING id;

-- name: list_row_ids()
-- Every row id of the tables the retention run deletes from, as (table, id text).
SELECT 'analytics_events' AS kind, id::text AS id FROM analytics_events
UNION ALL SELECT 'audit_log', id::text FROM audit_log
UNION ALL SELECT 'data_access_log', id::text FROM data_access_log
UNION ALL SELECT 'data_processing_log', id::text FROM data_processing_log
UNION ALL SELECT 'feedback_invitations', id::text FROM feedback_invitations
ORDER BY 1, 2;

-- name: get_processing_subject(entry_id)^
-- The subject id and reference a processing entry keeps now.
SELECT subject_user_id, subject_reference FROM data_processing_log WHERE id = :entry_id;

-- name: get_audit_actor(entry_id)$
-- The actor an audit entry records now.
SELECT actor FROM audit_log WHERE id = :entry_id;

-- name: delete_retention_policy(kind)!
-- Removes a policy, to see a run refuse to guess its period.
DELETE FROM retention_policies WHERE kind = :kind;

-- name: list_feedback_row_times(organization_id)$
-- The distinct times the answers and ratings of an organization keep.
SELECT array_agg(DISTINCT t ORDER BY t) FROM (
    SELECT created_at AS t FROM feedback_responses WHERE organization_id = :organization_id
    UNION ALL
    SELECT created_at FROM feedback_ratings WHERE organization_id = :organization_id) AS times;
