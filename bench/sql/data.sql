-- The benchmark's data: deterministic, so every run reads the same rows.
-- (The measured statements are not here: they are the repository's own, from
-- sql/queries.)

-- name: load_users(count, password_hash)!
-- `count` users with fixed ids (an md5 of their number) and creation times a
-- minute apart; every tenth has a manager, every tenth is inactive, every
-- fiftieth is soft-deleted, so the queries' filters have work to do.
INSERT INTO users (id, email, password_hash, first_name, last_name, job_title, department,
                   manager_id, is_active, email_verified, last_login_at, created_at, updated_at,
                   deleted_at)
SELECT md5('bench-user-' || n)::uuid,
       'person' || n || '@bench.example',
       :password_hash,
       'First' || n,
       'Last' || n,
       CASE WHEN n % 3 = 0 THEN 'Engineer ' || (n % 7) END,
       'Department ' || (n % 12),
       CASE WHEN n > 10 THEN md5('bench-user-' || (n / 10))::uuid END,
       n % 10 <> 0,
       n % 2 = 0,
       CASE WHEN n % 4 = 0 THEN timestamptz '2026-03-01 00:00:00+00' + n * interval '1 second' END,
       timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute',
       timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute',
       CASE WHEN n % 50 = 0 THEN timestamptz '2026-02-01 00:00:00+00' END
  FROM generate_series(1, :count) AS n;

-- name: bench_user_id(number)$
-- The id load_users gives user `number`.
SELECT md5('bench-user-' || :number::integer)::uuid;

-- name: analyze_users()!
-- Fresh planner statistics, so the measured plans are the ones a used table gets.
ANALYZE users;
