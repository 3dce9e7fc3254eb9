-- Up Migration
-- Description: Create learning_resource_types, learning_resources, learning_plans, learning_objectives, learning_progress and recommendations
-- Date: 2026-11-25
--
-- A plan is built from a person's competency gaps: one objective per
-- competency below target. Plan status moves only along allowed transitions
-- (guard_status_transition). learning_resource_types is the shared list of
-- kinds of material, seeded for production.

CREATE TABLE learning_resource_types (
    code VARCHAR(50) PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT learning_resource_types_code_check CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT learning_resource_types_name_check CHECK (btrim(name) <> '')
);

CREATE TABLE learning_resources (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    resource_type VARCHAR(50) NOT NULL,
    url TEXT,
    provider VARCHAR(200),
    competency_id UUID,
    min_level SMALLINT,
    max_level SMALLINT,
    duration_minutes INTEGER,
    cost NUMERIC(10,2),
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT learning_resources_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT learning_resources_url_check CHECK (url ~ '^https?://'),
    CONSTRAINT learning_resources_min_level_check CHECK (min_level BETWEEN 1 AND 10),
    CONSTRAINT learning_resources_max_level_check CHECK (max_level BETWEEN 1 AND 10 AND max_level >= min_level),
    CONSTRAINT learning_resources_duration_minutes_check CHECK (duration_minutes > 0),
    CONSTRAINT learning_resources_cost_check CHECK (cost >= 0),
    CONSTRAINT learning_resources_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT learning_resources_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT learning_resources_resource_type_fkey FOREIGN KEY (resource_type)
        REFERENCES learning_resource_types (code) ON DELETE RESTRICT,
    CONSTRAINT learning_resources_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE SET NULL (competency_id)
);

CREATE INDEX idx_learning_resources_competency ON learning_resources (organization_id, competency_id, min_level)
    WHERE deleted_at IS NULL;

