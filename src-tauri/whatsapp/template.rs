//! The recovery template Recupero creates for review (reference §3.2): MARKETING, positional
//! parameters — {{1}} first name, {{2}} store name, {{3}} product summary, {{4}} total — a footer
//! that says how to stop, a URL button whose address ends in {{1}} (the cart's recovery
//! path), and the marketing opt-out quick reply ("Stop promotions"), whose tap opts the
//! customer out like a STOP. One per language: es, pt_BR, en. Meta requires an example for every parameter and
//! refuses a variable at the very start or end of a text (2388299), so the texts are built
//! around that.

use serde_json::{json, Value};

use super::NewTemplate;

/// The languages the recovery template is created in.
pub const LANGUAGES: [&str; 3] = ["es", "pt_BR", "en"];

/// The texts of the recovery template in one language, as Recupero submits them for review.
pub struct Texts {
    pub body: &'static str,
    pub footer: &'static str,
    pub button: &'static str,
    /// The marketing opt-out quick-reply button's label.
    pub stop: &'static str,
    pub example: [&'static str; 4],
}

/// The recovery template's texts for a Meta language code (`es`, `pt_BR`, `en_US`…).
pub fn texts(language: &str) -> Texts {
    match language {
        l if l.starts_with("pt") => Texts {
            body: "Olá {{1}}! Guardamos o seu carrinho na {{2}}: {{3}}. Total: {{4}}. Você pode finalizar a compra quando quiser pelo botão abaixo.",
            footer: "Responda PARAR para não receber mais mensagens",
            button: "Ver meu carrinho",
            stop: "Parar promoções",
            example: ["Ana", "Loja Exemplo", "Camiseta azul (M) x2", "R$ 159,90"],
        },
        l if l.starts_with("en") => Texts {
            body: "Hi {{1}}! We saved your cart at {{2}}: {{3}}. Total: {{4}}. You can finish your order whenever you like with the button below.",
            footer: "Reply STOP to stop receiving messages",
            button: "View my cart",
            stop: "Stop promotions",
            example: ["Ann", "Example Shop", "Blue T-shirt (M) x2", "$39.90"],
        },
        _ => Texts {
            body: "¡Hola {{1}}! Guardamos tu carrito en {{2}}: {{3}}. Total: {{4}}. Puedes terminar tu compra cuando quieras con el botón de abajo.",
            footer: "Responde BAJA para no recibir más mensajes",
            button: "Ver mi carrito",
            stop: "Detener promociones",
            example: ["Ana", "Tienda Ejemplo", "Remera azul (M) x2", "$ 15.990,00"],
        },
    }
}

/// The creation body for one language. `button_base` is the fixed start of every recovery link
/// (e.g. `https://mitienda.com/`): the button's URL is `button_base{{1}}`.
pub fn recovery_template(name: &str, language: &str, button_base: &str) -> NewTemplate {
    let t = texts(language);
    let base = if button_base.ends_with('/') { button_base.to_string() } else { format!("{button_base}/") };
    let body: Value = json!({
        "name": name,
        "language": language,
        "category": "MARKETING",
        "parameter_format": "positional",
        "components": [
            { "type": "BODY", "text": t.body, "example": { "body_text": [t.example] } },
            { "type": "FOOTER", "text": t.footer },
            { "type": "BUTTONS", "buttons": [
                { "type": "URL", "text": t.button, "url": format!("{base}{{{{1}}}}"),
                  "example": [format!("{base}checkout/abc123")] },
                { "type": "QUICK_REPLY", "text": t.stop }
            ] }
        ]
    });
    NewTemplate { name: name.to_string(), language: language.to_string(), body }
}

/// The image variant of the recovery template (setting `reminder_image_template`): the same
/// body, footer and buttons under an IMAGE header, which each send fills with the cart's first
/// product picture. Meta reviews it with an example picture: `header_handle` is the handle the
/// Resumable Upload API gave for one (`client/media.rs`).
pub fn recovery_image_template(
    name: &str,
    language: &str,
    button_base: &str,
    header_handle: &str,
) -> NewTemplate {
    let mut t = recovery_template(name, language, button_base);
    if let Some(components) = t.body["components"].as_array_mut() {
        components.insert(
            0,
            json!({ "type": "HEADER", "format": "IMAGE", "example": { "header_handle": [header_handle] } }),
        );
    }
    t
}

/// How many distinct `{{n}}` placeholders a text has.
pub fn count_placeholders(text: &str) -> i64 {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                seen.insert(after[..end].trim().to_string());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    i64::try_from(seen.len()).unwrap_or(i64::MAX)
}

/// `text` with each `{{n}}` replaced by the n-th of `params` (1-based), as WhatsApp shows it;
/// a placeholder without a parameter is left as it is.
pub fn fill_placeholders(text: &str, params: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let value = after.find("}}").and_then(|end| {
            let n: usize = after[..end].trim().parse().ok()?;
            Some((params.get(n.checked_sub(1)?)?, end))
        });
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_four_parameters_with_examples_and_a_url_button() {
        for lang in LANGUAGES {
            let t = recovery_template("recupero_carrito", lang, "https://shop.example");
            let body = &t.body["components"][0];
            assert_eq!(count_placeholders(body["text"].as_str().unwrap()), 4, "{lang}");
            assert_eq!(body["example"]["body_text"][0].as_array().unwrap().len(), 4);
            let text = body["text"].as_str().unwrap();
            assert!(!text.starts_with("{{") && !text.ends_with("}}"), "Meta refuses edge variables");
            let button = &t.body["components"][2]["buttons"][0];
            assert_eq!(button["url"], "https://shop.example/{{1}}");
            assert!(button["text"].as_str().unwrap().chars().count() <= 25);
            assert!(t.body["components"][1]["text"].as_str().unwrap().chars().count() <= 60);
            assert_eq!(t.body["category"], "MARKETING");
            // The marketing opt-out, after the URL button; its tap is an opt-out.
            let stop = &t.body["components"][2]["buttons"][1];
            assert_eq!(stop["type"], "QUICK_REPLY");
            assert!(crate::domain::opt_out::is_stop_button(None, stop["text"].as_str()), "{lang}: {stop}");
            assert!(stop["text"].as_str().unwrap().chars().count() <= 25);
        }
    }

    #[test]
    fn the_image_variant_is_the_same_template_under_an_image_header() {
        let text = recovery_template("recupero_carrito_foto", "es", "https://shop.example/");
        let image =
            recovery_image_template("recupero_carrito_foto", "es", "https://shop.example/", "4::aGk=:ARZ1");
        let components = image.body["components"].as_array().unwrap();
        assert_eq!(components[0]["type"], "HEADER");
        assert_eq!(components[0]["format"], "IMAGE");
        assert_eq!(components[0]["example"]["header_handle"][0], "4::aGk=:ARZ1");
        assert_eq!(&components[1..], text.body["components"].as_array().unwrap().as_slice());
        assert_eq!((image.name.as_str(), image.language.as_str()), ("recupero_carrito_foto", "es"));
    }

    #[test]
    fn placeholders_are_counted_once_each() {
        assert_eq!(count_placeholders("Hi {{1}}, {{2}} and {{1}}"), 2);
        assert_eq!(count_placeholders("no variables"), 0);
        assert_eq!(count_placeholders("broken {{1"), 0);
    }

    #[test]
    fn placeholders_are_filled_in_order_and_unknown_ones_stay() {
        let params = vec!["Ana".to_string(), "Luna 🌙".to_string()];
        assert_eq!(fill_placeholders("Hi {{1}} at {{2}}, {{1}}!", &params), "Hi Ana at Luna 🌙, Ana!");
        assert_eq!(
            fill_placeholders("{{3}} and {{0}} and {{x}} and {{1", &params),
            "{{3}} and {{0}} and {{x}} and {{1"
        );
    }
}
