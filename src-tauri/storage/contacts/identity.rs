//! Finding the contact a webhook is about, by phone number or business-scoped user id (BSUID),
//! and keeping the two together.
//!
//! Since April 2026 Meta sends the customer's BSUID (`user_id`, `from_user_id`, `to_user_id`,
//! `recipient_user_id`) beside their number, and a customer with a WhatsApp username may arrive
//! with the BSUID alone (Meta, *Business-scoped user IDs*; reference §1.6, §10). So a contact is
//! found by its canonical E.164 number (or the `wa_id` WhatsApp reported) or by its BSUID, and
//! when one message carries both:
//! - the number's contact learns the BSUID (the newest BSUID for a number wins: Meta issues a
//!   new one when a customer changes number);
//! - a BSUID-only contact learns the number;
//! - two contacts, one found by number and one by BSUID with no number, are one customer: merged
//!   into the number's contact (`merge`), their threads, messages and drafts moved, the stricter
//!   state kept (an opt-out on either holds).
//!
//! All of that only on a signed delivery's word: an unsigned one only finds a contact or makes
//! one from a single id ([`resolve_unsigned`]).

use rusqlite::{params, Connection, OptionalExtension};

use super::{canonical_e164, e164_candidates, get, id_by_phone, merge, ContactRow};
use crate::domain::user_id;

/// A customer as one webhook names them. Built only from a valid number or BSUID (at least
/// one), so an empty or garbage id never becomes a contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    wa_id: Option<String>,
    user_id: Option<String>,
    parent_user_id: Option<String>,
    username: Option<String>,
    name: Option<String>,
}

impl Identity {
    /// From the ids a payload carries: `phone` (`wa_id`, `from`, `to`, `recipient_id`) and
    /// `user_id` (the BSUID fields). Each is kept only when valid; a BSUID in the phone field (a
    /// partner may put it in `from`) counts as the BSUID. `None` when neither names anyone.
    pub fn new(phone: Option<&str>, user_id: Option<&str>) -> Option<Identity> {
        let mut who = Identity::default();
        for raw in [phone, user_id].into_iter().flatten() {
            match user_id::classify(raw) {
                Some(user_id::CustomerId::Phone(digits)) => {
                    who.wa_id.get_or_insert(digits);
                }
                Some(user_id::CustomerId::Bsuid(b)) => {
                    who.user_id.get_or_insert(b);
                }
                None => {}
            }
        }
        (who.wa_id.is_some() || who.user_id.is_some()).then_some(who)
    }

    /// The parent BSUID (`parent_user_id`, `from_parent_user_id`…), when valid.
    pub fn with_parent(mut self, parent: Option<&str>) -> Identity {
        if let Some(p) = parent.and_then(user_id::bsuid) {
            self.parent_user_id = Some(p.to_string());
        }
        self
    }

    /// The customer's WhatsApp username (`profile.username`), trimmed; at most 64 characters kept.
    pub fn with_username(mut self, username: Option<&str>) -> Identity {
        let u = username.map(str::trim).filter(|u| !u.is_empty() && !u.chars().any(char::is_control));
        if let Some(u) = u {
            self.username = Some(u.chars().take(64).collect());
        }
        self
    }

    /// The WhatsApp profile name: fills a contact's empty name.
    pub fn with_name(mut self, name: Option<&str>) -> Identity {
        self.name = name.map(str::trim).filter(|n| !n.is_empty()).map(String::from);
        self
    }

    /// The phone number's digits, when the payload gave one.
    pub fn wa_id(&self) -> Option<&str> {
        self.wa_id.as_deref()
    }

    /// The BSUID, when the payload gave one.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Whether a raw id from a payload (a thread's `id`, a message's `from`) is this customer.
    pub fn is(&self, raw: Option<&str>) -> bool {
        match raw.and_then(user_id::classify) {
            Some(user_id::CustomerId::Phone(d)) => self.wa_id.as_deref() == Some(d.as_str()),
            Some(user_id::CustomerId::Bsuid(b)) => self.user_id.as_deref() == Some(b.as_str()),
            None => false,
        }
    }
}

