//! What one webhook delivery changed that the engine must tell the outside world after the
//! commit ([`Effects`]), and the owner's routing rules for inbound messages ([`Routing`]).

use crate::events::OwnerProblem;
use crate::i18n::Lang;

/// What the engine must tell the outside world after the commit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    /// Threads with a new customer message.
    pub inbound: Vec<i64>,
    /// Threads a person took over from the phone.
    pub takeovers: Vec<i64>,
    pub opt_outs: usize,
    pub statuses: usize,
    pub problems: Vec<OwnerProblem>,
    pub paused: bool,
    /// Threads handed to a person by the escalation rules, with the reason code.
    pub escalations: Vec<(i64, String)>,
    /// Threads whose customer just opted out.
    pub opted_out_threads: Vec<i64>,
    /// A reply was queued (an opt-out confirmation): the reply queue should run.
    pub replies_queued: bool,
    /// Messages now wait for the conversation step (assistant or shop facts).
    pub assist_queued: bool,
}

impl Effects {
    /// Adds one delivery's effects to those of the deliveries before it.
    pub fn absorb(&mut self, fx: Effects) {
        self.inbound.extend(fx.inbound);
        self.takeovers.extend(fx.takeovers);
        self.opt_outs += fx.opt_outs;
        self.statuses += fx.statuses;
        self.problems.extend(fx.problems);
        self.paused |= fx.paused;
        self.escalations.extend(fx.escalations);
        self.opted_out_threads.extend(fx.opted_out_threads);
        self.replies_queued |= fx.replies_queued;
        self.assist_queued |= fx.assist_queued;
    }
}

/// Who we are, to ignore what belongs to another number on the same account, and the owner's
/// rules for inbound messages.
#[derive(Debug, Clone)]
pub struct Routing {
    pub phone_number_id: Option<String>,
    pub escalation_keywords: Vec<String>,
    /// The shop's language, for customers whose language is unknown.
    pub shop_lang: Lang,
    /// Whether the delivery being applied carried a valid signature. An unsigned one (accepted
    /// only while the owner allows it) is applied only as far as a stranger could do no harm:
    /// see `inbox::delivery`.
    pub signed: bool,
}

impl Default for Routing {
    fn default() -> Self {
        Routing { phone_number_id: None, escalation_keywords: Vec::new(), shop_lang: Lang::Es, signed: true }
    }
}
