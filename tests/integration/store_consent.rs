//! Consent from the store, against the sandbox Shopify on loopback and a real SQLite file:
//! which marketing consent each API version reads (WhatsApp's from 2026-07, SMS's before), what
//! the other platforms say, and a customer's WhatsApp opt-out written back to the Shopify
//! customer when the owner allows it — once, through a restart, retried after a failure for now,
//! never at the cost of Recupero's own opt-out, and with the owner told once when Shopify refuses
//! (the missing `write_customers` scope, an API version without WhatsApp consent). Only a
//! verified opt-out is written (an unsigned delivery's STOP stops our messages only), and a
//! customer who opts back in after a written opt-out is written back as SUBSCRIBED.

use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::engine::{Engine, EngineOptions, OptOutWrites};
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::paths::AppPaths;
use recupero::sandbox::catalog::PhoneField;
use recupero::sandbox::{Fault, Sandbox, SandboxConfig};
use recupero::secrets::{MemorySecretStore, SecretName, SecretStore, Sensitive};
use recupero::stores::{ConsentSource, Platform, StoreInput};
use recupero::webhooks::Ingest;
use serde_json::json;

use crate::support::{spawn_app, store_input, TestApp};

/// A Shopify store at API `version` (the default when None) on a sandbox of 24 checkouts,
/// connected and synced.
async fn shopify(version: Option<&str>) -> (TestApp, Sandbox, i64) {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now() - Duration::minutes(30), 24);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let input =
        StoreInput { api_version: version.map(String::from), ..store_input(&sandbox, Platform::Shopify) };
    let store = app.engine.connect_store(&input).unwrap().id;
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    (app, sandbox, store)
}

/// Checkouts whose phone is the customer's default one, each given its own Argentine mobile
/// (typed in full: the checkouts' countries differ);
/// (checkout id, E.164). The store is synced again so the carts carry these phones.
async fn customers(app: &TestApp, sandbox: &Sandbox, store: i64, n: usize) -> Vec<(u64, String)> {
    let now = app.clock.now();
    let ids: Vec<u64> = sandbox
        .checkouts(Platform::Shopify)
        .iter()
        .filter(|c| c.phone_in == PhoneField::Customer && c.created_at <= now && c.completes_at.is_none())
        .map(|c| c.id)
        .take(n)
        .collect();
    assert_eq!(ids.len(), n, "the sandbox has {n} checkouts with the customer's own phone");
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let local = format!("+54 9 11 6000-{:04}", 100 + i);
        sandbox.set_phone(Platform::Shopify, id, Some(&local));
        sandbox.touch(Platform::Shopify, id, now);
        out.push((id, format!("+549116000{:04}", 100 + i)));
    }
    app.clock.advance(Duration::minutes(1));
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    out
}

/// The customer with number `e164` writes STOP on WhatsApp: a signed delivery, processed.
fn stop_on_whatsapp(app: &TestApp, e164: &str, n: u32) {
    say_on_whatsapp(app, e164, &format!("wamid.stop{n}"), "STOP", true);
}

/// The customer with number `e164` writes `text` on WhatsApp (message id `wamid`), in a signed
/// delivery or not, processed.
fn say_on_whatsapp(app: &TestApp, e164: &str, wamid: &str, text: &str, signed: bool) {
    let wa_id = e164.trim_start_matches('+');
    let at = app.clock.now().timestamp().to_string();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "2055500000000", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": "1055500000000"},
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": at, "type": "text",
                "text": {"body": text}}]}}]}]});
    assert!(app.engine.ingest(body.to_string().as_bytes(), signed).unwrap());
    app.engine.process_webhooks().unwrap();
}

fn opted_out(app: &TestApp, e164: &str) -> bool {
    let at: Option<String> = app
        .engine
        .db()
        .conn()
        .query_row("SELECT opted_out_at FROM contacts WHERE phone_e164 = ?1", [e164], |r| r.get(0))
        .unwrap();
    at.is_some()
}

