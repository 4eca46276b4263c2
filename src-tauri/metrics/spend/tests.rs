//! The month, its spend in dollars and the once-a-month notice, with time as an input; the
//! composer's cost line from the same rate table.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::*;
use crate::metrics::facts::{CountryFrom, MessageFact};
use crate::metrics::rates::{self, RateRow};
use crate::metrics::reply_cost::{quote, QuoteInputs};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

const BA: Tz = chrono_tz::America::Argentina::Buenos_Aires;

#[test]
fn the_month_is_the_shops_calendar_month() {
    // 23:30 on 30 November in Buenos Aires is already 1 December in UTC: still November.
    let late = at("2026-12-01T02:30:00Z");
    let m = month_range(BA, late);
    assert_eq!((m.from, m.to), (at("2026-11-01T03:00:00Z"), at("2026-12-01T03:00:00Z")));
    assert_eq!(month_key(BA, late), "2026-11");
    // Half an hour later it is December there.
    let december = at("2026-12-01T03:00:00Z");
    assert_eq!(month_key(BA, december), "2026-12");
    assert_eq!(month_range(BA, december).from, december);
    // December runs into January of the next year.
    assert_eq!(month_range(BA, at("2026-12-31T12:00:00Z")).to, at("2027-01-01T03:00:00Z"));
    // Santiago moves its clocks on 6 September 2026: the month starts at UTC−4 and ends at UTC−3.
    let santiago: Tz = "America/Santiago".parse().unwrap();
    let r = month_range(santiago, at("2026-09-15T12:00:00Z"));
    assert_eq!(r.from, at("2026-09-01T04:00:00Z"));
    assert_eq!(r.to, at("2026-10-01T03:00:00Z"));
}

fn fact(origin: &str, kind: &str, country: Option<&str>, pricing_type: Option<&str>) -> MessageFact {
    MessageFact {
        origin: origin.into(),
        kind: kind.into(),
        status: Some("delivered".into()),
        category: None,
        pricing_type: pricing_type.map(String::from),
        country: country.map(String::from),
    }
}

fn book(rows: &[(&str, &str, &str, &str)]) -> rates::RateBook {
    let rows: Vec<RateRow> = rows
        .iter()
        .map(|(country, category, currency, price)| RateRow {
            country: (*country).into(),
            category: (*category).into(),
            currency: (*currency).into(),
            price: (*price).into(),
        })
        .collect();
    rates::RateBook::new(rates::parse_rows(&rows).unwrap())
}

#[test]
fn the_spend_counts_templates_and_replies_in_dollars() {
    let shipped = rates::RateBook::new(rates::parse_rows(&rates::default_table().rates).unwrap());
    let range = month_range(BA, at("2026-11-20T12:00:00Z"));
    let messages = [
        fact("automation", "template", Some("AR"), None), // marketing 0.0618
        fact("app", "text", Some("AR"), None),            // service 0.0260
        fact("assistant", "text", Some("BR"), None),      // service 0.0068
        fact("phone", "text", Some("AR"), None),          // typed on the phone: free
        fact("app", "text", Some("AR"), Some("free_customer_service")), // reported free
    ];
    let spend = spend_of(range, &messages, &shipped, &BTreeMap::new());
    assert_eq!(spend.messages, 3);
    assert_eq!(spend.usd, dec("0.0946"));
    assert!(spend.unconverted.amounts().is_empty());
    assert!(reached(&spend, Some(dec("0.09"))));
    assert!(reached(&spend, Some(dec("0.0946"))), "reaching the cap exactly is reaching it");
    assert!(!reached(&spend, Some(dec("0.10"))));
    assert!(!reached(&spend, None), "no cap is never reached");
    let s = status(&spend, Some(dec("0.10")), BA);
    assert_eq!((s.month.as_str(), s.spent_usd.as_str(), s.reached), ("2026-11", "0.0946", false));
    assert_eq!(s.resumes_at, "2026-12-01T03:00:00.000Z");
}

