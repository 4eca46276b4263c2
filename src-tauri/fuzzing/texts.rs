//! Targets for the texts that go out under the shop's name: the assistant's answer read back and
//! checked against the shop's grounds, and the recovery template's parameters.

use super::{fields, text};
use crate::domain::TemplateState;
use crate::inbox::assistant::{grounding, judge, prompt};
use crate::whatsapp::recovery::{
    body_parameters, button_suffix, button_suffix_for, clean_parameter, BodyValues,
};
use crate::whatsapp::template::{count_placeholders, fill_placeholders};

/// The grounding check: first line the assistant's raw answer (read as the provider's content,
/// JSON or prose), second the store's name, third its address, the rest the shop's facts (a
/// cart is the facts' first paragraph). Nothing panics, and an answer is never blocked by its
/// own shop's texts being longer.
pub fn grounding(data: &[u8]) {
    let text = text(data);
    let [content, store_name, url, facts] = fields(&text, 4)[..] else { return };
    let reply = prompt::parse(content);
    let cart = facts.split_once("\n\n").map(|(cart, _)| cart.to_string());
    let ctx = prompt::Context {
        store_name: store_name.to_string(),
        cart,
        facts: facts.to_string(),
        store_urls: vec![url.to_string()],
        ..prompt::Context::default()
    };
    let _ = judge(&reply, &ctx);
    let _ = grounding::check(&reply.text, &ctx.grounds());
    let _ = grounding::check(content, &[]);
}

/// Template filling: first line the template's language and parameter count (`es_AR 4`), then a
/// first name, the store's name, the products, the total, a recovery link, the approved button
/// URL and the approved body text. Every parameter is what Meta accepts (no newline, tab,
/// control character or double space; never empty; within its length), cleaning is idempotent,
/// and the button's variable part is plain URL characters.
pub fn template_params(data: &[u8]) {
    let text = text(data);
    let [head, first_name, store_name, products, total, link, button, body] = fields(&text, 8)[..] else {
        return;
    };
    let mut head = head.split_whitespace();
    let template = TemplateState {
        language: head.next().unwrap_or("es_AR").to_string(),
        body_params: head.next().and_then(|n| n.parse().ok()),
        ..TemplateState::default()
    };
    let values =
        BodyValues { first_name: Some(first_name).filter(|n| !n.is_empty()), store_name, products, total };
    let Ok(params) = body_parameters(&values, &template) else {
        assert!(!matches!(template.body_params, None | Some(3) | Some(4)));
        return;
    };
    for (param, limit) in params.iter().zip([60, 60, 200, 40]) {
        assert_clean(param, limit);
    }
    for (value, limit) in [(first_name, 60), (store_name, 60), (products, 200), (total, 40), (body, 5)] {
        let cleaned = clean_parameter(value, limit);
        assert_clean(&cleaned, limit);
        assert_eq!(clean_parameter(&cleaned, limit), cleaned, "cleaning {value:?} is not idempotent");
    }
    let _ = (fill_placeholders(body, &params), count_placeholders(body));
    for suffix in [button_suffix(link), button_suffix_for(link, button)].into_iter().flatten() {
        assert!(
            !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_graphic() && !"#<>\"{}|\\^`".contains(c)),
            "button suffix {suffix:?} from {link:?}"
        );
    }
}

/// What Meta accepts as a template parameter, at most `limit` characters.
fn assert_clean(param: &str, limit: usize) {
    assert!(!param.is_empty(), "an empty parameter");
    assert!(param.chars().count() <= limit, "{param:?} longer than {limit}");
    assert!(!param.chars().any(|c| c.is_control() || (c.is_whitespace() && c != ' ')), "{param:?}");
    assert!(!param.contains("  ") && param.trim() == param, "{param:?} has a run of spaces");
}
