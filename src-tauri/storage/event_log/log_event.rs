//! What the event log records, one typed variant per kind. Guarantee: each variant's kind text
//! and its data's keys are exactly the ones stored so far (older databases, the SQL that filters
//! on `kind` or reads `data` with `json_extract`, the export and the demo report read them; the
//! tests compare every shape with the `json!` it replaced). An optional field with
//! `skip_serializing_if` is a key some writers leave out (the variant's doc says which); any other
//! absent value is written as `null`, as before. The kind texts are written here once.

use serde::Serialize;
use serde_json::Value;

/// Declares [`LogEvent`] (the data, serialized untagged) and [`Kind`] (its name) from one list,
/// so a kind's text can't drift between what is written and what is read back.
macro_rules! log_events {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $kind:literal { $($(#[$field_meta:meta])* $field:ident: $ty:ty),* $(,)? }
    ),* $(,)?) => {
        /// One event-log entry's kind and data (see [`super::append`]).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum LogEvent<'a> {
            $($(#[doc = $doc])* $variant { $($(#[$field_meta])* $field: $ty),* },)*
        }

        /// The kind of an event-log entry, as stored in the `kind` column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The text stored in the `kind` column.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $kind,)*
                }
            }

            /// The kind stored as `text`; `None` for a text this version does not write.
            pub fn parse(text: &str) -> Option<Kind> {
                match text {
                    $($kind => Some(Kind::$variant),)*
                    _ => None,
                }
            }
        }

        impl LogEvent<'_> {
            pub const fn kind(&self) -> Kind {
                match self {
                    $(LogEvent::$variant { .. } => Kind::$variant,)*
                }
            }
        }
    };
}

/// Who asked for a change, where the log says so (`"by": "owner"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Owner,
}

