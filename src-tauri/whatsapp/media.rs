//! The reminder's product picture on its way to WhatsApp: the image is read from the store's
//! address (at most [`MAX_IMAGE_BYTES`], public addresses only unless the store itself is local,
//! no redirects to elsewhere than http(s), a short timeout), its type is read from its first
//! bytes — never from what the server says — and only a JPEG or a PNG goes on (Meta's image
//! types for a template header, up to 5 MB). Then it is uploaded through the Media API
//! (`POST /{phone_number_id}/media`, multipart, see `client/media.rs`) and its media id is sent
//! as the header (`image.id`). Meta keeps an uploaded file for 30 days; Recupero uploads it
//! again after [`MEDIA_ID_LIFETIME_DAYS`].
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
///
/// Only public addresses are reached: a host that is (or resolves to) a loopback, private,
/// link-local, unique-local, shared (100.64/10) or unspecified address is refused — at the first
/// hop and at every redirect (at most 3), checked on the addresses actually connected to (the
/// resolver drops the others, so a name can't resolve public for a check and private for the
/// connection), and never through a system proxy (like every request of the app). The
/// exception is `trusted_hosts`: the hosts of the stores the owner connected
/// (a store on the owner's own network, the sandbox and the tests on loopback), matched by exact
/// host name — a redirect from such a store to *another* local host is still refused.
pub async fn fetch_image(url: &str, trusted_hosts: &[String]) -> Result<MediaFile, MediaRefusal> {
    let parsed = url::Url::parse(url).map_err(|_| MediaRefusal::DownloadFailed)?;
    if !allowed_address(&parsed, trusted_hosts) {
        tracing::info!("the product picture's address is not public; not fetched");
        return Err(MediaRefusal::DownloadFailed);
    }
    let trusted: Vec<String> = trusted_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
    let for_redirects = trusted.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > 3 {
            attempt.error("too many redirects")
        } else if allowed_address(attempt.url(), &for_redirects) {
            attempt.follow()
        } else {
            attempt.error("a redirect to an address that is not public")
        }
    });
    // Never through a system proxy: it would resolve and connect on its side, past the check.
    let http = reqwest::Client::builder()
        .no_proxy()
        .user_agent(crate::http::USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(policy)
        .dns_resolver(std::sync::Arc::new(PublicOnly { trusted }))
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

/// Whether an address is one a downloaded picture may come from, as far as its text tells: http
/// or https, and a host that is trusted, a name (checked when resolved, by [`PublicOnly`]) or a
/// public IP literal.
fn allowed_address(url: &url::Url, trusted: &[String]) -> bool {
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let Some(host) = url.host() else { return false };
    let name = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if trusted.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        return true;
    }
    match host {
        url::Host::Domain(_) => true,
        url::Host::Ipv4(ip) => is_public(std::net::IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => is_public(std::net::IpAddr::V6(ip)),
    }
}

/// Not loopback, private, link-local, unique-local, shared (CGNAT), multicast, broadcast,
/// documentation or unspecified (IPv4-mapped IPv6 addresses are judged as their IPv4 address).
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The resolver of picture downloads: a trusted host resolves as usual; any other name keeps
/// only its public addresses, and one with none is an error (nothing is connected to).
struct PublicOnly {
    trusted: Vec<String>,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let trusted = self.trusted.contains(&host);
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| trusted || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
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

    #[test]
    fn only_public_addresses_or_the_stores_own_hosts_are_fetched() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let none: &[String] = &[];
        for local in [
            "http://127.0.0.1/a.png",
            "http://10.0.0.5/a.png",
            "http://172.16.0.1/a.png",
            "http://192.168.1.1/a.png",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/a.png",
            "http://0.0.0.0/a.png",
            "http://[::1]/a.png",
            "http://[fd00::1]/a.png",
            "http://[fe80::1]/a.png",
            "http://[::ffff:127.0.0.1]/a.png",
            "file:///etc/passwd",
        ] {
            assert!(!allowed_address(&u(local), none), "{local}");
        }
        assert!(allowed_address(&u("https://8.8.8.8/a.png"), none));
        assert!(
            allowed_address(&u("https://cdn.shopify.com/a.png"), none),
            "a name is checked once resolved"
        );
        let store = vec!["127.0.0.1".to_string()];
        assert!(allowed_address(&u("http://127.0.0.1:8080/a.png"), &store), "the store's own host");
        assert!(!allowed_address(&u("http://10.0.0.5/a.png"), &store), "not another local host");
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_local_addresses_is_not_connected_to() {
        use reqwest::dns::Resolve;
        let name = || "localhost".parse::<reqwest::dns::Name>().unwrap();
        let refused = PublicOnly { trusted: vec![] }.resolve(name()).await;
        assert!(refused.is_err(), "localhost has no public address");
        let trusted = PublicOnly { trusted: vec!["localhost".into()] }.resolve(name()).await;
        assert!(trusted.unwrap().any(|a| a.ip().is_loopback()), "a store's own host resolves as usual");
        // A loopback picture without a store on that host: refused before any connection.
        let no_store = fetch_image("http://127.0.0.1:9/a.png", &[]).await;
        assert_eq!(no_store, Err(MediaRefusal::DownloadFailed));
    }
}
