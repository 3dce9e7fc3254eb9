-- Up Migration
-- Description: Create competency_categories, competencies, competency_levels, user_competencies and their history
-- Date: 2026-11-25
--
-- Standard categories (organization_id IS NULL) are seeded and shared; an
-- organization adds its own. Competencies, their ordered levels and people's
-- levels belong to one organization, enforced by composite foreign keys on
-- (organization_id, id). user_competency_history is written by a trigger on
-- every level change, so the history cannot be skipped by a caller.

CREATE TABLE competency_categories (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    sort_order SMALLINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT competency_categories_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT competency_categories_name_key UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT competency_categories_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TRIGGER competency_categories_set_updated_at BEFORE UPDATE ON competency_categories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE competencies (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    category_id UUID,
    weight DECIMAL(3,2) NOT NULL DEFAULT 1.0,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT competencies_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT competencies_weight_check CHECK (weight > 0),
    CONSTRAINT competencies_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT competencies_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT competencies_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES competency_categories (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX competencies_name_key ON competencies (organization_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX idx_competencies_category ON competencies (category_id);

CREATE TRIGGER competencies_set_updated_at BEFORE UPDATE ON competencies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER competencies_category_same_organization BEFORE INSERT OR UPDATE OF category_id, organization_id ON competencies
    FOR EACH ROW EXECUTE FUNCTION ensure_shared_or_same_organization('category_id', 'competency_categories');

CREATE TABLE competency_levels (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    level SMALLINT NOT NULL,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT competency_levels_level_check CHECK (level BETWEEN 1 AND 10),
    CONSTRAINT competency_levels_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT competency_levels_level_key UNIQUE (organization_id, competency_id, level),
    CONSTRAINT competency_levels_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE CASCADE
);

CREATE TRIGGER competency_levels_set_updated_at BEFORE UPDATE ON competency_levels
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_competencies (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    current_level SMALLINT,
    target_level SMALLINT,
    source VARCHAR(20) NOT NULL,
    set_by UUID,
    cycle_id UUID,
    assessed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_competencies_source_check CHECK (source IN ('self', 'manager', 'feedback_cycle', 'assessment', 'import')),
    CONSTRAINT user_competencies_current_level_check CHECK (current_level BETWEEN 1 AND 10),
    CONSTRAINT user_competencies_target_level_check CHECK (target_level BETWEEN 1 AND 10),
    CONSTRAINT user_competencies_competency_id_key UNIQUE (organization_id, user_id, competency_id),
    CONSTRAINT user_competencies_user_id_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_competencies_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT user_competencies_current_level_fkey FOREIGN KEY (organization_id, competency_id, current_level)
        REFERENCES competency_levels (organization_id, competency_id, level) ON DELETE RESTRICT,
    CONSTRAINT user_competencies_target_level_fkey FOREIGN KEY (organization_id, competency_id, target_level)
        REFERENCES competency_levels (organization_id, competency_id, level) ON DELETE RESTRICT,
    CONSTRAINT user_competencies_set_by_fkey FOREIGN KEY (set_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_user_competencies_competency ON user_competencies (organization_id, competency_id);

CREATE TRIGGER user_competencies_set_updated_at BEFORE UPDATE ON user_competencies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_competency_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    user_competency_id UUID NOT NULL,
    user_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    current_level SMALLINT,
    target_level SMALLINT,
    source VARCHAR(20) NOT NULL,
    set_by UUID,
    cycle_id UUID,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_competency_history_source_check CHECK (source IN ('self', 'manager', 'feedback_cycle', 'assessment', 'import')),
    CONSTRAINT user_competency_history_user_competency_id_fkey FOREIGN KEY (user_competency_id)
        REFERENCES user_competencies (id) ON DELETE CASCADE,
    CONSTRAINT user_competency_history_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT user_competency_history_set_by_fkey FOREIGN KEY (set_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_user_competency_history_user ON user_competency_history (organization_id, user_id, competency_id, recorded_at);
CREATE INDEX idx_user_competency_history_entry ON user_competency_history (user_competency_id);

CREATE FUNCTION record_user_competency_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_competency_history
        (organization_id, user_competency_id, user_id, competency_id,
         current_level, target_level, source, set_by, cycle_id, recorded_at)
    VALUES
        (NEW.organization_id, NEW.id, NEW.user_id, NEW.competency_id,
         NEW.current_level, NEW.target_level, NEW.source, NEW.set_by, NEW.cycle_id, NEW.assessed_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER user_competencies_record_history
    AFTER INSERT OR UPDATE OF current_level, target_level, source, set_by, cycle_id ON user_competencies
    FOR EACH ROW EXECUTE FUNCTION record_user_competency_history();
