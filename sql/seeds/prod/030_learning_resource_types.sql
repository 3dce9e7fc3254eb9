-- Production seed: the kinds of learning material.
--
-- learning_resources.resource_type refers to these codes, so every database
-- needs them before the first resource is added. The code is the stable key
-- (code and queries use it); the name is what people see.
--
-- Run again safely: an existing code is left as it is.

INSERT INTO learning_resource_types (code, name, description)
VALUES
    ('course',        'Course',           'A structured course, online or in a classroom, usually in several sessions.'),
    ('book',          'Book',             'A book to read, in print or as an e-book.'),
    ('article',       'Article',          'A short text: an article, a blog post, a paper or a guide.'),
    ('video',         'Video',            'A recorded talk, lesson or demonstration.'),
    ('podcast',       'Podcast',          'An audio episode or series.'),
    ('workshop',      'Workshop',         'A hands-on session with others, led by a facilitator.'),
    ('mentoring',     'Mentoring',        'Regular conversations with a more experienced colleague.'),
    ('coaching',      'Coaching',         'Sessions with a coach working on goals the learner sets.'),
    ('on_the_job',    'On-the-job',       'A stretch assignment or task in one''s own work that builds the skill.'),
    ('certification', 'Certification',    'A programme that ends with an exam or an assessed credential.')
ON CONFLICT (code) DO NOTHING;
