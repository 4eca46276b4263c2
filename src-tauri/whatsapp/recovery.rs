//! The recovery message: one cart's template message, shaped after the approved template —
//! its body parameters, the URL button's suffix, the image header — and the languages it may be
//! sent in. Guarantees: every parameter is one Meta accepts (no newlines, no runs of spaces, no
//! control characters, never empty, cut to length), so a send never fails for its own values;
//! the customer's first name is used only when it can't carry a link (else a generic greeting).

use crate::domain::customer;
use crate::domain::{Language, LineItem, Money, TemplateState};

use super::OutgoingTemplate;

mod offer;
pub use offer::{coupon_offer, with_coupon, OFFER_PARAMETER_CHARS, PRODUCTS_CHARS};

/// What the recovery message says about one cart and its customer.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryCart<'a> {
    /// E.164 with the `+` (empty when unknown: the pre-send checks skip such carts).
    pub to: &'a str,
    pub first_name: Option<&'a str>,
    pub store_name: &'a str,
    pub store_country: &'a str,
    pub items: &'a [LineItem],
    pub total: &'a str,
    pub currency: &'a str,
    pub recovery_url: Option<&'a str>,
    /// The send's idempotency key, echoed back by Meta in status webhooks.
    pub callback_data: &'a str,
}

/// The languages a customer's message may use, best first: the customer's (with the store's
/// country, then plain), then the shop's own.
pub fn language_candidates(customer_language: Option<&str>, store_country: &str) -> Vec<String> {
    let shop = match store_country {
        "BR" | "PT" => Language::Pt,
        "US" | "GB" => Language::En,
        _ => Language::Es,
    };
    let customer = customer_language.and_then(Language::parse).unwrap_or(shop.clone());
    let mut out: Vec<String> = Vec::new();
    for lang in [customer, shop] {
        let exact = template_language(lang.code(), store_country);
        let plain: &[&str] = match lang {
            Language::Pt => &["pt_BR", "pt_PT"],
            Language::En | Language::Other(_) => &["en", "en_US", "en_GB"],
            Language::Es => &["es", "es_AR", "es_MX", "es_ES"],
        };
        for l in std::iter::once(exact.as_str()).chain(plain.iter().copied()) {
            if !out.iter().any(|o| o == l) {
                out.push(l.to_string());
            }
        }
    }
    out
}

/// The template message for a cart, shaped after the approved template `t`: {{1}} first name,
/// {{2}} store name, {{3}} products (readable within their budget, which in the older
/// three-parameter template leaves a coupon's offer its room: see [`with_coupon`]), {{4}}
/// total, the URL button's suffix when the template has
/// one, the first product image when its header is an image. `Err(reason)`: this cart can't be
/// sent with this template.
pub fn message(cart: &RecoveryCart<'_>, t: &TemplateState) -> Result<OutgoingTemplate, &'static str> {
    let language = template_language_of(&t.language);
    let items = cart.items;
    let summary = offer::products_within(items, offer::products_budget(t), &language);
    let locale = format!("{}-{}", language.code(), cart.store_country);
    let total = Money::parse(cart.total, cart.currency)
        .map(|m| m.format(&locale))
        .unwrap_or_else(|_| format!("{} {}", cart.total, cart.currency));
    let values = BodyValues {
        first_name: cart.first_name,
        store_name: cart.store_name,
        products: &summary,
        total: &total,
    };
    let body = body_parameters(&values, t)?;
    let button_suffix = match t.button_url.as_deref() {
        Some(url) if url.ends_with("{{1}}") => {
            let link = cart.recovery_url.ok_or("no_recovery_link")?;
            Some(button_suffix_for(link, url).ok_or("recovery_url_mismatch")?)
        }
        _ => None,
    };
    let header_image = match t.header_format.as_deref() {
        Some("IMAGE") => {
            Some(items.iter().find_map(|i| i.image_url()).ok_or("no_product_image")?.to_string())
        }
        Some("TEXT") | None => None,
        Some(_) => return Err("template_mismatch"),
    };
    Ok(OutgoingTemplate {
        to: cart.to.to_string(),
        template: t.name.clone(),
        language: t.language.clone(),
        body,
        header_image,
        header_media_id: None,
        button_suffix,
        callback_data: cart.callback_data.to_string(),
    })
}

/// What the recovery template's body says, before it is shaped and cleaned.
#[derive(Debug, Clone, Copy)]
pub struct BodyValues<'a> {
    /// As stored; checked again here (see [`customer::first_name`]).
    pub first_name: Option<&'a str>,
    pub store_name: &'a str,
    pub products: &'a str,
    pub total: &'a str,
}

/// The language a template's code (`es_AR`) is in; Spanish when it can't be read.
fn template_language_of(code: &str) -> Language {
    Language::parse(code.split('_').next().unwrap_or("es")).unwrap_or(Language::Es)
}

