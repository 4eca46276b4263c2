//! The Media API as the client uses it: `POST {base}/{version}/{phone_number_id}/media`
//! (multipart: `messaging_product=whatsapp`, `type`, `file`) answers `{"id": "<MEDIA_ID>"}`, the
//! id a template's image header is sent with; and the Resumable Upload API that gives a template
//! *creation* its example image (`example.header_handle`): `POST {base}/{version}/{app_id}/uploads
//! ?file_length&file_type&file_name` opens a session (`{"id": "upload:…"}`), then `POST
//! {base}/{version}/{session}` with `Authorization: OAuth <token>`, `file_offset: 0` and the bytes
//! answers `{"h": "<HANDLE>"}`. An upload is not a send: it may be repeated safely.

use serde::Deserialize;

use super::CloudClient;
use crate::whatsapp::media::{multipart_body, MediaFile};
use crate::whatsapp::SendError;

#[derive(Deserialize)]
struct IdAnswer {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct HandleAnswer {
    #[serde(default)]
    h: Option<String>,
}

fn unreadable(what: &str) -> SendError {
    SendError::Retryable {
        code: "protocol".into(),
        detail: format!("unreadable answer to {what}"),
        retry_after: None,
    }
}

fn config_error(detail: String) -> SendError {
    SendError::Account { code: "config".into(), detail }
}

/// The image header of a template send: the uploaded media id when there is one (Meta fetches
/// nothing), else the image's own address.
pub(super) fn header_component(message: &crate::whatsapp::OutgoingTemplate) -> Option<serde_json::Value> {
    let image = match (&message.header_media_id, &message.header_image) {
        (Some(id), _) => serde_json::json!({"id": id}),
        (None, Some(link)) => serde_json::json!({"link": link}),
        (None, None) => return None,
    };
    Some(serde_json::json!({"type": "header", "parameters": [{"type": "image", "image": image}]}))
}

impl CloudClient {
    /// Uploads `file` to the Media API; returns its media id.
    pub async fn upload_media(&self, file: &MediaFile) -> Result<String, SendError> {
        let url = self.url(&format!("{}/media", self.config.phone_number_id.trim())).map_err(config_error)?;
        let boundary = format!("recupero-{:016x}", fastrand::u64(..));
        let (content_type, body) =
            multipart_body(&boundary, &[("messaging_product", "whatsapp"), ("type", file.mime_type)], file);
        let answer = self.post_bytes(url, &content_type, body, None).await?;
        let id: IdAnswer = serde_json::from_slice(&answer).map_err(|_| unreadable("a media upload"))?;
        id.id
            .map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()))
            .filter(|id| !id.is_empty())
            .ok_or_else(|| unreadable("a media upload"))
    }

    /// Uploads `file` through the Resumable Upload API of the Meta app `app_id`; returns the
    /// handle a template creation's `example.header_handle` takes.
    pub async fn upload_template_example(&self, app_id: &str, file: &MediaFile) -> Result<String, SendError> {
        let mut url = self.url(&format!("{}/uploads", app_id.trim())).map_err(config_error)?;
        url.query_pairs_mut()
            .append_pair("file_length", &file.bytes.len().to_string())
            .append_pair("file_type", file.mime_type)
            .append_pair("file_name", &file.file_name);
        let session = self.post_json(url, None).await?;
        let session: IdAnswer =
            serde_json::from_slice(&session).map_err(|_| unreadable("an upload session"))?;
        let session = session
            .id
            .and_then(|v| v.as_str().map(String::from))
            .filter(|s| s.starts_with("upload:"))
            .ok_or_else(|| unreadable("an upload session"))?;
        let url = self.url(&session).map_err(config_error)?;
        let answer = self
            .post_bytes(url, "application/octet-stream", file.bytes.clone(), Some(("file_offset", "0")))
            .await?;
        let handle: HandleAnswer = serde_json::from_slice(&answer).map_err(|_| unreadable("an upload"))?;
        handle.h.filter(|h| !h.is_empty()).ok_or_else(|| unreadable("an upload"))
    }

    /// POSTs raw bytes; an answer other than 2xx is read as Meta's error. The resumable upload
    /// takes the token as `OAuth <token>` (Meta's documented form) when the header is
    /// `Authorization`.
    async fn post_bytes(
        &self,
        url: url::Url,
        content_type: &str,
        body: Vec<u8>,
        extra: Option<(&str, &str)>,
    ) -> Result<Vec<u8>, SendError> {
        let auth = match extra {
            Some(_) if self.auth_name().eq_ignore_ascii_case("authorization") => {
                format!("OAuth {}", self.config.token.expose())
            }
            _ => self.auth_value(),
        };
        let mut request = self
            .http
            .post(url)
            .header(self.auth_name(), auth)
            .header("content-type", content_type)
            .body(body);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| SendError::Retryable {
            code: "network".into(),
            detail: self.mask(e.without_url().to_string()),
            retry_after: None,
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::Unknown { detail: self.mask(e.without_url().to_string()) })?;
        if !status.is_success() {
            return Err(self.error_from(status, &body));
        }
        Ok(body.to_vec())
    }
}
