use super::*;
use crate::domain::Contact;
use crate::stores::Platform;

fn related(country: &str) -> Related {
    let mut r = Related::default();
    r.currencies.insert("1".into(), "EUR".into());
    r.countries.insert("6".into(), country.into());
    r.customers.insert(
        "2".into(),
        serde_json::from_value(
            serde_json::json!({"id": 2, "email": "lucia@example.com", "firstname": "Lucía"}),
        )
        .unwrap(),
    );
    r.products.insert(
        "10".into(),
        serde_json::from_value(serde_json::json!({"id": 10, "price": "19.900000",
            "name": [{"id": "1", "value": "Camiseta"}, {"id": "2", "value": "T-shirt"}]}))
        .unwrap(),
    );
    r
}

fn cart() -> Cart0 {
    serde_json::from_value(serde_json::json!({
        "id": 5, "id_address_delivery": "3", "id_customer": "2", "id_currency": "1", "id_lang": "1",
        "date_add": "2026-03-02 15:00:00", "date_upd": "2026-03-02 15:10:00",
        "associations": {"cart_rows": [{"id_product": "10", "id_product_attribute": "0", "quantity": "2"}]}
    }))
    .unwrap()
}

fn read_with(phone: &str, mobile: &str, country: &str) -> ReadCheckout {
    let mut r = related(country);
    r.addresses.insert(
        "3".into(),
        serde_json::from_value(serde_json::json!({"id": 3, "id_country": "6", "firstname": "Lucía",
            "phone": phone, "phone_mobile": mobile}))
        .unwrap(),
    );
    let config = StoreConfig::new(Platform::Prestashop, "https://tienda.example", "ES").unwrap();
    cart()
        .read(&r, chrono_tz::Europe::Madrid, &config, "https://tienda.example/index.php?controller=cart")
        .unwrap()
}

#[test]
fn a_cart_reads_prices_names_times_and_the_customers_email() {
    let r = read_with("", "612 34 56 78", "ES");
    assert_eq!(r.cart.total().amount().to_string(), "39.80");
    assert_eq!(r.cart.items()[0].name(), "Camiseta");
    assert_eq!(r.email.as_deref(), Some("lucia@example.com"));
    // 15:00 in Madrid in March is 14:00 UTC.
    assert_eq!(r.cart.created_at().to_rfc3339(), "2026-03-02T14:00:00+00:00");
}

