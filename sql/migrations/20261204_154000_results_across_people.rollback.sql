-- Down Migration
-- Description: Remove the heatmap function and the blind-spot margin setting check

DROP FUNCTION feedback_heatmap(UUID, TEXT);

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_settings_blind_spot_margin_check;
