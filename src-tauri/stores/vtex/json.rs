//! VTEX's shapes: a Master Data v1 customer document (`CL`) with its "last browsing data"
//! fields and the catalog's SKU record (for item names), and their reading into a domain cart
//! (OMS orders: [`super::oms`]).
//!
//! `rclastcart` is the query string VTEX's own abandoned-cart email puts after
//! `https://{store}/checkout/cart/`: `add?sku=880010&qty=1&seller=1&sc=1`, the `sku`, `qty`,
//! `seller` triplet repeated per item (stores.md §5; UNCONFIRMED against a live account: the
//! leading `add?` may be missing, and some stores save a whole URL — all three are accepted, the
//! link always on the configured storefront).
//! `carttag` and `checkouttag` are RC "tags": `{"DisplayValue": …, "Scores": {key: [{"Point",
//! "Date"}]}}`, sometimes stored as that JSON in a string; `carttag`'s keys are SKU ids with the
//! unit price as `Point` (UNCONFIRMED), `checkouttag`'s DisplayValue is "Finalizado" once the
//! purchase completed.

use std::collections::HashMap;

use serde::Deserialize;
use url::Url;

use crate::domain::time::{optional_time, parse_time};
use crate::domain::{Cart, Money};
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::StoreConfig;

/// The CL fields a poll asks for (`_fields`).
pub(crate) const FIELDS: &str = "id,email,firstName,phone,homePhone,rclastcart,rclastcartvalue,rclastsession,rclastsessiondate,carttag,checkouttag";

/// One customer document as `_fields` returns it.
#[derive(Debug, Deserialize)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) email: Option<String>,
    #[serde(rename = "firstName")]
    pub(super) first_name: Option<String>,
    pub(super) phone: Option<String>,
    #[serde(rename = "homePhone")]
    pub(super) home_phone: Option<String>,
    pub(crate) rclastcart: Option<String>,
    pub(super) rclastcartvalue: Option<Scalar>,
    pub(crate) rclastsessiondate: Option<String>,
    #[serde(default)]
    pub(super) carttag: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) checkouttag: Option<serde_json::Value>,
}

/// An RC tag, read from an object or from that object stored as a JSON string.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Tag {
    #[serde(rename = "DisplayValue")]
    display_value: Option<String>,
    #[serde(rename = "Scores", default)]
    scores: HashMap<String, Vec<Score>>,
}

#[derive(Debug, Deserialize)]
struct Score {
    #[serde(rename = "Point")]
    point: Option<Scalar>,
    #[serde(rename = "Date")]
    date: Option<String>,
}

fn tag(value: Option<&serde_json::Value>) -> Tag {
    match value {
        Some(serde_json::Value::String(text)) => serde_json::from_str(text).unwrap_or_default(),
        Some(value @ serde_json::Value::Object(_)) => {
            serde_json::from_value(value.clone()).unwrap_or_default()
        }
        _ => Tag::default(),
    }
}

/// One line of `rclastcart`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CartLine {
    pub(crate) sku: String,
    pub(crate) quantity: u32,
}

/// The query string of `rclastcart`, whatever prefix the store saved.
fn cart_query(rclastcart: &str) -> &str {
    let text = rclastcart.trim();
    match text.split_once('?') {
        Some((_, query)) => query,
        None => text,
    }
}

