//! The figures from a real SQLite file seeded row by row: several currencies, holdout and
//! treatment, failed and unknown sends, a cart without a phone, replies before and after the
//! first message, free and paid messages. Every expected number is worked out by hand in the
//! comments from the rows above it.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::*;
use crate::storage::Db;

const SHOP_TZ: &str = "America/Argentina/Buenos_Aires";

struct Shop {
    db: Db,
    _dir: tempfile::TempDir,
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn ts(s: &str) -> String {
    crate::storage::ts(at(s))
}

impl Shop {
    fn new() -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("recupero.sqlite3")).unwrap();
        {
            let conn = db.conn();
            crate::storage::settings::set(&conn, "timezone", SHOP_TZ, at("2026-11-01T00:00:00Z")).unwrap();
            conn.execute(
                "INSERT INTO stores (id, platform, name, base_url, country, created_at)
                 VALUES (1, 'sandbox', 'Tienda', 'http://127.0.0.1', 'AR', '2026-11-01T00:00:00.000Z')",
                [],
            )
            .unwrap();
        }
        Shop { db, _dir: dir }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.conn()
    }

    /// A customer and their conversation; returns (contact, conversation).
    fn customer(&self, phone: &str) -> (i64, i64) {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO contacts (phone_e164, created_at) VALUES (?1, '2026-11-01T00:00:00.000Z')",
            [phone],
        )
        .unwrap();
        let contact = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO conversations (contact_id, created_at) VALUES (?1, '2026-11-01T00:00:00.000Z')",
            [contact],
        )
        .unwrap();
        (contact, conn.last_insert_rowid())
    }

    /// A cart detected at `detected` with its first send (`state`, `sent_at`, `skip`).
    #[allow(clippy::too_many_arguments)]
    fn cart(
        &self,
        contact: Option<(i64, &str)>,
        total: (&str, &str),
        detected: &str,
        status: &str,
        holdout: bool,
        send: Option<(&str, Option<&str>, Option<&str>)>,
        outcome: Option<&str>,
    ) -> i64 {
        let conn = self.conn();
        let external = format!("chk-{}", fastrand::u64(..));
        conn.execute(
            "INSERT INTO carts (store_id, external_id, contact_id, phone_e164, currency, total, items_json,
               checkout_created_at, checkout_updated_at, detected_at, holdout, status, outcome)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, '[]', ?6, ?6, ?6, ?7, ?8, ?9)",
            params![
                external,
                contact.map(|c| c.0),
                contact.map(|c| c.1),
                total.0,
                total.1,
                ts(detected),
                holdout,
                status,
                outcome
            ],
        )
        .unwrap();
        let cart = conn.last_insert_rowid();
        if let Some((state, sent_at, skip)) = send {
            conn.execute(
                "INSERT INTO sends (cart_id, step, idempotency_key, state, due_at, deadline_at, sent_at, skip_reason,
                   sending_at, created_at, updated_at)
                 VALUES (?1, 0, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?4, ?4)",
                params![
                    cart,
                    format!("recupero:{cart}:0"),
                    state,
                    ts(detected),
                    sent_at.map(ts),
                    skip,
                    // The request left before any answer (or its absence) was recorded.
                    matches!(state, "sent" | "failed" | "unknown").then(|| sent_at.map_or(ts(detected), ts)),
                ],
            )
            .unwrap();
        }
        cart
    }

    /// A message in a conversation; `pricing`: (category, type) as a status webhook reports it.
    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        conversation: i64,
        direction: &str,
        origin: &str,
        kind: &str,
        status: Option<&str>,
        when: &str,
        pricing: Option<(&str, &str)>,
    ) {
        let conn = self.conn();
        let wamid = format!("wamid.{}", fastrand::u64(..));
        conn.execute(
            "INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'hola', ?6, ?7)",
            params![conversation, direction, origin, wamid, kind, status, ts(when)],
        )
        .unwrap();
        if let (Some((category, kind)), Some(status)) = (pricing, status) {
            conn.execute(
                "INSERT INTO message_statuses (wamid, status, at, pricing_category, pricing_type) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![wamid, status, ts(when), category, kind],
            )
            .unwrap();
        }
    }

    fn metrics(&self, from: &str, to: &str) -> Metrics {
        let conn = self.conn();
        let settings = Settings::load(&conn).unwrap();
        let tz = settings.timezone;
        let from = bound_from_text(Some(from), tz, false).unwrap();
        let to = bound_from_text(Some(to), tz, true).unwrap();
        compute(&conn, &settings, at("2026-11-25T12:00:00Z"), from, to).unwrap()
    }
}

