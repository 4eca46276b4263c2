//! The recovery message preview in Settings: the outbox's own parameters on a sample cart of
//! this shop, and what would stop the real send, as problem codes.

use recupero::domain::TemplateState;
use recupero::engine::MessagePreview;
use recupero::storage::stores::{self, NewStore};
use recupero::storage::templates::{self, TemplateRow};
use rstest::rstest;

use crate::support::{spawn_app, TestApp};

/// A shop in Argentina whose name an owner typed with a line break and an emoji.
fn shop() -> TestApp {
    let app = spawn_app();
    stores::upsert(
        &app.engine.db().conn(),
        &NewStore {
            platform: "tiendanube",
            name: "Tienda\nLuna  🌙",
            base_url: "https://tiendaluna.example",
            external_id: Some("1"),
            country: "AR",
            options: "{}",
        },
        "2026-11-20T13:00:00Z",
    )
    .unwrap();
    app
}

fn template(app: &TestApp, language: &str, status: &str, button_url: &str, header: Option<&str>) {
    templates::upsert(
        &app.engine.db().conn(),
        &TemplateRow {
            template: TemplateState {
                name: "recupero_carrito".into(),
                language: language.into(),
                status: status.into(),
                body_params: Some(4),
                header_format: header.map(String::from),
                button_url: Some(button_url.into()),
                ..Default::default()
            },
            checked_at: "2026-11-20T13:00:00Z".into(),
            ..Default::default()
        },
    )
    .unwrap();
}

fn preview(app: &TestApp, language: &str) -> MessagePreview {
    app.engine.message_preview(Some(language)).expect("a preview for every supported language")
}

#[test]
fn approved_template_shows_the_sample_cart_as_the_customer_reads_it() {
    let app = shop();
    template(&app, "es_AR", "APPROVED", "https://tiendaluna.example/{{1}}", None);

    let p = preview(&app, "es");

    assert_eq!(p.problems, Vec::<String>::new(), "an approved template that fits the store's links can go");
    assert_eq!((p.language.as_str(), p.status.as_deref()), ("es_AR", Some("APPROVED")));
    assert!(p.body.starts_with("¡Hola Ana! Guardamos tu carrito en Tienda Luna 🌙:"), "{}", p.body);
    assert!(
        p.body.contains("Remera Luna 🌙 (M) x2, Gorra bordada ⭐ (U) x1 y 1 más"),
        "the outbox's summary: two items, then how many more: {}",
        p.body
    );
    // 2 × 15990 + 8500.50 + 4200, as es-AR formats it; the parameter cleaner turns the
    // format's no-break space into a plain one, as in the real send.
    assert!(p.body.contains("Total: $ 44.680,50."), "the exact total, formatted: {}", p.body);
    assert!(!p.body.contains('\n') && !p.body.contains("  "), "parameters are cleaned like the real send");
    assert!(!p.body.contains("{{"), "every placeholder is filled: {}", p.body);
    assert_eq!(p.button_text.as_deref(), Some("Ver mi carrito"));
    assert_eq!(p.quick_reply_text.as_deref(), Some("Detener promociones"), "the marketing opt-out button");
    assert_eq!(p.button_url.as_deref(), Some("https://tiendaluna.example/checkout/recover/preview"));
    assert!(!p.image_header);
}

#[test]
fn a_store_link_outside_the_approved_button_prefix_is_a_problem_but_still_shown() {
    let app = shop();
    template(&app, "es_AR", "APPROVED", "https://otra-tienda.example/{{1}}", Some("IMAGE"));

    let p = preview(&app, "es");

    assert_eq!(p.problems, vec!["recovery_url_mismatch"], "the outbox would skip this cart");
    assert!(p.body.contains("Tienda Luna 🌙"), "the words still show: {}", p.body);
    assert_eq!(p.button_url.as_deref(), Some("https://tiendaluna.example/checkout/recover/preview"));
    assert!(p.image_header, "the header stays as approved");
}