#[test]
fn the_mobile_wins_and_each_country_reads_its_own_numbers() {
    for (phone, mobile, country, e164) in [
        ("91 123 45 67", "612 34 56 78", "ES", "+34612345678"),
        ("", "+34 699 12 34 56", "ES", "+34699123456"),
        ("01 23 45 67 89", "06 12 34 56 78", "FR", "+33612345678"),
        ("", "+33 6 98 76 54 32", "FR", "+33698765432"),
        ("06 1234 5678", "347 123 4567", "IT", "+393471234567"),
        ("", "+39 320 123 4567", "IT", "+393201234567"),
        ("21 123 4567", "912 345 678", "PT", "+351912345678"),
        ("", "+351 963 456 789", "PT", "+351963456789"),
        ("", "55 1234 5678", "MX", "+525512345678"),
        ("", "+52 1 33 1234 5678", "MX", "+523312345678"),
    ] {
        match read_with(phone, mobile, country).cart.contact() {
            Contact::Phone(p) => assert_eq!(p.e164(), e164, "{mobile} in {country}"),
            other => panic!("{mobile} in {country}: {other:?}"),
        }
    }
    // No mobile: the landline field is what the customer typed (a mobile, often).
    match read_with("+34 655 44 33 22", "", "ES").cart.contact() {
        Contact::Phone(p) => assert_eq!(p.e164(), "+34655443322"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_lists_and_single_objects_are_lists() {
    assert!(list(serde_json::json!([]), "carts").unwrap().is_empty());
    assert_eq!(list(serde_json::json!({"carts": [{"id": 1}, {"id": 2}]}), "carts").unwrap().len(), 2);
    assert_eq!(list(serde_json::json!({"cart": {"id": 1}}), "cart").unwrap().len(), 1);
    assert!(list(serde_json::json!("x"), "carts").is_err());
    assert!(local_time("02/03/2026", chrono_tz::UTC).is_err());
    assert_eq!(
        shop_time(
            local_time("2026-07-01 10:00:00", chrono_tz::Europe::Madrid).unwrap(),
            chrono_tz::Europe::Madrid
        ),
        "2026-07-01 10:00:00"
    );
}

#[test]
fn a_cart_whose_total_overflows_is_refused_not_a_panic() {
    // Prices up to 10^15 and quantities up to u32::MAX pass one by one; about 18,500 such rows
    // sum past what a decimal holds (a plain `+=` panics and stopped every store's polling).
    let mut r = read_related();
    r.products.insert(
        "10".into(),
        serde_json::from_value(serde_json::json!({"id": 10, "price": "999999999999999", "name": "x"}))
            .unwrap(),
    );
    let rows: Vec<serde_json::Value> = (0..20_000)
        .map(|_| serde_json::json!({"id_product": "10", "id_product_attribute": "0", "quantity": "4294967295"}))
        .collect();
    let cart: Cart0 = serde_json::from_value(serde_json::json!({
        "id": 5, "id_address_delivery": "3", "id_customer": "2", "id_currency": "1", "id_lang": "1",
        "date_add": "2026-03-02 15:00:00", "date_upd": "2026-03-02 15:10:00",
        "associations": {"cart_rows": rows}
    }))
    .unwrap();
    let config = StoreConfig::new(Platform::Prestashop, "https://tienda.example", "ES").unwrap();
    let error = cart.read(&r, chrono_tz::Europe::Madrid, &config, "https://tienda.example/").unwrap_err();
    assert!(error.contains("total"), "{error}");
    // One row of the same is refused too (over the largest amount), a normal one still reads.
    let one: Cart0 = serde_json::from_value(serde_json::json!({
        "id": 6, "id_address_delivery": "3", "id_customer": "2", "id_currency": "1",
        "date_add": "2026-03-02 15:00:00",
        "associations": {"cart_rows": [{"id_product": "10", "quantity": "4294967295"}]}
    }))
    .unwrap();
    assert!(one.read(&r, chrono_tz::Europe::Madrid, &config, "https://tienda.example/").is_err());
}

fn read_related() -> Related {
    let mut r = related("ES");
    r.addresses.insert(
        "3".into(),
        serde_json::from_value(
            serde_json::json!({"id": 3, "id_country": "6", "phone_mobile": "612 34 56 78"}),
        )
        .unwrap(),
    );
    r
}

proptest::proptest! {
    /// Whatever the webservice sends in the fields read, reading answers a cart or a reason.
    #[test]
    fn any_field_value_is_read_or_refused_never_a_panic(
        mobile in ".{0,30}", price in ".{0,20}", qty in ".{0,8}", upd in ".{0,30}", country in ".{0,4}",
    ) {
        let mut r = related(&country);
        r.addresses.insert(
            "3".into(),
            serde_json::from_value(serde_json::json!({"id": 3, "id_country": "6", "phone_mobile": mobile})).unwrap(),
        );
        r.products.insert(
            "10".into(),
            serde_json::from_value(serde_json::json!({"id": 10, "price": price, "name": "x"})).unwrap(),
        );
        let value = serde_json::json!({
            "id": 5, "id_address_delivery": "3", "id_customer": "2", "id_currency": "1", "id_lang": "1",
            "date_add": "2026-03-02 15:00:00", "date_upd": upd,
            "associations": {"cart_rows": [{"id_product": "10", "quantity": qty}]}
        });
        let cart: Cart0 = serde_json::from_value(value).unwrap();
        let config = StoreConfig::new(Platform::Prestashop, "https://tienda.example", "ES").unwrap();
        let _ = cart.read(&r, chrono_tz::Europe::Madrid, &config, "https://tienda.example/");
        let _ = list(serde_json::json!({"carts": upd}), "carts");
        let _ = local_time(&upd, chrono_tz::America::Mexico_City);
    }
}
