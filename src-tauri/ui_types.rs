//! The UI's TypeScript types, generated from the Rust types that cross IPC (command answers and
//! arguments, and the `engine-event` union), so the webview's contract can't drift from Rust by
//! hand. Guarantees: `ui/src/lib/generated.ts` is exactly what these types declare; the test
//! fails on a stale file and says how to regenerate it. Test-only: the product never links ts-rs.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::{config, engine, events, launch, metrics, storage, stores, ui_error, update};

/// The committed file, relative to the crate root.
const FILE: &str = "ui/src/lib/generated.ts";

/// Set to `1` to write the file instead of comparing it.
const UPDATE_VAR: &str = "RECUPERO_UPDATE_UI_TYPES";

const HEADER: &str = "\
// Generated from the Rust types that cross IPC by
//   RECUPERO_UPDATE_UI_TYPES=1 cargo test --no-default-features --lib ui_types
// Do not edit: change the Rust type and regenerate (`cargo test` fails while this file is stale).
// UI-only types and the names the screens use live in types.ts.
";

/// One declaration: its doc comment (if any) and `export type Name = …;`.
fn declaration<T: TS + ?Sized + 'static>(cfg: &Config) -> String {
    let docs = T::docs().unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

/// The whole file, in a fixed order (the event union first, then each screen's answers).
fn generated() -> String {
    // i64/u64 are counts and ids well below 2^53: JSON numbers, and `number` to the UI.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        // The `engine-event` union and what it carries.
        declaration::<events::EngineEvent>(&cfg),
        declaration::<events::OwnerProblem>(&cfg),
        declaration::<events::Route>(&cfg),
        declaration::<events::Screen>(&cfg),
        declaration::<events::AppStatus>(&cfg),
        declaration::<events::WebhookSignatures>(&cfg),
        declaration::<events::Counts>(&cfg),
        declaration::<crate::tunnel::TunnelStatus>(&cfg),
        declaration::<crate::tunnel::TunnelMode>(&cfg),
        declaration::<crate::tunnel::TunnelState>(&cfg),
        // Settings.
        declaration::<config::SettingView>(&cfg),
        declaration::<config::Kind>(&cfg),
        declaration::<engine::MessagePreview>(&cfg),
        // Carts.
        declaration::<storage::carts::CartRow>(&cfg),
        declaration::<engine::CartPage>(&cfg),
        declaration::<engine::CartTimeline>(&cfg),
        declaration::<engine::TimelineEntry>(&cfg),
        declaration::<storage::sends::SendRow>(&cfg),
        declaration::<engine::CartAction>(&cfg),
        declaration::<engine::CartActionResult>(&cfg),
        // Inbox.
        declaration::<storage::conversations::ConversationRow>(&cfg),
        declaration::<engine::ConversationDetail>(&cfg),
        declaration::<storage::messages::MessageRow>(&cfg),
        declaration::<storage::drafts::DraftRow>(&cfg),
        // Results.
        declaration::<metrics::Metrics>(&cfg),
        declaration::<metrics::CartCounts>(&cfg),
        declaration::<metrics::Share>(&cfg),
        declaration::<metrics::Lift>(&cfg),
        declaration::<metrics::Amount>(&cfg),
        declaration::<metrics::MessageCounts>(&cfg),
        declaration::<metrics::Cost>(&cfg),
        declaration::<metrics::CostRow>(&cfg),
        declaration::<metrics::Roi>(&cfg),
        declaration::<metrics::Period>(&cfg),
        declaration::<metrics::RateTable>(&cfg),
        declaration::<metrics::RateRow>(&cfg),
        declaration::<metrics::CategoryCost>(&cfg),
        declaration::<metrics::coupons::CouponFigures>(&cfg),
        declaration::<metrics::spend::SpendCapStatus>(&cfg),
        declaration::<metrics::reply_cost::ReplyCost>(&cfg),
        declaration::<metrics::experiment::ExperimentResult>(&cfg),
        declaration::<metrics::experiment::ArmResult>(&cfg),
        declaration::<metrics::experiment::ArmDifference>(&cfg),
        // Stores.
        declaration::<stores::StoreInput>(&cfg),
        declaration::<stores::StoreCheckReport>(&cfg),
        declaration::<stores::ConsentSource>(&cfg),
        declaration::<stores::CheckedCart>(&cfg),
        declaration::<stores::CheckedItem>(&cfg),
        declaration::<stores::Skipped>(&cfg),
        declaration::<storage::shops::StoreRow>(&cfg),
        declaration::<storage::shops::FirstSync>(&cfg),
        // WhatsApp, secrets and the webhook.
        declaration::<engine::SecretState>(&cfg),
        declaration::<engine::WhatsAppCheck>(&cfg),
        declaration::<storage::templates::TemplateRow>(&cfg),
        declaration::<engine::WebhookInfo>(&cfg),
        declaration::<engine::WebhookRegistration>(&cfg),
        declaration::<engine::RegistrationFailure>(&cfg),
        declaration::<engine::CoexistenceHealth>(&cfg),
        declaration::<engine::CoexistenceState>(&cfg),
        declaration::<storage::coexistence::HistoryState>(&cfg),
        // Backups.
        declaration::<engine::backup::BackupsOverview>(&cfg),
        declaration::<engine::backup::BackupInfo>(&cfg),
        declaration::<engine::backup::BackupKind>(&cfg),
        declaration::<engine::webhooks::QuarantinedDeliveries>(&cfg),
        declaration::<storage::webhook_events::QuarantinedRow>(&cfg),
        // Updates.
        declaration::<update::Status>(&cfg),
        declaration::<update::State>(&cfg),
        declaration::<update::Problem>(&cfg),
        // Errors as the window words them.
        declaration::<ui_error::UiError>(&cfg),
        declaration::<ui_error::UiErrorCode>(&cfg),
        // The window shown when the app could not start.
        declaration::<launch::failure::StartupFailure>(&cfg),
        declaration::<launch::failure::FailureKind>(&cfg),
    ];
    format!("{HEADER}\n{}", decls.join("\n"))
}

#[test]
fn the_committed_ui_types_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let text = generated();
    if std::env::var(UPDATE_VAR).as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{FILE} is stale (or missing): a Rust type that crosses IPC changed. Regenerate it with \
         `{UPDATE_VAR}=1 cargo test --no-default-features --lib ui_types`, then adapt the UI \
         (cd ui && npm run check && npm test)."
    );
}
