use super::*;
use crate::stores::vtex::{content_total, Vtex};
use chrono::{DateTime, Utc};

#[test]
fn rclastcart_lines_repeat_the_triplet() {
    let lines = lines("add?sku=880010&qty=2&seller=1&sku=880011&qty=1&seller=1&sc=1").unwrap();
    assert_eq!(
        lines,
        vec![CartLine { sku: "880010".into(), quantity: 2 }, CartLine { sku: "880011".into(), quantity: 1 }]
    );
    assert_eq!(super::lines("sku=7").unwrap(), vec![CartLine { sku: "7".into(), quantity: 1 }]);
    for bad in ["add?qty=1", "add?sku=1&qty=dos", "add?sku=1&qty=0", "", "add?sku=a%20b"] {
        assert!(super::lines(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_recovery_link_lives_on_the_store_domain() {
    let store = Url::parse("https://www.loja.example/").unwrap();
    let want = "https://www.loja.example/checkout/cart/add?sku=1&qty=1&seller=1&sc=1";
    for saved in [
        "add?sku=1&qty=1&seller=1&sc=1",
        "/checkout/cart/add?sku=1&qty=1&seller=1&sc=1",
        "sku=1&qty=1&seller=1&sc=1",
    ] {
        assert_eq!(recovery_link(&store, saved).unwrap(), want, "{saved}");
    }
    // A whole URL saved in rclastcart: its path and query, on the store's own domain.
    for saved in [
        "https://other.example/checkout/cart/add?sku=1&qty=1&seller=1&sc=1",
        "HTTP://conta.vtexcommercestable.com.br/checkout/cart/add?sku=1&qty=1&seller=1&sc=1#x",
        "https://other.example/?sku=1&qty=1&seller=1&sc=1",
    ] {
        assert_eq!(recovery_link(&store, saved).unwrap(), want, "{saved}");
    }
    assert!(recovery_link(&store, "https://[bad/checkout/cart/add?sku=1").is_err());
}

#[test]
fn a_tag_is_read_from_an_object_or_a_string() {
    let object = serde_json::json!({"DisplayValue": "Finalizado", "Scores": {"Finalizado": [{"Point": 1, "Date": "2026-07-02T20:09:17+00:00"}]}});
    let text = serde_json::Value::String(object.to_string());
    for value in [object, text] {
        let t = tag(Some(&value));
        assert_eq!(t.display_value.as_deref(), Some("Finalizado"));
        assert_eq!(t.scores["Finalizado"].len(), 1);
    }
    assert!(tag(Some(&serde_json::json!(3))).display_value.is_none());
    assert!(finished(" finalizado ") && !finished("Carrinho"));
}

fn client(phone: Option<&str>, home: Option<&str>) -> Client {
    serde_json::from_value(serde_json::json!({
        "id": "5f0c2e4a-8d1b-11ee-b9d1-000000000001", "email": "cliente@example.com", "firstName": "Júlia",
        "phone": phone, "homePhone": home, "rclastcart": "add?sku=880010&qty=2&seller=1&sc=1",
        "rclastcartvalue": 199.8, "rclastsessiondate": "2026-07-02T20:09:17.123+00:00",
        "carttag": "{\"DisplayValue\":\"\",\"Scores\":{\"880010\":[{\"Point\":99.9}]}}",
        "checkouttag": {"DisplayValue": "Carrinho"},
    }))
    .unwrap()
}

/// The store's country reads the numbers customers type in each VTEX market.
#[test]
fn phones_are_read_in_the_stores_country() {
    let cases = [
        ("BR", "(11) 98765-4321", "+5511987654321"),
        ("BR", "+55 (21) 9 8765-4321", "+5521987654321"),
        ("BR", "11987654321", "+5511987654321"),
        ("AR", "011 15-2345-6789", "+5491123456789"),
        ("AR", "+54 9 11 2345-6789", "+5491123456789"),
        ("CO", "300 123 4567", "+573001234567"),
        ("CO", "+57 300 1234567", "+573001234567"),
        ("PE", "987 654 321", "+51987654321"),
        ("CL", "9 8765 4321", "+56987654321"),
        ("CL", "+56 9 8765 4321", "+56987654321"),
        ("MX", "55 1234 5678", "+525512345678"),
        ("MX", "+52 1 55 1234 5678", "+525512345678"),
    ];
    let storefront = Url::parse("https://www.loja.example").unwrap();
    for (country, typed, e164) in cases {
        let mut config = StoreConfig::new(
            crate::stores::Platform::Vtex,
            "https://loja.vtexcommercestable.com.br",
            country,
        )
        .unwrap();
        config.id = crate::domain::StoreId(3);
        for c in [client(Some(typed), None), client(Some("  "), Some(typed))] {
            let cart = c.read(&config, &storefront, &HashMap::new()).unwrap();
            let phone = cart.contact().phone().map(|p| p.e164().to_string());
            assert_eq!(phone.as_deref(), Some(e164), "{country} {typed:?}");
            assert_eq!(cart.total().currency().to_string(), currency(country).unwrap());
        }
    }
    let config = StoreConfig::new(crate::stores::Platform::Vtex, "https://loja.example", "BR").unwrap();
    let none = client(Some("no tengo"), None).read(&config, &storefront, &HashMap::new()).unwrap();
    assert!(none.contact().phone().is_none(), "kept, with the phone problem");
}

#[test]
fn a_customer_document_becomes_a_cart() {
    let config =
        StoreConfig::new(crate::stores::Platform::Vtex, "https://loja.vtexcommercestable.com.br", "BR")
            .unwrap();
    let storefront = Url::parse("https://www.loja.example/").unwrap();
    let skus = HashMap::from([(
        "880010".to_string(),
        Sku { product_name: Some("Tênis casual".into()), sku_name: Some("40".into()), ..Sku::default() },
    )]);
    let cart = client(Some("(11) 98765-4321"), None).read(&config, &storefront, &skus).unwrap();
    assert_eq!(
        cart.recovery_link().as_str(),
        "https://www.loja.example/checkout/cart/add?sku=880010&qty=2&seller=1&sc=1"
    );
    assert_eq!(cart.items()[0].name(), "Tênis casual");
    assert_eq!(cart.items()[0].variant(), Some("40"));
    assert_eq!(cart.items()[0].quantity(), 2);
    assert_eq!(cart.items()[0].unit_price().amount().to_string(), "99.9");
    assert_eq!(cart.total().amount().to_string(), "199.8");
    assert!(cart.completed_at().is_none());
    let unnamed = client(None, None).read(&config, &storefront, &HashMap::new()).unwrap();
    assert_eq!(unnamed.items()[0].name(), "SKU 880010");
    let mut done = client(None, None);
    done.checkouttag = Some(
        serde_json::json!({"DisplayValue": "Finalizado", "Scores": {"Finalizado": [{"Point": 1, "Date": "2026-07-02T20:30:00+00:00"}]}}),
    );
    let at = done.read(&config, &storefront, &HashMap::new()).unwrap().completed_at().unwrap();
    assert_eq!(at.to_rfc3339(), "2026-07-02T20:30:00+00:00");
    let mut bad = client(None, None);
    bad.rclastcartvalue = Some(Scalar::Text("abc".into()));
    assert!(bad.read(&config, &storefront, &HashMap::new()).unwrap_err().contains("abc"));
}

#[test]
fn the_content_range_total_is_read() {
    assert_eq!(content_total("resources 0-99/12345"), Some(12345));
    assert_eq!(content_total("resources 0-0/0"), Some(0));
    assert_eq!(content_total("nonsense"), None);
}

#[test]
fn the_where_clause_filters_on_the_last_session() {
    let t = DateTime::parse_from_rfc3339("2026-07-02T20:09:17+00:00").unwrap().with_timezone(&Utc);
    assert_eq!(Vtex::where_after(t), "rclastsessiondate>2026-07-02T20:09:17Z AND rclastcart is not null");
}

/// Whatever a store saved in these free fields, a document is read or refused with a reason.
#[test]
fn odd_documents_are_refused_with_a_reason_never_a_panic() {
    let config = StoreConfig::new(crate::stores::Platform::Vtex, "https://loja.example", "BR").unwrap();
    let storefront = Url::parse("https://loja.example").unwrap();
    let many = format!("add?{}", "sku=1&qty=1&".repeat(5000));
    let odd = [
        serde_json::json!({"rclastcart": "add?sku=1&qty=-1"}),
        serde_json::json!({"rclastcart": "add?sku=1&qty=99999999999999999999"}),
        serde_json::json!({"rclastcart": "https://"}),
        serde_json::json!({"rclastcart": "add?sku=ñ&qty=1"}),
        serde_json::json!({"rclastcart": many}),
        serde_json::json!({"rclastcartvalue": "1e400"}),
        serde_json::json!({"rclastcartvalue": -5}),
        serde_json::json!({"rclastsessiondate": "2026-13-45T99:99:99Z"}),
        serde_json::json!({"rclastsessiondate": null}),
        serde_json::json!({"carttag": {"Scores": {"880010": [{"Point": "abc"}]}}}),
        serde_json::json!({"carttag": "{not json", "checkouttag": [1, 2]}),
        serde_json::json!({"checkouttag": {"DisplayValue": "Finalizado", "Scores": {"Finalizado": [{"Date": "nope"}]}}}),
    ];
    for change in odd {
        let mut doc = serde_json::to_value(serde_json::json!({
            "id": "x1", "email": "a@b.co", "rclastcart": "add?sku=880010&qty=1", "rclastcartvalue": 10,
            "rclastsessiondate": "2026-07-02T20:09:17+00:00",
        }))
        .unwrap();
        for (k, v) in change.as_object().unwrap() {
            doc[k] = v.clone();
        }
        let Ok(client) = serde_json::from_value::<Client>(doc) else { continue };
        if let Err(reason) = client.read(&config, &storefront, &HashMap::new()) {
            assert!(!reason.is_empty());
        }
        let _ = client.finished_at();
    }
}

/// A store's carts are in its country's currency, wherever VTEX sells; a country with no known
/// currency is refused at setup, never given a guessed USD.
#[test]
fn totals_are_in_the_currency_of_the_stores_country_never_a_guessed_usd() {
    let storefront = Url::parse("https://www.loja.example").unwrap();
    for (country, code) in [
        ("FR", "EUR"),
        ("IT", "EUR"),
        ("DE", "EUR"),
        ("GB", "GBP"),
        ("PY", "PYG"),
        ("BO", "BOB"),
        ("GT", "GTQ"),
    ] {
        let config = StoreConfig::new(
            crate::stores::Platform::Vtex,
            "https://loja.vtexcommercestable.com.br",
            country,
        )
        .unwrap();
        let cart =
            client(Some("+55 11 98765-4321"), None).read(&config, &storefront, &HashMap::new()).unwrap();
        assert_eq!(cart.total().currency().to_string(), code, "{country}");
        assert_eq!(cart.items()[0].unit_price().currency().to_string(), code, "{country}");
    }
    let unknown =
        StoreConfig::new(crate::stores::Platform::Vtex, "https://loja.vtexcommercestable.com.br", "XX")
            .unwrap();
    assert!(client(None, None).read(&unknown, &storefront, &HashMap::new()).is_err(), "no guessed currency");
    let http = crate::stores::http::StoreHttp::new(&unknown).unwrap();
    let keys = crate::stores::Credentials::KeySecret {
        key: crate::secrets::Sensitive::new("k".to_string()),
        secret: crate::secrets::Sensitive::new("t".to_string()),
    };
    let clock: std::sync::Arc<dyn crate::clock::Clock> = std::sync::Arc::new(crate::clock::SystemClock);
    let refused =
        Vtex::new(unknown, keys, http, clock).err().expect("a country without a currency is refused");
    assert!(refused.to_string().contains("XX") && refused.to_string().contains("currency"), "{refused}");
}
