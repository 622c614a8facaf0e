-- Documents and the agent (docs/rfc/changes.md).
--
-- A session may belong to one document: its turns see that document and
-- get the document tools. NULL for workspace and free sessions.
ALTER TABLE sessions ADD COLUMN doc_id TEXT;
CREATE INDEX sessions_by_document ON sessions (doc_id) WHERE doc_id IS NOT NULL;

-- File contents the agent replaced, content-addressed (SHA-256 of the
-- bytes) so a file edited in 100 turns, or the same text in two places, is
-- stored once. A blob lives while a file_changes row names it; pruning
-- removes the rest.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content BLOB NOT NULL
) STRICT;

-- One set of file changes: what a turn wrote, or what a revert restored
-- (so a revert can be reverted too). A pruned set keeps its row, so a
-- revert can say "pruned" rather than "nothing changed".
CREATE TABLE change_sets (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('turn', 'revert')),
    reverts TEXT,
    created_at_ms INTEGER NOT NULL,
    pruned INTEGER NOT NULL DEFAULT 0 CHECK (pruned IN (0, 1))
) STRICT;
CREATE INDEX change_sets_by_age ON change_sets (pruned, created_at_ms);

-- Per file, its content before the set's first write and after its last.
-- A NULL hash is "did not exist"; `untracked` marks a file whose content
-- was over the size limit or not text, so it is listed but cannot be
-- restored.
CREATE TABLE file_changes (
    set_id TEXT NOT NULL REFERENCES change_sets (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    before_hash TEXT REFERENCES blobs (hash),
    after_hash TEXT REFERENCES blobs (hash),
    untracked INTEGER NOT NULL DEFAULT 0 CHECK (untracked IN (0, 1)),
    PRIMARY KEY (set_id, path)
) STRICT;
CREATE INDEX file_changes_by_before ON file_changes (before_hash);
CREATE INDEX file_changes_by_after ON file_changes (after_hash);
