-- Down Migration
-- Description: Drop data_processing_log

DROP TRIGGER data_processing_log_no_truncate ON data_processing_log;
DROP TRIGGER data_processing_log_append_only ON data_processing_log;

DROP TABLE data_processing_log;
