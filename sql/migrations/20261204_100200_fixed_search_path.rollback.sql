-- Down Migration
-- Description: Functions look names up on the caller's search_path again

CREATE OR REPLACE FUNCTION current_person_email() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT lower(nullif(current_setting('ikenei.user_email', true), ''))
$$;

CREATE OR REPLACE FUNCTION current_organization_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('ikenei.organization_id', true), '')::uuid
$$;

ALTER FUNCTION new_organization_id() RESET search_path;
ALTER FUNCTION record_user_competency_history() RESET search_path;
ALTER FUNCTION stamp_cycle_status() RESET search_path;
ALTER FUNCTION refuse_feedback_edit() RESET search_path;
ALTER FUNCTION check_feedback_rating() RESET search_path;
ALTER FUNCTION refuse_consent_edit() RESET search_path;
ALTER FUNCTION refuse_log_change() RESET search_path;
ALTER FUNCTION freeze_privacy_of_used_forms() RESET search_path;
ALTER FUNCTION check_feedback_response() RESET search_path;
ALTER FUNCTION freeze_questions_of_used_forms() RESET search_path;
ALTER FUNCTION guard_status_transition() RESET search_path;
ALTER FUNCTION set_updated_at() RESET search_path;
