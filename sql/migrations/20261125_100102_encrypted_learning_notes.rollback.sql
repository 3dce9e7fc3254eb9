-- Down Migration
-- Description: Back to learning progress notes stored as text; refused while any note is encrypted

-- The database cannot decrypt: rolling back with encrypted notes would lose them.
DO $$
DECLARE
    encrypted BIGINT;
BEGIN
    SELECT count(*) INTO encrypted FROM learning_progress WHERE notes_ciphertext IS NOT NULL;
    IF encrypted > 0 THEN
        RAISE EXCEPTION '% learning progress note(s) are encrypted: rolling back would lose them', encrypted
            USING ERRCODE = 'IK409', DETAIL = 'encrypted', TABLE = 'learning_progress';
    END IF;
END
$$;

DROP INDEX idx_learning_progress_notes_key;

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_key_id_fkey;

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_check;

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_key_id_check;

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_ciphertext_check;

COMMENT ON COLUMN learning_progress.notes IS NULL;

ALTER TABLE learning_progress
    DROP COLUMN notes_key_id,
    DROP COLUMN notes_ciphertext;
