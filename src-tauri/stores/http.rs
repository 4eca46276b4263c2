//! The HTTP plumbing the three connectors share: one client with timeouts and our User-Agent,
//! status codes sorted into [`StoreError`]s, `Retry-After` and `Link` headers read.
//!
//! Error texts never carry a URL (WooCommerce's query-string auth puts the secret in it) and
//! quote at most a short prefix of the store's answer.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use super::{StoreConfig, StoreError};
use crate::http::USER_AGENT;
use crate::secrets::Sensitive;

/// A page of 200 checkouts with big carts stays far below this; anything larger is refused.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A response that passed the status check.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
pub struct StoreHttp {
    client: reqwest::Client,
    /// Values that must never appear in an error text (a store's error page may echo the URL).
    masks: Vec<Sensitive<String>>,
}

impl StoreHttp {
    /// Redirects are not followed: our auth headers (and WooCommerce's query-string keys) must
    /// never travel to another address; the owner is told to use the final address instead.
    /// Away from loopback only HTTPS is spoken.
    pub fn new(config: &StoreConfig) -> Result<StoreHttp, StoreError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!crate::http::is_loopback(&config.base_url))
            .no_proxy()
            .build()
            .map_err(|e| StoreError::Invalid(format!("could not set up HTTP: {}", e.without_url())))?;
        Ok(StoreHttp { client, masks: Vec::new() })
    }

    /// Masks these secrets in every error text this client produces.
    pub fn masking(mut self, secrets: &[&Sensitive<String>]) -> StoreHttp {
        self.masks = secrets.iter().map(|s| (*s).clone()).filter(|s| s.expose().len() >= 4).collect();
        self
    }

    fn mask(&self, error: StoreError) -> StoreError {
        let clean = |mut text: String| {
            for secret in &self.masks {
                text = text.replace(secret.expose().as_str(), "***");
            }
            text
        };
        match error {
            StoreError::Auth { status, detail } => StoreError::Auth { status, detail: clean(detail) },
            StoreError::Rejected { status, detail } => StoreError::Rejected { status, detail: clean(detail) },
            StoreError::Protocol(detail) => StoreError::Protocol(clean(detail)),
            StoreError::Unreachable(detail) => StoreError::Unreachable(clean(detail)),
            other => other,
        }
    }

    pub fn get(&self, url: Url) -> RequestBuilder {
        self.client.get(url)
    }

    pub fn post(&self, url: Url) -> RequestBuilder {
        self.client.post(url)
    }

    pub fn delete(&self, url: Url) -> RequestBuilder {
        self.client.delete(url)
    }

    /// Sends the request and sorts the outcome: 2xx is a [`Reply`], anything else an error.
    pub async fn send(&self, request: RequestBuilder) -> Result<Reply, StoreError> {
        self.send_unmasked(request).await.map_err(|e| self.mask(e))
    }

    async fn send_unmasked(&self, request: RequestBuilder) -> Result<Reply, StoreError> {
        let mut response = request.send().await.map_err(network_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network_error)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(StoreError::Protocol(format!("answer larger than {} MiB", MAX_BODY >> 20)));
            }
            body.extend_from_slice(&chunk);
        }
        classify(status, &headers, &body)?;
        Ok(Reply { status, headers, body })
    }
}

fn network_error(e: reqwest::Error) -> StoreError {
    let e = e.without_url();
    if e.is_timeout() {
        return StoreError::Unreachable("no answer in time".into());
    }
    // The innermost causes say what happened ("Connection refused", "dns error"…).
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    StoreError::Unreachable(text)
}

/// Maps a non-2xx status to the error it means.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), StoreError> {
    if status.is_success() {
        return Ok(());
    }
    if status.is_redirection() {
        // Name the host only: the target may carry query-string keys.
        let to = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| Url::parse(l).ok())
            .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")))
            .unwrap_or_else(|| "another address".into());
        return Err(StoreError::Invalid(format!(
            "the store redirected (HTTP {}) to {to}: use that address as the store's base URL",
            status.as_u16()
        )));
    }
    let detail = short(body);
    Err(match status.as_u16() {
        429 => StoreError::RateLimited { retry_after: retry_after(headers) },
        401..=403 => StoreError::Auth { status: status.as_u16(), detail },
        s if s >= 500 => StoreError::Server { status: s },
        s => StoreError::Rejected { status: s, detail },
    })
}

/// The first 200 characters of a body, on one line, for error messages.
pub fn short(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        cut.push('…');
    }
    if cut.is_empty() {
        "(empty answer)".into()
    } else {
        cut
    }
}

