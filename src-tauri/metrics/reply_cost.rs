//! What one free-text reply to a customer costs when sent from Recupero, for the inbox composer.
//!
//! Since 1 October 2026 Meta charges every non-template message sent through the API (a
//! "service" message) at the local utility rate of the recipient's country (reference
//! whatsapp.md §7.2); the same reply typed in the WhatsApp Business app on the phone
//! (Coexistence) is free. The country comes from the customer's number, else from the two
//! letters of their business-scoped user id; without either the rate is unknown (the table's
//! `*` row would price a guess, not this customer). The price is the rate table's, in its
//! currency, and converted into the shop's currency when the owner gave its USD rate.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::Serialize;

use super::facts::{recipient_country, CountryFrom};
use super::rates::RateBook;
use super::spend::SpendCapStatus;
use super::{Amount, MetricsError};
use crate::domain::{Currency, Money};

/// The category a typed reply is billed under.
pub const REPLY_CATEGORY: &str = "service";

/// The first instant replies are charged (Meta's non-template pricing, 1 October 2026, UTC).
pub fn charged_since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The composer's cost line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReplyCost {
    /// The customer's country (ISO 3166 alpha-2); `None`: unknown.
    pub country: Option<String>,
    /// `phone` or `bsuid`: where the country was read.
    pub country_from: Option<String>,
    /// The pricing category of a typed reply (`service`).
    pub category: String,
    /// Meta charges replies at this moment (from 1 October 2026).
    pub charged: bool,
    /// The price of one reply from Recupero, in the rate table's currency; `None`: rate unknown.
    pub price: Option<Amount>,
    /// The price came from the table's `*` row (no row for this country): an estimate.
    pub estimate: bool,
    /// The price in the shop's currency at the owner's USD rate, when one is set.
    pub converted: Option<Amount>,
    /// That rate: 1 USD = this many of `converted`'s currency.
    pub usd_rate: Option<String>,
    /// The same reply typed in the WhatsApp Business app on the phone costs nothing.
    pub free_from_phone: bool,
    pub rates_as_of: String,
    /// The month's spend against the cap (the composer warns when it is reached; never blocks).
    pub cap: SpendCapStatus,
}

/// A conversation's customer as the cost line needs them.
pub struct Customer {
    /// Their country and where it was read.
    pub country: Option<(String, CountryFrom)>,
    /// The currency of their latest cart.
    pub cart_currency: Option<String>,
}

/// The customer of a conversation; `None` for an unknown conversation.
pub fn customer_of(conn: &Connection, conversation_id: i64) -> rusqlite::Result<Option<Customer>> {
    conn.query_row(
        "SELECT k.*, (SELECT c.currency FROM carts c WHERE c.contact_id = k.id
                        ORDER BY c.detected_at DESC, c.id DESC LIMIT 1) AS cart_currency
         FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE v.id = ?1",
        [conversation_id],
        |r| Ok(Customer { country: recipient_country(r), cart_currency: r.get("cart_currency")? }),
    )
    .optional()
}

/// The inputs of [`quote`] besides the customer.
pub struct QuoteInputs<'a> {
    pub book: &'a RateBook,
    pub rates_as_of: &'a str,
    pub usd_rates: &'a BTreeMap<Currency, Decimal>,
    pub now: DateTime<Utc>,
    pub cap: SpendCapStatus,
}

/// The cost line for a customer in `country`, whose shop sells in `shop_currency`.
pub fn quote(
    country: Option<(String, CountryFrom)>,
    shop_currency: Option<&str>,
    input: QuoteInputs<'_>,
) -> ReplyCost {
    let charged = input.now >= charged_since();
    let (price, estimate) = match &country {
        Some((code, _)) => {
            let price = input.book.price(Some(code), REPLY_CATEGORY);
            (price, price.is_some() && !input.book.has_country(code, REPLY_CATEGORY))
        }
        None => (None, false),
    };
    let price = price.map(|p| if charged { p } else { Money::zero(p.currency()) });
    let (converted, usd_rate) = price.map_or((None, None), |p| convert(p, shop_currency, input.usd_rates));
    ReplyCost {
        country: country.as_ref().map(|(c, _)| c.clone()),
        country_from: country.map(|(_, from)| match from {
            CountryFrom::Phone => "phone".to_string(),
            CountryFrom::Bsuid => "bsuid".to_string(),
        }),
        category: REPLY_CATEGORY.into(),
        charged,
        price: price.map(|p| Amount::new(p.currency(), p.amount())),
        estimate,
        converted,
        usd_rate,
        free_from_phone: true,
        rates_as_of: input.rates_as_of.to_string(),
        cap: input.cap,
    }
}

/// A USD price in the shop's currency: the customer's cart currency when the owner gave its
/// rate, else the only currency the owner gave a rate for. Other prices stay as they are.
fn convert(
    price: Money,
    shop_currency: Option<&str>,
    usd_rates: &BTreeMap<Currency, Decimal>,
) -> (Option<Amount>, Option<String>) {
    if price.currency().code() != "USD" {
        return (None, None);
    }
    let wanted = shop_currency.and_then(|c| Currency::parse(c).ok()).filter(|c| usd_rates.contains_key(c));
    let target =
        wanted.or_else(|| (usd_rates.len() == 1).then(|| usd_rates.keys().next().copied()).flatten());
    let Some(target) = target else { return (None, None) };
    let Some(rate) = usd_rates.get(&target) else { return (None, None) };
    match price.amount().checked_mul(*rate) {
        Some(amount) => {
            // A fraction of a cent is still worth showing: keep two digits beyond the minor units.
            let amount = amount.round_dp(target.minor_units() + 2);
            (Some(Amount::new(target, amount)), Some(rate.normalize().to_string()))
        }
        None => (None, None),
    }
}

/// The cost line of replying in `conversation_id` now; `None` for an unknown conversation.
pub fn reply_cost(
    conn: &Connection,
    settings: &crate::config::Settings,
    conversation_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<ReplyCost>, MetricsError> {
    let Some(Customer { country, cart_currency: currency }) = customer_of(conn, conversation_id)? else {
        return Ok(None);
    };
    let (table, book) = super::rates::load(conn)?;
    let cap = super::spend::cap_status(conn, settings, now)?;
    Ok(Some(quote(
        country,
        currency.as_deref(),
        QuoteInputs {
            book: &book,
            rates_as_of: &table.as_of,
            usd_rates: &settings.usd_exchange_rates,
            now,
            cap,
        },
    )))
}
