-- Down Migration
-- Description: Drop the shared trigger functions

DROP FUNCTION ensure_shared_or_same_organization();
DROP FUNCTION guard_status_transition();
DROP FUNCTION set_updated_at();
