-- Up Migration
-- Description: Registry of the keys that encrypt sensitive free text in the application, with a check value per key
-- Date: 2026-11-25
--
-- Sensitive free text is encrypted by the application (ikenei.crypto,
-- AES-256-GCM); the database stores ciphertexts and, beside each one, the id
-- of its key, never the text or a key. This table lists every key id that
-- stored data may use:
--
--   check_value  a known text encrypted under the key by the application. At
--                start-up the configured key must decrypt it, so a wrong key
--                for an id is a clear start-up error, not unreadable data.
--   retired_at   set by `ikenei keys rotate` once no stored value uses the
--                key any more; a key that is not retired must be configured.
--
-- Encrypted columns reference key_id, so no value can name a key this table
-- does not know.

CREATE TABLE encryption_keys (
    key_id TEXT PRIMARY KEY,
    check_value BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at TIMESTAMPTZ,
    CONSTRAINT encryption_keys_key_id_check CHECK (key_id ~ '^[a-z0-9_-]{1,32}$'),
    -- Version byte 1, a 12-byte nonce, the text and a 16-byte tag.
    CONSTRAINT encryption_keys_check_value_check
        CHECK (octet_length(check_value) > 29 AND get_byte(check_value, 0) = 1)
);
