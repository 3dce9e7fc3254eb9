-- Up Migration
-- Description: Every list pages by a key through an index in the list's order: indexes for the keyset pages of the repositories' lists
-- Date: 2026-12-05
--
-- The list queries read `limit` rows after the previous page's last key
-- (see ikenei/db/pages.py): WHERE (key) > (cursor) ORDER BY key LIMIT n. An
-- index on (scope, key...) makes every page, the last as the first, a short
-- index range: no sort, no offset, nothing read that is not shown. Each index
-- below serves one list; where it extends an index of the seed's strategy
-- with the key's last columns (the unique tie-breaker), it replaces it, so
-- no two indexes lead with the same columns for the same purpose.

-- analytics.list_reports: newest first within an organization (a backward scan).
CREATE INDEX idx_reports_organization_created ON reports (organization_id, created_at, id);
DROP INDEX idx_reports_organization_status;

-- competencies.list: by name within an organization.
CREATE INDEX idx_competencies_organization_name ON competencies (organization_id, name, id)
    WHERE deleted_at IS NULL;

-- competencies.history: replaces the index without the id tie-breaker.
CREATE INDEX idx_user_competency_history_page
    ON user_competency_history (organization_id, user_id, competency_id, recorded_at, id);
DROP INDEX idx_user_competency_history_user;

-- feedback.list_forms: replaces the index without the id tie-breaker.
CREATE INDEX idx_feedback_forms_organization_created ON feedback_forms (organization_id, created_at, id)
    WHERE deleted_at IS NULL;
DROP INDEX idx_feedback_forms_organization;

-- feedback.list_cycles: newest first within an organization (a backward scan).
CREATE INDEX idx_feedback_cycles_organization_created ON feedback_cycles (organization_id, created_at, id);

-- feedback.list_cycle_invitations: by target person, relationship and
-- invitation. The seed's order by the target's name joined every invitation
-- of the cycle to users and sorted them for each page; the names stay in the
-- rows, the order comes from the invitation. Plain columns only: under
-- row-level security a key made by a function that is not LEAKPROOF (only a
-- superuser may mark one) could not be an index condition.
CREATE INDEX idx_feedback_invitations_cycle_page
    ON feedback_invitations (cycle_id, target_user_id, relationship, id);

-- feedback.due_reminders and list_pending_raters: open invitations, least
-- recently contacted first (never contacted: first of all).
CREATE INDEX idx_feedback_invitations_cycle_contact
    ON feedback_invitations (cycle_id, coalesce(last_reminded_at, sent_at, '-infinity'::timestamptz), id)
    WHERE status IN ('pending', 'started');

-- learning.list_resources: by title within an organization.
CREATE INDEX idx_learning_resources_organization_title ON learning_resources (organization_id, title, id)
    WHERE deleted_at IS NULL;

-- learning.list_plans: a member's plans, newest first.
CREATE INDEX idx_learning_plans_member_created ON learning_plans (organization_id, user_id, created_at, id)
    WHERE deleted_at IS NULL;

-- learning.list_recommendations: a member's, best score first.
CREATE INDEX idx_recommendations_member_score
    ON recommendations (organization_id, user_id, score, created_at, id);

-- nominations.list: by person, relationship, age; replaces the index that
-- led with the same three columns and then the status.
CREATE INDEX idx_feedback_nominations_cycle_page
    ON feedback_nominations (cycle_id, target_user_id, relationship, created_at, id);
DROP INDEX idx_feedback_nominations_target;

-- notifications.list: oldest queued first within an organization.
CREATE INDEX idx_notifications_organization_queued ON notifications (organization_id, queued_at, id);

-- organizations.list: replaces the index on the name alone.
CREATE INDEX idx_organizations_name ON organizations (name, id) WHERE deleted_at IS NULL;
DROP INDEX idx_organizations_active;

-- organizations.list_members: an organization's people in the order they
-- joined, through the memberships (never a walk over every user).
CREATE INDEX idx_user_organizations_joined ON user_organizations (organization_id, joined_at, user_id);

-- plan_reviews.overdue_objectives: replaces the index without the tie-breakers.
CREATE INDEX idx_learning_objectives_overdue ON learning_objectives (organization_id, due_date, plan_id, id)
    WHERE due_date IS NOT NULL AND status IN ('not_started', 'in_progress');
DROP INDEX idx_learning_objectives_due;

-- plan_templates.list: by title, whatever its case, within an organization.
CREATE INDEX idx_learning_plan_templates_organization_title
    ON learning_plan_templates (organization_id, lower(title), id) WHERE deleted_at IS NULL;

-- analytics.list_events: replaces the index without the id tie-breaker,
-- keeping what it includes for the counts by day (see 20261205_110200).
CREATE INDEX idx_analytics_events_organization_page ON analytics_events (organization_id, occurred_at, id)
    INCLUDE (event_type);
DROP INDEX idx_analytics_events_organization_time;

-- privacy.list_audit and list_access inside an organization, newest first.
CREATE INDEX idx_audit_log_organization ON audit_log (organization_id, id);
CREATE INDEX idx_data_access_log_organization ON data_access_log (organization_id, id);

-- privacy.list_consents: replaces the index without the id tie-breaker.
CREATE INDEX idx_user_consents_person ON user_consents (user_id, granted_at, id);
DROP INDEX idx_user_consents_user;

-- roles.list_assignments: a role's assignments, oldest first.
CREATE INDEX idx_user_roles_role_granted ON user_roles (organization_id, role_id, granted_at, id);
