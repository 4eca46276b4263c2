//! The cart's rules as specifications: summaries, subtotals, contacts, ids and serde.

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
