//! What the Results figures are computed from, read from the database once per request: one
//! [`CartFact`] per cart detected in the period and one [`MessageFact`] per outgoing message
//! sent in it. The rules for which group a cart is in live here, in [`classify`]:
//!
//! - **Detected**: the cart became an abandoned cart to act on — it got its first send planned
//!   (or skipped at planning), or it was kept without a usable phone. Checkouts still inside the
//!   abandonment delay (`waiting`), bought before they were ever abandoned, or already too old
//!   when first seen (`expired`) are not detected carts.
//! - **Messaged** (treatment, intention to treat): not in the holdout and the first message was
//!   *attempted* — it passed every pre-send check and its request left (`sending_at` set), then
//!   WhatsApp accepted it (`sent`, or accepted and failed later), refused it for good (`failed`,
//!   e.g. 131026 not on WhatsApp, 131050 stopped marketing) or never answered (`unknown`).
//!   Whatever WhatsApp answered, the cart stays in the group it was assigned to — also when
//!   WhatsApp said "not now" (throughput, account) and the cart was skipped before the retry,
//!   and when it passed the holdout point (`passed_at`) and was then held back (a coupon store,
//!   the picture) and skipped before its request left.
//! - **Holdout**: a holdout cart that reached the instant its message would have gone (skipped
//!   with reason `holdout`, after every check a real message passes), the same bar as an
//!   attempted one, so both groups lose the same carts (bought before the instant, opted out,
//!   no phone, too old…) and only those: the comparison is intention-to-treat.
//! - **Pending**: the first message is still planned or in flight.
//! - **Not sent**: everything else with a phone (skipped for a pre-send reason).
//!
//! Outcomes are the tracker's (`recovered`, `holdout_converted`, …). For the intention-to-treat
//! rate, the outcome is "bought within the attribution window after the attempt", whatever
//! happened in between: a messaged cart whose message never reached the customer (refused,
//! accepted and then failed, or never confirmed), or whose customer opted out before buying, is
//! a *conversion* of the messaged group — as a holdout cart bought in the window is — though not
//! a recovery credited to Recupero (no revenue is claimed for it).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::period::Range;
use crate::domain::time::parse_time;
use crate::domain::Money;
use crate::storage::ts;

/// Which side of the experiment a detected cart is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    NoPhone,
    /// `sent_at`: when the first message left (or was attempted); `reached`: WhatsApp accepted
    /// it and never reported it failed (`false`: refused for good, accepted and then failed, or
    /// its fate unknown).
    Messaged {
        sent_at: DateTime<Utc>,
        reached: bool,
    },
    Holdout,
    Pending,
    NotSent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CartFact {
    pub id: i64,
    pub detected_at: DateTime<Utc>,
    pub group: Group,
    /// The tracker's verdict, when the cart was bought.
    pub outcome: Option<String>,
    /// The cart's total; `None` only for a total that no longer parses (never for stored carts).
    pub total: Option<Money>,
    /// The customer's first message after the first message left (messaged carts only), within
    /// the attribution window.
    pub first_reply_at: Option<DateTime<Utc>>,
    /// A messaged cart bought within the attribution window after the attempt, whatever
    /// happened in between (see the module's doc): counts in the group's rate.
    pub bought_in_window: bool,
    /// When the cart was bought, if it was (whatever the tracker's verdict).
    pub bought_at: Option<DateTime<Utc>>,
    /// The discount its coupon gave, when a purchase redeemed it (see `metrics::coupons`); read
    /// for recovered carts only (the ones whose revenue it comes off).
    pub discount: Option<Money>,
}

impl CartFact {
    pub fn recovered(&self) -> bool {
        matches!(self.group, Group::Messaged { .. }) && self.outcome.as_deref() == Some("recovered")
    }

    /// Counts in the messaged group's rate (intention to treat): recovered, or bought within
    /// the window after the attempt whatever happened in between (the message never reached
    /// the customer, or they opted out before buying).
    pub fn converted(&self) -> bool {
        self.recovered() || (matches!(self.group, Group::Messaged { .. }) && self.bought_in_window)
    }

    pub fn holdout_converted(&self) -> bool {
        self.group == Group::Holdout && self.outcome.as_deref() == Some("holdout_converted")
    }
}

