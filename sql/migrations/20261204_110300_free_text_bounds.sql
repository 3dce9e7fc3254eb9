-- Up Migration
-- Description: Every free-text column has a bound, and a name or title must hold a visible character
-- Date: 2026-12-04
--
-- Free text had no size bound: a 10 MB description or actor was accepted (and
-- a long actor then broke every read that logs it). Each text and JSON
-- column of unbounded type now has a CHECK on its length, named
-- <table>_<column>_length_check (ikenei.errors reports it as an InvalidData
-- of <column>); the README lists the bounds. Columns of type varchar(n) were
-- bounded by their type already. Encrypted text is bounded by the
-- repositories before encryption (10,000 characters); its ciphertext here
-- by the size that many characters can take (4 bytes each, plus 29).
-- Lengths count characters (char_length) for text, bytes of the JSON text
-- for json.
--
-- A name, title or actor made only of no-break, zero-width or other
-- invisible spaces passed the old checks (btrim and \S see ASCII spaces
-- only): has_visible_text() requires one character that is neither a space
-- (any of Unicode's), a control character nor a zero-width one. It has a
-- fixed search_path like every function of the schema.

CREATE FUNCTION has_visible_text(value TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT value ~ '[^[:space:][:cntrl:]\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]'
$$;

ALTER TABLE competencies DROP CONSTRAINT competencies_name_check;

ALTER TABLE competencies ADD CONSTRAINT competencies_name_check CHECK (has_visible_text(name));

ALTER TABLE competency_categories DROP CONSTRAINT competency_categories_name_check;

ALTER TABLE competency_categories ADD CONSTRAINT competency_categories_name_check CHECK (has_visible_text(name));

ALTER TABLE competency_levels DROP CONSTRAINT competency_levels_name_check;

ALTER TABLE competency_levels ADD CONSTRAINT competency_levels_name_check CHECK (has_visible_text(name));

ALTER TABLE data_access_log DROP CONSTRAINT data_access_log_actor_check;

ALTER TABLE data_access_log ADD CONSTRAINT data_access_log_actor_check CHECK (has_visible_text(actor));

ALTER TABLE data_processing_log DROP CONSTRAINT data_processing_log_actor_check;

ALTER TABLE data_processing_log ADD CONSTRAINT data_processing_log_actor_check CHECK (has_visible_text(actor));

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_name_check;

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_name_check CHECK (has_visible_text(name));

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_title_check;

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_title_check CHECK (has_visible_text(title));

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_text_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_text_check CHECK (has_visible_text(question_text));

ALTER TABLE learning_objectives DROP CONSTRAINT learning_objectives_title_check;

ALTER TABLE learning_objectives ADD CONSTRAINT learning_objectives_title_check CHECK (has_visible_text(title));

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_title_check;

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_title_check CHECK (has_visible_text(title));

ALTER TABLE learning_resource_types DROP CONSTRAINT learning_resource_types_name_check;

ALTER TABLE learning_resource_types ADD CONSTRAINT learning_resource_types_name_check CHECK (has_visible_text(name));

ALTER TABLE learning_resources DROP CONSTRAINT learning_resources_title_check;

ALTER TABLE learning_resources ADD CONSTRAINT learning_resources_title_check CHECK (has_visible_text(title));

ALTER TABLE organizations DROP CONSTRAINT organizations_name_check;

ALTER TABLE organizations ADD CONSTRAINT organizations_name_check CHECK (has_visible_text(name));

ALTER TABLE recommendations DROP CONSTRAINT recommendations_title_check;

ALTER TABLE recommendations ADD CONSTRAINT recommendations_title_check CHECK (has_visible_text(title));

ALTER TABLE reports DROP CONSTRAINT reports_title_check;

ALTER TABLE reports ADD CONSTRAINT reports_title_check CHECK (has_visible_text(title));

ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_description_check;

ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_description_check CHECK (has_visible_text(description));

ALTER TABLE user_consents DROP CONSTRAINT user_consents_consent_version_check;

ALTER TABLE user_consents ADD CONSTRAINT user_consents_consent_version_check CHECK (has_visible_text(consent_version));

ALTER TABLE users DROP CONSTRAINT users_first_name_check;

ALTER TABLE users ADD CONSTRAINT users_first_name_check CHECK (has_visible_text(first_name));

ALTER TABLE users DROP CONSTRAINT users_last_name_check;

ALTER TABLE users ADD CONSTRAINT users_last_name_check CHECK (has_visible_text(last_name));

ALTER TABLE competencies ADD CONSTRAINT competencies_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE competency_categories ADD CONSTRAINT competency_categories_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE competency_levels ADD CONSTRAINT competency_levels_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_text_length_check CHECK (char_length(question_text) <= 2000);

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_length_check CHECK (char_length(comment) <= 10000);

ALTER TABLE learning_objectives ADD CONSTRAINT learning_objectives_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_length_check CHECK (char_length(notes) <= 10000);

ALTER TABLE learning_resource_types ADD CONSTRAINT learning_resource_types_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE learning_resources ADD CONSTRAINT learning_resources_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE learning_resources ADD CONSTRAINT learning_resources_url_length_check CHECK (char_length(url) <= 2048);

ALTER TABLE organizations ADD CONSTRAINT organizations_logo_url_length_check CHECK (char_length(logo_url) <= 2048);

ALTER TABLE recommendations ADD CONSTRAINT recommendations_reason_length_check CHECK (char_length(reason) <= 10000);

ALTER TABLE reports ADD CONSTRAINT reports_error_message_length_check CHECK (char_length(error_message) <= 10000);

ALTER TABLE reports ADD CONSTRAINT reports_file_url_length_check CHECK (char_length(file_url) <= 2048);

ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE roles ADD CONSTRAINT roles_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE system_settings ADD CONSTRAINT system_settings_description_length_check CHECK (char_length(description) <= 10000);

ALTER TABLE users ADD CONSTRAINT users_profile_image_url_length_check CHECK (char_length(profile_image_url) <= 2048);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_length_check CHECK (char_length(actor) <= 200);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_row_id_length_check CHECK (char_length(row_id) <= 100);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_table_name_length_check CHECK (char_length(table_name) <= 63);

ALTER TABLE analytics_events ADD CONSTRAINT analytics_events_properties_length_check CHECK (octet_length(properties::text) <= 65536);

ALTER TABLE dashboard_widgets ADD CONSTRAINT dashboard_widgets_configuration_length_check CHECK (octet_length(configuration::text) <= 65536);

ALTER TABLE data_processing_log ADD CONSTRAINT data_processing_log_details_length_check CHECK (octet_length(details::text) <= 65536);

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_settings_length_check CHECK (octet_length(settings::text) <= 65536);

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_ai_analysis_length_check CHECK (octet_length(ai_analysis::text) <= 1048576);

ALTER TABLE organizations ADD CONSTRAINT organizations_settings_length_check CHECK (octet_length(settings::text) <= 65536);

ALTER TABLE recommendations ADD CONSTRAINT recommendations_model_metadata_length_check CHECK (octet_length(model_metadata::text) <= 65536);

ALTER TABLE reports ADD CONSTRAINT reports_parameters_length_check CHECK (octet_length(parameters::text) <= 65536);

ALTER TABLE reports ADD CONSTRAINT reports_result_length_check CHECK (octet_length(result::text) <= 10485760);

ALTER TABLE roles ADD CONSTRAINT roles_permissions_length_check CHECK (octet_length(permissions::text) <= 65536);

ALTER TABLE system_settings ADD CONSTRAINT system_settings_value_length_check CHECK (octet_length(value::text) <= 65536);

ALTER TABLE feedback_responses ADD CONSTRAINT feedback_responses_comment_ciphertext_length_check CHECK (octet_length(comment_ciphertext) <= 40029);

ALTER TABLE learning_progress ADD CONSTRAINT learning_progress_notes_ciphertext_length_check CHECK (octet_length(notes_ciphertext) <= 40029);