fn amount(currency: &str, amount: &str) -> Amount {
    Amount { currency: currency.into(), amount: amount.into() }
}

/// The week of Monday 16 to Sunday 22 November 2026 in Buenos Aires (UTC−3).
fn seeded_week() -> Shop {
    let shop = Shop::new();
    let (ar1, t_ar1) = shop.customer("+5491123456789");
    let (br, t_br) = shop.customer("+5511987654321");
    let (uy, t_uy) = shop.customer("+59899123456");
    let (ar2, _) = shop.customer("+5491155554444");
    let (h1, _) = shop.customer("+5491166667777");
    let (h2, _) = shop.customer("+5491177778888");
    let (mx, t_mx) = shop.customer("+525512345678");
    let (ar3, _) = shop.customer("+5491199990000");
    let sent = |at: &'static str| Some(("sent", Some(at), None));

    // c1 — Mon 16, AR, messaged 10:05 local, bought: recovered, 1000.50 ARS. The customer wrote
    // at 09:00 (before the message: not a reply) and at 10:35 (30 min after: a reply).
    shop.cart(
        Some((ar1, "+5491123456789")),
        ("ARS", "1000.50"),
        "2026-11-16T13:00:00Z",
        "recovered",
        false,
        sent("2026-11-16T13:05:00Z"),
        Some("recovered"),
    );
    shop.message(t_ar1, "in", "customer", "text", None, "2026-11-16T12:00:00Z", None);
    shop.message(t_ar1, "in", "customer", "text", None, "2026-11-16T13:35:00Z", None);
    // c2 — detected 02:30 UTC on Wed 18 = 23:30 on Tue 17 in the shop: a Tuesday cart. BR,
    // recovered, 200 BRL. The customer only wrote before the message.
    shop.cart(
        Some((br, "+5511987654321")),
        ("BRL", "200.00"),
        "2026-11-18T02:30:00Z",
        "recovered",
        false,
        sent("2026-11-18T02:31:00Z"),
        Some("recovered"),
    );
    shop.message(t_br, "in", "customer", "text", None, "2026-11-18T02:00:00Z", None);
    // c3 — Tue 17, UY, messaged, not bought, answered 2 h later.
    shop.cart(
        Some((uy, "+59899123456")),
        ("USD", "50.00"),
        "2026-11-17T15:00:00Z",
        "sent",
        false,
        sent("2026-11-17T15:00:00Z"),
        None,
    );
    shop.message(t_uy, "in", "customer", "text", None, "2026-11-17T17:00:00Z", None);
    // c4 — Wed 18, refused by WhatsApp before acceptance (131026): messaged all the same
    // (intention to treat), never reached.
    shop.cart(
        Some((ar2, "+5491155554444")),
        ("ARS", "300.00"),
        "2026-11-18T14:00:00Z",
        "not_sent",
        false,
        Some(("failed", None, None)),
        None,
    );
    // c5 — Wed 18, interrupted while sending: unknown, attempted, so messaged (not reached).
    shop.cart(
        Some((ar2, "+5491155554444")),
        ("ARS", "120.00"),
        "2026-11-18T15:00:00Z",
        "planned",
        false,
        Some(("unknown", None, None)),
        None,
    );
    // c6, c7 — holdout carts that reached their instant; c6 bought anyway (500 ARS, not ours).
    shop.cart(
        Some((h1, "+5491166667777")),
        ("ARS", "500.00"),
        "2026-11-19T13:00:00Z",
        "completed",
        true,
        Some(("skipped", None, Some("holdout"))),
        Some("holdout_converted"),
    );
    shop.cart(
        Some((h2, "+5491177778888")),
        ("ARS", "70.00"),
        "2026-11-19T14:00:00Z",
        "holdout",
        true,
        Some(("skipped", None, Some("holdout"))),
        None,
    );
    // c8 — Thu 19, no phone. c9 — still waiting: not a detected cart.
    shop.cart(None, ("ARS", "10.00"), "2026-11-19T16:00:00Z", "no_phone", false, None, None);
    shop.cart(
        Some((ar3, "+5491199990000")),
        ("ARS", "10.00"),
        "2026-11-19T17:00:00Z",
        "waiting",
        false,
        None,
        None,
    );
    // c10 — outside the week (Tue 10), recovered: not counted.
    shop.cart(
        Some((ar1, "+5491123456789")),
        ("ARS", "999.00"),
        "2026-11-10T13:00:00Z",
        "recovered",
        false,
        sent("2026-11-10T13:00:00Z"),
        Some("recovered"),
    );
    // c11 — Fri 20, MX, accepted then undeliverable: messaged, never reached, not bought.
    shop.cart(
        Some((mx, "+525512345678")),
        ("MXN", "80.00"),
        "2026-11-20T13:00:00Z",
        "not_sent",
        false,
        Some(("failed", Some("2026-11-20T13:01:00Z"), None)),
        None,
    );
    // c12 — Fri 20, opted out before the send: not sent.
    shop.cart(
        Some((ar3, "+5491199990000")),
        ("ARS", "40.00"),
        "2026-11-20T14:00:00Z",
        "not_sent",
        false,
        Some(("skipped", None, Some("opted_out"))),
        None,
    );

    // Outgoing messages in the week.
    // m1 AR template, read, billed marketing (regular) → 0.0618 USD.
    shop.message(
        t_ar1,
        "out",
        "automation",
        "template",
        Some("read"),
        "2026-11-16T13:05:00Z",
        Some(("marketing", "regular")),
    );
    // m2 BR template, delivered, no pricing reported → a template is marketing → 0.0625.
    shop.message(t_br, "out", "automation", "template", Some("delivered"), "2026-11-18T02:31:00Z", None);
    // m3 UY template, accepted (no report yet) → counted, marketing → 0.0740.
    shop.message(t_uy, "out", "automation", "template", Some("sent"), "2026-11-17T15:00:00Z", None);
    // m4 MX template, failed → not billed.
    shop.message(t_mx, "out", "automation", "template", Some("failed"), "2026-11-20T13:01:00Z", None);
    // m5 owner's reply in the app, reported free (customer-service window) → free.
    shop.message(
        t_ar1,
        "out",
        "app",
        "text",
        Some("delivered"),
        "2026-11-16T13:40:00Z",
        Some(("service", "free_customer_service")),
    );
    // m6 owner's reply in the app to UY, read, nothing reported → service → 0.0113.
    shop.message(t_uy, "out", "app", "text", Some("read"), "2026-11-17T17:10:00Z", None);
    // m7 the owner wrote from the phone app (Coexistence): free.
    shop.message(t_br, "out", "phone", "text", Some("delivered"), "2026-11-18T03:00:00Z", None);
    // m8 before the week: not counted.
    shop.message(t_ar1, "out", "automation", "template", Some("read"), "2026-11-10T13:00:00Z", None);
    shop
}

