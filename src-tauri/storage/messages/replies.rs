//! The durable reply queue in the `messages` table: every free-text reply is committed as
//! `queued` under a unique key before anything is sent, claimed as `sending` in its own commit,
//! and settled afterwards — so a reply leaves at most once, even across a crash.

use rusqlite::Connection;

/// A reply waiting in the durable queue (or being sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedReply {
    pub id: i64,
    pub conversation_id: i64,
    pub origin: String,
    pub body: String,
    pub client_key: String,
}

/// Queues a free-text reply. Returns its id, or `None` when a reply with this key exists
/// (the same reply asked for twice is queued once).
pub fn queue_reply(
    conn: &Connection,
    conversation_id: i64,
    origin: &str,
    body: &str,
    client_key: &str,
    at: &str,
) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, direction, origin, kind, body, status, client_key, created_at, status_at)
         VALUES (?1, 'out', ?2, 'text', ?3, 'queued', ?4, ?5, ?5) ON CONFLICT DO NOTHING RETURNING id",
    )?
    .query_row(rusqlite::params![conversation_id, origin, body, client_key, at], |r| r.get(0))
    .optional()
}

/// Queued replies, oldest first.
pub fn queued_replies(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<QueuedReply>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, conversation_id, origin, body, client_key FROM messages
         WHERE direction = 'out' AND status = 'queued' AND client_key IS NOT NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::from(limit)], |r| {
        Ok(QueuedReply {
            id: r.get(0)?,
            conversation_id: r.get(1)?,
            origin: r.get(2)?,
            body: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            client_key: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Claims a queued reply for sending: `queued` → `sending`, committed before the request leaves.
/// False when someone else claimed it (or it is no longer queued).
pub fn claim_reply(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE messages SET status = 'sending', status_at = ?2 WHERE id = ?1 AND status = 'queued'",
        )?
        .execute(rusqlite::params![id, at])?;
    Ok(n == 1)
}

/// The reply left: WhatsApp accepted it under `wamid` (statuses already reported for that wamid
/// are applied at once).
pub fn reply_accepted(conn: &Connection, id: i64, wamid: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET wamid = ?2, status = 'accepted', status_at = ?3 WHERE id = ?1 AND wamid IS NULL",
    )?
    .execute(rusqlite::params![id, wamid, at])?;
    super::apply_statuses(conn, wamid)?;
    Ok(())
}

/// The reply did not leave (`failed`) or may have (`unknown`): either way it is never sent again.
pub fn reply_settled(
    conn: &Connection,
    id: i64,
    status: &str,
    code: Option<&str>,
    detail: Option<&str>,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET status = ?2, error_code = ?3, error_detail = ?4, status_at = ?5
         WHERE id = ?1 AND status IN ('queued', 'sending')",
    )?
    .execute(rusqlite::params![id, status, code, detail, at])?;
    Ok(())
}

/// After a crash: replies caught in `sending` may have left. They become `unknown` (never
/// resent); a status webhook carrying their key settles them later. Returns how many.
pub fn settle_interrupted_replies(conn: &Connection, at: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE messages SET status = 'unknown', error_detail = 'interrupted while sending; not resent', status_at = ?1
         WHERE direction = 'out' AND status = 'sending'",
    )?
    .execute([at])
}

/// A status webhook for a wamid we never learned (the answer was lost) whose callback data is
/// one of our reply keys: the reply gets its wamid. Returns the message id.
pub fn adopt_wamid(conn: &Connection, client_key: &str, wamid: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(
        "UPDATE messages SET wamid = ?2 WHERE client_key = ?1 AND wamid IS NULL RETURNING id",
    )?
    .query_row(rusqlite::params![client_key, wamid], |r| r.get(0))
    .optional()
}

/// A claimed reply that WhatsApp asked us to send later (rate limit, throughput, Meta
/// unavailable): back to `queued` for the next round. Nothing left, so it is still at most once.
pub fn requeue_reply(conn: &Connection, id: i64, detail: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET status = 'queued', error_detail = ?2, status_at = ?3 WHERE id = ?1 AND status = 'sending'",
    )?
    .execute(rusqlite::params![id, detail, at])?;
    Ok(())
}

/// A template the owner sends by hand, stored as `sending` under its key before the request
/// leaves (templates skip the queue: the window is closed). Returns its id.
pub fn insert_template_send(
    conn: &Connection,
    conversation_id: i64,
    body: &str,
    client_key: &str,
    at: &str,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, direction, origin, kind, body, status, client_key, created_at, status_at)
         VALUES (?1, 'out', 'app', 'template', ?2, 'sending', ?3, ?4, ?4) RETURNING id",
    )?
    .query_row(rusqlite::params![conversation_id, body, client_key, at], |r| r.get(0))
}
