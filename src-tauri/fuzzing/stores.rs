//! Targets for what the store connectors read from a store's answers: a list page read the way
//! each `list_changed` reads it (every checkout a cart or a skipped entry, never a lost page),
//! the orders read to match a purchase, and the saved cursors.

use chrono::Datelike;

use super::text;
use crate::domain::time::{optional_time, EARLIEST_YEAR, LATEST_YEAR};
use crate::domain::{Cart, ExternalId};
use crate::stores::orders::{Buyer, OrderSeen};
use crate::stores::shopify::json::{short_id, GqlResponse, ListData, Node};
use crate::stores::tiendanube::json::{Checkout, Order as TnOrder};
use crate::stores::woocommerce::json::{is_paid, Order as WooOrder, OtherOrder};
use crate::stores::{fields, http, shopify, tiendanube, woocommerce, Cursor, Page, Platform, StoreConfig};

fn config(platform: Platform, base: &str, country: &str) -> StoreConfig {
    StoreConfig::new(platform, base, country).expect("a valid store address")
}

/// What holds for every cart a connector reads: dates in the sane years, a total and items of
/// one currency.
fn assert_cart(cart: &Cart) {
    for t in [Some(cart.created_at()), Some(cart.updated_at()), cart.completed_at()].into_iter().flatten() {
        assert!((EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()), "{t} on a cart");
    }
    let currency = cart.total().currency();
    assert!(cart.items().iter().all(|i| i.unit_price().currency() == currency), "mixed currencies");
    assert!(ExternalId::parse(cart.external_id().as_str()).is_ok());
}

/// What holds for every page: each value became a cart or a skipped entry with a short id.
/// The fuzz targets' "now" for the sanity check on checkout times (time is an input).
fn fuzz_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
}

fn assert_page(page: &Page, values: usize) {
    assert_eq!(page.carts.len() + page.completed.len() + page.skipped.len(), values, "a checkout was lost");
    page.carts.iter().for_each(assert_cart);
    for s in &page.skipped {
        assert!(s.checkout_id.as_ref().is_none_or(|id| id.chars().count() <= 64));
        assert!(!s.reason.is_empty());
    }
}

/// The orders a completion check reads, matched against a buyer.
fn match_orders(orders: &[OrderSeen], country: &str) {
    let buyer = Buyer::new(Some("+5491123456789"), Some("ana@example.com")).expect("a buyer");
    for order in orders {
        let _ = buyer.same_as(order, country);
    }
}

/// Tiendanube: the whole input is the body of `GET /checkouts` (a bare array) and of the orders
/// list; a body that is no list may be the API's "nothing matches" 404.
pub fn tiendanube_page(data: &[u8]) {
    let config = config(Platform::Tiendanube, "https://api.tiendanube.com", "AR");
    let Ok(values) = http::json::<Vec<serde_json::Value>>(data) else {
        let _ = tiendanube::nothing_matches(&http::short(data));
        return;
    };
    let mut page = Page::new(values.len(), std::time::Duration::ZERO);
    let mut orders = Vec::new();
    for value in &values {
        if let Ok(order) = serde_json::from_value::<TnOrder>(value.clone()) {
            orders.push(order.seen());
        }
        let id = fields::raw_id(value, "id");
        let read = Checkout::read(value.clone(), &config).map(|read| read.cart);
        page.add(id.as_deref(), read, fuzz_now());
    }
    assert_page(&page, values.len());
    match_orders(&orders, &config.country);
}

/// Shopify: the whole input is the GraphQL answer to the `abandonedCheckouts` query, with its
/// errors and cost extension.
pub fn shopify_page(data: &[u8]) {
    let config = config(Platform::Shopify, "https://shop.myshopify.com", "MX");
    let Ok(response) = http::json::<GqlResponse<ListData>>(data) else {
        return;
    };
    let (wait, throttled) = shopify::waits(response.extensions.as_ref());
    assert!(wait <= std::time::Duration::from_secs(60) && throttled >= wait.min(throttled));
    for e in &response.errors {
        let _ = (e.message.chars().take(200).count(), e.extensions.as_ref().and_then(|x| x.code.as_deref()));
    }
    let Some(data) = response.data else {
        return;
    };
    let connection = data.abandoned_checkouts;
    let n = connection.nodes.len();
    let mut page = Page::new(n, wait);
    for value in connection.nodes {
        let id = fields::raw_id(&value, "id");
        page.add(id.as_deref().map(short_id), Node::read(value, &config).map(|read| read.cart), fuzz_now());
    }
    assert_page(&page, n);
    let _ = connection.page_info.has_next_page && connection.page_info.end_cursor.is_some();
}

/// WooCommerce: the whole input is the body of `GET /orders` (the abandoned or the paid pass).
pub fn woocommerce_page(data: &[u8]) {
    let config = config(Platform::Woocommerce, "https://tienda.example", "BR");
    let Ok(values) = http::json::<Vec<serde_json::Value>>(data) else {
        return;
    };
    let mut page = Page::new(values.len(), std::time::Duration::ZERO);
    let mut orders = Vec::new();
    for value in &values {
        if let Ok(other) = serde_json::from_value::<OtherOrder>(value.clone()) {
            orders.push(other.seen());
        }
        let id = fields::raw_id(value, "id");
        let order = match serde_json::from_value::<WooOrder>(value.clone()) {
            Ok(order) => order,
            Err(e) => {
                page.skipped.push(crate::stores::skipped(id.as_deref(), format!("unexpected order: {e}")));
                continue;
            }
        };
        let _ = optional_time(order.date_modified_gmt.as_deref());
        if is_paid(&order.status) {
            let paid = optional_time(order.date_paid_gmt.as_deref()).ok().flatten();
            let _ = (ExternalId::parse(&order.id.text()), paid);
        }
        page.add(id.as_deref(), order.read(&config), fuzz_now());
    }
    assert_page(&page, values.len());
    match_orders(&orders, &config.country);
}

/// A saved cursor, read as each platform's state: an unreadable one restarts the sync, and a
/// read one saved again reads back to the same text.
pub fn store_cursors(data: &[u8]) {
    let cursor = Cursor::from_stored(Some(text(data).into_owned()));
    let tn: tiendanube::State = cursor.decode();
    stable(&Cursor::encode(&tn), |c| Cursor::encode(&c.decode::<tiendanube::State>()));
    let sh: shopify::State = cursor.decode();
    stable(&Cursor::encode(&sh), |c| Cursor::encode(&c.decode::<shopify::State>()));
    let wc: woocommerce::State = cursor.decode();
    stable(&Cursor::encode(&wc), |c| Cursor::encode(&c.decode::<woocommerce::State>()));
}

fn stable(saved: &Cursor, again: impl Fn(&Cursor) -> Cursor) {
    assert!(saved.as_stored().is_some(), "a state always saves");
    assert_eq!(&again(saved), saved, "a saved cursor reads back to itself");
}
