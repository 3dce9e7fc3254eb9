-- Down Migration
-- Description: The erasure no longer redacts mentions of the person

DROP FUNCTION erase_person_mentions(UUID[], TEXT);

DROP FUNCTION person_mentions_pattern(UUID[], TEXT[], TEXT[]);
