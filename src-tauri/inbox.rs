//! The inbox: the conversation rules. What a WhatsApp delivery changes (customers' messages,
//! statuses, the owner's phone, account and template updates), opt-out, escalation, takeover,
//! the owner's replies and drafts, and the conversation step with the assistant under it.
//!
//! It decides and stores; it never emits and never imports the engine. Each step returns what
//! happened ([`effects::Effects`], [`converse::Done`]) and the engine tells the outside world
//! after the commit.

pub mod account;
pub mod assistant;
pub mod converse;
pub mod delivery;
pub mod detail;
pub mod effects;
pub mod escalation;
#[cfg(test)]
mod identity_tests;
pub mod inbound;
pub mod opt_out;
pub mod phone;
pub mod replies;
pub mod statuses;
pub mod stored;
pub mod takeover;
mod user_ids;
pub mod window;
