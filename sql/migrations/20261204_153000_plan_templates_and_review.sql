-- Up Migration
-- Description: Learning plan templates (objectives with due-date offsets, competencies, resources) and plan review by the person's manager
-- Date: 2026-12-04
--
-- A template is an organization's reusable plan: ordered objectives, each
-- with a title, an optional competency and target level, an optional
-- resource and a due date as a number of days after the plan's start.
-- Instantiating one (learning.create_plan_from_template) copies its
-- objectives into a new plan for a person in one statement, due dates
-- computed from the start date and current levels from the person's levels.
--
-- A plan may be submitted for review; its review is decided by the plan
-- owner's manager (users.manager_id), who approves it or sends it back with a
-- comment. learning_plan_reviews keeps every round: at most one pending
-- per plan, decided once (pending -> approved | changes_requested, guarded
-- like other statuses), the reviewer checked by decide_learning_plan_review().
-- learning_plans.review_status mirrors the latest round for listing:
-- not_submitted, submitted, approved or changes_requested.
--
-- learning_objectives.resource_id links an objective to a resource (copied
-- from the template).

CREATE TABLE learning_plan_templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CONSTRAINT learning_plan_templates_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT learning_plan_templates_description_check CHECK (length(description) <= 4000),
    CONSTRAINT learning_plan_templates_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT learning_plan_templates_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT learning_plan_templates_created_by_fkey FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX learning_plan_templates_title_key ON learning_plan_templates (organization_id, lower(title))
    WHERE deleted_at IS NULL;

