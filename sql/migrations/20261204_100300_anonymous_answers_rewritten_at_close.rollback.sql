-- Down Migration
-- Description: Closing an anonymous form's cycle leaves its answers where and as they were written

DROP TRIGGER feedback_cycles_rewrite_anonymous_answers ON feedback_cycles;

DROP FUNCTION rewrite_anonymous_answers();
