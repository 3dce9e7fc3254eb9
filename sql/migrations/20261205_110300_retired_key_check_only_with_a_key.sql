-- Up Migration
-- Description: The retired-key guard runs only for rows that hold a key
-- Date: 2026-12-05
--
-- refuse_retired_key turned every inserted row into jsonb to find its key
-- column, and returned at once when the row holds no key: on answers without
-- a comment (most of them) that was a call and a jsonb copy of the row for
-- nothing. A WHEN clause now leaves those rows out before any call; a row
-- that holds a key is checked as before. Same triggers, same refusals.

DROP TRIGGER feedback_responses_comment_key_not_retired ON feedback_responses;
CREATE TRIGGER feedback_responses_comment_key_not_retired
    BEFORE INSERT OR UPDATE OF comment_key_id ON feedback_responses
    FOR EACH ROW WHEN (NEW.comment_key_id IS NOT NULL) EXECUTE FUNCTION refuse_retired_key('comment_key_id');

DROP TRIGGER learning_progress_notes_key_not_retired ON learning_progress;
CREATE TRIGGER learning_progress_notes_key_not_retired
    BEFORE INSERT OR UPDATE OF notes_key_id ON learning_progress
    FOR EACH ROW WHEN (NEW.notes_key_id IS NOT NULL) EXECUTE FUNCTION refuse_retired_key('notes_key_id');

DROP TRIGGER competency_evidence_note_key_not_retired ON competency_evidence;
CREATE TRIGGER competency_evidence_note_key_not_retired
    BEFORE INSERT OR UPDATE OF note_key_id ON competency_evidence
    FOR EACH ROW WHEN (NEW.note_key_id IS NOT NULL) EXECUTE FUNCTION refuse_retired_key('note_key_id');
