-- A message's turn, by the message: listing a session's messages finds each
-- one's turn (its id, usage and error) through `turns.message_id`, which had
-- no index, so every message scanned every turn: 1,000 messages took ~18 ms
-- of SQLite, growing with the square of the session's length. Deleting a
-- message (ON DELETE CASCADE) scanned the turns too.
CREATE INDEX turns_by_message ON turns (message_id);
