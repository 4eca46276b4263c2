//! Realistic, reproducible checkouts for the sandbox stores: Spanish and Portuguese names with
//! accents (and some emoji or Arabic), several countries and currencies, phones typed the way
//! people type them (and some missing or useless), carts from one line to forty, some updated
//! after creation, some completed later. A seed makes the same set every time.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// Where the catalog's product pictures are; a running sandbox serves them itself (`images`).
pub const PICTURES: &str = "https://cdn.sandbox.invalid/products/";

/// One checkout in a platform-neutral shape; each platform module renders it in its own JSON.
#[derive(Debug, Clone)]
pub struct SandboxCheckout {
    pub id: u64,
    pub token: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// What the customer typed, if anything; `phone_in` says which field holds it.
    pub phone: Option<String>,
    pub phone_in: PhoneField,
    pub country: &'static str,
    pub currency: &'static str,
    pub language: &'static str,
    pub consent: Option<bool>,
    pub items: Vec<SandboxItem>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the customer completes the purchase (in the sandbox's future, or never).
    pub completes_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneField {
    Customer,
    Shipping,
    Billing,
}

#[derive(Debug, Clone)]
pub struct SandboxItem {
    pub product_id: u64,
    pub variant_id: u64,
    pub name: String,
    pub variant: Option<String>,
    pub unit_price: Decimal,
    pub quantity: u32,
    pub sku: String,
    pub image: String,
}

impl SandboxCheckout {
    pub fn subtotal(&self) -> Decimal {
        self.items.iter().map(|i| i.unit_price * Decimal::from(i.quantity)).sum()
    }

    /// Subtotal plus a flat shipping cost for carts under a threshold.
    pub fn total(&self) -> Decimal {
        self.subtotal() + self.shipping()
    }

    pub fn shipping(&self) -> Decimal {
        let (cost, free_from) = match self.currency {
            "ARS" => (4500, 60_000),
            "BRL" => (25, 300),
            "MXN" => (99, 999),
            "CLP" => (3990, 50_000),
            "COP" => (12_000, 250_000),
            "UYU" => (250, 3000),
            "PEN" => (15, 200),
            _ => (5, 60),
        };
        if self.subtotal() >= Decimal::from(free_from) {
            Decimal::ZERO
        } else {
            Decimal::from(cost)
        }
    }

    /// Completed as seen at `now`.
    pub fn completed_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.completes_at.filter(|t| *t <= now)
    }

    /// The last change as seen at `now` (completing a checkout updates it).
    pub fn updated_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.completed_at(now).map_or(self.updated_at, |c| c.max(self.updated_at))
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

struct Country {
    code: &'static str,
    currency: &'static str,
    language: &'static str,
    /// Price range in whole currency units.
    prices: (u32, u32),
    cents: bool,
    phones: &'static [&'static str],
}

/// `#` becomes a random digit.
const COUNTRIES: &[Country] = &[
    Country {
        code: "AR",
        currency: "ARS",
        language: "es",
        prices: (4_000, 90_000),
        cents: true,
        phones: &[
            "011 15-5###-####",
            "+54 9 11 6###-####",
            "115#######",
            "(0351) 15 5##-####",
            "+549116#######",
        ],
    },
    Country {
        code: "BR",
        currency: "BRL",
        language: "pt",
        prices: (40, 600),
        cents: true,
        phones: &["(11) 98###-####", "+55 11 97### ####", "1199#######", "+55 (21) 9 8###-####"],
    },
    Country {
        code: "MX",
        currency: "MXN",
        language: "es",
        prices: (150, 2_500),
        cents: true,
        phones: &["55 5### ####", "+52 1 55 6### ####", "044 55 4### ####", "+52 33 3### ####"],
    },
    Country {
        code: "CL",
        currency: "CLP",
        language: "es",
        prices: (5_990, 79_990),
        cents: false,
        phones: &["9 78## ####", "+56 9 76## ####", "+56975######"],
    },
    Country {
        code: "CO",
        currency: "COP",
        language: "es",
        prices: (30_000, 400_000),
        cents: false,
        phones: &["300 ### ####", "+57 31# ### ####", "320#######"],
    },
    Country {
        code: "ES",
        currency: "EUR",
        language: "es",
        prices: (9, 150),
        cents: true,
        phones: &["6## ## ## ##", "+34 6## ### ###", "6########"],
    },
    Country {
        code: "UY",
        currency: "UYU",
        language: "es",
        prices: (390, 4_500),
        cents: true,
        phones: &["099 ### ###", "+598 99 ### ###"],
    },
    Country {
        code: "PE",
        currency: "PEN",
        language: "es",
        prices: (29, 450),
        cents: true,
        phones: &["98# ### ###", "+51 99# ### ###"],
    },
    Country {
        code: "US",
        currency: "USD",
        language: "en",
        prices: (9, 180),
        cents: true,
        phones: &["(415) 555-####", "+1 415-555-####"],
    },
];

const FIRST_ES: &[&str] = &[
    "María José",
    "Lucía",
    "Sofía",
    "Martín",
    "Agustín",
    "Begoña",
    "José Ángel",
    "Ñusta",
    "Valentina 🌸",
    "Iñaki",
    "Camila",
    "Joaquín",
    "Zoë",
    "Renata",
    "Ximena",
    "Ramón",
    "ana",
    "DIEGO",
    "Nahuel",
    "محمد",
];
const FIRST_PT: &[&str] =
    &["João", "Conceição", "Luíza", "Antônio", "Gonçalo", "Thaís", "Lúcia 💜", "Caio", "Débora", "Júlia"];
const FIRST_EN: &[&str] = &["Emily", "Zoë", "Liam", "Chloé", "Noah ⚽"];
const LAST: &[&str] =
    &["Pérez", "Gómez", "Núñez", "da Silva", "Conceição", "O'Brien", "Muñoz", "Araújo", "López-Ibáñez"];

const PRODUCTS_ES: &[(&str, &[&str])] = &[
    ("Remera oversize", &["S", "M", "L", "XL"]),
    ("Zapatillas urbanas", &["38", "39", "40", "41", "42"]),
    ("Vestido floral 🌼", &["S", "M"]),
    ("Mochila impermeable", &[]),
    ("Taza de cerámica ☕", &[]),
    ("Jean mom fit", &["36", "38", "40"]),
    ("Buzo con capucha", &["Negro / M", "Gris / L"]),
    ("Crema hidratante 50 ml", &[]),
    ("Collar de acero", &[]),
    ("Almohadón bordado a mano — edición limitada", &[]),
];
const PRODUCTS_PT: &[(&str, &[&str])] = &[
    ("Camiseta básica", &["P", "M", "G"]),
    ("Tênis casual", &["37", "38", "40"]),
    ("Bolsa de couro", &[]),
    ("Vestido longo 🌺", &["P", "M"]),
    ("Caneca térmica", &[]),
    ("Shampoo sólido", &[]),
];
const PRODUCTS_EN: &[(&str, &[&str])] = &[("Canvas tote", &[]), ("Hoodie", &["M", "L"]), ("Mug", &[])];

/// What a generated set looks like.
#[derive(Debug, Clone)]
pub struct CatalogSpec {
    pub seed: u64,
    /// First id to hand out (ids then grow by one).
    pub first_id: u64,
    pub count: u64,
    /// Creation time of the newest checkout; older ones are `spacing` apart.
    pub newest_at: DateTime<Utc>,
    pub spacing: Duration,
    /// Only Spanish-speaking carts in this country, when set (a Tiendanube AR shop…).
    pub country: Option<&'static str>,
}

/// Generates checkout number `n` (0-based) of the spec.
pub fn checkout(spec: &CatalogSpec, n: u64) -> SandboxCheckout {
    let mut rng = fastrand::Rng::with_seed(spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n);
    let country = match spec.country {
        Some(code) => COUNTRIES.iter().find(|c| c.code == code).unwrap_or(&COUNTRIES[0]),
        None => &COUNTRIES[rng.usize(..COUNTRIES.len())],
    };
    let (firsts, products): (&[&str], &[(&str, &[&str])]) = match country.language {
        "pt" => (FIRST_PT, PRODUCTS_PT),
        "en" => (FIRST_EN, PRODUCTS_EN),
        _ => (FIRST_ES, PRODUCTS_ES),
    };
    let first_name = firsts[rng.usize(..firsts.len())].to_string();
    let last_name = LAST[rng.usize(..LAST.len())].to_string();
    let id = spec.first_id + n;
    let roll = rng.u32(..100);
    let phone = match roll {
        0..=7 => None,
        8..=10 => Some(["no tengo", "1234", "011 4555-1234", "+54 11 4312-0000"][rng.usize(..4)].to_string()),
        _ => Some(fill(country.phones[rng.usize(..country.phones.len())], &mut rng)),
    };
    let phone_in = match rng.u32(..10) {
        0..=5 => PhoneField::Customer,
        6..=7 => PhoneField::Shipping,
        _ => PhoneField::Billing,
    };
    let lines = if rng.u32(..100) == 0 { 40 } else { rng.usize(1..=4) };
    let items = (0..lines)
        .map(|line| {
            let (name, variants) = products[rng.usize(..products.len())];
            let variant = (!variants.is_empty()).then(|| variants[rng.usize(..variants.len())].to_string());
            let whole = rng.u32(country.prices.0..=country.prices.1);
            let unit_price = if country.cents {
                Decimal::new(i64::from(whole) * 100 + [0, 50, 90, 99][rng.usize(..4)], 2)
            } else {
                Decimal::from((whole / 10) * 10)
            };
            let product_id = 1000 + (name.len() as u64 * 37) % 900;
            SandboxItem {
                product_id,
                variant_id: product_id * 10 + line as u64,
                name: name.to_string(),
                variant,
                unit_price,
                quantity: rng.u32(1..=3),
                sku: format!("SKU-{product_id}-{line}"),
                image: format!("{PICTURES}{product_id}.jpg"),
            }
        })
        .collect();
    let created_at = spec.newest_at - spec.spacing * i32::try_from(spec.count - 1 - n).unwrap_or(i32::MAX);
    // Some customers come back later; never after the newest checkout (the sandbox's "now").
    let updated_at = (created_at
        + if rng.u32(..10) == 0 {
            Duration::minutes(rng.i64(5..=90))
        } else {
            Duration::seconds(rng.i64(0..=90))
        })
    .min(spec.newest_at.max(created_at));
    let completes_at = (rng.u32(..100) < 15).then(|| updated_at + Duration::minutes(rng.i64(20..=240)));
    let consent = [Some(true), Some(false), None][rng.usize(..3)];
    let email_user: String =
        first_name.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_lowercase();
    SandboxCheckout {
        id,
        token: format!("{:032x}", rng.u128(..)),
        first_name,
        last_name,
        email: format!("{}{id}@example.com", if email_user.is_empty() { "cliente" } else { &email_user }),
        phone,
        phone_in,
        country: country.code,
        currency: country.currency,
        language: country.language,
        consent,
        items,
        created_at,
        updated_at,
        completes_at,
    }
}

fn fill(pattern: &str, rng: &mut fastrand::Rng) -> String {
    pattern.chars().map(|c| if c == '#' { char::from(b'0' + rng.u8(..10)) } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn spec(count: u64) -> CatalogSpec {
        CatalogSpec {
            seed: 7,
            first_id: 1000,
            count,
            newest_at: Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
            spacing: Duration::minutes(3),
            country: None,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_checkouts() {
        let s = spec(50);
        for n in 0..50 {
            let (a, b) = (checkout(&s, n), checkout(&s, n));
            assert_eq!(
                (a.id, &a.first_name, &a.phone, a.total()),
                (b.id, &b.first_name, &b.phone, b.total())
            );
        }
    }

    #[test]
    fn the_set_is_varied_like_real_shops() {
        let s = spec(2000);
        let all: Vec<_> = (0..2000).map(|n| checkout(&s, n)).collect();
        assert!(all.iter().any(|c| c.phone.is_none()), "some have no phone");
        assert!(all.iter().any(|c| c.completes_at.is_some()), "some complete later");
        assert!(all.iter().any(|c| c.items.len() == 40), "a few huge carts");
        assert!(all.iter().any(|c| !c.first_name.is_ascii()), "accents and emoji");
        for currency in ["ARS", "BRL", "MXN", "CLP", "EUR", "USD"] {
            assert!(all.iter().any(|c| c.currency == currency), "{currency}");
        }
        assert_eq!(all.last().unwrap().created_at, s.newest_at);
        assert!(all.windows(2).all(|w| w[0].id + 1 == w[1].id && w[0].created_at < w[1].created_at));
        assert!(all.iter().all(|c| c.updated_at >= c.created_at && c.total() > Decimal::ZERO));
    }

    #[test]
    fn typed_phones_are_valid_mobiles_except_the_deliberately_bad_ones() {
        let s = spec(3000);
        let bad = ["no tengo", "1234", "011 4555-1234", "+54 11 4312-0000"];
        for c in (0..3000).map(|n| checkout(&s, n)) {
            let Some(phone) = c.phone.as_deref().filter(|p| !bad.contains(p)) else { continue };
            let parsed = crate::domain::Phone::parse(phone, c.country);
            assert!(parsed.is_ok(), "{} {phone:?}: {parsed:?}", c.country);
        }
    }
}
