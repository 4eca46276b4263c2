//! The Media API (Meta, *Media* reference) and the Resumable Upload API, as the reminder's
//! product picture meets them:
//!
//! - `POST /{version}/{phone_number_id}/media`, multipart/form-data with `messaging_product`
//!   (`whatsapp`), `type` and `file`: answers `{"id": "<MEDIA_ID>"}`. Refused like Meta: no
//!   token (190), another object id, no `messaging_product` or no `file` (100), a type other than
//!   `image/jpeg` / `image/png` — declared or read from the file's first bytes — (100, "Param
//!   file must be a file with one of the following types"), an image over 5 MB (131053 "Media
//!   upload error"). A media id lives 30 days of sandbox time ([`WhatsAppSandbox::expire_media`]
//!   ends one early; `GET /{version}/{media_id}` reads it back — url, mime_type, sha256,
//!   file_size — until then); a template send whose image header names an unknown or expired id
//!   is refused with 131053.
//! - `POST /{version}/{app_id}/uploads?file_length&file_type&file_name` opens an upload session
//!   (`{"id": "upload:…"}`); `POST /{version}/upload:…` with `file_offset: 0` and the bytes
//!   (token as `OAuth <token>`, or Bearer) answers `{"h": "<HANDLE>"}`, the handle a template
//!   creation's `example.header_handle` must carry (an unknown handle is refused, 2494102).
//!
//! Simpler than Meta, knowingly: only images are served (JPEG, PNG); a session takes its whole
//! file in one request (offset 0); the media object's `url` is not downloadable.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::{error, json_response, meta_text, Rejection, Shared, WhatsAppSandbox};

/// The request body limit on the upload routes: above Meta's 5 MB, so a too-big image gets
/// Meta's error rather than a bare 413.
pub(super) const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Meta's limit for an image.
const MAX_IMAGE: usize = 5 * 1024 * 1024;
/// How long Meta keeps an uploaded file.
const LIFETIME_DAYS: i64 = 30;

/// One uploaded file, as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub id: String,
    pub mime_type: String,
    pub bytes: usize,
    /// The file's SHA-256, hex (Meta's `sha256` on the media object).
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    /// Ended early by [`WhatsAppSandbox::expire_media`].
    pub expired: bool,
}

#[derive(Default)]
pub(super) struct MediaStore {
    files: Vec<StoredMedia>,
    /// Upload session id → (declared length, declared type).
    sessions: HashMap<String, (usize, String)>,
    handles: HashSet<String>,
    next: u64,
    /// Set by [`WhatsAppSandbox::refuse_image_headers`]: every image header is refused (131053).
    refuse_headers: bool,
}

impl MediaStore {
    pub(super) fn knows_handle(&self, handle: &str) -> bool {
        self.handles.contains(handle)
    }
}

fn bad(code: i64, details: &str) -> Rejection {
    error(StatusCode::BAD_REQUEST, code, meta_text(code).0, details)
}

fn media_error(details: &str) -> Rejection {
    error(StatusCode::BAD_REQUEST, 131053, "Media upload error", details)
}

fn unauthorized() -> Rejection {
    let (title, details) = meta_text(190);
    error(StatusCode::UNAUTHORIZED, 190, title, details)
}

fn no_object(id: &str) -> Rejection {
    let message = format!("Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation");
    bad(100, &message)
}

/// The image type of a file by its first bytes (JPEG or PNG).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// One part of a multipart/form-data body.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Part<'a> {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `key="value"` parameter of a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a multipart/form-data body with this boundary; `None` when it is not one.
pub(super) fn parse_multipart<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        let (mut name, mut file_name, mut content_type) = (None, None, None);
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':')?;
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(value, "name");
                file_name = disposition_param(value, "filename");
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_ascii_lowercase());
            }
        }
        parts.push(Part { name: name?, file_name, content_type, data: &content[..end] });
        rest = &content[end + 2 + delimiter.len()..];
    }
}

fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get("content-type")?.to_str().ok()?;
    let (kind, params) = ct.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary").then(|| v.trim_matches('"').to_string())
    })
}

/// The type list of Meta's refusal, for the images the sandbox serves.
fn wrong_type(received: &str) -> Rejection {
    bad(
        100,
        &format!("Param file must be a file with one of the following types: image/jpeg, image/png. Received file of type '{received}'."),
    )
}

