//! Purchases through a fresh checkout: an order placed since the cart by the same customer.
//!
//! A customer who abandons one checkout often buys through a new one, so the cart's own
//! completion signal (its `completedAt`, its order id) never fires. Every connector therefore
//! also reads the store's orders created since the checkout and asks [`Buyer::same_as`] about
//! each one. Shared here so the three platforms agree on who "the same customer" is:
//! - the same phone: the order's number, read in the order's country (else the store's), has
//!   the cart's E.164 form, however it was typed;
//! - or the same email as the checkout, trimmed and compared without case.
//!
//! A phone or an email on the order that can't be read never matches and never fails the scan;
//! an order that can't be read at all is skipped by the connector. Cancelled orders don't count.
//! At most [`MAX_ORDERS_SCANNED`] orders are read: past that the answer is an error, because
//! "no purchase found" would be a guess and the caller must not message on a guess.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{Completion, StoreError};
use crate::domain::{Phone, PhoneError};

/// Orders read since the checkout before giving up (a busy small shop's few days).
pub const MAX_ORDERS_SCANNED: usize = 2000;
/// Pages read before giving up, whatever they held (a store answering "next" forever).
const MAX_PAGES: usize = 40;
/// Longest address RFC 5321 allows.
const MAX_EMAIL_CHARS: usize = 254;

