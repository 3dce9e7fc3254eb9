-- Test-only queries for the feedback tests: what the repositories deliberately
-- cannot do (count raw rows, read what is stored beside an answer or a token,
-- make a competency without depending on the competencies module's API).

-- name: insert_test_competency(organization_id, name)$
-- A competency of an organization; its id.
INSERT INTO competencies (organization_id, name) VALUES (:organization_id, :name) RETURNING id;

-- name: count_feedback_rows()^
-- How many answers, competency ratings and completed invitations exist.
SELECT (SELECT count(*) FROM feedback_responses)::int AS responses,
       (SELECT count(*) FROM feedback_ratings)::int AS ratings,
       (SELECT count(*) FROM feedback_invitations WHERE status = 'completed')::int AS completed;

-- name: get_stored_token_hash(invitation_id)$
-- The stored digest of an invitation's access token.
SELECT access_token_hash FROM feedback_invitations WHERE id = :invitation_id;

-- name: invitation_row_mentions(invitation_id, text)$
-- Whether any column of the invitation's row holds this text.
SELECT position(:text::text IN i::text) > 0 FROM feedback_invitations i WHERE i.id = :invitation_id;

-- name: list_stored_answer_links(submission_id)
-- What the answers and ratings of a submission keep beside the answer: the
-- invitation they name and the time they were written at.
SELECT 'response' AS kind, invitation_id, created_at FROM feedback_responses WHERE submission_id = :submission_id
UNION ALL
SELECT 'rating', invitation_id, created_at FROM feedback_ratings WHERE submission_id = :submission_id
ORDER BY 1;

-- name: list_submission_ratings(submission_id)
-- The competency ratings a submission wrote, by competency id.
SELECT competency_id, relationship, rating, answer_count
  FROM feedback_ratings WHERE submission_id = :submission_id ORDER BY competency_id;

-- name: count_lock_waiters()$
-- How many sessions of this database are waiting for a lock.
SELECT count(*)::int FROM pg_stat_activity
 WHERE datname = current_database() AND wait_event_type = 'Lock';

-- name: current_role()$
-- The role the session works as.
SELECT current_user::text;
