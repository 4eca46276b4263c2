//! An OpenAI-compatible chat-completions client (`POST {base}/chat/completions`): a local Ollama
//! (`http://127.0.0.1:11434/v1`), or a hosted provider with its key from the keychain. Our own
//! serde types; timeouts, HTTP errors and unreadable answers are errors the caller escalates.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::secrets::Sensitive;

#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// Up to and including the version path, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<Sensitive<String>>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    temperature: f32,
    stream: bool,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<AnswerMessage>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChatError {
    #[error("the assistant did not answer within {0} s")]
    Timeout(u64),
    #[error("could not reach the assistant: {0}")]
    Network(String),
    #[error("the assistant answered HTTP {status}: {detail}")]
    Http { status: u16, detail: String },
    #[error("the assistant's answer could not be read: {0}")]
    Unreadable(String),
    #[error("the assistant is not set up: {0}")]
    Config(String),
}

impl ChatError {
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::Timeout(_) => "timeout",
            ChatError::Network(_) => "network",
            ChatError::Http { .. } => "http",
            ChatError::Unreadable(_) => "unreadable",
            ChatError::Config(_) => "config",
        }
    }
}

pub struct ChatClient {
    config: ChatConfig,
    http: reqwest::Client,
}

impl ChatClient {
    pub fn new(config: ChatConfig) -> Result<Self, ChatError> {
        let url = url::Url::parse(&config.base_url).map_err(|e| ChatError::Config(e.to_string()))?;
        let http = reqwest::Client::builder()
            .user_agent(crate::http::USER_AGENT)
            .connect_timeout(Duration::from_secs(5).min(config.timeout))
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!crate::http::is_loopback(&url))
            .no_proxy()
            .build()
            .map_err(|e| ChatError::Config(e.to_string()))?;
        Ok(Self { config, http })
    }

    /// One completion: the assistant's text.
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<String, ChatError> {
        let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
        let body = Request { model: &self.config.model, messages, temperature: 0.2, stream: false };
        let mut req = self.http.post(&url).json(&body);
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key.expose());
        }
        let secs = self.config.timeout.as_secs();
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                ChatError::Timeout(secs)
            } else {
                ChatError::Network(without_url(&e))
            }
        })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| {
            if e.is_timeout() {
                ChatError::Timeout(secs)
            } else {
                ChatError::Network(without_url(&e))
            }
        })?;
        if !status.is_success() {
            let detail = self.mask(&error_message(&bytes));
            return Err(ChatError::Http { status: status.as_u16(), detail });
        }
        let parsed: Response =
            serde_json::from_slice(&bytes).map_err(|e| ChatError::Unreadable(e.to_string()))?;
        parsed
            .choices
            .into_iter()
            .find_map(|c| c.message.and_then(|m| m.content))
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| ChatError::Unreadable("no message in the answer".into()))
    }
}

impl ChatClient {
    /// The key never appears in an error text, and neither does anything shaped like one.
    fn mask(&self, text: &str) -> String {
        let mut text = text.to_string();
        if let Some(key) = self.config.api_key.as_ref().filter(|k| k.expose().len() >= 4) {
            text = text.replace(key.expose().as_str(), "***");
        }
        mask_tokens(&text)
    }
}

/// The provider's own error message from an OpenAI-style (`{"error": {"message": …}}`) or Ollama
/// (`{"error": "…"}`) body, on one line and bounded like the store clients' (never the raw body:
/// it may echo the request or the key).
fn error_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| {
        let e = v.get("error")?;
        e.as_str().map(String::from).or_else(|| e.get("message").and_then(|m| m.as_str()).map(String::from))
    });
    match message {
        Some(m) => crate::stores::http::short(m.as_bytes()),
        None => "(no readable error message)".into(),
    }
}

/// Long unbroken runs of key characters (API keys, bearer tokens) become `***`.
fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 24 && run.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// reqwest's error text without the URL (it may carry a key in a query string on some
/// providers; ours never does, but the log must not depend on that).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "<assistant>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_bodies_are_masked_and_bounded() {
        let body = format!(
            "{{\"error\": {{\"message\": \"Incorrect API key provided: sk-live-abcdefghijklmnopqrstuvwxyz0123456789. {}\"}}}}",
            "x ".repeat(400)
        );
        let m = mask_tokens(&error_message(body.as_bytes()));
        assert!(!m.contains("abcdefghijklmnop") && m.contains("Incorrect API key provided"), "{m}");
        assert!(m.chars().count() <= 201, "{m}");
        assert_eq!(error_message(b"{\"error\":\"model 'x' not found\"}"), "model 'x' not found");
        assert_eq!(error_message(b"<html>secret echo</html>"), "(no readable error message)");
    }
}