/// `POST /{version}/{phone_number_id}/media`.
pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    store_upload(&shared, &id, &headers, &body).unwrap_or_else(IntoResponse::into_response)
}

fn store_upload(shared: &Shared, id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, Rejection> {
    if !shared.authorized(headers) {
        return Err(unauthorized());
    }
    if id != shared.config.phone_number_id {
        return Err(no_object(id));
    }
    let parts = boundary(headers)
        .and_then(|b| parse_multipart(body, &b))
        .ok_or_else(|| bad(100, "The parameter messaging_product is required."))?;
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    match field("messaging_product").map(|p| String::from_utf8_lossy(p.data).trim().to_string()) {
        Some(p) if p == "whatsapp" => {}
        None => return Err(bad(100, "The parameter messaging_product is required.")),
        Some(other) => {
            return Err(bad(
                100,
                &format!("Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."),
            ))
        }
    }
    let file = field("file").ok_or_else(|| bad(100, "The parameter file is required."))?;
    let declared = field("type")
        .map(|p| String::from_utf8_lossy(p.data).trim().to_ascii_lowercase())
        .or_else(|| file.content_type.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    if !["image/jpeg", "image/png"].contains(&declared.as_str()) {
        return Err(wrong_type(&declared));
    }
    match sniff(file.data) {
        Some(actual) if actual == declared => {}
        Some(actual) => return Err(wrong_type(actual)),
        None => return Err(wrong_type("application/octet-stream")),
    }
    if file.data.len() > MAX_IMAGE {
        return Err(media_error(&format!(
            "Media upload error: image/jpeg and image/png files may be at most 5 MB; this one is {} bytes",
            file.data.len()
        )));
    }
    let now = shared.now();
    let mut inner = shared.lock();
    inner.media.next += 1;
    let media_id = format!("{}{:06}", 7055500000u64, inner.media.next);
    inner.media.files.push(StoredMedia {
        id: media_id.clone(),
        mime_type: declared,
        bytes: file.data.len(),
        sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(file.data))
        },
        uploaded_at: now,
        expired: false,
    });
    Ok(json_response(StatusCode::OK, vec![], json!({"id": media_id}).to_string()))
}

/// The resumable upload's token: `OAuth <token>` (Meta's form) or the usual one.
fn authorized_upload(shared: &Shared, headers: &HeaderMap) -> bool {
    let oauth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
        .is_some_and(|t| t == shared.config.token);
    oauth || shared.authorized(headers)
}

