-- Test-only queries for the encryption tests: read what is stored as it is
-- stored, alter it the way an attacker with write access could, write text the
-- way data from before encryption was written, and search every table for a
-- text.

-- name: get_stored_comment(response_id)^
-- An answer's comment as stored.
SELECT id, comment, comment_ciphertext, comment_key_id FROM feedback_responses WHERE id = :response_id;

-- name: list_stored_comments(cycle_id)
-- Every stored comment of a cycle, by answer id.
SELECT id, comment, comment_ciphertext, comment_key_id
  FROM feedback_responses
 WHERE cycle_id = :cycle_id AND (comment IS NOT NULL OR comment_ciphertext IS NOT NULL)
 ORDER BY id;

-- name: get_uncommented_response(cycle_id)$
-- The id of one answer of the cycle that has no comment.
SELECT id FROM feedback_responses
 WHERE cycle_id = :cycle_id AND comment IS NULL AND comment_ciphertext IS NULL
 ORDER BY id LIMIT 1;

-- name: flip_comment_bit(response_id, position)!
-- Flips the lowest bit of one byte of an answer's stored comment ciphertext.
UPDATE feedback_responses
   SET comment_ciphertext = set_byte(comment_ciphertext, :position, get_byte(comment_ciphertext, :position) # 1)
 WHERE id = :response_id;

-- name: copy_comment(from_id, to_id)!
-- Puts one answer's stored comment ciphertext and key id on another answer.
UPDATE feedback_responses t
   SET comment_ciphertext = f.comment_ciphertext, comment_key_id = f.comment_key_id
  FROM feedback_responses f
 WHERE f.id = :from_id AND t.id = :to_id;

-- name: update_stored_comment(response_id, comment, ciphertext, key_id)!
-- Sets an answer's stored comment columns as given.
UPDATE feedback_responses
   SET comment = :comment, comment_ciphertext = :ciphertext, comment_key_id = :key_id
 WHERE id = :response_id;

-- name: allow_plaintext_sample_data()$
-- Lets submit_feedback() take comments as text for the rest of the
-- transaction, as the dev seed does.
SELECT set_config('ikenei.plaintext_sample_data', 'on', true);

-- name: get_stored_note(progress_id)^
-- A progress entry's note as stored.
SELECT id, notes, notes_ciphertext, notes_key_id FROM learning_progress WHERE id = :progress_id;

-- name: flip_note_bit(progress_id, position)!
-- Flips the lowest bit of one byte of a progress entry's stored note ciphertext.
UPDATE learning_progress
   SET notes_ciphertext = set_byte(notes_ciphertext, :position, get_byte(notes_ciphertext, :position) # 1)
 WHERE id = :progress_id;

-- name: insert_legacy_note(plan_id, notes)$
-- A progress entry whose note is text, as written before encryption; its id.
INSERT INTO learning_progress (organization_id, plan_id, user_id, progress_percent, notes)
SELECT organization_id, id, user_id, 10, :notes FROM learning_plans WHERE id = :plan_id
RETURNING id;

-- name: count_encryption_keys()$
-- How many keys are registered.
SELECT count(*)::int FROM encryption_keys;

-- name: list_key_ids_in_use()
-- Per encrypted column, the key ids its values use (NULL: text), by column and id.
SELECT 'feedback_responses.comment' AS column_name, comment_key_id AS key_id, count(*)::int AS value_count
  FROM feedback_responses WHERE comment IS NOT NULL OR comment_key_id IS NOT NULL GROUP BY comment_key_id
UNION ALL
SELECT 'learning_progress.notes', notes_key_id, count(*)::int
  FROM learning_progress WHERE notes IS NOT NULL OR notes_key_id IS NOT NULL GROUP BY notes_key_id
ORDER BY 1, 2 NULLS FIRST;

-- name: create_tables_holding_function()!
-- A session-local function: the tables of schema public with a row whose
-- text (bytea columns shown in hex) holds the text, or its UTF-8 bytes.
CREATE OR REPLACE FUNCTION pg_temp.tables_holding(needle TEXT) RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
    found BOOLEAN;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0)',
                       t.relname)
           INTO found
          USING needle, encode(convert_to(needle, 'UTF8'), 'hex');
        IF found THEN
            RETURN NEXT t.relname;
        END IF;
    END LOOP;
END
$$;

-- name: tables_holding(needle)
-- The tables holding the text (see create_tables_holding_function).
SELECT pg_temp.tables_holding(:needle) AS table_name;

-- name: retire_encryption_key(key_id)!
-- Marks a key retired, whatever still uses it (what a rotation racing a writer could once leave).
UPDATE encryption_keys SET retired_at = now() WHERE key_id = :key_id;

-- name: list_key_columns()
-- Every column that holds the key id of an encrypted value (a foreign key to encryption_keys).
SELECT c.conrelid::regclass::text || '.' || a.attname AS column_name
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'encryption_keys'::regclass
 ORDER BY 1;

-- name: list_unguarded_key_columns()
-- The columns of list_key_columns that no refuse_retired_key trigger (for that column) guards.
SELECT c.conrelid::regclass::text || '.' || a.attname AS column_name
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'encryption_keys'::regclass
   AND NOT EXISTS (
       SELECT 1 FROM pg_trigger t
        WHERE t.tgrelid = c.conrelid AND NOT t.tgisinternal
          AND t.tgfoid = 'refuse_retired_key'::regproc
          AND position(convert_to(a.attname::text, 'UTF8') || '\x00'::bytea IN t.tgargs) = 1)
 ORDER BY 1;

-- name: list_every_stored_comment()
-- Every feedback comment as stored (text or ciphertext), by id.
SELECT id, comment, comment_ciphertext, comment_key_id
  FROM feedback_responses
 WHERE comment IS NOT NULL OR comment_ciphertext IS NOT NULL
 ORDER BY id;

-- name: list_every_stored_note()
-- Every progress note as stored (text or ciphertext), by id.
SELECT id, notes, notes_ciphertext, notes_key_id
  FROM learning_progress
 WHERE notes IS NOT NULL OR notes_ciphertext IS NOT NULL
 ORDER BY id;

-- name: list_plain_comments()
-- Every feedback comment stored as text: id and text.
SELECT id, comment AS text FROM feedback_responses WHERE comment IS NOT NULL ORDER BY id;

-- name: list_plain_notes()
-- Every progress note stored as text: id and text.
SELECT id, notes AS text FROM learning_progress WHERE notes IS NOT NULL ORDER BY id;

-- name: delete_cycles_of_forms_with_later_question_types()!
-- Deletes the cycles whose form has a question of a type added after the encrypted columns (choice, NPS).
DELETE FROM feedback_cycles c
 WHERE EXISTS (SELECT 1 FROM feedback_questions q
                WHERE q.form_id = c.form_id AND q.question_type NOT IN ('rating', 'text'));

-- name: delete_forms_with_later_question_types()!
-- Deletes the forms that have a question of a type added after the encrypted columns (choice, NPS).
DELETE FROM feedback_forms f
 WHERE EXISTS (SELECT 1 FROM feedback_questions q
                WHERE q.form_id = f.id AND q.question_type NOT IN ('rating', 'text'));
