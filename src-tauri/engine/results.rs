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