#[test]
fn prices_in_other_currencies_count_at_the_owners_rate_and_without_one_are_set_apart() {
    let range = month_range(BA, at("2026-11-20T12:00:00Z"));
    let book = book(&[
        ("BR", "marketing", "BRL", "0.35"),
        ("AR", "marketing", "ARS", "65"),
        ("*", "marketing", "USD", "0.06"),
    ]);
    let messages = [
        fact("automation", "template", Some("BR"), None),
        fact("automation", "template", Some("AR"), None),
        fact("automation", "template", Some("DE"), None),
    ];
    // 1 USD = 5 BRL: 0.35 BRL is 0.07 USD. ARS has no rate: set apart, not counted.
    let rates: BTreeMap<Currency, Decimal> = [(Currency::parse("BRL").unwrap(), dec("5"))].into();
    let spend = spend_of(range, &messages, &book, &rates);
    assert_eq!(spend.usd, dec("0.13"));
    assert_eq!(spend.unconverted.amounts(), vec![Amount { currency: "ARS".into(), amount: "65.00".into() }]);
    assert_eq!(in_usd(Money::parse("10", "USD").unwrap(), &BTreeMap::new()), Some(dec("10")));
    assert_eq!(in_usd(Money::parse("10", "EUR").unwrap(), &BTreeMap::new()), None);
}

#[test]
fn the_owner_is_told_once_a_month() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    assert!(first_notice_of_month(&conn, BA, at("2026-11-20T12:00:00Z")).unwrap());
    assert!(!first_notice_of_month(&conn, BA, at("2026-11-20T12:15:00Z")).unwrap());
    assert!(!first_notice_of_month(&conn, BA, at("2026-12-01T02:59:00Z")).unwrap(), "still November there");
    assert!(first_notice_of_month(&conn, BA, at("2026-12-01T03:00:00Z")).unwrap(), "a new month: told again");
    assert!(!first_notice_of_month(&conn, BA, at("2026-12-02T12:00:00Z")).unwrap());
}

fn cap_none() -> SpendCapStatus {
    status(
        &MonthSpend {
            range: month_range(BA, at("2026-12-07T12:00:00Z")),
            messages: 0,
            usd: Decimal::ZERO,
            unconverted: Default::default(),
        },
        None,
        BA,
    )
}

fn inputs<'a>(
    book: &'a rates::RateBook,
    usd_rates: &'a BTreeMap<Currency, Decimal>,
    now: &str,
) -> QuoteInputs<'a> {
    QuoteInputs { book, rates_as_of: "2026-10-01", usd_rates, now: at(now), cap: cap_none() }
}

#[test]
fn a_reply_costs_the_local_utility_rate_and_nothing_from_the_phone() {
    let shipped = rates::RateBook::new(rates::parse_rows(&rates::default_table().rates).unwrap());
    let no_rates = BTreeMap::new();
    let now = "2026-12-07T12:00:00Z";
    let ar = quote(Some(("AR".into(), CountryFrom::Phone)), Some("ARS"), inputs(&shipped, &no_rates, now));
    assert_eq!(ar.price, Some(Amount { currency: "USD".into(), amount: "0.026".into() }));
    assert!(ar.charged && ar.free_from_phone && !ar.estimate);
    assert_eq!((ar.country.as_deref(), ar.country_from.as_deref()), (Some("AR"), Some("phone")));
    assert_eq!(ar.converted, None, "no exchange rate given: no conversion guessed");
    // With the owner's rate for the cart's currency: 0.026 × 1050 = 27.30 ARS.
    let ars: BTreeMap<Currency, Decimal> =
        [(Currency::parse("ARS").unwrap(), dec("1050")), (Currency::parse("BRL").unwrap(), dec("5.4"))]
            .into();
    let converted = quote(Some(("AR".into(), CountryFrom::Phone)), Some("ARS"), inputs(&shipped, &ars, now));
    assert_eq!(converted.converted, Some(Amount { currency: "ARS".into(), amount: "27.30".into() }));
    assert_eq!(converted.usd_rate.as_deref(), Some("1050"));
    // A country without its own row is priced by the * row, and said to be an estimate.
    let de = quote(Some(("DE".into(), CountryFrom::Phone)), None, inputs(&shipped, &no_rates, now));
    assert_eq!(de.price, Some(Amount { currency: "USD".into(), amount: "0.0077".into() }));
    assert!(de.estimate);
    // Before 1 October 2026 a reply inside the window was free.
    let before = quote(
        Some(("AR".into(), CountryFrom::Phone)),
        None,
        inputs(&shipped, &no_rates, "2026-09-30T23:59:00Z"),
    );
    assert!(!before.charged);
    assert_eq!(before.price, Some(Amount { currency: "USD".into(), amount: "0.00".into() }));
}

