-- Up Migration
-- Description: Rater nomination with approval: counts per relationship on the cycle, nominations guarded like cycles, approved ones become invitations
-- Date: 2026-12-04
--
-- The person rated (or their manager, when the form's settings say
-- "nominations_by": "manager") proposes raters per relationship; the
-- person's manager, or a holder of the feedback.cycles.manage permission,
-- approves or rejects each proposal with an optional reason. Only an
-- approval makes an invitation, in the same transaction.
--
--   feedback_nomination_rules  per cycle and relationship, the fewest and the
--                              most raters a person may have; a relationship
--                              without a rule takes no nominations.
--   feedback_nominations       proposed -> approved | rejected | withdrawn.
--
-- The checks live in nominate_feedback_rater() and
-- decide_feedback_nomination(), which lock the cycle (nominations) or the
-- nomination (decisions) first, so two racing callers cannot both pass a
-- count or both decide. Both run as the caller (row-level security applies)
-- with a fixed search_path.

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_settings_nominations_by_check
    CHECK (settings ->> 'nominations_by' IS NULL OR settings ->> 'nominations_by' IN ('target', 'manager'));

CREATE TABLE feedback_nomination_rules (
    organization_id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    relationship VARCHAR(20) NOT NULL,
    min_raters SMALLINT NOT NULL DEFAULT 0,
    max_raters SMALLINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_nomination_rules_pkey PRIMARY KEY (cycle_id, relationship),
    CONSTRAINT feedback_nomination_rules_relationship_check
        CHECK (relationship IN ('manager', 'peer', 'direct_report', 'external')),
    CONSTRAINT feedback_nomination_rules_min_raters_check CHECK (min_raters BETWEEN 0 AND 50),
    CONSTRAINT feedback_nomination_rules_max_raters_check CHECK (max_raters BETWEEN 1 AND 50 AND max_raters >= min_raters),
    CONSTRAINT feedback_nomination_rules_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE CASCADE
);

