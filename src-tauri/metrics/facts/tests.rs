//! The group rules of [`super::classify`] and where a recipient's country is read from.

use super::*;

fn row(
    status: &str,
    phone: bool,
    holdout: bool,
    send: Option<(&str, Option<&str>, Option<&str>)>,
) -> CartRow {
    CartRow {
        status: status.into(),
        has_phone: phone,
        holdout,
        detected_at: "2026-11-20T13:00:00.000Z".into(),
        completed_at: None,
        send: send.map(|(s, t, r)| FirstSend {
            state: s.into(),
            sent_at: t.map(String::from),
            // Every send that was answered or interrupted had its request leave first.
            sending_at: matches!(s, "sent" | "failed" | "unknown").then(|| TRIED_AT.into()),
            skip_reason: r.map(String::from),
            error_code: None,
            planned_at: Some("2026-11-20T13:04:00.000Z".into()),
            passed_at: None,
        }),
    }
}

const TRIED_AT: &str = "2026-11-20T13:04:59.000Z";

const SENT_AT: Option<&str> = Some("2026-11-20T13:05:00.000Z");

#[test]
fn carts_fall_into_one_group_each() {
    let messaged = classify(&row("sent", true, false, Some(("sent", SENT_AT, None))));
    assert!(matches!(messaged, Some(Group::Messaged { .. })));
    let failed_after = classify(&row("not_sent", true, false, Some(("failed", SENT_AT, None))));
    assert!(
        matches!(failed_after, Some(Group::Messaged { reached: false, .. })),
        "accepted, then undeliverable: attempted, never reached"
    );
    assert!(
        matches!(
            classify(&row("planned", true, false, Some(("unknown", None, None)))),
            Some(Group::Messaged { reached: false, .. })
        ),
        "the request left and no answer came: attempted"
    );
    let mut in_flight = row("planned", true, false, Some(("leased", None, None)));
    in_flight.send.as_mut().unwrap().sending_at = Some(TRIED_AT.into());
    assert_eq!(classify(&in_flight), Some(Group::Pending), "still waiting for WhatsApp's answer");
    assert_eq!(classify(&row("planned", true, false, Some(("planned", None, None)))), Some(Group::Pending));
    assert_eq!(
        classify(&row("not_sent", true, false, Some(("skipped", None, Some("opted_out"))))),
        Some(Group::NotSent)
    );
    assert_eq!(
        classify(&row("holdout", true, true, Some(("skipped", None, Some("holdout"))))),
        Some(Group::Holdout)
    );
    assert_eq!(
        classify(&row("completed", true, true, Some(("skipped", None, Some("purchased"))))),
        Some(Group::NotSent),
        "a holdout cart bought before its instant is not in the comparison, like a treated one"
    );
    assert_eq!(classify(&row("holdout", true, true, Some(("planned", None, None)))), Some(Group::Pending));
    assert_eq!(classify(&row("no_phone", false, false, None)), Some(Group::NoPhone));
}

/// Intention to treat: a first message WhatsApp refuses for good (131026, not on WhatsApp)
/// leaves its cart in the messaged group, as its holdout twin stays in the holdout; only
/// pre-send reasons take a cart out, and they take holdout carts out the same way.
#[test]
fn a_terminally_refused_first_message_keeps_its_cart_in_the_messaged_group() {
    let refused = classify(&row("not_sent", true, false, Some(("failed", None, None))));
    let tried = parse_time(TRIED_AT).unwrap();
    assert_eq!(refused, Some(Group::Messaged { sent_at: tried, reached: false }));
    for reason in ["purchased", "opted_out", "no_phone", "too_old", "customer_cap", "checkout_gone"] {
        let treated = classify(&row("not_sent", true, false, Some(("skipped", None, Some(reason)))));
        let holdout = classify(&row("not_sent", true, true, Some(("skipped", None, Some(reason)))));
        assert_eq!((treated, holdout), (Some(Group::NotSent), Some(Group::NotSent)), "{reason}");
    }
    // Tried, told "not now" (130429), then bought before the retry: it reached its instant.
    let mut retried = row("not_sent", true, false, Some(("skipped", None, Some("purchased"))));
    retried.send.as_mut().unwrap().error_code = Some("130429".into());
    let planned = parse_time("2026-11-20T13:04:00.000Z").unwrap();
    assert_eq!(classify(&retried), Some(Group::Messaged { sent_at: planned, reached: false }));
    let mut never_left = row("not_sent", true, false, Some(("failed", None, None)));
    never_left.send.as_mut().unwrap().sending_at = None;
    assert_eq!(classify(&never_left), Some(Group::NotSent), "a failure before any request is no attempt");
}