/// The `store_opt_out` entries of the event log: (outcome, detail).
fn logged(app: &TestApp) -> Vec<(String, Option<String>)> {
    let conn = app.engine.db().conn();
    let mut stmt = conn
        .prepare(
            "SELECT json_extract(data, '$.outcome'), json_extract(data, '$.detail') FROM events
             WHERE kind = 'store_opt_out' ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// The `store_opt_in` entries of the event log: (outcome, optedInAt).
fn logged_opt_ins(app: &TestApp) -> Vec<(String, Option<String>)> {
    let conn = app.engine.db().conn();
    let mut stmt = conn
        .prepare(
            "SELECT json_extract(data, '$.outcome'), json_extract(data, '$.optedInAt') FROM events
             WHERE kind = 'store_opt_in' ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// The marketing consent the cart of Shopify checkout `id` carries after the last sync.
fn cart_consent(app: &TestApp, id: u64) -> Option<bool> {
    app.engine
        .db()
        .conn()
        .query_row("SELECT marketing_consent FROM carts WHERE external_id = ?1", [id.to_string()], |r| {
            r.get(0)
        })
        .unwrap()
}

/// Consent mutations the sandbox received.
fn mutations(sandbox: &Sandbox) -> usize {
    sandbox.requests().iter().filter(|r| r.query.contains("whatsAppMarketingConsent")).count()
}

fn outcomes(round: &OptOutWrites) -> Vec<&str> {
    round.done.iter().map(|(_, _, o)| o.as_str()).collect()
}

#[tokio::test]
async fn consent_is_whatsapps_from_2026_07_smss_before_and_none_elsewhere() {
    // A store pinned to an older version (the connector's default reads WhatsApp's consent).
    let (app, sandbox, _) = shopify(Some("2026-01")).await;
    let now = app.clock.now();
    let own_phone: Vec<_> = sandbox
        .checkouts(Platform::Shopify)
        .into_iter()
        .filter(|c| c.phone_in == PhoneField::Customer && c.phone.is_some() && c.created_at <= now)
        .collect();
    // Two customers whose WhatsApp consent says the opposite of their SMS consent.
    let sms_yes = own_phone.iter().find(|c| c.consent == Some(true)).expect("an SMS subscriber").id;
    let sms_no = own_phone.iter().find(|c| c.consent == Some(false)).expect("an SMS non-subscriber").id;
    sandbox.set_shopify_whatsapp_consent(sms_yes, "UNSUBSCRIBED");
    sandbox.set_shopify_whatsapp_consent(sms_no, "SUBSCRIBED");
    let consent_of = |report: &recupero::stores::StoreCheckReport, id: u64| {
        report.carts.iter().find(|c| c.checkout_id == id.to_string()).unwrap().marketing_consent
    };

    let base = StoreInput { api_version: Some("2026-01".into()), ..store_input(&sandbox, Platform::Shopify) };
    let old = app.engine.store_check(&base, usize::MAX).await.unwrap();
    assert_eq!(old.consent, ConsentSource::SmsStandIn);
    assert_eq!(consent_of(&old, sms_yes), Some(true), "2026-01: the SMS consent stands in");
    assert_eq!(consent_of(&old, sms_no), Some(false));

    let input = StoreInput { api_version: Some("2026-07".into()), ..base.clone() };
    let new = app.engine.store_check(&input, usize::MAX).await.unwrap();
    assert_eq!(new.consent, ConsentSource::Whatsapp);
    assert_eq!(consent_of(&new, sms_yes), Some(false), "2026-07: WhatsApp's own consent");
    assert_eq!(consent_of(&new, sms_no), Some(true));
    assert_eq!(new.carts.len(), old.carts.len());

    for platform in [Platform::Tiendanube, Platform::Woocommerce] {
        let report = app.engine.store_check(&store_input(&sandbox, platform), 5).await.unwrap();
        assert_eq!(report.consent, ConsentSource::NotRecorded, "{platform}");
        assert!(report.carts.iter().all(|c| c.marketing_consent.is_none()), "{platform}");
    }

    // The sandbox refuses the field before 2026-07, as Shopify does.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let ask = |version: &str| {
        http.post(format!("{}/admin/api/{version}/graphql.json", sandbox.base_url()))
            .header("X-Shopify-Access-Token", &sandbox.config().token)
            .json(&json!({ "query": "{ abandonedCheckouts(first: 1) { nodes { customer { \
                defaultPhoneNumber { phoneNumber whatsAppMarketingConsent { state } } } } } }" }))
            .send()
    };
    let refused: serde_json::Value = ask("2026-04").await.unwrap().json().await.unwrap();
    let error = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(error.contains("whatsAppMarketingConsent"), "{refused}");
    let answered: serde_json::Value = ask("2026-07").await.unwrap().json().await.unwrap();
    assert!(answered["errors"].is_null(), "{answered}");
}

#[tokio::test]
async fn a_whatsapp_opt_out_is_written_to_the_shopify_customer_once() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    sandbox.grant_shopify_write_customers(true);
    let people = customers(&app, &sandbox, store, 4).await;
    let (ana, ana_phone) = people[0].clone();
    let (bea, _) = people[1].clone();
    sandbox.set_shopify_whatsapp_consent(ana, "SUBSCRIBED");
    sandbox.set_shopify_whatsapp_consent(bea, "SUBSCRIBED");

    // Off by default: the opt-out is Recupero's alone.
    stop_on_whatsapp(&app, &ana_phone, 1);
    assert!(opted_out(&app, &ana_phone));
    assert_eq!(app.engine.write_store_opt_outs().await.unwrap(), OptOutWrites::default());
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("SUBSCRIBED"));

    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["written"], "{round:?}");
    assert_eq!(round.done[0].1, store);
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("UNSUBSCRIBED"));
    assert_eq!(
        sandbox.shopify_whatsapp_consent(bea).as_deref(),
        Some("SUBSCRIBED"),
        "only the one who asked"
    );
    assert_eq!(mutations(&sandbox), 1);
    assert_eq!(logged(&app), [("written".to_string(), None)]);

    // Written once: later rounds find nothing to do and ask Shopify nothing.
    let asked = sandbox.requests().len();
    assert_eq!(app.engine.write_store_opt_outs().await.unwrap(), OptOutWrites::default());
    assert_eq!(sandbox.requests().len(), asked);

    // A customer already unsubscribed in Shopify: nothing to change, no mutation. One who never
    // subscribed: the opt-out is recorded as UNSUBSCRIBED, as Shopify advises.
    let (cid, cid_phone) = people[2].clone();
    let (dee, dee_phone) = people[3].clone();
    sandbox.set_shopify_whatsapp_consent(cid, "UNSUBSCRIBED");
    sandbox.set_shopify_whatsapp_consent(dee, "NOT_SUBSCRIBED");
    stop_on_whatsapp(&app, &cid_phone, 2);
    stop_on_whatsapp(&app, &dee_phone, 3);
    let round = app.engine.write_store_opt_outs().await.unwrap();
    let mut got = outcomes(&round);
    got.sort();
    assert_eq!(got, ["already_off", "written"], "{round:?}");
    assert_eq!(mutations(&sandbox), 2, "one more, for the one who never subscribed");
    assert_eq!(sandbox.shopify_whatsapp_consent(dee).as_deref(), Some("UNSUBSCRIBED"));
}

