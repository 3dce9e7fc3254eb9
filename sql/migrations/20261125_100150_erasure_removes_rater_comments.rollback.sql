-- Down Migration
-- Description: Submitted feedback again refuses every change but the invitation's SET NULL and comment encryption

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
    RAISE EXCEPTION 'submitted feedback cannot be changed (% %)', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'IK409', DETAIL = 'submitted', TABLE = TG_TABLE_NAME;
END
$$;
