//! A WhatsApp message template as Meta reports it: its review state and the shape a send must
//! match. Pure data; the cache row it is stored in (with when it was checked and any local
//! block) and the conversions both ways live in `storage::templates`.

use serde::Serialize;

/// A template as Meta reports it: review state (APPROVED, PENDING, REJECTED, PAUSED…) and the
/// shape a send must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TemplateState {
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub id: Option<String>,
    /// How many body parameters it takes (`None`: not reported).
    pub body_params: Option<i64>,
    /// TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION when it has a header.
    pub header_format: Option<String>,
    /// The URL button's address as approved, e.g. `https://shop.example/{{1}}`.
    pub button_url: Option<String>,
    /// The texts as approved on the account (placeholders `{{1}}` unfilled): what the customer
    /// reads, which may be the owner's own wording rather than the one Recupero submits.
    pub body_text: Option<String>,
    pub footer_text: Option<String>,
    /// The URL button's label.
    pub button_text: Option<String>,
    /// The first quick-reply button's label (the marketing opt-out, "Stop promotions").
    pub quick_reply_text: Option<String>,
}

impl TemplateState {
    pub fn approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("APPROVED")
    }
}