/// The body parameters for the template `t`, in its placeholders' order: every value through
/// [`clean_parameter`], and a first name that is missing or could carry a link replaced by the
/// generic greeting word of the template's language. The one place a recovery template's body is
/// built (the cart's message, the preview, the owner's test message). `Err("template_mismatch")`:
/// the template has neither the four parameters nor the older three.
pub fn body_parameters(values: &BodyValues<'_>, t: &TemplateState) -> Result<Vec<String>, &'static str> {
    let generic = match template_language_of(&t.language) {
        Language::Pt | Language::Es => "cliente",
        Language::En | Language::Other(_) => "there",
    };
    let first_name = values.first_name.and_then(customer::first_name);
    let mut body = vec![
        clean_parameter(first_name.as_deref().unwrap_or(generic), 60),
        clean_parameter(values.store_name, 60),
        clean_parameter(
            if values.products.trim().is_empty() { "-" } else { values.products },
            PRODUCTS_CHARS,
        ),
        clean_parameter(values.total, 40),
    ];
    match t.body_params {
        Some(4) | None => {}
        // An older three-parameter template (store, name, products) still works.
        Some(3) => {
            body.truncate(3);
            body.swap(0, 1);
        }
        Some(_) => return Err("template_mismatch"),
    }
    Ok(body)
}

/// Meta's language code for a customer's language and the store's country.
pub fn template_language(language: &str, country: &str) -> String {
    let country = country.trim().to_ascii_uppercase();
    match language {
        "pt" => if country == "PT" { "pt_PT" } else { "pt_BR" }.to_string(),
        "en" => if country == "GB" { "en_GB" } else { "en_US" }.to_string(),
        _ => match country.as_str() {
            "AR" => "es_AR".into(),
            "MX" => "es_MX".into(),
            "ES" => "es_ES".into(),
            _ => "es".into(),
        },
    }
}

/// A template parameter as Meta accepts it: Meta refuses a parameter with a newline, a tab or
/// more than four spaces in a row, so every run of whitespace (any Unicode kind) becomes one
/// space; control characters are dropped; never empty (`-`). Long values are cut at a character
/// boundary. Idempotent for any limit at least the first one.
pub fn clean_parameter(value: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(value.len());
    let mut spaces = 0;
    for ch in value.chars() {
        let ch = if ch.is_whitespace() { ' ' } else { ch };
        if ch.is_control() {
            continue;
        }
        if ch == ' ' {
            spaces += 1;
            if spaces > 1 {
                continue;
            }
        } else {
            spaces = 0;
        }
        out.push(ch);
    }
    let trimmed = out.trim();
    let mut result: String = trimmed.chars().take(max_chars).collect();
    if trimmed.chars().count() > max_chars {
        result.pop();
        result.push('…');
    }
    if result.is_empty() {
        "-".into()
    } else {
        result
    }
}

/// The URL button's variable part when the approved button URL is `prefix` + `{{1}}`: what
/// follows the prefix in the recovery link, percent-encoded where Meta requires it. `None` when
/// the link does not start with the prefix (the template can't carry this cart's link).
pub fn button_suffix_for(recovery_url: &str, approved_url: &str) -> Option<String> {
    let prefix = approved_url.strip_suffix("{{1}}")?;
    let url = url::Url::parse(recovery_url).ok()?;
    let rest = url.as_str().strip_prefix(prefix).or_else(|| recovery_url.strip_prefix(prefix))?;
    encode_suffix(rest)
}

/// The URL button's variable part: the recovery link's path and query after its origin,
/// percent-encoded where Meta requires it. The template's fixed URL is the shop's origin + `/`.
pub fn button_suffix(recovery_url: &str) -> Option<String> {
    let url = url::Url::parse(recovery_url).ok()?;
    let mut rest = url.path().trim_start_matches('/').to_string();
    if let Some(q) = url.query() {
        rest.push('?');
        rest.push_str(q);
    }
    encode_suffix(&rest)
}

fn encode_suffix(rest: &str) -> Option<String> {
    let encoded: String = rest
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' | '?' | '=' | '&' | '%' => {
                c.to_string()
            }
            other => {
                let mut buf = [0u8; 4];
                other.encode_utf8(&mut buf).bytes().map(|b| format!("%{b:02X}")).collect()
            }
        })
        .collect();
    (!encoded.is_empty()).then_some(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_lose_newlines_and_runs_of_spaces() {
        assert_eq!(clean_parameter("Remera\nAzul\t\t  talle M", 60), "Remera Azul talle M");
        assert_eq!(clean_parameter("   ", 60), "-");
        assert_eq!(clean_parameter("مرحبا 👋 Ana", 60), "مرحبا 👋 Ana");
        let long = "ñ".repeat(100);
        let cut = clean_parameter(&long, 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
    }

    /// Meta refuses a parameter with a newline, a tab or more than four spaces in a row; control
    /// characters (a NUL, an escape) never reach a message either.
    #[test]
    fn parameters_lose_tabs_runs_of_spaces_and_control_characters() {
        assert_eq!(clean_parameter("Ana\r\n\n\tLuna     Store", 60), "Ana Luna Store");
        assert_eq!(clean_parameter("a\u{2028}b\u{85}c\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}d", 60), "a b c d");
        assert_eq!(clean_parameter("Luna\u{0}\u{1b}[31m\u{7}", 60), "Luna[31m");
        assert_eq!(clean_parameter("\u{0}\u{1}", 60), "-");
        assert_eq!(
            clean_parameter("Zoë 👩\u{200d}👩\u{200d}👧 \u{200f}نور", 60),
            "Zoë 👩\u{200d}👩\u{200d}👧 \u{200f}نور"
        );
    }

    fn cart_named(first_name: Option<&str>) -> RecoveryCart<'_> {
        RecoveryCart {
            to: "+5491100000000",
            first_name,
            store_name: "Luna\n\tStore     AR",
            store_country: "AR",
            items: &[],
            total: "10",
            currency: "ARS",
            recovery_url: None,
            callback_data: "recupero:1:0",
        }
    }

    /// A name stored before names were checked (or edited by hand) is checked again when the
    /// message is built: a link-like one gets the generic greeting, like a missing name.
    #[test]
    fn a_link_like_first_name_gets_the_generic_greeting() {
        let es = TemplateState { language: "es_AR".into(), body_params: Some(4), ..Default::default() };
        let en = TemplateState { language: "en_US".into(), ..es.clone() };
        for name in
            ["evil.example/x", "https://evil.example", "HTTPS://EVIL.EXAMPLE", "x@y.com", "bit.ly/abc"]
        {
            assert_eq!(message(&cart_named(Some(name)), &es).unwrap().body[0], "cliente", "{name:?}");
            assert_eq!(message(&cart_named(Some(name)), &en).unwrap().body[0], "there", "{name:?}");
        }
        assert_eq!(message(&cart_named(None), &es).unwrap().body[0], "cliente");
        assert_eq!(message(&cart_named(Some("O'Brien")), &es).unwrap().body[0], "O'Brien");
        let body = message(&cart_named(Some("Ana\t")), &es).unwrap().body;
        assert_eq!(body[..2], ["Ana", "Luna Store AR"], "every parameter is cleaned");
    }

    #[test]
    fn the_button_suffix_is_the_links_path_encoded() {
        assert_eq!(
            button_suffix("https://shop.example/checkout/v3/proceed/123/abc?token=x y").as_deref(),
            Some("checkout/v3/proceed/123/abc?token=x%20y")
        );
        assert_eq!(
            button_suffix("https://loja.example/carrinho/ção").as_deref(),
            Some("carrinho/%C3%A7%C3%A3o")
        );
        assert_eq!(button_suffix("not a url"), None);
        assert_eq!(
            button_suffix_for("https://shop.example/checkout/1?k=a b", "https://shop.example/{{1}}")
                .as_deref(),
            Some("checkout/1?k=a%20b")
        );
        assert_eq!(button_suffix_for("https://other.example/checkout/1", "https://shop.example/{{1}}"), None);
        assert_eq!(button_suffix_for("https://shop.example/x", "https://shop.example/static"), None);
    }

    #[test]
    fn languages_follow_the_customer_then_the_country() {
        assert_eq!(template_language("es", "AR"), "es_AR");
        assert_eq!(template_language("pt", "BR"), "pt_BR");
        assert_eq!(template_language("en", "US"), "en_US");
        assert_eq!(template_language("es", "CL"), "es");
    }

    #[test]
    fn candidates_start_with_the_customers_language_then_the_shops() {
        assert_eq!(language_candidates(None, "AR"), ["es_AR", "es", "es_MX", "es_ES"]);
        assert_eq!(
            language_candidates(Some("pt"), "AR"),
            ["pt_BR", "pt_PT", "es_AR", "es", "es_MX", "es_ES"]
        );
    }

    #[test]
    fn the_message_follows_the_approved_templates_shape() {
        let cart = RecoveryCart {
            to: "+5491100000000",
            first_name: Some("Ana"),
            store_name: "Luna",
            store_country: "AR",
            items: &[],
            total: "10",
            currency: "ARS",
            recovery_url: None,
            callback_data: "recupero:1:0",
        };
        let older = TemplateState {
            name: "recupero_carrito".into(),
            language: "es_AR".into(),
            status: "APPROVED".into(),
            body_params: Some(3),
            ..Default::default()
        };
        let m = message(&cart, &older).unwrap();
        assert_eq!(m.body, ["Luna", "Ana", "-"], "three parameters: store, name, products");
        assert_eq!((m.to.as_str(), m.callback_data.as_str()), ("+5491100000000", "recupero:1:0"));
        let with_button =
            TemplateState { button_url: Some("https://luna.example/{{1}}".into()), ..older.clone() };
        assert_eq!(message(&cart, &with_button), Err("no_recovery_link"));
        let five = TemplateState { body_params: Some(5), ..older };
        assert_eq!(message(&cart, &five), Err("template_mismatch"));
    }
}
