//! The `wa_media` table: the WhatsApp media id each product image was uploaded as (the image
//! header of the recovery reminder), keyed by the WhatsApp number that uploaded it (a media id
//! belongs to one phone number id: after the owner connects another number, each picture is
//! uploaded again for it) and the image's address, with when it was uploaded —
//! Meta keeps an uploaded file for 30 days, so an older id is uploaded again — and, for an image
//! that could not be used (too big, not a JPEG or PNG, the download failed, WhatsApp refused it),
//! when and why, so it is not fetched again on every send.

use rusqlite::{params, Connection, OptionalExtension};

pub(crate) const SCHEMA_V14: &str = "
CREATE TABLE wa_media (
    phone_number_id TEXT NOT NULL,
    image_url    TEXT NOT NULL,
    media_id     TEXT,
    mime_type    TEXT,
    bytes        INTEGER,
    uploaded_at  TEXT,
    refused_at   TEXT,
    refused_why  TEXT,
    PRIMARY KEY (phone_number_id, image_url)
) STRICT;
";

/// What is known about one image address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaRow {
    /// The WhatsApp phone number id the picture was uploaded through (`""` when none is set).
    pub phone_number_id: String,
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

/// The WhatsApp number the app sends through now (setting `whatsapp_phone_number_id`, trimmed;
/// `""` when none is set): the first half of a cached picture's key.
pub fn current_number(conn: &Connection) -> rusqlite::Result<String> {
    Ok(super::settings::get(conn, "whatsapp_phone_number_id")?.unwrap_or_default().trim().to_string())
}

pub fn get(conn: &Connection, phone_number_id: &str, image_url: &str) -> rusqlite::Result<Option<MediaRow>> {
    conn.prepare_cached(
        "SELECT phone_number_id, image_url, media_id, mime_type, bytes, uploaded_at, refused_at, refused_why
         FROM wa_media WHERE phone_number_id = ?1 AND image_url = ?2",
    )?
    .query_row([phone_number_id, image_url], |r| {
        Ok(MediaRow {
            phone_number_id: r.get(0)?,
            image_url: r.get(1)?,
            media_id: r.get(2)?,
            mime_type: r.get(3)?,
            bytes: r.get(4)?,
            uploaded_at: r.get(5)?,
            refused_at: r.get(6)?,
            refused_why: r.get(7)?,
        })
    })
    .optional()
}

/// Records a successful upload (clears an earlier refusal).
pub fn record_upload(
    conn: &Connection,
    phone_number_id: &str,
    image_url: &str,
    media_id: &str,
    mime_type: &str,
    bytes: i64,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_media (phone_number_id, image_url, media_id, mime_type, bytes, uploaded_at, refused_at, refused_why)
         VALUES (?6, ?1, ?2, ?3, ?4, ?5, NULL, NULL)
         ON CONFLICT(phone_number_id, image_url) DO UPDATE SET media_id = excluded.media_id, mime_type = excluded.mime_type,
           bytes = excluded.bytes, uploaded_at = excluded.uploaded_at, refused_at = NULL, refused_why = NULL",
    )?
    .execute(params![image_url, media_id, mime_type, bytes, at, phone_number_id])?;
    Ok(())
}

/// Records that the image could not be used, and why (forgets any media id).
pub fn record_refusal(
    conn: &Connection,
    phone_number_id: &str,
    image_url: &str,
    why: &str,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO wa_media (phone_number_id, image_url, refused_at, refused_why) VALUES (?4, ?1, ?2, ?3)
         ON CONFLICT(phone_number_id, image_url) DO UPDATE SET media_id = NULL, uploaded_at = NULL,
           refused_at = excluded.refused_at, refused_why = excluded.refused_why",
    )?
    .execute(params![image_url, at, why, phone_number_id])?;
    Ok(())
}

/// Forgets a media id WhatsApp no longer knows (expired or invalid): the next send uploads again.
/// Only that id: a newer upload recorded meanwhile stays.
pub fn forget(
    conn: &Connection,
    phone_number_id: &str,
    image_url: &str,
    media_id: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE wa_media SET media_id = NULL, uploaded_at = NULL
             WHERE phone_number_id = ?3 AND image_url = ?1 AND media_id = ?2",
        )?
        .execute(params![image_url, media_id, phone_number_id])?;
    Ok(n > 0)
}

/// The hosts of the connected stores' addresses (lower case): a product picture on one of them
/// may be fetched even when it is on the owner's own network or loopback (see
/// [`crate::whatsapp::media::fetch_image`]).
pub fn store_hosts(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT base_url FROM stores")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut hosts = Vec::new();
    for base in rows {
        let host = url::Url::parse(base?.trim()).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        if let Some(host) = host.filter(|h| !hosts.contains(h)) {
            hosts.push(host);
        }
    }
    Ok(hosts)
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

    const A: &str = "106540352242922";
    const B: &str = "209871234567890";

    #[test]
    fn an_upload_replaces_a_refusal_and_forgetting_only_drops_that_id() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let conn = db.conn();
        let url = "https://shop.example/a.jpg";
        assert_eq!(get(&conn, A, url).unwrap(), None);
        record_refusal(&conn, A, url, "download_failed", "2026-12-01T10:00:00Z").unwrap();
        assert_eq!(get(&conn, A, url).unwrap().unwrap().refused_why.as_deref(), Some("download_failed"));
        record_upload(&conn, A, url, "111", "image/jpeg", 1234, "2026-12-01T11:00:00Z").unwrap();
        let row = get(&conn, A, url).unwrap().unwrap();
        assert_eq!((row.media_id.as_deref(), row.refused_why), (Some("111"), None));
        assert!(!forget(&conn, A, url, "999").unwrap(), "another id is not this one");
        assert!(forget(&conn, A, url, "111").unwrap());
        assert_eq!(get(&conn, A, url).unwrap().unwrap().media_id, None);
    }

    #[test]
    fn a_media_id_belongs_to_the_number_that_uploaded_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let conn = db.conn();
        let url = "https://shop.example/a.jpg";
        record_upload(&conn, A, url, "111", "image/jpeg", 1234, "2026-12-01T11:00:00Z").unwrap();
        assert_eq!(get(&conn, B, url).unwrap(), None, "another number never saw that upload");
        record_upload(&conn, B, url, "222", "image/jpeg", 1234, "2026-12-02T11:00:00Z").unwrap();
        assert_eq!(get(&conn, A, url).unwrap().unwrap().media_id.as_deref(), Some("111"));
        assert_eq!(get(&conn, B, url).unwrap().unwrap().media_id.as_deref(), Some("222"));
        assert!(!forget(&conn, B, url, "111").unwrap(), "B's row does not hold A's id");
        assert!(forget(&conn, A, url, "111").unwrap());
        assert_eq!(get(&conn, B, url).unwrap().unwrap().media_id.as_deref(), Some("222"));
        assert_eq!(current_number(&conn).unwrap(), "");
        crate::storage::settings::put(&conn, "whatsapp_phone_number_id", " 106540352242922 ", "t").unwrap();
        assert_eq!(current_number(&conn).unwrap(), A);
    }
}
