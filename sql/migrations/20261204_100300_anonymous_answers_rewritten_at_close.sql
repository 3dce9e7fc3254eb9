-- Up Migration
-- Description: When an anonymous form's cycle closes, its answers are rewritten in random order and dated to the close: no transaction id, place or time links them to their invitations any more
-- Date: 2026-12-04
--
-- The application cannot read raw answers (20261204_100100), but the rows
-- themselves still held the link for whoever can: an answer shares its
-- transaction id (xmin) with the invitation its submission completed, its
-- place in the table (ctid) follows the order of submissions, and its date
-- is the day the invitation was completed. When a cycle on an anonymous form
-- closes (its results are shown from then on, and no answer arrives after),
-- this trigger rewrites the cycle's rows of feedback_responses and
-- feedback_ratings within the close's own statement: read, deleted and
-- inserted again in random order, with the same ids (a comment stays bound to
-- its row id) and created_at the day of the close. Afterwards every row
-- carries the close's transaction id, a place that says nothing of the order
-- of submissions, and one date.
--
-- It runs BEFORE the cycle's row changes, so the answer checks still find the
-- cycle active; a refused close rolls the rewrite back with it. A close waits
-- for submissions in flight (their share lock on the cycle) before its
-- triggers run, so their answers are rewritten too.
--
-- What stays (README, "What is not defended"): until the close the link is
-- in the rows for the tables' owner; the old versions of the rows stay in the
-- table files until VACUUM removes them, and in backups and WAL taken before.

CREATE FUNCTION rewrite_anonymous_answers() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    the_day TIMESTAMPTZ := date_trunc('day', coalesce(NEW.closed_at, now()));
    responses JSONB;
    ratings JSONB;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.feedback_forms f WHERE f.id = NEW.form_id AND f.is_anonymous) THEN
        RETURN NEW;
    END IF;
    SELECT jsonb_agg(to_jsonb(r) || jsonb_build_object('created_at', the_day) ORDER BY random())
      INTO responses
      FROM public.feedback_responses r WHERE r.cycle_id = NEW.id;
    SELECT jsonb_agg(to_jsonb(r) || jsonb_build_object('created_at', the_day) ORDER BY random())
      INTO ratings
      FROM public.feedback_ratings r WHERE r.cycle_id = NEW.id;
    DELETE FROM public.feedback_responses WHERE cycle_id = NEW.id;
    DELETE FROM public.feedback_ratings WHERE cycle_id = NEW.id;
    INSERT INTO public.feedback_responses
    SELECT * FROM jsonb_populate_recordset(NULL::public.feedback_responses, coalesce(responses, '[]'));
    INSERT INTO public.feedback_ratings
    SELECT * FROM jsonb_populate_recordset(NULL::public.feedback_ratings, coalesce(ratings, '[]'));
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION rewrite_anonymous_answers() FROM PUBLIC;

CREATE TRIGGER feedback_cycles_rewrite_anonymous_answers BEFORE UPDATE OF status ON feedback_cycles
    FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status = 'closed')
    EXECUTE FUNCTION rewrite_anonymous_answers();