/// A first message that passed the holdout point (every check its holdout twin passed) and was
/// then held back (the coupon store) and skipped stays messaged from that instant; one still
/// waiting to go is pending, and one skipped before the point is not sent.
#[test]
fn a_send_that_passed_the_holdout_point_stays_messaged_whatever_comes_after() {
    const PASSED: &str = "2026-11-20T13:04:30.000Z";
    let passed = |state: &str, reason: Option<&str>| {
        let mut r = row("not_sent", true, false, Some((state, None, reason)));
        r.send.as_mut().unwrap().passed_at = Some(PASSED.into());
        classify(&r)
    };
    let at = parse_time(PASSED).unwrap();
    for reason in ["purchased", "opted_out", "too_old", "replied"] {
        assert_eq!(
            passed("skipped", Some(reason)),
            Some(Group::Messaged { sent_at: at, reached: false }),
            "{reason}"
        );
    }
    assert_eq!(passed("planned", None), Some(Group::Pending), "held, still to go");
    assert_eq!(passed("leased", None), Some(Group::Pending));
    assert_eq!(
        classify(&row("not_sent", true, false, Some(("skipped", None, Some("purchased"))))),
        Some(Group::NotSent),
        "skipped before the point"
    );
}

#[test]
fn checkouts_that_were_never_abandoned_carts_are_left_out() {
    assert_eq!(classify(&row("waiting", true, false, None)), None, "still inside the abandonment delay");
    assert_eq!(classify(&row("expired", true, false, None)), None, "too old when first seen");
    let mut bought_first = row("completed", false, false, None);
    bought_first.completed_at = Some("2026-11-20T12:00:00.000Z".into());
    assert_eq!(classify(&bought_first), None, "bought before it was ever seen abandoned");
    let mut bought_later = bought_first.clone();
    bought_later.completed_at = Some("2026-11-20T15:00:00.000Z".into());
    assert_eq!(classify(&bought_later), Some(Group::NoPhone), "kept without a phone, bought later");
    assert_eq!(classify(&row("completed", true, false, None)), None, "with a phone but never planned");
}

#[test]
fn countries_come_from_the_number() {
    assert_eq!(country_of("+5491123456789").as_deref(), Some("AR"));
    assert_eq!(country_of("+5511987654321").as_deref(), Some("BR"));
    assert_eq!(country_of("+17875551234").as_deref(), Some("PR"), "+1 787 is Puerto Rico, not the US");
    assert_eq!(country_of("+59899123456").as_deref(), Some("UY"));
    assert_eq!(country_of("not a number"), None);
    assert_eq!(country_of(""), None);
}

#[test]
fn a_customer_without_a_phone_is_placed_by_the_prefix_of_their_bsuid() {
    let bsuid = Some("AR.1502576394655843");
    assert_eq!(country_from_ids(None, None, bsuid), Some(("AR".into(), CountryFrom::Bsuid)));
    assert_eq!(
        country_from_ids(Some("+5511987654321"), None, bsuid),
        Some(("BR".into(), CountryFrom::Phone)),
        "a known number wins"
    );
    assert_eq!(country_from_ids(None, Some("5491123456789"), None), Some(("AR".into(), CountryFrom::Phone)));
    assert_eq!(country_from_ids(Some("+"), Some("MX.abc123"), None), Some(("MX".into(), CountryFrom::Bsuid)));
    for unknown in ["ENT.1502576394655843", "XX.123", "AR.", "ar.123", "AR-123", "username", ""] {
        assert_eq!(country_from_ids(None, None, Some(unknown)), None, "{unknown:?}");
    }
    assert_eq!(country_from_ids(None, None, None), None);
}
