-- Down Migration
-- Description: Drop retention_policies

DROP TRIGGER retention_policies_set_updated_at ON retention_policies;

DROP TABLE retention_policies;
