//! The reminder with the product's picture (setting `reminder_image`): when the image variant of
//! the recovery template (`reminder_image_template`) is approved in a language for this customer
//! and the cart's first item with a picture has one, the message goes with that picture as its
//! header, uploaded through the Media API and sent by media id; otherwise — no picture, a picture
//! too big or not a JPEG/PNG, a download or upload that failed — the text template goes, as if
//! the variant were off.
//!
//! At most once: everything here happens after the pre-send checks (no upload for a cart already
//! bought or held out) and before the send is marked as leaving (an upload is not a message and
//! may be repeated); the caller runs the database's checks again after this step (a STOP that
//! arrived during the download or the upload is obeyed) and marks the send with a fresh time.
//! The media id is stored as soon as WhatsApp gives it, so a crash after the upload re-uses it.
//! An id belongs to the WhatsApp number it was uploaded through (setting
//! `whatsapp_phone_number_id`): another number uploads the picture again.
//!
//! A send refused because of its picture (131053, or 100 naming the image) left nothing, and is
//! given back as retryable: a cached id WhatsApp no longer knows (expired) is forgotten, and the
//! next attempt uploads the picture again; an id uploaded in this very attempt means WhatsApp
//! refuses this picture, so the refusal is remembered like a refused upload and the next attempt
//! sends the text template — never a loop of uploads until the send's deadline. Known gap: Meta
//! may also accept a send and fail it later by status webhook (131053); that failure is not
//! traced back to the picture, so such an id is used until its lifetime
//! ([`MEDIA_ID_LIFETIME_DAYS`]) ends.

use chrono::{DateTime, Duration, Utc};

use super::checks::time;
use super::templates::{message, pick};
use crate::storage::media::{self as cache};
use crate::storage::templates::TemplateRow;
use crate::storage::{sends, ts, Db, StorageError};
use crate::whatsapp::media::{self, MediaRefusal, MEDIA_ID_LIFETIME_DAYS, REFUSAL_RETRY_HOURS};
use crate::whatsapp::{MessageSender, OutgoingTemplate, SendError};

/// The reminder as it goes: with the picture or as text, and whether the picture's id was uploaded
/// in this very attempt (see [`after_send`]).
pub(super) struct WithImage {
    pub outgoing: OutgoingTemplate,
    pub uploaded_now: bool,
}

/// The message with the picture when it can go so, else `text` unchanged.
pub(super) async fn with_image(
    db: &Db,
    sender: &dyn MessageSender,
    ctx: &sends::SendContext,
    rows: &[TemplateRow],
    text: OutgoingTemplate,
    now: DateTime<Utc>,
) -> Result<WithImage, StorageError> {
    let as_text = |outgoing| Ok(WithImage { outgoing, uploaded_now: false });
    let Ok(template) = pick(ctx, rows) else { return as_text(text) };
    let Ok(mut with_picture) = message(ctx, template) else { return as_text(text) };
    let Some(url) = with_picture.header_image.clone() else { return as_text(text) };
    match media_id(db, sender, &url, now).await? {
        Some((id, uploaded_now)) => {
            with_picture.header_media_id = Some(id);
            Ok(WithImage { outgoing: with_picture, uploaded_now })
        }
        None => as_text(text),
    }
}

/// The media id of the picture at `url` for the WhatsApp number in use, and whether it was
/// uploaded now: the cached one while it is younger than [`MEDIA_ID_LIFETIME_DAYS`], else
/// downloaded (from public addresses or the connected stores' own hosts), checked and uploaded
/// now. `None`: the picture can't be used (the refusal is remembered for
/// [`REFUSAL_RETRY_HOURS`]) or the upload did not go through this time.
pub(crate) async fn media_id(
    db: &Db,
    sender: &dyn MessageSender,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, bool)>, StorageError> {
    let (number, stores) = {
        let conn = db.conn();
        (cache::current_number(&conn)?, cache::store_hosts(&conn)?)
    };
    if let Some(row) = cache::get(&db.conn(), &number, url)? {
        if let (Some(id), Some(at)) = (&row.media_id, &row.uploaded_at) {
            if now - time(at) < Duration::days(MEDIA_ID_LIFETIME_DAYS) {
                return Ok(Some((id.clone(), false)));
            }
        }
        if row.refused_at.as_deref().is_some_and(|at| now - time(at) < Duration::hours(REFUSAL_RETRY_HOURS)) {
            return Ok(None);
        }
    }
    let file = match media::fetch_image(url, &stores).await {
        Ok(file) => file,
        Err(refusal) => {
            tracing::info!(reason = refusal.code(), "the product picture can't be the reminder's header");
            cache::record_refusal(&db.conn(), &number, url, refusal.code(), &ts(now))?;
            return Ok(None);
        }
    };
    match sender.upload_media(&file).await {
        Ok(id) => {
            let bytes = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
            cache::record_upload(&db.conn(), &number, url, &id, file.mime_type, bytes, &ts(now))?;
            Ok(Some((id, true)))
        }
        // WhatsApp refused this file: remembered, the text template goes meanwhile.
        Err(e @ (SendError::Terminal { .. } | SendError::Template { .. })) => {
            tracing::info!(error = %e, "WhatsApp refused the product picture");
            cache::record_refusal(&db.conn(), &number, url, MediaRefusal::UploadRefused.code(), &ts(now))?;
            Ok(None)
        }
        // Not now (network, throttling, the account): the text template goes, nothing remembered.
        Err(e) => {
            tracing::warn!(error = %e, "could not upload the product picture");
            Ok(None)
        }
    }
}

/// A send refused because of its header's media id (nothing left): given back as retryable. A
/// cached id is forgotten (the next attempt uploads again); an id `uploaded_now` — WhatsApp
/// refuses this very picture — records the picture as refused, so the next attempt sends the
/// text template.
pub(super) fn after_send(
    db: &Db,
    outgoing: &OutgoingTemplate,
    uploaded_now: bool,
    result: Result<crate::whatsapp::Accepted, SendError>,
    now: DateTime<Utc>,
) -> Result<Result<crate::whatsapp::Accepted, SendError>, StorageError> {
    let (Some(id), Some(url)) = (&outgoing.header_media_id, &outgoing.header_image) else {
        return Ok(result);
    };
    match result {
        Err(e) if media::is_media_id_error(&e) => {
            let conn = db.conn();
            let number = cache::current_number(&conn)?;
            let (code, detail) = if uploaded_now {
                tracing::info!(error = %e, "WhatsApp refused a send with the just uploaded picture");
                cache::record_refusal(&conn, &number, url, MediaRefusal::UploadRefused.code(), &ts(now))?;
                (
                    "media_refused",
                    format!("WhatsApp refused the picture; the text reminder goes instead ({e})"),
                )
            } else {
                cache::forget(&conn, &number, url, id)?;
                (
                    "media_expired",
                    format!("WhatsApp no longer knows the picture's media id; it is uploaded again ({e})"),
                )
            };
            Ok(Err(SendError::Retryable { code: code.into(), detail, retry_after: None }))
        }
        other => Ok(other),
    }
}
