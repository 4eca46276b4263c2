//! The few fixed sentences automation writes to customers itself, in their language: the
//! opt-out confirmation, the hand-over to a person, and the greeting of a facts-based draft.

use crate::i18n::Lang;

/// One short confirmation after an opt-out (inside the customer's window).
pub fn opt_out_confirmation(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "Listo, no te enviaremos más mensajes. Si cambias de opinión, responde ALTA.",
        Lang::Pt => "Pronto, você não vai mais receber nossas mensagens. Se mudar de ideia, responda VOLTAR.",
        Lang::En => "Done, we won't message you again. If you change your mind, reply START.",
    }
}

/// The one confirmation a customer who opted back in gets.
pub fn opt_in_confirmation(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => {
            "¡Listo! Vas a volver a recibir nuestros mensajes. Para dejar de recibirlos, responde BAJA."
        }
        Lang::Pt => "Pronto! Você vai voltar a receber nossas mensagens. Para parar, responda PARAR.",
        Lang::En => "Done! You'll get our messages again. To stop them, reply STOP.",
    }
}

/// What the assistant tells the customer when it hands the conversation to a person.
pub fn handover(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "Te paso con una persona del equipo, que te responde por acá en breve.",
        Lang::Pt => "Vou passar sua mensagem para uma pessoa da equipe, que te responde por aqui em breve.",
        Lang::En => "I'm passing you to a person from our team, who will reply here shortly.",
    }
}

/// The first line of a draft built from the shop's facts.
pub fn facts_intro(lang: Lang, first_name: Option<&str>) -> String {
    let name = first_name.map(str::trim).filter(|n| !n.is_empty());
    match (lang, name) {
        (Lang::Es, Some(n)) => format!("¡Hola, {n}! Te cuento:"),
        (Lang::Es, None) => "¡Hola! Te cuento:".to_string(),
        (Lang::Pt, Some(n)) => format!("Oi, {n}! Olha só:"),
        (Lang::Pt, None) => "Oi! Olha só:".to_string(),
        (Lang::En, Some(n)) => format!("Hi {n}! Here's what you need to know:"),
        (Lang::En, None) => "Hi! Here's what you need to know:".to_string(),
    }
}

/// The customer's language: the one they just wrote in when their words say so clearly, else
/// the one the store recorded, else the shop's.
pub fn customer_lang(recorded: Option<&str>, text: &str, shop: Lang) -> Lang {
    let folded = crate::domain::phrases::fold(text);
    let score = |words: &[&str]| folded.split(' ').filter(|w| words.contains(w)).count();
    let pt = score(&[
        "voce", "voces", "nao", "obrigado", "obrigada", "oi", "quero", "frete", "pra", "tem", "meu", "minha",
        "posso", "sim", "valeu", "tudo", "bem", "mandem", "mande", "parem", "preco", "parcelas",
    ]);
    let es = score(&[
        "usted", "ustedes", "hola", "gracias", "quiero", "envio", "tienen", "tenes", "puedo", "mi", "cuanto",
        "llega", "buenas", "talle", "che", "escriban", "precio", "haces", "podes", "envios", "cuotas",
        "manden", "por", "favor", "mas",
    ]);
    let en = score(&[
        "the", "you", "hi", "hello", "thanks", "please", "shipping", "can", "my", "is", "do", "what", "how",
        "want",
    ]);
    if pt > es && pt > en {
        return Lang::Pt;
    } else if en > es && en > pt {
        return Lang::En;
    } else if es > pt && es > en {
        return Lang::Es;
    }
    if let Some(tag) = recorded.map(str::trim).filter(|t| !t.is_empty()) {
        let tag = tag.to_ascii_lowercase();
        if tag.starts_with("pt") {
            return Lang::Pt;
        } else if tag.starts_with("en") {
            return Lang::En;
        } else if tag.starts_with("es") {
            return Lang::Es;
        }
    }
    shop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customers_language_comes_from_the_store_then_their_words() {
        assert_eq!(customer_lang(Some("pt-BR"), "STOP", Lang::Es), Lang::Pt);
        assert_eq!(customer_lang(Some("pt-BR"), "No me escriban más por favor", Lang::Pt), Lang::Es);
        assert_eq!(customer_lang(Some("es"), "Parem de me mandar mensagem", Lang::Es), Lang::Pt);
        assert_eq!(customer_lang(None, "Oi, vocês têm frete grátis?", Lang::Es), Lang::Pt);
        assert_eq!(customer_lang(None, "Hi, do you ship to Madrid?", Lang::Es), Lang::En);
        assert_eq!(customer_lang(None, "Hola, ¿cuánto sale el envío?", Lang::En), Lang::Es);
        assert_eq!(customer_lang(None, "👍", Lang::Pt), Lang::Pt);
    }
}