/// `Retry-After` in seconds (fractions accepted, as Shopify's SDKs read it), or Tiendanube's
/// `X-Rate-Limit-Reset` in milliseconds. Absurd values are capped at an hour.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .or_else(|| {
            headers
                .get("x-rate-limit-reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|ms| ms / 1000.0)
        })?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

/// The `rel="next"` target of an RFC 8288 `Link` header, if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("link")?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        is_next.then(|| target.to_string())
    })
}

/// A read of one resource: "not found" (404) is an answer, `None`, not an error.
pub fn found<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::Rejected { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses a JSON body into `T`, naming what did not fit.
pub fn json<T: for<'de> serde::Deserialize<'de>>(body: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(body).map_err(|e| StoreError::Protocol(format!("unexpected JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn statuses_become_the_right_errors() {
        let h = headers(&[("retry-after", "2.5")]);
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, b"").unwrap_err(),
            StoreError::RateLimited { retry_after: Some(Duration::from_millis(2500)) }
        );
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"{\"error\":\"bad token\"}"),
            Err(StoreError::Auth { status: 401, .. })
        ));
        assert!(matches!(
            classify(StatusCode::PAYMENT_REQUIRED, &HeaderMap::new(), b""),
            Err(StoreError::Auth { status: 402, .. })
        ));
        assert_eq!(
            classify(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>").unwrap_err(),
            StoreError::Server { status: 502 }
        );
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, &HeaderMap::new(), b"User-Agent missing"),
            Err(StoreError::Rejected { status: 400, detail }) if detail == "User-Agent missing"
        ));
        assert!(classify(StatusCode::OK, &HeaderMap::new(), b"").is_ok());
    }

    #[test]
    fn redirects_are_refused_naming_only_the_host() {
        let h =
            headers(&[("location", "https://www.shop.example/wp-json/wc/v3/orders?consumer_secret=cs_x")]);
        let err = classify(StatusCode::MOVED_PERMANENTLY, &h, b"").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("https://www.shop.example") && !text.contains("cs_x"), "{text}");
        assert_eq!(err.code(), "store_invalid");
    }

    #[test]
    fn not_found_is_an_answer_and_other_refusals_stay_errors() {
        assert_eq!(found(Ok::<_, StoreError>(7)), Ok(Some(7)));
        let gone = StoreError::Rejected { status: 404, detail: "Not Found".into() };
        assert_eq!(found::<u8>(Err(gone)), Ok(None));
        let refused = StoreError::Rejected { status: 422, detail: "x".into() };
        assert_eq!(found::<u8>(Err(refused.clone())), Err(refused));
        assert_eq!(
            found::<u8>(Err(StoreError::Server { status: 503 })),
            Err(StoreError::Server { status: 503 })
        );
    }

    #[test]
    fn secrets_echoed_by_a_store_are_masked() {
        let config =
            StoreConfig::new(super::super::Platform::Woocommerce, "https://shop.example", "ES").unwrap();
        let secret = Sensitive::new("cs_verysecret".to_string());
        let http = StoreHttp::new(&config).unwrap().masking(&[&secret]);
        let err = http.mask(StoreError::Rejected {
            status: 403,
            detail: "denied for ?consumer_secret=cs_verysecret".into(),
        });
        assert!(!err.to_string().contains("cs_verysecret"), "{err}");
    }

    #[test]
    fn the_bucket_reset_header_is_read_in_milliseconds() {
        let h = headers(&[("x-rate-limit-reset", "1500")]);
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "1e9")])), Some(Duration::from_secs(3600)));
        assert_eq!(retry_after(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), None);
    }

    #[test]
    fn link_headers_yield_the_next_page() {
        let h = headers(&[(
            "link",
            "<https://api.example/v1/1/checkouts?page=3&per_page=200>; rel=\"next\", \
             <https://api.example/v1/1/checkouts?page=9>; rel=\"last\"",
        )]);
        assert_eq!(next_link(&h).as_deref(), Some("https://api.example/v1/1/checkouts?page=3&per_page=200"));
        let last_only =
            headers(&[("link", "<https://x/?page=1>; rel=\"first\", <https://x/?page=9>; rel=last")]);
        assert_eq!(next_link(&last_only), None);
        assert_eq!(next_link(&headers(&[("link", "garbage")])), None);
    }

    #[test]
    fn short_bodies_are_one_line_and_bounded() {
        assert_eq!(short(b"a\n  b\tc"), "a b c");
        assert_eq!(short(b""), "(empty answer)");
        let long = "é".repeat(500);
        assert_eq!(short(long.as_bytes()).chars().count(), 201);
    }
}
