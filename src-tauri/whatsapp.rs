//! The WhatsApp side as the send plan sees it: one template message out, and what came back —
//! accepted (with its wamid), an error sorted by what the outbox must do about it, or *unknown*
//! (the request may have reached Meta and no answer came back: never resend blindly).
//!
//! [`MessageSender`] is the seam: the Cloud API client ([`client::CloudClient`]) in production,
//! the sandbox WhatsApp in the demo and tests (over real HTTP), or a test double. Error classes
//! follow Meta's codes, not HTTP statuses (Meta answers 400 even for throttling); [`errors`] is the
//! one place they are sorted.

pub mod client;
pub mod errors;
pub mod media;
pub mod recovery;
pub mod template;
pub mod throttle;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::domain::TemplateState;

pub use errors::{ErrorClass, SendError};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One recovery template message, ready to send. Built from the cart by [`recovery::message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingTemplate {
    /// E.164 with the `+`.
    pub to: String,
    pub template: String,
    /// Meta's language code, e.g. `es_AR`, `pt_BR`, `en_US`.
    pub language: String,
    /// Body parameters in placeholder order: first name, store name, products, total.
    pub body: Vec<String>,
    /// The image header's link (the first product image), when the template has an image header.
    pub header_image: Option<String>,
    /// The image header as uploaded through the Media API (sent as `image.id` instead of the
    /// link): set by the outbox right before the send (see `scheduler/outbox/media.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_media_id: Option<String>,
    /// The variable end of the URL button (already percent-encoded), if the template has one.
    pub button_suffix: Option<String>,
    /// Echoed back by Meta in status webhooks (`biz_opaque_callback_data`): the send's
    /// idempotency key, so an `unknown` send is reconciled exactly.
    pub callback_data: String,
}

/// Meta accepted the message (not yet delivered: that comes by webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub wamid: String,
    /// WhatsApp's id for the recipient; may differ from what we sent (BR, MX, AR numbers).
    pub wa_id: Option<String>,
}

/// A free-text message (inbox replies, inside the 24-hour window only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingText {
    pub to: String,
    pub body: String,
    pub callback_data: Option<String>,
}

/// A template to create (see [`template::recovery_template`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    /// Meta's creation body.
    pub body: serde_json::Value,
}

/// What Meta answered to a creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTemplate {
    pub id: String,
    pub status: String,
    pub category: Option<String>,
}

/// Sends template messages. Boxed futures keep it usable as `dyn` (the engine holds one).
pub trait MessageSender: Send + Sync {
    fn send_template<'a>(
        &'a self,
        message: &'a OutgoingTemplate,
    ) -> BoxFuture<'a, Result<Accepted, SendError>>;

    /// Free text (only inside the customer's 24-hour window; else Meta answers 131047).
    fn send_text<'a>(&'a self, message: &'a OutgoingText) -> BoxFuture<'a, Result<Accepted, SendError>>;

    /// Every language of the templates called `name` (every template when `name` is `None`).
    fn templates<'a>(&'a self, name: Option<&'a str>)
        -> BoxFuture<'a, Result<Vec<TemplateState>, SendError>>;

    /// Submits a template for review.
    fn create_template<'a>(
        &'a self,
        template: &'a NewTemplate,
    ) -> BoxFuture<'a, Result<CreatedTemplate, SendError>>;

    /// Uploads an image through the Media API; returns its media id. A sender that can't upload
    /// (a test double) refuses, and the reminder goes as the text template.
    fn upload_media<'a>(&'a self, file: &'a media::MediaFile) -> BoxFuture<'a, Result<String, SendError>> {
        let _ = file;
        Box::pin(async {
            Err(SendError::Terminal {
                code: "unsupported".into(),
                detail: "this sender uploads no media".into(),
            })
        })
    }

    /// Uploads a template's example picture through the Resumable Upload API of the Meta app
    /// `app_id`; returns the handle a creation's `example.header_handle` takes.
    fn upload_template_example<'a>(
        &'a self,
        app_id: &'a str,
        file: &'a media::MediaFile,
    ) -> BoxFuture<'a, Result<String, SendError>> {
        let _ = (app_id, file);
        Box::pin(async {
            Err(SendError::Terminal {
                code: "unsupported".into(),
                detail: "this sender uploads no media".into(),
            })
        })
    }
}
