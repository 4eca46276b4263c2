//! The coupon's offer in a recovery message ("10% OFF con el cupón RC7HK2M9QX", in the
//! template's language) and the products' summary that leaves it room. The offer joins a body
//! parameter the approved template already has — {{4}}, the total, or {{3}}, the products, in
//! the older three-parameter template — and always arrives whole: the products give way (their
//! variants first, then an item for "y N más", then the length of the name shown), never the
//! offer.
//!
//! Limits: Meta takes a body parameter of up to 1024 characters (32,768 when the body is the
//! template's only component; the client's last gate cuts at 1024) and a body of up to 1024 in
//! all; ours stay far below ([`PRODUCTS_CHARS`], [`OFFER_PARAMETER_CHARS`]) so the reminder
//! reads at a glance.

use unicode_segmentation::UnicodeSegmentation;

use super::{clean_parameter, template_language_of};
use crate::domain::cart::summarize_items;
use crate::domain::{Language, LineItem, TemplateState};
use crate::whatsapp::OutgoingTemplate;

/// The longest products parameter, in characters.
pub const PRODUCTS_CHARS: usize = 200;
/// The longest parameter carrying the offer: the products' (three-parameter template) or the
/// total's, with the offer.
pub const OFFER_PARAMETER_CHARS: usize = 200;
/// Meta's limit for one body parameter: an offer longer than that could never go whole.
const META_PARAMETER_CHARS: usize = 1024;
/// The offer the products of a three-parameter template leave room for: a code as long as
/// WhatsApp's copy-code limit (ours have 10 characters) at a three-digit percentage.
const ROOM_FOR_CODE: usize = 15;
const ROOM_FOR_PERCENT: u32 = 100;
/// Between what the parameter said and the offer.
const SEPARATOR: &str = " · ";
/// Less room than this for what the parameter said: the offer goes alone.
const MIN_KEPT_CHARS: usize = 8;

/// The coupon in a recovery message: the offer joins the total's parameter ({{4}}; {{3}}, the
/// products, in the older three-parameter template), so every approved recovery template can
/// carry it. The offer is never cut: what it joins gives way. Nothing else changes: the opt-out
/// stays the template's quick-reply button.
pub fn with_coupon(m: &mut OutgoingTemplate, code: &str, percent: u32) {
    let offer = clean_parameter(&coupon_offer(&m.language, code, percent), META_PARAMETER_CHARS);
    let slot = if m.body.len() >= 4 { 3 } else { m.body.len().saturating_sub(1) };
    if let Some(value) = m.body.get_mut(slot) {
        *value = joined(value, &offer);
    }
}

/// `value` and the whole offer in one parameter of at most [`OFFER_PARAMETER_CHARS`] (unless
/// the offer alone is longer): `value` is cut to the room left; with too little room, or
/// nothing to say (`-`), the offer goes alone.
fn joined(value: &str, offer: &str) -> String {
    let used = offer.chars().count() + SEPARATOR.chars().count();
    let room = OFFER_PARAMETER_CHARS.saturating_sub(used);
    if value == "-" || room < MIN_KEPT_CHARS {
        return offer.to_string();
    }
    format!("{}{SEPARATOR}{offer}", clean_parameter(value, room))
}

/// The offer's words in the template's language.
pub fn coupon_offer(template_language: &str, code: &str, percent: u32) -> String {
    match template_language_of(template_language) {
        Language::Es => format!("{percent}% OFF con el cupón {code}"),
        Language::Pt => format!("{percent}% OFF com o cupom {code}"),
        Language::En | Language::Other(_) => format!("{percent}% off with code {code}"),
    }
}

/// The most characters the products' summary may take in template `t`: in the older
/// three-parameter template the offer may join it, so it leaves the offer's room.
pub(super) fn products_budget(t: &TemplateState) -> usize {
    if t.body_params != Some(3) {
        return PRODUCTS_CHARS;
    }
    let widest = coupon_offer(&t.language, &"W".repeat(ROOM_FOR_CODE), ROOM_FOR_PERCENT);
    let room = widest.chars().count() + SEPARATOR.chars().count();
    OFFER_PARAMETER_CHARS.saturating_sub(room).min(PRODUCTS_CHARS)
}

