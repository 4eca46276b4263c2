//! The WhatsApp connection's non-secret settings: the API address and version, the account's
//! ids, the token's header, the send rate and the recovery template's name.

use super::values;
use super::{Kind, Spec};

pub(super) const WHATSAPP_BASE_URL: Spec = Spec {
    key: "whatsapp_base_url",
    kind: Kind::Text,
    description: "The WhatsApp Cloud API address: Meta's Graph API, or a partner's compatible endpoint",
    default: || "https://graph.facebook.com".into(),
    validate: values::base_url,
};

pub(super) const WHATSAPP_API_VERSION: Spec = Spec {
    key: "whatsapp_api_version",
    kind: Kind::Text,
    description: "The Graph API version requests are pinned to",
    default: || "v25.0".into(),
    validate: values::api_version,
};

pub(super) const WHATSAPP_PHONE_NUMBER_ID: Spec = Spec {
    key: "whatsapp_phone_number_id",
    kind: Kind::Text,
    description: "The WhatsApp phone-number id messages are sent from (empty: not connected)",
    default: String::new,
    validate: values::digits_or_empty,
};

pub(super) const WHATSAPP_WABA_ID: Spec = Spec {
    key: "whatsapp_waba_id",
    kind: Kind::Text,
    description: "The WhatsApp Business Account id (to read the template's approval)",
    default: String::new,
    validate: values::digits_or_empty,
};

pub(super) const WHATSAPP_AUTH_HEADER: Spec = Spec {
    key: "whatsapp_auth_header",
    kind: Kind::Text,
    description: "The header the access token goes in: Authorization (Meta: \"Bearer <token>\") or a partner's, e.g. D360-API-KEY (the token as is)",
    default: || "Authorization".into(),
    validate: values::header_name,
};

pub(super) const WHATSAPP_MAX_PER_SECOND: Spec = Spec {
    key: "whatsapp_max_per_second",
    kind: Kind::Text,
    description: "Messages per second at most (a Coexistence number is fixed at 20)",
    default: || "20".into(),
    validate: |v| values::int_in(v, 1, 1000),
};

pub(super) const TEMPLATE_NAME: Spec = Spec {
    key: "template_name",
    kind: Kind::Text,
    description:
        "The approved recovery template: body {{1}} store, {{2}} first name, {{3}} products; URL button",
    default: || "recupero_carrito".into(),
    validate: values::template_name,
};

pub(super) const REMINDER_IMAGE_TEMPLATE: Spec = Spec {
    key: "reminder_image_template",
    kind: Kind::Text,
    description: "The image variant of the recovery template: the first product's picture as its header, the same body and buttons",
    default: || "recupero_carrito_foto".into(),
    validate: values::template_name,
};
