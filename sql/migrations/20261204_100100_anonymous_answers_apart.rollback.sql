-- Down Migration
-- Description: The application reads raw answers again, results are served while a cycle runs, anonymous forms may have any threshold, anonymous answers are audited without actor

CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    new_row JSON;
    old_row JSON;
    the_row JSON;
    columns TEXT[];
    who TEXT := nullif(current_setting('ikenei.actor', true), '');
    row_key TEXT;
    stamp TIMESTAMPTZ := now();
BEGIN
    IF TG_OP <> 'DELETE' THEN
        new_row := row_to_json(NEW);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := row_to_json(OLD);
    END IF;
    the_row := coalesce(new_row, old_row);
    row_key := the_row ->> 'id';

    -- json (not jsonb) keeps the table's column order.
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.position) INTO columns
          FROM json_each(new_row) WITH ORDINALITY AS n(key, value, position)
          JOIN json_each(old_row) AS o(key, value) ON o.key = n.key
         WHERE n.key <> 'updated_at' AND n.value::text IS DISTINCT FROM o.value::text;
        IF columns IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
        SELECT array_agg(c.key ORDER BY c.position) INTO columns
          FROM json_each(the_row) WITH ORDINALITY AS c(key, value, position)
         WHERE json_typeof(c.value) <> 'null';
    END IF;

    -- A submission on an anonymous form is written without its invitation
    -- (invitation_id IS NULL) and with its time cut to the day, so that
    -- nothing links an answer to its rater. The actor of that transaction is
    -- the rater, so the audit rows of those answers and ratings record no
    -- actor, no row id and only the day the row itself keeps: an audit row
    -- must not undo the anonymity the feedback tables give. What remains:
    -- the audit rows of one submission have ids next to the audit row of the
    -- invitation it completes (one transaction, as the feedback rows share
    -- their transaction id with the invitation's), so a reader of the log can
    -- tell that whoever completed an invitation wrote some anonymous rows that
    -- day, and whether they held a comment, but not which rows. Closing that
    -- needs submissions written apart from their invitation, not another log.
    IF TG_OP = 'INSERT' AND TG_TABLE_NAME IN ('feedback_responses', 'feedback_ratings')
       AND new_row ->> 'invitation_id' IS NULL THEN
        who := NULL;
        row_key := NULL;
        stamp := (new_row ->> 'created_at')::timestamptz;
    END IF;

    INSERT INTO public.audit_log (table_name, row_id, organization_id, action, changed_columns, actor, occurred_at)
    VALUES (TG_TABLE_NAME, row_key, (the_row ->> 'organization_id')::uuid, TG_OP, columns, who, stamp);
    RETURN NULL;
END
$$;

DROP FUNCTION feedback_comments(UUID, UUID);

DROP FUNCTION feedback_results_by_group(UUID, UUID);

DROP FUNCTION feedback_analysis(UUID, UUID);

DROP FUNCTION open_feedback_results(UUID, UUID, TEXT);

DROP FUNCTION may_read_feedback_results(UUID, UUID);

ALTER TABLE feedback_forms DROP CONSTRAINT feedback_forms_anonymity_threshold_check;

ALTER TABLE feedback_forms ADD CONSTRAINT feedback_forms_anonymity_threshold_check CHECK (anonymity_threshold BETWEEN 1 AND 50);

GRANT SELECT, INSERT, UPDATE, DELETE ON feedback_responses, feedback_ratings TO ikenei_app;
