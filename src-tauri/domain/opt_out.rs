//! Opt-out words: a customer who answers only "STOP", "baja", "parar", "sair", "unsubscribe"…
//! (in Spanish, Portuguese or English, any case, accents and punctuation folded), or who taps the
//! template's "Stop promotions" button, does not get another marketing message.
//!
//! Matching is on the *whole* message, so innocent text ("no stop-motion", "bajá el precio")
//! never opts anyone out; phrases inside longer messages are the assistant's and the owner's
//! call (escalation rules).

/// Lower-case, accents removed, punctuation and emoji dropped, spaces collapsed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        };
        if ch.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        } else {
            space = true;
        }
    }
    out
}

/// Whole messages that mean "stop writing to me".
const KEYWORDS: &[&str] = &[
    // English
    "stop",
    "unsubscribe",
    "stop promotions",
    "stop all",
    "opt out",
    // Spanish
    "baja",
    "dar de baja",
    "darme de baja",
    "parar",
    "para",
    "no mas",
    "no mas mensajes",
    "no me escriban mas",
    "no me escribas mas",
    "detener promociones",
    "dejar de recibir",
    "desuscribir",
    "desuscribirme",
    "cancelar suscripcion",
    // Portuguese
    "sair",
    "parar promocoes",
    "pare",
    "cancelar",
    "descadastrar",
    "nao quero mais",
    "nao me mande mais mensagens",
];

/// Is this whole message an opt-out?
pub fn is_opt_out(text: &str) -> bool {
    let folded = fold(text);
    !folded.is_empty() && KEYWORDS.contains(&folded.as_str())
}

/// Is this quick-reply tap (its payload or its label) the template's marketing opt-out button?
pub fn is_stop_button(payload: Option<&str>, text: Option<&str>) -> bool {
    [payload, text].into_iter().flatten().any(|t| {
        let f = fold(t);
        f == "stop promotions"
            || f == "parar promocoes"
            || f == "detener promociones"
            || f == "stop_promotions"
            || f == "stop"
            || f == "recupero stop"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_opt_out_in_three_languages() {
        for text in [
            "STOP",
            " stop. ",
            "Baja",
            "BAJA!!",
            "No me escriban más",
            "parar",
            "Sair",
            "UNSUBSCRIBE",
            "não quero mais 🙏",
        ] {
            assert!(is_opt_out(text), "{text}");
        }
    }

    #[test]
    fn innocent_text_does_not() {
        for text in [
            "no stop-motion",
            "bajá el precio",
            "¿para cuándo llega?",
            "stop by the shop tomorrow",
            "",
            "🙂",
            "quiero saber si baja el precio",
        ] {
            assert!(!is_opt_out(text), "{text}");
        }
    }

    #[test]
    fn the_stop_promotions_button_by_label_or_payload() {
        assert!(is_stop_button(None, Some("Stop promotions")));
        assert!(is_stop_button(Some("Parar promoções"), None));
        assert!(!is_stop_button(Some("Ver carrito"), Some("Ver carrito")));
    }
}
