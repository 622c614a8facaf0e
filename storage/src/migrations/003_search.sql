-- Full-text search over what a person reads in a session: its title and the
-- text parts of its messages (the user's message and the assistant's answer
-- text; not reasoning, not tool inputs or outputs). Backs `GET /sessions?q=`.
--
-- The index is contentless (the text already lives in `sessions` and
-- `parts`); `contentless_delete` lets the triggers below remove a row by its
-- rowid. `search_rows` says what each index row is: rowid -> session for a
-- query, (message, part) -> rowid for a rewrite or delete. The triggers keep
-- both in step with every write to `sessions` and `parts`, so no writer in
-- the host can forget the index.

CREATE VIRTUAL TABLE search_index USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE search_rows (
    id INTEGER PRIMARY KEY,        -- the row's rowid in search_index
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,      -- '' for the session's title
    idx INTEGER NOT NULL,          -- the part's idx; 0 for the title
    UNIQUE (message_id, idx, session_id)
) STRICT;
CREATE INDEX search_rows_by_session ON search_rows (session_id);

-- What is already stored.
INSERT INTO search_rows (session_id, message_id, idx)
    SELECT id, '', 0 FROM sessions;
INSERT INTO search_rows (session_id, message_id, idx)
    SELECT m.session_id, p.message_id, p.idx
    FROM parts p JOIN messages m ON m.id = p.message_id
    WHERE p.kind = 'text';
INSERT INTO search_index (rowid, text)
    SELECT r.id, s.title
    FROM search_rows r JOIN sessions s ON s.id = r.session_id
    WHERE r.message_id = '';
INSERT INTO search_index (rowid, text)
    SELECT r.id, json_extract(p.body, '$.text')
    FROM search_rows r JOIN parts p ON p.message_id = r.message_id AND p.idx = r.idx
    WHERE r.message_id <> '' AND json_valid(p.body);

-- Titles.
CREATE TRIGGER search_session_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO search_rows (session_id, message_id, idx) VALUES (NEW.id, '', 0);
    INSERT INTO search_index (rowid, text)
        SELECT id, NEW.title FROM search_rows
        WHERE message_id = '' AND idx = 0 AND session_id = NEW.id;
END;

CREATE TRIGGER search_session_title AFTER UPDATE OF title ON sessions BEGIN
    DELETE FROM search_index WHERE rowid IN
        (SELECT id FROM search_rows WHERE message_id = '' AND idx = 0 AND session_id = OLD.id);
    INSERT INTO search_index (rowid, text)
        SELECT id, NEW.title FROM search_rows
        WHERE message_id = '' AND idx = 0 AND session_id = NEW.id;
END;

-- Deleting a session deletes its messages and parts (ON DELETE CASCADE,
-- which fires the part triggers); this removes the title and anything left.
CREATE TRIGGER search_session_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM search_index WHERE rowid IN
        (SELECT id FROM search_rows WHERE session_id = OLD.id);
    DELETE FROM search_rows WHERE session_id = OLD.id;
END;

-- Text parts. A part is written once or rewritten in place (upsert, which
-- fires the update trigger); a body that is not JSON is stored unindexed
-- rather than refused.
CREATE TRIGGER search_part_insert AFTER INSERT ON parts
WHEN NEW.kind = 'text' BEGIN
    INSERT INTO search_rows (session_id, message_id, idx)
        SELECT session_id, NEW.message_id, NEW.idx FROM messages WHERE id = NEW.message_id;
    INSERT INTO search_index (rowid, text)
        SELECT id, json_extract(NEW.body, '$.text') FROM search_rows
        WHERE message_id = NEW.message_id AND idx = NEW.idx AND json_valid(NEW.body);
END;

CREATE TRIGGER search_part_update AFTER UPDATE ON parts BEGIN
    DELETE FROM search_index WHERE rowid IN
        (SELECT id FROM search_rows WHERE message_id = OLD.message_id AND idx = OLD.idx);
    DELETE FROM search_rows WHERE message_id = OLD.message_id AND idx = OLD.idx;
    INSERT INTO search_rows (session_id, message_id, idx)
        SELECT session_id, NEW.message_id, NEW.idx FROM messages
        WHERE id = NEW.message_id AND NEW.kind = 'text';
    INSERT INTO search_index (rowid, text)
        SELECT id, json_extract(NEW.body, '$.text') FROM search_rows
        WHERE message_id = NEW.message_id AND idx = NEW.idx AND json_valid(NEW.body);
END;

CREATE TRIGGER search_part_delete AFTER DELETE ON parts
WHEN OLD.kind = 'text' BEGIN
    DELETE FROM search_index WHERE rowid IN
        (SELECT id FROM search_rows WHERE message_id = OLD.message_id AND idx = OLD.idx);
    DELETE FROM search_rows WHERE message_id = OLD.message_id AND idx = OLD.idx;
END;
