-- Down Migration
-- Description: Drop data_access_log

DROP TRIGGER data_access_log_no_truncate ON data_access_log;
DROP TRIGGER data_access_log_append_only ON data_access_log;

DROP TABLE data_access_log;
