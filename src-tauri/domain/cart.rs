//! Cart: an abandoned checkout rebuilt from a store platform, ready to plan and message.
//!
//! Guarantees: every line has a name and a quantity above zero, every price is in the cart
//! total's currency, the recovery link is an absolute http(s) URL, and the customer's phone is
//! either a parsed [`Phone`] or the recorded reason there is none. Timestamps are the
//! platform's, in UTC, taken as given. Platform JSON becomes a [`CartDraft`] in the client's
//! `json.rs`; [`Cart::new`] is the only way in, and deserializing goes through it too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::customer::{Customer, Language};
use super::line_item::LineItem;
use super::money::{Currency, Money, MoneyError};
use super::phone::{Phone, PhoneError};

/// Recupero's id for a connected store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoreId(pub i64);

/// The platform's own id for the checkout (a Shopify token, a Tiendanube id…): non-empty,
/// trimmed, at most 255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(id: &str) -> Result<ExternalId, CartError> {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > 255 || id.chars().any(char::is_control) {
            return Err(CartError::InvalidExternalId(id.chars().take(32).collect()));
        }
        Ok(ExternalId(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = CartError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ExternalId::parse(&value)
    }
}

impl From<ExternalId> for String {
    fn from(value: ExternalId) -> Self {
        value.0
    }
}

/// The link that reopens the customer's checkout: an absolute `http`/`https` URL with a host
/// and no embedded credentials.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecoveryLink(Url);

impl RecoveryLink {
    pub fn parse(link: &str) -> Result<RecoveryLink, CartError> {
        web_url(link)
            .map(RecoveryLink)
            .ok_or_else(|| CartError::InvalidRecoveryLink(link.chars().take(64).collect()))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for RecoveryLink {
    type Error = CartError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RecoveryLink::parse(&value)
    }
}

impl From<RecoveryLink> for String {
    fn from(value: RecoveryLink) -> Self {
        value.0.into()
    }
}

pub(super) fn web_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    let clean = url.username().is_empty() && url.password().is_none();
    (web && clean && url.host().is_some()).then_some(url)
}

/// How the customer can be reached, or why they cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Contact {
    /// A number WhatsApp can reach.
    Phone(Phone),
    /// The checkout had no phone number at all.
    Missing,
    /// The customer typed something that is not a usable mobile number.
    Unusable { raw: String, reason: PhoneError },
}

impl Contact {
    /// Parses the checkout's phone field with the store's country as the default region.
    pub fn from_raw(raw: Option<&str>, default_region: &str) -> Contact {
        match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => Contact::Missing,
            Some(raw) => match Phone::parse(raw, default_region) {
                Ok(phone) => Contact::Phone(phone),
                Err(PhoneError::Empty) => Contact::Missing,
                Err(reason) => Contact::Unusable { raw: raw.chars().take(64).collect(), reason },
            },
        }
    }

    pub fn phone(&self) -> Option<&Phone> {
        match self {
            Contact::Phone(phone) => Some(phone),
            Contact::Missing | Contact::Unusable { .. } => None,
        }
    }
}

/// Why a cart or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("checkout id {0:?} is empty or malformed")]
    InvalidExternalId(String),
    #[error("recovery link {0:?} is not an absolute http(s) URL")]
    InvalidRecoveryLink(String),
    #[error("a cart line has no product name")]
    EmptyItemName,
    #[error("cart line {0:?} has quantity 0")]
    ZeroQuantity(String),
    #[error("cart line priced in {item} in a cart totalled in {total}")]
    MixedCurrencies { total: Currency, item: Currency },
}

/// Everything [`Cart::new`] needs, already parsed into domain values.
#[derive(Debug, Clone, Deserialize)]
pub struct CartDraft {
    pub store_id: StoreId,
    pub external_id: ExternalId,
    pub customer: Customer,
    pub contact: Contact,
    pub items: Vec<LineItem>,
    pub total: Money,
    pub recovery_link: RecoveryLink,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An abandoned (or since completed) checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CartDraft")]
pub struct Cart {
    store_id: StoreId,
    external_id: ExternalId,
    customer: Customer,
    contact: Contact,
    items: Vec<LineItem>,
    total: Money,
    recovery_link: RecoveryLink,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl TryFrom<CartDraft> for Cart {
    type Error = CartError;
    fn try_from(draft: CartDraft) -> Result<Self, Self::Error> {
        Cart::new(draft)
    }
}

impl Cart {
    /// Checks that every line is priced in the total's currency.
    pub fn new(draft: CartDraft) -> Result<Cart, CartError> {
        let total = draft.total.currency();
        if let Some(item) = draft.items.iter().find(|i| i.unit_price().currency() != total) {
            return Err(CartError::MixedCurrencies { total, item: item.unit_price().currency() });
        }
        Ok(Cart {
            store_id: draft.store_id,
            external_id: draft.external_id,
            customer: draft.customer,
            contact: draft.contact,
            items: draft.items,
            total: draft.total,
            recovery_link: draft.recovery_link,
            created_at: draft.created_at,
            updated_at: draft.updated_at,
            completed_at: draft.completed_at,
        })
    }