CREATE TRIGGER feedback_nomination_rules_set_updated_at BEFORE UPDATE ON feedback_nomination_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE feedback_nominations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    target_user_id UUID NOT NULL,
    relationship VARCHAR(20) NOT NULL,
    rater_user_id UUID,
    rater_email VARCHAR(255),
    rater_name VARCHAR(200),
    status VARCHAR(20) NOT NULL DEFAULT 'proposed',
    nominated_by UUID,
    decided_by UUID,
    decision_reason TEXT,
    decided_at TIMESTAMPTZ,
    invitation_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feedback_nominations_relationship_check
        CHECK (relationship IN ('manager', 'peer', 'direct_report', 'external')),
    CONSTRAINT feedback_nominations_status_check
        CHECK (status IN ('proposed', 'approved', 'rejected', 'withdrawn')),
    CONSTRAINT feedback_nominations_rater_check CHECK (
        (relationship = 'external' AND rater_user_id IS NULL AND rater_email IS NOT NULL)
        OR (relationship <> 'external' AND rater_user_id IS NOT NULL AND rater_email IS NULL)),
    -- Nobody rates themselves as a peer (or manager, or report): self-assessment is an invitation of its own.
    CONSTRAINT feedback_nominations_rater_user_id_check CHECK (rater_user_id <> target_user_id),
    CONSTRAINT feedback_nominations_rater_email_check
        CHECK (rater_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(rater_email) <= 255),
    CONSTRAINT feedback_nominations_rater_name_check CHECK (btrim(rater_name) <> ''),
    CONSTRAINT feedback_nominations_decision_reason_check CHECK (btrim(decision_reason) <> '' AND length(decision_reason) <= 1000),
    CONSTRAINT feedback_nominations_decided_at_check
        CHECK ((status IN ('approved', 'rejected')) = (decided_at IS NOT NULL AND decided_at >= created_at)),
    CONSTRAINT feedback_nominations_invitation_id_check CHECK (invitation_id IS NULL OR status = 'approved'),
    CONSTRAINT feedback_nominations_organization_id_id_key UNIQUE (organization_id, id),
    CONSTRAINT feedback_nominations_cycle_id_fkey FOREIGN KEY (organization_id, cycle_id)
        REFERENCES feedback_cycles (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT feedback_nominations_target_user_id_fkey FOREIGN KEY (organization_id, target_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT feedback_nominations_rater_user_id_fkey FOREIGN KEY (organization_id, rater_user_id)
        REFERENCES user_organizations (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT feedback_nominations_nominated_by_fkey FOREIGN KEY (nominated_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT feedback_nominations_decided_by_fkey FOREIGN KEY (decided_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT feedback_nominations_invitation_id_fkey FOREIGN KEY (organization_id, invitation_id)
        REFERENCES feedback_invitations (organization_id, id) ON DELETE SET NULL (invitation_id)
);

-- One open or approved nomination per rater of a person in a cycle.
CREATE UNIQUE INDEX feedback_nominations_rater_user_id_key
    ON feedback_nominations (cycle_id, target_user_id, rater_user_id)
    WHERE rater_user_id IS NOT NULL AND status IN ('proposed', 'approved');
CREATE UNIQUE INDEX feedback_nominations_rater_email_key
    ON feedback_nominations (cycle_id, target_user_id, lower(rater_email))
    WHERE rater_user_id IS NULL AND status IN ('proposed', 'approved');
CREATE INDEX idx_feedback_nominations_target ON feedback_nominations (cycle_id, target_user_id, relationship, status);
CREATE INDEX idx_feedback_nominations_rater ON feedback_nominations (rater_user_id) WHERE rater_user_id IS NOT NULL;
CREATE INDEX idx_feedback_nominations_invitation ON feedback_nominations (invitation_id) WHERE invitation_id IS NOT NULL;

CREATE TRIGGER feedback_nominations_set_updated_at BEFORE UPDATE ON feedback_nominations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER feedback_nominations_guard_status BEFORE UPDATE OF status ON feedback_nominations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION guard_status_transition('proposed>approved', 'proposed>rejected', 'proposed>withdrawn');
CREATE TRIGGER feedback_nominations_audit AFTER INSERT OR UPDATE OR DELETE ON feedback_nominations
    FOR EACH ROW EXECUTE FUNCTION audit_row_change();

ALTER TABLE feedback_nomination_rules ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_nomination_rules_current ON feedback_nomination_rules
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

ALTER TABLE feedback_nominations ENABLE ROW LEVEL SECURITY;

CREATE POLICY feedback_nominations_current ON feedback_nominations
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- Proposes one rater for a person in a draft or active cycle; returns the
-- nomination. Refusals: the cycle absent (IK404) or over (IK409, its
-- status); nominated_by not the one the form lets nominate; target or rater
-- not an active member; a relationship without a rule or already at its
-- maximum; a rater already nominated or invited (unique violation).
CREATE FUNCTION nominate_feedback_rater(
    p_cycle_id UUID, p_target_user_id UUID, p_relationship TEXT, p_rater_user_id UUID,
    p_rater_email TEXT, p_rater_name TEXT, p_nominated_by UUID
) RETURNS feedback_nominations
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    cyc RECORD;
    rule RECORD;
    taken INTEGER;
    target_manager UUID;
    created public.feedback_nominations;
BEGIN
    -- NO KEY UPDATE: serializes the nominations of a cycle without blocking
    -- the foreign-key checks of invitations and answers.
    SELECT c.id, c.organization_id, c.status, coalesce(f.settings ->> 'nominations_by', 'target') AS nominations_by
      INTO cyc
      FROM public.feedback_cycles c JOIN public.feedback_forms f ON f.id = c.form_id
     WHERE c.id = p_cycle_id
       FOR NO KEY UPDATE OF c;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback cycle % not found', p_cycle_id
            USING ERRCODE = 'IK404', DETAIL = p_cycle_id::text, TABLE = 'feedback_cycles';
    END IF;
    IF cyc.status NOT IN ('draft', 'active') THEN
        RAISE EXCEPTION 'feedback cycle % is %: it takes no nominations', p_cycle_id, cyc.status
            USING ERRCODE = 'IK409', DETAIL = cyc.status, TABLE = 'feedback_cycles';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.user_organizations m
                    WHERE m.organization_id = cyc.organization_id AND m.user_id = p_target_user_id
                      AND m.status = 'active') THEN
        RAISE EXCEPTION 'the person rated is not an active member of the cycle''s organization'
            USING ERRCODE = 'IK422', COLUMN = 'target_user_id', TABLE = 'feedback_nominations';
    END IF;
    SELECT u.manager_id INTO target_manager FROM public.users u WHERE u.id = p_target_user_id;
    IF cyc.nominations_by = 'target' AND p_nominated_by IS DISTINCT FROM p_target_user_id THEN
        RAISE EXCEPTION 'in this cycle only the person rated nominates their raters'
            USING ERRCODE = 'IK422', COLUMN = 'nominated_by', TABLE = 'feedback_nominations';
    END IF;
    IF cyc.nominations_by = 'manager' AND (target_manager IS NULL OR p_nominated_by IS DISTINCT FROM target_manager) THEN
        RAISE EXCEPTION 'in this cycle only the manager of the person rated nominates their raters'
            USING ERRCODE = 'IK422', COLUMN = 'nominated_by', TABLE = 'feedback_nominations';
    END IF;
    IF p_rater_user_id IS NOT NULL AND p_rater_user_id = p_target_user_id THEN
        RAISE EXCEPTION 'the person rated cannot be nominated as their own % rater', p_relationship
            USING ERRCODE = 'IK422', COLUMN = 'rater_user_id', TABLE = 'feedback_nominations';
    END IF;
    IF p_rater_user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM public.user_organizations m
             WHERE m.organization_id = cyc.organization_id AND m.user_id = p_rater_user_id
               AND m.status = 'active') THEN
        RAISE EXCEPTION 'the rater is not an active member of the cycle''s organization'
            USING ERRCODE = 'IK422', COLUMN = 'rater_user_id', TABLE = 'feedback_nominations';
    END IF;
    SELECT r.min_raters, r.max_raters INTO rule
      FROM public.feedback_nomination_rules r
     WHERE r.cycle_id = p_cycle_id AND r.relationship = p_relationship;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this cycle takes no % nominations', coalesce(p_relationship, 'null')
            USING ERRCODE = 'IK422', COLUMN = 'relationship', TABLE = 'feedback_nominations';
    END IF;
    SELECT count(*) INTO taken
      FROM public.feedback_nominations n
     WHERE n.cycle_id = p_cycle_id AND n.target_user_id = p_target_user_id
       AND n.relationship = p_relationship AND n.status IN ('proposed', 'approved');
    IF taken >= rule.max_raters THEN
        RAISE EXCEPTION 'a person has at most % % rater(s) in this cycle', rule.max_raters, p_relationship
            USING ERRCODE = 'IK422', COLUMN = 'relationship', TABLE = 'feedback_nominations';
    END IF;
    IF EXISTS (SELECT 1 FROM public.feedback_invitations i
                WHERE i.cycle_id = p_cycle_id AND i.target_user_id = p_target_user_id
                  AND (i.rater_user_id = p_rater_user_id
                       OR (i.rater_user_id IS NULL AND lower(i.rater_email) = lower(p_rater_email)))) THEN
        RAISE EXCEPTION 'this rater is already invited to rate this person in this cycle'
            USING ERRCODE = 'unique_violation', TABLE = 'feedback_nominations',
                  CONSTRAINT = CASE WHEN p_rater_user_id IS NULL THEN 'feedback_nominations_rater_email_key'
                                    ELSE 'feedback_nominations_rater_user_id_key' END;
    END IF;
    INSERT INTO public.feedback_nominations
        (organization_id, cycle_id, target_user_id, relationship, rater_user_id, rater_email, rater_name, nominated_by)
    VALUES (cyc.organization_id, p_cycle_id, p_target_user_id, p_relationship, p_rater_user_id,
            p_rater_email, p_rater_name, p_nominated_by)
    RETURNING * INTO created;
    RETURN created;
END
$$;

-- Approves (making its invitation: for an external rater with the access
-- token digest the application made, ignored for a member) or rejects a proposed nomination;
-- returns it. Refusals: absent (IK404); already decided or withdrawn
-- (IK409, its status); the cycle over (IK409, its status); decided_by
-- neither the manager of the person rated nor a holder of
-- feedback.cycles.manage in the organization, or the person rated
-- themselves (IK422 decided_by).
CREATE FUNCTION decide_feedback_nomination(
    p_nomination_id UUID, p_approve BOOLEAN, p_decided_by UUID, p_reason TEXT,
    p_access_token_hash BYTEA, p_token_expires_at TIMESTAMPTZ
) RETURNS feedback_nominations
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    nom RECORD;
    invitation UUID;
    decided public.feedback_nominations;
BEGIN
    SELECT n.id, n.organization_id, n.cycle_id, n.target_user_id, n.relationship, n.rater_user_id,
           n.rater_email, n.rater_name, n.status, c.status AS cycle_status, c.ends_at,
           u.manager_id AS target_manager
      INTO nom
      FROM public.feedback_nominations n
      JOIN public.feedback_cycles c ON c.id = n.cycle_id
      JOIN public.users u ON u.id = n.target_user_id
     WHERE n.id = p_nomination_id
       FOR UPDATE OF n;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback nomination % not found', p_nomination_id
            USING ERRCODE = 'IK404', DETAIL = p_nomination_id::text, TABLE = 'feedback_nominations';
    END IF;
    IF nom.status <> 'proposed' THEN
        RAISE EXCEPTION 'feedback nomination % is %: it cannot be decided again', p_nomination_id, nom.status
            USING ERRCODE = 'IK409', DETAIL = nom.status, TABLE = 'feedback_nominations';
    END IF;
    IF p_decided_by IS NULL OR p_decided_by = nom.target_user_id THEN
        RAISE EXCEPTION 'the person rated cannot decide on their own raters'
            USING ERRCODE = 'IK422', COLUMN = 'decided_by', TABLE = 'feedback_nominations';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.user_organizations m
                    WHERE m.organization_id = nom.organization_id AND m.user_id = p_decided_by
                      AND m.status = 'active')
       OR NOT (p_decided_by = nom.target_manager
               OR EXISTS (SELECT 1 FROM public.user_roles ur JOIN public.roles r ON r.id = ur.role_id
                           WHERE ur.organization_id = nom.organization_id AND ur.user_id = p_decided_by
                             AND r.permissions ? 'feedback.cycles.manage')) THEN
        RAISE EXCEPTION 'only the manager of the person rated or a holder of feedback.cycles.manage decides on nominations'
            USING ERRCODE = 'IK422', COLUMN = 'decided_by', TABLE = 'feedback_nominations';
    END IF;
    IF p_approve THEN
        IF nom.cycle_status NOT IN ('draft', 'active') THEN
            RAISE EXCEPTION 'feedback cycle % is %: it takes no new raters', nom.cycle_id, nom.cycle_status
                USING ERRCODE = 'IK409', DETAIL = nom.cycle_status, TABLE = 'feedback_cycles';
        END IF;
        IF nom.relationship = 'external' AND p_access_token_hash IS NULL THEN
            RAISE EXCEPTION 'an external rater needs an access token'
                USING ERRCODE = 'IK422', COLUMN = 'access_token', TABLE = 'feedback_nominations';
        END IF;
        INSERT INTO public.feedback_invitations
            (organization_id, cycle_id, target_user_id, rater_user_id, rater_email, rater_name,
             relationship, access_token_hash, token_expires_at)
        VALUES (nom.organization_id, nom.cycle_id, nom.target_user_id, nom.rater_user_id, nom.rater_email,
                nom.rater_name, nom.relationship,
                CASE WHEN nom.relationship = 'external' THEN p_access_token_hash END,
                CASE WHEN nom.relationship = 'external'
                     THEN coalesce(p_token_expires_at, nom.ends_at, now() + interval '30 days') END)
        RETURNING id INTO invitation;
    END IF;
    UPDATE public.feedback_nominations
       SET status = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
           decided_by = p_decided_by, decided_at = now(), decision_reason = nullif(btrim(p_reason), ''),
           invitation_id = invitation
     WHERE id = p_nomination_id
    RETURNING * INTO decided;
    RETURN decided;
END
$$;
