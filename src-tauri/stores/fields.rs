//! Loose readers for the shapes store APIs really send: ids and prices as numbers or strings,
//! quantities as `"2"` (timestamps with `+0000` or without any offset: [`crate::domain::time`]).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{Cart, CartDraft, Contact, Customer, ExternalId, LineItem, Money, RecoveryLink, StoreId};

/// A JSON scalar read as text: `"58.07"`, `58.07`, `411335234` and `true` all work.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.trim().to_string(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    /// A whole, non-negative count (`2`, `"2"`, `2.0`).
    pub fn count(&self) -> Option<u32> {
        let text = self.text();
        text.parse::<u32>().ok().or_else(|| {
            let f: f64 = text.parse().ok()?;
            (f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f)).then_some(f as u32)
        })
    }
}

pub fn money(amount: &Scalar, currency: &str) -> Result<Money, String> {
    Money::parse(&amount.text(), currency).map_err(|e| format!("price {:?}: {e}", amount.text()))
}

/// A line's quantity: a whole count, else the reason naming what was sent.
pub fn quantity(quantity: &Scalar) -> Result<u32, String> {
    quantity.count().ok_or_else(|| format!("quantity {:?} is not a count", quantity.text()))
}

/// One product line as the connector read it; the error text names what was wrong. A bad
/// line fails its whole checkout: a cart missing a line would quote a wrong summary.
pub fn line_item(
    name: &str,
    variant: Option<&str>,
    quantity: u32,
    price: Money,
    image: Option<&str>,
) -> Result<LineItem, String> {
    LineItem::new(name, variant, quantity, price, image).map_err(|e| e.to_string())
}

/// The checkout's own two-letter country when it names one, else the store's.
pub fn country<'a>(named: Option<&'a str>, store: &'a str) -> &'a str {
    named.filter(|c| c.len() == 2).unwrap_or(store)
}

/// The platform-neutral pieces a connector extracted from one checkout.
pub struct Parts<'a> {
    pub store: StoreId,
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub language: Option<&'a str>,
    pub consent: Option<bool>,
    pub phone: Option<&'a str>,
    pub country: &'a str,
    pub items: Vec<LineItem>,
    pub total: Money,
    pub link: &'a str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Builds the domain cart, or says in one line why it can't be.
pub fn cart(parts: Parts<'_>) -> Result<Cart, String> {
    let draft = CartDraft {
        store_id: parts.store,
        external_id: ExternalId::parse(parts.id).map_err(|e| e.to_string())?,
        customer: Customer::new(parts.name, parts.language, parts.consent),
        contact: Contact::from_raw(parts.phone, parts.country),
        items: parts.items,
        total: parts.total,
        recovery_link: RecoveryLink::parse(parts.link).map_err(|e| e.to_string())?,
        created_at: parts.created_at,
        // A store that reports no update time means "not updated since creation".
        updated_at: parts.updated_at.max(parts.created_at),
        completed_at: parts.completed_at,
    };
    Cart::new(draft).map_err(|e| e.to_string())
}

/// The earliest time a store may report: nothing was sold online through these platforms before.
pub const EARLIEST: &str = "2000-01-01T00:00:00Z";

/// A store's clock may run a little ahead of ours; a day is plenty.
pub const AHEAD: chrono::Duration = chrono::Duration::days(1);

/// Whether a time a store reported is sane: not before 2000, not more than a day after `now`.
pub fn sane_time(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let earliest = DateTime::parse_from_rfc3339(EARLIEST).map(|t| t.with_timezone(&Utc)).unwrap_or(at);
    at >= earliest && at <= now + AHEAD
}

/// Refuses a cart whose creation, update or completion time is outside the sane range (a store
/// clock gone wrong, a test entry, a corrupt record): kept, such a cart would sort wrong and a
/// far-future update would drag the sync's watermark past every real cart after it.
pub fn check_times(cart: &Cart, now: DateTime<Utc>) -> Result<(), String> {
    let times = [
        ("created", Some(cart.created_at())),
        ("updated", Some(cart.updated_at())),
        ("completed", cart.completed_at()),
    ];
    for (what, at) in times {
        if let Some(at) = at.filter(|t| !sane_time(*t, now)) {
            return Err(format!(
                "{what} time {} is outside the sane range (2000-01-01 to a day from now)",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
    }
    Ok(())
}

/// The id of a raw JSON checkout, for the "skipped" report when the rest can't be read.
pub fn raw_id(value: &serde_json::Value, field: &str) -> Option<String> {
    match value.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_numbers_and_strings_alike() {
        let s: Vec<Scalar> = serde_json::from_str(r#"["58.07", 58.07, 2, "2", 2.0, true, " 7 "]"#).unwrap();
        assert_eq!(s[0].text(), "58.07");
        assert_eq!(s[1].text(), "58.07");
        assert_eq!(s[2].count(), Some(2));
        assert_eq!(s[3].count(), Some(2));
        assert_eq!(s[4].count(), Some(2));
        assert_eq!(s[5].count(), None);
        assert_eq!(s[6].count(), Some(7));
        let bad: Scalar = serde_json::from_str("-1").unwrap();
        assert_eq!(bad.count(), None);
        let frac: Scalar = serde_json::from_str("1.5").unwrap();
        assert_eq!(frac.count(), None);
    }

    #[test]
    fn times_before_2000_or_over_a_day_ahead_are_not_sane() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        assert!(sane_time(now, now));
        assert!(sane_time(now + chrono::Duration::hours(23), now), "a store clock a little ahead");
        assert!(sane_time(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(), now));
        assert!(!sane_time(now + chrono::Duration::hours(25), now));
        assert!(!sane_time(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap(), now));
        assert!(!sane_time(Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(), now));
    }

    #[test]
    fn prices_as_strings_or_numbers_become_money() {
        assert_eq!(money(&Scalar::Text("1234.50".into()), "ARS").unwrap().amount().to_string(), "1234.50");
        let err = money(&Scalar::Text("abc".into()), "ARS").unwrap_err();
        assert!(err.contains("abc"), "{err}");
    }
}