#[tokio::test]
async fn an_opt_out_survives_a_restart_and_a_failure_for_now_is_tried_again() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    sandbox.grant_shopify_write_customers(true);
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    let people = customers(&app, &sandbox, store, 1).await;
    let (ana, phone) = people[0].clone();
    sandbox.set_shopify_whatsapp_consent(ana, "SUBSCRIBED");
    stop_on_whatsapp(&app, &phone, 1);

    // The app stops before any round ran: the next process finds the opt-out in the database
    // (its keychain still holds the store's token).
    let secrets = Arc::new(MemorySecretStore::default());
    let token = Sensitive::new(sandbox.config().token.clone());
    secrets.set_scoped(SecretName::StoreToken, &format!("store-{store}"), token).unwrap();
    let reopened = Engine::build(EngineOptions {
        paths: AppPaths::resolve(Some(app.dir.path())).unwrap(),
        secrets,
        clock: Arc::new(app.clock.clone()),
        demo: false,
    })
    .unwrap();
    sandbox.inject(Platform::Shopify, Fault::Status { status: 503, retry_after: None });
    let round = reopened.write_store_opt_outs().await.unwrap();
    assert_eq!((round.done.len(), round.retry), (0, 1), "Shopify down: nothing recorded, tried again");
    assert!(logged(&app).is_empty());
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("SUBSCRIBED"));

    let round = reopened.write_store_opt_outs().await.unwrap();
    assert_eq!((outcomes(&round), round.retry), (vec!["written"], 0));
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("UNSUBSCRIBED"));
    assert!(opted_out(&app, &phone));
}

