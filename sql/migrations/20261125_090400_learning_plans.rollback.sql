-- Down Migration
-- Description: Drop the learning plan tables

DROP TABLE recommendations;
DROP TABLE learning_progress;
DROP TABLE learning_objectives;
DROP TABLE learning_plans;
DROP TABLE learning_resources;
DROP TABLE learning_resource_types;