#[test]
fn the_funnel_counts_each_detected_cart_once() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    // c1 c2 c3 c4 c5 c6 c7 c8 c11 c12 (not c9 waiting, not c10 outside).
    assert_eq!(m.carts.detected, 10);
    assert_eq!(m.carts.with_phone, 9, "c8 has no phone");
    assert_eq!(
        m.carts.messaged, 6,
        "c1 c2 c3, c11 (accepted, then undeliverable), c4 (refused) and c5 (unknown): all attempted"
    );
    assert_eq!(m.carts.unreached, 3, "c4 c5, and c11: accepted, then undeliverable, it never arrived");
    assert_eq!(m.carts.holdout, 2, "c6 c7");
    assert_eq!(m.carts.not_sent, 1, "c12 opted out before the send");
    assert_eq!(m.carts.pending, 0);
    let c = &m.carts;
    assert_eq!(c.messaged + c.holdout + c.not_sent + c.pending, c.with_phone, "the funnel adds up");
}

#[test]
fn recovery_is_measured_against_the_holdout_with_its_denominators() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    assert_eq!(m.recovery, Share { count: 2, denominator: 6, rate: Some(0.3333) }, "c1 c2 of 6 messaged");
    assert_eq!(m.holdout_recovery, Share { count: 1, denominator: 2, rate: Some(0.5) }, "c6 of c6 c7");
    assert_eq!(m.lift.difference, Some(-0.1667));
    let expected = stats::newcombe(2, 6, 1, 2, stats::Z_95).unwrap();
    assert_eq!(m.lift.low, Some(stats::round4(expected.low)));
    assert_eq!(m.lift.high, Some(stats::round4(expected.high)));
    assert!(m.lift.low.unwrap() < 0.0 && m.lift.high.unwrap() > 0.0);
    assert_eq!(m.lift.significant, Some(false), "2/6 against 1/2 proves nothing");
    assert_eq!((m.lift.method, m.lift.confidence), ("newcombe_wilson", 0.95));
}

