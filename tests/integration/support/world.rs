//! `World`: one store connected on the engine, served by the sandbox on loopback with the test
//! clock, polled on demand; and what its carts and cursor look like in the database.

use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::{Sandbox, SandboxConfig};
use recupero::scheduler::poller::PollOutcome;
use recupero::stores::{Platform, StoreInput};

use super::{spawn_app, store_input, TestApp};

/// A connected store (`store`, its row id) on the sandbox, with the app that polls it.
pub struct World {
    pub app: TestApp,
    pub sandbox: Sandbox,
    pub store: i64,
    pub platform: Platform,
}

/// A `platform` store on a sandbox holding `count` checkouts, connected with `page_size`, rate
/// limits as asked.
pub async fn world_with(platform: Platform, count: u64, page_size: Option<u32>, rate_limits: bool) -> World {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now() - Duration::minutes(30), count);
    config.rate_limits = rate_limits;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.expect("sandbox listens");
    let row = app
        .engine
        .connect_store(&StoreInput { page_size, ..store_input(&sandbox, platform) })
        .expect("store saved");
    World { app, sandbox, store: row.id, platform }
}

/// [`world_with`] without rate limits.
pub async fn world(platform: Platform, count: u64, page_size: Option<u32>) -> World {
    world_with(platform, count, page_size, false).await
}

impl World {
    pub async fn sync(&self) -> Vec<PollOutcome> {
        self.app.engine.poll_store_until_caught_up(self.store, true).await.expect("poll runs")
    }

    pub async fn step(&self) -> PollOutcome {
        self.app.engine.poll_store(self.store, false).await.expect("poll runs")
    }

    pub fn count(&self, sql_where: &str) -> i64 {
        let conn = self.app.engine.db().conn();
        conn.query_row(
            &format!("SELECT count(*) FROM carts WHERE store_id = ?1 AND {sql_where}"),
            [self.store],
            |r| r.get(0),
        )
        .unwrap()
    }

    pub fn cursor(&self) -> Option<String> {
        let conn = self.app.engine.db().conn();
        conn.query_row("SELECT cursor FROM stores WHERE id = ?1", [self.store], |r| r.get(0)).unwrap()
    }

    pub fn state(&self) -> (String, Option<String>) {
        let row = self.app.engine.list_stores().unwrap().into_iter().find(|s| s.id == self.store).unwrap();
        (row.state, row.last_success_at)
    }

    /// What the store lists as abandoned-or-completed checkouts right now.
    pub fn expected(&self) -> usize {
        let now = self.app.clock.now();
        self.sandbox
            .checkouts(self.platform)
            .iter()
            .filter(|c| c.created_at <= now)
            // WooCommerce's paid orders leave the abandoned statuses: never listed.
            .filter(|c| self.platform != Platform::Woocommerce || c.completed_at(now).is_none())
            .count()
    }
}
