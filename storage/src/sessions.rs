//! Agent sessions in `sessions.db`: sessions, messages, message parts,
//! turns and the per-turn chunk log (docs/rfc/sessions.md).
//!
//! Plain SQL helpers over a borrowed connection, like `documents`: the host
//! owns the connection. Part and chunk bodies are JSON text written by the
//! host; this module never interprets them.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::error::Result;

/// One session row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionRow {
    pub id: String,
    pub title: String,
    pub workspace_id: Option<String>,
    /// The document the session belongs to (its turns get the document
    /// tools), if any.
    pub doc_id: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub archived: bool,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// The sum of its turns' costs (US dollars), `None` when no turn
    /// reported one. Summed from `turns` when the row is read.
    pub cost: Option<f64>,
    /// `cost` leaves out a turn that used tokens without reporting a cost
    /// (another provider, or a call without it), so it is a lower bound.
    /// Only ever true with a `cost`.
    pub cost_partial: bool,
    /// The user chose `provider`/`model` (see [`choose_session_model`]).
    pub model_chosen: bool,
    /// The languages its newest code blocks name, newest first (see
    /// [`note_code_languages`]).
    pub code_languages: Vec<String>,
}

/// What a new session starts with.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub workspace_id: Option<&'a str>,
    pub doc_id: Option<&'a str>,
    pub now_ms: i64,
}

/// Paging and filtering for [`list_sessions`].
#[derive(Clone, Debug, Default)]
pub struct SessionQuery {
    /// Words (each a prefix, case and diacritics folded) in the title or in
    /// the text of a message; see [`list_sessions`].
    pub filter: Option<String>,
    /// Only the sessions of this document.
    pub doc_id: Option<String>,
    pub include_archived: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A session's columns, then the sum of its turns' costs and whether that
/// sum misses a turn. It does when a turn whose tokens count in the
/// session's total has no cost: the turn used tokens (one that failed or
/// was aborted before any usage has 0 and adds nothing), or it ended before
/// migration 5 kept usage per turn (NULL tokens and not `running` or
/// `interrupted`: those never added their tokens). The subqueries use the
/// `turns_by_session` index.
const SESSION_COLUMNS: &str = "id, title, workspace_id, provider, model, created_at_ms, \
     updated_at_ms, archived, input_tokens, output_tokens, doc_id, model_chosen, \
     code_languages, (SELECT SUM(t.cost) FROM turns t WHERE t.session_id = sessions.id), \
     EXISTS (SELECT 1 FROM turns t WHERE t.session_id = sessions.id AND t.cost IS NULL \
       AND (t.input_tokens > 0 OR t.output_tokens > 0 \
            OR (t.input_tokens IS NULL AND t.status NOT IN ('running', 'interrupted'))))";

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: row.get(0)?,
        title: row.get(1)?,
        workspace_id: row.get(2)?,
        provider: row.get(3)?,
        model: row.get(4)?,
        created_at_ms: row.get(5)?,
        updated_at_ms: row.get(6)?,
        archived: row.get::<_, i64>(7)? != 0,
        input_tokens: row.get(8)?,
        output_tokens: row.get(9)?,
        doc_id: row.get(10)?,
        model_chosen: row.get::<_, i64>(11)? != 0,
        code_languages: row
            .get_ref(12)?
            .as_str()?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        cost: row.get(13)?,
        cost_partial: row.get::<_, Option<f64>>(13)?.is_some() && row.get::<_, i64>(14)? != 0,
    })
}

pub fn create_session(conn: &Connection, new: &NewSession<'_>) -> Result<SessionRow> {
    conn.execute(
        "INSERT INTO sessions (id, title, workspace_id, doc_id, created_at_ms, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![new.id, new.title, new.workspace_id, new.doc_id, new.now_ms],
    )?;
    Ok(get_session(conn, new.id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?)
}

pub fn get_session(conn: &Connection, id: &str) -> Result<Option<SessionRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"),
            [id],
            session_from_row,
        )
        .optional()?)
}