#[test]
fn revenue_is_per_currency_and_only_from_recovered_treated_carts() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    // c1 1000.50 ARS and c2 200 BRL; not c6 (holdout, bought on its own), not c10 (outside).
    assert_eq!(m.revenue, vec![amount("ARS", "1000.50"), amount("BRL", "200.00")]);
}

#[test]
fn replies_count_only_after_the_first_message() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    // c1 answered after 30 min, c3 after 2 h; c2 wrote only before its message.
    assert_eq!(m.replies, Share { count: 2, denominator: 6, rate: Some(0.3333) });
    assert_eq!(m.median_first_reply_seconds, Some((1_800 + 7_200) / 2));
}

#[test]
fn messages_count_their_best_status() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    // m1..m7: delivered m1 (read) m2 m5 m6 (read) m7; read m1 m6; failed m4.
    assert_eq!(m.messages, MessageCounts { sent: 7, delivered: 5, read: 2, failed: 1 });
}

#[test]
fn cost_prices_billable_messages_by_country_and_category() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    let row = |country: &str, category: &str, amount: &str| CostRow {
        country: country.into(),
        category: category.into(),
        messages: 1,
        currency: "USD".into(),
        amount: amount.into(),
    };
    assert_eq!(
        m.cost.rows,
        vec![
            row("AR", "marketing", "0.0618"),
            row("BR", "marketing", "0.0625"),
            row("UY", "marketing", "0.074"),
            row("UY", "service", "0.0113"),
        ],
        "m4 failed, m5 reported free, m7 sent from the phone app: not billed"
    );
    // Templates (marketing) apart from typed replies (service): 0.0618 + 0.0625 + 0.0740.
    let category = |c: &str, messages: u64, a: &str| CategoryCost {
        category: c.into(),
        messages,
        total: vec![amount("USD", a)],
    };
    assert_eq!(
        m.cost.by_category,
        vec![category("marketing", 3, "0.1983"), category("service", 1, "0.0113")],
        "by category, in Meta's order"
    );
    // 0.0618 + 0.0625 + 0.0740 + 0.0113 = 0.2096; per recovered cart (2): 0.1048.
    assert_eq!(m.cost.total, vec![amount("USD", "0.2096")]);
    assert_eq!(m.cost.per_recovered, vec![amount("USD", "0.1048")]);
    assert_eq!(m.cost.rates_as_of, rates::default_table().as_of);
    // Revenue in ARS and BRL, cost in USD: no exchange rate is guessed.
    assert_eq!(m.cost.roi.len(), 3);
    assert!(m.cost.roi.iter().all(|r| r.roi.is_none()), "{:?}", m.cost.roi);
    let usd = m.cost.roi.iter().find(|r| r.currency == "USD").unwrap();
    assert_eq!((usd.revenue.as_str(), usd.cost.as_str()), ("0.00", "0.2096"));
}

