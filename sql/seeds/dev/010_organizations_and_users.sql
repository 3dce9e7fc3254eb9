-- Development seed: two sample organizations, their people, memberships and roles.
--
-- Northwind Labs (a software company) is the main sample: Maya Okafor, an
-- engineering manager, is the person most of the other dev seeds are about
-- (her feedback cycle, her competency gaps, her learning plans). Bluefin
-- Logistics is a smaller second tenant, so that queries can be checked for
-- leaks between organizations. Aisha Rahman belongs to both (users are global
-- identities; membership is user_organizations).
--
-- Every test user's password is "ikenei-dev-2026": one bcrypt hash (cost 12)
-- of it, computed once, is stored for all of them. Development data only.
--
-- Fixed ids, so the seed can run again and other seeds and tests can refer to
-- rows. Every id is 00000000-0000-4000-8000-XXXXXXXXXXXX; the last group says
-- what it is (O = organization: 1 Northwind, 2 Bluefin; N, Q, I, L, U digits):
--   0000000001NN  roles (system 101-105 from prod, an organization's own 151+)
--   0000000002NN  competency categories (standard 201+ from prod, own 251+)
--   0000000010NN  organizations           0000000020NN  users
--   0000000021NN  user_organizations      0000000022NN  user_roles
--   000000003ONN  competencies            00000003ONNL  their levels (L = 1..5)
--   0000004UUONN  user_competencies (user 20UU, competency 3ONN)
--   000000005ONN  feedback forms          0000005ONNQQ  their questions
--   000000006ONN  feedback cycles         0000006ONNII  their invitations
--   000000007ONN  learning resources      000000008ONN  learning plans
--   0000008ONNQQ  plan objectives         000000009ONN  learning progress
--   00000000aONN  recommendations         00000000bONN  reports
--   00000000cONN  dashboard widgets
-- Main rows: Maya 00000000-0000-4000-8000-000000002002, her active cycle
-- ...-000000006101, her active plan ...-000000008101.
--
-- Inserts name their conflict target (id): a clash on anything else (an email
-- already taken, say) is an error rather than silently skipped.

INSERT INTO organizations (id, name, domain, industry, size_category, settings)
VALUES
    ('00000000-0000-4000-8000-000000001001', 'Northwind Labs', 'northwind.example',
     'Software', '51-200',
     '{"timezone": "Europe/Berlin", "locale": "en-GB", "feedback": {"anonymity_threshold": 3}}'),
    ('00000000-0000-4000-8000-000000001002', 'Bluefin Logistics', 'bluefin.example',
     'Logistics', '201-1000',
     '{"timezone": "America/Chicago", "locale": "en-US"}')
ON CONFLICT (id) DO NOTHING;

-- Managers (manager_id) are checked at the end of the statement, so the
-- order of the rows does not matter.
INSERT INTO users (id, email, password_hash, first_name, last_name, job_title, department,
                   manager_id, is_active, email_verified, last_login_at)
VALUES
    -- Northwind Labs
    ('00000000-0000-4000-8000-000000002001', 'elena.ruiz@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Elena', 'Ruiz', 'VP of Engineering', 'Engineering',
     NULL, true, true, '2026-11-20 08:42:00+00'),
    ('00000000-0000-4000-8000-000000002002', 'maya.okafor@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Maya', 'Okafor', 'Engineering Manager', 'Engineering',
     '00000000-0000-4000-8000-000000002001', true, true, '2026-11-23 09:15:00+00'),
    ('00000000-0000-4000-8000-000000002003', 'daniel.kim@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Daniel', 'Kim', 'Product Manager', 'Product',
     '00000000-0000-4000-8000-000000002001', true, true, '2026-11-19 14:03:00+00'),
    ('00000000-0000-4000-8000-000000002004', 'tom.becker@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Tom', 'Becker', 'Design Lead', 'Design',
     '00000000-0000-4000-8000-000000002001', true, true, '2026-11-18 10:27:00+00'),
    ('00000000-0000-4000-8000-000000002005', 'lina.park@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Lina', 'Park', 'QA Lead', 'Engineering',
     '00000000-0000-4000-8000-000000002001', true, true, '2026-11-21 16:50:00+00'),
    ('00000000-0000-4000-8000-000000002006', 'aisha.rahman@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Aisha', 'Rahman', 'HR Business Partner', 'People',
     NULL, true, true, '2026-11-24 07:58:00+00'),
    ('00000000-0000-4000-8000-000000002007', 'sam.fischer@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Sam', 'Fischer', 'Senior Software Engineer', 'Engineering',
     '00000000-0000-4000-8000-000000002002', true, true, '2026-11-22 11:31:00+00'),
    ('00000000-0000-4000-8000-000000002008', 'priya.nair@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Priya', 'Nair', 'Software Engineer', 'Engineering',
     '00000000-0000-4000-8000-000000002002', true, true, '2026-11-20 13:12:00+00'),
    ('00000000-0000-4000-8000-000000002009', 'jonas.weber@northwind.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Jonas', 'Weber', 'Software Engineer', 'Engineering',
     '00000000-0000-4000-8000-000000002002', true, false, NULL),
    -- Bluefin Logistics
    ('00000000-0000-4000-8000-000000002010', 'noah.schmidt@bluefin.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Noah', 'Schmidt', 'Head of Operations', 'Operations',
     NULL, true, true, '2026-11-17 15:05:00+00'),
    ('00000000-0000-4000-8000-000000002011', 'olivia.brown@bluefin.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Olivia', 'Brown', 'Operations Manager', 'Operations',
     '00000000-0000-4000-8000-000000002010', true, true, '2026-11-23 12:40:00+00'),
    ('00000000-0000-4000-8000-000000002012', 'ravi.patel@bluefin.example',
     '$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2',
     'Ravi', 'Patel', 'Operations Analyst', 'Operations',
     '00000000-0000-4000-8000-000000002011', true, true, '2026-11-24 09:09:00+00')
ON CONFLICT (id) DO NOTHING;

INSERT INTO user_organizations (id, organization_id, user_id, status, joined_at)
VALUES
    -- Northwind Labs
    ('00000000-0000-4000-8000-000000002101', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002001', 'active', '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002102', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', 'active', '2024-03-04 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002103', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002003', 'active', '2023-09-11 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002104', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002004', 'active', '2024-01-15 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002105', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002005', 'active', '2023-06-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002106', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006', 'active', '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002107', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007', 'active', '2022-10-03 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002108', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002008', 'active', '2025-04-07 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002109', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002009', 'active', '2026-09-01 09:00:00+00'),
    -- Bluefin Logistics (Aisha advises its HR team as well)
    ('00000000-0000-4000-8000-000000002110', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002006', 'active', '2025-11-03 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002111', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002010', 'active', '2021-05-17 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002112', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011', 'active', '2022-08-22 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002113', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002012', 'active', '2024-02-12 09:00:00+00')
ON CONFLICT (id) DO NOTHING;

-- Bluefin's own role beside the system ones.
INSERT INTO roles (id, organization_id, name, description, permissions, is_system)
VALUES
    ('00000000-0000-4000-8000-000000000151', '00000000-0000-4000-8000-000000001002', 'shift_lead',
     'Leads a warehouse shift: gives feedback and sees the shift''s reports.',
     '["feedback.results.view_own", "learning.plans.manage_own", "reports.view"]',
     false)
ON CONFLICT (id) DO NOTHING;

-- Role ids: 101 admin, 102 hr_manager, 103 manager, 104 employee (prod seed), 151 shift_lead.
INSERT INTO user_roles (id, organization_id, user_id, role_id, granted_by, granted_at)
VALUES
    -- Northwind Labs: Elena administers, Aisha runs HR, Elena and Maya lead teams.
    ('00000000-0000-4000-8000-000000002201', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002001', '00000000-0000-4000-8000-000000000101', NULL,                                   '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002202', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002001', '00000000-0000-4000-8000-000000000103', NULL,                                   '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002203', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-000000002001', '2024-03-04 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002204', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002002', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002001', '2024-03-04 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002205', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002003', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002001', '2023-09-11 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002206', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002004', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002001', '2024-01-15 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002207', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002005', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002001', '2023-06-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002208', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006', '00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-000000002001', '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002209', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002006', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002001', '2023-02-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002210', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002007', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002002', '2022-10-03 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002211', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002008', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002002', '2025-04-07 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002212', '00000000-0000-4000-8000-000000001001', '00000000-0000-4000-8000-000000002009', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002002', '2026-09-01 09:00:00+00'),
    -- Bluefin Logistics: Noah administers, Olivia leads, Ravi is a shift lead, Aisha advises HR.
    ('00000000-0000-4000-8000-000000002213', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002010', '00000000-0000-4000-8000-000000000101', NULL,                                   '2021-05-17 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002214', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011', '00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-000000002010', '2022-08-22 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002215', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002011', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002010', '2022-08-22 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002216', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002012', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000002010', '2024-02-12 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002217', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002012', '00000000-0000-4000-8000-000000000151', '00000000-0000-4000-8000-000000002011', '2025-07-01 09:00:00+00'),
    ('00000000-0000-4000-8000-000000002218', '00000000-0000-4000-8000-000000001002', '00000000-0000-4000-8000-000000002006', '00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-000000002010', '2025-11-03 09:00:00+00')
ON CONFLICT (id) DO NOTHING;
