//! When and how often recovery messages go out: abandonment and delays, follow-ups, the
//! per-customer cap, consent, the holdout, attribution, polling, the pause switch and the
//! send lease.

use super::values;
use super::{Kind, Spec};

pub(super) const ABANDONMENT_DELAY_MINUTES: Spec = Spec {
    key: "abandonment_delay_minutes",
    kind: Kind::Minutes,
    description: "Minutes after the checkout's last update before it counts as abandoned",
    default: || "15".into(),
    validate: |v| values::int_in(v, 10, 1440),
};

pub(super) const MAX_DELAY_MINUTES: Spec = Spec {
    key: "max_delay_minutes",
    kind: Kind::Minutes,
    description: "Latest first send after detection, when detection falls inside business hours",
    default: || "90".into(),
    validate: |v| values::int_in(v, 5, 1440),
};

pub(super) const BACKLOG_SPREAD_MINUTES: Spec = Spec {
    key: "backlog_spread_minutes",
    kind: Kind::Minutes,
    description: "Carts that waited overnight, or were found late (computer off, store just connected), go out spread over this many minutes",
    default: || "30".into(),
    validate: |v| values::int_in(v, 0, 240),
};

pub(super) const MAX_CART_AGE_HOURS: Spec = Spec {
    key: "max_cart_age_hours",
    kind: Kind::Hours24,
    description: "Carts older than this are not messaged any more",
    default: || "24".into(),
    validate: |v| values::int_in(v, 1, 168),
};

pub(super) const FOLLOWUPS: Spec = Spec {
    key: "followups",
    kind: Kind::Int,
    description: "Follow-up messages after the first one (only if no reply, no purchase, no opt-out)",
    default: || "0".into(),
    validate: |v| values::int_in(v, 0, 2),
};

pub(super) const FOLLOWUP_DELAY_HOURS: Spec = Spec {
    key: "followup_delay_hours",
    kind: Kind::Hours24,
    description: "Hours between one message and its follow-up",
    default: || "24".into(),
    validate: |v| values::int_in(v, 1, 168),
};

pub(super) const PER_CUSTOMER_CAP_DAYS: Spec = Spec {
    key: "per_customer_cap_days",
    kind: Kind::Days,
    description: "At most one recovery conversation per customer in this many days",
    default: || "7".into(),
    validate: |v| values::int_in(v, 1, 90),
};

pub(super) const CONSENT_ONLY: Spec = Spec {
    key: "consent_only",
    kind: Kind::Bool,
    description: "Message only customers who accepted marketing (only Shopify records it: its WhatsApp marketing consent from API 2026-07, the SMS consent standing in before; Tiendanube and WooCommerce record no WhatsApp consent, so their carts are then skipped as no_consent)",
    default: || "false".into(),
    validate: values::boolean,
};

pub(super) const HOLDOUT_PERCENT: Spec = Spec {
    key: "holdout_percent",
    kind: Kind::Percent,
    description: "Share of carts that get no message, to measure the real lift",
    default: || "10".into(),
    validate: |v| values::int_in(v, 0, 50),
};

pub(super) const ATTRIBUTION_DAYS: Spec = Spec {
    key: "attribution_days",
    kind: Kind::Days,
    description: "A purchase within this many days after the first message counts as recovered",
    default: || "7".into(),
    validate: |v| values::int_in(v, 1, 30),
};

pub(super) const POLL_INTERVAL_SECONDS: Spec = Spec {
    key: "poll_interval_seconds",
    kind: Kind::Seconds,
    description: "How often each store is asked for new abandoned checkouts",
    default: || "60".into(),
    validate: |v| values::int_in(v, 15, 3600),
};

pub(super) const SENDING_PAUSED: Spec = Spec {
    key: "sending_paused",
    kind: Kind::Bool,
    description: "Pause all sending (the tray's pause switch)",
    default: || "false".into(),
    validate: values::boolean,
};

pub(super) const SEND_LEASE_SECONDS: Spec = Spec {
    key: "send_lease_seconds",
    kind: Kind::Seconds,
    description:
        "How long a claimed send may take before it counts as interrupted (then it is never resent blindly)",
    default: || "120".into(),
    validate: |v| values::int_in(v, 2, 600),
};

pub(super) const REMINDER_IMAGE: Spec = Spec {
    key: "reminder_image",
    kind: Kind::Bool,
    description: "Send the reminder with the first product's picture as its header (the image variant of the template, created by `whatsapp create-template --image`); a cart without a usable picture gets the text reminder",
    default: || "false".into(),
    validate: values::boolean,
};

pub(super) const STORE_WRITE_OPT_OUT: Spec = Spec {
    key: "store_write_opt_out",
    kind: Kind::Bool,
    description: "When a customer opts out on WhatsApp, also set their WhatsApp marketing consent to unsubscribed in the store (Shopify with Admin API 2026-07 or later; its app needs the write_customers scope). Recupero's own opt-out holds either way. Only an opt-out from a signed webhook (or WhatsApp's answer to a send) is written, never one from an unsigned delivery; when the customer opts back in, their consent is set back to subscribed",
    default: || "false".into(),
    validate: values::boolean,
};
pub(super) const MONTHLY_SPEND_CAP_USD: Spec = Spec {
    key: "monthly_spend_cap_usd",
    kind: Kind::Text,
    description: "The most WhatsApp may cost in a calendar month, in US dollars (0: no cap). Once the month's estimated spend (templates and replies, priced with the rate table) reaches it, recovery messages wait until the next month or until the cap is raised; your own replies are never blocked, only warned about. Prices in a currency without a rate in usd_exchange_rates are not counted",
    default: || "0".into(),
    validate: spend_cap,
};