#[tokio::test]
async fn without_write_customers_the_opt_out_holds_locally_and_the_owner_is_told_once() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    let people = customers(&app, &sandbox, store, 3).await;
    for (id, _) in &people {
        sandbox.set_shopify_whatsapp_consent(*id, "SUBSCRIBED");
    }
    let mut events = app.engine.events().subscribe();
    stop_on_whatsapp(&app, &people[0].1, 1);
    stop_on_whatsapp(&app, &people[1].1, 2);

    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["access_denied", "access_denied"], "{round:?}");
    assert_eq!(mutations(&sandbox), 1, "the second opt-out isn't sent to a store that just refused");
    for (id, phone) in &people[..2] {
        assert!(opted_out(&app, phone), "Recupero's opt-out holds");
        assert_eq!(sandbox.shopify_whatsapp_consent(*id).as_deref(), Some("SUBSCRIBED"));
    }
    let log = logged(&app);
    assert_eq!(log.len(), 2);
    assert!(log[0].1.as_deref().unwrap_or_default().contains("write_customers"), "{log:?}");

    // A third opt-out, refused the same way: logged, the owner not told again.
    app.clock.advance(Duration::minutes(2));
    stop_on_whatsapp(&app, &people[2].1, 3);
    assert_eq!(outcomes(&app.engine.write_store_opt_outs().await.unwrap()), ["access_denied"]);
    let mut told = 0;
    while let Ok(event) = events.try_recv() {
        if event == (EngineEvent::NeedsOwner { problem: OwnerProblem::StoreOptOutRefused }) {
            told += 1;
        }
    }
    assert_eq!(told, 1, "told once while the refusals last");

    // The owner grants the scope: the next opt-out goes through (the refused ones stay refused).
    sandbox.grant_shopify_write_customers(true);
    let (dee, dee_phone) = customers(&app, &sandbox, store, 4).await[3].clone();
    sandbox.set_shopify_whatsapp_consent(dee, "SUBSCRIBED");
    stop_on_whatsapp(&app, &dee_phone, 4);
    assert_eq!(outcomes(&app.engine.write_store_opt_outs().await.unwrap()), ["written"]);
    assert_eq!(sandbox.shopify_whatsapp_consent(dee).as_deref(), Some("UNSUBSCRIBED"));
}

#[tokio::test]
async fn before_2026_07_nothing_is_written_and_the_owner_hears_why() {
    let (app, sandbox, store) = shopify(Some("2026-01")).await;
    sandbox.grant_shopify_write_customers(true);
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    let people = customers(&app, &sandbox, store, 1).await;
    let mut events = app.engine.events().subscribe();
    stop_on_whatsapp(&app, &people[0].1, 1);
    let asked = sandbox.requests().len();
    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["unsupported_version"]);
    assert_eq!(sandbox.requests().len(), asked, "nothing sent: 2026-01 has no WhatsApp consent");
    let log = logged(&app);
    assert!(log[0].1.as_deref().unwrap_or_default().contains("2026-01"), "{log:?}");
    assert!(opted_out(&app, &people[0].1));
    let told = std::iter::from_fn(|| events.try_recv().ok())
        .any(|e| e == EngineEvent::NeedsOwner { problem: OwnerProblem::StoreOptOutRefused });
    assert!(told);
}

