//! The recovery message as a customer would receive it, for the live preview in Settings.
//!
//! Guarantee: the parameters come from the outbox's own builder ([`outbox::message`]) applied to
//! a sample cart of this shop (its name, currency and link shape), and the template is chosen
//! the way the outbox chooses it. What would stop the real send is listed as problem codes the
//! UI words (`template_missing`, `template_not_approved`, `recovery_url_mismatch`…). The words
//! are the account's approved template texts as Meta last reported them (the owner may have
//! written their own under this name); before Meta reported any, the text Recupero submits.

use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::domain::TemplateState;
use crate::domain::{Language, LineItem, Money};
use crate::scheduler::outbox;
use crate::storage::sends::SendContext;
use crate::storage::templates::{self, TemplateRow};
use crate::storage::{carts, shops};
use crate::whatsapp::template;

/// The demo store's name: how a later demo run recognises its own data, and the shop name the
/// preview shows in the demo before any store is connected.
pub const DEMO_STORE: &str = "Tienda Sandbox (demo)";

/// What the Settings' "Message" card shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessagePreview {
    /// Meta's language code of the template used, e.g. `es_AR`.
    pub language: String,
    pub template_name: String,
    /// Meta's review status (`APPROVED`, `PENDING`, `REJECTED`…); `None`: not on the account.
    pub status: Option<String>,
    /// The body with its placeholders filled, exactly the parameters the outbox would send.
    pub body: String,
    pub footer: String,
    pub button_text: Option<String>,
    /// The quick-reply button under it (the marketing opt-out, "Stop promotions").
    pub quick_reply_text: Option<String>,
    /// The address the button opens (the approved prefix and this cart's suffix).
    pub button_url: Option<String>,
    /// The template's header is the first product's image.
    pub image_header: bool,
    /// The picture such a header would carry: the first one of the store's latest carts (the
    /// window shows it through [`Engine::preview_picture`]); `None` before any cart has one.
    pub image_url: Option<String>,
    /// Why this message could not be sent as it is (empty: it could).
    pub problems: Vec<String>,
}

/// A cart that reads like one of this shop's: a first name, three items (emoji, sizes), a total.
fn sample_cart(language: &Language, store: &Store) -> SendContext {
    let (first_name, names) = match language {
        Language::Pt => ("Ana", ["Camiseta\nLua  🌙", "Boné bordado ⭐", "Meias listradas 🧦"]),
        Language::En | Language::Other(_) => {
            ("Ann", ["Moon\nT-shirt  🌙", "Embroidered cap ⭐", "Striped socks 🧦"])
        }
        Language::Es => ("Ana", ["Remera\nLuna  🌙", "Gorra bordada ⭐", "Medias rayadas 🧦"]),
    };
    let prices: [&str; 3] = match store.currency.as_str() {
        "ARS" => ["15990", "8500.50", "4200"],
        "CLP" => ["12990", "6990", "3990"],
        "COP" => ["59900", "29900", "15900"],
        "MXN" => ["399", "249.90", "129"],
        _ => ["89.90", "49.90", "24.50"],
    };
    let image = format!("{}/preview.jpg", store.base_url.trim_end_matches('/'));
    let items: Vec<LineItem> = [(names[0], "M", 2), (names[1], "U", 1), (names[2], "38", 1)]
        .iter()
        .zip(prices)
        .filter_map(|((name, size, qty), price)| {
            let price = Money::parse(price, &store.currency).ok()?;
            LineItem::new(name, Some(size), *qty, price, Some(&image)).ok()
        })
        .collect();
    let total = items
        .iter()
        .filter_map(|i| i.unit_price().checked_mul(i.quantity()).ok())
        .try_fold(None::<Money>, |sum, line| match sum {
            None => Some(Some(line)),
            Some(sum) => sum.checked_add(&line).ok().map(Some),
        })
        .flatten()
        .map_or_else(|| "0".to_string(), |m| m.amount().to_string());
    SendContext {
        id: 0,
        cart_id: 0,
        step: 0,
        idempotency_key: "preview".into(),
        state: "planned".into(),
        due_at: String::new(),
        deadline_at: String::new(),
        store_id: store.id,
        store_name: store.name.clone(),
        store_country: store.country.clone(),
        external_id: "preview".into(),
        phone_e164: None,
        first_name: Some(first_name.into()),
        language: Some(language.code().into()),
        marketing_consent: Some(true),
        items_json: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
        currency: store.currency.clone(),
        total,
        recovery_url: store.link.clone(),
        checkout_updated_at: String::new(),
        completed_at: None,
        holdout: false,
        contact_id: None,
        opted_out_at: None,
        takeover_at: None,
        automation_paused: false,
    }
}

