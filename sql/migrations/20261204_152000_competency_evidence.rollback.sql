-- Down Migration
-- Description: Remove evidence on competency level changes

DROP POLICY competency_evidence_current ON competency_evidence;

DROP TABLE competency_evidence;

ALTER TABLE user_competency_history DROP CONSTRAINT user_competency_history_organization_id_id_key;