/// Newest first. Returns the page and the total number of matches.
///
/// The filter searches the session's title and its messages' text through
/// the full-text index of migration 3: case and diacritics are folded, each
/// word matches as a prefix, and every word must appear somewhere in the
/// session (its title or any message). It is never FTS syntax: see
/// [`search_terms`].
pub fn list_sessions(conn: &Connection, query: &SessionQuery) -> Result<(Vec<SessionRow>, u64)> {
    let terms = query.filter.as_deref().and_then(search_terms);
    // ?1.. one MATCH parameter per term; the page query adds LIMIT and
    // OFFSET after them. `archived = 0` is written out, not a parameter
    // (`?1 OR archived = 0`), so the (archived, updated_at_ms) index serves
    // the page and the count: the soak showed listings slowing with every
    // session added.
    let mut condition = String::from(if query.include_archived {
        "1"
    } else {
        "archived = 0"
    });
    if terms.as_ref().is_some_and(Vec::is_empty) {
        condition.push_str(" AND 0");
    }
    let terms = terms.unwrap_or_default();
    for n in 1..terms.len() + 1 {
        condition.push_str(&format!(
            " AND id IN (SELECT r.session_id FROM search_index \
             JOIN search_rows r ON r.id = search_index.rowid WHERE search_index MATCH ?{n})"
        ));
    }
    let mut values: Vec<Value> = terms.into_iter().map(Value::from).collect();
    if let Some(doc_id) = &query.doc_id {
        values.push(Value::from(doc_id.clone()));
        condition.push_str(&format!(" AND doc_id = ?{}", values.len()));
    }
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM sessions WHERE {condition}"),
        params_from_iter(&values),
        |r| r.get(0),
    )?;
    let (limit, offset) = (values.len() + 1, values.len() + 2);
    values.extend([Value::from(query.limit), Value::from(query.offset)]);
    let mut stmt = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE {condition}
         ORDER BY updated_at_ms DESC, id LIMIT ?{limit} OFFSET ?{offset}"
    ))?;
    let rows = stmt
        .query_map(params_from_iter(&values), session_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total as u64))
}

/// At most this many words of a search are used; the rest are ignored.
pub const MAX_SEARCH_WORDS: usize = 16;

/// The FTS5 queries for a user's search text, one per word: `None` (no
/// filter) for empty or blank text, an empty list (nothing matches) when no
/// word has a letter or digit.
///
/// Each whitespace-separated word becomes a quoted phrase with a prefix
/// star, `"word"*`, its double quotes doubled. So nothing the user types is
/// FTS syntax: `OR`, `NEAR(`, `col:`, `-`, `^` and quotes are searched as
/// text, and the tokenizer drops the punctuation as it did when the text
/// was indexed (`it's` is the phrase `it s`). A word without a letter or
/// digit could never match, so it is left out.
pub fn search_terms(text: &str) -> Option<Vec<String>> {
    let mut words = text.split_whitespace().peekable();
    words.peek()?;
    Some(
        words
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .take(MAX_SEARCH_WORDS)
            .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
            .collect(),
    )
}

pub fn rename_session(conn: &Connection, id: &str, title: &str, now_ms: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE sessions SET title = ?2, updated_at_ms = ?3 WHERE id = ?1",
        params![id, title, now_ms],
    )? == 1)
}

pub fn set_archived(conn: &Connection, id: &str, archived: bool, now_ms: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE sessions SET archived = ?2, updated_at_ms = ?3 WHERE id = ?1",
        params![id, archived, now_ms],
    )? == 1)
}

/// Deletes the session with its messages, parts, turns and chunks.
pub fn delete_session(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM sessions WHERE id = ?1", [id])? == 1)
}

/// Records which provider and model the latest turn used.
pub fn set_session_model(
    conn: &Connection,
    id: &str,
    provider: &str,
    model: &str,
    now_ms: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET provider = ?2, model = ?3, updated_at_ms = ?4 WHERE id = ?1",
        params![id, provider, model, now_ms],
    )?;
    Ok(())
}

/// The user's choice of provider and model for a session: kept (and
/// marked chosen) until the next choice; a turn that names none uses it.
pub fn choose_session_model(
    conn: &Connection,
    id: &str,
    provider: Option<&str>,
    model: Option<&str>,
    now_ms: i64,
) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE sessions SET provider = ?2, model = ?3, model_chosen = 1, updated_at_ms = ?4
         WHERE id = ?1",
        params![id, provider, model, now_ms],
    )? == 1)
}

/// A turn's usage, and its cost when the provider reported one.
pub fn set_turn_usage(
    conn: &Connection,
    turn_id: &str,
    input: u64,
    output: u64,
    cost: Option<f64>,
) -> Result<()> {
    conn.execute(
        "UPDATE turns SET input_tokens = ?2, output_tokens = ?3, cost = ?4 WHERE id = ?1",
        params![turn_id, input as i64, output as i64, cost],
    )?;
    Ok(())
}

