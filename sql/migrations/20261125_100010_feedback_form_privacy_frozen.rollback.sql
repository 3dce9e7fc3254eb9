-- Down Migration
-- Description: Let a used feedback form's anonymity settings change again

DROP TRIGGER feedback_forms_privacy_frozen_while_used ON feedback_forms;
DROP FUNCTION freeze_privacy_of_used_forms();
