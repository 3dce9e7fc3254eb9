-- Rater nomination with approval (ikenei/repositories/nominations.py): the
-- counts per relationship a cycle allows, nominations and their decisions.
-- The rules are checked by nominate_feedback_rater() and
-- decide_feedback_nomination() (migration 20261204_150000), which lock
-- before they count or decide, so racing callers cannot both pass.

-- name: set_feedback_nomination_rule(cycle_id, relationship, min_raters, max_raters)^
-- Sets the fewest and most raters of one relationship a person may have in a draft or active cycle; nothing if the cycle is absent or over.
INSERT INTO feedback_nomination_rules (organization_id, cycle_id, relationship, min_raters, max_raters)
SELECT c.organization_id, c.id, :relationship::text, :min_raters::smallint, :max_raters::smallint
  FROM feedback_cycles c
 WHERE c.id = :cycle_id AND c.status IN ('draft', 'active')
ON CONFLICT (cycle_id, relationship) DO UPDATE
   SET min_raters = EXCLUDED.min_raters, max_raters = EXCLUDED.max_raters
RETURNING cycle_id, relationship, min_raters, max_raters;

-- name: list_feedback_nomination_rules(cycle_id)
-- The nomination rules of a cycle, in the fixed order of relationships.
SELECT cycle_id, relationship, min_raters, max_raters
  FROM feedback_nomination_rules
 WHERE cycle_id = :cycle_id
 ORDER BY array_position(ARRAY['manager', 'peer', 'direct_report', 'external']::text[], relationship::text);

-- name: nominate_feedback_rater(cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name, nominated_by)^
-- Proposes one rater for a person (see nominate_feedback_rater()); returns the nomination.
SELECT id, organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name,
       status, nominated_by, decided_by, decision_reason, decided_at, invitation_id, created_at, updated_at
  FROM nominate_feedback_rater(:cycle_id, :target_user_id, :relationship, :rater_user_id, :rater_email,
                               :rater_name, :nominated_by);

-- name: decide_feedback_nomination(nomination_id, approve, decided_by, reason, access_token_hash, token_expires_at)^
-- Approves (inviting the rater) or rejects a proposed nomination (see decide_feedback_nomination()); returns it.
SELECT id, organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name,
       status, nominated_by, decided_by, decision_reason, decided_at, invitation_id, created_at, updated_at
  FROM decide_feedback_nomination(:nomination_id, :approve, :decided_by, :reason, :access_token_hash::bytea,
                                  :token_expires_at::timestamptz);

-- name: withdraw_feedback_nomination(nomination_id)^
-- Withdraws a proposed nomination; nothing if absent or no longer proposed.
UPDATE feedback_nominations SET status = 'withdrawn'
 WHERE id = :nomination_id AND status = 'proposed'
RETURNING id, organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name,
          status, nominated_by, decided_by, decision_reason, decided_at, invitation_id, created_at, updated_at;

-- name: get_feedback_nomination_status(nomination_id)$
-- The status of a nomination, or nothing if absent: why a guarded change did not happen.
SELECT status FROM feedback_nominations WHERE id = :nomination_id;

-- name: get_feedback_nomination(nomination_id)^
-- One nomination by id, or nothing.
SELECT id, organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name,
       status, nominated_by, decided_by, decision_reason, decided_at, invitation_id, created_at, updated_at
  FROM feedback_nominations
 WHERE id = :nomination_id;

-- name: list_feedback_nominations(cycle_id, target_user_id, status, after_target_user_id, after_relationship, after_created_at, after_id, limit)
-- A page of a cycle's nominations by person, relationship and age; target_user_id / status NULL do not filter.
SELECT id, organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name,
       status, nominated_by, decided_by, decision_reason, decided_at, invitation_id, created_at, updated_at
  FROM feedback_nominations
 WHERE cycle_id = :cycle_id
   AND organization_id = (SELECT c.organization_id FROM feedback_cycles c WHERE c.id = :cycle_id)
   AND (:target_user_id::uuid IS NULL OR target_user_id = :target_user_id)
   AND (:status::text IS NULL OR status = :status)
   AND (target_user_id, relationship, created_at, id)
       > (coalesce(:after_target_user_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(:after_relationship::text, ''),
          coalesce(:after_created_at::timestamptz, '-infinity'), coalesce(:after_id::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
 ORDER BY target_user_id, relationship, created_at, id
 LIMIT :limit;

-- name: get_feedback_nomination_summary(cycle_id, target_user_id)
-- Per relationship the cycle has a rule for: its counts, how many of a person's
-- nominations are proposed, approved and rejected, and how many approvals are
-- still missing to reach the minimum.
SELECT r.relationship, r.min_raters, r.max_raters,
       (count(n.id) FILTER (WHERE n.status = 'proposed'))::int AS proposed,
       (count(n.id) FILTER (WHERE n.status = 'approved'))::int AS approved,
       (count(n.id) FILTER (WHERE n.status = 'rejected'))::int AS rejected,
       greatest(0, r.min_raters - count(n.id) FILTER (WHERE n.status = 'approved'))::int AS missing
  FROM feedback_nomination_rules r
  LEFT JOIN feedback_nominations n
         ON n.cycle_id = r.cycle_id AND n.relationship = r.relationship AND n.target_user_id = :target_user_id
 WHERE r.cycle_id = :cycle_id
 GROUP BY r.relationship, r.min_raters, r.max_raters
 ORDER BY array_position(ARRAY['manager', 'peer', 'direct_report', 'external']::text[], r.relationship::text);
