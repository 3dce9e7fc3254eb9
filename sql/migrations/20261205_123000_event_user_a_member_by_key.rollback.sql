-- Down Migration
-- Description: An event's person is checked by ensure_event_user_is_member() again, with a key to users
-- (events that lost their person to the up migration keep user_id NULL)

ALTER TABLE analytics_events DROP CONSTRAINT analytics_events_user_id_fkey;
ALTER TABLE analytics_events ADD CONSTRAINT analytics_events_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE SET NULL;

CREATE FUNCTION ensure_event_user_is_member() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.user_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM public.user_organizations m
         WHERE m.organization_id = NEW.organization_id AND m.user_id = NEW.user_id)
    THEN
        RAISE EXCEPTION 'user_id refers to no member of this organization'
            USING ERRCODE = 'IK422', COLUMN = 'user_id', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER analytics_events_user_is_member BEFORE INSERT OR UPDATE OF user_id, organization_id
    ON analytics_events FOR EACH ROW EXECUTE FUNCTION ensure_event_user_is_member();
