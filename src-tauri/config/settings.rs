//! The settings as typed values, built from the effective text of every setting. Pure: the
//! text comes from `storage::settings`, which reads it and calls [`Settings::from_values`].

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::ConfigError;
use crate::domain::BusinessHours;

/// The settings as typed values, read once per use from the database (`Settings::load` in
/// `storage::settings`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: Tz,
    pub business_hours: BusinessHours,
    pub default_country: String,
    pub abandonment_delay_minutes: u32,
    pub max_delay_minutes: u32,
    pub backlog_spread_minutes: u32,
    pub max_cart_age_hours: u32,
    pub followups: u32,
    pub followup_delay_hours: u32,
    pub per_customer_cap_days: u32,
    pub consent_only: bool,
    pub holdout_percent: u32,
    pub attribution_days: u32,
    pub poll_interval_seconds: u32,
    pub sending_paused: bool,
    pub ui_language: String,
    pub autostart: bool,
    pub whatsapp_base_url: String,
    pub whatsapp_api_version: String,
    pub whatsapp_phone_number_id: String,
    pub whatsapp_waba_id: String,
    pub template_name: String,
    pub send_lease_seconds: u32,
    pub whatsapp_auth_header: String,
    pub whatsapp_max_per_second: u32,
    pub webhook_port: u16,
    pub webhook_path: String,
    pub webhook_verify_token: String,
    /// Unsigned deliveries accepted while no app secret is set (their risky effects never apply).
    pub allow_unsigned_webhooks: bool,
    /// Days a processed delivery's raw body is kept.
    pub webhook_body_retention_days: u32,
    /// The public address the owner's tunnel exposes (empty: not registered by Recupero).
    pub webhook_public_url: String,
    /// The full address Meta accepted at the last registration.
    pub webhook_registered_url: String,
    pub assistant_mode: String,
    pub assistant_base_url: String,
    pub assistant_model: String,
    pub assistant_timeout_seconds: u32,
    pub shop_facts: String,
    pub escalation_keywords: Vec<String>,
    pub notify_recovered: bool,
    /// What 1 USD is worth in the shop's currencies (owner-entered), for the ROI.
    pub usd_exchange_rates: BTreeMap<crate::domain::money::Currency, rust_decimal::Decimal>,
    /// Where the update manifest is (empty: never check for updates).
    pub update_manifest_url: String,
    /// off | quick | named: the tunnel Recupero runs.
    pub tunnel_mode: String,
    pub tunnel_name: String,
    /// The named tunnel's public hostname (bare, no scheme).
    pub tunnel_hostname: String,
    /// Empty: look for cloudflared on PATH.
    pub cloudflared_path: String,
    /// The reminder goes with the first product's picture when it can (the image variant).
    pub reminder_image: bool,
    /// The image variant's template name.
    pub reminder_image_template: String,
    /// Write each WhatsApp opt-out back to the store's customer (Shopify, API 2026-07 and later).
    pub store_write_opt_out: bool,
    /// The month's estimated WhatsApp spend (USD) at which recovery messages wait; `None`: no cap.
    pub monthly_spend_cap_usd: Option<rust_decimal::Decimal>,
    /// The running A/B experiment; `None`: none.
    pub experiment: Option<crate::domain::experiment::ExperimentSpec>,
    /// The coupon's discount in percent (0: no coupons).
    pub coupon_percent: u32,
    /// Which message carries the coupon (0 the first, 1 the first follow-up, …).
    pub coupon_step: u32,
    /// Hours a coupon stays valid after its message.
    pub coupon_valid_hours: u32,
    /// The cart total a coupon needs, in the cart's currency; `None`: every cart.
    pub coupon_min_total: Option<rust_decimal::Decimal>,
}

