-- Up Migration
-- Description: The columns of a user record are listed once, in the view user_records, which the user queries read
-- Date: 2026-12-05
--
-- Four queries of sql/queries/users.sql wrote out the same thirteen columns
-- and the same "not deleted" filter; a column added to one and not the others
-- would fail only at run time (the executor checks a record's columns). The
-- view is the one list. It runs as its invoker (security_invoker), so the
-- caller's row-level security on users applies exactly as before, and the
-- application may only read it: writes go to the table.
-- The two statements that write a user still name the columns in RETURNING,
-- which a view cannot share.

CREATE VIEW user_records WITH (security_invoker = true) AS
SELECT id, email, first_name, last_name, job_title, department, manager_id, profile_image_url,
       is_active, email_verified, last_login_at, created_at, updated_at
  FROM users
 WHERE deleted_at IS NULL;

REVOKE ALL ON user_records FROM ikenei_app;
GRANT SELECT ON user_records TO ikenei_app;
