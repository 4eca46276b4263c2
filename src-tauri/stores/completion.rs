//! Whether a checkout ended in a purchase, in the order every connector asks: what the cart's
//! own record shows (the checkout completed, its order paid), then an order placed since the
//! checkout by the same customer ([`super::orders`]), then open or gone.
//!
//! Guarantees: the store's other orders are only read when the cart's own record shows no
//! purchase and there is a phone or an email to match them on; an unreadable scan is an
//! error, never "open".

use std::future::Future;

use super::orders::{self, Buyer, OrderPage};
use super::{Completion, CompletionQuery, StoreError};
use crate::domain::Cart;

/// A checkout re-read by id, with the email it carries (kept only to match orders).
#[derive(Debug, Clone)]
pub struct ReadCheckout {
    pub cart: Cart,
    pub email: Option<String>,
}

/// What the cart's own record said, before the store's other orders are read.
#[derive(Debug, Clone)]
pub struct OwnRecord<'a> {
    /// A purchase the checkout or its own order already shows.
    pub bought: Option<Completion>,
    /// The email on the checkout, to recognise the customer on another order.
    pub email: Option<&'a str>,
    /// The answer when no purchase turns up.
    pub otherwise: Completion,
}

impl<'a> OwnRecord<'a> {
    /// The record of a checkout re-read by id (`None`: the store no longer has it).
    pub fn of_checkout(checkout: Option<&'a ReadCheckout>) -> OwnRecord<'a> {
        OwnRecord {
            bought: checkout.and_then(|c| checkout_completed(&c.cart)),
            email: checkout.and_then(|c| c.email.as_deref()),
            otherwise: if checkout.is_some() { Completion::Open } else { Completion::Gone },
        }
    }
}

/// The checkout's own signal: the platform marked it completed.
fn checkout_completed(cart: &Cart) -> Option<Completion> {
    cart.completed_at().map(|at| Completion::Completed { at: Some(at), how: "checkout completed".into() })
}

/// The answer: the own record's purchase; else an order by the same customer found by reading
/// the store's orders from `first` on with `read`; else the own record's `otherwise`.
pub async fn decide<P, F, Fut>(
    own: OwnRecord<'_>,
    query: &CompletionQuery,
    default_country: &str,
    first: P,
    read: F,
) -> Result<Completion, StoreError>
where
    F: FnMut(P) -> Fut,
    Fut: Future<Output = Result<OrderPage<P>, StoreError>>,
{
    if let Some(done) = own.bought {
        return Ok(done);
    }
    if let Some(buyer) = Buyer::new(query.phone_e164.as_deref(), own.email) {
        if let Some(done) = orders::find_purchase(&buyer, default_country, first, read).await? {
            return Ok(done);
        }
    }
    Ok(own.otherwise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::orders::OrderSeen;
    use chrono::{TimeZone, Utc};

    fn query(phone: Option<&str>) -> CompletionQuery {
        CompletionQuery {
            external_id: crate::domain::ExternalId::parse("9").unwrap(),
            phone_e164: phone.map(String::from),
            since: Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap(),
        }
    }

    fn buyers_order() -> OrderPage<usize> {
        let order = OrderSeen {
            id: "42".into(),
            phones: vec!["+5491123456789".into()],
            counts: true,
            ..OrderSeen::default()
        };
        OrderPage { orders: vec![order], next: None }
    }

    #[tokio::test]
    async fn the_carts_own_purchase_is_the_answer_without_reading_other_orders() {
        let bought = Completion::Completed { at: None, how: "order is completed".into() };
        let own = OwnRecord { bought: Some(bought.clone()), email: None, otherwise: Completion::Open };
        let mut reads = 0;
        let answer = decide(own, &query(Some("+5491123456789")), "AR", 0usize, |_| {
            reads += 1;
            async { Ok(buyers_order()) }
        })
        .await
        .unwrap();
        assert_eq!(answer, bought);
        assert_eq!(reads, 0, "the store's orders are not read once the cart itself shows a purchase");
    }

    #[tokio::test]
    async fn an_order_by_the_same_customer_beats_open_and_gone() {
        for otherwise in [Completion::Open, Completion::Gone] {
            let own = OwnRecord { bought: None, email: None, otherwise };
            let answer =
                decide(own, &query(Some("+5491123456789")), "AR", 0usize, |_| async { Ok(buyers_order()) })
                    .await
                    .unwrap();
            assert!(matches!(answer, Completion::Completed { how, .. } if how.contains("order 42")));
        }
    }

    #[tokio::test]
    async fn with_nothing_to_match_on_the_own_record_decides() {
        let own = OwnRecord { bought: None, email: Some("no tengo"), otherwise: Completion::Gone };
        let mut reads = 0;
        let answer = decide(own, &query(None), "AR", 0usize, |_| {
            reads += 1;
            async { Ok(buyers_order()) }
        })
        .await
        .unwrap();
        assert_eq!(answer, Completion::Gone);
        assert_eq!(reads, 0, "no phone and no usable email: no customer to recognise");
    }
}
