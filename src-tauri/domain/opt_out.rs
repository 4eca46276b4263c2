//! Opt-out words: a customer who answers "STOP", "baja", "parar", "sair", "unsubscribe"… (in
//! Spanish, Portuguese or English, any case, accents, spacing and punctuation folded), who writes
//! an unambiguous phrase such as "no me escriban más" or "parem de me mandar mensagens" anywhere
//! in a message, or who taps the template's "Stop promotions" button, does not get another
//! marketing message.
//!
//! Single words ("stop", "baja", "parar") count only as the *whole* message (politeness around
//! them allowed: "STOP por favor", "baja gracias"), so innocent text ("no stop-motion", "bajá el
//! precio", "¿para cuándo llega?") never opts anyone out. Phrases count anywhere, on whole words.

use super::phrases::first_match;
pub use super::phrases::fold;

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

/// Phrases that mean "stop writing to me" wherever they appear in a message.
const PHRASES: &[&str] = &[
    // Spanish
    "no me escriban mas",
    "no me escribas mas",
    "no me escriba mas",
    "no me manden mas",
    "no me mandes mas",
    "no me envien mas",
    "no me envies mas",
    "no quiero recibir mas",
    "no quiero que me escriban",
    "dejen de escribirme",
    "deja de escribirme",
    "dejen de mandarme",
    "dejen de enviarme",
    "darme de baja",
    "denme de baja",
    "dame de baja",
    "quiero la baja",
    "desuscribirme",
    "borrenme de la lista",
    "sacame de la lista",
    "saquenme de la lista",
    "sacenme de la lista",
    "quitenme de la lista",
    "borrame de la lista",
    "eliminenme de la lista",
    "no quiero mas mensajes",
    "no quiero recibir mensajes",
    "no me manden mensajes",
    "no me contacten mas",
    "no me contactes mas",
    "no me molesten mas",
    "dejen de mandar mensajes",
    "dejen de enviar mensajes",
    "dejen de contactarme",
    "deja de mandarme",
    "deja de enviarme",
    "deja de contactarme",
    "dejen de molestarme",
    "deja de molestarme",
    "basta de mensajes",
    // Portuguese
    "nao me mande mais",
    "nao me mandem mais",
    "nao me envie mais",
    "nao me enviem mais",
    "nao quero receber mais",
    "parem de me mandar",
    "pare de me mandar",
    "parem de enviar",
    "pare de enviar",
    "parem de me enviar",
    "me descadastre",
    "me descadastrem",
    "quero me descadastrar",
    "sair da lista",
    "me tira da lista",
    "me tirem da lista",
    "cancelar inscricao",
    "nao quero mais mensagens",
    "nao quero mais receber",
    "nao quero receber mensagens",
    "nao me manda mais",
    "nao mande mais",
    "nao mandem mais",
    "nao me envia mais",
    "para de me mandar",
    "para de mandar mensagem",
    "pare de mandar mensagem",
    "parem de mandar mensagem",
    "para de me enviar",
    "parem de me incomodar",
    "pare de me incomodar",
    "para de me incomodar",
    "chega de mensagens",
    "chega de mensagem",
    "me tire da lista",
    "me remove da lista",
    "me remova da lista",
    "me removam da lista",
    "quero sair da lista",
    "me descadastra",
    // English
    "unsubscribe",
    "unsubscribe me",
    "opt me out",
    "stop messaging me",
    "stop texting me",
    "stop sending me",
    "stop writing to me",
    "stop contacting me",
    "do not message me",
    "dont message me",
    "don t message me",
    "do not contact me",
    "don t contact me",
    "dont contact me",
    "remove me from your list",
    "take me off your list",
    "remove me from the list",
    "remove me from this list",
    "take me off the list",
    "take me off this list",
    "stop sending messages",
    "stop spamming me",
    "stop bothering me",
    "do not text me",
    "dont text me",
    "don t text me",
    "no more messages",
    "no more texts",
    "i want to opt out",
    "i don t want any more messages",
    "i dont want any more messages",
    "i do not want any more messages",
];

/// Courtesy around a one-word answer: "STOP please", "baja gracias", "por favor parar".
const COURTESY: &[&str] = &[
    "por favor",
    "porfa",
    "please",
    "pls",
    "plz",
    "gracias",
    "obrigado",
    "obrigada",
    "thanks",
    "thank you",
    "ya",
    "ok",
    "ahora",
    "agora",
    "now",
];

fn strip_courtesy(mut folded: &str) -> &str {
    loop {
        let before = folded;
        for c in COURTESY {
            if let Some(rest) = folded.strip_prefix(c).filter(|r| r.is_empty() || r.starts_with(' ')) {
                folded = rest.trim_start();
            }
            if let Some(rest) = folded.strip_suffix(c).filter(|r| r.is_empty() || r.ends_with(' ')) {
                folded = rest.trim_end();
            }
        }
        if folded == before {
            return folded;
        }
    }
}

/// Is this message an opt-out? The keyword or phrase that decided it, if so.
pub fn opt_out_match(text: &str) -> Option<&'static str> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let core = strip_courtesy(&folded);
    if let Some(k) = KEYWORDS.iter().copied().find(|k| *k == core) {
        return Some(k);
    }
    first_match(&folded, PHRASES)
}

