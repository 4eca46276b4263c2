//! Message templates (§3.1–3.2): the definitions sends are validated against, Meta's list
//! (`GET /{version}/{waba_id}/message_templates`: `components`, `name`/`status`/`language`
//! filters, `fields`, cursor paging) and creation (`POST` on the same path: Meta's validation and
//! error shapes, then review — PENDING until `approve_after` of sandbox-clock time has passed).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{error, json_response, Inner, Rejection, Shared, WhatsAppSandbox, IMAGE_TEMPLATE, TEMPLATE};

/// The example handle the sandbox's preset image templates list.
const CANNED_HANDLE: &str = "4::aW1hZ2UvanBlZw==:ARZsandbox";

/// A template's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateHeader {
    /// A text header; a `{{1}}` in it is a parameter every send must fill.
    Text(String),
    /// An image header: every send must carry the image.
    Image,
}

/// A URL button; a `{{1}}` at the end of `url` is filled by each send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlButton {
    pub text: String,
    pub url: String,
}

/// One template in one language, as Meta stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDefinition {
    /// Meta's numeric template id (filled in at start when empty).
    pub id: String,
    pub name: String,
    pub language: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, DISABLED…
    pub status: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    pub header: Option<TemplateHeader>,
    /// The body text with positional placeholders `{{1}}`, `{{2}}`…
    pub body: String,
    /// Sample values of the body's placeholders (Meta requires them at creation).
    pub body_example: Vec<String>,
    pub footer: Option<String>,
    pub url_button: Option<UrlButton>,
    /// Quick-reply buttons, after the URL button (e.g. the marketing opt-out "Stop promotions").
    pub quick_replies: Vec<String>,
    /// A template created through the API turns APPROVED at this sandbox-clock time.
    pub approves_at: Option<DateTime<Utc>>,
}

/// The numbers of the `{{n}}` placeholders in a text, in order of appearance.
pub(super) fn placeholders(text: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if let Ok(n) = after[..end].trim().parse::<u32>() {
            found.push(n);
        }
        rest = &after[end + 2..];
    }
    found
}

/// How many parameters a text takes: its highest placeholder.
fn param_count(text: &str) -> usize {
    placeholders(text).into_iter().max().unwrap_or(0) as usize
}

/// The recovery template's wording in one language.
struct Wording {
    body: &'static str,
    footer: &'static str,
    button: &'static str,
    stop: &'static str,
    example: [&'static str; 4],
}

fn wording(language: &str) -> Wording {
    const ES_EXAMPLE: [&str; 4] = ["Ana", "Tienda Sandbox", "Zapatillas Runner", "$ 45.990"];
    match language {
        "es_AR" => Wording {
            body: "Hola {{1}}, en {{2}} te guardamos el carrito: {{3}}, por {{4}}. Podés terminar la compra cuando quieras.",
            footer: "Respondé STOP para no recibir más promociones",
            button: "Ver mi carrito",
            stop: "Detener promociones",
            example: ES_EXAMPLE,
        },
        l if l.starts_with("es") => Wording {
            body: "Hola {{1}}, en {{2}} te guardamos el carrito: {{3}}, por {{4}}. Puedes terminar la compra cuando quieras.",
            footer: "Responde STOP para no recibir más promociones",
            button: "Ver mi carrito",
            stop: "Detener promociones",
            example: ES_EXAMPLE,
        },
        "pt_PT" => Wording {
            body: "Olá {{1}}, a {{2}} guardou o seu carrinho: {{3}}, por {{4}}. Pode finalizar a compra quando quiser.",
            footer: "Responda STOP para não receber promoções",
            button: "Ver o meu carrinho",
            stop: "Parar promoções",
            example: ["Ana", "Loja Sandbox", "Ténis Runner", "59,90 €"],
        },
        l if l.starts_with("pt") => Wording {
            body: "Olá {{1}}, a {{2}} guardou seu carrinho: {{3}}, por {{4}}. Você pode finalizar a compra quando quiser.",
            footer: "Responda STOP para não receber promoções",
            button: "Ver meu carrinho",
            stop: "Parar promoções",
            example: ["Ana", "Loja Sandbox", "Tênis Runner", "R$ 299,90"],
        },
        _ => Wording {
            body: "Hi {{1}}, {{2}} saved your cart: {{3}}, for {{4}}. You can finish your order whenever you like.",
            footer: "Reply STOP to stop promotions",
            button: "View my cart",
            stop: "Stop promotions",
            example: ["Ana", "Sandbox Store", "Runner sneakers", "$59.90"],
        },
    }
}

/// The languages the default recovery template is approved in.
pub const DEFAULT_LANGUAGES: [&str; 8] =
    ["es_AR", "es", "es_MX", "es_ES", "pt_BR", "pt_PT", "en_US", "en_GB"];

impl TemplateDefinition {
    /// The recovery template [`TEMPLATE`] in `language`, APPROVED, MARKETING: body `{{1}}` first
    /// name, `{{2}}` store, `{{3}}` products, `{{4}}` total; no header; a URL button to
    /// `button_url` (ending in `{{1}}`) and the "Stop promotions" quick reply.
    pub fn recupero(language: &str, button_url: &str) -> TemplateDefinition {
        let w = wording(language);
        TemplateDefinition {
            id: String::new(),
            name: TEMPLATE.into(),
            language: language.into(),
            status: "APPROVED".into(),
            category: "MARKETING".into(),
            header: None,
            body: w.body.into(),
            body_example: w.example.iter().map(|s| s.to_string()).collect(),
            footer: Some(w.footer.into()),
            url_button: Some(UrlButton { text: w.button.into(), url: button_url.into() }),
            quick_replies: vec![w.stop.into()],
            approves_at: None,
        }
    }

