//! Why a cart or one of its parts (id, link, lines, prices) was refused, shared by the cart and
//! its lines so each can say what was wrong without depending on the other.

use super::money::Currency;

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
