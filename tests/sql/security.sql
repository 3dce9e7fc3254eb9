-- Test-only statements of the security tests: what an attacker working as
-- ikenei_app would run by hand in a scoped transaction. Each is expected to
-- be refused or to find nothing.

-- name: organization_of_access_token_exists()$
-- Whether the function that opened a token's organization is still there.
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'organization_of_access_token');

-- name: set_invitation_status(invitation_id, status)!
-- Moves an invitation to completed or declined by hand, with the time its status needs.
UPDATE feedback_invitations
   SET status = :status::text,
       completed_at = CASE WHEN :status::text = 'completed' THEN now() END,
       declined_at = CASE WHEN :status::text = 'declined' THEN now() END
 WHERE id = :invitation_id;
