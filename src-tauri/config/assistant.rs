//! The assistant answering customers: its mode, the chat-completions address and model, how
//! long to wait for it, the shop's facts it answers from, and the owner's escalation words.

use super::values;
use super::{Kind, Spec};

pub(super) const ASSISTANT_MODE: Spec = Spec {
    key: "assistant_mode",
    kind: Kind::AssistantMode,
    description:
        "The assistant answering customers' questions: off, drafts you approve with one click, or auto",
    default: || "drafts".into(),
    validate: values::assistant_mode,
};

pub(super) const ASSISTANT_BASE_URL: Spec = Spec {
    key: "assistant_base_url",
    kind: Kind::Url,
    description: "OpenAI-compatible chat-completions address, e.g. http://127.0.0.1:11434/v1 for a local Ollama (empty: answers only from your shop facts)",
    default: String::new,
    validate: values::url_or_empty,
};

pub(super) const ASSISTANT_MODEL: Spec = Spec {
    key: "assistant_model",
    kind: Kind::Text,
    description: "The assistant's model name at that address",
    default: || "llama3.2".into(),
    validate: values::model_name,
};

pub(super) const ASSISTANT_TIMEOUT_SECONDS: Spec = Spec {
    key: "assistant_timeout_seconds",
    kind: Kind::Seconds,
    description: "How long to wait for the assistant before handing the conversation to you",
    default: || "20".into(),
    validate: |v| values::int_in(v, 2, 120),
};

pub(super) const SHOP_FACTS: Spec = Spec {
    key: "shop_facts",
    kind: Kind::LongText,
    description: "Your shop's facts in your own words: shipping zones, costs and times, payment methods and installments, returns and exchanges, sizes, pickup, hours, contact",
    default: String::new,
    validate: values::long_text,
};

pub(super) const ESCALATION_KEYWORDS: Spec = Spec {
    key: "escalation_keywords",
    kind: Kind::Keywords,
    description:
        "Your own words that hand a conversation to you (comma-separated), besides the built-in rules",
    default: String::new,
    validate: values::keywords,
};