#[tokio::test]
async fn a_customer_whose_default_phone_is_another_number_is_left_alone() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    sandbox.grant_shopify_write_customers(true);
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    // The phone came from the shipping address: Shopify's WhatsApp consent belongs to the
    // customer's default number, which isn't this one.
    let now = app.clock.now();
    let shipping = sandbox
        .checkouts(Platform::Shopify)
        .into_iter()
        .find(|c| c.phone_in == PhoneField::Shipping && c.created_at <= now && c.completes_at.is_none())
        .expect("a checkout with the phone on the shipping address")
        .id;
    sandbox.set_phone(Platform::Shopify, shipping, Some("+54 9 11 6000-0777"));
    sandbox.touch(Platform::Shopify, shipping, now);
    app.clock.advance(Duration::minutes(1));
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    stop_on_whatsapp(&app, "+5491160000777", 1);
    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["other_phone"]);
    assert_eq!(mutations(&sandbox), 0);
    assert_eq!(logged(&app), [("other_phone".to_string(), None)]);
}

#[tokio::test]
async fn the_sandbox_mutation_answers_as_shopify_documents_it() {
    let (app, sandbox, _) = shopify(None).await;
    let now = app.clock.now();
    let with_phone = sandbox
        .checkouts(Platform::Shopify)
        .into_iter()
        .find(|c| c.phone_in == PhoneField::Customer && c.phone.is_some() && c.created_at <= now)
        .unwrap()
        .id;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mutate = |version: &'static str, customer: String, state: &'static str| {
        let query = recupero::stores::shopify::consent::OPT_OUT_MUTATION;
        let input = json!({ "customerId": customer, "whatsAppMarketingConsent": { "state": state } });
        let request = http
            .post(format!("{}/admin/api/{version}/graphql.json", sandbox.base_url()))
            .header("X-Shopify-Access-Token", &sandbox.config().token)
            .json(&json!({ "query": query, "variables": { "input": input } }));
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let customer = format!("gid://shopify/Customer/{with_phone}");
    let code =
        |answer: &serde_json::Value| answer["errors"][0]["extensions"]["code"].as_str().map(String::from);

    let old = mutate("2026-04", customer.clone(), "UNSUBSCRIBED").await;
    assert_eq!(code(&old).as_deref(), Some("undefinedField"), "{old}");
    let denied = mutate("2026-07", customer.clone(), "UNSUBSCRIBED").await;
    assert_eq!(code(&denied).as_deref(), Some("ACCESS_DENIED"), "{denied}");
    assert!(denied["data"]["customerWhatsAppMarketingConsentUpdate"].is_null());

    sandbox.grant_shopify_write_customers(true);
    let errors = |answer: &serde_json::Value| {
        answer["data"]["customerWhatsAppMarketingConsentUpdate"]["userErrors"][0]["code"]
            .as_str()
            .map(String::from)
    };
    let unknown = mutate("2026-07", "gid://shopify/Customer/1".into(), "UNSUBSCRIBED").await;
    assert_eq!(errors(&unknown).as_deref(), Some("INVALID"), "{unknown}");
    let read_only = mutate("2026-07", customer.clone(), "NOT_SUBSCRIBED").await;
    assert_eq!(errors(&read_only).as_deref(), Some("INCLUSION"), "{read_only}");
    let done = mutate("2026-07", customer, "UNSUBSCRIBED").await;
    let payload = &done["data"]["customerWhatsAppMarketingConsentUpdate"];
    assert_eq!(payload["userErrors"], json!([]), "{done}");
    assert_eq!(payload["customerPhoneNumber"]["whatsAppMarketingConsent"]["state"], "UNSUBSCRIBED");
    assert_eq!(sandbox.shopify_whatsapp_consent(with_phone).as_deref(), Some("UNSUBSCRIBED"));
}

#[tokio::test]
async fn an_unsigned_stop_stops_our_messages_but_is_never_written_to_shopify() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    sandbox.grant_shopify_write_customers(true);
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    let people = customers(&app, &sandbox, store, 1).await;
    let (ana, phone) = people[0].clone();
    sandbox.set_shopify_whatsapp_consent(ana, "SUBSCRIBED");

    // A STOP in an unsigned delivery (anyone who learned the webhook's address could send it).
    say_on_whatsapp(&app, &phone, "wamid.forged", "STOP", false);
    assert!(opted_out(&app, &phone), "our own messages stop");
    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["unsigned"], "{round:?}");
    assert_eq!(mutations(&sandbox), 0, "Shopify is not asked");
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("SUBSCRIBED"));
    let log = logged(&app);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, "unsigned");
    assert!(
        log[0].1.as_deref().unwrap_or_default().contains("unsigned webhook"),
        "the owner sees why: {log:?}"
    );
    assert_eq!(app.engine.write_store_opt_outs().await.unwrap(), OptOutWrites::default(), "recorded once");

    // The customer says it themselves, in a signed delivery: now Shopify hears it.
    app.clock.advance(Duration::minutes(1));
    stop_on_whatsapp(&app, &phone, 1);
    let round = app.engine.write_store_opt_outs().await.unwrap();
    assert_eq!(outcomes(&round), ["written"], "{round:?}");
    assert_eq!(sandbox.shopify_whatsapp_consent(ana).as_deref(), Some("UNSUBSCRIBED"));
    assert_eq!(mutations(&sandbox), 1);
}