/// A cart of ARS 1000.00 recovered after its message, and two delivered marketing templates
/// to an Argentine number.
fn one_recovered_ars_cart_two_messages() -> Shop {
    let shop = Shop::new();
    let (k, t) = shop.customer("+5491123456789");
    shop.cart(
        Some((k, "+5491123456789")),
        ("ARS", "1000.00"),
        "2026-11-16T13:00:00Z",
        "recovered",
        false,
        Some(("sent", Some("2026-11-16T13:05:00Z"), None)),
        Some("recovered"),
    );
    shop.message(t, "out", "automation", "template", Some("delivered"), "2026-11-16T13:05:00Z", None);
    shop.message(t, "out", "automation", "template", Some("delivered"), "2026-11-17T13:05:00Z", None);
    shop
}

#[test]
fn roi_is_given_when_revenue_and_cost_share_one_currency() {
    let shop = one_recovered_ars_cart_two_messages();
    let rows = vec![RateRow {
        country: "AR".into(),
        category: "marketing".into(),
        currency: "ARS".into(),
        price: "10".into(),
    }];
    rates::save(&shop.conn(), &rows, "2026-11-20", "2026-11-20T00:00:00.000Z").unwrap();
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!(m.cost.total, vec![amount("ARS", "20.00")]);
    assert_eq!(m.cost.rates_as_of, "2026-11-20", "the edited table's date");
    // (1000 − 20) / 20 = 49.
    assert_eq!(
        m.cost.roi,
        vec![Roi {
            currency: "ARS".into(),
            revenue: "1000.00".into(),
            cost: "20.00".into(),
            roi: Some(49.0),
            usd_rate: None,
        }]
    );
}

#[test]
fn with_the_owners_dollar_rate_the_usd_cost_is_converted_for_the_roi() {
    let shop = one_recovered_ars_cart_two_messages();
    // Without a rate: ARS revenue, USD cost, no ratio.
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert!(m.cost.roi.iter().all(|r| r.roi.is_none() && r.usd_rate.is_none()), "{:?}", m.cost.roi);
    // 1 USD = 1000 ARS: 2 × 0.0618 USD = 0.1236 USD = 123.60 ARS; (1000 − 123.60) / 123.60.
    crate::storage::settings::set(
        &shop.conn(),
        "usd_exchange_rates",
        "BRL=5.40; ARS=1000",
        at("2026-11-20T00:00:00Z"),
    )
    .unwrap();
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!(
        m.cost.roi,
        vec![Roi {
            currency: "ARS".into(),
            revenue: "1000.00".into(),
            cost: "123.60".into(),
            roi: Some(7.0906),
            usd_rate: Some("1000".into()),
        }],
        "one line, in the shop's currency, with the rate used"
    );
    assert_eq!(m.cost.total, vec![amount("USD", "0.1236")], "the bill itself stays in USD");
}

