//! Long-running work, each part one testable step plus the engine's loop around it: the store
//! poller, the planner (a cart's send plan, in the cart's own transaction), the outbox
//! dispatcher (lease-based, at most once) and the recovery tracker.

pub mod outbox;
pub mod planner;
pub mod poller;
pub mod tracker;