    /// Body parameters every send must carry.
    pub fn body_params(&self) -> usize {
        param_count(&self.body)
    }

    /// Header parameters every send must carry (a text header's `{{1}}`; an image counts apart).
    pub fn header_params(&self) -> usize {
        match &self.header {
            Some(TemplateHeader::Text(text)) => param_count(text),
            _ => 0,
        }
    }

    /// Whether the URL button takes a per-send suffix.
    pub fn url_takes_suffix(&self) -> bool {
        self.url_button.as_ref().is_some_and(|b| !placeholders(&b.url).is_empty())
    }

    /// The opt-out quick reply's label, if the template has one.
    pub fn stop_button(&self) -> Option<&str> {
        self.quick_replies.first().map(String::as_str)
    }

    /// Meta's list entry for this template.
    fn to_json(&self) -> Value {
        let mut components = Vec::new();
        match &self.header {
            Some(TemplateHeader::Text(text)) => {
                let mut header = json!({"type": "HEADER", "format": "TEXT", "text": text});
                if self.header_params() > 0 {
                    let sample = self.body_example.first().cloned().unwrap_or_else(|| "Ana".into());
                    header["example"] = json!({"header_text": [sample]});
                }
                components.push(header);
            }
            Some(TemplateHeader::Image) => components.push(json!({"type": "HEADER", "format": "IMAGE",
                "example": {"header_handle": [CANNED_HANDLE]}})),
            None => {}
        }
        let mut body = json!({"type": "BODY", "text": self.body});
        if self.body_params() > 0 {
            body["example"] = json!({"body_text": [self.body_example]});
        }
        components.push(body);
        if let Some(footer) = &self.footer {
            components.push(json!({"type": "FOOTER", "text": footer}));
        }
        let mut buttons = Vec::new();
        if let Some(b) = &self.url_button {
            let mut button = json!({"type": "URL", "text": b.text, "url": b.url});
            if self.url_takes_suffix() {
                button["example"] = json!([b.url.replace("{{1}}", "checkout/v3/next/sandbox")]);
            }
            buttons.push(button);
        }
        buttons.extend(self.quick_replies.iter().map(|t| json!({"type": "QUICK_REPLY", "text": t})));
        if !buttons.is_empty() {
            components.push(json!({"type": "BUTTONS", "buttons": buttons}));
        }
        json!({
            "name": self.name,
            "parameter_format": "POSITIONAL",
            "components": components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        })
    }
}

/// [`TEMPLATE`] in every language of [`DEFAULT_LANGUAGES`], with `button_url` on its button.
pub fn default_templates(button_url: &str) -> Vec<TemplateDefinition> {
    DEFAULT_LANGUAGES.iter().map(|l| TemplateDefinition::recupero(l, button_url)).collect()
}

/// The image variant of the recovery template (the reminder with the product's picture,
/// [`IMAGE_TEMPLATE`]), APPROVED in every language of [`DEFAULT_LANGUAGES`]: the default
/// template under an IMAGE header. For an account that already has it (the live demo).
pub fn image_variant_templates(button_url: &str) -> Vec<TemplateDefinition> {
    default_templates(button_url)
        .into_iter()
        .map(|t| TemplateDefinition { name: IMAGE_TEMPLATE.into(), header: Some(TemplateHeader::Image), ..t })
        .collect()
}

impl Shared {
    /// Created templates whose review time has come turn APPROVED (with Meta's
    /// `message_template_status_update` webhook). Called whenever templates are read.
    fn review_templates(&self, inner: &mut Inner) {
        let now = self.now();
        let mut approved = Vec::new();
        for t in inner.templates.iter_mut() {
            if t.status == "PENDING" && t.approves_at.is_some_and(|at| at <= now) {
                t.status = "APPROVED".into();
                t.approves_at = None;
                approved.push(t.clone());
            }
        }
        for t in approved {
            let id = t.id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(t.id.clone()));
            let value = json!({
                "event": "APPROVED",
                "message_template_id": id,
                "message_template_name": t.name,
                "message_template_language": t.language.replace('_', "-"),
                "reason": "NONE",
                "message_template_category": t.category,
            });
            self.enqueue(inner, "message_template_status_update", value, Some(now.timestamp()));
        }
    }

