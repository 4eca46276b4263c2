//! Long-running work, each part one testable step plus the engine's loop around it. Today: the
//! store poller. The planner, the outbox dispatcher and the recovery tracker join here.

pub mod poller;