/// The columns [`classify`] needs from a cart and its first send.
#[derive(Debug, Clone, Default)]
pub struct CartRow {
    pub status: String,
    pub has_phone: bool,
    pub holdout: bool,
    pub detected_at: String,
    pub completed_at: Option<String>,
    /// The cart's first send (`None`: the cart has no first send).
    pub send: Option<FirstSend>,
}

/// The columns of a cart's first send that decide its group.
#[derive(Debug, Clone, Default)]
pub struct FirstSend {
    pub state: String,
    pub sent_at: Option<String>,
    /// Set right before the request left (kept once the answer is recorded).
    pub sending_at: Option<String>,
    pub skip_reason: Option<String>,
    /// WhatsApp's last error code: on a send skipped later, the request had left once and was
    /// refused with "not now" (throughput, account, template) before the skip.
    pub error_code: Option<String>,
    /// The first instant the send was planned for.
    pub planned_at: Option<String>,
    /// When it passed the holdout point (every check a holdout cart passes), if it did.
    pub passed_at: Option<String>,
}

/// The group of a cart, or `None` when it is not a detected abandoned cart.
pub fn classify(row: &CartRow) -> Option<Group> {
    if matches!(row.status.as_str(), "waiting" | "expired") {
        return None;
    }
    let Some(send) = &row.send else {
        // Without a plan, only a cart kept for its missing phone counts (also once bought
        // after it was first seen); a checkout bought before it was abandoned does not.
        let bought_later = row.status == "completed"
            && row.completed_at.as_deref().is_some_and(|c| c > row.detected_at.as_str());
        return (!row.has_phone && (row.status == "no_phone" || bought_later)).then_some(Group::NoPhone);
    };
    let time = |t: &Option<String>| t.as_deref().and_then(|t| parse_time(t).ok());
    if !row.holdout {
        if let Some(sent) = time(&send.sent_at) {
            // Accepted, then reported failed (131026 in a later status): it never arrived.
            return Some(Group::Messaged { sent_at: sent, reached: send.state != "failed" });
        }
        // Attempted: the request left and the answer is in (refused for good) or will never be
        // known for sure (`unknown`). Intention to treat: still the messaged group.
        if let ("failed" | "unknown", Some(tried)) = (send.state.as_str(), time(&send.sending_at)) {
            return Some(Group::Messaged { sent_at: tried, reached: false });
        }
        // Tried once, told "not now" (the request's mark is cleared for the retry), then
        // skipped (bought meanwhile, too late…): it had reached its instant all the same. The
        // attempt's time is gone; the planned instant stands in for it.
        if let ("skipped", Some(_), Some(planned)) =
            (send.state.as_str(), send.error_code.as_deref(), time(&send.planned_at))
        {
            return Some(Group::Messaged { sent_at: planned, reached: false });
        }
        // Passed the holdout point, then held back (a coupon store, a picture) and skipped or
        // stopped: its holdout twin was counted at that point, so it counts from there too.
        if let (false, Some(passed)) =
            (matches!(send.state.as_str(), "planned" | "leased"), time(&send.passed_at))
        {
            return Some(Group::Messaged { sent_at: passed, reached: false });
        }
    }
    Some(match send.state.as_str() {
        "skipped" if row.holdout && send.skip_reason.as_deref() == Some("holdout") => Group::Holdout,
        "planned" | "leased" | "unknown" => Group::Pending,
        _ => Group::NotSent,
    })
}

/// The columns [`read`] expects, then an 18th: a tag the caller chose (an experiment's arm).
const CART_COLUMNS: &str =
    "c.id, c.status, c.phone_e164 IS NOT NULL, c.holdout, c.detected_at, c.completed_at,
    c.outcome, c.currency, c.total, c.contact_id, s.state, s.sent_at, s.skip_reason, s.sending_at,
    s.error_code, COALESCE(s.planned_at, s.due_at), s.passed_at";

/// The detected carts of `range` (by detection time), with their customer's first reply.
pub fn carts(conn: &Connection, range: &Range, attribution: Duration) -> rusqlite::Result<Vec<CartFact>> {
    let sql = format!(
        "SELECT {CART_COLUMNS}, 0 FROM carts c LEFT JOIN sends s ON s.cart_id = c.id AND s.step = 0
         WHERE c.detected_at >= ?1 AND c.detected_at < ?2 ORDER BY c.detected_at, c.id"
    );
    let rows = read(conn, &sql, params![ts(range.from), ts(range.to)], attribution)?;
    Ok(rows.into_iter().map(|(_, fact)| fact).collect())
}