    /// The template a send names, after review caught up.
    pub(super) fn find_template(&self, name: &str, language: &str) -> Option<TemplateDefinition> {
        let mut inner = self.lock();
        self.review_templates(&mut inner);
        inner.templates.iter().find(|t| t.name == name && t.language == language).cloned()
    }
}

impl WhatsAppSandbox {
    /// Sets a template's review status (APPROVED, PENDING, REJECTED, PAUSED…) in every language.
    /// The status sticks: a pending review no longer changes it.
    pub fn set_template_status(&self, name: &str, status: &str) {
        for t in self.shared.lock().templates.iter_mut().filter(|t| t.name == name) {
            t.status = status.to_string();
            t.approves_at = None;
        }
    }

    /// Every template, as the list endpoint would show it now.
    pub fn templates(&self) -> Vec<TemplateDefinition> {
        let mut inner = self.shared.lock();
        self.shared.review_templates(&mut inner);
        inner.templates.clone()
    }
}

/// A Graph API parameter error: `(#100) …`, as Graph answers for a missing or malformed field.
fn param_error(message: &str) -> Rejection {
    let body = json!({"error": {"message": format!("(#100) {message}"), "type": "OAuthException", "code": 100,
        "fbtrace_id": "AsandboxTrace"}});
    Rejection { status: StatusCode::BAD_REQUEST, body }
}

/// A template-creation error: code 100 "Invalid parameter" with Meta's subcode and the
/// human-facing title and message.
fn creation_error(subcode: Option<i64>, user_title: &str, user_msg: &str) -> Rejection {
    let mut e = json!({"message": "Invalid parameter", "type": "OAuthException", "code": 100,
        "is_transient": false, "error_user_title": user_title, "error_user_msg": user_msg,
        "fbtrace_id": "AsandboxTrace"});
    if let Some(subcode) = subcode {
        e["error_subcode"] = json!(subcode);
    }
    Rejection { status: StatusCode::BAD_REQUEST, body: json!({ "error": e }) }
}

/// Meta's 2388043: a component lacks a field it needs (the text, or samples of its variables).
fn missing_field(component: &str, field: &str) -> Rejection {
    creation_error(
        Some(2388043),
        "Message template is missing expected fields",
        &format!("component of type {component} is missing expected field(s) ({field})"),
    )
}

fn too_long(component: &str, limit: usize) -> Rejection {
    creation_error(
        Some(2388040),
        "Message template character limit hit",
        &format!("The {component} of the template can have at most {limit} characters."),
    )
}

