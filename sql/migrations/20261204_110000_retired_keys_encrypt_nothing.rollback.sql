-- Down Migration
-- Description: Values may again be written under a retired key

DROP FUNCTION encryption_keys_in_use();

DROP TRIGGER learning_progress_notes_key_not_retired ON learning_progress;

DROP TRIGGER feedback_responses_comment_key_not_retired ON feedback_responses;

DROP FUNCTION refuse_retired_key();