/// The cart's products in at most `budget` characters (as cleaned), readable: two items with
/// their variants ("Remera azul (M) x2, Gorra x1 y 3 más"); if that is too long, without
/// variants; then one item and "y N más"; then its name shorter. Empty for no items.
pub(super) fn products_within(items: &[LineItem], budget: usize, language: &Language) -> String {
    let fits = |s: &str| clean_parameter(s, usize::MAX).chars().count() <= budget;
    let full = summarize_items(items, 2, language);
    if items.is_empty() || fits(&full) {
        return full;
    }
    for (shown, variants) in [(2, false), (1, true), (1, false)] {
        let s = summarize_items(&shortened(items, usize::MAX, variants), shown, language);
        if fits(&s) {
            return s;
        }
    }
    let longest = items.first().map_or(1, |i| i.name().graphemes(true).count()).min(40);
    for name_graphemes in (1..longest).rev() {
        let s = summarize_items(&shortened(items, name_graphemes, false), 1, language);
        if fits(&s) {
            return s;
        }
    }
    clean_parameter(&summarize_items(items, 1, language), budget)
}

/// The items with names cut to `name_graphemes` user-perceived characters (never inside an
/// emoji or a combining sequence) and, unless `variants`, without their variants.
fn shortened(items: &[LineItem], name_graphemes: usize, variants: bool) -> Vec<LineItem> {
    items
        .iter()
        .map(|i| {
            let mut graphemes = i.name().graphemes(true);
            let head: String = graphemes.by_ref().take(name_graphemes).collect();
            let name = if graphemes.next().is_some() { format!("{}…", head.trim_end()) } else { head };
            let variant = i.variant().filter(|_| variants);
            LineItem::new(&name, variant, i.quantity(), i.unit_price(), None).unwrap_or_else(|_| i.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{message, RecoveryCart};
    use super::*;
    use crate::domain::Money;

    fn cart_named(first_name: Option<&str>) -> RecoveryCart<'_> {
        RecoveryCart {
            to: "+5491100000000",
            first_name,
            store_name: "Luna Store",
            store_country: "AR",
            items: &[],
            total: "10",
            currency: "ARS",
            recovery_url: None,
            callback_data: "recupero:1:0",
        }
    }

    #[test]
    fn the_coupon_joins_the_total_in_the_templates_language() {
        let es = TemplateState { language: "es_AR".into(), body_params: Some(4), ..Default::default() };
        let mut m = message(&cart_named(Some("Ana")), &es).unwrap();
        let total = m.body[3].clone();
        with_coupon(&mut m, "RC7HK2M9QX", 10);
        assert_eq!(m.body[3], format!("{total} · 10% OFF con el cupón RC7HK2M9QX"));
        assert_eq!(m.body.len(), 4, "no new parameter: the approved template still fits");
        let older = TemplateState { language: "pt_BR".into(), body_params: Some(3), ..Default::default() };
        let mut m = message(&cart_named(None), &older).unwrap();
        with_coupon(&mut m, "RCAAAA2222", 15);
        assert_eq!(m.body[2], "15% OFF com o cupom RCAAAA2222", "the products' '-' gives way");
        assert_eq!(coupon_offer("en_US", "RCX", 5), "5% off with code RCX");
    }

    /// The older three-parameter template carries the offer in {{3}}, the products: with long
    /// names (emoji, right-to-left) the products give way, never the offer, and the parameter
    /// stays within the limit; the four-parameter template's total keeps it whole too.
    #[test]
    fn the_whole_offer_arrives_even_with_long_product_names() {
        let pairs = [
            ["Remera oversize de algodón orgánico azul", "Pantalón cargo gabardina elastizada gris"],
            [
                "🎁 Caja regalo 👩\u{200d}👩\u{200d}👧 familia ✨ edición ok",
                "قميص قطني أزرق مقاس كبير للرجال والنساء.",
            ],
            ["حذاء رياضي أسود خفيف للجري اليومي مريح ج", "קומקום חשמלי נירוסטה 1.7 ליטר עם ציפוי ש"],
        ];
        let price = Money::parse("19999.99", "ARS").unwrap();
        for names in pairs {
            assert!(names.iter().all(|n| n.chars().count() == 40), "{names:?}");
            for (variant, extra) in [(None, 0), (Some("Talle XL / Azul marino"), 0), (Some("Talle XL"), 3)] {
                let mut items: Vec<LineItem> =
                    names.iter().map(|n| LineItem::new(n, variant, 2, price, None).unwrap()).collect();
                items.extend(
                    (0..extra).map(|i| LineItem::new(&format!("Medias {i}"), None, 1, price, None).unwrap()),
                );
                let cart = RecoveryCart { items: &items, ..cart_named(Some("Ana")) };
                for (language, offer) in [
                    ("es_AR", "10% OFF con el cupón RC7HK2M9QX"),
                    ("pt_BR", "10% OFF com o cupom RC7HK2M9QX"),
                    ("en_US", "10% off with code RC7HK2M9QX"),
                ] {
                    for (params, slot) in [(3, 2), (4, 3)] {
                        let t = TemplateState {
                            language: language.into(),
                            body_params: Some(params),
                            ..Default::default()
                        };
                        let mut m = message(&cart, &t).unwrap();
                        let before = m.body[slot].clone();
                        with_coupon(&mut m, "RC7HK2M9QX", 10);
                        let value = &m.body[slot];
                        assert!(
                            value.ends_with(&format!(" · {offer}")),
                            "{params} params, {language}: {value:?}"
                        );
                        assert!(value.chars().count() <= OFFER_PARAMETER_CHARS, "{value:?}");
                        assert_eq!(
                            &clean_parameter(value, OFFER_PARAMETER_CHARS),
                            value,
                            "a parameter Meta accepts"
                        );
                        let kept = value.strip_suffix(&format!(" · {offer}")).unwrap();
                        if params == 4 {
                            assert_eq!(kept, before, "the total stays whole");
                        } else {
                            assert!(kept.contains(" x2"), "the products stay readable: {kept:?}");
                            let first: String = names[0].chars().take(8).collect();
                            assert!(kept.starts_with(&first), "{kept:?}");
                        }
                    }
                }
            }
        }
    }

    /// Names whose user-perceived characters are long (family emoji: seven characters each):
    /// the summary gives way readably — variants, then an item ("y 1 más"), then a shorter name
    /// cut at a grapheme — and the offer still arrives whole.
    #[test]
    fn long_characters_make_the_products_give_way_readably() {
        let price = Money::parse("10", "ARS").unwrap();
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
        let heavy = format!("Set {}", family.repeat(30));
        let items = [
            LineItem::new(&heavy, Some("Grande"), 1, price, None).unwrap(),
            LineItem::new("Remera", Some("M"), 2, price, None).unwrap(),
        ];
        let es = Language::Es;
        assert_eq!(products_within(&items[1..], 160, &es), "Remera (M) x2", "what fits stays as it is");
        let one = products_within(&items, 160, &es);
        assert!(one.chars().count() <= 160, "{one}");
        assert!(one.starts_with("Set 👨") && one.ends_with("… x1 y 1 más"), "{one}");
        assert_eq!(one.matches('\u{200d}').count() % 3, 0, "never cut inside an emoji: {one}");
        let t = TemplateState { language: "es_AR".into(), body_params: Some(3), ..Default::default() };
        let cart = RecoveryCart { items: &items, ..cart_named(Some("Ana")) };
        let mut m = message(&cart, &t).unwrap();
        with_coupon(&mut m, "RC7HK2M9QX", 50);
        assert!(m.body[2].ends_with("… x1 y 1 más · 50% OFF con el cupón RC7HK2M9QX"), "{}", m.body[2]);
        assert!(m.body[2].chars().count() <= OFFER_PARAMETER_CHARS);
        // Too little room for anything readable: the offer goes alone, whole.
        let code = "C".repeat(190);
        let mut m = message(&cart, &t).unwrap();
        with_coupon(&mut m, &code, 10);
        assert_eq!(m.body[2], format!("10% OFF con el cupón {code}"));
    }
}