/// Checks the account id and the token; `Err` is the answer.
fn gate(shared: &Shared, headers: &HeaderMap, id: &str, method: &str) -> Result<(), Rejection> {
    if !shared.authorized(headers) {
        let (title, details) = super::meta_text(190);
        return Err(error(StatusCode::UNAUTHORIZED, 190, title, details));
    }
    if id != shared.config.business_account_id {
        let message = format!("Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation");
        return Err(error(StatusCode::BAD_REQUEST, 100, &message, &message));
    }
    Ok(())
}

/// Paging cursors are opaque to clients; here they are the position, base64-encoded.
fn cursor(position: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.to_string())
}

fn uncursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    String::from_utf8(bytes).ok()?.parse().ok()
}

/// `GET /{version}/{waba_id}/message_templates`: Meta's `{data, paging}`, filtered by `name`,
/// `status` (comma-separated, any case) and `language`, trimmed to `fields` (plus `id`), `limit`
/// per page (25 by default) with `after`/`before` cursors and a `next` link.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(answer) = gate(&shared, &headers, &id, "get") {
        return answer.into_response();
    }
    let pairs = super::super::query_pairs(query.as_deref().unwrap_or(""));
    let param = |name: &str| super::super::param(&pairs, name).map(str::trim).filter(|v| !v.is_empty());
    let limit = match param("limit").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if n > 0 => n.min(1000),
        Some(_) => return param_error("Param limit must be a positive integer").into_response(),
    };
    let start = match param("after") {
        None => 0,
        Some(c) => match uncursor(c) {
            Some(position) => position + 1,
            None => return param_error("Invalid cursor: after").into_response(),
        },
    };
    let statuses: Option<Vec<String>> =
        param("status").map(|s| s.split(',').map(|x| x.trim().to_ascii_uppercase()).collect());
    let fields: Option<Vec<&str>> = param("fields").map(|f| f.split(',').map(str::trim).collect());
    let matching: Vec<Value> = {
        let mut inner = shared.lock();
        shared.review_templates(&mut inner);
        inner
            .templates
            .iter()
            .filter(|t| param("name").is_none_or(|n| n == t.name))
            .filter(|t| param("language").is_none_or(|l| l == t.language))
            .filter(|t| statuses.as_ref().is_none_or(|s| s.contains(&t.status.to_ascii_uppercase())))
            .map(TemplateDefinition::to_json)
            .collect()
    };
    let data: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| match (&fields, t.as_object()) {
            (Some(fields), Some(all)) => {
                let kept: Map<String, Value> = all
                    .iter()
                    .filter(|(k, _)| k.as_str() == "id" || fields.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(kept)
            }
            _ => t.clone(),
        })
        .collect();
    let mut paging = json!({"cursors": {}});
    if !data.is_empty() {
        let last = start + data.len() - 1;
        paging["cursors"] = json!({"before": cursor(start), "after": cursor(last)});
        if last + 1 < matching.len() {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            let mut next = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| !["after", "before", "limit"].contains(&k.as_str())) {
                next.append_pair(k, v);
            }
            next.append_pair("limit", &limit.to_string()).append_pair("after", &cursor(last));
            paging["next"] =
                json!(format!("http://{host}/{version}/{id}/message_templates?{}", next.finish()));
        }
    }
    json_response(StatusCode::OK, vec![], json!({"data": data, "paging": paging}).to_string())
}

/// A string field, trimmed, when present and not empty.
fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The placeholders of a text are `{{1}}`…`{{n}}`, each once, in order.
fn sequential(text: &str) -> bool {
    placeholders(text).iter().enumerate().all(|(i, n)| *n as usize == i + 1)
}

