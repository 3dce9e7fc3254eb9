-- Down Migration
-- Description: Drop the registry of encryption keys

DROP TABLE encryption_keys;
