-- Down Migration
-- Description: Drop the competency framework

DROP TABLE user_competency_history;
DROP TABLE user_competencies;
DROP FUNCTION record_user_competency_history();
DROP TABLE competency_levels;
DROP TABLE competencies;
DROP TABLE competency_categories;
