-- The registry of encryption keys and the re-encryption run (ikenei.keys).
-- Every encrypted column has its own three queries (count, list a batch,
-- store a batch), so no SQL is ever built from a table name.

-- Key registry ----------------------------------------------------------------

-- name: list_encryption_keys()
-- Every registered key id with its check value, in id order.
SELECT key_id, check_value, created_at, retired_at FROM encryption_keys ORDER BY key_id;

-- name: register_encryption_key(key_id, check_value)!
-- Registers a key with its check value, unless its id is registered already.
INSERT INTO encryption_keys (key_id, check_value) VALUES (:key_id, :check_value)
ON CONFLICT (key_id) DO NOTHING;

-- name: list_encryption_keys_in_use()
-- The ids of the keys some stored value is encrypted under, in every column that holds one.
SELECT DISTINCT key_id FROM encryption_keys_in_use() AS used(key_id) ORDER BY key_id;

-- name: lock_encryption_keys_to_retire(current_key_id)!
-- Locks the registry rows of the keys a rotation may retire (every key not
-- retired but the current one) until the transaction ends: a writer under
-- one of them waits (refuse_retired_key reads its row FOR SHARE).
SELECT key_id FROM encryption_keys
 WHERE key_id <> :current_key_id AND retired_at IS NULL
 ORDER BY key_id
   FOR UPDATE;

-- name: retire_unused_encryption_keys(current_key_id)
-- Marks retired every key other than the current one that no stored value
-- uses any more; returns their ids. Run after lock_encryption_keys_to_retire,
-- as its own statement, so that it sees every value committed meanwhile.
UPDATE encryption_keys k SET retired_at = now()
 WHERE k.key_id <> :current_key_id AND k.retired_at IS NULL
   AND k.key_id NOT IN (SELECT used.key_id FROM encryption_keys_in_use() AS used(key_id))
RETURNING k.key_id;

-- name: count_encrypted_values()
-- Per encrypted column and key id, how many values it holds; key_id NULL
-- counts the text not yet encrypted.
SELECT 'feedback_responses' AS table_name, 'comment' AS column_name, comment_key_id AS key_id,
       count(*)::bigint AS value_count
  FROM feedback_responses
 WHERE comment IS NOT NULL OR comment_key_id IS NOT NULL
 GROUP BY comment_key_id
UNION ALL
SELECT 'learning_progress', 'notes', notes_key_id, count(*)::bigint
  FROM learning_progress
 WHERE notes IS NOT NULL OR notes_key_id IS NOT NULL
 GROUP BY notes_key_id
UNION ALL
SELECT 'competency_evidence', 'note', note_key_id, count(*)::bigint
  FROM competency_evidence
 WHERE note_key_id IS NOT NULL
 GROUP BY note_key_id
 ORDER BY 1, 2, 3 NULLS FIRST;

-- feedback_responses.comment --------------------------------------------------

-- name: count_feedback_comments_to_encrypt(current_key_id)$
-- How many comments are text or under a key other than the current one.
SELECT count(*)::bigint FROM feedback_responses
 WHERE comment IS NOT NULL OR comment_key_id <> :current_key_id;

-- name: lock_feedback_comments_to_encrypt(current_key_id, after_id, batch_size)
-- The next batch (by id, after after_id) of comments that are text or under
-- another key than the current one, locked until the transaction ends.
SELECT id AS row_id, comment AS plaintext, comment_ciphertext AS ciphertext, comment_key_id AS key_id
  FROM feedback_responses
 WHERE (comment IS NOT NULL OR comment_key_id <> :current_key_id) AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;

-- name: store_feedback_comments(row_ids, ciphertexts, key_id)!
-- Stores each row's comment as its new ciphertext under key_id, clearing any text.
UPDATE feedback_responses r
   SET comment = NULL, comment_ciphertext = n.ciphertext, comment_key_id = :key_id
  FROM unnest(:row_ids::uuid[], :ciphertexts::bytea[]) AS n(row_id, ciphertext)
 WHERE r.id = n.row_id;

-- learning_progress.notes -----------------------------------------------------

-- name: count_learning_notes_to_encrypt(current_key_id)$
-- How many progress notes are text or under a key other than the current one.
SELECT count(*)::bigint FROM learning_progress
 WHERE notes IS NOT NULL OR notes_key_id <> :current_key_id;

-- name: lock_learning_notes_to_encrypt(current_key_id, after_id, batch_size)
-- The next batch (by id, after after_id) of progress notes that are text or
-- under another key than the current one, locked until the transaction ends.
SELECT id AS row_id, notes AS plaintext, notes_ciphertext AS ciphertext, notes_key_id AS key_id
  FROM learning_progress
 WHERE (notes IS NOT NULL OR notes_key_id <> :current_key_id) AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;

-- name: store_learning_notes(row_ids, ciphertexts, key_id)!
-- Stores each row's note as its new ciphertext under key_id, clearing any text.
UPDATE learning_progress p
   SET notes = NULL, notes_ciphertext = n.ciphertext, notes_key_id = :key_id
  FROM unnest(:row_ids::uuid[], :ciphertexts::bytea[]) AS n(row_id, ciphertext)
 WHERE p.id = n.row_id;

-- competency_evidence.note ---------------------------------------------------
-- (never stored as text: there is nothing to encrypt from before encryption)

-- name: count_evidence_notes_to_encrypt(current_key_id)$
-- How many evidence notes are under a key other than the current one.
SELECT count(*)::bigint FROM competency_evidence WHERE note_key_id <> :current_key_id;

-- name: lock_evidence_notes_to_encrypt(current_key_id, after_id, batch_size)
-- The next batch (by id, after after_id) of evidence notes under another key
-- than the current one, locked until the transaction ends.
SELECT id AS row_id, NULL::text AS plaintext, note_ciphertext AS ciphertext, note_key_id AS key_id
  FROM competency_evidence
 WHERE note_key_id <> :current_key_id AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;

-- name: store_evidence_notes(row_ids, ciphertexts, key_id)!
-- Stores each row's note as its new ciphertext under key_id.
UPDATE competency_evidence e
   SET note_ciphertext = n.ciphertext, note_key_id = :key_id
  FROM unnest(:row_ids::uuid[], :ciphertexts::bytea[]) AS n(row_id, ciphertext)
 WHERE e.id = n.row_id;

-- Every encrypted value ---------------------------------------------------------

-- name: lock_sealed_feedback_comments(after_id, batch_size)
-- The next batch (by id, after after_id) of encrypted comments, locked until the transaction ends.
SELECT id AS row_id, comment_ciphertext AS ciphertext, comment_key_id AS key_id
  FROM feedback_responses
 WHERE comment_ciphertext IS NOT NULL AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;

-- name: lock_sealed_learning_notes(after_id, batch_size)
-- The next batch (by id, after after_id) of encrypted progress notes, locked until the transaction ends.
SELECT id AS row_id, notes_ciphertext AS ciphertext, notes_key_id AS key_id
  FROM learning_progress
 WHERE notes_ciphertext IS NOT NULL AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;

-- name: lock_sealed_competency_evidence_notes(after_id, batch_size)
-- The next batch (by id, after after_id) of encrypted evidence notes, locked until the transaction ends.
SELECT id AS row_id, note_ciphertext AS ciphertext, note_key_id AS key_id
  FROM competency_evidence
 WHERE note_ciphertext IS NOT NULL AND id > :after_id
 ORDER BY id
 LIMIT :batch_size
   FOR UPDATE;