CREATE TRIGGER learning_plan_templates_set_updated_at BEFORE UPDATE ON learning_plan_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE learning_plan_template_objectives (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    template_id UUID NOT NULL,
    position SMALLINT NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    competency_id UUID,
    target_level SMALLINT,
    resource_id UUID,
    priority SMALLINT NOT NULL DEFAULT 3,
    due_offset_days INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT learning_plan_template_objectives_position_check CHECK (position BETWEEN 1 AND 100),
    CONSTRAINT learning_plan_template_objectives_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT learning_plan_template_objectives_description_check CHECK (length(description) <= 4000),
    CONSTRAINT learning_plan_template_objectives_target_level_check CHECK (target_level BETWEEN 1 AND 10),
    CONSTRAINT learning_plan_template_objectives_priority_check CHECK (priority BETWEEN 1 AND 5),
    CONSTRAINT learning_plan_template_objectives_due_offset_days_check CHECK (due_offset_days BETWEEN 0 AND 3650),
    CONSTRAINT learning_plan_template_objectives_position_key UNIQUE (template_id, position),
    CONSTRAINT learning_plan_template_objectives_template_id_fkey FOREIGN KEY (organization_id, template_id)
        REFERENCES learning_plan_templates (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT learning_plan_template_objectives_competency_id_fkey FOREIGN KEY (organization_id, competency_id)
        REFERENCES competencies (organization_id, id) ON DELETE SET NULL (competency_id),
    CONSTRAINT learning_plan_template_objectives_resource_id_fkey FOREIGN KEY (organization_id, resource_id)
        REFERENCES learning_resources (organization_id, id) ON DELETE SET NULL (resource_id)
);

CREATE TRIGGER learning_plan_template_objectives_set_updated_at BEFORE UPDATE ON learning_plan_template_objectives
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE learning_objectives ADD COLUMN resource_id UUID;

ALTER TABLE learning_objectives ADD CONSTRAINT learning_objectives_resource_id_fkey
    FOREIGN KEY (organization_id, resource_id) REFERENCES learning_resources (organization_id, id)
    ON DELETE SET NULL (resource_id);

CREATE INDEX idx_learning_objectives_due ON learning_objectives (organization_id, due_date)
    WHERE due_date IS NOT NULL AND status IN ('not_started', 'in_progress');

ALTER TABLE learning_plans ADD COLUMN template_id UUID;

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_template_id_fkey
    FOREIGN KEY (organization_id, template_id) REFERENCES learning_plan_templates (organization_id, id)
    ON DELETE SET NULL (template_id);

ALTER TABLE learning_plans ADD COLUMN review_status VARCHAR(20) NOT NULL DEFAULT 'not_submitted';

ALTER TABLE learning_plans ADD CONSTRAINT learning_plans_review_status_check
    CHECK (review_status IN ('not_submitted', 'submitted', 'approved', 'changes_requested'));

CREATE TABLE learning_plan_reviews (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    plan_id UUID NOT NULL,
    submitted_by UUID,
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    reviewer_id UUID,
    comment TEXT,
    decided_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT learning_plan_reviews_status_check CHECK (status IN ('pending', 'approved', 'changes_requested')),
    CONSTRAINT learning_plan_reviews_decided_at_check CHECK ((status = 'pending') = (decided_at IS NULL)),
    CONSTRAINT learning_plan_reviews_comment_check CHECK (btrim(comment) <> '' AND length(comment) <= 4000),
    -- Sent back always says why.
    CONSTRAINT learning_plan_reviews_changes_requested_check CHECK (status <> 'changes_requested' OR comment IS NOT NULL),
    CONSTRAINT learning_plan_reviews_plan_id_fkey FOREIGN KEY (organization_id, plan_id)
        REFERENCES learning_plans (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT learning_plan_reviews_submitted_by_fkey FOREIGN KEY (submitted_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT learning_plan_reviews_reviewer_id_fkey FOREIGN KEY (reviewer_id)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX learning_plan_reviews_pending_key ON learning_plan_reviews (plan_id) WHERE status = 'pending';
CREATE INDEX idx_learning_plan_reviews_plan ON learning_plan_reviews (plan_id, submitted_at);

CREATE TRIGGER learning_plan_reviews_set_updated_at BEFORE UPDATE ON learning_plan_reviews
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER learning_plan_reviews_guard_status BEFORE UPDATE OF status ON learning_plan_reviews
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('pending>approved', 'pending>changes_requested');
CREATE TRIGGER learning_plan_reviews_audit AFTER INSERT OR UPDATE OR DELETE ON learning_plan_reviews
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();

ALTER TABLE learning_plan_templates ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_plan_templates_current ON learning_plan_templates
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_plan_template_objectives ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_plan_template_objectives_current ON learning_plan_template_objectives
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE learning_plan_reviews ENABLE ROW LEVEL SECURITY;

CREATE POLICY learning_plan_reviews_current ON learning_plan_reviews
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- Decides the pending review of a plan: approved, or sent back with a
-- comment. Refusals: the plan absent (IK404); no pending review (IK409, the
-- plan's review_status); the reviewer not the manager of the plan's owner
-- (IK422 reviewer_id); sent back without a comment (IK422 comment).
CREATE FUNCTION decide_learning_plan_review(p_plan_id UUID, p_approved BOOLEAN, p_reviewer_id UUID, p_comment TEXT)
RETURNS learning_plan_reviews
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    plan RECORD;
    decided public.learning_plan_reviews;
BEGIN
    SELECT p.id, p.review_status, u.manager_id INTO plan
      FROM public.learning_plans p JOIN public.users u ON u.id = p.user_id
     WHERE p.id = p_plan_id AND p.deleted_at IS NULL
       FOR NO KEY UPDATE OF p;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'learning plan % not found', p_plan_id
            USING ERRCODE = 'IK404', DETAIL = p_plan_id::text, TABLE = 'learning_plans';
    END IF;
    IF plan.review_status <> 'submitted' THEN
        RAISE EXCEPTION 'learning plan % is %: it has no review to decide', p_plan_id, plan.review_status
            USING ERRCODE = 'IK409', DETAIL = plan.review_status, TABLE = 'learning_plans';
    END IF;
    IF plan.manager_id IS NULL OR p_reviewer_id IS DISTINCT FROM plan.manager_id THEN
        RAISE EXCEPTION 'only the manager of the plan''s owner reviews the plan'
            USING ERRCODE = 'IK422', COLUMN = 'reviewer_id', TABLE = 'learning_plan_reviews';
    END IF;
    IF NOT p_approved AND nullif(btrim(p_comment), '') IS NULL THEN
        RAISE EXCEPTION 'a plan sent back needs a comment saying why'
            USING ERRCODE = 'IK422', COLUMN = 'comment', TABLE = 'learning_plan_reviews';
    END IF;
    UPDATE public.learning_plan_reviews
       SET status = CASE WHEN p_approved THEN 'approved' ELSE 'changes_requested' END,
           reviewer_id = p_reviewer_id, comment = nullif(btrim(p_comment), ''), decided_at = now()
     WHERE plan_id = p_plan_id AND status = 'pending'
    RETURNING * INTO decided;
    UPDATE public.learning_plans
       SET review_status = decided.status
     WHERE id = p_plan_id;
    RETURN decided;
END
$$;