/// The detected carts of one A/B experiment with their arm (0 or 1), whenever detected.
pub fn experiment_carts(
    conn: &Connection,
    experiment_id: i64,
    attribution: Duration,
) -> rusqlite::Result<Vec<(i64, CartFact)>> {
    let sql = format!(
        "SELECT {CART_COLUMNS}, a.arm FROM experiment_arms a JOIN carts c ON c.id = a.cart_id
         LEFT JOIN sends s ON s.cart_id = c.id AND s.step = 0
         WHERE a.experiment_id = ?1 ORDER BY c.detected_at, c.id"
    );
    read(conn, &sql, params![experiment_id], attribution)
}

/// Runs a query of [`CART_COLUMNS`] and a tag; classifies each cart, finds its first reply.
fn read(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    attribution: Duration,
) -> rusqlite::Result<Vec<(i64, CartFact)>> {
    let mut stmt = conn.prepare(sql)?;
    let mut reply = conn.prepare(
        "SELECT min(m.created_at) FROM messages m JOIN conversations v ON v.id = m.conversation_id
         WHERE v.contact_id = ?1 AND m.direction = 'in' AND m.created_at >= ?2 AND m.created_at < ?3",
    )?;
    let mut coupon = conn.prepare(
        "SELECT currency, discount FROM coupons
         WHERE cart_id = ?1 AND redeemed_at IS NOT NULL AND discount IS NOT NULL",
    )?;
    let rows = stmt.query_map(args, |r| {
        let send = match r.get::<_, Option<String>>(10)? {
            Some(state) => Some(FirstSend {
                state,
                sent_at: r.get(11)?,
                skip_reason: r.get(12)?,
                sending_at: r.get(13)?,
                error_code: r.get(14)?,
                planned_at: r.get(15)?,
                passed_at: r.get(16)?,
            }),
            None => None,
        };
        let row = CartRow {
            status: r.get(1)?,
            has_phone: r.get(2)?,
            holdout: r.get(3)?,
            detected_at: r.get(4)?,
            completed_at: r.get(5)?,
            send,
        };
        let extra: (i64, Option<String>, String, String, Option<i64>, i64) =
            (r.get(0)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(17)?);
        Ok((row, extra))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (row, (id, outcome, currency, total, contact, tag)) = row?;
        let Some(group) = classify(&row) else { continue };
        let Ok(detected_at) = parse_time(&row.detected_at) else {
            tracing::warn!(cart = id, at = %row.detected_at, "unreadable detection time; cart left out of the results");
            continue;
        };
        let first_reply_at = match (group, contact) {
            (Group::Messaged { sent_at, .. }, Some(contact)) => reply
                .query_row(params![contact, ts(sent_at), ts(sent_at + attribution)], |r| {
                    r.get::<_, Option<String>>(0)
                })?
                .and_then(|t| parse_time(&t).ok()),
            _ => None,
        };
        let bought_in_window = match group {
            Group::Messaged { sent_at, .. } => row
                .completed_at
                .as_deref()
                .and_then(|c| parse_time(c).ok())
                .is_some_and(|bought| bought >= sent_at && bought <= sent_at + attribution),
            _ => false,
        };
        let fact = CartFact {
            id,
            detected_at,
            group,
            outcome,
            total: Money::parse(&total, &currency).ok(),
            first_reply_at,
            bought_in_window,
            bought_at: row.completed_at.as_deref().and_then(|c| parse_time(c).ok()),
            discount: None,
        };
        let fact = CartFact {
            discount: if fact.recovered() {
                coupon
                    .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .optional()?
                    .and_then(|(currency, amount)| Money::parse(&amount, &currency).ok())
            } else {
                None
            },
            ..fact
        };
        out.push((tag, fact));
    }
    Ok(out)
}

/// One outgoing message (automation's or the owner's) with what billing needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFact {
    /// automation, app, phone (the WhatsApp Business app) or assistant.
    pub origin: String,
    /// template, text, …
    pub kind: String,
    /// The best status WhatsApp reported (accepted when none came back yet).
    pub status: Option<String>,
    /// WhatsApp's pricing category (marketing, utility, authentication, service), when reported.
    pub category: Option<String>,
    /// WhatsApp's pricing type (regular, free_customer_service, free_entry_point), when reported.
    pub pricing_type: Option<String>,
    /// The recipient's country (ISO 3166 alpha-2), from their number.
    pub country: Option<String>,
}

