-- Down Migration
-- Description: Event counts through the policies only

DROP FUNCTION analytics_event_counts_for_viewers(uuid, timestamptz, timestamptz, text, text);
DROP FUNCTION analytics_counted_whole(uuid);