/// Is this message an opt-out?
pub fn is_opt_out(text: &str) -> bool {
    opt_out_match(text).is_some()
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

/// Whole messages that mean "you may write to me again" (after an opt-out), in Spanish,
/// Portuguese and English — the word the opt-out confirmation names first.
const OPT_IN_KEYWORDS: &[&str] = &[
    // Spanish
    "alta",
    "dar de alta",
    "darme de alta",
    "volver a recibir",
    "quiero volver a recibir",
    "quiero recibir mensajes",
    "suscribirme",
    // Portuguese
    "voltar",
    "voltar a receber",
    "quero voltar a receber",
    "quero receber mensagens",
    "ativar",
    // English
    "start",
    "unstop",
    "subscribe",
    "resume",
    "opt in",
];

/// Is this message a customer opting back in (a whole-message keyword, courtesy allowed)?
pub fn is_opt_in(text: &str) -> bool {
    let folded = fold(text);
    let core = strip_courtesy(&folded);
    !core.is_empty() && OPT_IN_KEYWORDS.contains(&core)
}

#[cfg(test)]
mod tests {
    #[test]
    fn opting_back_in_takes_the_keyword_as_the_whole_message() {
        for yes in
            ["ALTA", "alta por favor", "Volver a recibir", "START", "Voltar", "quero receber mensagens!"]
        {
            assert!(super::is_opt_in(yes), "{yes}");
        }
        for no in ["", "alta calidad?", "start the order", "voltar amanhã", "Hola", "baja"] {
            assert!(!super::is_opt_in(no), "{no}");
        }
    }

    use super::*;

    #[test]
    fn opt_outs_in_three_languages_with_accents_case_spacing_and_emoji() {
        for text in [
            // Spanish
            "STOP",
            " stop. ",
            "Baja",
            "BAJA!!",
            "baja gracias",
            "Por favor, BAJA",
            "No me escriban más",
            "NO   ME ESCRIBAN MAS!!!",
            "Hola, no me escriban más por favor 🙏",
            "Quiero darme de baja de esto",
            "dejen de escribirme, gracias",
            "parar",
            "No más",
            "sáquenme de la lista",
            // Portuguese
            "Sair",
            "SAIR 🛑",
            "não quero mais 🙏",
            "Parem de me mandar mensagem!",
            "por favor não me mandem mais nada",
            "quero me descadastrar",
            // English
            "UNSUBSCRIBE",
            "stop please",
            "Please stop messaging me.",
            "don't contact me again",
            "Remove me from your list",
        ] {
            assert!(is_opt_out(text), "{text}");
        }
    }

    #[test]
    fn a_combining_accent_does_not_dodge_an_opt_out() {
        // NFD, as some keyboards and apps send it: "a" followed by U+0301, "n" by U+0303.
        assert!(is_opt_out("No quiero recibir ma\u{301}s mensajes"), "combining acute");
        assert!(is_opt_out("Na\u{303}o me mande mais"), "combining tilde");
        assert!(is_opt_out("SA\u{301}QUENME DE LA LISTA"), "upper case with a combining mark");
    }

    #[test]
    fn everyday_ways_of_saying_stop() {
        for text in [
            // Portuguese
            "Não quero mais mensagens",
            "não me mande mais",
            "parem de me mandar mensagem",
            "para de mandar mensagem pfv",
            "Não quero receber mensagens de vocês",
            "me tira da lista por favor",
            "me remove da lista",
            "chega de mensagens!!",
            "não me manda mais mensagem",
            // Spanish
            "dejen de escribirme",
            "no me escriban más",
            "No quiero más mensajes",
            "sáquenme de la lista",
            "dejen de mandar mensajes porfa",
            "no me contacten más",
            "basta de mensajes",
            // English
            "please stop messaging me",
            "unsubscribe me",
            "Remove me from the list",
            "stop sending messages",
            "do not text me again",
            "I don't want any more messages",
            "no more messages please",
        ] {
            assert!(is_opt_out(text), "{text}");
        }
    }

    #[test]
    fn innocent_look_alikes_do_not() {
        for text in [
            "no stop-motion",
            "bajá el precio",
            "Bajá el precio y compro",
            "¿Baja el precio si llevo dos?",
            "¿para cuándo llega?",
            "para mi hermana",
            "stop by the shop tomorrow",
            "non-stop shipping?",
            "the stopwatch is for my son",
            "",
            "🙂",
            "quiero saber si baja el precio",
            "no más de 3 días, ¿llega?",
            "cancelar el pedido anterior y hacer este",
            "saír mañana? no, salgo el lunes",
            "parar de pensar en esas zapatillas 😍 las quiero",
            "não quero mais esperar, manda o link",
            "I don't want to stop, just asking the size",
            "quero mais mensagens assim, adorei",
            "não quero mais nada, só o tênis",
            "mande mais fotos do modelo azul",
            "no quiero más talles, con el M está bien",
            "can you send more messages about the sale?",
            "no more stock of the blue one?",
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
