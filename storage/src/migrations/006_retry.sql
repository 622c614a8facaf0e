-- Retrying a failed turn, and why a turn failed (docs/rfc/sessions.md).
--
-- An answer a retry replaced: the id of the retry's turn. It stays stored
-- (its turn row, chunk log and usage, which was spent) but is no longer
-- listed, sent to the model or found by search. NULL for every other
-- message.
ALTER TABLE messages ADD COLUMN superseded_by TEXT;

-- Why a turn failed: the error's stable code (`provider_status`, …) and
-- the message the stream's `error` chunk gave (provider messages are
-- scrubbed of the key before they reach the host). NULL unless it failed.
ALTER TABLE turns ADD COLUMN error_code TEXT;
ALTER TABLE turns ADD COLUMN error_message TEXT;

-- Turns the host already died in say so, as later ones will.
UPDATE turns SET error_code = 'host_stopped',
                 error_message = 'the host stopped while this turn was running'
WHERE status = 'interrupted';

-- A superseded answer leaves the search index with its text parts.
CREATE TRIGGER search_message_superseded AFTER UPDATE OF superseded_by ON messages
WHEN NEW.superseded_by IS NOT NULL AND OLD.superseded_by IS NULL BEGIN
    DELETE FROM search_index WHERE rowid IN
        (SELECT id FROM search_rows WHERE message_id = NEW.id);
    DELETE FROM search_rows WHERE message_id = NEW.id;
END;
