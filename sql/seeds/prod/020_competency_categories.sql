-- Production seed: the standard competency categories.
--
-- Standard categories are shared by every organization (organization_id
-- NULL); an organization groups its competencies under them or under
-- categories of its own. sort_order leaves gaps of 10 so an organization can
-- slot its own categories in between.
--
-- Run again safely: an existing category (same id, or same name) is left as
-- it is. Ids: 00000000-0000-4000-8000-0000000002NN.

INSERT INTO competency_categories (id, organization_id, name, description, sort_order)
VALUES
    ('00000000-0000-4000-8000-000000000201', NULL, 'Leadership',
     'Setting direction, making decisions and developing other people.', 10),
    ('00000000-0000-4000-8000-000000000202', NULL, 'Communication',
     'Sharing information clearly, listening, and adapting the message to its audience.', 20),
    ('00000000-0000-4000-8000-000000000203', NULL, 'Collaboration',
     'Working across teams, building trust and resolving disagreement constructively.', 30),
    ('00000000-0000-4000-8000-000000000204', NULL, 'Technical Excellence',
     'Depth and judgement in the skills of one''s craft, and the quality of the work produced.', 40),
    ('00000000-0000-4000-8000-000000000205', NULL, 'Execution',
     'Planning, prioritising and delivering results reliably.', 50),
    ('00000000-0000-4000-8000-000000000206', NULL, 'Growth Mindset',
     'Learning from feedback and mistakes, curiosity, and adapting to change.', 60),
    ('00000000-0000-4000-8000-000000000207', NULL, 'Customer Focus',
     'Understanding the needs of the people served, inside or outside the organization.', 70),
    ('00000000-0000-4000-8000-000000000208', NULL, 'Innovation',
     'Generating and testing new ideas, and improving how things are done.', 80)
ON CONFLICT DO NOTHING;
