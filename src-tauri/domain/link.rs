//! Web links a cart carries: the recovery link that reopens the checkout, and the product
//! images beside its lines.
//!
//! Guarantees: a [`RecoveryLink`] is an absolute `http`/`https` URL with a host and no embedded
//! credentials; [`web_url`] applies the same test to any link a cart shows.

use serde::{Deserialize, Serialize};
use url::Url;

use super::cart_error::CartError;

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

/// An absolute http(s) URL with a host and no user or password, else None.
pub(super) fn web_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    let clean = url.username().is_empty() && url.password().is_none();
    (web && clean && url.host().is_some()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

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
}