/// The outgoing messages created in `range`.
pub fn messages(conn: &Connection, range: &Range) -> rusqlite::Result<Vec<MessageFact>> {
    let mut stmt = conn.prepare(
        "SELECT m.origin, m.kind, m.status,
                COALESCE(m.pricing_category, (SELECT st.pricing_category FROM message_statuses st
                   WHERE st.wamid = m.wamid AND st.pricing_category IS NOT NULL LIMIT 1)),
                (SELECT st.pricing_type FROM message_statuses st
                   WHERE st.wamid = m.wamid AND st.pricing_type IS NOT NULL LIMIT 1),
                k.*
         FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts k ON k.id = v.contact_id
         WHERE m.direction = 'out' AND m.created_at >= ?1 AND m.created_at < ?2
         ORDER BY m.created_at, m.id",
    )?;
    let rows = stmt.query_map(params![ts(range.from), ts(range.to)], |r| {
        let country = recipient_country(r).map(|(c, _)| c);
        Ok(MessageFact {
            origin: r.get(0)?,
            kind: r.get(1)?,
            status: r.get(2)?,
            category: r.get::<_, Option<String>>(3)?.map(|c| c.to_ascii_lowercase()),
            pricing_type: r.get::<_, Option<String>>(4)?.map(|c| c.to_ascii_lowercase()),
            country,
        })
    })?;
    rows.collect()
}

/// Where a recipient's country was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryFrom {
    Phone,
    /// The two letters that start a business-scoped user id (`AR.1502576394655843`).
    Bsuid,
}

/// The country of a contact row (`contacts.*` in the row): its number, else its WhatsApp id as
/// a number, else the prefix of its business-scoped user id. Columns are read by name and a
/// missing one is no value, so rows of older and newer schemas both read.
pub fn recipient_country(r: &rusqlite::Row<'_>) -> Option<(String, CountryFrom)> {
    let text = |name: &str| r.get::<_, Option<String>>(name).ok().flatten().filter(|t| !t.trim().is_empty());
    let phone = text("phone_e164");
    let wa_id = text("wa_id");
    let bsuid = text("user_id").or_else(|| text("bsuid"));
    country_from_ids(phone.as_deref(), wa_id.as_deref(), bsuid.as_deref())
}

/// The country from a number, a WhatsApp id (digits, or a BSUID as some webhooks carry it) or a
/// BSUID, in that order.
pub fn country_from_ids(
    phone: Option<&str>,
    wa_id: Option<&str>,
    bsuid: Option<&str>,
) -> Option<(String, CountryFrom)> {
    let by_phone = |p: &str| {
        let digits = p.trim().trim_start_matches('+');
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| country_of(&format!("+{digits}")))
            .flatten()
    };
    phone
        .and_then(by_phone)
        .or_else(|| wa_id.and_then(by_phone))
        .map(|c| (c, CountryFrom::Phone))
        .or_else(|| [bsuid, wa_id, phone].into_iter().flatten().find_map(bsuid_country))
}

/// The country a business-scoped user id starts with (`AR.1502576394655843` → AR); `None` for
/// anything else, and for the `ENT` ids that span portfolios.
pub fn bsuid_country(id: &str) -> Option<(String, CountryFrom)> {
    use crate::domain::user_id;
    let id = user_id::bsuid(id).filter(|b| !user_id::is_parent(b))?;
    let prefix = user_id::country(id)?;
    prefix.parse::<phonenumber::country::Id>().is_ok().then(|| (prefix.to_string(), CountryFrom::Bsuid))
}

/// The ISO 3166 alpha-2 country of an E.164 number, by libphonenumber's metadata (`+1 787…` is
/// PR, `+1 416…` CA). `None` for a number it cannot place.
pub fn country_of(e164: &str) -> Option<String> {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    // The parser has panicked on odd input before (see domain/phone.rs); a report never should.
    let parsed = catch_unwind(AssertUnwindSafe(|| phonenumber::parse(None, e164))).ok()?.ok()?;
    let id = parsed.country().id()?;
    Some(AsRef::<str>::as_ref(&id).to_string())
}

#[cfg(test)]
mod tests;
