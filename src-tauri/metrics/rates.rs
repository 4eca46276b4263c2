//! The WhatsApp rate table: what one delivered message costs, by the recipient's country and the
//! message's category. A default table ships with the app (`rates.json`, with its date, source and
//! what is an estimate); the owner may replace it, and the edited table is kept as JSON in the
//! `settings` table under [`SETTINGS_KEY`]. Rows are parsed once ([`Rate`]): a country code that
//! libphonenumber knows (or `*`, the fallback), a known category, an ISO 4217 currency and a
//! non-negative decimal price — never a float.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::MetricsError;
use crate::domain::{Currency, Money};
use crate::storage::settings;

/// Where the owner's edited table lives (not a declared setting: it is a document, not a knob).
pub const SETTINGS_KEY: &str = "metrics_rate_table";

const DEFAULT_JSON: &str = include_str!("rates.json");

/// The categories Meta prices messages by.
pub const CATEGORIES: [&str; 4] = ["marketing", "utility", "authentication", "service"];

/// One row as the owner writes it and the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RateRow {
    /// ISO 3166 alpha-2, or `*` for every country without its own row.
    pub country: String,
    pub category: String,
    pub currency: String,
    /// Per delivered message, decimal text.
    pub price: String,
}

/// The table in force, as `rate_table` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RateTable {
    /// The date the prices are valid for (`YYYY-MM-DD`).
    pub as_of: String,
    pub source: String,
    pub rates: Vec<RateRow>,
    /// The owner replaced the shipped table.
    #[serde(default)]
    pub edited: bool,
    /// What the prices rest on and which are estimates.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Why an edited table was refused; says which row and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("the rate table is empty; give at least one row (a \"*\" row prices every country)")]
    Empty,
    #[error("row {row}: {country:?} is not a two-letter ISO 3166 country code (such as AR or BR) or \"*\"")]
    Country { row: usize, country: String },
    #[error("row {row}: {category:?} is not a WhatsApp pricing category (marketing, utility, authentication or service)")]
    Category { row: usize, category: String },
    #[error("row {row}: {currency:?} is not a three-letter ISO 4217 currency code (such as USD)")]
    Currency { row: usize, currency: String },
    #[error("row {row}: the price {price:?} is not a non-negative decimal amount such as 0.0625 ({reason})")]
    Price { row: usize, price: String, reason: String },
    #[error("row {row}: {country} {category} is already priced in row {first}")]
    Duplicate { row: usize, first: usize, country: String, category: String },
}

/// A parsed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub country: String,
    pub category: &'static str,
    pub price: Money,
}

impl Rate {
    /// Parses row number `row` (1-based, for the error message).
    pub fn parse(row: usize, raw: &RateRow) -> Result<Rate, RateError> {
        let country = raw.country.trim().to_ascii_uppercase();
        let known =
            country == "*" || (country.len() == 2 && country.parse::<phonenumber::country::Id>().is_ok());
        if !known {
            return Err(RateError::Country { row, country: raw.country.clone() });
        }
        let category = raw.category.trim().to_ascii_lowercase();
        let category = CATEGORIES
            .into_iter()
            .find(|c| *c == category)
            .ok_or_else(|| RateError::Category { row, category: raw.category.clone() })?;
        let currency = Currency::parse(&raw.currency)
            .map_err(|_| RateError::Currency { row, currency: raw.currency.clone() })?;
        let price = Money::parse(&raw.price, currency.code()).map_err(|e| RateError::Price {
            row,
            price: raw.price.clone(),
            reason: e.to_string(),
        })?;
        Ok(Rate { country, category, price })
    }

    fn row(&self) -> RateRow {
        RateRow {
            country: self.country.clone(),
            category: self.category.to_string(),
            currency: self.price.currency().code().to_string(),
            price: self.price.amount().normalize().to_string(),
        }
    }
}

