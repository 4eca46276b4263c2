//! The conversation step on the engine's side: the rules are in `inbox::converse`; here the
//! engine reads under its lock, asks the assistant outside any transaction (with the key from the
//! secret store), commits the outcome and tells the outside world.

use super::{Engine, EngineResult};
use crate::config::Settings;
use crate::domain::escalation::Reason;
use crate::events::EngineEvent;
use crate::i18n::Lang;
use crate::inbox::assistant::{self, client, Mode, Outcome};
use crate::inbox::converse::{self, Done};
use crate::secrets::SecretName;
use crate::storage::messages;

impl Engine {
    /// Answers (or drafts, or escalates) every conversation with customer messages waiting,
    /// then sends what was queued. Returns how many conversations were looked at.
    pub async fn converse(&self) -> EngineResult<usize> {
        let waiting = messages::awaiting_assist(&self.db.conn(), 500)?;
        if waiting.is_empty() {
            self.flush_replies().await?;
            return Ok(0);
        }
        let settings = self.settings()?;
        let mode = Mode::parse(&settings.assistant_mode);
        let mut threads: Vec<i64> = Vec::new();
        for m in &waiting {
            if !threads.contains(&m.conversation_id) {
                threads.push(m.conversation_id);
            }
        }
        for &thread in &threads {
            match self.converse_one(thread, &settings, mode).await {
                Ok(Done::Draft(draft_id)) => {
                    self.events.emit(EngineEvent::DraftReady { conversation_id: thread, draft_id });
                }
                Ok(Done::Escalated(reason)) => self.emit_escalation(thread, &reason),
                Ok(Done::Answered | Done::Nothing) => {}
                Err(e) => tracing::warn!(conversation = thread, error = %e, "the conversation step failed"),
            }
        }
        self.flush_replies().await?;
        if !threads.is_empty() {
            self.emit_status();
        }
        Ok(threads.len())
    }

    async fn converse_one(&self, thread: i64, settings: &Settings, mode: Mode) -> EngineResult<Done> {
        let shop_lang = Lang::resolve(&settings.ui_language, None);
        let window_open = self.window_closes_at(thread)?.is_some();
        // Everything the assistant may see, read under the lock; no await in here.
        let gathered = converse::gather(&self.db.conn(), thread, mode, window_open, shop_lang)?;
        let Some(gathered) = gathered else { return Ok(Done::Nothing) };
        let latest_text = gathered.latest.body.clone().unwrap_or_default();
        let outcome = if settings.assistant_base_url.is_empty() {
            assistant::from_facts(&gathered.ctx, &latest_text, gathered.lang)
        } else {
            let secrets = self.secrets.clone();
            let key = tokio::task::spawn_blocking(move || secrets.get_optional(SecretName::AssistantApiKey))
                .await
                .map_err(|e| anyhow::anyhow!("reading the assistant key: {e}"))?;
            let config = client::ChatConfig {
                base_url: settings.assistant_base_url.clone(),
                model: settings.assistant_model.clone(),
                api_key: key,
                timeout: std::time::Duration::from_secs(u64::from(settings.assistant_timeout_seconds.max(2))),
            };
            match client::ChatClient::new(config) {
                Ok(c) => assistant::ask(&c, &gathered.ctx, gathered.lang).await,
                Err(e) => Outcome::Escalate {
                    reason: Reason::AssistantFailed,
                    detail: e.to_string(),
                    blocked: None,
                },
            }
        };
        let now = self.clock.now();
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let done = converse::settle(&tx, thread, mode, &gathered, outcome, now)?;
        tx.commit()?;
        Ok(done)
    }
}
