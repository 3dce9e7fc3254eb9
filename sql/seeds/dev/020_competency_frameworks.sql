-- Development seed: a default competency framework for each sample organization.
--
-- Each organization's competencies sit in the standard categories (prod seed,
-- ids 2NN); Bluefin also has a category of its own. Every competency has the
-- same five ordered proficiency levels, 1 Foundational to 5 Expert, so that
-- people's current and target levels (050) and learning objectives can name
-- them. Feedback forms (030) rate the competencies on a 1-5 scale.
--
-- Run again safely: fixed ids and ON CONFLICT (id) DO NOTHING.

-- Bluefin's own category beside the standard ones.
INSERT INTO competency_categories (id, organization_id, name, description, sort_order)
VALUES
    ('00000000-0000-4000-8000-000000000251', '00000000-0000-4000-8000-000000001002',
     'Safety & Compliance', 'Working safely and within the rules of transport and warehousing.', 45)
ON CONFLICT (id) DO NOTHING;

-- Category ids: 201 Leadership, 202 Communication, 203 Collaboration,
-- 204 Technical Excellence, 205 Execution, 206 Growth Mindset,
-- 207 Customer Focus, 208 Innovation (prod seed); 251 Bluefin's own.
INSERT INTO competencies (id, organization_id, name, description, category_id, weight)
VALUES
    -- Northwind Labs
    ('00000000-0000-4000-8000-000000003101', '00000000-0000-4000-8000-000000001001', 'Strategic Thinking',
     'Sets a clear direction and connects the team''s work to the company''s goals.',
     '00000000-0000-4000-8000-000000000201', 1.00),
    ('00000000-0000-4000-8000-000000003102', '00000000-0000-4000-8000-000000001001', 'Coaching & Developing Others',
     'Gives useful feedback, delegates to stretch people and helps them grow.',
     '00000000-0000-4000-8000-000000000201', 1.25),
    ('00000000-0000-4000-8000-000000003103', '00000000-0000-4000-8000-000000001001', 'Clear Communication',
     'Explains ideas and decisions clearly, in writing and in person, and keeps people informed.',
     '00000000-0000-4000-8000-000000000202', 1.00),
    ('00000000-0000-4000-8000-000000003104', '00000000-0000-4000-8000-000000001001', 'Active Listening',
     'Listens to understand, asks good questions and acknowledges other views.',
     '00000000-0000-4000-8000-000000000202', 1.00),
    ('00000000-0000-4000-8000-000000003105', '00000000-0000-4000-8000-000000001001', 'Cross-team Collaboration',
     'Builds working relationships beyond the own team and resolves disagreement constructively.',
     '00000000-0000-4000-8000-000000000203', 1.00),
    ('00000000-0000-4000-8000-000000003106', '00000000-0000-4000-8000-000000001001', 'Technical Depth',
     'Understands the systems in depth and makes sound engineering trade-offs.',
     '00000000-0000-4000-8000-000000000204', 1.00),
    ('00000000-0000-4000-8000-000000003107', '00000000-0000-4000-8000-000000001001', 'Delivery & Ownership',
     'Plans realistically, delivers what was promised and owns the outcome.',
     '00000000-0000-4000-8000-000000000205', 1.50),
    ('00000000-0000-4000-8000-000000003108', '00000000-0000-4000-8000-000000001001', 'Learning Agility',
     'Seeks feedback, learns new fields quickly and adapts to change.',
     '00000000-0000-4000-8000-000000000206', 0.75),
    -- Bluefin Logistics
    ('00000000-0000-4000-8000-000000003201', '00000000-0000-4000-8000-000000001002', 'Operational Planning',
     'Plans shifts, capacity and routes so that orders leave on time.',
     '00000000-0000-4000-8000-000000000205', 1.50),
    ('00000000-0000-4000-8000-000000003202', '00000000-0000-4000-8000-000000001002', 'Safety Awareness',
     'Spots hazards, follows and improves safety procedures, and stops unsafe work.',
     '00000000-0000-4000-8000-000000000251', 1.50),
    ('00000000-0000-4000-8000-000000003203', '00000000-0000-4000-8000-000000001002', 'Team Leadership',
     'Organizes and motivates a shift, and develops its people.',
     '00000000-0000-4000-8000-000000000201', 1.00),
    ('00000000-0000-4000-8000-000000003204', '00000000-0000-4000-8000-000000001002', 'Stakeholder Communication',
     'Keeps customers, carriers and other sites informed, especially when things go wrong.',
     '00000000-0000-4000-8000-000000000202', 1.00),
    ('00000000-0000-4000-8000-000000003205', '00000000-0000-4000-8000-000000001002', 'Continuous Improvement',
     'Measures how work is done and makes it better step by step.',
     '00000000-0000-4000-8000-000000000208', 1.00),
    ('00000000-0000-4000-8000-000000003206', '00000000-0000-4000-8000-000000001002', 'Customer Service',
     'Understands what customers need and resolves their issues.',
     '00000000-0000-4000-8000-000000000207', 1.00)
ON CONFLICT (id) DO NOTHING;

-- The five levels of every competency above (ids 3101-3299). A level's id is
-- its competency's number followed by the level: competency ...003101 has the
-- levels ...031011 to ...031015.
INSERT INTO competency_levels (id, organization_id, competency_id, level, name, description)
SELECT ('00000000-0000-4000-8000-0000000' || right(c.id::text, 4) || l.level)::uuid,
       c.organization_id, c.id, l.level, l.name, format(l.description, lower(c.name))
  FROM competencies c
 CROSS JOIN (VALUES
        (1, 'Foundational', 'Knows what good %s looks like and applies it with guidance.'),
        (2, 'Developing',   'Shows %s in familiar situations; still needs support in new ones.'),
        (3, 'Proficient',   'Shows %s independently and consistently in everyday work.'),
        (4, 'Advanced',     'Shows %s in complex situations and helps others improve at it.'),
        (5, 'Expert',       'A reference for %s across the organization; shapes how it is done.')
      ) AS l (level, name, description)
 WHERE c.id BETWEEN '00000000-0000-4000-8000-000000003101' AND '00000000-0000-4000-8000-000000003299'
ON CONFLICT (id) DO NOTHING;