/// Parses every row; refuses an empty table and a country priced twice for one category.
pub fn parse_rows(rows: &[RateRow]) -> Result<Vec<Rate>, RateError> {
    if rows.is_empty() {
        return Err(RateError::Empty);
    }
    let mut seen: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, raw) in rows.iter().enumerate() {
        let rate = Rate::parse(i + 1, raw)?;
        if let Some(first) = seen.insert((rate.country.clone(), rate.category), i + 1) {
            return Err(RateError::Duplicate {
                row: i + 1,
                first,
                country: rate.country,
                category: rate.category.to_string(),
            });
        }
        out.push(rate);
    }
    Ok(out)
}

/// Prices looked up by country and category, with the `*` row as the fallback.
#[derive(Debug, Clone, Default)]
pub struct RateBook {
    rates: BTreeMap<(String, &'static str), Money>,
}

impl RateBook {
    pub fn new(rates: Vec<Rate>) -> RateBook {
        RateBook { rates: rates.into_iter().map(|r| ((r.country, r.category), r.price)).collect() }
    }

    /// The price of one message to `country` (alpha-2, `None` when unknown) in `category`, or
    /// `None` when the table prices that category nowhere (then it costs nothing).
    pub fn price(&self, country: Option<&str>, category: &str) -> Option<Money> {
        let category = CATEGORIES.into_iter().find(|c| *c == category)?;
        country
            .and_then(|c| self.rates.get(&(c.to_string(), category)))
            .or_else(|| self.rates.get(&("*".to_string(), category)))
            .copied()
    }

