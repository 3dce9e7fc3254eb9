-- Analytics and reporting: the append-only event log and its counts, reports
-- and their status moves, each person's dashboard widgets, and the dashboard
-- itself in one statement.
--
-- Report status moves are guarded here (WHERE status = ...) and by the
-- guard_status_transition trigger, so of two racing callers exactly one wins.
--
-- get_dashboard returns widgets and plans as arrays of ROW(...): their field
-- order is the order of Widget and PlanCompletion in
-- ikenei/repositories/analytics.py. A jsonb value inside a ROW arrives in the
-- binary format, which the connection's JSON codec (text) cannot decode, so the
-- widget configuration travels as text there.

-- Events --------------------------------------------------------------------

-- name: record_analytics_event(organization_id, event_type, user_id, session_id, properties, occurred_at)$
-- Appends one event (properties default to {}, the time to now()); returns its id.
INSERT INTO analytics_events (organization_id, event_type, user_id, session_id, properties, occurred_at)
VALUES (:organization_id, :event_type, :user_id, :session_id,
        coalesce(:properties::jsonb, '{}'), coalesce(:occurred_at::timestamptz, now()))
RETURNING id;

-- name: record_analytics_events(organization_id, event_type, user_id, session_id, properties, occurred_at)!
-- Appends a batch in its order, all or none, in one statement: each argument is
-- an array holding that column of every event (properties as JSON text, NULL
-- for {}; occurred_at NULL for now()). Not COPY: row-level security refuses
-- COPY into the table, and a staging table cost a statement and a copy more.
INSERT INTO analytics_events (organization_id, event_type, user_id, session_id, properties, occurred_at)
SELECT b.organization_id, b.event_type, b.user_id, b.session_id,
       coalesce(b.properties::jsonb, '{}'), coalesce(b.occurred_at, now())
  FROM unnest(:organization_id::uuid[], :event_type::text[], :user_id::uuid[], :session_id::text[],
              :properties::text[], :occurred_at::timestamptz[])
       WITH ORDINALITY AS b (organization_id, event_type, user_id, session_id, properties, occurred_at, n)
 ORDER BY b.n;

-- name: list_analytics_events(organization_id, since, until, event_type, user_id, after_occurred_at, after_id, limit)
-- A page of an organization's events, oldest first, in [since, until); the
-- page after the key (after_occurred_at, after_id). NULL filters do not filter.
SELECT id, organization_id, user_id, session_id, event_type, properties, occurred_at
  FROM analytics_events
 WHERE organization_id = :organization_id
   AND (:since::timestamptz IS NULL OR occurred_at >= :since)
   AND (:until::timestamptz IS NULL OR occurred_at < :until)
   AND (:event_type::text IS NULL OR event_type = :event_type)
   AND (:user_id::uuid IS NULL OR user_id = :user_id)
   AND (occurred_at, id) > (coalesce(:after_occurred_at::timestamptz, '-infinity'), coalesce(:after_id::bigint, 0))
 ORDER BY occurred_at, id
 LIMIT :limit;

-- name: count_analytics_events_by_day(organization_id, since, until, event_type, time_zone)
-- How many events of each type an organization had per day (days of
-- time_zone) in [since, until), by day then type; event_type NULL counts every type.
-- Whoever may view the organization's analytics (or the owner) gets the count
-- of analytics_event_counts_for_viewers(), from the index alone; anyone else
-- the rows the policies show them (their own events). One branch runs, decided
-- once. The time zone is checked once up front, so an unknown one is refused
-- even when there is no event to count.
SELECT day, event_type, events FROM (
    SELECT day, event_type, events
      FROM analytics_event_counts_for_viewers(:organization_id, :since, :until, :event_type, :time_zone)
    UNION ALL
    SELECT (occurred_at AT TIME ZONE :time_zone)::date, event_type::text, count(*)
      FROM analytics_events
     WHERE NOT (SELECT analytics_counted_whole(:organization_id))
       AND organization_id = :organization_id
       AND occurred_at >= :since AND occurred_at < :until
       AND (:event_type::text IS NULL OR event_type = :event_type)
     GROUP BY 1, 2
) AS counted
 WHERE (now() AT TIME ZONE :time_zone) IS NOT NULL
 ORDER BY day, event_type;

-- Reports -------------------------------------------------------------------

