-- Down Migration
-- Description: Drop the index of list_users' order
-- Date: 2026-11-25

DROP INDEX idx_users_created_at;
