-- The languages a session's newest code blocks name, newest first, space-
-- separated (at most 6; the host writes them when a message's text is
-- complete, docs/rfc/sessions.md). A window loads their highlighting when
-- the session is about to open, before its messages arrive. Sessions
-- written before this migration have none until their next message.
ALTER TABLE sessions ADD COLUMN code_languages TEXT NOT NULL DEFAULT '';
