-- Down Migration
-- Description: Free text unbounded again; names checked for an ASCII non-space only

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_ciphertext_length_check;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_ciphertext_length_check;

ALTER TABLE system_settings DROP CONSTRAINT system_settings_value_length_check;

ALTER TABLE roles DROP CONSTRAINT roles_permissions_length_check;

ALTER TABLE reports DROP CONSTRAINT reports_result_length_check;

ALTER TABLE reports DROP CONSTRAINT reports_parameters_length_check;

ALTER TABLE recommendations DROP CONSTRAINT recommendations_model_metadata_length_check;

ALTER TABLE organizations DROP CONSTRAINT organizations_settings_length_check;

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_ai_analysis_length_check;

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_settings_length_check;

ALTER TABLE data_processing_log DROP CONSTRAINT data_processing_log_details_length_check;

ALTER TABLE dashboard_widgets DROP CONSTRAINT dashboard_widgets_configuration_length_check;

ALTER TABLE analytics_events DROP CONSTRAINT analytics_events_properties_length_check;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_table_name_length_check;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_row_id_length_check;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_length_check;

ALTER TABLE users DROP CONSTRAINT users_profile_image_url_length_check;

ALTER TABLE system_settings DROP CONSTRAINT system_settings_description_length_check;

ALTER TABLE roles DROP CONSTRAINT roles_description_length_check;

ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_description_length_check;

ALTER TABLE reports DROP CONSTRAINT reports_file_url_length_check;

ALTER TABLE reports DROP CONSTRAINT reports_error_message_length_check;

ALTER TABLE recommendations DROP CONSTRAINT recommendations_reason_length_check;

ALTER TABLE organizations DROP CONSTRAINT organizations_logo_url_length_check;

ALTER TABLE learning_resources DROP CONSTRAINT learning_resources_url_length_check;

ALTER TABLE learning_resources DROP CONSTRAINT learning_resources_description_length_check;

ALTER TABLE learning_resource_types DROP CONSTRAINT learning_resource_types_description_length_check;

ALTER TABLE learning_progress DROP CONSTRAINT learning_progress_notes_length_check;

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_description_length_check;

ALTER TABLE learning_objectives DROP CONSTRAINT learning_objectives_description_length_check;

ALTER TABLE feedback_responses DROP CONSTRAINT feedback_responses_comment_length_check;

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_text_length_check;

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_description_length_check;

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_description_length_check;

ALTER TABLE competency_levels DROP CONSTRAINT competency_levels_description_length_check;

ALTER TABLE competency_categories DROP CONSTRAINT competency_categories_description_length_check;

ALTER TABLE competencies DROP CONSTRAINT competencies_description_length_check;

ALTER TABLE users DROP CONSTRAINT users_last_name_check;

ALTER TABLE users ADD CONSTRAINT users_last_name_check CHECK ((last_name)::text ~ '\S'::text);

ALTER TABLE users DROP CONSTRAINT users_first_name_check;

ALTER TABLE users ADD CONSTRAINT users_first_name_check CHECK ((first_name)::text ~ '\S'::text);

ALTER TABLE user_consents DROP CONSTRAINT user_consents_consent_version_check;

ALTER TABLE user_consents ADD CONSTRAINT user_consents_consent_version_check CHECK (btrim((consent_version)::text) <> ''::text);

ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_description_check;

ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_description_check CHECK (btrim(description) <> ''::text);

ALTER TABLE reports DROP CONSTRAINT reports_title_check;

ALTER TABLE reports ADD CONSTRAINT reports_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE recommendations DROP CONSTRAINT recommendations_title_check;

ALTER TABLE recommendations ADD CONSTRAINT recommendations_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE organizations DROP CONSTRAINT organizations_name_check;

ALTER TABLE organizations ADD CONSTRAINT organizations_name_check CHECK ((name)::text ~ '\S'::text);

ALTER TABLE learning_resources DROP CONSTRAINT learning_resources_title_check;

ALTER TABLE learning_resources ADD CONSTRAINT learning_resources_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE learning_resource_types DROP CONSTRAINT learning_resource_types_name_check;

ALTER TABLE learning_resource_types ADD CONSTRAINT learning_resource_types_name_check CHECK ((name)::text ~ '\S'::text);

ALTER TABLE learning_plans DROP CONSTRAINT learning_plans_title_check;

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE learning_objectives DROP CONSTRAINT learning_objectives_title_check;

ALTER TABLE learning_objectives ADD CONSTRAINT learning_objectives_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE feedback_questions DROP CONSTRAINT feedback_questions_question_text_check;

ALTER TABLE feedback_questions ADD CONSTRAINT feedback_questions_question_text_check CHECK (question_text ~ '\S'::text);

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_title_check;

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_title_check CHECK ((title)::text ~ '\S'::text);

ALTER TABLE feedback_cycles DROP CONSTRAINT feedback_cycles_name_check;

ALTER TABLE feedback_cycles ADD CONSTRAINT feedback_cycles_name_check CHECK ((name)::text ~ '\S'::text);

ALTER TABLE data_processing_log DROP CONSTRAINT data_processing_log_actor_check;

ALTER TABLE data_processing_log ADD CONSTRAINT data_processing_log_actor_check CHECK (btrim((actor)::text) <> ''::text);

ALTER TABLE data_access_log DROP CONSTRAINT data_access_log_actor_check;

ALTER TABLE data_access_log ADD CONSTRAINT data_access_log_actor_check CHECK (btrim((actor)::text) <> ''::text);

ALTER TABLE competency_levels DROP CONSTRAINT competency_levels_name_check;

ALTER TABLE competency_levels ADD CONSTRAINT competency_levels_name_check CHECK ((name)::text ~ '\S'::text);

ALTER TABLE competency_categories DROP CONSTRAINT competency_categories_name_check;

ALTER TABLE competency_categories ADD CONSTRAINT competency_categories_name_check CHECK ((name)::text ~ '\S'::text);

ALTER TABLE competencies DROP CONSTRAINT competencies_name_check;

ALTER TABLE competencies ADD CONSTRAINT competencies_name_check CHECK ((name)::text ~ '\S'::text);

DROP FUNCTION has_visible_text(TEXT);
