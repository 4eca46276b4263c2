//! The reminder with the product's picture (setting `reminder_image`): when the image variant of
//! the recovery template (`reminder_image_template`) is approved in a language for this customer
//! and the cart's first item with a picture has one, the message goes with that picture as its
//! header, uploaded through the Media API and sent by media id; otherwise — no picture, a picture
//! too big or not a JPEG/PNG, a download or upload that failed — the text template goes, as if
//! the variant were off.
//!
//! At most once: everything here happens after the pre-send checks (no upload for a cart already
//! bought or held out) and before the send is marked as leaving (an upload is not a message and
//! may be repeated); the media id is stored as soon as WhatsApp gives it, so a crash after the
//! upload re-uses it. An id WhatsApp no longer knows (131053, expired) is
//! forgotten and the send is given back as retryable: nothing left, and the next attempt
//! uploads the picture again. Known gap: Meta may also accept a send and fail it later by status
//! webhook (131053); that failure is not traced back to the picture, so such an id is used until
//! its lifetime ([`MEDIA_ID_LIFETIME_DAYS`]) ends.

use chrono::{DateTime, Duration, Utc};

use super::checks::time;
use super::templates::{message, pick};
use crate::storage::media::{self as cache};
use crate::storage::templates::TemplateRow;
use crate::storage::{sends, ts, Db, StorageError};
use crate::whatsapp::media::{self, MediaRefusal, MEDIA_ID_LIFETIME_DAYS, REFUSAL_RETRY_HOURS};
use crate::whatsapp::{MessageSender, OutgoingTemplate, SendError};

/// The message with the picture when it can go so, else `text` unchanged.
pub(super) async fn with_image(
    db: &Db,
    sender: &dyn MessageSender,
    ctx: &sends::SendContext,
    rows: &[TemplateRow],
    text: OutgoingTemplate,
    now: DateTime<Utc>,
) -> Result<OutgoingTemplate, StorageError> {
    let Ok(template) = pick(ctx, rows) else { return Ok(text) };
    let Ok(mut with_picture) = message(ctx, template) else { return Ok(text) };
    let Some(url) = with_picture.header_image.clone() else { return Ok(text) };
    match media_id(db, sender, &url, now).await? {
        Some(id) => {
            with_picture.header_media_id = Some(id);
            Ok(with_picture)
        }
        None => Ok(text),
    }
}

/// The media id of the picture at `url`: the cached one while it is younger than
/// [`MEDIA_ID_LIFETIME_DAYS`], else downloaded, checked and uploaded now. `None`: the picture
/// can't be used (the refusal is remembered for [`REFUSAL_RETRY_HOURS`]) or the upload did not
/// go through this time.
pub(crate) async fn media_id(
    db: &Db,
    sender: &dyn MessageSender,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StorageError> {
    if let Some(row) = cache::get(&db.conn(), url)? {
        if let (Some(id), Some(at)) = (&row.media_id, &row.uploaded_at) {
            if now - time(at) < Duration::days(MEDIA_ID_LIFETIME_DAYS) {
                return Ok(Some(id.clone()));
            }
        }
        if row.refused_at.as_deref().is_some_and(|at| now - time(at) < Duration::hours(REFUSAL_RETRY_HOURS)) {
            return Ok(None);
        }
    }
    let file = match media::fetch_image(url).await {
        Ok(file) => file,
        Err(refusal) => {
            tracing::info!(reason = refusal.code(), "the product picture can't be the reminder's header");
            cache::record_refusal(&db.conn(), url, refusal.code(), &ts(now))?;
            return Ok(None);
        }
    };
    match sender.upload_media(&file).await {
        Ok(id) => {
            let bytes = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
            cache::record_upload(&db.conn(), url, &id, file.mime_type, bytes, &ts(now))?;
            Ok(Some(id))
        }
        // WhatsApp refused this file: remembered, the text template goes meanwhile.
        Err(e @ (SendError::Terminal { .. } | SendError::Template { .. })) => {
            tracing::info!(error = %e, "WhatsApp refused the product picture");
            cache::record_refusal(&db.conn(), url, MediaRefusal::UploadRefused.code(), &ts(now))?;
            Ok(None)
        }
        // Not now (network, throttling, the account): the text template goes, nothing remembered.
        Err(e) => {
            tracing::warn!(error = %e, "could not upload the product picture");
            Ok(None)
        }
    }
}

/// A send refused because WhatsApp no longer knows its header's media id: the id is forgotten
/// and the answer becomes retryable (nothing left; the next attempt uploads again).
pub(super) fn after_send(
    db: &Db,
    outgoing: &OutgoingTemplate,
    result: Result<crate::whatsapp::Accepted, SendError>,
) -> Result<Result<crate::whatsapp::Accepted, SendError>, StorageError> {
    let (Some(id), Some(url)) = (&outgoing.header_media_id, &outgoing.header_image) else {
        return Ok(result);
    };
    match result {
        Err(e) if media::is_media_id_error(&e) => {
            cache::forget(&db.conn(), url, id)?;
            Ok(Err(SendError::Retryable {
                code: "media_expired".into(),
                detail: format!(
                    "WhatsApp no longer knows the picture's media id; it is uploaded again ({e})"
                ),
                retry_after: None,
            }))
        }
        other => Ok(other),
    }
}
