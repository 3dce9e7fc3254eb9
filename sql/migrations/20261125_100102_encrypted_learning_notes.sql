-- Up Migration
-- Description: Private notes of learning progress are stored encrypted by the application (ciphertext and key id), never as text
-- Date: 2026-11-25
--
-- learning_progress.notes_ciphertext holds a progress entry's private note
-- encrypted by the application (ikenei.crypto: AES-256-GCM, bound to this
-- table, column and row id), notes_key_id the id of its key.
--
-- learning_progress.notes is kept only for text written before this
-- migration (and the dev seed's sample notes): SQL cannot encrypt it, since
-- the database has no key. `ikenei keys rotate` encrypts every such note and
-- clears the text; the application never writes it.

ALTER TABLE learning_progress
    ADD COLUMN notes_ciphertext BYTEA,
    ADD COLUMN notes_key_id TEXT;

COMMENT ON COLUMN learning_progress.notes IS
    'Legacy plaintext note awaiting encryption by `ikenei keys rotate`; never written by the application.';

-- Version byte 1, a 12-byte nonce, the text and a 16-byte tag.
ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_ciphertext_check
    CHECK (octet_length(notes_ciphertext) >= 29 AND get_byte(notes_ciphertext, 0) = 1);

ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_key_id_check
    CHECK ((notes_ciphertext IS NULL) = (notes_key_id IS NULL));

ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_check
    CHECK (notes IS NULL OR notes_ciphertext IS NULL);

ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_key_id_fkey
    FOREIGN KEY (notes_key_id) REFERENCES encryption_keys (key_id) ON DELETE RESTRICT;

CREATE INDEX idx_learning_progress_notes_key ON learning_progress (notes_key_id)
    WHERE notes_key_id IS NOT NULL;