#[test]
fn days_and_weeks_follow_the_shop_calendar_and_add_up() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    let days: Vec<&str> = m.daily.iter().map(|d| d.start.as_str()).collect();
    assert_eq!(
        days,
        ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    );
    let tuesday = &m.daily[1];
    // c3 and c2 (23:30 local on Tuesday, Wednesday in UTC).
    assert_eq!((tuesday.detected, tuesday.messaged, tuesday.recovered), (2, 2, 1));
    assert_eq!(tuesday.revenue, vec![amount("BRL", "200.00")]);
    assert_eq!(m.daily[3].holdout, 2);
    assert_eq!(m.daily[3].recovered_holdout, 1);
    assert_eq!(m.daily.iter().map(|d| d.detected).sum::<u64>(), m.carts.detected);
    assert_eq!(m.daily.iter().map(|d| d.replied).sum::<u64>(), m.replies.count);
    assert_eq!(m.weekly.len(), 1, "Monday 16 to Sunday 22 is one week");
    assert_eq!(m.weekly[0].start, "2026-11-16");
    assert_eq!(m.weekly[0].detected, m.carts.detected);
    assert_eq!(m.weekly[0].revenue, m.revenue);
}

#[test]
fn an_empty_period_has_nulls_not_nans() {
    let m = Shop::new().metrics("2026-11-16", "2026-11-22");
    assert_eq!(m.recovery, Share { count: 0, denominator: 0, rate: None });
    assert_eq!((m.lift.difference, m.lift.low, m.lift.high, m.lift.significant), (None, None, None, None));
    assert_eq!(m.median_first_reply_seconds, None);
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    assert!(json.contains("\"rate\":null") && json.contains("\"perRecovered\":[]"), "{json}");
    assert_eq!(m.daily.len(), 7, "every day has its row, even an empty one");
}

#[test]
fn the_json_has_the_contract_shape() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    let v = serde_json::to_value(&m).unwrap();
    for key in [
        "from",
        "to",
        "carts",
        "recovery",
        "holdoutRecovery",
        "lift",
        "revenue",
        "replies",
        "medianFirstReplySeconds",
        "messages",
        "cost",
        "daily",
        "weekly",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["carts"]["withPhone"], 9);
    assert_eq!(v["carts"]["notSent"], 1);
    assert_eq!(v["carts"]["unreached"], 3);
    assert_eq!(v["cost"]["ratesAsOf"], rates::default_table().as_of.as_str());
    assert_eq!(v["daily"][0]["recoveredHoldout"], 0);
    assert!(v["revenue"][0]["amount"].is_string(), "money is text, never a float");
    assert_eq!(v["from"], "2026-11-16T03:00:00.000Z", "midnight in Buenos Aires");
}

#[test]
fn the_csv_has_a_header_and_one_row_per_day() {
    let m = seeded_week().metrics("2026-11-16", "2026-11-22");
    let text = daily_csv::write(&m).unwrap();
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "date",
            "detected",
            "messaged",
            "holdout",
            "recovered",
            "recoveredHoldout",
            "replied",
            "revenue ARS",
            "revenue BRL"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[0][0], "2026-11-16");
    assert_eq!((&rows[0][7], &rows[0][8]), ("1000.50", "0"));
    let detected: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    assert_eq!(detected, m.carts.detected);
}

#[test]
fn text_bounds_are_shop_days_or_instants() {
    let tz: Tz = SHOP_TZ.parse().unwrap();
    assert_eq!(bound_from_text(Some("2026-11-16"), tz, false).unwrap(), Some(at("2026-11-16T03:00:00Z")));
    assert_eq!(
        bound_from_text(Some("2026-11-16"), tz, true).unwrap(),
        Some(at("2026-11-17T03:00:00Z")),
        "the end of the day"
    );
    assert_eq!(
        bound_from_text(Some("2026-11-16T10:00:00Z"), tz, true).unwrap(),
        Some(at("2026-11-16T10:00:00Z"))
    );
    assert_eq!(bound_from_text(Some(" "), tz, false).unwrap(), None);
    assert!(bound_from_text(Some("16/11/2026"), tz, false).unwrap_err().to_string().contains("YYYY-MM-DD"));
}

