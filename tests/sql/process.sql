-- Test-only queries of the process tests (tests/process_support.py).

-- name: process_tables_digest()$
-- An md5 of every row of the tables nominations, reminders and notifications,
-- question types, evidence and plan templates and reviews write.
SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM feedback_nomination_rules t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM feedback_nominations t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM feedback_invitations t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM notifications t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM feedback_responses t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM feedback_ratings t)));

-- name: backdate_invitation_sent(invitation_id, sent_at)!
-- Moves the time an invitation was sent into the past.
UPDATE feedback_invitations SET sent_at = :sent_at WHERE id = :invitation_id;

-- name: get_stored_evidence(evidence_id)^
-- What an evidence row stores of its note and URL.
SELECT note_ciphertext, url FROM competency_evidence WHERE id = :evidence_id;

-- name: count_rows_mentioning(text)$
-- How many rows of the tables evidence and plans touch hold this text anywhere.
SELECT ((SELECT count(*) FROM competency_evidence t WHERE strpos(t::text, :text) > 0)
      + (SELECT count(*) FROM user_competency_history t WHERE strpos(t::text, :text) > 0)
      + (SELECT count(*) FROM audit_log t WHERE strpos(t::text, :text) > 0))::int;