/// Reads and validates a creation request into a definition (id, status and review time are
/// set by the caller). `Err` is Meta's error answer.
fn parse_new(v: &Value) -> Result<TemplateDefinition, Rejection> {
    let Some(name) = text(v, "name") else { return Err(param_error("The parameter name is required")) };
    let name_ok =
        name.len() <= 512 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        return Err(creation_error(
            Some(2388023),
            "Invalid template name",
            "Template names can only contain lowercase letters, numbers and underscores, up to 512 characters.",
        ));
    }
    let Some(language) = text(v, "language") else {
        return Err(param_error("The parameter language is required"));
    };
    let Some(category) = text(v, "category") else {
        return Err(param_error("The parameter category is required"));
    };
    let category = category.to_ascii_uppercase();
    if !["AUTHENTICATION", "MARKETING", "UTILITY"].contains(&category.as_str()) {
        return Err(param_error(&format!(
            "Param category must be one of {{AUTHENTICATION, MARKETING, UTILITY}} - got \"{category}\"."
        )));
    }
    let Some(components) = v.get("components").and_then(Value::as_array) else {
        return Err(param_error("The parameter components is required"));
    };
    let mut def = TemplateDefinition {
        id: String::new(),
        name: name.into(),
        language: language.into(),
        status: "PENDING".into(),
        category,
        header: None,
        body: String::new(),
        body_example: Vec::new(),
        footer: None,
        url_button: None,
        quick_replies: Vec::new(),
        approves_at: None,
    };
    let mut has_body = false;
    for c in components {
        let kind = c.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
        match kind.as_str() {
            "HEADER" => def.header = Some(parse_header(c)?),
            "BODY" => {
                let Some(body) = c.get("text").and_then(Value::as_str) else {
                    return Err(missing_field("BODY", "text"));
                };
                if body.chars().count() > 1024 {
                    return Err(too_long("body", 1024));
                }
                if !sequential(body) {
                    return Err(creation_error(
                        Some(2388072),
                        "Message template body format is incorrect",
                        "Variables must be numbered {{1}}, {{2}}… in order, each used once.",
                    ));
                }
                let trimmed = body.trim();
                if param_count(body) > 0 && (trimmed.starts_with("{{") || trimmed.ends_with("}}")) {
                    return Err(creation_error(
                        Some(2388299),
                        "Variables can't be at the start or end of the template",
                        "Variables can't be at the start or end of the template.",
                    ));
                }
                let n = param_count(body);
                if n > 0 {
                    let samples: Vec<String> = c
                        .pointer("/example/body_text/0")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                        .unwrap_or_default();
                    if samples.len() != n {
                        return Err(missing_field("BODY", "example"));
                    }
                    def.body_example = samples;
                }
                def.body = body.into();
                has_body = true;
            }
            "FOOTER" => {
                let Some(footer) = c.get("text").and_then(Value::as_str) else {
                    return Err(missing_field("FOOTER", "text"));
                };
                if footer.chars().count() > 60 {
                    return Err(too_long("footer", 60));
                }
                if !placeholders(footer).is_empty() {
                    return Err(creation_error(
                        Some(2388073),
                        "Message template footer format is incorrect",
                        "The footer can't have variables.",
                    ));
                }
                def.footer = Some(footer.into());
            }
            "BUTTONS" => parse_buttons(c, &mut def)?,
            other => {
                return Err(creation_error(
                    None,
                    "Invalid component",
                    &format!("Unknown template component type \"{other}\"."),
                ))
            }
        }
    }
    if !has_body {
        return Err(creation_error(
            None,
            "Message template body is missing",
            "A template needs a BODY component.",
        ));
    }
    Ok(def)
}

fn parse_header(c: &Value) -> Result<TemplateHeader, Rejection> {
    match c.get("format").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase().as_str() {
        "TEXT" => {
            let Some(header) = c.get("text").and_then(Value::as_str) else {
                return Err(missing_field("HEADER", "text"));
            };
            if header.chars().count() > 60 {
                return Err(too_long("header", 60));
            }
            let vars = placeholders(header);
            if vars.len() > 1 || vars.iter().any(|n| *n != 1) {
                return Err(creation_error(
                    Some(2388047),
                    "Message template header format is incorrect",
                    "A text header can have one variable, {{1}}.",
                ));
            }
            let sampled = c.pointer("/example/header_text/0").and_then(Value::as_str).is_some();
            if !vars.is_empty() && !sampled {
                return Err(missing_field("HEADER", "example"));
            }
            Ok(TemplateHeader::Text(header.into()))
        }
        "IMAGE" => {
            if c.pointer("/example/header_handle/0").and_then(Value::as_str).is_none() {
                return Err(missing_field("HEADER", "example"));
            }
            Ok(TemplateHeader::Image)
        }
        _ => Err(creation_error(
            Some(2388047),
            "Message template header format is incorrect",
            "The sandbox serves TEXT and IMAGE headers.",
        )),
    }
}