CREATE TRIGGER learning_resources_set_updated_at BEFORE UPDATE ON learning_resources
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE learning_plans (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    ai_analysis JSONB,
    status VARCHAR(50) NOT NULL DEFAULT 'active',
    start_date DATE,
    target_completion_date DATE,
    actual_completion_date DATE,
    source_cycle_id UUID,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT learning_plans_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT learning_plans_status_check CHECK (status IN ('draft', 'active', 'paused', 'completed', 'cancelled')),
    CONSTRAINT learning_plans_ai_analysis_check CHECK (jsonb_typeof(ai_analysis) = 'object'),
    CONSTRAINT learning_plans_target_completion_date_check CHECK (target_completion_date >= start_date),
    CONSTRAINT learning_plans_actual_completion_date_check
        CHECK ((status = 'completed') = (actual_completion_date IS NOT NULL)),
    CONSTRAINT learning_plans_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT learning_plans_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT learning_plans_source_cycle_id_fkey FOREIGN KEY (organization_id, source_cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE SET NULL (source_cycle_id),
    CONSTRAINT learning_plans_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_learning_plans_user_status ON learning_plans(user_id, status);

CREATE TRIGGER learning_plans_set_updated_at BEFORE UPDATE ON learning_plans
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER learning_plans_guard_status BEFORE UPDATE OF status ON learning_plans
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition(
        'draft>active', 'draft>cancelled', 'active>paused', 'active>completed', 'active>cancelled',
        'paused>active', 'paused>cancelled');

CREATE TABLE learning_objectives (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    plan_id UUID NOT NULL,
    competency_id UUID,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    current_level SMALLINT,
    target_level SMALLINT,
    status VARCHAR(20) NOT NULL DEFAULT 'not_started',
    priority SMALLINT NOT NULL DEFAULT 3,
    position SMALLINT NOT NULL DEFAULT 1,
    due_date DATE,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT learning_objectives_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT learning_objectives_status_check
        CHECK (status IN ('not_started', 'in_progress', 'completed', 'cancelled')),
    CONSTRAINT learning_objectives_current_level_check CHECK (current_level BETWEEN 0 AND 10),
    CONSTRAINT learning_objectives_target_level_check CHECK (target_level BETWEEN 1 AND 10),
    CONSTRAINT learning_objectives_priority_check CHECK (priority BETWEEN 1 AND 5),
    CONSTRAINT learning_objectives_position_check CHECK (position >= 1),
    CONSTRAINT learning_objectives_completed_at_check CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT learning_objectives_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT learning_objectives_plan_id_id_key UNIQUE (organization_id, plan_id, id),
    CONSTRAINT learning_objectives_plan_id_fkey FOREIGN KEY (organization_id, plan_id)
        REFERENCES learning_plans (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT learning_objectives_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE SET NULL (competency_id)
);

CREATE UNIQUE INDEX learning_objectives_competency_id_key ON learning_objectives (plan_id, competency_id)
    WHERE competency_id IS NOT NULL;
CREATE INDEX idx_learning_objectives_plan ON learning_objectives (plan_id, position);

CREATE TRIGGER learning_objectives_set_updated_at BEFORE UPDATE ON learning_objectives
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE learning_progress (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    plan_id UUID NOT NULL,
    objective_id UUID,
    resource_id UUID,
    user_id UUID NOT NULL,
    progress_percent SMALLINT NOT NULL,
    time_spent_minutes INTEGER,
    notes TEXT,
    completed_at TIMESTAMPTZ,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT learning_progress_progress_percent_check CHECK (progress_percent BETWEEN 0 AND 100),
    CONSTRAINT learning_progress_time_spent_minutes_check CHECK (time_spent_minutes >= 0),
    CONSTRAINT learning_progress_completed_at_check CHECK (completed_at IS NULL OR progress_percent = 100),
    CONSTRAINT learning_progress_plan_id_fkey FOREIGN KEY (organization_id, plan_id)
        REFERENCES learning_plans (organization_id, id) ON DELETE CASCADE,
    -- Progress on an objective must be progress on an objective of the same plan.
    CONSTRAINT learning_progress_objective_id_fkey FOREIGN KEY (organization_id, plan_id, objective_id)
        REFERENCES learning_objectives (organization_id, plan_id, id) ON DELETE CASCADE,
    CONSTRAINT learning_progress_resource_id_fkey FOREIGN KEY (organization_id, resource_id)
        REFERENCES learning_resources (organization_id, id) ON DELETE SET NULL (resource_id),
    CONSTRAINT learning_progress_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE
);

CREATE INDEX idx_learning_progress_plan ON learning_progress(plan_id, completed_at);
CREATE INDEX idx_learning_progress_objective ON learning_progress (objective_id, recorded_at) WHERE objective_id IS NOT NULL;

CREATE TABLE recommendations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    plan_id UUID,
    objective_id UUID,
    resource_id UUID,
    competency_id UUID,
    recommendation_type VARCHAR(20) NOT NULL DEFAULT 'resource',
    title VARCHAR(255) NOT NULL,
    reason TEXT,
    score NUMERIC(5,4) NOT NULL,
    model_name VARCHAR(100),
    model_version VARCHAR(50),
    model_metadata JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    decided_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT recommendations_recommendation_type_check
        CHECK (recommendation_type IN ('resource', 'objective', 'practice', 'mentor')),
    CONSTRAINT recommendations_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT recommendations_score_check CHECK (score BETWEEN 0 AND 1),
    CONSTRAINT recommendations_model_metadata_check CHECK (jsonb_typeof(model_metadata) = 'object'),
    CONSTRAINT recommendations_status_check CHECK (status IN ('pending', 'accepted', 'dismissed')),
    CONSTRAINT recommendations_decided_at_check CHECK ((status = 'pending') = (decided_at IS NULL)),
    CONSTRAINT recommendations_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT recommendations_plan_id_fkey FOREIGN KEY (organization_id, plan_id)
        REFERENCES learning_plans (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT recommendations_objective_id_fkey FOREIGN KEY (organization_id, objective_id)
        REFERENCES learning_objectives (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT recommendations_resource_id_fkey FOREIGN KEY (organization_id, resource_id)
        REFERENCES learning_resources (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT recommendations_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE CASCADE
);

CREATE INDEX idx_recommendations_user_status ON recommendations (user_id, status, score DESC);
CREATE INDEX idx_recommendations_plan ON recommendations (plan_id) WHERE plan_id IS NOT NULL;

CREATE TRIGGER recommendations_set_updated_at BEFORE UPDATE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER recommendations_guard_status BEFORE UPDATE OF status ON recommendations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('pending>accepted', 'pending>dismissed');
