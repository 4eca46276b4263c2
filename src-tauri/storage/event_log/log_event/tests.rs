use rusqlite::Connection;
use serde_json::{json, Value};

use super::*;
use crate::storage::event_log;

/// What `append` stores for `event`: its kind and data text, read back from the table.
fn stored(event: &LogEvent<'_>) -> (String, String) {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    event_log::append(&conn, "2026-11-20T12:00:00.000Z", None, None, event).unwrap();
    let row = event_log::recent(&conn, 1).unwrap().remove(0);
    (row.kind, row.data)
}

#[test]
fn every_kind_reads_back_from_its_text() {
    for kind in Kind::ALL {
        assert_eq!(Kind::parse(kind.as_str()), Some(*kind), "{kind:?} must parse back from its text");
    }
    assert_eq!(Kind::parse("paused"), None, "a text this version does not write is no kind");
}

/// Each writer's event against the `json!` literal it wrote before the enum: the same kind and
/// byte for byte the same data, so old rows and new ones read alike.
#[test]
fn each_event_is_stored_exactly_as_before() {
    let disconnection = json!({ "reason": "banned" });
    let reason = json!("INVALID_FORMAT");
    let cases: Vec<(LogEvent<'_>, &str, Value)> = vec![
        (LogEvent::CartDetected {}, "cart_detected", json!({})),
        (LogEvent::CartCompleted { how: "order paid" }, "cart_completed", json!({ "how": "order paid" })),
        (
            LogEvent::CartOutcome { outcome: "recovered", completed_at: "T1" },
            "cart_outcome",
            json!({ "outcome": "recovered", "completedAt": "T1" }),
        ),
        (
            LogEvent::CheckoutSkipped { store: 1, checkout_id: Some("c9"), reason: "no id" },
            "checkout_skipped",
            json!({ "store": 1, "checkoutId": "c9", "reason": "no id" }),
        ),
        (
            LogEvent::CheckoutSkipped { store: 1, checkout_id: None, reason: "no id" },
            "checkout_skipped",
            json!({ "store": 1, "checkoutId": null, "reason": "no id" }),
        ),
        (
            LogEvent::SendPlanned {
                step: 0,
                reason: None,
                due: Some("T1"),
                deadline: Some("T2"),
                holdout: Some(false),
                after: None,
                by: None,
            },
            "send_planned",
            json!({ "step": 0, "due": "T1", "deadline": "T2", "holdout": false }),
        ),
        (
            LogEvent::SendPlanned {
                step: 1,
                reason: None,
                due: None,
                deadline: None,
                holdout: None,
                after: Some("T3"),
                by: None,
            },
            "send_planned",
            json!({ "step": 1, "after": "T3" }),
        ),
        (
            LogEvent::SendPlanned {
                step: 2,
                reason: Some("owner_retry"),
                due: Some("T1"),
                deadline: Some("T2"),
                holdout: None,
                after: None,
                by: Some(By::Owner),
            },
            "send_planned",
            json!({ "step": 2, "reason": "owner_retry", "due": "T1", "deadline": "T2", "by": "owner" }),
        ),
        (
            LogEvent::SendReplanned {
                step: 0,
                reason: "owner_send_now",
                due: Some("T1"),
                by: Some(By::Owner),
            },
            "send_replanned",
            json!({ "step": 0, "reason": "owner_send_now", "due": "T1", "by": "owner" }),
        ),
        (
            LogEvent::SendReplanned { step: 1, reason: "overdue", due: None, by: None },
            "send_replanned",
            json!({ "step": 1, "reason": "overdue" }),
        ),
        (
            LogEvent::SendHeld { step: 0, reason: "store_unreachable", until: "T1" },
            "send_held",
            json!({ "step": 0, "reason": "store_unreachable", "until": "T1" }),
        ),
        (
            LogEvent::SendRetry { step: 0, code: "130429", at: "T1" },
            "send_retry",
            json!({ "step": 0, "code": "130429", "at": "T1" }),
        ),
        (
            LogEvent::SendSent { step: 0, wamid: "wamid.1" },
            "send_sent",
            json!({ "step": 0, "wamid": "wamid.1" }),
        ),
        (
            LogEvent::SendSkipped { step: Some(0), reason: "opted_out", detail: Some(None), by: None },
            "send_skipped",
            json!({ "step": 0, "reason": "opted_out", "detail": Option::<&str>::None }),
        ),
        (
            LogEvent::SendSkipped {
                step: Some(0),
                reason: "too_old",
                detail: Some(Some("overdue")),
                by: None,
            },
            "send_skipped",
            json!({ "step": 0, "reason": "too_old", "detail": "overdue" }),
        ),
        (
            LogEvent::SendSkipped { step: Some(0), reason: "no_business_hours", detail: None, by: None },
            "send_skipped",
            json!({ "step": 0, "reason": "no_business_hours" }),
        ),
        (
            LogEvent::SendSkipped { step: None, reason: "purchased", detail: None, by: None },
            "send_skipped",
            json!({ "reason": "purchased" }),
        ),
        (
            LogEvent::SendSkipped {
                step: Some(1),
                reason: "stopped_by_owner",
                detail: None,
                by: Some(By::Owner),
            },
            "send_skipped",
            json!({ "step": 1, "reason": "stopped_by_owner", "by": "owner" }),
        ),
        (
            LogEvent::SendFailed { step: 0, code: "131026", detail: "undeliverable" },
            "send_failed",
            json!({ "step": 0, "code": "131026", "detail": "undeliverable" }),
        ),
        (
            LogEvent::SendUnknown { send: Some(4), step: None, detail: "interrupted while sending" },
            "send_unknown",
            json!({ "send": 4, "detail": "interrupted while sending" }),
        ),
        (
            LogEvent::SendUnknown { send: None, step: Some(0), detail: "timed out" },
            "send_unknown",
            json!({ "step": 0, "detail": "timed out" }),
        ),
        (
            LogEvent::SendReconciled { send: 4, wamid: "wamid.1" },
            "send_reconciled",
            json!({ "send": 4, "wamid": "wamid.1" }),
        ),
        (
            LogEvent::MessageDelivered { send: 4, step: 0, code: None, detail: None },
            "message_delivered",
            json!({ "send": 4, "step": 0, "code": Value::Null, "detail": Value::Null }),
        ),
        (
            LogEvent::MessageRead { send: 4, step: 1, code: None, detail: None },
            "message_read",
            json!({ "send": 4, "step": 1, "code": Value::Null, "detail": Value::Null }),
        ),
        (
            LogEvent::MessageFailed { send: 4, step: 0, code: Some("131050"), detail: Some("stopped") },
            "message_failed",
            json!({ "send": 4, "step": 0, "code": "131050", "detail": "stopped" }),
        ),
        (
            LogEvent::OptedOut { source: "keyword", conversation: Some(7) },
            "opted_out",
            json!({ "source": "keyword", "conversation": 7 }),
        ),
        (
            LogEvent::OptedOut { source: "meta_131050", conversation: None },
            "opted_out",
            json!({ "source": "meta_131050" }),
        ),
        (LogEvent::OptedIn { source: None, conversation: Some(7) }, "opted_in", json!({ "conversation": 7 })),
        (
            LogEvent::OptedIn { source: Some("meta_user_preferences"), conversation: None },
            "opted_in",
            json!({ "source": "meta_user_preferences" }),
        ),
        (
            LogEvent::CustomerReplied { conversation: Some(7), kind: Some("text"), wamid: Some("wamid.2") },
            "customer_replied",
            json!({ "conversation": 7, "kind": "text", "wamid": "wamid.2" }),
        ),
        (
            LogEvent::CustomerReplied { conversation: None, kind: None, wamid: None },
            "customer_replied",
            json!({}),
        ),
        (
            LogEvent::UnsupportedMessage { code: 131060, detail: "check the phone app" },
            "unsupported_message",
            json!({ "code": 131060, "detail": "check the phone app" }),
        ),
        (
            LogEvent::Takeover { source: "app", conversation: 7 },
            "takeover",
            json!({ "source": "app", "conversation": 7 }),
        ),
        (
            LogEvent::HandedBack { source: "app", conversation: 7 },
            "handed_back",
            json!({ "source": "app", "conversation": 7 }),
        ),
        (
            LogEvent::Escalated { conversation: 7, reason: "asked_for_person", detail: "", wamid: "wamid.2" },
            "escalated",
            json!({ "conversation": 7, "reason": "asked_for_person", "detail": "", "wamid": "wamid.2" }),
        ),
        (
            LogEvent::DraftReady { conversation: 7, draft: 3, source: "facts", facts_version: None },
            "draft_ready",
            json!({ "conversation": 7, "draft": 3, "source": "facts", "facts_version": Option::<i64>::None }),
        ),
        (
            LogEvent::DraftApproved { draft: 3, conversation: 7, edited: true },
            "draft_approved",
            json!({ "draft": 3, "conversation": 7, "edited": true }),
        ),
        (
            LogEvent::HistoryDeclined { code: Some(2593109), detail: "declined" },
            "history_declined",
            json!({ "code": 2593109, "detail": "declined" }),
        ),
        (
            LogEvent::HistorySynced { phase: Some(0), chunk: None },
            "history_synced",
            json!({ "phase": 0, "chunk": Option::<i64>::None }),
        ),
        (
            LogEvent::WhatsappError { code: None, detail: "oops" },
            "whatsapp_error",
            json!({ "code": Option::<i64>::None, "detail": "oops" }),
        ),
        (
            LogEvent::AccountUpdate { event: "DISABLED_UPDATE", disconnection: Some(&disconnection) },
            "account_update",
            json!({ "event": "DISABLED_UPDATE", "disconnection": disconnection }),
        ),
        (
            LogEvent::AccountUpdate { event: "VERIFIED_ACCOUNT", disconnection: None },
            "account_update",
            json!({ "event": "VERIFIED_ACCOUNT", "disconnection": Value::Null }),
        ),
        (
            LogEvent::SendingPaused {
                code: "DISABLED_UPDATE",
                detail: PauseDetail::Disconnection(Some(&disconnection)),
            },
            "sending_paused",
            json!({ "code": "DISABLED_UPDATE", "detail": disconnection }),
        ),
        (
            LogEvent::SendingPaused { code: "ACCOUNT_DELETED", detail: PauseDetail::Disconnection(None) },
            "sending_paused",
            json!({ "code": "ACCOUNT_DELETED", "detail": Value::Null }),
        ),
        (
            LogEvent::SendingPaused { code: "190", detail: PauseDetail::Refusal("token expired") },
            "sending_paused",
            json!({ "code": "190", "detail": "token expired" }),
        ),
        (
            LogEvent::TemplateStatus {
                name: "recupero",
                language: "en_US",
                status: "REJECTED",
                reason: Some(&reason),
            },
            "template_status",
            json!({ "name": "recupero", "language": "en_US", "status": "REJECTED", "reason": reason }),
        ),
        (
            LogEvent::TemplateCreated { name: "recupero", language: "es", status: "PENDING" },
            "template_created",
            json!({ "name": "recupero", "language": "es", "status": "PENDING" }),
        ),
        (
            LogEvent::TemplateBlocked {
                template: "recupero",
                language: "es",
                code: "132001",
                detail: "missing",
            },
            "template_blocked",
            json!({ "template": "recupero", "language": "es", "code": "132001", "detail": "missing" }),
        ),
        (
            LogEvent::TestMessageSent { template: "recupero", language: "es", wamid: "wamid.3" },
            "test_message_sent",
            json!({ "template": "recupero", "language": "es", "wamid": "wamid.3" }),
        ),
        (
            LogEvent::SecretSet { name: Some("whatsapp_token"), scope: None, store: "memory" },
            "secret_set",
            json!({ "name": "whatsapp_token", "store": "memory" }),
        ),
        (
            LogEvent::SecretSet { name: None, scope: Some("store-1"), store: "memory" },
            "secret_set",
            json!({ "scope": "store-1", "store": "memory" }),
        ),
        (
            LogEvent::SettingChanged { key: "sending_paused", value: "true" },
            "setting_changed",
            json!({ "key": "sending_paused", "value": "true" }),
        ),
        (
            LogEvent::StoreConnected { store: 1, platform: "shopify" },
            "store_connected",
            json!({ "store": 1, "platform": "shopify" }),
        ),
        (
            LogEvent::StorePollFailed {
                store: 1,
                error: "timed out",
                code: "store_unreachable",
                failures: 3,
            },
            "store_poll_failed",
            json!({ "store": 1, "error": "timed out", "code": "store_unreachable", "failures": 3 }),
        ),
        (LogEvent::StoreUnreachableTold { store: 1 }, "store_unreachable_told", json!({ "store": 1 })),
        (
            LogEvent::WebhookQuarantined { delivery: 7, attempts: 8, error: "disk full" },
            "webhook_quarantined",
            json!({ "delivery": 7, "attempts": 8, "error": "disk full" }),
        ),
        (LogEvent::WebhooksRetried { deliveries: 2 }, "webhooks_retried", json!({ "deliveries": 2 })),
        (
            LogEvent::NumberDisconnected { reason: "PRIMARY_INACTIVITY" },
            "number_disconnected",
            json!({ "reason": "PRIMARY_INACTIVITY" }),
        ),
        (LogEvent::NumberReconnected {}, "number_reconnected", json!({})),
        (LogEvent::PhoneReminder { since: "T1" }, "phone_reminder", json!({ "since": "T1" })),
        (
            LogEvent::HistoryRequested {
                request_id: None,
                code: Some("2593108"),
                contacts_request_id: Some("r1"),
                contacts_code: None,
            },
            "history_requested",
            json!({ "requestId": null, "code": "2593108", "contactsRequestId": "r1", "contactsCode": null }),
        ),
        (
            LogEvent::WebhookRegistered { url: "https://x.example/webhook/s", outcome: "ok" },
            "webhook_registered",
            json!({ "url": "https://x.example/webhook/s", "outcome": "ok" }),
        ),
        (
            LogEvent::StoreOptOut {
                store: 2,
                outcome: "access_denied",
                opted_out_at: "T1",
                detail: Some("scope"),
            },
            "store_opt_out",
            json!({ "store": 2, "outcome": "access_denied", "optedOutAt": "T1", "detail": "scope" }),
        ),
        (
            LogEvent::StoreOptIn {
                store: 2,
                outcome: "written",
                opted_out_at: "T1",
                opted_in_at: Some("T2"),
                detail: None,
            },
            "store_opt_in",
            json!({ "store": 2, "outcome": "written", "optedOutAt": "T1", "optedInAt": "T2", "detail": null }),
        ),
    ];
    for (event, kind, before) in &cases {
        assert_eq!(event.kind().as_str(), *kind, "{event:?} keeps its kind");
        assert_eq!(stored(event), (kind.to_string(), before.to_string()), "{event:?} is stored as before");
    }
    let covered: std::collections::HashSet<Kind> = cases.iter().map(|(e, ..)| e.kind()).collect();
    assert_eq!(covered.len(), Kind::ALL.len(), "every kind is checked against its old form");
}