fn parse_buttons(c: &Value, def: &mut TemplateDefinition) -> Result<(), Rejection> {
    let Some(buttons) = c.get("buttons").and_then(Value::as_array) else {
        return Err(missing_field("BUTTONS", "buttons"));
    };
    for b in buttons {
        let kind = b.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
        let Some(label) = text(b, "text") else { return Err(missing_field("BUTTONS", "text")) };
        if label.chars().count() > 25 {
            return Err(too_long("button text", 25));
        }
        match kind.as_str() {
            "URL" => {
                let Some(url) = text(b, "url") else { return Err(missing_field("BUTTONS", "url")) };
                let vars = placeholders(url);
                if !vars.is_empty() {
                    if vars != [1] || !url.ends_with("{{1}}") {
                        return Err(creation_error(
                            None,
                            "Invalid URL button",
                            "A URL button can have one variable, {{1}}, at the end of the URL.",
                        ));
                    }
                    let sampled = b.get("example").and_then(Value::as_array).is_some_and(|e| !e.is_empty());
                    if !sampled {
                        return Err(missing_field("BUTTONS", "example"));
                    }
                }
                // The sandbox keeps the first URL button (sends fill index 0).
                if def.url_button.is_none() {
                    def.url_button = Some(UrlButton { text: label.into(), url: url.into() });
                }
            }
            "QUICK_REPLY" => def.quick_replies.push(label.into()),
            // Phone-number, copy-code… buttons take nothing per send; the sandbox ignores them.
            _ => {}
        }
    }
    Ok(())
}

/// `POST /{version}/{waba_id}/message_templates`: validates like Meta, stores the template as
/// PENDING and answers `{id, status, category}`. Review takes `approve_after` of sandbox time.
pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(answer) = gate(&shared, &headers, &id, "post") {
        return answer.into_response();
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return param_error("Invalid JSON in the request body").into_response();
    };
    let mut def = match parse_new(&v) {
        Ok(def) => def,
        Err(answer) => return answer.into_response(),
    };
    let now = shared.now();
    let mut inner = shared.lock();
    // An image header's example must be a handle of the app's resumable upload (Meta: 2494102).
    if def.header == Some(TemplateHeader::Image) && !example_handle_known(&v, &inner) {
        drop(inner);
        return creation_error(
            Some(2494102),
            "Invalid media handle",
            "The example media handle in header_handle was not uploaded by this app, or it expired. Upload the example image with the Resumable Upload API and use the handle it answers.",
        )
        .into_response();
    }
    if inner.templates.iter().any(|t| t.name == def.name && t.language == def.language) {
        let language = def.language.clone();
        drop(inner);
        return creation_error(
            Some(2388024),
            "Content in this language already exists",
            &format!("Content in {language} already exists for this template. Try adding a new language or editing the existing content."),
        )
        .into_response();
    }
    def.id = inner.next_template_id.to_string();
    inner.next_template_id += 1;
    def.approves_at = Some(now + shared.config.approve_after);
    let answer = json!({"id": def.id, "status": def.status, "category": def.category});
    inner.templates.push(def);
    drop(inner);
    json_response(StatusCode::OK, vec![], answer.to_string())
}

/// Whether the creation's image header carries a handle the sandbox's resumable upload gave (or
/// the sandbox's own canned example, which its preset templates list).
fn example_handle_known(v: &Value, inner: &Inner) -> bool {
    let components = v.get("components").and_then(Value::as_array).into_iter().flatten();
    let handle = components
        .filter(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("HEADER")))
        .find_map(|c| c.pointer("/example/header_handle/0").and_then(Value::as_str));
    handle.is_some_and(|h| h == CANNED_HANDLE || inner.media.knows_handle(h))
}
