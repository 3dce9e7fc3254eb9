-- Down Migration
-- Description: Drop user_consents and the consent_purpose domain

DROP TRIGGER user_consents_audit ON user_consents;
DROP TRIGGER user_consents_immutable ON user_consents;

DROP FUNCTION refuse_consent_edit();

DROP TABLE user_consents;

DROP DOMAIN consent_purpose;