/// The contact with this number (by the `wa_id` WhatsApp reported, else any E.164 form of it).
fn by_phone(conn: &Connection, digits: &str) -> rusqlite::Result<Option<i64>> {
    let found = conn
        .prepare_cached("SELECT id FROM contacts WHERE wa_id = ?1 AND merged_into IS NULL")?
        .query_row([digits], |r| r.get(0))
        .optional()?;
    if found.is_some() {
        return Ok(found);
    }
    for candidate in e164_candidates(digits) {
        if let Some(id) = id_by_phone(conn, &candidate)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The contact with this BSUID.
pub fn id_by_user_id(conn: &Connection, bsuid: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM contacts WHERE user_id = ?1")?
        .query_row([bsuid], |r| r.get(0))
        .optional()
}

/// The contact `who` is, created on first sight (a customer who writes first), with what the
/// payload taught about them remembered: the `wa_id` beside the E.164 we send to, the BSUID, the
/// parent BSUID and username, a name for an unnamed contact. A number and a BSUID found on two
/// contacts make one (see the module). Run it in the delivery's transaction.
pub fn resolve(conn: &Connection, who: &Identity, now: &str) -> rusqlite::Result<i64> {
    let phone = match who.wa_id.as_deref() {
        Some(d) => by_phone(conn, d)?,
        None => None,
    };
    let user = match who.user_id.as_deref() {
        Some(b) => id_by_user_id(conn, b)?,
        None => None,
    };
    let user_has_phone = match user {
        Some(b) => get(conn, b)?.is_some_and(|c| c.phone_e164.is_some()),
        None => false,
    };
    let id = match (phone, user) {
        (Some(a), Some(b)) if a != b && !user_has_phone => {
            merge::merge(conn, b, a)?;
            a
        }
        (Some(a), _) => a,
        // The customer known by BSUID shows their number: it becomes the contact's.
        (None, Some(b)) if !user_has_phone || who.wa_id.is_none() => {
            if let Some(digits) = who.wa_id.as_deref() {
                conn.prepare_cached("UPDATE contacts SET phone_e164 = ?2, wa_id = ?3 WHERE id = ?1")?
                    .execute(params![b, canonical_e164(digits), digits])?;
            }
            b
        }
        // A number seen for the first time (or a BSUID alone): a new contact.
        (None, _) => match who.wa_id.as_deref() {
            Some(digits) => conn
                .prepare_cached(
                    "INSERT INTO contacts (phone_e164, wa_id, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(phone_e164) DO UPDATE SET wa_id = COALESCE(wa_id, excluded.wa_id) RETURNING id",
                )?
                .query_row(params![canonical_e164(digits), digits, now], |r| r.get(0))?,
            None => conn
                .prepare_cached("INSERT INTO contacts (user_id, created_at) VALUES (?1, ?2) RETURNING id")?
                .query_row(params![who.user_id, now], |r| r.get(0))?,
        },
    };
    if let Some(b) = user.filter(|&b| b != id) {
        // A BSUID names one number: the contact with the number this message carries takes it,
        // another contact with its own number gives it up. The BSUID is the person, so their
        // STOP and a takeover follow them to the number they write from now (and stay on the
        // old number too): a missed reminder is the lesser harm.
        conn.prepare_cached("UPDATE contacts SET user_id = NULL, parent_user_id = NULL WHERE id = ?1")?
            .execute([b])?;
        conn.prepare_cached(
            "UPDATE contacts AS k SET
                opted_out_at = CASE WHEN k.opted_out_at IS NULL AND g.opted_out_at IS NOT NULL
                                    THEN g.opted_out_at ELSE k.opted_out_at END,
                opt_out_source = CASE WHEN k.opted_out_at IS NULL AND g.opted_out_at IS NOT NULL
                                      THEN 'number_changed' ELSE k.opt_out_source END,
                takeover_at = COALESCE(k.takeover_at, g.takeover_at)
             FROM contacts AS g WHERE k.id = ?1 AND g.id = ?2",
        )?
        .execute(params![id, b])?;
    }
    remember(conn, id, who)?;
    Ok(id)
}

/// [`resolve`] for a delivery that carried no valid signature (accepted only while the owner
/// allows it): anyone who learned the webhook address may have written it, so it may only find
/// a contact — by the number, else by the BSUID — or make a new one from a single id (the
/// number when there is one). It never writes a number onto a BSUID's contact, never moves a
/// BSUID and never merges: `{attacker's number, victim's BSUID}` must not turn the victim's
/// replies toward the attacker or move their thread. A signed delivery links them later.
pub fn resolve_unsigned(conn: &Connection, who: &Identity, now: &str) -> rusqlite::Result<i64> {
    let by_number = Identity { user_id: None, parent_user_id: None, username: None, ..who.clone() };
    let by_user_id = Identity { wa_id: None, ..who.clone() };
    let single = match (who.wa_id.as_deref(), who.user_id.as_deref()) {
        (Some(digits), Some(b)) if by_phone(conn, digits)?.is_none() && id_by_user_id(conn, b)?.is_some() => {
            by_user_id
        }
        (Some(_), _) => by_number,
        (None, _) => by_user_id,
    };
    resolve(conn, &single, now)
}

/// [`resolve`] when the delivery naming `who` was `signed`, else [`resolve_unsigned`].
pub fn resolve_delivered(
    conn: &Connection,
    who: &Identity,
    signed: bool,
    now: &str,
) -> rusqlite::Result<i64> {
    if signed {
        resolve(conn, who, now)
    } else {
        resolve_unsigned(conn, who, now)
    }
}

/// Stores what `who` says about contact `id`: the reported `wa_id` (when it has none and no
/// other contact holds it), the BSUID (the newest wins), parent BSUID, username, a missing name.
fn remember(conn: &Connection, id: i64, who: &Identity) -> rusqlite::Result<()> {
    if let Some(digits) = who.wa_id.as_deref() {
        conn.prepare_cached(
            "UPDATE contacts SET wa_id = ?2 WHERE id = ?1 AND wa_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM contacts WHERE wa_id = ?2)",
        )?
        .execute(params![id, digits])?;
    }
    if let Some(b) = who.user_id.as_deref() {
        conn.prepare_cached("UPDATE contacts SET user_id = ?2 WHERE id = ?1 AND user_id IS NOT ?2")?
            .execute(params![id, b])?;
    }
    conn.prepare_cached(
        "UPDATE contacts SET parent_user_id = COALESCE(?2, parent_user_id), username = COALESCE(?3, username),
            name = CASE WHEN name IS NULL OR name = '' THEN COALESCE(?4, name) ELSE name END
         WHERE id = ?1",
    )?
    .execute(params![id, who.parent_user_id, who.username, who.name])?;
    Ok(())
}

/// WhatsApp issued a customer a new BSUID (`user_id_update`: they changed number): the contact
/// holding `previous` takes `current` (and the new parent BSUID). When the customer already
/// wrote under `current` and got a contact of their own, the two are one customer: merged into
/// the one with a number, else into the holder of `previous` (two numbers: `current` goes to the
/// holder of `previous`, the other keeps its number). `wa_id`, the number Meta shares with the
/// update, is the customer's new number: the contact takes it, and a contact already holding it
/// is the same customer, merged in with the stricter state (an opt-out or takeover on either
/// holds), so the thread, STOP and takeover carry over to the new number. Returns the contact,
/// if any held `previous`.
pub fn replace_user_id(
    conn: &Connection,
    previous: &str,
    current: &str,
    parent: Option<&str>,
    wa_id: Option<&str>,
) -> rusqlite::Result<Option<i64>> {
    let (Some(previous), Some(current)) = (user_id::bsuid(previous), user_id::bsuid(current)) else {
        return Ok(None);
    };
    let Some(mut id) = id_by_user_id(conn, previous)? else { return Ok(None) };
    if let Some(other) = id_by_user_id(conn, current)?.filter(|&o| o != id) {
        let has_phone =
            |c: i64| -> rusqlite::Result<bool> { Ok(get(conn, c)?.is_some_and(|c| c.phone_e164.is_some())) };
        match (has_phone(id)?, has_phone(other)?) {
            (_, false) => merge::merge(conn, other, id)?,
            (false, true) => {
                merge::merge(conn, id, other)?;
                id = other;
            }
            // Two numbers: the BSUID belongs to the one it was issued for.
            (true, true) => {
                conn.prepare_cached(
                    "UPDATE contacts SET user_id = NULL, parent_user_id = NULL WHERE id = ?1",
                )?
                .execute([other])?;
            }
        }
    }
    if let Some(digits) = wa_id.and_then(user_id::phone_digits) {
        change_number(conn, id, &digits)?;
    }
    let parent = parent.and_then(user_id::bsuid);
    conn.prepare_cached(
        "UPDATE contacts SET user_id = ?2, parent_user_id = COALESCE(?3, parent_user_id) WHERE id = ?1",
    )?
    .execute(params![id, current, parent])?;
    Ok(Some(id))
}

/// The customer of contact `id` now has the number `digits`: a contact already holding it is
/// the same customer (merged into `id`, the stricter state kept), and `id` takes the number.
/// A customer who had opted out leaves the STOP on the old number too (a contact of its own,
/// source `number_changed`): a checkout typed with the old number is never messaged, whoever
/// holds it now — a missed reminder is the lesser harm.
fn change_number(conn: &Connection, id: i64, digits: &str) -> rusqlite::Result<()> {
    match by_phone(conn, digits)? {
        Some(holder) if holder == id => return Ok(()),
        Some(holder) => merge::merge(conn, holder, id)?,
        None => {}
    }
    let before = get(conn, id)?;
    conn.prepare_cached("UPDATE contacts SET phone_e164 = ?2, wa_id = ?3 WHERE id = ?1")?
        .execute(params![id, canonical_e164(digits), digits])?;
    if let Some(ContactRow { phone_e164: Some(old), opted_out_at: Some(at), name, .. }) = before {
        if old != canonical_e164(digits) {
            conn.prepare_cached(
                "INSERT INTO contacts (phone_e164, name, opted_out_at, opt_out_source, created_at)
                 VALUES (?1, ?2, ?3, 'number_changed', ?3) ON CONFLICT(phone_e164) DO NOTHING",
            )?
            .execute(params![old, name, at])?;
        }
    }
    tracing::info!(contact = id, "a customer's new number from WhatsApp");
    Ok(())
}
