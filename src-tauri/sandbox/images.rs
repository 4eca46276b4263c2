//! Product pictures, served by the sandbox stores at `GET /images/products/{file}` so the
//! reminder's image header runs on loopback end to end (the catalog's items point here):
//! - `{n}.png`: a product picture (a real 128×128 PNG);
//! - `{n}.jpg`: a small real-signature JPEG;
//! - `big.jpg`: a JPEG over WhatsApp's 5 MB image limit;
//! - `page.jpg`: an HTML page served as `image/jpeg` (a store's "not found" page with the wrong
//!   type: the bytes, not the header, tell);
//! - `big-declared.jpg`: announces more than 5 MB in `Content-Length` (never read);
//! - `away-{file}`: a redirect (302) to `{file}` on `localhost` at this server's port — another
//!   host name for the same loopback server (a store whose pictures send the download to the
//!   local network);
//! - anything else: 404.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The sample product picture.
pub const PRODUCT_PNG: &[u8] = include_bytes!("../../icons/128x128.png");

/// A minimal JPEG: SOI, an APP0/JFIF segment, EOI (its signature is what counts).
pub const PRODUCT_JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0xFF, 0xD9,
];

/// One byte over WhatsApp's 5 MB limit for an image.
const BIG: usize = 5 * 1024 * 1024 + 1;

pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/images/products/{file}", get(picture))
}

async fn picture(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if let Some(target) = file.strip_prefix("away-") {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        let port = host.rsplit_once(':').map(|(_, p)| p).unwrap_or("80");
        let to = format!("http://localhost:{port}/images/products/{target}");
        return (StatusCode::FOUND, [(header::LOCATION, to)]).into_response();
    }
    let typed = |kind: &'static str, bytes: Vec<u8>| ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    match file.as_str() {
        "big.jpg" => {
            let mut bytes = PRODUCT_JPEG[..4].to_vec();
            bytes.resize(BIG, 0);
            typed("image/jpeg", bytes)
        }
        "page.jpg" => {
            typed("image/jpeg", b"<!doctype html><title>Not found</title><p>No such product".to_vec())
        }
        "big-declared.jpg" => {
            // Streamed without a known end: only Content-Length tells, and it says too big.
            let mut bytes = PRODUCT_JPEG.to_vec();
            bytes.resize(BIG + 10, 0);
            typed("image/jpeg", bytes)
        }
        f if f.ends_with(".png")
            && f[..f.len() - 4].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            typed("image/png", PRODUCT_PNG.to_vec())
        }
        f if f.ends_with(".jpg")
            && f[..f.len() - 4].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            typed("image/jpeg", PRODUCT_JPEG.to_vec())
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
