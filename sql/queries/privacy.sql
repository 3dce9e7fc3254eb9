-- Privacy: the audit trail, logged reads of sensitive data, consents, the
-- data-processing log and the retention policies. The logs are append-only
-- (see the migrations 20261125_100070..100074): there are no queries to
-- change or delete their entries; only ikenei.retention removes old ones.

-- name: set_actor(actor)$
-- Names who acts in the current transaction, for the audit trail; transaction-local, so a pooled connection never keeps it.
SELECT set_config('ikenei.actor', :actor::text, true);

-- name: list_audit(table_name, row_id, organization_id, after_id, limit)
-- A page of audit entries, newest first; each NULL filter lists all.
SELECT id, table_name, row_id, organization_id, action, changed_columns, actor, occurred_at
  FROM audit_log
 WHERE (:table_name::text IS NULL OR table_name = :table_name::text)
   AND (:row_id::text IS NULL OR row_id = :row_id::text)
   AND (:organization_id::uuid IS NULL OR organization_id = :organization_id::uuid)
   AND id < coalesce(:after_id::bigint, 9223372036854775807)
 ORDER BY id DESC
 LIMIT :limit;

-- name: log_access(actor, organization_id, subject_user_id, what)^
-- Records that actor viewed what (a code: feedback_results, export, ...) of a person; returns the entry.
INSERT INTO data_access_log (actor, organization_id, subject_user_id, what)
VALUES (:actor, :organization_id, :subject_user_id, :what)
RETURNING id, actor, organization_id, subject_user_id, what, occurred_at;

-- name: list_access(subject_user_id, actor, organization_id, after_id, limit)
-- A page of logged reads, newest first; each NULL filter lists all.
SELECT id, actor, organization_id, subject_user_id, what, occurred_at
  FROM data_access_log
 WHERE (:subject_user_id::uuid IS NULL OR subject_user_id = :subject_user_id::uuid)
   AND (:actor::text IS NULL OR actor = :actor::text)
   AND (:organization_id::uuid IS NULL OR organization_id = :organization_id::uuid)
   AND id < coalesce(:after_id::bigint, 9223372036854775807)
 ORDER BY id DESC
 LIMIT :limit;

-- name: lock_consent(user_id, purpose)$
-- Makes grants and withdrawals of one person's consent to one purpose wait for
-- each other until the transaction ends, so each sees the one before it.
SELECT pg_advisory_xact_lock(hashtextextended(:user_id::uuid::text || '/' || :purpose::consent_purpose, 0));

-- name: grant_consent(user_id, purpose, consent_version)^
-- Records a person's consent to a purpose under a version of its wording; returns
-- the open consent. The version already open is returned unchanged (no new row);
-- another open version is withdrawn at the instant the new one is granted.
WITH superseded AS (
    UPDATE user_consents SET withdrawn_at = greatest(now(), granted_at)
     WHERE user_id = :user_id::uuid AND purpose = :purpose::consent_purpose
       AND withdrawn_at IS NULL AND consent_version <> :consent_version::text
    RETURNING id
)
INSERT INTO user_consents (user_id, purpose, consent_version)
-- Selecting from superseded closes the old consent before the new row meets the unique index.
SELECT :user_id::uuid, :purpose::consent_purpose, :consent_version::text
  FROM (SELECT count(*) FROM superseded) AS closed
    ON CONFLICT (user_id, purpose) WHERE withdrawn_at IS NULL
    -- The same version is already open: a no-op update returns it unchanged.
    DO UPDATE SET consent_version = excluded.consent_version
     WHERE user_consents.consent_version = excluded.consent_version
RETURNING id, user_id, purpose, consent_version, granted_at, withdrawn_at;

-- name: withdraw_consent(user_id, purpose)^
-- Withdraws a person's open consent to a purpose; returns it, or nothing if none is open.
UPDATE user_consents SET withdrawn_at = greatest(now(), granted_at)
 WHERE user_id = :user_id AND purpose = :purpose::consent_purpose AND withdrawn_at IS NULL
RETURNING id, user_id, purpose, consent_version, granted_at, withdrawn_at;

-- name: list_consents(user_id, purpose, after_granted_at, after_id, limit)
-- A page of a person's consent history, newest first; purpose NULL lists every purpose.
SELECT id, user_id, purpose, consent_version, granted_at, withdrawn_at
  FROM user_consents
 WHERE user_id = :user_id
   AND (:purpose::consent_purpose IS NULL OR purpose = :purpose::consent_purpose)
   AND (granted_at, id) < (coalesce(:after_granted_at::timestamptz, 'infinity'), coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY granted_at DESC, id DESC
 LIMIT :limit;

-- name: has_consent(user_id, purpose)$
-- Whether a person's consent to a purpose is open (granted, not withdrawn).
SELECT EXISTS (SELECT 1 FROM user_consents
                WHERE user_id = :user_id AND purpose = :purpose::consent_purpose AND withdrawn_at IS NULL);

-- name: log_processing(operation, subject_user_id, subject_reference, actor, details)^
-- Records an export, erasure or retention run; returns the entry.
INSERT INTO data_processing_log (operation, subject_user_id, subject_reference, actor, details)
VALUES (:operation, :subject_user_id, :subject_reference, :actor, coalesce(:details::jsonb, '{}'))
RETURNING id, operation, subject_user_id, subject_reference, actor, details, occurred_at;

-- name: list_processing(operation, subject_user_id, subject_reference, after_id, limit)
-- A page of the data-processing log, newest first; each NULL filter lists all.
SELECT id, operation, subject_user_id, subject_reference, actor, details, occurred_at
  FROM data_processing_log
 WHERE (:operation::text IS NULL OR operation = :operation::text)
   AND (:subject_user_id::uuid IS NULL OR subject_user_id = :subject_user_id::uuid)
   AND (:subject_reference::text IS NULL OR subject_reference = :subject_reference::text)
   AND id < coalesce(:after_id::bigint, 9223372036854775807)
 ORDER BY id DESC
 LIMIT :limit;

-- name: list_retention_policies()
-- Every retention policy, by kind.
SELECT kind, period_days, description FROM retention_policies ORDER BY kind;