/// An email address as typed, trimmed and lower-cased; only plausibly shaped ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// `local@domain.tld` with no spaces; anything else is not an address to match on.
    pub fn parse(raw: &str) -> Option<Email> {
        let text = raw.trim();
        if text.is_empty() || text.chars().count() > MAX_EMAIL_CHARS || text.chars().any(char::is_whitespace)
        {
            return None;
        }
        let (local, domain) = text.split_once('@')?;
        let labels_ok = !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains("..");
        if local.is_empty() || domain.contains('@') || !domain.contains('.') || !labels_ok {
            return None;
        }
        Some(Email(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The cart's customer, as orders are compared against.
#[derive(Debug, Clone)]
pub struct Buyer {
    phone_e164: Option<String>,
    email: Option<Email>,
}

/// Why an order was taken for the buyer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Phone,
    Email,
}

impl Match {
    fn describe(self) -> &'static str {
        match self {
            Match::Phone => "the same phone",
            Match::Email => "the same email",
        }
    }
}

impl Buyer {
    /// None when there is nothing to match on (no usable phone and no usable email).
    pub fn new(phone_e164: Option<&str>, email: Option<&str>) -> Option<Buyer> {
        let phone_e164 = phone_e164.map(str::trim).filter(|p| p.starts_with('+') && p.len() > 1);
        let email = email.and_then(Email::parse);
        (phone_e164.is_some() || email.is_some())
            .then(|| Buyer { phone_e164: phone_e164.map(String::from), email })
    }

    /// Whether `order` was placed by this customer; `default_country` reads numbers typed
    /// without a country code when the order names no country.
    pub fn same_as(&self, order: &OrderSeen, default_country: &str) -> Option<Match> {
        if let Some(mine) = &self.phone_e164 {
            let region = order.country.as_deref().map(str::trim).unwrap_or(default_country);
            // A country the metadata doesn't know is no country: the store's applies.
            let read = |raw: &str| match Phone::parse(raw, region) {
                Err(PhoneError::UnknownRegion(_)) => Phone::parse(raw, default_country),
                other => other,
            };
            let same =
                order.phones.iter().filter_map(|raw| read(raw).ok()).any(|p| p.e164() == mine.as_str());
            if same {
                return Some(Match::Phone);
            }
        }
        let mine = self.email.as_ref()?;
        order.email.as_deref().and_then(Email::parse).filter(|e| e == mine).map(|_| Match::Email)
    }
}

/// One order as the platform described its customer, still as typed.
#[derive(Debug, Clone, Default)]
pub struct OrderSeen {
    /// What the owner knows the order by (`1042`, `#1042`), for "why not sent".
    pub id: String,
    /// Every phone the order carries (contact, shipping, billing), blanks included.
    pub phones: Vec<String>,
    pub email: Option<String>,
    /// Two-letter country of the order's address, if any.
    pub country: Option<String>,
    /// False for a cancelled (or otherwise unpaid) order: it is not a purchase.
    pub counts: bool,
    /// When it was paid (else placed), if the store says.
    pub at: Option<DateTime<Utc>>,
}

/// One page of orders and where the next one starts.
#[derive(Debug)]
pub struct OrderPage<P> {
    pub orders: Vec<OrderSeen>,
    pub next: Option<P>,
}

/// Reads pages of orders from `first` on with `read` until one is the buyer's, the pages
/// run out (`Ok(None)`), or the limits are reached (an error: the purchase can't be ruled out).
pub async fn find_purchase<P, F, Fut>(
    buyer: &Buyer,
    default_country: &str,
    first: P,
    mut read: F,
) -> Result<Option<Completion>, StoreError>
where
    F: FnMut(P) -> Fut,
    Fut: Future<Output = Result<OrderPage<P>, StoreError>>,
{
    let mut next = Some(first);
    let (mut scanned, mut pages) = (0usize, 0usize);
    while let Some(position) = next.take() {
        let page = read(position).await?;
        pages += 1;
        for order in &page.orders {
            scanned += 1;
            if !order.counts {
                continue;
            }
            if let Some(how) = buyer.same_as(order, default_country) {
                return Ok(Some(Completion::Completed {
                    at: order.at,
                    how: format!("order {} from {}", order.id, how.describe()),
                }));
            }
        }
        if page.next.is_some() && (scanned >= MAX_ORDERS_SCANNED || pages >= MAX_PAGES) {
            // Unknown is not "open": the caller must not message on a guess.
            return Err(StoreError::Protocol(format!(
                "more than {scanned} orders since the checkout; could not rule out a purchase"
            )));
        }
        next = page.next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order(phones: &[&str], email: Option<&str>, country: Option<&str>) -> OrderSeen {
        OrderSeen {
            id: "7".into(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            email: email.map(String::from),
            country: country.map(String::from),
            counts: true,
            at: None,
        }
    }

    #[test]
    fn emails_are_read_loosely_but_only_when_shaped_like_an_address() {
        assert_eq!(Email::parse("  Ana.Perez@Example.COM ").unwrap().as_str(), "ana.perez@example.com");
        for bad in [
            "",
            "  ",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "ana@.example.com",
            "ana@example..com",
            "ana@example.com.",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@example.com", "a".repeat(300))), None);
    }

    #[test]
    fn a_buyer_needs_something_to_match_on() {
        assert!(Buyer::new(None, None).is_none());
        assert!(Buyer::new(Some(" "), Some("no tengo")).is_none());
        assert!(Buyer::new(Some("+5491123456789"), None).is_some());
        assert!(Buyer::new(None, Some("ana@example.com")).is_some());
    }

    #[test]
    fn the_same_customer_is_recognised_however_the_order_was_typed() {
        let buyer = Buyer::new(Some("+5491123456789"), Some("ana@example.com")).unwrap();
        let cases: &[(OrderSeen, Option<Match>, &str)] = &[
            (
                order(&["011 15-2345-6789"], None, None),
                Some(Match::Phone),
                "national format, store's country",
            ),
            (order(&["", "+54 9 11 2345-6789"], None, Some("AR")), Some(Match::Phone), "a later phone field"),
            (order(&["11 2345 6789"], None, Some("AR")), Some(Match::Phone), "without the 9"),
            (order(&[], Some(" ANA@example.com"), None), Some(Match::Email), "email only, other case"),
            (
                order(&["no tengo"], Some("ana@example.com"), None),
                Some(Match::Email),
                "bad phone, good email",
            ),
            (order(&["+5491198765432"], Some("otra@example.com"), None), None, "another customer"),
            (order(&["11 2345 6789"], None, Some("BR")), None, "the same digits in another country"),
            (order(&["no tengo", "", "1234"], Some("@@"), None), None, "nothing readable"),
            (order(&[], None, None), None, "nothing at all"),
            (
                order(&["011 15-2345-6789"], None, Some("??")),
                Some(Match::Phone),
                "an odd country: the store's",
            ),
        ];
        for (seen, expected, why) in cases {
            assert_eq!(buyer.same_as(seen, "AR"), *expected, "{why}");
        }
        let phone_only = Buyer::new(Some("+5491123456789"), None).unwrap();
        assert_eq!(phone_only.same_as(&order(&[], Some("ana@example.com"), None), "AR"), None);
    }

    #[tokio::test]
    async fn the_scan_stops_at_the_first_match_and_skips_cancelled_orders() {
        let buyer = Buyer::new(Some("+5491123456789"), None).unwrap();
        let mut cancelled = order(&["+5491123456789"], None, None);
        cancelled.counts = false;
        let mut good = order(&["+5491123456789"], None, None);
        good.id = "42".into();
        let pages = [vec![cancelled], vec![order(&["1"], None, None)], vec![good]];
        let mut read = 0;
        let found = find_purchase(&buyer, "AR", 0usize, |n| {
            read += 1;
            let page = OrderPage { orders: pages[n].clone(), next: (n + 1 < pages.len()).then_some(n + 1) };
            async move { Ok(page) }
        })
        .await
        .unwrap();
        assert_eq!(read, 3);
        assert!(
            matches!(found, Some(Completion::Completed { how, .. }) if how == "order 42 from the same phone")
        );
    }

    #[tokio::test]
    async fn too_many_orders_is_an_error_not_a_guess() {
        let buyer = Buyer::new(Some("+5491123456789"), None).unwrap();
        let someone = order(&["+5491198765432"], None, None);
        let endless = |n: usize| {
            let page = OrderPage { orders: vec![someone.clone(); 100], next: Some(n + 1) };
            async move { Ok(page) }
        };
        let err = find_purchase(&buyer, "AR", 0usize, endless).await.unwrap_err();
        assert!(err.to_string().contains("could not rule out"), "{err}");
        let empty = |n: usize| async move { Ok(OrderPage { orders: Vec::new(), next: Some(n + 1) }) };
        assert!(find_purchase(&buyer, "AR", 0usize, empty).await.is_err(), "endless empty pages end too");
        let none = |_: usize| async move { Ok(OrderPage { orders: Vec::new(), next: None }) };
        assert_eq!(find_purchase(&buyer, "AR", 0usize, none).await.unwrap(), None);
    }

    proptest! {
        #[test]
        fn whatever_an_order_holds_matching_never_panics(phone in ".{0,80}", email in ".{0,80}", country in ".{0,4}") {
            let buyer = Buyer::new(Some("+5491123456789"), Some("ana@example.com")).unwrap();
            let seen = order(&[phone.as_str()], Some(email.as_str()), Some(country.as_str()));
            let _ = buyer.same_as(&seen, "AR");
        }
    }
}