/// The items of `rclastcart` in order: each `sku` with the `qty` that follows it (1 if none).
pub(crate) fn lines(rclastcart: &str) -> Result<Vec<CartLine>, String> {
    let mut lines: Vec<CartLine> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(cart_query(rclastcart).as_bytes()) {
        match key.as_ref() {
            "sku" => {
                let sku = value.trim();
                if sku.is_empty() || !sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(format!("rclastcart sku {sku:?} is not an id"));
                }
                lines.push(CartLine { sku: sku.to_string(), quantity: 1 });
            }
            "qty" => {
                let line = lines.last_mut().ok_or("rclastcart has a qty before any sku")?;
                line.quantity = fields::quantity(&Scalar::Text(value.into_owned()))?;
                if line.quantity == 0 {
                    return Err(format!("rclastcart quantity 0 for sku {}", line.sku));
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        return Err("rclastcart names no sku".into());
    }
    Ok(lines)
}

/// The link that refills the cart on the store's own domain: `rclastcart` after
/// `{storefront}/checkout/cart/`. An absolute URL saved in `rclastcart` gives only its path and
/// query: whatever host it names (`vtexcommercestable`, an old domain, another site), the link
/// opens on the configured storefront (stores.md §5: use the store's real domain).
pub(crate) fn recovery_link(storefront: &Url, rclastcart: &str) -> Result<String, String> {
    let text = rclastcart.trim();
    let scheme = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let relative = if scheme.starts_with("https://") || scheme.starts_with("http://") {
        let url = Url::parse(text).map_err(|e| format!("rclastcart is not a URL: {e}"))?;
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    } else {
        text.to_string()
    };
    let path = relative.trim_start_matches('/');
    let rest = path.strip_prefix("checkout/cart/").unwrap_or(path);
    let rest = if rest.starts_with("add?") { rest.to_string() } else { format!("add?{}", cart_query(rest)) };
    let base = storefront.as_str().trim_end_matches('/');
    Ok(format!("{base}/checkout/cart/{rest}"))
}

/// A catalog SKU, for the names and pictures a cart line needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Sku {
    #[serde(rename = "ProductName")]
    pub(crate) product_name: Option<String>,
    #[serde(rename = "SkuName")]
    pub(crate) sku_name: Option<String>,
    #[serde(rename = "NameComplete")]
    pub(crate) name_complete: Option<String>,
    #[serde(rename = "ImageUrl")]
    pub(crate) image_url: Option<String>,
}

impl Sku {
    /// Product name and variant (the SKU's own name when it differs from the product's).
    fn names(&self, sku: &str) -> (String, Option<String>) {
        let product = first_present([self.product_name.as_deref(), self.name_complete.as_deref()]);
        let variant =
            self.sku_name.as_deref().map(str::trim).filter(|v| !v.is_empty() && Some(*v) != product);
        match product {
            Some(name) => (name.to_string(), variant.map(String::from)),
            None => (format!("SKU {sku}"), None),
        }
    }
}

/// Whether a `checkouttag` DisplayValue says the purchase completed.
pub(crate) fn finished(display: &str) -> bool {
    let d = display.trim();
    d.eq_ignore_ascii_case("finalizado") || d.eq_ignore_ascii_case("finished")
}

/// The currency of a store of this country's carts (CL carries none): [`super::currency`].
pub(crate) fn currency(country: &str) -> Result<&'static str, String> {
    super::currency::of_country(country)
        .ok_or_else(|| format!("no currency known for the store's country {country:?}"))
}

impl Client {
    /// When the customer's last session was seen.
    pub(crate) fn session(&self) -> Result<chrono::DateTime<chrono::Utc>, String> {
        parse_time(self.rclastsessiondate.as_deref().ok_or("no rclastsessiondate")?)
    }

    /// When the checkout finished, if `checkouttag` says so: its score's date, else the session's.
    pub(crate) fn finished_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let tag = tag(self.checkouttag.as_ref());
        let done =
            tag.display_value.as_deref().is_some_and(finished) || tag.scores.keys().any(|k| finished(k));
        if !done {
            return None;
        }
        let scored = tag
            .scores
            .iter()
            .filter(|(k, _)| finished(k))
            .flat_map(|(_, s)| s.iter())
            .filter_map(|s| optional_time(s.date.as_deref()).ok().flatten())
            .max();
        scored.or_else(|| self.session().ok())
    }

    /// The cart of this customer's last session; `skus` names the lines (a SKU not in it gets
    /// "SKU {id}").
    pub(crate) fn read(
        &self,
        config: &StoreConfig,
        storefront: &Url,
        skus: &HashMap<String, Sku>,
    ) -> Result<Cart, String> {
        let rclastcart =
            self.rclastcart.as_deref().map(str::trim).filter(|c| !c.is_empty()).ok_or("no rclastcart")?;
        let currency = currency(&config.country)?;
        let prices = tag(self.carttag.as_ref());
        let items = lines(rclastcart)?
            .iter()
            .map(|line| {
                let point =
                    prices.scores.get(&line.sku).and_then(|s| s.first()).and_then(|s| s.point.as_ref());
                let price = match point {
                    Some(p) => fields::money(p, currency)?,
                    None => Money::parse("0", currency).map_err(|e| e.to_string())?,
                };
                let sku = skus.get(&line.sku).cloned().unwrap_or_default();
                let (name, variant) = sku.names(&line.sku);
                fields::line_item(&name, variant.as_deref(), line.quantity, price, sku.image_url.as_deref())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let total = self.rclastcartvalue.as_ref().ok_or("no rclastcartvalue")?;
        let session = self.session()?;
        let link = recovery_link(storefront, rclastcart)?;
        fields::cart(Parts {
            store: config.id,
            id: &self.id,
            name: self.first_name.as_deref(),
            language: None,
            consent: None,
            phone: first_present([self.phone.as_deref(), self.home_phone.as_deref()]),
            country: &config.country,
            items,
            total: fields::money(total, currency)?,
            link: &link,
            created_at: session,
            updated_at: session,
            completed_at: self.finished_at(),
        })
    }
}

#[cfg(test)]
mod tests;
