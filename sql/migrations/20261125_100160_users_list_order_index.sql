-- Up Migration
-- Description: Index users in the order list_users pages them, so a page no longer sorts the whole table
-- Date: 2026-11-25
--
-- list_users orders the live users by (created_at, id); without an index on
-- that order every page read and sorted every row, which grows with the
-- table. Partial, like the query: soft-deleted users are never listed.

CREATE INDEX idx_users_created_at ON users (created_at, id) WHERE deleted_at IS NULL;
