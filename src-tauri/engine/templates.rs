//! The recovery template on the WhatsApp account: its review state (asked, cached, polled while
//! under review), every template on the account, and submitting it in the shipped languages.

use super::{Engine, EngineError, EngineResult};
use crate::events::EngineEvent;
use crate::scheduler::outbox;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, templates};

impl Engine {
    /// The recovery template's languages as WhatsApp reports them now (and cached).
    pub async fn refresh_templates(&self) -> EngineResult<Vec<templates::TemplateRow>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        Ok(outbox::refresh_templates(&self.db, sender.as_ref(), &settings.template_name, self.clock.now())
            .await?)
    }

    /// The image variant's languages (`reminder_image_template`) as WhatsApp reports them now
    /// (and cached), whether or not `reminder_image` is on.
    pub async fn refresh_image_template(&self) -> EngineResult<Vec<templates::TemplateRow>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let name = &settings.reminder_image_template;
        Ok(outbox::refresh_templates(&self.db, sender.as_ref(), name, self.clock.now()).await?)
    }

    /// What is known about the templates, without asking WhatsApp.
    pub fn known_templates(&self) -> EngineResult<Vec<templates::TemplateRow>> {
        Ok(templates::list(&self.db.conn())?)
    }

    /// Every template on the account (any name), straight from WhatsApp.
    pub async fn account_templates(&self) -> EngineResult<Vec<crate::domain::TemplateState>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        Ok(sender.templates(None).await?)
    }

    /// Submits the recovery template for review in es, pt_BR and en (the languages already on
    /// the account are left alone). `button_base`: the start every recovery link shares, e.g.
    /// `https://mitienda.com/`. Returns (language, status) per language.
    pub async fn create_recovery_template(&self, button_base: &str) -> EngineResult<Vec<(String, String)>> {
        let base = url::Url::parse(button_base.trim()).map_err(|e| {
            EngineError::refused(
                "button_https",
                format!("the button address must be a full https:// address: {e}"),
            )
        })?;
        if base.scheme() != "https" && !crate::http::is_loopback(&base) {
            return Err(EngineError::refused("button_https", "the button address must start with https://"));
        }
        let settings = self.settings()?;
        self.submit_templates(&settings.template_name, base.as_str(), None).await
    }

    /// Submits the image variant of the recovery template (`reminder_image_template`) in es,
    /// pt_BR and en: `example` is the picture Meta reviews it with (a JPEG or PNG up to 5 MB),
    /// uploaded through the Resumable Upload API of the Meta app `app_id`. Returns (language,
    /// status) per language.
    pub async fn create_image_template(
        &self,
        button_base: &str,
        example: Vec<u8>,
        app_id: &str,
    ) -> EngineResult<Vec<(String, String)>> {
        use crate::whatsapp::media::{check_image, MediaRefusal};
        let base = url::Url::parse(button_base.trim()).map_err(|e| {
            EngineError::refused(
                "button_https",
                format!("the button address must be a full https:// address: {e}"),
            )
        })?;
        if base.scheme() != "https" && !crate::http::is_loopback(&base) {
            return Err(EngineError::refused("button_https", "the button address must start with https://"));
        }
        if app_id.trim().is_empty() || !app_id.trim().bytes().all(|b| b.is_ascii_digit()) {
            return Err(EngineError::Invalid(
                "the Meta app id is its digits, as the App Dashboard shows it".into(),
            ));
        }
        let file = check_image(example).map_err(|why| {
            EngineError::Invalid(match why {
                MediaRefusal::TooBig => "the example picture is over 5 MB".into(),
                _ => "the example picture must be a JPEG or a PNG".into(),
            })
        })?;
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let handle = sender.upload_template_example(app_id.trim(), &file).await?;
        self.submit_templates(&settings.reminder_image_template, base.as_str(), Some(&handle)).await
    }

    /// Submits the template `name` (with an image header when `header_handle` is given) in every
    /// shipped language not already on the account.
    async fn submit_templates(
        &self,
        name: &str,
        base: &str,
        header_handle: Option<&str>,
    ) -> EngineResult<Vec<(String, String)>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let name = name.to_string();
        let existing = sender.templates(Some(&name)).await?;
        let mut out = Vec::new();
        for language in crate::whatsapp::template::LANGUAGES {
            if let Some(t) = existing.iter().find(|t| t.language == language) {
                out.push((language.to_string(), t.status.clone()));
                continue;
            }
            let template = match header_handle {
                Some(handle) => {
                    crate::whatsapp::template::recovery_image_template(&name, language, base, handle)
                }
                None => crate::whatsapp::template::recovery_template(&name, language, base),
            };
            let created = sender.create_template(&template).await?;
            out.push((language.to_string(), created.status.clone()));
            let now = storage::ts(self.clock.now());
            let conn = self.db.conn();
            event_log::append(
                &conn,
                &now,
                None,
                None,
                &LogEvent::TemplateCreated { name: &name, language, status: &created.status },
            )?;
        }
        templates::unblock(&self.db.conn(), &name)?;
        outbox::refresh_templates(&self.db, sender.as_ref(), &name, self.clock.now()).await?;
        Ok(out)
    }

    /// Housekeeping: polls the templates' review state — every few minutes while one is under
    /// review, hourly otherwise (template webhooks can't reach a desktop).
    pub async fn refresh_templates_if_due(&self) -> EngineResult<bool> {
        let settings = self.settings()?;
        if self.sender(&settings)?.is_none() {
            return Ok(false);
        }
        let (pending, oldest) = {
            let conn = self.db.conn();
            (templates::any_pending(&conn)?, templates::oldest_check(&conn)?)
        };
        let every = if pending { chrono::Duration::minutes(5) } else { chrono::Duration::minutes(60) };
        let due = oldest
            .as_deref()
            .and_then(|t| crate::domain::time::parse_time(t).ok())
            .is_none_or(|t| self.clock.now() - t >= every);
        if !due {
            return Ok(false);
        }
        let before: Vec<(String, String, String)> = self
            .known_templates()?
            .into_iter()
            .map(|t| (t.template.name, t.template.language, t.template.status))
            .collect();
        let after = self.refresh_templates().await?;
        // The image variant's review too, while it is in use (the preview and the sends read it).
        if settings.reminder_image {
            if let Err(e) = self.refresh_image_template().await {
                tracing::warn!(error = %e, "could not refresh the image template's state");
            }
        }
        for t in &after {
            let was = before.iter().find(|b| b.0 == t.name && b.1 == t.language).map(|b| b.2.as_str());
            if was.is_some_and(|w| w != t.status)
                && matches!(t.status.as_str(), "REJECTED" | "PAUSED" | "DISABLED")
            {
                self.events
                    .emit(EngineEvent::NeedsOwner { problem: crate::events::OwnerProblem::TemplateRejected });
            }
        }
        Ok(true)
    }
}
