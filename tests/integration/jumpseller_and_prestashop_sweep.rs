//! Jumpseller and PrestaShop end to end: the poller reads the abandoned cart, the engine sends
//! the first message through the sandbox WhatsApp, and the purchase sweep credits a purchase
//! made afterwards through a fresh checkout by the same customer (the phone typed another way).

use chrono::Duration;
use recupero::sandbox::NewOrder;
use recupero::stores::Platform;
use rstest::rstest;

use crate::support::shop::{local, Shop, BA};

#[rstest]
#[case(Platform::Jumpseller)]
#[case(Platform::Prestashop)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_sweep_credits_a_fresh_order_after_the_message(#[case] platform: Platform) {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop =
        Shop::open_on(platform, BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let buyer = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0001");
    let bystander = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0002");
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(buyer).len(), 1, "{platform:?}: the abandoned cart got its message");
    assert_eq!(shop.messages_for(bystander).len(), 1);
    let bought_at = start + Duration::days(2);
    let mut order = NewOrder::by(Some("011 15-6000-0001"), None, bought_at);
    order.country = "AR";
    shop.store.add_order(platform, order);
    shop.app.clock.set(bought_at + Duration::hours(1));
    let report = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!(report.checked, 2, "{platform:?}: both messaged carts are asked about");
    assert_eq!(report.unreachable, 0, "{platform:?}");
    assert_eq!(report.bought, vec![(shop.cart_id(buyer), "recovered".to_string())], "{platform:?}");
}

/// Jumpseller: a customer abandons a checkout, then places a fresh order paid by bank transfer
/// (`Pending Payment`) before the message is due: the pre-send check sees the purchase and the
/// customer gets no message; another customer's cart still gets its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jumpseller_an_order_awaiting_a_bank_transfer_stops_the_message() {
    let platform = Platform::Jumpseller;
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop =
        Shop::open_on(platform, BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let buyer = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0001");
    let bystander = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0002");
    let placed = shop
        .store
        .add_order(platform, NewOrder::by(Some("011 15-6000-0001"), None, start - Duration::minutes(10)));
    shop.store.jumpseller_pending_payment(placed);
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(buyer).len(), 0, "never a message after an order placed");
    assert_eq!(shop.messages_for(bystander).len(), 1);
}
