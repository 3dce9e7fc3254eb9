-- Test-only statements for tests/test_pages.py.

-- name: price_out_sorts_and_scans#
-- For the rest of the transaction: a sort, a sequential scan and a bitmap
-- scan only where nothing else can answer, so a plan sorts only when no index
-- gives the list's order.
SET LOCAL enable_sort = off;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;

-- name: analyze_people#
-- Fresh statistics of the people's tables, so the planner sees their sizes.
ANALYZE users, user_organizations;

-- name: move_membership_in_time(user_id, created_at)!
-- Sets a membership's copy of its person's creation time by hand, as a caller might try.
UPDATE user_organizations SET user_created_at = :created_at WHERE user_id = :user_id;

-- name: set_person_created_at(user_id, created_at)!
-- Changes when a person was made (the owner's maintenance).
UPDATE users SET created_at = :created_at WHERE id = :user_id;
