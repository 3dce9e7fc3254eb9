-- Up Migration
-- Description: Whoever may view an organization's analytics counts its events from the index alone
-- Date: 2026-12-05
--
-- analytics.count_events_by_day read one heap page per event under the
-- application role: the restrictive policy analytics_events_view reads each
-- row's user_id and xmin (a person without analytics.view sees their own
-- events and those of their own transaction), so the covering index
-- idx_analytics_events_organization_page could not answer alone even for a
-- viewer, whom the policy lets see every event of the organization. At
-- 20,000 people a year of one organization's events read 5,536 buffers in
-- 25 ms under the application role against 106 in 4 ms as the owner.
--
-- The count now takes two branches of one statement, decided once by
-- analytics_counted_whole():
-- * whole: the tables' owner (or a role past row-level security), or an
--   acting person who may view analytics in the scope's own organization.
--   analytics_event_counts_for_viewers() counts as the definer, with exactly
--   the rows the policies show such a caller: every event of the
--   organization, which must be the scope's (analytics_events_current).
-- * otherwise the statement's own scan, under every policy as before: a
--   person's own events, another organization's none.
-- The definer branch reads no column but the index's.

CREATE FUNCTION analytics_counted_whole(p_organization_id uuid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT public.acting_role_bypasses_rls()
        OR (p_organization_id = public.current_organization_id()
            AND public.acting_person_may('analytics.view'))
$$;

CREATE FUNCTION analytics_event_counts_for_viewers(
    p_organization_id uuid, p_since timestamptz, p_until timestamptz, p_event_type text, p_time_zone text)
RETURNS TABLE (day date, event_type text, events bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (e.occurred_at AT TIME ZONE p_time_zone)::date, e.event_type::text, count(*)
      FROM public.analytics_events e
     WHERE (SELECT public.analytics_counted_whole(p_organization_id))
       AND e.organization_id = p_organization_id
       AND e.occurred_at >= p_since AND e.occurred_at < p_until
       AND (p_event_type IS NULL OR e.event_type = p_event_type)
     GROUP BY 1, 2
$$;

REVOKE ALL ON FUNCTION analytics_counted_whole(uuid),
    analytics_event_counts_for_viewers(uuid, timestamptz, timestamptz, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_counted_whole(uuid),
    analytics_event_counts_for_viewers(uuid, timestamptz, timestamptz, text, text) TO ikenei_app;
