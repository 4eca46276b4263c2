//! The conversation step after the rules: an assistant that sees the cart, the conversation and
//! the shop's facts — and whose answers are checked against the shop's own texts only, never the
//! customer's words — answers customers' doubts — as drafts the owner approves with one click
//! (default) or on its own (auto) — and hands anything it is unsure of to a person. Without a
//! provider, questions that match a shop fact get a draft built from that fact.
//!
//! This module decides; `inbox::converse` reads and stores around it, and the engine makes the
//! network call.

pub mod client;
pub mod coupon;
pub mod facts;
pub mod grounding;
pub mod prompt;
pub mod texts;

use crate::domain::escalation::Reason;
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Drafts,
    Auto,
}

impl Mode {
    pub fn parse(s: &str) -> Mode {
        match s {
            "auto" => Mode::Auto,
            "off" => Mode::Off,
            _ => Mode::Drafts,
        }
    }
}

/// What the conversation step decided for a customer's latest messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An answer to send (auto) or to propose (drafts).
    Answer { text: String, source: &'static str },
    /// Nothing to say (no provider and no matching fact): the message waits in the inbox.
    Nothing,
    /// A person must answer; `blocked` is the answer that failed the grounding check, if any.
    Escalate { reason: Reason, detail: String, blocked: Option<String> },
}

/// Asks the provider and checks what it says. Provider trouble is an escalation, never silence.
pub async fn ask(client: &client::ChatClient, ctx: &prompt::Context, lang: Lang) -> Outcome {
    match client.complete(&prompt::messages(ctx, lang)).await {
        Err(e) => Outcome::Escalate { reason: Reason::AssistantFailed, detail: e.to_string(), blocked: None },
        Ok(content) => judge(&prompt::parse(&content), ctx),
    }
}

/// The grounding check and the hand-over flag turned into an outcome.
pub fn judge(reply: &prompt::Reply, ctx: &prompt::Context) -> Outcome {
    if reply.handoff {
        return Outcome::Escalate {
            reason: Reason::AssistantUnsure,
            detail: "the assistant handed the conversation over".into(),
            blocked: None,
        };
    }
    match grounding::check(&reply.text, &ctx.grounds()) {
        Ok(()) => Outcome::Answer { text: reply.text.clone(), source: "assistant" },
        Err(u) => Outcome::Escalate {
            reason: Reason::AssistantUnsure,
            detail: format!(
                "answer blocked: it mentions \"{}\", which is not in the cart, the store or the shop facts",
                u.claim
            ),
            blocked: Some(reply.text.clone()),
        },
    }
}

/// Without a provider: a draft from the shop's facts when they cover the question. A question
/// they don't cover goes to a person (nobody else can answer it, and a customer who asks is
/// close to buying); a message that asks nothing ("gracias") just waits in the inbox.
pub fn from_facts(ctx: &prompt::Context, latest_customer_text: &str, lang: Lang) -> Outcome {
    match facts::draft(&ctx.facts, latest_customer_text, ctx.customer_name.as_deref(), lang) {
        Some(text) => Outcome::Answer { text, source: "facts" },
        None if facts::is_question(latest_customer_text) => Outcome::Escalate {
            reason: Reason::UnansweredQuestion,
            detail: "a question the shop's facts don't answer, and no assistant is connected".into(),
            blocked: None,
        },
        None => Outcome::Nothing,
    }
}