/// The shop the sample cart comes from.
struct Store {
    id: i64,
    name: String,
    country: String,
    currency: String,
    base_url: String,
    link: Option<String>,
}

/// The currency a shop of this country most likely sells in, when it has no cart yet.
fn country_currency(country: &str) -> &'static str {
    match country {
        "AR" => "ARS",
        "BR" => "BRL",
        "MX" => "MXN",
        "CL" => "CLP",
        "CO" => "COP",
        "UY" => "UYU",
        "PE" => "PEN",
        "ES" | "PT" => "EUR",
        "GB" => "GBP",
        _ => "USD",
    }
}

/// Whether a template language (`es_AR`) is in the asked language (`es`).
fn same_language(code: &str, language: &Language) -> bool {
    Language::parse(code).as_ref() == Some(language)
}

impl Engine {
    /// The recovery message in `language` (`es`, `pt_BR`, `en`; `None`: the app's language) as a
    /// customer of this shop would receive it, with what would stop it from being sent.
    pub fn message_preview(&self, language: Option<&str>) -> EngineResult<MessagePreview> {
        let settings = self.settings()?;
        let language = match language {
            Some(tag) => {
                Language::parse(tag).filter(|l| !matches!(l, Language::Other(_))).ok_or_else(|| {
                    EngineError::Invalid(format!("no recovery message in the language {tag:?}"))
                })?
            }
            None => match crate::i18n::Lang::resolve(&settings.ui_language, None) {
                crate::i18n::Lang::Pt => Language::Pt,
                crate::i18n::Lang::En => Language::En,
                crate::i18n::Lang::Es => Language::Es,
            },
        };
        let conn = self.db.conn();
        let mut problems = Vec::new();
        let store = match shops::list(&conn)?.into_iter().next() {
            Some(s) => {
                let latest = carts::latest_of_store(&conn, s.id)?;
                let currency =
                    latest.as_ref().map_or(country_currency(&s.country), |(c, _)| c.as_str()).to_string();
                let link = latest.map(|(_, l)| l).unwrap_or_else(|| {
                    format!("{}/checkout/recover/preview", s.base_url.trim_end_matches('/'))
                });
                Store {
                    id: s.id,
                    name: s.name,
                    country: s.country,
                    currency,
                    base_url: s.base_url,
                    link: Some(link),
                }
            }
            None => {
                problems.push("no_store".to_string());
                let country =
                    Some(settings.default_country.as_str()).filter(|c| c.len() == 2).unwrap_or("AR");
                let name = if self.demo { DEMO_STORE } else { template::texts(language.code()).example[1] };
                Store {
                    id: 0,
                    name: name.to_string(),
                    country: country.to_string(),
                    currency: country_currency(country).to_string(),
                    base_url: "https://example.com".into(),
                    link: None,
                }
            }
        };
        let mut ctx = sample_cart(&language, &store);
        // The outbox's choice among this language's cached templates: the first sendable one in
        // its order, else the best known one (to say why it can't go).
        // With `reminder_image` on, the image variant (the picture header): when it is not on the
        // account yet it is shown as Recupero would create it, and the reminders go as text.
        let image_on = settings.reminder_image;
        let name = if image_on { &settings.reminder_image_template } else { &settings.template_name };
        let rows = templates::for_name(&conn, name)?;
        let candidates: Vec<String> =
            outbox::language_candidates(&ctx).into_iter().filter(|l| same_language(l, &language)).collect();
        let find = |ok: &dyn Fn(&TemplateRow) -> bool| {
            candidates.iter().find_map(|l| rows.iter().find(|r| &r.language == l && ok(r)))
        };
        let known = find(&TemplateRow::sendable)
            .or_else(|| find(&|_| true))
            .or_else(|| rows.iter().find(|r| same_language(&r.language, &language)));
        let row = match known {
            Some(row) => {
                if row.block_code.is_some() {
                    problems.push("template_blocked".into());
                } else if !row.sendable() {
                    problems.push("template_not_approved".into());
                }
                row.clone()
            }
            None => {
                problems.push(if image_on { "image_template_missing" } else { "template_missing" }.into());
                // The template as Recupero would create it for this shop's links.
                TemplateRow {
                    template: TemplateState {
                        name: name.clone(),
                        language: candidates.first().cloned().unwrap_or_else(|| language.code().into()),
                        body_params: Some(4),
                        header_format: image_on.then(|| "IMAGE".to_string()),
                        button_url: Some(format!("{}/{{{{1}}}}", store.base_url.trim_end_matches('/'))),
                        ..Default::default()
                    },
                    ..Default::default()
                }
            }
        };
        if ctx.recovery_url.is_none() {
            // No store: a link of the approved shape, so the rest of the message still shows.
            let prefix = row.button_url.as_deref().and_then(|u| u.strip_suffix("{{1}}"));
            ctx.recovery_url = prefix.map(|p| format!("{p}checkout/recover/preview"));
        }
        let outgoing = match outbox::message(&ctx, &row) {
            Ok(m) => m,
            Err(reason) => {
                problems.push(reason.to_string());
                // Still show the words: the same builder without the part that did not fit.
                let template = TemplateState {
                    body_params: None,
                    header_format: None,
                    button_url: None,
                    ..row.template.clone()
                };
                let loose = TemplateRow { template, ..row.clone() };
                outbox::message(&ctx, &loose).map_err(|e| EngineError::Invalid(e.to_string()))?
            }
        };
        // The account's approved wording when Meta reported it (the owner may have written their
        // own template under this name); else the text Recupero submits.
        let ours = template::texts(&row.language);
        let (body, footer, button_text, quick_reply_text) = match row.body_text.as_deref() {
            Some(body) => (
                body,
                row.footer_text.clone().unwrap_or_default(),
                row.button_text.clone(),
                row.quick_reply_text.clone(),
            ),
            None => (
                ours.body,
                ours.footer.to_string(),
                Some(ours.button.to_string()),
                Some(ours.stop.to_string()),
            ),
        };
        let button_url = match (row.button_url.as_deref(), outgoing.button_suffix.as_deref()) {
            (Some(approved), Some(suffix)) => approved.strip_suffix("{{1}}").map(|p| format!("{p}{suffix}")),
            (Some(approved), None) if !approved.ends_with("{{1}}") => Some(approved.to_string()),
            _ => ctx.recovery_url.clone(),
        };
        Ok(MessagePreview {
            body: template::fill_placeholders(body, &outgoing.body),
            footer,
            button_text,
            quick_reply_text,
            button_url,
            image_header: outgoing.header_image.is_some() || row.header_format.as_deref() == Some("IMAGE"),
            image_url: crate::storage::media::latest_picture(&conn, store.id)?,
            status: (!row.status.is_empty()).then(|| row.status.clone()),
            language: row.template.language,
            template_name: row.template.name,
            problems,
        })
    }
}

impl Engine {
    /// The preview's image header as the window can show it: the picture at
    /// [`MessagePreview::image_url`], downloaded and checked as a send would (a JPEG or PNG up
    /// to 5 MB), as a `data:` address (the window loads no outside images). `None`: no image
    /// header, or the picture can't be used (a send would then go as text).
    pub async fn preview_picture(&self, language: Option<&str>) -> EngineResult<Option<String>> {
        use base64::Engine as _;
        let preview = self.message_preview(language)?;
        let Some(url) = preview.image_url.filter(|_| preview.image_header) else { return Ok(None) };
        let stores = crate::storage::media::store_hosts(&self.db.conn())?;
        Ok(crate::whatsapp::media::fetch_image(&url, &stores).await.ok().map(|file| {
            let data = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
            format!("data:{};base64,{data}", file.mime_type)
        }))
    }
}
