//! LineItem: one product line of a cart, cleaned for display in a WhatsApp message.
//!
//! Guarantees: a name that is non-empty with whitespace runs collapsed to single spaces
//! (template parameters refuse newlines, tabs and long space runs), a quantity above zero, and
//! an image URL that is an absolute http(s) URL or absent. Labels are cut at grapheme
//! boundaries, never inside an emoji or a combining sequence.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::cart_error::CartError;
use super::link::web_url;
use super::money::Money;

/// Longest product name and variant shown in a summary, in user-perceived characters.
const SUMMARY_NAME_GRAPHEMES: usize = 40;
const SUMMARY_VARIANT_GRAPHEMES: usize = 20;

/// One product line of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LineItemRepr")]
pub struct LineItem {
    name: String,
    variant: Option<String>,
    quantity: u32,
    unit_price: Money,
    image_url: Option<String>,
}

#[derive(Deserialize)]
struct LineItemRepr {
    name: String,
    variant: Option<String>,
    quantity: u32,
    unit_price: Money,
    image_url: Option<String>,
}

impl TryFrom<LineItemRepr> for LineItem {
    type Error = CartError;
    fn try_from(r: LineItemRepr) -> Result<Self, Self::Error> {
        let (variant, image) = (r.variant.as_deref(), r.image_url.as_deref());
        LineItem::new(&r.name, variant, r.quantity, r.unit_price, image)
    }
}

impl LineItem {
    /// Whitespace runs in names collapse to one space (WhatsApp template parameters refuse
    /// newlines, tabs and long runs of spaces). Shopify's placeholder variant "Default Title"
    /// is dropped. An image URL that is not an absolute http(s) URL is dropped rather than
    /// failing the cart: it is decoration.
    pub fn new(
        name: &str,
        variant: Option<&str>,
        quantity: u32,
        unit_price: Money,
        image_url: Option<&str>,
    ) -> Result<LineItem, CartError> {
        let name = collapse_whitespace(name);
        if name.is_empty() {
            return Err(CartError::EmptyItemName);
        }
        if quantity == 0 {
            return Err(CartError::ZeroQuantity(name));
        }
        let variant = variant.map(collapse_whitespace).filter(|v| !v.is_empty() && v != "Default Title");
        let image_url = image_url.and_then(web_url).map(String::from);
        Ok(LineItem { name, variant, quantity, unit_price, image_url })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }
    pub fn quantity(&self) -> u32 {
        self.quantity
    }
    pub fn unit_price(&self) -> Money {
        self.unit_price
    }
    pub fn image_url(&self) -> Option<&str> {
        self.image_url.as_deref()
    }

    /// `"Remera azul (M) x2"`, with long names cut at a grapheme boundary.
    pub(super) fn label(&self) -> String {
        let mut label = truncate(&self.name, SUMMARY_NAME_GRAPHEMES);
        if let Some(variant) = &self.variant {
            label = format!("{label} ({})", truncate(variant, SUMMARY_VARIANT_GRAPHEMES));
        }
        format!("{label} x{}", self.quantity)
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts to `max` user-perceived characters, never inside an emoji or a combining sequence.
fn truncate(text: &str, max: usize) -> String {
    let mut graphemes = text.graphemes(true);
    let head: String = graphemes.by_ref().take(max).collect();
    if graphemes.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn ars(amount: &str) -> Money {
        Money::parse(amount, "ARS").unwrap()
    }

    #[test]
    fn names_lose_newlines_tabs_and_space_runs_whatsapp_would_refuse() {
        let line =
            LineItem::new("  Remera\n\tazul      lisa ", Some("Default Title"), 1, ars("1"), None).unwrap();
        assert_eq!(line.name(), "Remera azul lisa");
        assert_eq!(line.variant(), None, "Shopify's placeholder variant is not a variant");
    }

    #[test]
    fn line_items_need_a_name_and_a_quantity() {
        assert_eq!(LineItem::new(" \n ", None, 1, ars("1"), None), Err(CartError::EmptyItemName));
        assert_eq!(
            LineItem::new("Gorra", None, 0, ars("1"), None),
            Err(CartError::ZeroQuantity("Gorra".into()))
        );
    }

    #[rstest]
    #[case(Some("https://cdn.example/a.jpg"), Some("https://cdn.example/a.jpg"))]
    #[case(Some("//cdn.example/a.jpg"), None)]
    #[case(Some("javascript:alert(1)"), None)]
    #[case(Some("not a url"), None)]
    #[case(None, None)]
    fn bad_image_urls_are_dropped_not_fatal(#[case] input: Option<&str>, #[case] expected: Option<&str>) {
        let line = LineItem::new("Gorra", None, 1, ars("1"), input).unwrap();
        assert_eq!(line.image_url(), expected);
    }

    #[test]
    fn label_shows_variant_and_quantity() {
        let line = LineItem::new("Remera azul", Some("M"), 2, ars("1"), None).unwrap();
        assert_eq!(line.label(), "Remera azul (M) x2");
    }

    #[test]
    fn truncation_counts_graphemes_not_bytes() {
        assert_eq!(truncate("ñandú", 5), "ñandú");
        assert_eq!(truncate("ñandú🇦🇷🇧🇷", 6), "ñandú🇦🇷…");
        assert_eq!(truncate("a b", 2), "a…", "no dangling space before the ellipsis");
    }
}
