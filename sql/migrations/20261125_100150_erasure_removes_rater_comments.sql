-- Up Migration
-- Description: A GDPR erasure may remove the erased rater's comments from submitted feedback, and nothing else
-- Date: 2026-11-25
--
-- Submitted answers are immutable (refuse_feedback_edit): only the foreign
-- key's SET NULL of invitation_id and the encryption of a stored comment pass.
-- `ikenei gdpr erase` (ikenei.gdpr) must also remove the words an erased
-- person wrote about a colleague on a form that is not anonymous, where the
-- answer still names its invitation and so its rater, while the rating stays
-- in the colleague's results. (An answer without a rating is deleted
-- instead, which the trigger does not guard; on an anonymous form nothing
-- links an answer to its rater, so there is nothing of theirs to find.)
--
-- No existing path allows that, so this one is added, as narrow as it can
-- be: a transaction that sets ikenei.erasure = 'on' for itself alone
-- (set_config(..., true), as the retention run does with ikenei.retention)
-- may set comment, comment_ciphertext and comment_key_id to NULL on a row
-- that held a comment, with every other column unchanged. It cannot write a
-- comment, touch a rating, or change anything in feedback_ratings (which has
-- no comment). Like the logs' guard, this stops mistakes, not the tables'
-- owner.

CREATE OR REPLACE FUNCTION refuse_feedback_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_row JSONB := to_jsonb(NEW);
    old_row JSONB := to_jsonb(OLD);
    comment_columns TEXT[] := ARRAY['comment', 'comment_ciphertext', 'comment_key_id'];
BEGIN
    IF NEW.invitation_id IS NULL
       AND (new_row - 'invitation_id') = (old_row - 'invitation_id') THEN
        RETURN NEW;
    END IF;
    -- A stored comment encrypted, or re-encrypted under another key.
    IF (new_row - comment_columns) = (old_row - comment_columns)
       AND new_row ->> 'comment' IS NULL AND new_row ->> 'comment_ciphertext' IS NOT NULL
       AND (old_row ->> 'comment' IS NOT NULL OR old_row ->> 'comment_ciphertext' IS NOT NULL) THEN
        RETURN NEW;
    END IF;
    -- An erasure removing the erased rater's comment (see the header).
    IF current_setting('ikenei.erasure', true) = 'on'
       AND (new_row - comment_columns) = (old_row - comment_columns)
       AND new_row ? 'comment_ciphertext'
       AND new_row ->> 'comment' IS NULL AND new_row ->> 'comment_ciphertext' IS NULL
       AND new_row ->> 'comment_key_id' IS NULL
       AND (old_row ->> 'comment' IS NOT NULL OR old_row ->> 'comment_ciphertext' IS NOT NULL) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'submitted feedback cannot be changed (% %)', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'IK409', DETAIL = 'submitted', TABLE = TG_TABLE_NAME;
END
$$;