impl Settings {
    /// The typed settings from every key's effective value (see [`super::effective`]): each value
    /// was validated on its way in, so only the business hours' zone is checked here.
    pub fn from_values(values: &BTreeMap<String, String>) -> Result<Settings, ConfigError> {
        let get = |k: &str| values.get(k).cloned().unwrap_or_default();
        let int = |k: &str| get(k).parse::<u32>().unwrap_or(0);
        let timezone: Tz = get("timezone").parse().unwrap_or(Tz::UTC);
        let business_hours = BusinessHours::parse(&get("business_hours"), timezone.name()).map_err(|e| {
            ConfigError::InvalidValue {
                key: "business_hours".into(),
                reason: e.to_string(),
                expected: Some(super::values::ValueError::Hours(e)),
            }
        })?;
        Ok(Settings {
            timezone,
            business_hours,
            default_country: get("default_country"),
            abandonment_delay_minutes: int("abandonment_delay_minutes"),
            max_delay_minutes: int("max_delay_minutes"),
            backlog_spread_minutes: int("backlog_spread_minutes"),
            max_cart_age_hours: int("max_cart_age_hours"),
            followups: int("followups"),
            followup_delay_hours: int("followup_delay_hours"),
            per_customer_cap_days: int("per_customer_cap_days"),
            consent_only: get("consent_only") == "true",
            holdout_percent: int("holdout_percent"),
            attribution_days: int("attribution_days"),
            poll_interval_seconds: int("poll_interval_seconds"),
            sending_paused: get("sending_paused") == "true",
            ui_language: get("ui_language"),
            autostart: get("autostart") == "true",
            whatsapp_base_url: get("whatsapp_base_url"),
            whatsapp_api_version: get("whatsapp_api_version"),
            whatsapp_phone_number_id: get("whatsapp_phone_number_id"),
            whatsapp_waba_id: get("whatsapp_waba_id"),
            template_name: get("template_name"),
            send_lease_seconds: int("send_lease_seconds"),
            whatsapp_auth_header: get("whatsapp_auth_header"),
            whatsapp_max_per_second: int("whatsapp_max_per_second"),
            webhook_port: u16::try_from(int("webhook_port")).unwrap_or(8790),
            webhook_path: get("webhook_path"),
            webhook_verify_token: get("webhook_verify_token"),
            allow_unsigned_webhooks: get("allow_unsigned_webhooks") == "true",
            webhook_body_retention_days: int("webhook_body_retention_days").max(1),
            webhook_public_url: get("webhook_public_url"),
            webhook_registered_url: get("webhook_registered_url"),
            assistant_mode: get("assistant_mode"),
            assistant_base_url: get("assistant_base_url"),
            assistant_model: get("assistant_model"),
            assistant_timeout_seconds: int("assistant_timeout_seconds"),
            shop_facts: get("shop_facts"),
            escalation_keywords: crate::domain::escalation::parse_keywords(&get("escalation_keywords")),
            notify_recovered: get("notify_recovered") == "true",
            usd_exchange_rates: crate::domain::money::parse_usd_rates(&get("usd_exchange_rates"))
                .unwrap_or_default(),
            update_manifest_url: get("update_manifest_url"),
            tunnel_mode: get("tunnel_mode"),
            tunnel_name: get("tunnel_name"),
            tunnel_hostname: get("tunnel_hostname"),
            cloudflared_path: get("cloudflared_path"),
            reminder_image: get("reminder_image") == "true",
            reminder_image_template: get("reminder_image_template"),
            store_write_opt_out: get("store_write_opt_out") == "true",
            monthly_spend_cap_usd: super::sending::spend_cap_of(&get("monthly_spend_cap_usd")),
            experiment: crate::domain::experiment::ExperimentSpec::parse(&get("experiment")).ok(),
            coupon_percent: int("coupon_percent"),
            coupon_step: int("coupon_step"),
            coupon_valid_hours: int("coupon_valid_hours").max(1),
            coupon_min_total: super::sending::coupon_min_total_of(&get("coupon_min_total")),
        })
    }
}
