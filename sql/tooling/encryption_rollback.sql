-- The rollback of field encryption (ikenei.schema.encryption_rollback, via
-- aiosql on psycopg): every encrypted value is decrypted by the application
-- and written back as text into the column it came from.

-- name: count_encrypted_values_to_decrypt()^
-- How many feedback comments and progress notes are encrypted.
SELECT (SELECT count(*) FROM feedback_responses WHERE comment_ciphertext IS NOT NULL) AS comments,
       (SELECT count(*) FROM learning_progress WHERE notes_ciphertext IS NOT NULL) AS notes;

-- name: list_encrypted_comments(after_id, batch_size)
-- The next batch (by id, after after_id) of encrypted feedback comments.
SELECT id, comment_ciphertext, comment_key_id
  FROM feedback_responses
 WHERE comment_ciphertext IS NOT NULL AND id > :after_id
 ORDER BY id
 LIMIT :batch_size;

-- name: list_encrypted_notes(after_id, batch_size)
-- The next batch (by id, after after_id) of encrypted progress notes.
SELECT id, notes_ciphertext, notes_key_id
  FROM learning_progress
 WHERE notes_ciphertext IS NOT NULL AND id > :after_id
 ORDER BY id
 LIMIT :batch_size;

-- name: allow_decrypting_submitted_comments#
-- Submitted answers are immutable (feedback_responses_immutable); the
-- rollback's own transaction may turn their comments back into text.
ALTER TABLE feedback_responses DISABLE TRIGGER feedback_responses_immutable;

-- name: guard_submitted_comments_again#
-- Submitted answers immutable again, before the transaction ends.
ALTER TABLE feedback_responses ENABLE TRIGGER feedback_responses_immutable;

-- name: store_decrypted_comment(row_id, comment)!
-- One comment back as text, its ciphertext and key id cleared.
UPDATE feedback_responses
   SET comment = :comment, comment_ciphertext = NULL, comment_key_id = NULL
 WHERE id = :row_id;

-- name: store_decrypted_note(row_id, notes)!
-- One progress note back as text, its ciphertext and key id cleared.
UPDATE learning_progress
   SET notes = :notes, notes_ciphertext = NULL, notes_key_id = NULL
 WHERE id = :row_id;
