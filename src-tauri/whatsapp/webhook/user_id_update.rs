//! `field: user_id_update` (Meta, *Business-scoped user IDs*, "user_id_update webhooks"): WhatsApp
//! issued a customer a new BSUID (they changed their number), with the previous and current ids.

use serde::Deserialize;

/// A previous and a current id.
#[derive(Debug, Default, Deserialize)]
pub struct IdChange {
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub current: Option<String>,
}

/// One entry of `value.user_id_update[]`.
#[derive(Debug, Default, Deserialize)]
pub struct UserIdUpdate {
    /// The customer's number, when Meta may share it.
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<IdChange>,
    #[serde(default)]
    pub parent_user_id: Option<IdChange>,
}
