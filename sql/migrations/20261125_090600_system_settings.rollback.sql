-- Down Migration
-- Description: Drop system_settings

DROP TABLE system_settings;
