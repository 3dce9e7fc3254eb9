-- Down Migration
-- Description: The cycle's list indexes without organization_id

DROP INDEX idx_feedback_nominations_cycle_page;
CREATE INDEX idx_feedback_nominations_cycle_page
    ON feedback_nominations (cycle_id, target_user_id, relationship, created_at, id);

DROP INDEX idx_feedback_invitations_cycle_contact;
CREATE INDEX idx_feedback_invitations_cycle_contact
    ON feedback_invitations (cycle_id, coalesce(last_reminded_at, sent_at, '-infinity'::timestamptz), id)
    WHERE status IN ('pending', 'started');

DROP INDEX idx_feedback_invitations_cycle_page;
CREATE INDEX idx_feedback_invitations_cycle_page
    ON feedback_invitations (cycle_id, target_user_id, relationship, id);
