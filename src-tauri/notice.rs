//! Which engine events become a native desktop notification, and with what text — decided in
//! this one place (headless, so the demo and tests see the same decision the desktop shell shows). Texts come from the shared translation catalog.

use crate::events::{EngineEvent, OwnerProblem, Route};
use crate::i18n::{t, Lang};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// Where clicking the notification takes the owner.
    pub route: Option<Route>,
}

/// Whether the owner asked to hear about this kind of event: a recovered cart only with
/// `notify_recovered`; everything `notice_for` knows otherwise.
pub fn wanted(event: &EngineEvent, notify_recovered: bool) -> bool {
    !matches!(event, EngineEvent::CartRecovered { .. }) || notify_recovered
}

/// The notification an event deserves, if any.
pub fn notice_for(event: &EngineEvent, lang: Lang) -> Option<Notice> {
    let notice = |title: &str, body: String, route: Option<Route>| {
        Some(Notice { title: t(lang, title, &[]), body, route })
    };
    match event {
        EngineEvent::Escalation { conversation_id, contact_name, reason } => {
            let reason_key = format!("native.reason.{}", camel(reason));
            let reason_text = t(lang, &reason_key, &[]);
            let reason_text = if reason_text == reason_key { reason.clone() } else { reason_text };
            let name = contact_name.as_deref().unwrap_or("?");
            notice(
                "native.notify.escalationTitle",
                t(lang, "native.notify.escalationBody", &[("name", name), ("reason", &reason_text)]),
                Some(Route::conversation(*conversation_id)),
            )
        }
        EngineEvent::NeedsOwner { problem } => {
            let (title, body) = match problem {
                OwnerProblem::TokenExpired => {
                    ("native.notify.tokenExpiredTitle", "native.notify.tokenExpiredBody")
                }
                OwnerProblem::NumberDisconnected => {
                    ("native.notify.numberDisconnectedTitle", "native.notify.numberDisconnectedBody")
                }
                OwnerProblem::TemplateRejected => {
                    ("native.notify.templateRejectedTitle", "native.notify.templateRejectedBody")
                }
                OwnerProblem::StoreUnreachable => {
                    ("native.notify.storeUnreachableTitle", "native.notify.storeUnreachableBody")
                }
                OwnerProblem::DeliveryQuarantined => {
                    ("native.notify.deliveryQuarantinedTitle", "native.notify.deliveryQuarantinedBody")
                }
                OwnerProblem::PhoneInactive => {
                    ("coexistence.notify.phoneInactiveTitle", "coexistence.notify.phoneInactiveBody")
                }
                OwnerProblem::StoreOptOutRefused => {
                    ("native.notify.storeOptOutRefusedTitle", "native.notify.storeOptOutRefusedBody")
                }
                OwnerProblem::SpendCapReached => {
                    ("native.notify.spendCapReachedTitle", "native.notify.spendCapReachedBody")
                }
                OwnerProblem::CouponRefused => {
                    ("native.notify.couponRefusedTitle", "native.notify.couponRefusedBody")
                }
            };
            let section = match problem {
                OwnerProblem::StoreUnreachable
                | OwnerProblem::StoreOptOutRefused
                | OwnerProblem::CouponRefused => "store",
                OwnerProblem::SpendCapReached => "sending",
                _ => "whatsapp",
            };
            notice(title, t(lang, body, &[]), Some(Route::settings(section)))
        }
        EngineEvent::CartRecovered { contact_name, total, .. } => notice(
            "native.notify.recoveredTitle",
            t(
                lang,
                "native.notify.recoveredBody",
                &[("name", contact_name.as_deref().unwrap_or("?")), ("total", total)],
            ),
            Some(Route { screen: crate::events::Screen::Carts, conversation_id: None, section: None }),
        ),
        EngineEvent::PausedChanged { paused } => notice(
            if *paused { "native.notify.pausedTitle" } else { "native.notify.resumedTitle" },
            String::new(),
            Some(Route::settings("sending")),
        ),
        _ => None,
    }
}

/// `asked_for_person` → `askedForPerson`, the catalog's key style.
fn camel(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut upper = false;
    for ch in code.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_becomes_a_notification_naming_the_customer_and_reason() {
        let ev = EngineEvent::Escalation {
            conversation_id: 3,
            contact_name: Some("Zoë 🛒".into()),
            reason: "asked_for_person".into(),
        };
        let n = notice_for(&ev, Lang::Es).expect("an escalation must notify");
        assert!(n.body.contains("Zoë 🛒"), "{n:?}");
        assert!(!n.body.contains('{') && !n.body.contains("native."), "fully translated: {n:?}");
        assert_eq!(n.route, Some(Route::conversation(3)), "a click opens that conversation");
        assert_ne!(notice_for(&ev, Lang::En), Some(n), "text follows the language");
    }

    #[test]
    fn a_recovered_cart_notifies_only_when_the_owner_asked() {
        let ev = EngineEvent::CartRecovered {
            cart_id: 9,
            contact_name: Some("Ana".into()),
            total: "45990.50 ARS".into(),
        };
        let n = notice_for(&ev, Lang::Es).unwrap();
        assert!(n.body.contains("Ana") && n.body.contains("45990.50 ARS"), "{n:?}");
        assert!(!wanted(&ev, false) && wanted(&ev, true));
        assert!(wanted(&EngineEvent::PausedChanged { paused: true }, false));
    }

    #[test]
    fn owner_problems_notify_and_routine_events_do_not() {
        let n =
            notice_for(&EngineEvent::NeedsOwner { problem: OwnerProblem::TokenExpired }, Lang::Pt).unwrap();
        assert!(!n.title.is_empty() && !n.body.is_empty() && !n.title.starts_with("native."));
        assert_eq!(n.route, Some(Route::settings("whatsapp")), "a click opens the WhatsApp settings");
        let store =
            notice_for(&EngineEvent::NeedsOwner { problem: OwnerProblem::StoreUnreachable }, Lang::Es)
                .unwrap();
        assert_eq!(store.route, Some(Route::settings("store")));
        for lang in [Lang::Es, Lang::Pt, Lang::En] {
            let cap = notice_for(&EngineEvent::NeedsOwner { problem: OwnerProblem::SpendCapReached }, lang)
                .expect("the spend cap notifies");
            assert!(!cap.title.starts_with("native.") && !cap.body.starts_with("native."), "{cap:?}");
            assert_eq!(cap.route, Some(Route::settings("sending")), "a click opens the sending settings");
        }
        assert_eq!(notice_for(&EngineEvent::SettingsChanged, Lang::Es), None);
        assert_eq!(notice_for(&EngineEvent::CartDetected { cart_id: 1 }, Lang::Es), None);
    }

    #[test]
    fn every_escalation_reason_has_its_words_in_every_language() {
        use crate::domain::escalation::Reason;
        for reason in [
            Reason::AskedForPerson,
            Reason::Complaint,
            Reason::PaymentProblem,
            Reason::Fraud,
            Reason::DeliveryProblem,
            Reason::Insult,
            Reason::OwnerKeyword,
            Reason::AssistantUnsure,
            Reason::AssistantFailed,
            Reason::UnansweredQuestion,
        ] {
            for lang in [Lang::Es, Lang::Pt, Lang::En] {
                let key = format!("native.reason.{}", camel(reason.code()));
                assert_ne!(t(lang, &key, &[]), key, "{key} in {lang:?}");
            }
        }
    }

    #[test]
    fn reason_codes_map_to_catalog_keys() {
        assert_eq!(camel("asked_for_person"), "askedForPerson");
        assert_eq!(camel("complaint"), "complaint");
    }
}
