-- Up Migration
-- Description: An event's person is a member of its organization by a foreign key, not a trigger that queries per row under row-level security
-- Date: 2026-12-05
--
-- ensure_event_user_is_member() queried user_organizations once per inserted
-- event in the inserting role: under the application role through that
-- table's policies, 25-35 us an event (6-12 us as the owner), the largest
-- cost of analytics.record_events. The rule "an event's user_id, if any, is a
-- member of the event's organization" is the foreign key every other table
-- keeps to user_organizations (organization_id, user_id): its check runs as
-- the table's owner past row-level security, once per row like the key to
-- users it replaces, and reports another organization's person and a missing
-- one alike ("user_id refers to a row that does not exist").
--
-- The key replaces the one to users and keeps what it did: removing a member
-- keeps the membership row (status left), so their events keep them; deleting
-- the account deletes its memberships, and the key then unlinks the events
-- (erasure deletes them first). Only a membership row deleted by hand left
-- events naming someone outside their organization: those lose their person
-- now, so that the key holds for every row.
-- The rollback cannot give it back.

UPDATE analytics_events e SET user_id = NULL
 WHERE e.user_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM user_organizations m
                    WHERE m.organization_id = e.organization_id AND m.user_id = e.user_id);

DROP TRIGGER analytics_events_user_is_member ON analytics_events;
DROP FUNCTION ensure_event_user_is_member();

ALTER TABLE analytics_events DROP CONSTRAINT analytics_events_user_id_fkey;
ALTER TABLE analytics_events ADD CONSTRAINT analytics_events_user_id_fkey FOREIGN KEY (organization_id, user_id)
    REFERENCES user_organizations (organization_id, user_id) ON DELETE SET NULL (user_id);