pub fn add_usage(conn: &Connection, id: &str, input: u64, output: u64) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET input_tokens = input_tokens + ?2,
                             output_tokens = output_tokens + ?3 WHERE id = ?1",
        params![id, input as i64, output as i64],
    )?;
    Ok(())
}

/// A message with its parts, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageRow {
    pub id: String,
    pub role: String,
    pub status: String,
    pub created_at_ms: i64,
    /// The turn that wrote an assistant message (its changes, its undo).
    pub turn_id: Option<String>,
    /// The turn's `(input, output)` tokens, once it ended.
    pub usage: Option<(i64, i64)>,
    /// The turn's cost, when the provider reported one.
    pub cost: Option<f64>,
    /// Why the answer's turn failed (`error` or `interrupted`).
    pub error: Option<TurnError>,
    pub parts: Vec<PartRow>,
}

/// Why a turn failed: a stable code and a message a person can read
/// (never a key: provider messages are scrubbed before they get here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TurnError {
    pub code: String,
    pub message: String,
}

/// What a turn the host died in says (see [`mark_interrupted`]).
pub const HOST_STOPPED: (&str, &str) = (
    "host_stopped",
    "the host stopped while this turn was running",
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartRow {
    pub kind: String,
    /// JSON text.
    pub body: String,
}

/// Appends a message at the end of the session and bumps the session.
pub fn insert_message(
    conn: &Connection,
    id: &str,
    session_id: &str,
    role: &str,
    status: &str,
    now_ms: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO messages (id, session_id, seq, role, status, created_at_ms)
         VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE session_id = ?2),
                 ?3, ?4, ?5)",
        params![id, session_id, role, status, now_ms],
    )?;
    conn.execute(
        "UPDATE sessions SET updated_at_ms = ?2 WHERE id = ?1",
        params![session_id, now_ms],
    )?;
    Ok(())
}

/// The most languages a session keeps in `code_languages` (the host
/// finds no more than these in a message).
pub const CODE_LANGUAGES_MAX: usize = 6;

/// Records that message `message_id` has code blocks in `languages` (its
/// last block's first): they go first in its session's `code_languages`,
/// ahead of the ones it had, each once, at most [`CODE_LANGUAGES_MAX`].
/// Each language is a name a code fence gave, checked by the caller (the
/// host keeps short ASCII names); here an empty one, or one with
/// whitespace, is only skipped. An unknown message changes nothing.
pub fn note_code_languages(
    conn: &Connection,
    message_id: &str,
    languages: &[String],
) -> Result<()> {
    if languages.is_empty() {
        return Ok(());
    }
    let found: Option<(String, String)> = conn
        .query_row(
            "SELECT s.id, s.code_languages FROM sessions s
             JOIN messages m ON m.session_id = s.id WHERE m.id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((session_id, old)) = found else {
        return Ok(());
    };
    let mut merged: Vec<&str> = Vec::with_capacity(CODE_LANGUAGES_MAX);
    for lang in languages
        .iter()
        .map(String::as_str)
        .chain(old.split_whitespace())
    {
        if merged.len() == CODE_LANGUAGES_MAX {
            break;
        }
        if !lang.is_empty() && !lang.contains(char::is_whitespace) && !merged.contains(&lang) {
            merged.push(lang);
        }
    }
    let merged = merged.join(" ");
    if merged != old {
        conn.execute(
            "UPDATE sessions SET code_languages = ?2 WHERE id = ?1",
            params![session_id, merged],
        )?;
    }
    Ok(())
}

/// Writes (or rewrites) part `idx` of a message.
pub fn put_part(
    conn: &Connection,
    message_id: &str,
    idx: u32,
    kind: &str,
    body: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO parts (message_id, idx, kind, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (message_id, idx) DO UPDATE SET kind = excluded.kind, body = excluded.body",
        params![message_id, idx, kind, body],
    )?;
    Ok(())
}

pub fn set_message_status(conn: &Connection, message_id: &str, status: &str) -> Result<()> {
    conn.execute(
        "UPDATE messages SET status = ?2 WHERE id = ?1",
        params![message_id, status],
    )?;
    Ok(())
}

/// Marks an answer as replaced by the retry turn `by_turn`: it stays
/// stored but [`list_messages`] leaves it out (and search forgets its
/// text, by migration 6's trigger).
pub fn supersede_message(conn: &Connection, message_id: &str, by_turn: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE messages SET superseded_by = ?2 WHERE id = ?1 AND superseded_by IS NULL",
        params![message_id, by_turn],
    )? == 1)
}

