//! The Carts screen's commands: the list (a page at a time, with how many carts its filter
//! matches), the stores for its filter, a cart's timeline and the actions on one cart. Like
//! every command, each converts its input and calls one engine method on the blocking pool,
//! on the engine the window shows (the demo's while one runs: the ids come from its database).

use std::sync::Arc;

use tauri::State;

use crate::engine::{CartActionResult, CartPage, CartTimeline, Engine};
use crate::storage::carts::CartFilter;
use crate::storage::shops::StoreRow;

use super::commands::{blocking, Ipc};
use super::engines::Engines;

/// The Carts list: by status, store, detection days (`YYYY-MM-DD` shop days, `to` included)
/// and a search; every filter optional. One page (`offset` carts skipped, at most `limit`:
/// 500 when unset) with the filter's total, so the screen says "N of TOTAL" and loads more.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per filter of the screen; tauri maps them by name
pub async fn list_carts(
    engine: State<'_, Arc<Engines>>,
    status: Option<String>,
    search: Option<String>,
    from: Option<String>,
    to: Option<String>,
    store_id: Option<i64>,
    offset: Option<u32>,
    limit: Option<u32>,
) -> Ipc<CartPage> {
    blocking(&engine, move |e| {
        let filter = CartFilter {
            status,
            search,
            store_id,
            from: Engine::shop_date(from.as_deref())?,
            to: Engine::shop_date(to.as_deref())?,
            offset,
            limit,
            ..Default::default()
        };
        e.cart_page(&filter)
    })
    .await
}

/// The stores whose carts the Carts screen lists (the demo's while one runs), for its filter.
#[tauri::command]
pub async fn cart_stores(engine: State<'_, Arc<Engines>>) -> Ipc<Vec<StoreRow>> {
    blocking(&engine, |e| e.list_stores()).await
}

/// "Send now": the cart's planned first message becomes due now, while the shop is open (a
/// refusal comes back as an answer with its reason, e.g. when the shop opens).
#[tauri::command]
pub async fn cart_send_now(engine: State<'_, Arc<Engines>>, cart_id: i64) -> Ipc<CartActionResult> {
    blocking(&engine, move |e| e.cart_send_now(cart_id)).await
}

/// "Stop": nothing more goes out for this cart (a message already on its way is said so).
#[tauri::command]
pub async fn cart_stop(engine: State<'_, Arc<Engines>>, cart_id: i64) -> Ipc<CartActionResult> {
    blocking(&engine, move |e| e.cart_stop(cart_id)).await
}

/// "Retry": a new attempt of a send that failed before WhatsApp accepted it.
#[tauri::command]
pub async fn cart_retry(engine: State<'_, Arc<Engines>>, cart_id: i64) -> Ipc<CartActionResult> {
    blocking(&engine, move |e| e.cart_retry(cart_id)).await
}

/// A cart's timeline, with why it was not messaged when it wasn't.
#[tauri::command]
pub async fn cart_timeline(engine: State<'_, Arc<Engines>>, cart_id: i64) -> Ipc<CartTimeline> {
    blocking(&engine, move |e| e.cart_timeline(cart_id)).await
}
