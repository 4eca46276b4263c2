//! The shop's own settings: where and when it is (zone, business hours, country) and what its
//! currencies are worth in US dollars.

use super::values;
use super::{Kind, Spec};

pub(super) const TIMEZONE: Spec = Spec {
    key: "timezone",
    kind: Kind::Timezone,
    description: "The shop's IANA time zone; business hours are read in it (default: the computer's)",
    default: values::system_timezone,
    validate: values::timezone,
};

pub(super) const BUSINESS_HOURS: Spec = Spec {
    key: "business_hours",
    kind: Kind::Hours,
    description: "When messages may go out, e.g. 'mon-fri 09:00-18:00; sat 10:00-13:00; closed 2026-12-25'",
    default: || "mon-fri 09:00-18:00; sat 10:00-13:00".into(),
    validate: values::hours,
};

pub(super) const DEFAULT_COUNTRY: Spec = Spec {
    key: "default_country",
    kind: Kind::Country,
    description: "Country used to read phone numbers typed without a country code",
    default: || "AR".into(),
    validate: values::country,
};

pub(super) const USD_EXCHANGE_RATES: Spec = Spec {
    key: "usd_exchange_rates",
    kind: Kind::Text,
    description: "What 1 US dollar is worth in your sales currencies, e.g. ARS=1050; BRL=5.40 (WhatsApp's prices are in USD: with a rate, Results shows the return on your sales' currency)",
    default: String::new,
    validate: values::usd_rates,
};
