-- Down Migration
-- Description: The retired-key guard runs for every row again

DROP TRIGGER competency_evidence_note_key_not_retired ON competency_evidence;
CREATE TRIGGER competency_evidence_note_key_not_retired
    BEFORE INSERT OR UPDATE OF note_key_id ON competency_evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('note_key_id');

DROP TRIGGER learning_progress_notes_key_not_retired ON learning_progress;
CREATE TRIGGER learning_progress_notes_key_not_retired
    BEFORE INSERT OR UPDATE OF notes_key_id ON learning_progress
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('notes_key_id');

DROP TRIGGER feedback_responses_comment_key_not_retired ON feedback_responses;
CREATE TRIGGER feedback_responses_comment_key_not_retired
    BEFORE INSERT OR UPDATE OF comment_key_id ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION refuse_retired_key('comment_key_id');
