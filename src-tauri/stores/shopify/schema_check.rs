//! Every GraphQL document the connector sends ([`super::documents`], the texts themselves),
//! validated against Shopify's Admin schema by `tools/shopify-schema/validate.mjs`: the 2025-01
//! introspection shipped in `@shopify/dev-mcp@1.1.0`, plus the documented later additions
//! (`tools/shopify-schema/extensions/`), at each API version the document is sent with. Offline:
//! the tool's `node_modules` come from `npm ci` at set-up (`scripts/setup.sh --test`).
//!
//! Without those `node_modules` (or without `node`) the tests say SKIPPED, unless
//! `RECUPERO_SHOPIFY_SCHEMA=1` (set by `scripts/test.sh`), which makes that a failure.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::{documents, DEFAULT_VERSION, WHATSAPP_CONSENT_SINCE};

/// The API versions the connector is checked at: an older one still in use, the first with the customer's
/// default phone and email, the last without WhatsApp consent, the first with it, and the default.
const VERSIONS: [&str; 5] = ["2026-01", "2025-04", "2026-04", WHATSAPP_CONSENT_SINCE, DEFAULT_VERSION];

/// The validator script, when it can run here.
fn validator() -> Option<PathBuf> {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/shopify-schema");
    let schema = tool.join("node_modules/@shopify/dev-mcp/data/admin_schema_2025-01.json.gz");
    let ready = schema.is_file()
        && tool.join("node_modules/graphql/package.json").is_file()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if ready {
        return Some(tool.join("validate.mjs"));
    }
    let why = format!(
        "{} or node is missing (run `npm ci --ignore-scripts` in tools/shopify-schema)",
        schema.display()
    );
    assert!(std::env::var("RECUPERO_SHOPIFY_SCHEMA").as_deref() != Ok("1"), "{why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// Each document's schema errors (empty: valid), in order, and whether the tool exited 0.
fn validate(script: &PathBuf, docs: &[(String, &str, String)]) -> (Vec<Vec<String>>, Vec<Vec<String>>, bool) {
    let input = json!({ "documents": docs.iter().map(|(name, version, document)| {
        json!({ "name": name, "version": version, "document": document })
    }).collect::<Vec<_>>() });
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "the validator could not run: {stderr}");
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), docs.len());
    let list = |r: &Value, key: &str| -> Vec<String> {
        r[key].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
    };
    let errors = results.iter().map(|r| list(r, "errors")).collect();
    let deprecated = results.iter().map(|r| list(r, "deprecated")).collect();
    (errors, deprecated, out.status.success())
}

#[test]
fn every_document_the_connector_sends_is_valid_in_shopifys_schema() {
    let Some(script) = validator() else { return };
    let docs: Vec<(String, &str, String)> = VERSIONS
        .iter()
        .flat_map(|v| documents(v).into_iter().map(move |(name, doc)| (name.to_string(), *v, doc)))
        .collect();
    assert_eq!(
        docs.len(),
        3 * 6 + 2 * 8,
        "six documents before 2026-07 (three of them coupons), eight from it"
    );
    let (errors, deprecated, ok) = validate(&script, &docs);
    for ((name, version, doc), errors) in docs.iter().zip(&errors) {
        assert!(errors.is_empty(), "{name} at {version}: {errors:?}\n{doc}");
        // Each operation is named as the list says, so the log and the list agree.
        assert!(doc.contains(name.as_str()), "{name}");
    }
    for ((name, version, _), used) in docs.iter().zip(&deprecated) {
        assert!(used.is_empty(), "{name} at {version} uses deprecated fields: {used:?}");
    }
    assert!(ok, "the validator exits 0 when every document is valid");
}

#[test]
fn the_schema_check_fails_on_an_invented_field() {
    let Some(script) = validator() else { return };
    let list = documents(DEFAULT_VERSION).remove(0).1;
    let invented = list.replacen("abandonedCheckoutUrl", "abandonedCheckoutUrl recoveryWhatsAppLink", 1);
    let bad_argument = list.replacen("sortKey: ID", "sortKey: ID, orderBy: NEWEST", 1);
    let bad_type = list.replacen("$first: Int!", "$first: String!", 1);
    assert!(invented != list && bad_argument != list && bad_type != list);
    let docs = vec![
        ("invented field".to_string(), DEFAULT_VERSION, invented),
        ("invented argument".to_string(), DEFAULT_VERSION, bad_argument),
        ("wrong variable type".to_string(), DEFAULT_VERSION, bad_type),
        ("as sent".to_string(), DEFAULT_VERSION, list),
    ];
    let (errors, _, ok) = validate(&script, &docs);
    assert_eq!(errors[0], ["Cannot query field \"recoveryWhatsAppLink\" on type \"AbandonedCheckout\"."]);
    assert!(errors[1].iter().any(|e| e.contains("Unknown argument \"orderBy\"")), "{:?}", errors[1]);
    assert!(errors[2].iter().any(|e| e.contains("\"$first\" of type \"String!\"")), "{:?}", errors[2]);
    assert!(errors[3].is_empty(), "{:?}", errors[3]);
    assert!(!ok, "one invalid document fails the check");
}

#[test]
fn the_whatsapp_consent_documents_are_refused_before_2026_07() {
    let Some(script) = validator() else { return };
    // What the connector sends from 2026-07, checked against 2026-04's schema: the connector's
    // version gate and the schema's must agree.
    let docs: Vec<(String, &str, String)> = documents(WHATSAPP_CONSENT_SINCE)
        .into_iter()
        .filter(|(_, doc)| doc.contains("whatsApp"))
        .map(|(name, doc)| (name.to_string(), "2026-04", doc))
        .collect();
    assert_eq!(docs.len(), 4, "both checkout queries, the customer query and the mutation");
    let (errors, _, _) = validate(&script, &docs);
    for ((name, _, _), errors) in docs.iter().zip(&errors) {
        assert!(
            errors
                .iter()
                .any(|e| e.contains("whatsAppMarketingConsent") || e.contains("WhatsAppMarketingConsent")),
            "{name}: {errors:?}"
        );
    }
    // And before 2025-04 the customer's default phone doesn't exist either.
    let list = documents(DEFAULT_VERSION).remove(0);
    let (errors, _, _) = validate(&script, &[(list.0.to_string(), "2025-01", list.1)]);
    assert!(errors[0].iter().any(|e| e.contains("defaultPhoneNumber")), "{errors:?}");
}
