CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
) STRICT;