/// Why sending was paused: WhatsApp's disconnection details from an account update, or the text
/// of the refusal that showed the account can't send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PauseDetail<'a> {
    Disconnection(Option<&'a Value>),
    Refusal(&'a str),
}

fn skip<T>(value: &Option<T>) -> bool {
    value.is_none()
}

log_events! {
    // Carts.
    /// A cart passed its abandonment delay.
    CartDetected = "cart_detected" {},
    /// A known cart was bought; `how` says what showed it.
    CartCompleted = "cart_completed" { how: &'a str },
    /// What a purchase means for the cart (`recovered`, `holdout_converted`…).
    CartOutcome = "cart_outcome" {
        outcome: &'a str,
        #[serde(rename = "completedAt")]
        completed_at: &'a str,
    },
    /// A store returned a checkout that could not be read.
    CheckoutSkipped = "checkout_skipped" {
        store: i64,
        #[serde(rename = "checkoutId")]
        checkout_id: Option<&'a str>,
        reason: &'a str,
    },

    // The sends of a cart.
    /// A message was planned: a first message (`due`, `deadline`, `holdout`), a follow-up
    /// (`after`) or the owner's retry (`reason`, `due`, `deadline`, `by`).
    SendPlanned = "send_planned" {
        step: i64,
        #[serde(skip_serializing_if = "skip")]
        reason: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        due: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        deadline: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        holdout: Option<bool>,
        #[serde(skip_serializing_if = "skip")]
        after: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        by: Option<By>,
    },
    /// A planned message moved: overdue ones re-planned, or the owner's "send now" (`due`, `by`).
    SendReplanned = "send_replanned" {
        step: i64,
        reason: &'a str,
        #[serde(skip_serializing_if = "skip")]
        due: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        by: Option<By>,
    },
    /// A due message was given back until `until`.
    SendHeld = "send_held" { step: i64, reason: &'a str, until: &'a str },
    /// WhatsApp refused for now; another attempt goes `at`.
    SendRetry = "send_retry" { step: i64, code: &'a str, at: &'a str },
    /// WhatsApp accepted the message.
    SendSent = "send_sent" { step: i64, wamid: &'a str },
    /// A message will not go. `step` only when one send is meant; `detail` only from the
    /// dispatcher's checks (`null` when they had none); `by` only for the owner's stop.
    SendSkipped = "send_skipped" {
        #[serde(skip_serializing_if = "skip")]
        step: Option<i64>,
        reason: &'a str,
        #[serde(skip_serializing_if = "skip")]
        detail: Option<Option<&'a str>>,
        #[serde(skip_serializing_if = "skip")]
        by: Option<By>,
    },
    /// WhatsApp refused the message for good.
    SendFailed = "send_failed" { step: i64, code: &'a str, detail: &'a str },
    /// Nobody knows whether a send went: its request was interrupted (`send`), or WhatsApp never
    /// answered (`step`).
    SendUnknown = "send_unknown" {
        #[serde(skip_serializing_if = "skip")]
        send: Option<i64>,
        #[serde(skip_serializing_if = "skip")]
        step: Option<i64>,
        detail: &'a str,
    },
    /// WhatsApp's status report settled a send whose answer was lost.
    SendReconciled = "send_reconciled" { send: i64, wamid: &'a str },
    /// WhatsApp delivered a send.
    MessageDelivered = "message_delivered" {
        send: i64,
        step: i64,
        code: Option<&'a str>,
        detail: Option<&'a str>,
    },
    /// The customer read (or played) a send.
    MessageRead = "message_read" { send: i64, step: i64, code: Option<&'a str>, detail: Option<&'a str> },
    /// WhatsApp reported a send as failed after accepting it.
    MessageFailed = "message_failed" { send: i64, step: i64, code: Option<&'a str>, detail: Option<&'a str> },

    // Customers and conversations.
    /// A customer stopped marketing messages; `conversation` only when they said so in one.
    OptedOut = "opted_out" {
        source: &'a str,
        #[serde(skip_serializing_if = "skip")]
        conversation: Option<i64>,
    },
    /// A customer asked to hear from the shop again: in a conversation, or through Meta's
    /// preferences (`source`).
    OptedIn = "opted_in" {
        #[serde(skip_serializing_if = "skip")]
        source: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        conversation: Option<i64>,
    },
    /// A customer wrote; the webhook's message names its conversation, kind and wamid (a text
    /// recorded by number has none of them).
    CustomerReplied = "customer_replied" {
        #[serde(skip_serializing_if = "skip")]
        conversation: Option<i64>,
        #[serde(skip_serializing_if = "skip")]
        kind: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        wamid: Option<&'a str>,
    },
    /// A customer sent something WhatsApp can't show here.
    UnsupportedMessage = "unsupported_message" { code: i64, detail: &'a str },
    /// A person took over a conversation (from the app or the phone).
    Takeover = "takeover" { source: &'a str, conversation: i64 },
    /// The owner gave a conversation back to automation.
    HandedBack = "handed_back" { source: &'a str, conversation: i64 },
    /// A conversation was handed to a person.
    Escalated = "escalated" { conversation: i64, reason: &'a str, detail: &'a str, wamid: &'a str },
    /// The assistant drafted an answer for the owner to approve.
    DraftReady = "draft_ready" { conversation: i64, draft: i64, source: &'a str, facts_version: Option<i64> },
    /// The owner approved a draft (`edited`: changed before sending).
    DraftApproved = "draft_approved" { draft: i64, conversation: i64, edited: bool },
    /// The phone declined to share a chunk of its history.
    HistoryDeclined = "history_declined" { code: Option<i64>, detail: &'a str },
    /// The phone finished sharing a history phase.
    HistorySynced = "history_synced" { phase: Option<i64>, chunk: Option<i64> },

    // The WhatsApp account.
    /// WhatsApp reported an error on the messages webhook.
    WhatsappError = "whatsapp_error" { code: Option<i64>, detail: &'a str },
    /// An account update arrived (always logged).
    AccountUpdate = "account_update" { event: &'a str, disconnection: Option<&'a Value> },
    /// The number is no longer connected to the phone's WhatsApp Business app (Coexistence):
    /// Meta's reason, a send error's code, or `not_on_business_app`. Once per incident.
    NumberDisconnected = "number_disconnected" { reason: &'a str },
    /// A check found the number back on the WhatsApp Business app: the incident ended.
    NumberReconnected = "number_reconnected" {},
    /// The owner was reminded to open WhatsApp Business on the phone (no message from it since).
    PhoneReminder = "phone_reminder" { since: &'a str },
    /// The phone's address book and history were asked for (each its request id or error code).
    HistoryRequested = "history_requested" {
        #[serde(rename = "requestId")]
        request_id: Option<&'a str>,
        code: Option<&'a str>,
        #[serde(rename = "contactsRequestId")]
        contacts_request_id: Option<&'a str>,
        #[serde(rename = "contactsCode")]
        contacts_code: Option<&'a str>,
    },
    /// Sending was paused because the account can't send.
    SendingPaused = "sending_paused" { code: &'a str, detail: PauseDetail<'a> },
    /// A template's review result arrived.
    TemplateStatus = "template_status" {
        name: &'a str,
        language: &'a str,
        status: &'a str,
        reason: Option<&'a Value>,
    },
    /// The recovery template was submitted in one language.
    TemplateCreated = "template_created" { name: &'a str, language: &'a str, status: &'a str },
    /// WhatsApp refused a template (in one language): it is not used until fixed.
    TemplateBlocked = "template_blocked" { template: &'a str, language: &'a str, code: &'a str, detail: &'a str },
    /// The owner sent the test message.
    TestMessageSent = "test_message_sent" { template: &'a str, language: &'a str, wamid: &'a str },

    // Settings, secrets and stores.
    /// A secret changed: a named one, or a store's credentials (`scope`).
    SecretSet = "secret_set" {
        #[serde(skip_serializing_if = "skip")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "skip")]
        scope: Option<&'a str>,
        store: &'a str,
    },
    /// A setting changed.
    SettingChanged = "setting_changed" { key: &'a str, value: &'a str },
    /// A store was connected (or its connection updated).
    StoreConnected = "store_connected" { store: i64, platform: &'a str },
    /// A store's poll failed.
    StorePollFailed = "store_poll_failed" { store: i64, error: &'a str, code: &'a str, failures: u32 },
    /// The owner was told a store has been unreachable.
    StoreUnreachableTold = "store_unreachable_told" { store: i64 },

    // Webhooks.
    /// A stored delivery failed to apply too many times and was set aside for the owner.
    WebhookQuarantined = "webhook_quarantined" { delivery: i64, attempts: u32, error: &'a str },
    /// The owner put the quarantined deliveries back in line ("Retry").
    WebhooksRetried = "webhooks_retried" { deliveries: usize },
    /// The webhook address was registered with Meta (`outcome` `ok`), or Meta refused it
    /// (`outcome` says why: `nothing_answered`, `wrong_token`, `not_https`, `other`).
    WebhookRegistered = "webhook_registered" { url: &'a str, outcome: &'a str },

    // Stores, continued.
    /// An opt-out's write back to the store ended (`store_write_opt_out`): `outcome` is
    /// `written`, `already_off`, `no_customer`, `other_phone`, `refused`, `access_denied`,
    /// `unsupported_version` or `failed`; `detail` the store's words when it refused.
    StoreOptOut = "store_opt_out" {
        store: i64,
        outcome: &'a str,
        #[serde(rename = "optedOutAt")]
        opted_out_at: &'a str,
        detail: Option<&'a str>,
    },
    /// A customer's opt-in, after their opt-out was written to the store, written back too
    /// (SUBSCRIBED): `outcome` as for `store_opt_out`, or `already_on`, `changed_there`;
    /// `optedInAt` when they said it (null: not known).
    StoreOptIn = "store_opt_in" {
        store: i64,
        outcome: &'a str,
        #[serde(rename = "optedOutAt")]
        opted_out_at: &'a str,
        #[serde(rename = "optedInAt")]
        opted_in_at: Option<&'a str>,
        detail: Option<&'a str>,
    },
}

#[cfg(test)]
mod tests;