#[tokio::test]
async fn an_opt_in_after_a_written_opt_out_is_written_back_as_subscribed() {
    let (app, sandbox, store) = shopify(Some("2026-07")).await;
    sandbox.grant_shopify_write_customers(true);
    app.engine.setting_set("store_write_opt_out", "true").unwrap();
    app.engine.setting_set("consent_only", "true").unwrap();
    let people = customers(&app, &sandbox, store, 2).await;
    let (ana, phone) = people[0].clone();
    let (bea, bea_phone) = people[1].clone();
    for id in [ana, bea] {
        sandbox.set_shopify_whatsapp_consent(id, "SUBSCRIBED");
    }
    stop_on_whatsapp(&app, &phone, 1);
    stop_on_whatsapp(&app, &bea_phone, 2);
    assert_eq!(outcomes(&app.engine.write_store_opt_outs().await.unwrap()), ["written", "written"]);
    app.clock.advance(Duration::minutes(1));
    sandbox.touch(Platform::Shopify, ana, app.clock.now());
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    assert_eq!(cart_consent(&app, ana), Some(false), "the sync reads the UNSUBSCRIBED we wrote");

    // A day later Ana asks to hear from the shop again, in her own words.
    app.clock.advance(Duration::days(1));
    let said = app.clock.now();
    say_on_whatsapp(&app, &phone, "wamid.alta", "ALTA", true);
    assert!(!opted_out(&app, &phone));
    // Bea too, but Shopify heard from her again after that (another tool): her newer word stands.
    say_on_whatsapp(&app, &bea_phone, "wamid.alta2", "ALTA", true);
    let later = (said + Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    sandbox.set_shopify_whatsapp_consent_at(bea, "UNSUBSCRIBED", Some(&later));
    let asked = mutations(&sandbox);
    let round = app.engine.write_store_opt_outs().await.unwrap();
    let mut got = outcomes(&round);
    got.sort();
    assert_eq!(got, ["changed_there", "written"], "{round:?}");
    assert_eq!(mutations(&sandbox), asked + 1, "one mutation, Ana's");
    let consent = sandbox.shopify_whatsapp_consent_object(ana).unwrap();
    assert_eq!(consent["state"], "SUBSCRIBED", "{consent}");
    assert_eq!(consent["optInLevel"], "SINGLE_OPT_IN", "{consent}");
    assert_eq!(consent["updatedAt"], said.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "as of when she said it");
    assert_eq!(sandbox.shopify_whatsapp_consent(bea).as_deref(), Some("UNSUBSCRIBED"));
    let log = logged_opt_ins(&app);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|(_, at)| at.is_some()), "{log:?}");

    // Once: later rounds ask Shopify nothing; the next sync reads her consent back.
    assert_eq!(app.engine.write_store_opt_outs().await.unwrap(), OptOutWrites::default());
    app.clock.advance(Duration::minutes(1));
    sandbox.touch(Platform::Shopify, ana, app.clock.now());
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    assert_eq!(cart_consent(&app, ana), Some(true), "with consent_only on, she can hear from the shop again");
}