/// Intention to treat: a first message WhatsApp refused for good (131026) keeps its cart in the
/// messaged group; bought inside the attribution window after the attempt, it converts like a
/// holdout cart bought in its window would — in the rate, never as revenue Recupero earned.
#[test]
fn a_refused_first_message_keeps_its_cart_in_the_messaged_group() {
    let shop = Shop::new();
    let (a, _) = shop.customer("+5491123456789");
    let (b, _) = shop.customer("+5491155554444");
    let (h, _) = shop.customer("+5491166667777");
    let detected = "2026-11-18T13:00:00Z";
    let refused = shop.cart(
        Some((a, "+5491123456789")),
        ("ARS", "300.00"),
        detected,
        "not_sent",
        false,
        Some(("failed", None, None)),
        Some("bought_before_message"),
    );
    shop.conn()
        .execute(
            "UPDATE carts SET completed_at = ?2 WHERE id = ?1",
            params![refused, ts("2026-11-18T15:00:00Z")],
        )
        .unwrap();
    shop.conn()
        .execute("UPDATE sends SET error_code = '131026' WHERE cart_id = ?1", params![refused])
        .unwrap();
    shop.cart(
        Some((b, "+5491155554444")),
        ("ARS", "100.00"),
        "2026-11-18T14:00:00Z",
        "sent",
        false,
        Some(("sent", Some("2026-11-18T14:01:00Z"), None)),
        None,
    );
    shop.cart(
        Some((h, "+5491166667777")),
        ("ARS", "70.00"),
        detected,
        "holdout",
        true,
        Some(("skipped", None, Some("holdout"))),
        None,
    );
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!((m.carts.messaged, m.carts.unreached, m.carts.not_sent), (2, 1, 0), "{:?}", m.carts);
    assert_eq!(
        m.recovery,
        Share { count: 1, denominator: 2, rate: Some(0.5) },
        "bought in the window after the attempt"
    );
    assert!(m.revenue.is_empty(), "no revenue is claimed for a message that never arrived");
    assert_eq!(m.weekly.iter().map(|w| w.recovered).sum::<u64>(), 0, "nor a recovery");
}

/// A first message WhatsApp accepted and then reported failed (a later status webhook, 131026)
/// keeps its `sent_at`; the cart stays messaged but was never reached, and a purchase inside the
/// window after it converts in the messaged rate (the tracker had called it
/// `bought_before_message`, as it finds no message that left) — never as revenue.
#[test]
fn a_message_accepted_then_failed_still_converts_when_bought_in_the_window() {
    let shop = Shop::new();
    let (a, _) = shop.customer("+5491123456789");
    let cart = shop.cart(
        Some((a, "+5491123456789")),
        ("ARS", "300.00"),
        "2026-11-18T13:00:00Z",
        "not_sent",
        false,
        Some(("failed", Some("2026-11-18T13:30:00Z"), None)),
        Some("bought_before_message"),
    );
    let conn = shop.conn();
    conn.execute(
        "UPDATE carts SET completed_at = ?2 WHERE id = ?1",
        params![cart, ts("2026-11-19T13:30:00Z")],
    )
    .unwrap();
    conn.execute("UPDATE sends SET error_code = '131026' WHERE cart_id = ?1", params![cart]).unwrap();
    drop(conn);
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!((m.carts.messaged, m.carts.unreached), (1, 1), "{:?}", m.carts);
    assert_eq!(m.recovery, Share { count: 1, denominator: 1, rate: Some(1.0) });
    assert!(m.revenue.is_empty(), "the message never arrived: no revenue is claimed");
}