/// A session's messages, each with its turn (found by `turns_by_message`,
/// migration 7: without it every message scanned every turn).
const LIST_MESSAGES: &str = "SELECT m.id, m.role, m.status, m.created_at_ms, t.id, t.input_tokens,
        t.output_tokens, t.cost, t.error_code, t.error_message
    FROM messages m
    LEFT JOIN turns t ON t.rowid = (SELECT rowid FROM turns WHERE message_id = m.id LIMIT 1)
    WHERE m.session_id = ?1 AND m.superseded_by IS NULL ORDER BY m.seq";

/// The parts of a session's messages, by message and in order.
const LIST_PARTS: &str = "SELECT p.message_id, p.kind, p.body
    FROM messages m JOIN parts p ON p.message_id = m.id
    WHERE m.session_id = ?1 AND m.superseded_by IS NULL ORDER BY m.seq, p.idx";

/// The messages of a session, oldest first, with their parts; answers a
/// retry replaced ([`supersede_message`]) are left out.
pub fn list_messages(conn: &Connection, session_id: &str) -> Result<Vec<MessageRow>> {
    let mut stmt = conn.prepare(LIST_MESSAGES)?;
    let mut messages = stmt
        .query_map([session_id], |r| {
            Ok(MessageRow {
                id: r.get(0)?,
                role: r.get(1)?,
                status: r.get(2)?,
                created_at_ms: r.get(3)?,
                turn_id: r.get(4)?,
                usage: match (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<i64>>(6)?) {
                    (Some(input), Some(output)) => Some((input, output)),
                    _ => None,
                },
                cost: r.get(7)?,
                error: match (
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ) {
                    (Some(code), message) => Some(TurnError {
                        code,
                        message: message.unwrap_or_default(),
                    }),
                    _ => None,
                },
                parts: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Every part in one statement: a statement per message took a read
    // lock each (an fcntl pair, ~20% of the host's CPU in perf), and a
    // 1,000-message session's list ~18 ms instead of ~14 (release host,
    // web/bench/messages-list.mjs). A part of a message the first
    // statement did not see (written in between) is left out.
    let at: HashMap<String, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let mut parts = conn.prepare(LIST_PARTS)?;
    let mut rows = parts.query([session_id])?;
    while let Some(r) = rows.next()? {
        let Some(&i) = at.get(&r.get::<_, String>(0)?) else {
            continue;
        };
        messages[i].parts.push(PartRow {
            kind: r.get(1)?,
            body: r.get(2)?,
        });
    }
    Ok(messages)
}

/// A turn: one user message and the assistant's streamed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnRow {
    pub id: String,
    pub session_id: String,
    pub message_id: String,
    pub status: String,
}

pub fn create_turn(
    conn: &Connection,
    id: &str,
    session_id: &str,
    message_id: &str,
    now_ms: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO turns (id, session_id, message_id, status, started_at_ms)
         VALUES (?1, ?2, ?3, 'running', ?4)",
        params![id, session_id, message_id, now_ms],
    )?;
    Ok(())
}

pub fn finish_turn(conn: &Connection, id: &str, status: &str, now_ms: i64) -> Result<()> {
    conn.execute(
        "UPDATE turns SET status = ?2, finished_at_ms = ?3 WHERE id = ?1",
        params![id, status, now_ms],
    )?;
    Ok(())
}

/// Why turn `id` failed (see [`TurnError`]).
pub fn set_turn_error(conn: &Connection, id: &str, code: &str, message: &str) -> Result<()> {
    conn.execute(
        "UPDATE turns SET error_code = ?2, error_message = ?3 WHERE id = ?1",
        params![id, code, message],
    )?;
    Ok(())
}

pub fn get_turn(conn: &Connection, id: &str) -> Result<Option<TurnRow>> {
    Ok(conn
        .query_row(
            "SELECT id, session_id, message_id, status FROM turns WHERE id = ?1",
            [id],
            turn_from_row,
        )
        .optional()?)
}

/// The session's most recent turn.
pub fn latest_turn(conn: &Connection, session_id: &str) -> Result<Option<TurnRow>> {
    Ok(conn
        .query_row(
            "SELECT id, session_id, message_id, status FROM turns WHERE session_id = ?1
             ORDER BY started_at_ms DESC, rowid DESC LIMIT 1",
            [session_id],
            turn_from_row,
        )
        .optional()?)
}

fn turn_from_row(row: &Row<'_>) -> rusqlite::Result<TurnRow> {
    Ok(TurnRow {
        id: row.get(0)?,
        session_id: row.get(1)?,
        message_id: row.get(2)?,
        status: row.get(3)?,
    })
}

/// Appends chunks to a turn's log in one transaction (the host batches).
pub fn append_chunks(conn: &mut Connection, turn_id: &str, chunks: &[(u64, String)]) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt =
            tx.prepare_cached("INSERT INTO chunks (turn_id, seq, body) VALUES (?1, ?2, ?3)")?;
        for (seq, body) in chunks {
            stmt.execute(params![turn_id, *seq as i64, body])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The number of a turn's last stored chunk (0 for none).
pub fn last_chunk_seq(conn: &Connection, turn_id: &str) -> Result<u64> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT MAX(seq) FROM chunks WHERE turn_id = ?1")?
        .query_row(params![turn_id], |r| r.get(0))?;
    Ok(seq.map_or(0, |s| s as u64))
}

/// The chunks of a turn with `seq > after`, in order.
pub fn chunks_after(conn: &Connection, turn_id: &str, after: u64) -> Result<Vec<(u64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, body FROM chunks WHERE turn_id = ?1 AND seq > ?2 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map(params![turn_id, after as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// At start-up: turns left `running` by a crash become `interrupted`, and so
/// do their half-streamed messages; their error is [`HOST_STOPPED`].
/// Returns how many turns were affected.
pub fn mark_interrupted(conn: &Connection, now_ms: i64) -> Result<usize> {
    conn.execute(
        "UPDATE messages SET status = 'interrupted'
         WHERE id IN (SELECT message_id FROM turns WHERE status = 'running')",
        [],
    )?;
    let (code, message) = HOST_STOPPED;
    Ok(conn.execute(
        "UPDATE turns SET status = 'interrupted', finished_at_ms = ?1,
                          error_code = ?2, error_message = ?3
         WHERE status = 'running'",
        params![now_ms, code, message],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real `sessions.db` in a temporary directory with one session,
    /// `ses_1`.
    fn one_session() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open_database(&dir.path().join("sessions.db")).unwrap();
        create_session(
            &conn,
            &NewSession {
                id: "ses_1",
                title: "t",
                workspace_id: None,
                doc_id: None,
                now_ms: 1,
            },
        )
        .unwrap();
        (dir, conn)
    }

    /// A session's code languages: each message's go first, each once, at
    /// most six; kept in the file.
    #[test]
    fn code_languages_put_the_newest_first_once_and_keep_six() {
        let (dir, conn) = one_session();
        insert_message(&conn, "msg_1", "ses_1", "assistant", "complete", 2).unwrap();
        let langs = |conn: &Connection| get_session(conn, "ses_1").unwrap().unwrap().code_languages;
        let note = |list: &[&str]| {
            let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            note_code_languages(&conn, "msg_1", &list).unwrap();
        };
        assert_eq!(langs(&conn), Vec::<String>::new());
        note(&["rust", "ts"]);
        assert_eq!(langs(&conn), ["rust", "ts"]);
        // Newest first; one already there moves to the front, once.
        note(&["python", "ts"]);
        assert_eq!(langs(&conn), ["python", "ts", "rust"]);
        // Empty names and names with whitespace are skipped.
        note(&["", "a b", "c\td"]);
        assert_eq!(langs(&conn), ["python", "ts", "rust"]);
        // At most six: the oldest fall off.
        note(&["a", "b", "c", "d"]);
        assert_eq!(langs(&conn), ["a", "b", "c", "d", "python", "ts"]);
        // A message that is not stored changes nothing.
        note_code_languages(&conn, "msg_none", &["go".to_string()]).unwrap();
        assert_eq!(langs(&conn), ["a", "b", "c", "d", "python", "ts"]);
        // In the file, and in the list.
        drop(conn);
        let conn = crate::open_database(&dir.path().join("sessions.db")).unwrap();
        let (rows, _) = list_sessions(
            &conn,
            &SessionQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(rows[0].code_languages, ["a", "b", "c", "d", "python", "ts"]);
    }

    /// Which turns make a session's cost partial, on a real file.
    #[test]
    fn a_cost_is_partial_when_a_turn_that_counted_tokens_has_none() {
        let (_dir, conn) = one_session();
        let turn = |id: &str, status: &str, usage: Option<(u64, Option<f64>)>| {
            let message = format!("msg_{id}");
            insert_message(&conn, &message, "ses_1", "assistant", "complete", 2).unwrap();
            create_turn(&conn, id, "ses_1", &message, 2).unwrap();
            if let Some((tokens, cost)) = usage {
                set_turn_usage(&conn, id, tokens, 0, cost).unwrap();
            }
            if status != "running" {
                finish_turn(&conn, id, status, 3).unwrap();
            }
            let row = get_session(&conn, "ses_1").unwrap().unwrap();
            (row.cost, row.cost_partial)
        };
        // No cost yet: never partial.
        assert_eq!(turn("t1", "complete", Some((5, None))), (None, false));
        conn.execute("DELETE FROM turns", []).unwrap();
        assert_eq!(
            turn("t2", "complete", Some((5, Some(0.5)))),
            (Some(0.5), false)
        );
        // Running, interrupted, or failed before any usage: nothing counted.
        assert_eq!(turn("t3", "running", None), (Some(0.5), false));
        assert_eq!(turn("t4", "interrupted", None), (Some(0.5), false));
        assert_eq!(turn("t5", "error", Some((0, None))), (Some(0.5), false));
        assert_eq!(
            turn("t6", "complete", Some((3, Some(0.25)))),
            (Some(0.75), false)
        );
        // Ended before usage was kept per turn: its tokens counted, its cost
        // is unknown.
        assert_eq!(turn("t7", "complete", None), (Some(0.75), true));
        conn.execute("DELETE FROM turns WHERE id = 't7'", [])
            .unwrap();
        // Used tokens without a cost.
        assert_eq!(turn("t8", "aborted", Some((2, None))), (Some(0.75), true));
    }

    /// A superseded answer is kept but no longer listed or searched; a
    /// failed turn's error and a crashed turn's are read back with it.
    #[test]
    fn a_superseded_answer_is_kept_unlisted_and_unsearched_and_errors_are_read_back() {
        let (_dir, conn) = one_session();
        let answer = |message: &str, turn: &str, text: &str| {
            insert_message(&conn, message, "ses_1", "assistant", "error", 2).unwrap();
            put_part(
                &conn,
                message,
                0,
                "text",
                &format!(r#"{{"type":"text","text":"{text}"}}"#),
            )
            .unwrap();
            create_turn(&conn, turn, "ses_1", message, 2).unwrap();
        };
        let found = |q: &str| {
            let query = SessionQuery {
                filter: Some(q.to_owned()),
                limit: 10,
                ..Default::default()
            };
            list_sessions(&conn, &query).unwrap().1
        };
        answer("msg_a", "t1", "pelicans partial");
        set_turn_error(&conn, "t1", "provider_error", "upstream overloaded").unwrap();
        finish_turn(&conn, "t1", "error", 3).unwrap();
        assert_eq!(found("pelicans"), 1);
        let listed = list_messages(&conn, "ses_1").unwrap();
        assert_eq!(
            listed[0].error,
            Some(TurnError {
                code: "provider_error".into(),
                message: "upstream overloaded".into()
            })
        );

        assert!(supersede_message(&conn, "msg_a", "t2").unwrap());
        assert!(!supersede_message(&conn, "msg_a", "t3").unwrap(), "once");
        answer("msg_b", "t2", "flamingos");
        assert_eq!(
            list_messages(&conn, "ses_1")
                .unwrap()
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>(),
            ["msg_b"]
        );
        assert_eq!(found("pelicans"), 0, "the superseded text is not searched");
        assert_eq!(found("flamingos"), 1);
        let kept: String = conn
            .query_row(
                "SELECT superseded_by FROM messages WHERE id = 'msg_a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, "t2");

        // t2 is still running when the host dies.
        assert_eq!(mark_interrupted(&conn, 4).unwrap(), 1);
        let listed = list_messages(&conn, "ses_1").unwrap();
        assert_eq!(listed[0].status, "interrupted");
        assert_eq!(
            listed[0].error,
            Some(TurnError {
                code: HOST_STOPPED.0.into(),
                message: HOST_STOPPED.1.into()
            })
        );
    }

    /// Listing messages finds each message's turn by index; a scan of
    /// every turn per message made a 1,000-message session take ~18 ms of
    /// SQLite, growing with the square of its length.
    #[test]
    fn listing_messages_finds_each_turn_by_index_not_by_scanning_turns() {
        let (_dir, conn) = one_session();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {LIST_MESSAGES}"))
            .unwrap()
            .query_map(["ses_1"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING COVERING INDEX turns_by_message")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
