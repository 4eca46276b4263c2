//! The `wa_templates` table: what the app last learned about each message template (name +
//! language) — Meta's review status, its shape (body parameters, header, URL button), when it was
//! checked, and a local block set when a send failed for a template reason (132xxx). Template
//! status webhooks can't reach a desktop, so this cache is refreshed by polling.
//!
//! What Meta reports is the domain's [`TemplateState`]; the row adds when it was checked and the
//! local block. The two conversions between them live here, and only here.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::domain::TemplateState;

pub(crate) const SCHEMA_V4: &str = "
CREATE TABLE wa_templates (
    name           TEXT NOT NULL,
    language       TEXT NOT NULL,
    status         TEXT NOT NULL,
    category       TEXT,
    meta_id        TEXT,
    body_params    INTEGER,
    header_format  TEXT,
    button_url     TEXT,
    checked_at     TEXT NOT NULL,
    block_code     TEXT,
    block_detail   TEXT,
    PRIMARY KEY (name, language)
) STRICT;
";

/// The approved texts, so the message preview shows the account's own wording.
pub(crate) const SCHEMA_V7: &str = "
ALTER TABLE wa_templates ADD COLUMN body_text TEXT;
ALTER TABLE wa_templates ADD COLUMN footer_text TEXT;
ALTER TABLE wa_templates ADD COLUMN button_text TEXT;
ALTER TABLE wa_templates ADD COLUMN quick_reply_text TEXT;
";

/// A cached template: what Meta reported ([`TemplateState`], written once in `domain`), when it
/// was checked, and a local block after WhatsApp refused a send with it. Reads of the template's
/// own fields go through to the state (`row.name`, `row.status`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TemplateRow {
    #[serde(flatten)]
    pub template: TemplateState,
    pub checked_at: String,
    pub block_code: Option<String>,
    pub block_detail: Option<String>,
}

impl std::ops::Deref for TemplateRow {
    type Target = TemplateState;

    fn deref(&self) -> &TemplateState {
        &self.template
    }
}

impl TemplateRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            template: TemplateState {
                name: r.get("name")?,
                language: r.get("language")?,
                status: r.get("status")?,
                category: r.get("category")?,
                id: r.get("meta_id")?,
                body_params: r.get("body_params")?,
                header_format: r.get("header_format")?,
                button_url: r.get("button_url")?,
                body_text: r.get("body_text")?,
                footer_text: r.get("footer_text")?,
                button_text: r.get("button_text")?,
                quick_reply_text: r.get("quick_reply_text")?,
            },
            checked_at: r.get("checked_at")?,
            block_code: r.get("block_code")?,
            block_detail: r.get("block_detail")?,
        })
    }

    /// The cache row for what Meta reported, checked at `checked_at` (no local block).
    pub fn reported(template: TemplateState, checked_at: &str) -> TemplateRow {
        TemplateRow { template, checked_at: checked_at.to_string(), block_code: None, block_detail: None }
    }

    /// Sendable: approved by Meta and not blocked by a template error since.
    pub fn sendable(&self) -> bool {
        self.template.approved() && self.block_code.is_none()
    }
}

pub fn get(conn: &Connection, name: &str, language: &str) -> rusqlite::Result<Option<TemplateRow>> {
    conn.prepare_cached("SELECT * FROM wa_templates WHERE name = ?1 AND language = ?2")?
        .query_row([name, language], TemplateRow::from_row)
        .optional()
}

/// Every language of one template.
pub fn for_name(conn: &Connection, name: &str) -> rusqlite::Result<Vec<TemplateRow>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM wa_templates WHERE name = ?1 ORDER BY language")?;
    let rows = stmt.query_map([name], TemplateRow::from_row)?;
    rows.collect()
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<TemplateRow>> {
    let mut stmt = conn.prepare("SELECT * FROM wa_templates ORDER BY name, language")?;
    let rows = stmt.query_map([], TemplateRow::from_row)?;
    rows.collect()
}

/// Records what Meta said. A block from a send error is lifted when Meta reports the template
/// approved again after a *status* problem (paused, disabled, missing); a content mismatch
/// (wrong parameter count or format) stays until the owner changes the template.
pub fn upsert(conn: &Connection, t: &TemplateRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_templates (name, language, status, category, meta_id, body_params, header_format, button_url,
                                   checked_at, body_text, footer_text, button_text, quick_reply_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(name, language) DO UPDATE SET status = excluded.status, category = excluded.category,
           meta_id = COALESCE(excluded.meta_id, meta_id), body_params = excluded.body_params,
           header_format = excluded.header_format, button_url = excluded.button_url, checked_at = excluded.checked_at,
           body_text = excluded.body_text, footer_text = excluded.footer_text, button_text = excluded.button_text,
           quick_reply_text = excluded.quick_reply_text,
           block_code = CASE WHEN excluded.status = 'APPROVED' AND block_code IN ('132001', '132015', '132016')
                             THEN NULL ELSE block_code END,
           block_detail = CASE WHEN excluded.status = 'APPROVED' AND block_code IN ('132001', '132015', '132016')
                               THEN NULL ELSE block_detail END",
    )?
    .execute(params![
        t.name,
        t.language,
        t.status.to_ascii_uppercase(),
        t.category,
        t.id,
        t.body_params,
        t.header_format,
        t.button_url,
        t.checked_at,
        t.body_text,
        t.footer_text,
        t.button_text,
        t.quick_reply_text
    ])?;
    Ok(())
}

/// A send failed because of the template (132xxx): stop using it until it is fixed.
pub fn block(
    conn: &Connection,
    name: &str,
    language: &str,
    code: &str,
    detail: &str,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_templates (name, language, status, checked_at, block_code, block_detail)
         VALUES (?1, ?2, 'UNKNOWN', ?5, ?3, ?4)
         ON CONFLICT(name, language) DO UPDATE SET block_code = excluded.block_code, block_detail = excluded.block_detail",
    )?
    .execute(params![name, language, code, detail, at])?;
    Ok(())
}

/// The owner changed or re-created the template: forget every local block of that name.
pub fn unblock(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE wa_templates SET block_code = NULL, block_detail = NULL WHERE name = ?1")?
        .execute([name])?;
    Ok(())
}

/// Any template of that name still waiting for review (the poller checks more often then).
pub fn any_pending(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM wa_templates WHERE status IN ('PENDING', 'IN_APPEAL', 'PENDING_DELETION'))",
        [],
        |r| r.get(0),
    )
}

/// The oldest check, to know when to poll again.
pub fn oldest_check(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT min(checked_at) FROM wa_templates", [], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// A template's review result as WhatsApp's webhook reports it (`status` is its event name).
pub fn set_status(
    conn: &Connection,
    name: &str,
    language: &str,
    status: &str,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE wa_templates SET status = ?3, checked_at = ?4 WHERE name = ?1 AND language = ?2",
    )?
    .execute(rusqlite::params![name, language, status, at])?;
    Ok(())
}

/// The languages of `name` a refresh at `at` did not list any more: gone from the account.
pub fn mark_missing(conn: &Connection, name: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE wa_templates SET status = 'MISSING', checked_at = ?2 WHERE name = ?1 AND checked_at < ?2",
        params![name, at],
    )?;
    Ok(())
}