    /// Whether `country` has its own row for `category` (not only the `*` fallback).
    pub fn has_country(&self, country: &str, category: &str) -> bool {
        CATEGORIES
            .into_iter()
            .find(|c| *c == category)
            .is_some_and(|c| self.rates.contains_key(&(country.to_string(), c)))
    }
}

/// The shipped table.
pub fn default_table() -> RateTable {
    // The file is part of the build and checked by a test; a broken one is a bug, not input.
    serde_json::from_str(DEFAULT_JSON).expect("metrics/rates.json is a valid rate table")
}

/// The table in force: the owner's, or the shipped one. A stored table that no longer parses
/// (edited by hand in the database) gives way to the shipped one with a warning, like settings.
pub fn load(conn: &Connection) -> rusqlite::Result<(RateTable, RateBook)> {
    if let Some(text) = settings::get(conn, SETTINGS_KEY)? {
        match serde_json::from_str::<RateTable>(&text)
            .map_err(|e| e.to_string())
            .and_then(|t| parse_rows(&t.rates).map(|r| (t, r)).map_err(|e| e.to_string()))
        {
            Ok((table, rates)) => return Ok((table, RateBook::new(rates))),
            Err(reason) => {
                tracing::warn!(%reason, "the stored rate table is unreadable; using the shipped one")
            }
        }
    }
    let table = default_table();
    let rates = parse_rows(&table.rates).unwrap_or_default();
    Ok((table, RateBook::new(rates)))
}

/// Validates and stores the owner's table, dated `today` (the shop's date). Rows are stored
/// normalized (upper-case country and currency, lower-case category, plain decimal).
pub fn save(conn: &Connection, rows: &[RateRow], today: &str, at: &str) -> Result<RateTable, MetricsError> {
    let rates = parse_rows(rows)?;
    let shipped = default_table();
    let table = RateTable {
        as_of: today.to_string(),
        source: format!("edited by the owner on {today} (shipped table: {})", shipped.source),
        rates: rates.iter().map(Rate::row).collect(),
        edited: true,
        notes: vec![format!(
            "Prices entered by the owner. The shipped table (as of {}) remains available with `recupero rates reset`.",
            shipped.as_of
        )],
    };
    let json = serde_json::to_string(&table)?;
    settings::put(conn, SETTINGS_KEY, &json, at)?;
    Ok(table)
}

/// Goes back to the shipped table.
pub fn reset(conn: &Connection) -> rusqlite::Result<RateTable> {
    settings::delete(conn, SETTINGS_KEY)?;
    Ok(default_table())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(country: &str, category: &str, currency: &str, price: &str) -> RateRow {
        RateRow {
            country: country.into(),
            category: category.into(),
            currency: currency.into(),
            price: price.into(),
        }
    }

    #[test]
    fn the_shipped_table_parses_and_prices_every_category_everywhere() {
        let table = default_table();
        let rates = parse_rows(&table.rates).expect("the shipped table is valid");
        assert!(!table.edited);
        assert!(
            table.as_of.len() == 10 && chrono::NaiveDate::parse_from_str(&table.as_of, "%Y-%m-%d").is_ok()
        );
        assert!(table.source.starts_with("https://"), "a source URL: {}", table.source);
        assert!(table.notes.iter().any(|n| n.contains("ESTIMATE")), "says what is an estimate");
        let book = RateBook::new(rates);
        for category in CATEGORIES {
            assert!(book.price(None, category).is_some(), "a * row for {category}");
        }
        // The values the reference gives (whatsapp.md §7.3), read back through the lookup.
        let usd = |s: &str| Money::parse(s, "USD").unwrap();
        assert_eq!(book.price(Some("BR"), "marketing"), Some(usd("0.0625")));
        assert_eq!(book.price(Some("BR"), "utility"), Some(usd("0.0068")));
        assert_eq!(book.price(Some("UY"), "marketing"), Some(usd("0.0740")), "Rest of Latin America");
        assert_eq!(book.price(Some("DE"), "marketing"), Some(usd("0.0604")), "no row: the * fallback");
    }

    #[test]
    fn edits_are_validated_with_the_row_and_the_reason() {
        let err = |rows: Vec<RateRow>| parse_rows(&rows).unwrap_err().to_string();
        assert!(err(vec![]).contains("empty"));
        let e = err(vec![row("AR", "marketing", "USD", "0.06"), row("XX", "marketing", "USD", "0.06")]);
        assert!(e.starts_with("row 2:") && e.contains("\"XX\""), "{e}");
        assert!(err(vec![row("ARG", "marketing", "USD", "1")]).contains("ISO 3166"));
        assert!(err(vec![row("AR", "promo", "USD", "1")]).contains("pricing category"));
        assert!(err(vec![row("AR", "marketing", "US$", "1")]).contains("ISO 4217"));
        assert!(err(vec![row("AR", "marketing", "USD", "-0.5")]).contains("(the amount is negative)"));
        assert!(err(vec![row("AR", "marketing", "USD", "abc")]).contains("not a non-negative decimal"));
        assert!(err(vec![row("AR", "marketing", "USD", "1e-3")]).contains("1e-3"), "no exponents");
        let dup = err(vec![row("ar", "Marketing", "USD", "1"), row("AR", "marketing", "USD", "2")]);
        assert!(dup.contains("row 2") && dup.contains("row 1"), "{dup}");
    }

    #[test]
    fn an_edited_table_is_stored_normalized_and_wins_until_reset() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        let saved = save(
            &conn,
            &[row(" br ", "MARKETING", "brl", "0.3500"), row("*", "marketing", "usd", "0.05")],
            "2026-11-22",
            "2026-11-22T10:00:00.000Z",
        )
        .unwrap();
        assert!(saved.edited);
        assert_eq!(saved.as_of, "2026-11-22");
        assert_eq!(saved.rates[0], row("BR", "marketing", "BRL", "0.35"));
        let (table, book) = load(&conn).unwrap();
        assert_eq!(table, saved, "what was saved is what is loaded");
        assert_eq!(book.price(Some("BR"), "marketing"), Some(Money::parse("0.35", "BRL").unwrap()));
        assert_eq!(book.price(Some("BR"), "service"), None, "an unpriced category costs nothing");
        let refused = save(&conn, &[row("BR", "marketing", "BRL", "-1")], "2026-11-23", "x");
        assert!(matches!(refused, Err(MetricsError::Rates(RateError::Price { row: 1, .. }))));
        assert_eq!(load(&conn).unwrap().0, saved, "a refused edit leaves the table as it was");
        reset(&conn).unwrap();
        assert!(!load(&conn).unwrap().0.edited);
    }

    #[test]
    fn a_stored_table_broken_by_hand_gives_way_to_the_shipped_one() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        settings::put(&conn, SETTINGS_KEY, "{not json", "x").unwrap();
        assert_eq!(load(&conn).unwrap().0, default_table());
    }
}
