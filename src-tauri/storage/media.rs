//! The `wa_media` table: the WhatsApp media id each product image was uploaded as (the image
//! header of the recovery reminder), keyed by the image's address, with when it was uploaded —
//! Meta keeps an uploaded file for 30 days, so an older id is uploaded again — and, for an image
//! that could not be used (too big, not a JPEG or PNG, the download failed, WhatsApp refused it),
//! when and why, so it is not fetched again on every send.

use rusqlite::{params, Connection, OptionalExtension};

pub(crate) const SCHEMA_V14: &str = "
CREATE TABLE wa_media (
    image_url    TEXT PRIMARY KEY,
    media_id     TEXT,
    mime_type    TEXT,
    bytes        INTEGER,
    uploaded_at  TEXT,
    refused_at   TEXT,
    refused_why  TEXT
) STRICT;
";

/// What is known about one image address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaRow {
    pub image_url: String,
    /// The media id WhatsApp gave the upload (`None`: never uploaded, or forgotten).
    pub media_id: Option<String>,
    pub mime_type: Option<String>,
    pub bytes: Option<i64>,
    pub uploaded_at: Option<String>,
    /// When the image was last found unusable, and why (`too_big`, `not_an_image`…).
    pub refused_at: Option<String>,
    pub refused_why: Option<String>,
}

pub fn get(conn: &Connection, image_url: &str) -> rusqlite::Result<Option<MediaRow>> {
    conn.prepare_cached(
        "SELECT image_url, media_id, mime_type, bytes, uploaded_at, refused_at, refused_why
         FROM wa_media WHERE image_url = ?1",
    )?
    .query_row([image_url], |r| {
        Ok(MediaRow {
            image_url: r.get(0)?,
            media_id: r.get(1)?,
            mime_type: r.get(2)?,
            bytes: r.get(3)?,
            uploaded_at: r.get(4)?,
            refused_at: r.get(5)?,
            refused_why: r.get(6)?,
        })
    })
    .optional()
}

/// Records a successful upload (clears an earlier refusal).
pub fn record_upload(
    conn: &Connection,
    image_url: &str,
    media_id: &str,
    mime_type: &str,
    bytes: i64,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_media (image_url, media_id, mime_type, bytes, uploaded_at, refused_at, refused_why)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL)
         ON CONFLICT(image_url) DO UPDATE SET media_id = excluded.media_id, mime_type = excluded.mime_type,
           bytes = excluded.bytes, uploaded_at = excluded.uploaded_at, refused_at = NULL, refused_why = NULL",
    )?
    .execute(params![image_url, media_id, mime_type, bytes, at])?;
    Ok(())
}

/// Records that the image could not be used, and why (forgets any media id).
pub fn record_refusal(conn: &Connection, image_url: &str, why: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_media (image_url, refused_at, refused_why) VALUES (?1, ?2, ?3)
         ON CONFLICT(image_url) DO UPDATE SET media_id = NULL, uploaded_at = NULL,
           refused_at = excluded.refused_at, refused_why = excluded.refused_why",
    )?
    .execute(params![image_url, at, why])?;
    Ok(())
}

/// Forgets a media id WhatsApp no longer knows (expired or invalid): the next send uploads again.
/// Only that id: a newer upload recorded meanwhile stays.
pub fn forget(conn: &Connection, image_url: &str, media_id: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE wa_media SET media_id = NULL, uploaded_at = NULL WHERE image_url = ?1 AND media_id = ?2",
        )?
        .execute(params![image_url, media_id])?;
    Ok(n > 0)
}

/// The first product picture of a store's latest cart that has one (the message preview's
/// image header); `None` when no recent cart has a picture.
pub fn latest_picture(conn: &Connection, store_id: i64) -> rusqlite::Result<Option<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT items_json FROM carts WHERE store_id = ?1 ORDER BY detected_at DESC, id DESC LIMIT 20",
    )?;
    let rows = stmt.query_map([store_id], |r| r.get::<_, String>(0))?;
    for items in rows {
        let items: Vec<crate::domain::LineItem> = serde_json::from_str(&items?).unwrap_or_default();
        if let Some(url) = items.iter().find_map(|i| i.image_url()) {
            return Ok(Some(url.to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Db;

    #[test]
    fn an_upload_replaces_a_refusal_and_forgetting_only_drops_that_id() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let conn = db.conn();
        let url = "https://shop.example/a.jpg";
        assert_eq!(get(&conn, url).unwrap(), None);
        record_refusal(&conn, url, "download_failed", "2026-12-01T10:00:00Z").unwrap();
        assert_eq!(get(&conn, url).unwrap().unwrap().refused_why.as_deref(), Some("download_failed"));
        record_upload(&conn, url, "111", "image/jpeg", 1234, "2026-12-01T11:00:00Z").unwrap();
        let row = get(&conn, url).unwrap().unwrap();
        assert_eq!((row.media_id.as_deref(), row.refused_why), (Some("111"), None));
        assert!(!forget(&conn, url, "999").unwrap(), "another id is not this one");
        assert!(forget(&conn, url, "111").unwrap());
        assert_eq!(get(&conn, url).unwrap().unwrap().media_id, None);
    }
}
