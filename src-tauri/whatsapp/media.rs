//! The reminder's product picture on its way to WhatsApp: the image is read from the store's
//! address (at most [`MAX_IMAGE_BYTES`], no redirects to elsewhere than http(s), a short
//! timeout), its type is read from its first bytes — never from what the server says — and only
//! a JPEG or a PNG goes on (Meta's image types for a template header, up to 5 MB). Then it is
//! uploaded through the Media API (`POST /{phone_number_id}/media`, multipart, see
//! `client/media.rs`) and its media id is sent as the header (`image.id`). Meta keeps an
//! uploaded file for 30 days; Recupero uploads it again after [`MEDIA_ID_LIFETIME_DAYS`].
//!
//! Guarantees: nothing here panics on what a server answers; an image that is too big, not a
//! JPEG/PNG, or whose download fails is a [`MediaRefusal`] (the send falls back to the text
//! template), never an error of the send.

use std::time::Duration;

/// Meta's limit for an image (JPEG, PNG) sent in a message.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Meta deletes an uploaded file after 30 days; a cached id older than this is uploaded again
/// (a margin, so an id never expires between the check and the send).
pub const MEDIA_ID_LIFETIME_DAYS: i64 = 27;

/// A cached refusal (too big, not an image, download failed) is tried again after this long.
pub const REFUSAL_RETRY_HOURS: i64 = 24;

/// An image ready to upload: its bytes and the type read from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub mime_type: &'static str,
    /// A file name for the multipart part (`product.jpg`).
    pub file_name: String,
}

/// Why an image can't be the reminder's header; stored with the image's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRefusal {
    /// Larger than [`MAX_IMAGE_BYTES`].
    TooBig,
    /// Not a JPEG or a PNG by its first bytes (an HTML page, a WebP, a GIF…).
    NotAnImage,
    /// The store's server did not give the image (refused, timed out, 404…).
    DownloadFailed,
    /// WhatsApp refused the upload.
    UploadRefused,
}

impl MediaRefusal {
    pub fn code(self) -> &'static str {
        match self {
            MediaRefusal::TooBig => "image_too_big",
            MediaRefusal::NotAnImage => "image_not_jpeg_or_png",
            MediaRefusal::DownloadFailed => "image_download_failed",
            MediaRefusal::UploadRefused => "image_upload_refused",
        }
    }
}

/// The image type of `bytes` by its signature: `image/jpeg` (FF D8 FF) or `image/png` (the
/// 8-byte PNG signature); `None` for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if bytes.len() >= 3 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
        Some("image/jpeg")
    } else if bytes.len() >= 8 && bytes[..8] == PNG {
        Some("image/png")
    } else {
        None
    }
}

/// `bytes` as an image WhatsApp accepts in a header, or why not.
pub fn check_image(bytes: Vec<u8>) -> Result<MediaFile, MediaRefusal> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(MediaRefusal::TooBig);
    }
    let mime_type = sniff(&bytes).ok_or(MediaRefusal::NotAnImage)?;
    let file_name = if mime_type == "image/png" { "product.png" } else { "product.jpg" }.to_string();
    Ok(MediaFile { bytes, mime_type, file_name })
}

/// Reads the image at `url` (http or https) into memory, stopping as soon as it passes
/// [`MAX_IMAGE_BYTES`], and checks it with [`check_image`].
pub async fn fetch_image(url: &str) -> Result<MediaFile, MediaRefusal> {
    let parsed = url::Url::parse(url).map_err(|_| MediaRefusal::DownloadFailed)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(MediaRefusal::DownloadFailed);
    }
    let http = reqwest::Client::builder()
        .user_agent(crate::http::USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|_| MediaRefusal::DownloadFailed)?;
    // Image CDNs (Shopify's, Cloudflare's) pick the format by `Accept`: ask for what Meta takes.
    let request = http.get(parsed).header("accept", "image/jpeg, image/png;q=0.9");
    let mut response = request.send().await.map_err(|_| MediaRefusal::DownloadFailed)?;
    if !response.status().is_success() {
        return Err(MediaRefusal::DownloadFailed);
    }
    if response.content_length().is_some_and(|n| n > MAX_IMAGE_BYTES as u64) {
        return Err(MediaRefusal::TooBig);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| MediaRefusal::DownloadFailed)? {
        if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(MediaRefusal::TooBig);
        }
        bytes.extend_from_slice(&chunk);
    }
    check_image(bytes)
}

/// A multipart/form-data body: text fields, then one file part. Returns (content type, body).
pub fn multipart_body(boundary: &str, fields: &[(&str, &str)], file: &MediaFile) -> (String, Vec<u8>) {
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.file_name, file.mime_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Whether a send error says the header's media id is unknown or expired (Meta: 131053 "Media
/// upload error", or 100 "Invalid parameter" naming the image): the id is forgotten and the
/// image uploaded again.
pub fn is_media_id_error(error: &super::SendError) -> bool {
    use super::SendError;
    let (code, detail) = match error {
        SendError::Terminal { code, detail } | SendError::Template { code, detail } => (code, detail),
        _ => return false,
    };
    let detail = detail.to_ascii_lowercase();
    code == "131053" || (code == "100" && (detail.contains("media") || detail.contains("image")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_first_bytes_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"<!doctype html><img>"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None, "too short");
        assert_eq!(check_image(b"<html>".to_vec()), Err(MediaRefusal::NotAnImage));
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(check_image(big), Err(MediaRefusal::TooBig));
        let ok = check_image(b"\x89PNG\r\n\x1a\nrest".to_vec()).unwrap();
        assert_eq!((ok.mime_type, ok.file_name.as_str()), ("image/png", "product.png"));
    }

    #[test]
    fn the_multipart_body_has_the_fields_then_the_file() {
        let file = MediaFile {
            bytes: vec![0xFF, 0xD8, 0xFF, 1],
            mime_type: "image/jpeg",
            file_name: "p.jpg".into(),
        };
        let (ct, body) =
            multipart_body("XyZ", &[("messaging_product", "whatsapp"), ("type", "image/jpeg")], &file);
        assert_eq!(ct, "multipart/form-data; boundary=XyZ");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
        ));
        assert!(text.contains("name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
        assert!(body.ends_with(b"\xFF\xD8\xFF\x01\r\n--XyZ--\r\n"));
    }

    #[test]
    fn media_id_errors_are_recognised() {
        use crate::whatsapp::SendError;
        let t = |code: &str, detail: &str| SendError::Terminal { code: code.into(), detail: detail.into() };
        assert!(is_media_id_error(&t("131053", "Media upload error")));
        assert!(is_media_id_error(&t("100", "Param image['id'] is not a valid media id")));
        assert!(!is_media_id_error(&t("100", "Invalid parameter")));
        assert!(!is_media_id_error(&t("131026", "Message undeliverable")));
    }
}