#[test]
fn a_customer_known_only_by_username_gets_the_rate_of_their_bsuid_country_or_rate_unknown() {
    let shipped = rates::RateBook::new(rates::parse_rows(&rates::default_table().rates).unwrap());
    let no_rates = BTreeMap::new();
    let now = "2026-12-07T12:00:00Z";
    let country = crate::metrics::facts::country_from_ids(None, None, Some("BR.1502576394655843"));
    let br = quote(country, None, inputs(&shipped, &no_rates, now));
    assert_eq!((br.country.as_deref(), br.country_from.as_deref()), (Some("BR"), Some("bsuid")));
    assert_eq!(br.price, Some(Amount { currency: "USD".into(), amount: "0.0068".into() }));
    let unknown = quote(None, None, inputs(&shipped, &no_rates, now));
    assert_eq!((unknown.country, unknown.price), (None, None), "rate unknown, not the * guess");
    assert!(unknown.free_from_phone);
    // A rate row that is not in USD is shown as it is (never converted without a rate).
    let brl = book(&[("BR", "service", "BRL", "0.04")]);
    let br = quote(Some(("BR".into(), CountryFrom::Phone)), Some("BRL"), inputs(&brl, &no_rates, now));
    assert_eq!(br.price, Some(Amount { currency: "BRL".into(), amount: "0.04".into() }));
    assert_eq!(br.converted, None);
}

/// A real database: a customer with a number and an ARS cart, one known only by a BSUID (as
/// `wa_id`; the contact row of this schema has no phone to give), a recovery template sent.
#[test]
fn the_cost_line_and_the_month_read_from_the_database() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    let put =
        |k: &str, v: &str| crate::storage::settings::set(&conn, k, v, at("2026-12-01T00:00:00Z")).unwrap();
    put("timezone", "America/Argentina/Buenos_Aires");
    put("usd_exchange_rates", "ARS=1000");
    put("monthly_spend_cap_usd", "0.05");
    let created = "2026-12-01T00:00:00.000Z";
    conn.execute_batch(&format!(
        "INSERT INTO contacts (id, phone_e164, wa_id, created_at) VALUES (1, '+5491123456789', '5491123456789', '{created}');
         INSERT INTO contacts (id, phone_e164, wa_id, created_at) VALUES (2, '+', 'BR.1502576394655843', '{created}');
         INSERT INTO conversations (id, contact_id, created_at) VALUES (10, 1, '{created}');
         INSERT INTO conversations (id, contact_id, created_at) VALUES (20, 2, '{created}');
         INSERT INTO stores (id, platform, name, base_url, country, created_at)
           VALUES (1, 'sandbox', 'Tienda', 'http://127.0.0.1', 'AR', '{created}');
         INSERT INTO carts (store_id, external_id, contact_id, phone_e164, currency, total, items_json,
           checkout_created_at, checkout_updated_at, detected_at, holdout, status)
           VALUES (1, 'a', 1, '+5491123456789', 'ARS', '1000.00', '[]', '{created}', '{created}', '{created}', 0, 'sent');
         INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, status, created_at)
           VALUES (10, 'out', 'automation', 'wamid.1', 'template', 'hola', 'delivered', '2026-12-05T15:00:00.000Z');"
    ))
    .unwrap();
    let settings = crate::config::Settings::load(&conn).unwrap();
    let now = at("2026-12-07T12:00:00Z");
    let ar = crate::metrics::reply_cost::reply_cost(&conn, &settings, 10, now).unwrap().unwrap();
    assert_eq!((ar.country.as_deref(), ar.country_from.as_deref()), (Some("AR"), Some("phone")));
    assert_eq!(ar.converted, Some(Amount { currency: "ARS".into(), amount: "26.00".into() }), "0.026 × 1000");
    // The template (AR marketing, 0.0618) reached the 0.05 cap: the composer warns.
    assert!(ar.cap.reached, "{:?}", ar.cap);
    assert_eq!((ar.cap.spent_usd.as_str(), ar.cap.cap_usd.as_deref()), ("0.0618", Some("0.05")));
    let br = crate::metrics::reply_cost::reply_cost(&conn, &settings, 20, now).unwrap().unwrap();
    assert_eq!((br.country.as_deref(), br.country_from.as_deref()), (Some("BR"), Some("bsuid")));
    assert_eq!(br.price, Some(Amount { currency: "USD".into(), amount: "0.0068".into() }));
    assert_eq!(crate::metrics::reply_cost::reply_cost(&conn, &settings, 99, now).unwrap(), None);
    // Next month in the shop's zone: nothing spent yet.
    let january = cap_status(&conn, &settings, at("2027-01-01T03:00:00Z")).unwrap();
    assert!(!january.reached && january.spent_usd == "0", "{january:?}");
}
