-- Up Migration
-- Description: Create analytics_events, reports and dashboard_widgets
-- Date: 2026-11-25
--
-- analytics_events is append-only and the busiest table: a bigint identity
-- key (no uuid generation, a compact index) keeps one insert cheap and lets
-- COPY load batches without naming the key.

CREATE TABLE analytics_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id UUID NOT NULL,
    user_id UUID,
    session_id VARCHAR(100),
    event_type VARCHAR(100) NOT NULL,
    properties JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT analytics_events_event_type_check CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),
    CONSTRAINT analytics_events_properties_check CHECK (jsonb_typeof(properties) = 'object'),
    CONSTRAINT analytics_events_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT analytics_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_analytics_events_organization_time ON analytics_events (organization_id, occurred_at);
CREATE INDEX idx_analytics_events_user_time ON analytics_events (user_id, occurred_at) WHERE user_id IS NOT NULL;
CREATE INDEX idx_analytics_events_type_time ON analytics_events (event_type, occurred_at);

CREATE TABLE reports (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    report_type VARCHAR(50) NOT NULL,
    title VARCHAR(255) NOT NULL,
    parameters JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(20) NOT NULL DEFAULT 'queued',
    result JSONB,
    file_url TEXT,
    error_message TEXT,
    requested_by UUID,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reports_report_type_check
        CHECK (report_type IN ('feedback_summary', 'cycle_completion', 'competency_gaps', 'learning_progress', 'engagement')),
    CONSTRAINT reports_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT reports_parameters_check CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT reports_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    CONSTRAINT reports_error_message_check CHECK ((status = 'failed') = (error_message IS NOT NULL)),
    CONSTRAINT reports_completed_at_check CHECK ((status IN ('completed', 'failed')) = (completed_at IS NOT NULL)),
    CONSTRAINT reports_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT reports_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_reports_organization_status ON reports (organization_id, status, created_at);

CREATE TRIGGER reports_set_updated_at BEFORE UPDATE ON reports
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER reports_guard_status BEFORE UPDATE OF status ON reports
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('queued>running', 'queued>failed', 'running>completed', 'running>failed');

CREATE TABLE dashboard_widgets (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    widget_type VARCHAR(50) NOT NULL,
    title VARCHAR(255),
    position SMALLINT NOT NULL,
    width SMALLINT NOT NULL DEFAULT 1,
    height SMALLINT NOT NULL DEFAULT 1,
    configuration JSONB NOT NULL DEFAULT '{}',
    is_visible BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT dashboard_widgets_widget_type_check
        CHECK (widget_type IN ('feedback_summary', 'competency_radar', 'learning_progress', 'pending_feedback',
                               'cycle_completion', 'recommendations', 'activity')),
    CONSTRAINT dashboard_widgets_position_check CHECK (position >= 0),
    CONSTRAINT dashboard_widgets_width_check CHECK (width BETWEEN 1 AND 12),
    CONSTRAINT dashboard_widgets_height_check CHECK (height BETWEEN 1 AND 12),
    CONSTRAINT dashboard_widgets_configuration_check CHECK (jsonb_typeof(configuration) = 'object'),
    CONSTRAINT dashboard_widgets_position_key UNIQUE (organization_id, user_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT dashboard_widgets_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE
);

CREATE TRIGGER dashboard_widgets_set_updated_at BEFORE UPDATE ON dashboard_widgets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
