-- Test-only queries for the audit trail of statements that write many rows:
-- multi-row writes by plain SQL, in one statement each, and the entries they left.

-- name: act_as(actor)$
-- Names the actor of the current transaction, as a scope does.
SELECT set_config('ikenei.actor', :actor, true);

-- name: insert_three_users(prefix)
-- Three people in one statement: one with every optional column, one with none, one with a department; in this order.
INSERT INTO users (email, password_hash, first_name, last_name, job_title, department, profile_image_url, last_login_at)
VALUES (:prefix || '-a@example.com', '$2b$04$' || repeat('a', 53), 'Ann', 'Full', 'Analyst', 'Research', 'https://example.com/a.png', now()),
       (:prefix || '-b@example.com', '$2b$04$' || repeat('b', 53), 'Ben', 'Bare', NULL, NULL, NULL, NULL),
       (:prefix || '-c@example.com', '$2b$04$' || repeat('c', 53), 'Cat', 'Some', NULL, 'Sales', NULL, NULL)
RETURNING id;

-- name: update_three_users(prefix)!
-- One statement over the three: the first keeps its values (only updated_at moves), the second gets a job title, the third a job title and another department.
UPDATE users
   SET job_title = CASE WHEN first_name = 'Ann' THEN job_title ELSE 'Engineer' END,
       department = CASE WHEN first_name = 'Cat' THEN 'Support' ELSE department END
 WHERE email LIKE :prefix || '-_@example.com';

-- name: delete_three_users(prefix)!
-- The three people, deleted in one statement.
DELETE FROM users WHERE email LIKE :prefix || '-_@example.com';

-- name: add_two_members(organization_id, first_id, second_id)!
-- Two memberships in one statement.
INSERT INTO user_organizations (organization_id, user_id) VALUES (:organization_id, :first_id), (:organization_id, :second_id);

-- name: audit_entries_of(row_ids)
-- The audit entries of these rows, oldest first, with the statement's time as a flag.
SELECT table_name, row_id, organization_id, action, changed_columns, actor,
       occurred_at = now() AS at_transaction_time
  FROM audit_log
 WHERE row_id = ANY (:row_ids::text[])
 ORDER BY id;

-- name: audit_entries_of_table(table_name)
-- The audit entries of a table, oldest first.
SELECT table_name, row_id, organization_id, action, changed_columns, actor,
       occurred_at = now() AS at_transaction_time
  FROM audit_log
 WHERE table_name = :table_name
 ORDER BY id;

-- name: audit_triggers()
-- Every trigger that runs audit_row_change: its table, level and events, and its transition tables.
SELECT c.relname::text AS table_name,
       (t.tgtype & 1) = 1 AS per_row,
       array_remove(ARRAY[CASE WHEN t.tgtype & 4 = 4 THEN 'INSERT' END,
                          CASE WHEN t.tgtype & 16 = 16 THEN 'UPDATE' END,
                          CASE WHEN t.tgtype & 8 = 8 THEN 'DELETE' END], NULL) AS events,
       t.tgoldtable::text AS old_table, t.tgnewtable::text AS new_table
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgfoid = 'audit_row_change'::regproc AND NOT t.tgisinternal
 ORDER BY 1, 3;