pub(super) const EXPERIMENT: Spec = Spec {
    key: "experiment",
    kind: Kind::Text,
    description: "An A/B experiment between two arms, measured against each other (the holdout stays outside both): delay:A,B (minutes after abandonment before the first message, e.g. delay:15,60), template:NAME_A,NAME_B (two approved templates' copy) or coupon:on,off (needs coupon_percent above 0). Each cart's arm is drawn by a fixed hash and recorded; changing or emptying the setting ends the experiment and keeps its results",
    default: String::new,
    validate: values::experiment,
};

pub(super) const COUPON_PERCENT: Spec = Spec {
    key: "coupon_percent",
    kind: Kind::Percent,
    description: "A unique, single-use discount code of this many percent, created in the store for one message of each cart (0: no coupons). Tiendanube and WooCommerce need write access to coupons; Shopify's app the write_discounts scope (without it the message goes without a coupon and you are told)",
    default: || "0".into(),
    validate: |v| values::int_in(v, 0, 50),
};

pub(super) const COUPON_STEP: Spec = Spec {
    key: "coupon_step",
    kind: Kind::Int,
    description: "Which message carries the coupon: 0 the first, 1 the first follow-up, 2 the second (a step past `followups` never goes, so no coupon is made)",
    default: || "0".into(),
    validate: |v| values::int_in(v, 0, 2),
};

pub(super) const COUPON_VALID_HOURS: Spec = Spec {
    key: "coupon_valid_hours",
    kind: Kind::Hours24,
    description:
        "Hours a coupon stays valid after its message; unused coupons are deleted from the store afterwards",
    default: || "48".into(),
    validate: |v| values::int_in(v, 1, 336),
};

pub(super) const COUPON_MIN_TOTAL: Spec = Spec {
    key: "coupon_min_total",
    kind: Kind::Text,
    description: "Only carts whose total reaches this amount get a coupon, in the cart's own currency (0 or empty: every cart); also set as the coupon's minimum purchase in the store",
    default: || "0".into(),
    validate: coupon_min_total,
};

/// A non-negative plain decimal (`5000`, `12.5`), at most 2 decimals; empty reads as 0.
fn coupon_min_total(v: &str) -> values::Checked {
    let v = v.trim();
    if v.is_empty() {
        return Ok("0".into());
    }
    let ok =
        v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.chars().filter(|c| *c == '.').count() <= 1;
    match ok.then(|| v.parse::<rust_decimal::Decimal>().ok()).flatten() {
        Some(a) if a.scale() <= 2 && a <= rust_decimal::Decimal::from(1_000_000_000u32) => {
            Ok(a.normalize().to_string())
        }
        _ => Err(values::ValueError::Amount),
    }
}

/// The typed minimum: `None` for 0 (every cart).
pub(super) fn coupon_min_total_of(v: &str) -> Option<rust_decimal::Decimal> {
    coupon_min_total(v).ok().and_then(|s| s.parse::<rust_decimal::Decimal>().ok()).filter(|d| !d.is_zero())
}

/// The largest cap accepted (a typo guard, far above any small shop's bill).
const MAX_SPEND_CAP_USD: u32 = 1_000_000;

/// A non-negative amount of US dollars, plain decimal (`20`, `12.5`), at most 4 decimals;
/// empty reads as 0 (no cap).
fn spend_cap(v: &str) -> values::Checked {
    let v = v.trim();
    if v.is_empty() {
        return Ok("0".into());
    }
    let ok =
        v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.chars().filter(|c| *c == '.').count() <= 1;
    let amount = ok.then(|| v.parse::<rust_decimal::Decimal>().ok()).flatten();
    match amount {
        Some(a) if a.scale() <= 4 && a <= rust_decimal::Decimal::from(MAX_SPEND_CAP_USD) => {
            Ok(a.normalize().to_string())
        }
        _ => Err(values::ValueError::SpendCap),
    }
}

/// The typed cap: `None` for 0 (no cap) or a value that no longer parses.
pub(super) fn spend_cap_of(v: &str) -> Option<rust_decimal::Decimal> {
    spend_cap(v).ok().and_then(|s| s.parse::<rust_decimal::Decimal>().ok()).filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spend_cap_is_a_plain_amount_of_dollars_and_zero_means_none() {
        assert_eq!(spend_cap(" 20 ").unwrap(), "20");
        assert_eq!(spend_cap("12.50").unwrap(), "12.5");
        assert_eq!(spend_cap("").unwrap(), "0");
        assert_eq!(spend_cap("0.0300").unwrap(), "0.03");
        for bad in ["-1", "1e3", "20 USD", "1,5", "1.2.3", "0.00001", "1000001", "US$20"] {
            assert_eq!(spend_cap(bad), Err(values::ValueError::SpendCap), "{bad:?}");
        }
        assert_eq!(spend_cap_of("0"), None, "0 is no cap");
        assert_eq!(spend_cap_of("garbage"), None);
        assert_eq!(spend_cap_of("20"), Some(rust_decimal::Decimal::from(20)));
    }

    #[test]
    fn the_coupon_minimum_is_a_plain_amount_and_zero_means_every_cart() {
        assert_eq!(coupon_min_total(" 5000 ").unwrap(), "5000");
        assert_eq!(coupon_min_total("12.50").unwrap(), "12.5");
        assert_eq!(coupon_min_total("").unwrap(), "0");
        for bad in ["-1", "1e3", "ARS 5000", "1,5", "0.001"] {
            assert!(coupon_min_total(bad).is_err(), "{bad:?}");
        }
        assert_eq!(coupon_min_total_of("0"), None);
        assert_eq!(coupon_min_total_of("5000"), Some(rust_decimal::Decimal::from(5000)));
    }
}