/// `POST /{version}/{app_id}/uploads?file_length&file_type&file_name`: opens a session.
pub(super) async fn open_session(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized_upload(&shared, &headers) {
        return unauthorized().into_response();
    }
    if id != super::SANDBOX_APP_ID {
        return no_object(&id).into_response();
    }
    let Some(length) = query.get("file_length").and_then(|l| l.parse::<usize>().ok()) else {
        return bad(100, "The parameter file_length is required.").into_response();
    };
    let kind = query.get("file_type").map(|t| t.to_ascii_lowercase()).unwrap_or_default();
    if !["image/jpeg", "image/png"].contains(&kind.as_str()) {
        return bad(100, &format!("Param file_type must be one of image/jpeg, image/png; got '{kind}'."))
            .into_response();
    }
    if length > MAX_IMAGE {
        return media_error("Media upload error: the example image may be at most 5 MB").into_response();
    }
    let mut inner = shared.lock();
    inner.media.next += 1;
    let raw = format!("sandbox-session-{}?sig=ARZ{}", inner.media.next, inner.media.next);
    let session = format!("upload:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
    inner.media.sessions.insert(session.clone(), (length, kind));
    json_response(StatusCode::OK, vec![], json!({"id": session}).to_string())
}

/// `GET /{version}/{id}`: a media object when `id` is an uploaded file's (Meta's `{messaging_product,
/// url, mime_type, sha256, file_size, id}`; an expired one no longer exists), else the phone
/// number (registration).
pub(super) async fn get_object(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    query: axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let now = shared.now();
    let found = shared.lock().media.files.iter().find(|f| f.id == id).cloned();
    let Some(file) = found else {
        return super::registration::read_phone(State(shared), Path((version, id)), query, headers).await;
    };
    if !shared.authorized(&headers) {
        return unauthorized().into_response();
    }
    if file.expired || now - file.uploaded_at >= Duration::days(LIFETIME_DAYS) {
        let message = format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation");
        return bad(100, &message).into_response();
    }
    let url = format!("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={id}&source=sandbox");
    let answer = json!({"messaging_product": "whatsapp", "url": url, "mime_type": file.mime_type,
        "sha256": file.sha256, "file_size": file.bytes, "id": file.id});
    json_response(StatusCode::OK, vec![], answer.to_string())
}

/// `POST /{version}/{id}`: an upload session's bytes when `id` is one (`upload:…`), else the
/// phone number's settings (registration).
pub(super) async fn post_object(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !id.starts_with("upload:") {
        return super::registration::update_phone(State(shared), Path((version, id)), headers, body).await;
    }
    if !authorized_upload(&shared, &headers) {
        return unauthorized().into_response();
    }
    let offset =
        headers.get("file_offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut inner = shared.lock();
    let Some((length, kind)) = inner.media.sessions.get(&id).cloned() else {
        drop(inner);
        return no_object(&id).into_response();
    };
    if offset != Some(0) {
        drop(inner);
        return bad(
            100,
            "The parameter file_offset is required (the sandbox takes the whole file at offset 0).",
        )
        .into_response();
    }
    if body.len() != length || sniff(&body) != Some(kind.as_str()) {
        drop(inner);
        return media_error("Media upload error: the bytes are not the file the session was opened for")
            .into_response();
    }
    inner.media.sessions.remove(&id);
    inner.media.next += 1;
    let handle = format!(
        "4::{}:ARZsandbox{}",
        base64::engine::general_purpose::STANDARD.encode(kind.as_bytes()),
        inner.media.next
    );
    inner.media.handles.insert(handle.clone());
    drop(inner);
    json_response(StatusCode::OK, vec![], json!({"h": handle}).to_string())
}

impl Shared {
    /// A template send's image header parameter: `id:<media id>` when it names a live upload,
    /// `link:<url>` for a link; an unknown or expired id is Meta's 131053.
    pub(super) fn header_image(&self, p: &Value) -> Result<Option<String>, Rejection> {
        if let Some(id) = p.pointer("/image/id").and_then(Value::as_str) {
            let now = self.now();
            let inner = self.lock();
            if inner.media.refuse_headers {
                return Err(media_error(&format!("Media upload error: the media id {id} can't be sent")));
            }
            let live = inner
                .media
                .files
                .iter()
                .any(|f| f.id == id && !f.expired && now - f.uploaded_at < Duration::days(LIFETIME_DAYS));
            if !live {
                return Err(media_error(&format!(
                    "Media upload error: the media id {id} is unknown or has expired; upload the file again"
                )));
            }
            return Ok(Some(format!("id:{id}")));
        }
        Ok(p.pointer("/image/link").and_then(Value::as_str).map(|l| format!("link:{l}")))
    }
}

impl WhatsAppSandbox {
    /// Every file uploaded through the Media API, in order.
    pub fn media(&self) -> Vec<StoredMedia> {
        self.shared.lock().media.files.clone()
    }

    /// Ends an uploaded file's life early, as Meta's 30 days would.
    pub fn expire_media(&self, id: &str) {
        for f in self.shared.lock().media.files.iter_mut().filter(|f| f.id == id) {
            f.expired = true;
        }
    }

    /// From now on every template send whose image header names a media id is refused with
    /// 131053 (a picture Meta keeps refusing, however often it is uploaded again).
    pub fn refuse_image_headers(&self) {
        self.shared.lock().media.refuse_headers = true;
    }

    /// Whether a template-creation handle was issued by this sandbox's resumable upload.
    pub fn knows_upload_handle(&self, handle: &str) -> bool {
        self.shared.lock().media.knows_handle(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_body_is_read_into_its_parts() {
        let body = b"--b1\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\r\n--x\r\n--b1--\r\n";
        let parts = parse_multipart(body, "b1").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data), ("messaging_product", &b"whatsapp"[..]));
        assert_eq!(parts[1].file_name.as_deref(), Some("a.jpg"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[1].data, b"\xFF\xD8\xFF\r\n--x", "a delimiter-like line inside the file stays");
        assert_eq!(parse_multipart(b"not multipart", "b1"), None);
        assert_eq!(parse_multipart(b"--b1\r\nno end", "b1"), None);
        assert_eq!(parse_multipart(b"--b1--\r\n", "b1"), Some(vec![]));
    }

    use crate::clock::TestClock;
    use crate::sandbox::whatsapp::{TemplateDefinition, WhatsAppSandboxConfig};
    use crate::secrets::Sensitive;
    use crate::whatsapp::client::{CloudClient, CloudConfig};
    use crate::whatsapp::media::{multipart_body, MediaFile};
    use crate::whatsapp::{MessageSender, OutgoingTemplate, SendError};

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9];

    async fn sandbox() -> (WhatsAppSandbox, TestClock) {
        let clock = TestClock::at("2026-11-20T13:00:00Z".parse().unwrap());
        let mut config = WhatsAppSandboxConfig::default();
        let mut image = TemplateDefinition::recupero("es", &config.button_url);
        image.name = "recupero_carrito_foto".into();
        image.header = Some(super::super::TemplateHeader::Image);
        config.templates = Some(vec![image]);
        let wa = WhatsAppSandbox::start(config, Arc::new(clock.clone()), 0).await.unwrap();
        (wa, clock)
    }

    fn client(wa: &WhatsAppSandbox) -> CloudClient {
        let c = wa.config();
        CloudClient::new(CloudConfig {
            base_url: wa.base_url().parse().unwrap(),
            api_version: "v25.0".into(),
            phone_number_id: c.phone_number_id.clone(),
            business_account_id: c.business_account_id.clone(),
            token: Sensitive::new(c.token.clone()),
            auth_header: "Authorization".into(),
        })
        .unwrap()
    }

    /// POSTs a multipart upload as a client that does not check its file would.
    async fn raw_upload(
        wa: &WhatsAppSandbox,
        fields: &[(&str, &str)],
        file: &MediaFile,
        token: &str,
    ) -> (u16, Value) {
        let (content_type, body) = multipart_body("t3st", fields, file);
        let url = format!("{}/v25.0/{}/media", wa.base_url(), wa.config().phone_number_id);
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
    }

    fn file(bytes: Vec<u8>, mime_type: &'static str) -> MediaFile {
        MediaFile { bytes, mime_type, file_name: "x.jpg".into() }
    }

    #[tokio::test]
    async fn the_media_api_refuses_what_meta_refuses() {
        let (wa, _clock) = sandbox().await;
        let token = wa.config().token.clone();
        let product = [("messaging_product", "whatsapp"), ("type", "image/jpeg")];
        let ok = raw_upload(&wa, &product, &file(JPEG.to_vec(), "image/jpeg"), &token).await;
        assert_eq!(ok.0, 200, "{ok:?}");
        assert!(ok.1["id"].as_str().is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit())), "{ok:?}");

        let html = raw_upload(&wa, &product, &file(b"<html>".to_vec(), "image/jpeg"), &token).await;
        assert_eq!((html.0, html.1["error"]["code"].as_i64()), (400, Some(100)), "{html:?}");
        assert!(html.1["error"]["error_data"]["details"].as_str().unwrap().contains("following types"));

        let webp = [("messaging_product", "whatsapp"), ("type", "image/webp")];
        let wrong = raw_upload(&wa, &webp, &file(JPEG.to_vec(), "image/jpeg"), &token).await;
        assert_eq!(wrong.1["error"]["code"].as_i64(), Some(100), "a type Meta does not take: {wrong:?}");

        let mut big = JPEG.to_vec();
        big.resize(MAX_IMAGE + 1, 0);
        let too_big = raw_upload(&wa, &product, &file(big, "image/jpeg"), &token).await;
        assert_eq!((too_big.0, too_big.1["error"]["code"].as_i64()), (400, Some(131053)), "{too_big:?}");

        let no_product =
            raw_upload(&wa, &[("type", "image/jpeg")], &file(JPEG.to_vec(), "image/jpeg"), &token).await;
        assert_eq!(no_product.1["error"]["code"].as_i64(), Some(100));
        assert!(no_product.1["error"]["error_data"]["details"]
            .as_str()
            .unwrap()
            .contains("messaging_product"));

        let stranger = raw_upload(&wa, &product, &file(JPEG.to_vec(), "image/jpeg"), "not-the-token").await;
        assert_eq!((stranger.0, stranger.1["error"]["code"].as_i64()), (401, Some(190)));
        assert_eq!(wa.media().len(), 1, "only the good file was kept");
    }

    #[tokio::test]
    async fn a_send_needs_a_live_media_id_for_its_image_header() {
        let (wa, clock) = sandbox().await;
        let client = client(&wa);
        let id = client.upload_media(&file(JPEG.to_vec(), "image/jpeg")).await.unwrap();
        let message = |media: &str| OutgoingTemplate {
            to: "+5491122334455".into(),
            template: "recupero_carrito_foto".into(),
            language: "es".into(),
            body: vec!["Ana".into(), "Luna".into(), "Remera".into(), "$ 10".into()],
            header_image: Some("https://shop.example/a.jpg".into()),
            header_media_id: Some(media.into()),
            button_suffix: Some("checkout/1".into()),
            callback_data: "recupero:1:0".into(),
        };
        client.send_template(&message(&id)).await.unwrap();
        assert_eq!(wa.messages()[0].header_image.as_deref(), Some(format!("id:{id}").as_str()));

        let unknown = client.send_template(&message("123")).await.unwrap_err();
        assert!(matches!(&unknown, SendError::Terminal { code, .. } if code == "131053"), "{unknown:?}");
        assert!(crate::whatsapp::media::is_media_id_error(&unknown));

        clock.advance(Duration::days(30));
        let expired = client.send_template(&message(&id)).await.unwrap_err();
        assert!(crate::whatsapp::media::is_media_id_error(&expired), "30 days later: {expired:?}");
        assert_eq!(wa.messages().len(), 1);
    }

    #[tokio::test]
    async fn an_image_template_is_created_with_a_handle_of_the_resumable_upload() {
        let (wa, _clock) = sandbox().await;
        let client = client(&wa);
        let handle = client
            .upload_template_example(SANDBOX_APP_ID_FOR_TESTS, &file(JPEG.to_vec(), "image/jpeg"))
            .await
            .unwrap();
        assert!(handle.starts_with("4::") && wa.knows_upload_handle(&handle), "{handle}");
        let base = "https://tienda-sandbox.mitiendanube.com/";
        let good = crate::whatsapp::template::recovery_image_template("foto_nueva", "en", base, &handle);
        let created = client.create_template(&good).await.unwrap();
        assert_eq!(created.status, "PENDING");
        let forged =
            crate::whatsapp::template::recovery_image_template("foto_otra", "en", base, "4::bm9wZQ==:ARZx");
        let refused = client.create_template(&forged).await.unwrap_err();
        assert!(matches!(&refused, SendError::Template { code, .. } if code == "100"), "{refused:?}");
        let wrong_app = client.upload_template_example("42", &file(JPEG.to_vec(), "image/jpeg")).await;
        assert!(wrong_app.is_err(), "another app's uploads edge does not exist");
    }

    #[tokio::test]
    async fn an_uploaded_file_reads_back_until_it_expires() {
        let (wa, clock) = sandbox().await;
        let id = client(&wa).upload_media(&file(JPEG.to_vec(), "image/jpeg")).await.unwrap();
        let get = |id: String| {
            let url = format!("{}/v25.0/{id}", wa.base_url());
            let token = wa.config().token.clone();
            async move {
                let r = reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .unwrap()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, object) = get(id.clone()).await;
        assert_eq!(status, 200, "{object}");
        assert_eq!(object["mime_type"], "image/jpeg");
        assert_eq!(object["file_size"], JPEG.len());
        assert_eq!(object["sha256"].as_str().map(str::len), Some(64));
        assert_eq!(object["id"], id.as_str());
        let phone = get(wa.config().phone_number_id.clone()).await;
        assert_eq!(phone.0, 200, "other ids are still the phone number's: {}", phone.1);

        clock.advance(Duration::days(30));
        let (status, gone) = get(id.clone()).await;
        assert_eq!((status, gone["error"]["code"].as_i64()), (400, Some(100)), "30 days later: {gone}");
    }

    const SANDBOX_APP_ID_FOR_TESTS: &str = super::super::SANDBOX_APP_ID;
}