-- name: create_report(organization_id, report_type, title, parameters, requested_by)^
-- Queues a report (parameters default to {}); returns it.
INSERT INTO reports (organization_id, report_type, title, parameters, requested_by)
VALUES (:organization_id, :report_type, :title, coalesce(:parameters::jsonb, '{}'), :requested_by)
RETURNING id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
          requested_by, started_at, completed_at, created_at, updated_at;

-- name: get_report(report_id)^
-- One report by id, or nothing.
SELECT id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
       requested_by, started_at, completed_at, created_at, updated_at
  FROM reports
 WHERE id = :report_id;

-- name: get_report_status(report_id)$
-- The status of a report, or nothing if absent: tells why a guarded move did not happen.
SELECT status FROM reports WHERE id = :report_id;

-- name: list_reports(organization_id, status, report_type, after_created_at, after_id, limit)
-- A page of an organization's reports, newest first; status / report_type NULL do not filter.
SELECT id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
       requested_by, started_at, completed_at, created_at, updated_at
  FROM reports
 WHERE organization_id = :organization_id
   AND (:status::text IS NULL OR status = :status)
   AND (:report_type::text IS NULL OR report_type = :report_type)
   AND (created_at, id) < (coalesce(:after_created_at::timestamptz, 'infinity'), coalesce(:after_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
 ORDER BY created_at DESC, id DESC
 LIMIT :limit;

-- name: start_report(report_id)^
-- Moves a queued report to running; returns it, or nothing if absent or not queued.
UPDATE reports SET status = 'running', started_at = now()
 WHERE id = :report_id AND status = 'queued'
RETURNING id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
          requested_by, started_at, completed_at, created_at, updated_at;

-- name: complete_report(report_id, result, file_url)^
-- Moves a running report to completed with its result; returns it, or nothing if absent or not running.
UPDATE reports SET status = 'completed', result = :result::jsonb, file_url = :file_url, completed_at = now()
 WHERE id = :report_id AND status = 'running'
RETURNING id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
          requested_by, started_at, completed_at, created_at, updated_at;

-- name: fail_report(report_id, error_message)^
-- Moves a queued or running report to failed with the reason; returns it, or
-- nothing if absent or already finished.
UPDATE reports SET status = 'failed', error_message = :error_message, completed_at = now()
 WHERE id = :report_id AND status IN ('queued', 'running')
RETURNING id, organization_id, report_type, title, parameters, status, result, file_url, error_message,
          requested_by, started_at, completed_at, created_at, updated_at;

-- name: delete_report(report_id)$
-- Deletes a report; returns its id, or nothing if absent.
DELETE FROM reports WHERE id = :report_id RETURNING id;

-- Dashboard widgets ---------------------------------------------------------

-- name: add_dashboard_widget(organization_id, user_id, widget_type, title, position, width, height, configuration, is_visible)^
-- Adds a widget to a member's dashboard, at position or (NULL) after the last
-- one; configuration defaults to {}. Returns it.
INSERT INTO dashboard_widgets (organization_id, user_id, widget_type, title, position, width, height,
                               configuration, is_visible)
SELECT :organization_id, :user_id, :widget_type, :title,
       coalesce(:position::smallint,
                (SELECT coalesce(max(w.position) + 1, 0) FROM dashboard_widgets w
                  WHERE w.organization_id = :organization_id AND w.user_id = :user_id)),
       :width, :height, coalesce(:configuration::jsonb, '{}'), :is_visible
RETURNING id, organization_id, user_id, widget_type, title, position, width, height, configuration,
          is_visible, created_at, updated_at;

-- name: get_dashboard_widget(widget_id)^
-- One widget by id, or nothing.
SELECT id, organization_id, user_id, widget_type, title, position, width, height, configuration,
       is_visible, created_at, updated_at
  FROM dashboard_widgets
 WHERE id = :widget_id;

-- name: list_dashboard_widgets(organization_id, user_id)
-- A member's widgets, hidden ones included, in position order.
SELECT id, organization_id, user_id, widget_type, title, position, width, height, configuration,
       is_visible, created_at, updated_at
  FROM dashboard_widgets
 WHERE organization_id = :organization_id AND user_id = :user_id
 ORDER BY position;

-- name: update_dashboard_widget(widget_id, title, width, height, configuration, is_visible)^
-- Replaces the editable fields of a widget (not its type or position); returns it, or nothing if absent.
UPDATE dashboard_widgets
   SET title = :title, width = :width, height = :height, configuration = :configuration::jsonb,
       is_visible = :is_visible
 WHERE id = :widget_id
RETURNING id, organization_id, user_id, widget_type, title, position, width, height, configuration,
          is_visible, created_at, updated_at;

-- name: move_dashboard_widget(widget_id, position)
-- Moves a widget to the given place (0 = first; past the end = last) among its
-- owner's widgets and numbers them all 0..n-1 in the new order, in one
-- statement: the position key is DEFERRABLE, so it is checked at the end of
-- the statement, not row by row. The owner's widgets are locked first, so
-- two moves of one dashboard run one after the other. Returns the widgets in
-- order, or nothing if the widget is absent.
WITH target AS (
    SELECT organization_id, user_id FROM dashboard_widgets WHERE id = :widget_id
), locked AS (
    SELECT w.id, w.position
      FROM dashboard_widgets w
      JOIN target t ON t.organization_id = w.organization_id AND t.user_id = w.user_id
     ORDER BY w.position, w.id
       FOR UPDATE OF w
), others AS (
    SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS place
      FROM locked
     WHERE id <> :widget_id
), wanted AS (
    SELECT id, CASE WHEN place < :position THEN place ELSE place + 1 END AS position
      FROM others
    UNION ALL
    SELECT :widget_id::uuid, least(:position::bigint, (SELECT count(*) FROM others))
      FROM target
), moved AS (
    UPDATE dashboard_widgets w
       SET position = wanted.position
      FROM wanted
     WHERE w.id = wanted.id
    RETURNING w.id, w.organization_id, w.user_id, w.widget_type, w.title, w.position, w.width, w.height,
              w.configuration, w.is_visible, w.created_at, w.updated_at
)
SELECT id, organization_id, user_id, widget_type, title, position, width, height, configuration,
       is_visible, created_at, updated_at
  FROM moved
 ORDER BY position;

-- name: remove_dashboard_widget(widget_id)$
-- Deletes a widget; returns its id, or nothing if absent.
DELETE FROM dashboard_widgets WHERE id = :widget_id RETURNING id;

-- Dashboard -----------------------------------------------------------------

-- name: get_dashboard(organization_id, user_id, recent)^
-- A member's dashboard in one statement: visible widgets in position order,
-- the invitations they still have to answer as a rater (open, in an active
-- cycle, token not expired), their active plans with objectives completed
-- (as learning_progress_summary counts them), and how many events they had
-- within the interval recent. Nothing if they are not a member.
SELECT array(SELECT ROW(w.id, w.organization_id, w.user_id, w.widget_type, w.title, w.position, w.width,
                        w.height, w.configuration::text, w.is_visible, w.created_at, w.updated_at)
               FROM dashboard_widgets w
              WHERE w.organization_id = m.organization_id AND w.user_id = m.user_id AND w.is_visible
              ORDER BY w.position) AS widgets,
       (SELECT count(*)
          FROM feedback_invitations i
          JOIN feedback_cycles c ON c.id = i.cycle_id AND c.status = 'active'
         WHERE i.organization_id = m.organization_id AND i.rater_user_id = m.user_id
           AND i.status IN ('pending', 'started')
           AND (i.token_expires_at IS NULL OR i.token_expires_at > now())) AS pending_feedback,
       array(SELECT ROW(p.id, p.title, p.target_completion_date, count(o.id),
                        count(o.id) FILTER (WHERE o.status = 'completed'),
                        round(count(o.id) FILTER (WHERE o.status = 'completed') * 100.0
                              / nullif(count(o.id), 0), 2))
               FROM learning_plans p
               LEFT JOIN learning_objectives o ON o.plan_id = p.id
              WHERE p.organization_id = m.organization_id AND p.user_id = m.user_id
                AND p.status = 'active' AND p.deleted_at IS NULL
              GROUP BY p.id
              ORDER BY p.created_at, p.id) AS active_plans,
       (SELECT count(*)
          FROM analytics_events e
         WHERE e.organization_id = m.organization_id AND e.user_id = m.user_id
           AND e.occurred_at > now() - :recent::interval) AS recent_events
  FROM user_organizations m
 WHERE m.organization_id = :organization_id AND m.user_id = :user_id;