#[rstest]
#[case::under_review("PENDING", "template_not_approved")]
#[case::rejected("REJECTED", "template_not_approved")]
fn a_template_not_approved_yet_is_a_problem(#[case] status: &str, #[case] problem: &str) {
    let app = shop();
    template(&app, "pt_BR", status, "https://tiendaluna.example/{{1}}", Some("IMAGE"));

    let p = preview(&app, "pt_BR");

    assert_eq!(p.problems, vec![problem]);
    assert_eq!(p.status.as_deref(), Some(status));
    assert!(p.body.starts_with("Olá Ana!"), "{}", p.body);
    assert!(p.image_header);
}

#[test]
fn a_language_without_a_template_is_previewed_as_recupero_would_create_it() {
    let app = shop();
    template(&app, "es_AR", "APPROVED", "https://tiendaluna.example/{{1}}", None);

    let p = preview(&app, "en");

    assert_eq!(p.problems, vec!["template_missing"]);
    assert_eq!(p.status, None);
    assert!(p.body.starts_with("Hi Ann! We saved your cart at Tienda Luna 🌙"), "{}", p.body);
    assert!(p.body.contains("Moon T-shirt 🌙 (M) x2, Embroidered cap ⭐ (U) x1 and 1 more"), "{}", p.body);
    assert_eq!(p.button_url.as_deref(), Some("https://tiendaluna.example/checkout/recover/preview"));
}

#[test]
fn without_a_store_the_preview_says_so_and_an_unknown_language_is_refused() {
    let app = spawn_app();

    let p = app.engine.message_preview(None).unwrap();

    assert!(p.problems.contains(&"no_store".to_string()), "{:?}", p.problems);
    assert!(!p.body.is_empty());
    let err = app.engine.message_preview(Some("fr")).unwrap_err();
    assert_eq!(err.code(), "invalid");
}

/// An owner who wrote their own template under the recovery name in WhatsApp Manager: the
/// preview shows their approved wording (as Meta lists it), filled by the outbox's parameters,
/// with their button and no footer — not the text Recupero would have submitted.
#[tokio::test]
async fn the_accounts_own_wording_is_what_the_preview_shows() {
    use recupero::sandbox::whatsapp::{
        TemplateDefinition, UrlButton, WhatsAppSandbox, WhatsAppSandboxConfig,
    };
    let app = shop();
    let own = TemplateDefinition {
        id: String::new(),
        name: recupero::sandbox::whatsapp::TEMPLATE.into(),
        language: "es_AR".into(),
        status: "APPROVED".into(),
        category: "MARKETING".into(),
        header: None,
        body: "{{1}}, tu pedido en {{2}} sigue guardado ({{3}}; {{4}}). ¿Lo terminamos?".into(),
        body_example: ["Ana", "Tienda", "Remera x1", "$ 1.000"].map(String::from).to_vec(),
        footer: None,
        url_button: Some(UrlButton {
            text: "Terminar compra".into(),
            url: "https://tiendaluna.example/{{1}}".into(),
        }),
        quick_replies: Vec::new(),
        approves_at: None,
    };
    let config = WhatsAppSandboxConfig { templates: Some(vec![own]), ..Default::default() };
    let wa = WhatsAppSandbox::start(config, std::sync::Arc::new(app.clock.clone()), 0).await.unwrap();
    app.engine.use_sender(std::sync::Arc::new(crate::support::shop::cloud_client(&wa)));

    // Before WhatsApp was asked, nothing is known: Recupero's own text, and the template missing.
    let before = preview(&app, "es");
    assert!(before.body.starts_with("¡Hola Ana! Guardamos tu carrito"), "{}", before.body);
    assert_eq!(before.problems, ["template_missing"]);

    app.engine.whatsapp_check().await.unwrap();
    let p = preview(&app, "es");
    assert_eq!(p.problems, Vec::<String>::new());
    assert!(
        p.body.starts_with("Ana, tu pedido en Tienda Luna 🌙 sigue guardado (Remera Luna 🌙 (M) x2"),
        "{}",
        p.body
    );
    assert!(p.body.ends_with("$ 44.680,50). ¿Lo terminamos?"), "{}", p.body);
    assert_eq!(p.footer, "", "their template has no footer");
    assert_eq!(p.button_text.as_deref(), Some("Terminar compra"));
    assert_eq!(p.quick_reply_text, None, "their template has no quick reply");
    assert_eq!(p.button_url.as_deref(), Some("https://tiendaluna.example/checkout/recover/preview"));
}
