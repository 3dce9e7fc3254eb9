-- Down Migration
-- Description: Remove the options of a token's form

DROP FUNCTION feedback_question_options_of_token(BYTEA);