/// Intention to treat: a reached cart whose customer pressed STOP and then bought inside the
/// window converts in the messaged rate, as a holdout cart bought in its window does (the
/// tracker's `bought_after_optout` keeps the opt-out visible and claims no revenue).
#[test]
fn a_purchase_after_opting_out_still_converts_in_the_messaged_group() {
    let shop = Shop::new();
    let (a, _) = shop.customer("+5491123456789");
    let (h, _) = shop.customer("+5491166667777");
    let cart = shop.cart(
        Some((a, "+5491123456789")),
        ("ARS", "300.00"),
        "2026-11-18T13:00:00Z",
        "completed",
        false,
        Some(("sent", Some("2026-11-18T13:30:00Z"), None)),
        Some("bought_after_optout"),
    );
    let holdout = shop.cart(
        Some((h, "+5491166667777")),
        ("ARS", "70.00"),
        "2026-11-18T13:00:00Z",
        "completed",
        true,
        Some(("skipped", None, Some("holdout"))),
        Some("holdout_converted"),
    );
    let conn = shop.conn();
    for id in [cart, holdout] {
        conn.execute(
            "UPDATE carts SET completed_at = ?2 WHERE id = ?1",
            params![id, ts("2026-11-19T10:00:00Z")],
        )
        .unwrap();
    }
    conn.execute(
        "UPDATE contacts SET opted_out_at = ?2 WHERE id = ?1",
        params![a, ts("2026-11-18T14:00:00Z")],
    )
    .unwrap();
    drop(conn);
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!(m.recovery, Share { count: 1, denominator: 1, rate: Some(1.0) }, "{:?}", m.carts);
    assert_eq!(m.holdout_recovery, Share { count: 1, denominator: 1, rate: Some(1.0) });
    assert!(m.revenue.is_empty(), "an opted-out purchase is not revenue Recupero earned");
}

/// Only the discount of recovered carts comes off the recovered revenue: the housekeeping round
/// may also find the code of a cart that is not a recovery used (bought late, or its coupon
/// looked up as expired), and that discount was never in the revenue.
#[test]
fn only_recovered_carts_coupon_discount_is_netted_out_of_revenue() {
    let shop = Shop::new();
    let (a, _) = shop.customer("+5491123456789");
    let (b, _) = shop.customer("+5491155554444");
    let sent = |at: &'static str| Some(("sent", Some(at), None));
    let recovered = shop.cart(
        Some((a, "+5491123456789")),
        ("ARS", "300.00"),
        "2026-11-18T13:00:00Z",
        "recovered",
        false,
        sent("2026-11-18T13:30:00Z"),
        Some("recovered"),
    );
    let late = shop.cart(
        Some((b, "+5491155554444")),
        ("ARS", "200.00"),
        "2026-11-18T14:00:00Z",
        "completed",
        false,
        sent("2026-11-18T14:30:00Z"),
        Some("bought_late"),
    );
    let conn = shop.conn();
    for (cart, discount) in [(recovered, "30.00"), (late, "20.00")] {
        conn.execute(
            "INSERT INTO coupons (cart_id, send_id, store_id, code, percent, currency, platform_id, reserved_at,
               created_at, expires_at, redeemed_at, discount)
             SELECT ?1, s.id, 1, 'RC' || ?1, 10, 'ARS', 'p' || ?1, ?2, ?2, ?2, ?2, ?3 FROM sends s WHERE s.cart_id = ?1",
            params![cart, ts("2026-11-18T13:00:00Z"), discount],
        )
        .unwrap();
    }
    drop(conn);
    let m = shop.metrics("2026-11-16", "2026-11-22");
    assert_eq!(m.revenue, vec![amount("ARS", "270.00")], "300 less its own coupon's 30 only");
    let coupons = m.coupons.as_ref().unwrap();
    assert_eq!(coupons.redeemed, 2);
    assert_eq!(coupons.gross_revenue, vec![amount("ARS", "300.00")]);
    let range = Range { from: at("2026-11-16T03:00:00Z"), to: at("2026-11-23T03:00:00Z") };
    let facts = facts::carts(&shop.conn(), &range, chrono::Duration::days(7)).unwrap();
    let discount =
        |id: i64| facts.iter().find(|f| f.id == id).unwrap().discount.map(|d| d.amount().to_string());
    assert_eq!(discount(recovered).as_deref(), Some("30.00"), "each cart carries its own coupon's discount");
}
