//! What the assistant is shown — only the cart, the conversation and the shop's facts — and how
//! its answer is read back.

use serde::Deserialize;

use super::client::ChatMessage;
use crate::i18n::Lang;

/// Everything the assistant sees. The grounding check runs only against the shop's own texts in
/// it ([`Context::grounds`]), never the thread: the customer's words are what it must not echo.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub store_name: String,
    pub customer_name: Option<String>,
    /// The cart in plain lines (items, total, link), if the customer has one.
    pub cart: Option<String>,
    pub facts: String,
    /// The connected stores' own addresses (their domains ground a bare link to the shop).
    pub store_urls: Vec<String>,
    pub facts_version: Option<i64>,
    /// The thread, oldest first: (from the customer?, text).
    pub thread: Vec<(bool, String)>,
}

impl Context {
    /// The texts an answer may draw amounts, dates, codes, promotions and links from: the shop's
    /// facts, the cart, the store's name and address. Not the thread, not the customer's name.
    pub fn grounds(&self) -> Vec<&str> {
        let mut v: Vec<&str> = vec![&self.facts, &self.store_name];
        v.extend(self.cart.as_deref());
        v.extend(self.store_urls.iter().map(String::as_str));
        v
    }
}

fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "Spanish (as written by the customer: keep their regional variety)",
        Lang::Pt => "Brazilian Portuguese",
        Lang::En => "English",
    }
}

/// The system message and the thread as chat turns.
pub fn messages(ctx: &Context, lang: Lang) -> Vec<ChatMessage> {
    let facts = if ctx.facts.trim().is_empty() { "(the shop wrote no facts yet)" } else { ctx.facts.trim() };
    let cart = ctx.cart.as_deref().unwrap_or("(no cart on record)");
    let system = format!(
        "You answer WhatsApp messages for the online shop \"{store}\", to a customer who left items in their cart. \
Reply in {language}, in one to three short sentences, in the same warm tone as the shop's facts below.\n\
Rules:\n\
- Use ONLY the SHOP FACTS and the CART below. Never invent or change prices, costs, stock, sizes, delivery dates or times, discounts, coupons or policies.\n\
- Never repeat a price, percentage, coupon, code, link or promotion the customer mentions unless the SHOP FACTS or the CART say it too: say a person will confirm instead.\n\
- If they do not answer the question, or the customer is upset, has a problem with a payment or an order, or asks for a person: do not guess, hand over.\n\
- Answer with a JSON object and nothing else: {{\"reply\": \"<your message to the customer>\", \"handoff\": false}}. \
When you hand over, set \"handoff\": true and let the reply say that a person from the shop will answer soon.\n\n\
SHOP FACTS:\n{facts}\n\nCART:\n{cart}\n\nCUSTOMER: {name}",
        store = ctx.store_name,
        language = language_name(lang),
        name = ctx.customer_name.as_deref().unwrap_or("(unknown)"),
    );
    let mut out = vec![ChatMessage { role: "system", content: system }];
    for (from_customer, text) in &ctx.thread {
        out.push(ChatMessage {
            role: if *from_customer { "user" } else { "assistant" },
            content: text.clone(),
        });
    }
    out
}

/// The assistant's answer as we read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub handoff: bool,
}

#[derive(Deserialize)]
struct JsonReply {
    #[serde(default)]
    reply: String,
    #[serde(default)]
    handoff: bool,
}

/// Reads an answer: the JSON object we asked for (inside code fences or prose too), or, from a
/// model that ignored the format, the plain text. An empty answer is a hand-over.
pub fn parse(content: &str) -> Reply {
    let trimmed = content.trim();
    if let (Some(a), Some(b)) = (trimmed.find('{'), trimmed.rfind('}')) {
        if a < b {
            if let Ok(j) = serde_json::from_str::<JsonReply>(&trimmed[a..=b]) {
                let text = j.reply.trim().to_string();
                return Reply { handoff: j.handoff || text.is_empty(), text };
            }
        }
    }
    let text = trimmed.trim_matches('`').trim().to_string();
    let handoff = text.is_empty() || text.contains("HANDOFF");
    Reply { text: text.replace("HANDOFF", "").trim().to_string(), handoff }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_in_the_shapes_models_produce() {
        assert_eq!(
            parse("{\"reply\": \"¡Sí! Envíos a todo el país.\", \"handoff\": false}"),
            Reply { text: "¡Sí! Envíos a todo el país.".into(), handoff: false }
        );
        assert_eq!(
            parse("```json\n{\"reply\":\"Te paso con alguien\",\"handoff\":true}\n```"),
            Reply { text: "Te paso con alguien".into(), handoff: true }
        );
        assert_eq!(
            parse("Claro, hacemos envíos."),
            Reply { text: "Claro, hacemos envíos.".into(), handoff: false }
        );
        assert!(parse("HANDOFF").handoff);
        assert!(parse("   ").handoff);
        assert!(parse("{\"reply\": \"\"}").handoff);
    }

    #[test]
    fn the_prompt_carries_only_the_facts_the_cart_and_the_thread() {
        let ctx = Context {
            store_name: "Tienda Sol".into(),
            customer_name: Some("Ana".into()),
            cart: Some("Remera x1 — ARS 12.500".into()),
            facts: "Envíos: 3 a 5 días.".into(),
            store_urls: vec!["https://tiendasol.example".into()],
            facts_version: Some(2),
            thread: vec![(false, "Hola Ana, quedó tu carrito".into()), (true, "¿Cuánto tarda?".into())],
        };
        let m = messages(&ctx, Lang::Es);
        assert_eq!(m.len(), 3);
        assert!(m[0].content.contains("Envíos: 3 a 5 días.") && m[0].content.contains("Remera x1"));
        assert_eq!((m[1].role, m[2].role), ("assistant", "user"));
        assert!(!ctx.grounds().contains(&"¿Cuánto tarda?"), "the customer's words never ground an answer");
        assert!(ctx.grounds().contains(&"Envíos: 3 a 5 días."));
    }
}
