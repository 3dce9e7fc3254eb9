-- Production seed: the default system roles.
--
-- System roles are shared by every organization (organization_id NULL,
-- is_system true); an organization may add roles of its own beside them.
-- A person's roles in an organization are rows of user_roles.
--
-- Permissions are a JSON array of "<area>.<action>" strings. The scope of a
-- permission is in its name: *_all is the whole organization, *_team the
-- people down the holder's manager chain, *_own the holder alone. The
-- database enforces every one of them for the person acting in an
-- organization scope (migrations 20261204_105000 and 20261204_105200; the
-- README's "Who sees what inside an organization"). An external rater needs
-- no permission: the invitation addressed to them is what lets them answer.
--
-- Run again safely: an existing role (same id, or same name) is left as it
-- is, so permissions an administrator has tuned are never reset.
-- Ids: 00000000-0000-4000-8000-0000000001NN.

INSERT INTO roles (id, organization_id, name, description, permissions, is_system)
VALUES
    ('00000000-0000-4000-8000-000000000101', NULL, 'admin',
     'Runs the organization''s account: people, roles, settings and everything below.',
     '["organization.manage", "users.manage", "roles.manage", "competencies.manage",
       "feedback.forms.manage", "feedback.cycles.manage", "feedback.results.view_all",
       "learning.plans.manage_all", "learning.resources.manage",
       "reports.manage", "reports.view", "analytics.view", "dashboard.manage_own"]',
     true),
    ('00000000-0000-4000-8000-000000000102', NULL, 'hr_manager',
     'Runs feedback cycles and the competency framework; sees results and reports for everyone.',
     '["competencies.manage", "feedback.forms.manage", "feedback.cycles.manage",
       "feedback.results.view_all", "learning.plans.manage_all", "learning.resources.manage",
       "reports.manage", "reports.view", "analytics.view", "dashboard.manage_own"]',
     true),
    ('00000000-0000-4000-8000-000000000103', NULL, 'manager',
     'Leads a team: sees the team''s feedback results and guides their learning plans.',
     '["feedback.results.view_team", "feedback.results.view_own",
       "feedback.invitations.manage_team", "learning.plans.manage_team", "learning.plans.manage_own",
       "reports.view", "dashboard.manage_own"]',
     true),
    ('00000000-0000-4000-8000-000000000104', NULL, 'employee',
     'Every member: asks for and gives feedback, sees their own results and follows their own plans.',
     '["feedback.results.view_own", "feedback.invitations.manage_own",
       "learning.plans.manage_own", "dashboard.manage_own"]',
     true),
    ('00000000-0000-4000-8000-000000000105', NULL, 'external_rater',
     'Someone outside the organization (a client, a partner) who answers the feedback requests addressed to them.',
     '[]',
     true)
ON CONFLICT DO NOTHING;
