-- Up Migration
-- Description: retention_policies: how long each kind of record is kept, seeded with the defaults
-- Date: 2026-11-25
--
-- `ikenei retention run` (ikenei.retention.run) applies every policy in one
-- transaction, each with its own query in sql/queries/retention.sql, and
-- records the counts in data_processing_log. A period may be overridden per
-- run with RETENTION_OVERRIDES=kind=days,kind=days (ikenei.settings), or
-- changed here for good with an UPDATE. The kinds are fixed: each needs its
-- query, so a new kind comes with a migration and code.

CREATE TABLE retention_policies (
    kind VARCHAR(50) PRIMARY KEY,
    period_days INTEGER NOT NULL,
    description TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT retention_policies_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT retention_policies_period_days_check CHECK (period_days > 0),
    CONSTRAINT retention_policies_description_check CHECK (btrim(description) <> '')
);

CREATE TRIGGER retention_policies_set_updated_at BEFORE UPDATE ON retention_policies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO retention_policies (kind, period_days, description) VALUES
    ('analytics_events', 395,
     'Deletes analytics events that occurred more than the period ago (13 months: a year-on-year comparison stays possible).'),
    ('audit_log', 2555,
     'Deletes audit trail entries older than the period (7 years).'),
    ('data_access_log', 730,
     'Deletes the records of who viewed a person''s results or exports that are older than the period (2 years).'),
    ('expired_feedback_invitations', 180,
     'Deletes feedback invitations that expired unanswered (status expired) and have not changed for the period; answered, declined and open invitations stay.'),
    ('data_processing_log', 3650,
     'Deletes export, erasure and retention records older than the period (10 years).'),
    ('erased_person_leftovers', 30,
     'For each person whose erasure (an erasure entry in data_processing_log) is older than the period: deletes the data access entries naming them as subject or viewer and the audit entries of their users row, clears them as actor of audit entries, and forgets their id in data_processing_log, where the salted subject_reference stays as proof of the erasure.');
