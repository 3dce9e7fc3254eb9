-- Down Migration
-- Description: Drop analytics_events, reports and dashboard_widgets

DROP TABLE dashboard_widgets;
DROP TABLE reports;
DROP TABLE analytics_events;