    pub fn store_id(&self) -> StoreId {
        self.store_id
    }
    pub fn external_id(&self) -> &ExternalId {
        &self.external_id
    }
    pub fn customer(&self) -> &Customer {
        &self.customer
    }
    pub fn contact(&self) -> &Contact {
        &self.contact
    }
    pub fn items(&self) -> &[LineItem] {
        &self.items
    }
    /// What the platform says the customer would pay (shipping, taxes and discounts included).
    pub fn total(&self) -> Money {
        self.total
    }
    pub fn recovery_link(&self) -> &RecoveryLink {
        &self.recovery_link
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }

    /// Sum of unit price × quantity over the lines, before shipping, taxes and discounts.
    pub fn items_subtotal(&self) -> Result<Money, MoneyError> {
        self.items.iter().try_fold(Money::zero(self.total.currency()), |sum, item| {
            sum.checked_add(&item.unit_price().checked_mul(item.quantity())?)
        })
    }

    /// A short product list for a message, e.g. `"Remera azul (M) x2, Zapatillas x1 y 2 más"`,
    /// showing at most `max_items` lines (at least one). The tail is in the customer's
    /// language, or `fallback` (normally the shop's) when the store did not record one;
    /// languages other than Spanish and Portuguese get English.
    pub fn item_summary(&self, max_items: usize, fallback: &Language) -> String {
        summarize_items(&self.items, max_items, self.customer.language().unwrap_or(fallback))
    }
}

/// [`Cart::item_summary`] over stored line items, in `language`.
pub fn summarize_items(items: &[LineItem], max_items: usize, language: &Language) -> String {
    let shown = max_items.max(1);
    let labels: Vec<String> = items.iter().take(shown).map(LineItem::label).collect();
    let mut summary = labels.join(", ");
    let hidden = items.len().saturating_sub(shown);
    if hidden > 0 {
        let tail = match language {
            Language::Es => format!(" y {hidden} más"),
            Language::Pt => format!(" e mais {hidden}"),
            Language::En | Language::Other(_) => format!(" and {hidden} more"),
        };
        summary.push_str(&tail);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rstest::rstest;

    fn ars(amount: &str) -> Money {
        Money::parse(amount, "ARS").unwrap()
    }

    fn item(name: &str, variant: Option<&str>, quantity: u32) -> LineItem {
        LineItem::new(name, variant, quantity, ars("100"), None).unwrap()
    }

    fn draft(items: Vec<LineItem>, language: Option<&str>) -> CartDraft {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
        CartDraft {
            store_id: StoreId(7),
            external_id: ExternalId::parse("chk_123").unwrap(),
            customer: Customer::new(Some("Ana Gómez"), language, Some(true)),
            contact: Contact::from_raw(Some("11 2345 6789"), "AR"),
            items,
            total: ars("1234.50"),
            recovery_link: RecoveryLink::parse("https://tienda.example/checkout/recover?t=abc").unwrap(),
            created_at: at,
            updated_at: at,
            completed_at: None,
        }
    }

    fn cart(items: Vec<LineItem>, language: Option<&str>) -> Cart {
        Cart::new(draft(items, language)).unwrap()
    }

    fn four_items() -> Vec<LineItem> {
        vec![
            item("Remera azul", Some("M"), 2),
            item("Zapatillas", None, 1),
            item("Gorra", None, 1),
            item("Medias", None, 3),
        ]
    }

    #[rstest]
    #[case(Some("es-AR"), "Remera azul (M) x2, Zapatillas x1 y 2 más")]
    #[case(Some("pt-BR"), "Remera azul (M) x2, Zapatillas x1 e mais 2")]
    #[case(Some("en"), "Remera azul (M) x2, Zapatillas x1 and 2 more")]
    #[case(Some("fr"), "Remera azul (M) x2, Zapatillas x1 and 2 more")]
    #[case(None, "Remera azul (M) x2, Zapatillas x1 e mais 2")]
    fn summary_names_the_first_items_and_counts_the_rest_in_the_customers_language(
        #[case] language: Option<&str>,
        #[case] expected: &str,
    ) {
        let summary = cart(four_items(), language).item_summary(2, &Language::Pt);
        assert_eq!(summary, expected, "None falls back to the shop's language");
    }

    #[test]
    fn summary_without_hidden_items_has_no_tail() {
        let full = cart(four_items(), Some("es"));
        assert_eq!(
            full.item_summary(10, &Language::Es),
            "Remera azul (M) x2, Zapatillas x1, Gorra x1, Medias x3"
        );
        assert_eq!(
            full.item_summary(0, &Language::Es),
            "Remera azul (M) x2 y 3 más",
            "zero still shows one line"
        );
        assert_eq!(cart(vec![], None).item_summary(3, &Language::Es), "");
    }

    #[test]
    fn summary_cuts_long_names_at_grapheme_boundaries() {
        let family = "👩‍👩‍👧‍👦";
        let name = format!("{}{}", "a".repeat(39), family.repeat(3));
        let cart = cart(vec![item(&name, None, 1)], Some("es"));
        let summary = cart.item_summary(1, &Language::Es);
        assert_eq!(summary, format!("{}{family}… x1", "a".repeat(39)));
    }

    #[test]
    fn summary_keeps_rtl_and_emoji_names_whole() {
        let items = vec![item("حقيبة يد", Some("أحمر"), 1), item("Taza ☕", None, 2)];
        let summary = cart(items, Some("es")).item_summary(2, &Language::Es);
        assert_eq!(summary, "حقيبة يد (أحمر) x1, Taza ☕ x2");
    }

    #[test]
    fn subtotal_sums_price_times_quantity() {
        let items = vec![
            LineItem::new("Remera", None, 2, ars("19.99"), None).unwrap(),
            LineItem::new("Gorra", None, 1, ars("0.02"), None).unwrap(),
        ];
        assert_eq!(cart(items, None).items_subtotal().unwrap(), ars("40.00"));
        assert_eq!(cart(vec![], None).items_subtotal().unwrap(), ars("0"));
    }

    #[test]
    fn subtotal_reports_overflow_instead_of_wrapping() {
        let huge = Money::parse("1000000000000000", "ARS").unwrap();
        let items = vec![LineItem::new("Oro", None, 2, huge, None).unwrap()];
        assert_eq!(cart(items, None).items_subtotal(), Err(MoneyError::TooLarge));
    }

    #[test]
    fn a_line_in_another_currency_is_refused() {
        let usd = Money::parse("10", "USD").unwrap();
        let items = vec![LineItem::new("Gorra", None, 1, usd, None).unwrap()];
        assert!(matches!(Cart::new(draft(items, None)), Err(CartError::MixedCurrencies { .. })));
    }

    #[rstest]
    #[case("https://tienda.example/r/abc", true)]
    #[case("http://localhost:8080/r", true)]
    #[case(" https://tienda.example/r ", true)]
    #[case("ftp://tienda.example/r", false)]
    #[case("/checkout/recover", false)]
    #[case("https://user:pass@tienda.example/r", false)]
    #[case("", false)]
    #[case("mailto:a@b.c", false)]
    fn recovery_links_must_be_absolute_web_urls(#[case] link: &str, #[case] ok: bool) {
        assert_eq!(RecoveryLink::parse(link).is_ok(), ok, "{link:?}");
    }

    #[rstest]
    #[case(None, "missing")]
    #[case(Some("   "), "missing")]
    #[case(Some("\u{200f}"), "missing")]
    #[case(Some("011 15-2345-6789"), "phone")]
    #[case(Some("011 4321"), "unusable")]
    #[case(Some("juan@mail.com"), "unusable")]
    fn contact_records_why_there_is_no_phone(#[case] raw: Option<&str>, #[case] kind: &str) {
        let contact = Contact::from_raw(raw, "AR");
        let actual = match &contact {
            Contact::Phone(_) => "phone",
            Contact::Missing => "missing",
            Contact::Unusable { .. } => "unusable",
        };
        assert_eq!(actual, kind, "{raw:?} gave {contact:?}");
        assert_eq!(contact.phone().is_some(), kind == "phone");
    }

    #[test]
    fn unusable_contact_keeps_what_was_typed_and_why() {
        let contact = Contact::from_raw(Some("(11) 3123-4567"), "BR");
        assert_eq!(
            contact,
            Contact::Unusable {
                raw: "(11) 3123-4567".into(),
                reason: PhoneError::NotMobile("+551131234567".into()),
            }
        );
    }

    #[rstest]
    #[case("")]
    #[case("  ")]
    #[case("a\nb")]
    fn external_ids_must_be_non_empty_single_line(#[case] id: &str) {
        assert!(ExternalId::parse(id).is_err());
    }

    #[test]
    fn cart_serde_round_trips_and_revalidates() {
        let cart = cart(four_items(), Some("es"));
        let json = serde_json::to_value(&cart).unwrap();
        assert_eq!(json["contact"]["kind"], "phone");
        assert_eq!(json["contact"]["e164"], "+5491123456789");
        assert_eq!(json["total"]["amount"], "1234.50");
        let back: Cart = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, cart);

        let mut tampered = json;
        tampered["items"][0]["quantity"] = 0.into();
        assert!(serde_json::from_value::<Cart>(tampered).is_err());
    }

    proptest! {
        #[test]
        fn summary_never_panics_and_never_exceeds_the_shown_lines(
            names in proptest::collection::vec(any::<String>(), 0..6),
            max in 0usize..4,
        ) {
            let items: Vec<LineItem> = names
                .iter()
                .filter_map(|n| LineItem::new(n, Some(n), 1, ars("1"), None).ok())
                .collect();
            let count = items.len();
            let summary = cart(items, Some("en")).item_summary(max, &Language::Es);
            let shown = count.min(max.max(1));
            prop_assert_eq!(summary.matches(" x1").count() >= shown, true, "{}", summary);
            prop_assert_eq!(summary.ends_with(" more"), count > shown, "{}", summary);
        }
    }
}
