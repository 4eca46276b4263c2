//! The Results screen (issue #6): figures, CSV and the WhatsApp rate table (`crate::metrics`),
//! and the tables `recupero export` writes.

use super::{Engine, EngineResult};
use crate::storage::{self, carts, contacts, messages, sends};

impl Engine {
    /// Every Results figure for `[from, to)`; without bounds, the shop's last 30 days.
    pub fn metrics(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> EngineResult<crate::metrics::Metrics> {
        let settings = self.settings()?;
        Ok(crate::metrics::compute(&self.db.conn(), &settings, self.clock.now(), from, to)?)
    }

    /// The daily series of [`Engine::metrics`] as CSV (header row, one row per day).
    /// The figures for a period given as text (shop dates `YYYY-MM-DD`, `to` inclusive, or
    /// RFC 3339), as the UI and the CLI pass it.
    pub fn metrics_for_text(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> EngineResult<crate::metrics::Metrics> {
        let tz = self.settings()?.timezone;
        let from = crate::metrics::bound_from_text(from, tz, false)?;
        let to = crate::metrics::bound_from_text(to, tz, true)?;
        self.metrics(from, to)
    }

    pub fn metrics_csv_for_text(&self, from: Option<&str>, to: Option<&str>) -> EngineResult<String> {
        Ok(crate::metrics::daily_csv::write(&self.metrics_for_text(from, to)?)?)
    }

    pub fn metrics_csv(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> EngineResult<String> {
        Ok(crate::metrics::daily_csv::write(&self.metrics(from, to)?)?)
    }

    /// The rate table the cost is computed with (the owner's, or the shipped one).
    pub fn rate_table(&self) -> EngineResult<crate::metrics::RateTable> {
        Ok(crate::metrics::rates::load(&self.db.conn())?.0)
    }

    /// Replaces the rate table after checking every row; dated today in the shop's zone.
    pub fn set_rate_table(
        &self,
        rows: Vec<crate::metrics::RateRow>,
    ) -> EngineResult<crate::metrics::RateTable> {
        let now = self.clock.now();
        let today = now.with_timezone(&self.settings()?.timezone).format("%Y-%m-%d").to_string();
        let table = crate::metrics::rates::save(&self.db.conn(), &rows, &today, &storage::ts(now))?;
        tracing::info!(rows = table.rates.len(), "rate table edited");
        Ok(table)
    }

    /// Goes back to the shipped rate table.
    pub fn reset_rate_table(&self) -> EngineResult<crate::metrics::RateTable> {
        Ok(crate::metrics::rates::reset(&self.db.conn())?)
    }

    /// Every row of one table, for `recupero export` (JSON or CSV).
    pub fn export_rows(&self, kind: crate::export::ExportKind) -> EngineResult<crate::export::Rows> {
        use crate::export::{ExportKind, Rows};
        let conn = self.db.conn();
        Ok(match kind {
            ExportKind::Carts => Rows::Carts(carts::list(
                &conn,
                &carts::CartFilter { limit: Some(u32::MAX), ..Default::default() },
            )?),
            ExportKind::Sends => Rows::Sends(sends::list(&conn)?),
            ExportKind::Messages => Rows::Messages(messages::list(&conn)?),
            ExportKind::Contacts => Rows::Contacts(contacts::list(&conn)?),
        })
    }
}

impl Engine {
    /// The monthly spend cap now: the shop's month's estimated WhatsApp spend (USD) against
    /// `monthly_spend_cap_usd`.
    pub fn spend_cap_status(&self) -> EngineResult<crate::metrics::spend::SpendCapStatus> {
        let settings = self.settings()?;
        Ok(crate::metrics::spend::cap_status(&self.db.conn(), &settings, self.clock.now())?)
    }

    /// What one typed reply in this conversation costs when sent from Recupero now (the
    /// composer's line), with the cap's state.
    pub fn reply_cost(&self, conversation_id: i64) -> EngineResult<crate::metrics::reply_cost::ReplyCost> {
        let settings = self.settings()?;
        crate::metrics::reply_cost::reply_cost(&self.db.conn(), &settings, conversation_id, self.clock.now())?
            .ok_or_else(|| super::EngineError::Invalid(format!("there is no conversation {conversation_id}")))
    }

    /// For the outbox, before each recovery message: whether the month's spend reached the cap
    /// at `now`. The first time in a shop month, the owner is told (`NeedsOwner`,
    /// `spend_cap_reached`: a native notification and the window's notice), once.
    pub(super) fn spend_cap_reached_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<crate::scheduler::outbox::spend_cap::CapReached>, storage::StorageError> {
        use crate::metrics::spend;
        let conn = self.db.conn();
        let settings = match crate::config::Settings::load(&conn) {
            Ok(s) => s,
            Err(crate::config::ConfigError::Storage(e)) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "settings unreadable; the spend cap is not checked this round");
                return Ok(None);
            }
        };
        let Some(cap) = settings.monthly_spend_cap_usd else { return Ok(None) };
        let tz = settings.timezone;
        let month = spend::month_spend(&conn, tz, now, &settings.usd_exchange_rates)?;
        if !spend::reached(&month, Some(cap)) {
            return Ok(None);
        }
        if spend::first_notice_of_month(&conn, tz, now)? {
            tracing::info!(cap = %cap, spent = %month.usd, "the monthly spend cap is reached; recovery messages wait");
            drop(conn);
            self.events.emit(crate::events::EngineEvent::NeedsOwner {
                problem: crate::events::OwnerProblem::SpendCapReached,
            });
        }
        Ok(Some(crate::scheduler::outbox::spend_cap::CapReached { resumes_at: month.range.to }))
    }
}
