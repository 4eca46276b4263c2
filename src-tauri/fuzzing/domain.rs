//! Targets for the domain's parsers of outside text: timestamps, phones, prices, business hours,
//! and the opt-out and escalation rules customers' words go through.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use unicode_normalization::UnicodeNormalization;

use super::{fields, text};
use crate::domain::escalation::{classify, parse_keywords};
use crate::domain::money::{format_usd_rates, parse_usd_rates};
use crate::domain::opt_out::{is_opt_in, is_stop_button, opt_out_match};
use crate::domain::time::{optional_time, parse_time as read_time, EARLIEST_YEAR, LATEST_YEAR};
use crate::domain::{BusinessHours, Money, Phone};

/// `domain::time::parse_time` on the whole input. An accepted instant lies in the sane years and
/// survives RFC 3339 and storage's millisecond form.
pub fn parse_time(data: &[u8]) {
    let text = text(data);
    let Ok(t) = read_time(&text) else {
        return;
    };
    assert!((EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()), "{t} accepted from {text:?}");
    assert_eq!(read_time(&t.to_rfc3339()), Ok(t), "RFC 3339 round trip of {text:?}");
    let stored = crate::storage::ts(t);
    let back = read_time(&stored).expect("storage's own form parses");
    assert!(back <= t && t - back < chrono::Duration::milliseconds(1), "{stored} from {t}");
    assert_eq!(optional_time(Some(&text)), Ok(Some(t)));
}

/// `Phone::parse`: first line the store's region, the rest what the customer typed. An accepted
/// number is E.164 (`+`, 8 to 15 digits), parses again to itself from its E.164 form, and
/// survives its stored (serde) form.
pub fn phone(data: &[u8]) {
    let text = text(data);
    let [region, raw] = fields(&text, 2)[..] else { return };
    let Ok(phone) = Phone::parse(raw, region) else {
        return;
    };
    let digits = phone.e164().strip_prefix('+').expect("E.164 starts with +");
    assert!((8..=15).contains(&digits.len()), "{} from {raw:?}", phone.e164());
    assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'), "{}", phone.e164());
    assert_eq!(phone.raw(), raw.trim());
    let again = Phone::parse(phone.e164(), region).expect("an accepted number's E.164 form is accepted");
    assert_eq!(again.e164(), phone.e164(), "E.164 is a fixed point ({raw:?} in {region})");
    let json = serde_json::to_string(&phone).expect("a phone serialises");
    let back: Phone = serde_json::from_str(&json).expect("a stored phone reads back");
    assert_eq!(back.e164(), phone.e164());
}

/// `Money::parse` on store prices: first line the currency, second the amount, third a locale
/// to format it in; the whole input also goes through the owner's USD rates. An accepted amount
/// prints back to the same value, formats in any locale, and sums and multiplies without panic.
pub fn money(data: &[u8]) {
    let text = text(data);
    let [currency, amount, locale] = fields(&text, 3)[..] else { return };
    if let Ok(m) = Money::parse(amount, currency) {
        assert!(m.amount() >= rust_decimal::Decimal::ZERO && m.amount() <= Money::MAX_AMOUNT);
        assert_eq!(Money::parse(&m.amount().to_string(), m.currency().code()), Ok(m), "{amount:?}");
        let json = serde_json::to_string(&m).expect("money serialises");
        assert_eq!(serde_json::from_str::<Money>(&json).ok(), Some(m), "{json}");
        assert!(!m.format(locale).is_empty());
        assert!(!m.to_string().is_empty());
        let _ = m.checked_add(&m).map(|sum| sum.format(locale));
        let _ = m.checked_mul(u32::MAX);
        let _ = m.checked_mul(amount.len() as u32);
    }
    if let Ok(rates) = parse_usd_rates(&text) {
        assert_eq!(parse_usd_rates(&format_usd_rates(&rates)), Ok(rates.clone()), "{text:?}");
    }
}

/// `BusinessHours::parse`: first line the time zone, second the hours, third an instant. Accepted
/// hours print to a canonical form that parses back equal; the next opening is open and not
/// before the instant; a closing time comes after it.
pub fn business_hours(data: &[u8]) {
    let text = text(data);
    let [tz, spec, at] = fields(&text, 3)[..] else { return };
    let Ok(hours) = BusinessHours::parse(spec, tz) else {
        return;
    };
    let canonical = hours.to_string();
    assert_eq!(BusinessHours::parse(&canonical, tz).as_ref(), Ok(&hours), "{spec:?} printed {canonical:?}");
    let json = serde_json::to_string(&hours).expect("hours serialise");
    assert_eq!(serde_json::from_str::<BusinessHours>(&json).ok().as_ref(), Some(&hours));
    let at = read_time(at).unwrap_or_else(|_| instant(at.len()));
    if let Some(open) = hours.next_open_instant(at) {
        assert!(open >= at, "next opening {open} before {at}");
        assert!(hours.is_open(open), "{open} is the next opening but closed ({canonical})");
        if let Some(close) = hours.closes_at(open) {
            assert!(close > open, "closes at {close}, opened {open}");
        }
    } else {
        assert!(!hours.is_open(at));
    }
}

/// A spread of instants over the sane years, for inputs without a readable one.
fn instant(seed: usize) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).single().expect("a valid date");
    base + chrono::Duration::minutes((seed as i64 * 7919) % (60 * 24 * 400))
}

/// The opt-out and opt-in rules on a customer's message: the answer is the same whatever the
/// Unicode normalisation (NFC, NFD) the customer's keyboard sent, and the first line read as
/// a quick-reply payload and label gives the same answer both ways too.
pub fn opt_out(data: &[u8]) {
    let text = text(data);
    let (nfc, nfd): (String, String) = (text.nfc().collect(), text.nfd().collect());
    let decided = opt_out_match(&text);
    assert_eq!(opt_out_match(&nfc), decided, "NFC changes the opt-out of {text:?}");
    assert_eq!(opt_out_match(&nfd), decided, "NFD changes the opt-out of {text:?}");
    let opt_in = is_opt_in(&text);
    assert_eq!(is_opt_in(&nfc), opt_in, "NFC changes the opt-in of {text:?}");
    assert_eq!(is_opt_in(&nfd), opt_in, "NFD changes the opt-in of {text:?}");
    let line = fields(&text, 2)[0];
    let button = is_stop_button(Some(line), None);
    assert_eq!(is_stop_button(None, Some(line)), button);
    assert_eq!(is_stop_button(Some(&line.nfd().collect::<String>()), None), button);
    assert_eq!(is_stop_button(Some(&line.nfc().collect::<String>()), None), button);
}

/// The escalation rules: first line the owner's keyword list (as typed in Settings), the rest
/// the customer's message. The same reason whatever the normalisation, and a match quotes words
/// that are in the folded message.
pub fn escalation(data: &[u8]) {
    let text = text(data);
    let [list, message] = fields(&text, 2)[..] else { return };
    let keywords = parse_keywords(list);
    assert!(keywords.iter().all(|k| !k.trim().is_empty() && !k.contains([',', ';', '\n'])), "{keywords:?}");
    let decided = classify(message, &keywords);
    for other in [message.nfc().collect::<String>(), message.nfd().collect::<String>()] {
        assert_eq!(classify(&other, &keywords), decided, "normalisation changes {message:?}");
    }
    if let Some(e) = decided {
        let folded = crate::domain::phrases::fold(message);
        assert!(crate::domain::phrases::contains_phrase(&folded, &e.matched), "{e:?} not in {folded:?}");
    }
}
