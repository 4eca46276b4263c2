//! The sandbox's Master Data scroll: `_where`, `_fields` and `_size` ≤ 1000 on the first call,
//! then `_token` alone; the token (here stateless: the bound, the position and when it was last
//! used) comes back in `X-VTEX-MD-TOKEN` and expires 10 minutes after its last use.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::{answer, authorized, error, fault_answer, filter, logged, Filter, TOKEN_LIFE};
use crate::sandbox::{param, query_pairs, Shared, Window};
use crate::stores::Platform;

fn token(after: Option<DateTime<Utc>>, offset: usize, now: DateTime<Utc>) -> String {
    let plain = format!("{}|{offset}|{}", after.map(|t| t.timestamp()).unwrap_or(i64::MIN), now.timestamp());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain)
}

fn read_token(text: &str) -> Option<(Option<DateTime<Utc>>, usize, DateTime<Utc>)> {
    let plain =
        String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let mut parts = plain.split('|');
    let after: i64 = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    let issued = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
    Some(((after != i64::MIN).then(|| DateTime::from_timestamp(after, 0)).flatten(), offset, issued))
}

pub(super) async fn scroll(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = scroll_inner(&shared, &query, &headers);
    logged(&shared, "/api/dataentities/CL/scroll", &query, &headers, response)
}

fn scroll_inner(shared: &Shared, query: &str, headers: &HeaderMap) -> Response {
    if !authorized(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let fault = shared.take_fault(Platform::Vtex);
    if let Some(response) = fault.as_ref().and_then(fault_answer) {
        return response;
    }
    let pairs = query_pairs(query);
    let now = shared.now();
    let size = 1000;
    let (after, offset) = match param(&pairs, "_token") {
        Some(t) => match read_token(t) {
            Some((after, offset, issued)) if now - issued <= TOKEN_LIFE => (after, offset),
            _ => return error(StatusCode::BAD_REQUEST, "The scroll token expired or is not valid"),
        },
        None => {
            let size: usize = param(&pairs, "_size").and_then(|s| s.parse().ok()).unwrap_or(100);
            if size == 0 || size > 1000 {
                return error(StatusCode::BAD_REQUEST, "_size must be between 1 and 1000");
            }
            match filter(param(&pairs, "_where")) {
                Ok(f) => (f.after, 0),
                Err(e) => return error(StatusCode::BAD_REQUEST, &e),
            }
        }
    };
    let f = Filter { after, before: None, has_cart: true, email: None };
    let window = Window { skip: offset, take: size, reverse: false, count_all: false };
    let (_, docs) = shared.page(Platform::Vtex, 0, |c| f.keeps(c, now), window);
    let next = token(after, offset + docs.len(), now);
    // `_fields` is given once, with the first call; later pages keep it (as the API does).
    let fields = param(&pairs, "_fields").unwrap_or(crate::stores::vtex::json::FIELDS);
    answer(fault, docs, now, Some(fields), vec![("x-vtex-md-token", next)])
}
