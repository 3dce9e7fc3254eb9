-- Down Migration
-- Description: Remove the view user_records

DROP VIEW user_records;
