//! Answering from the shop's facts without any model: a customer's question about shipping,
//! payments, returns, sizes, stock, pickup, hours or contact is matched to the lines of the
//! owner's facts on the same topic, and those lines — the owner's own words — become a draft.

use crate::domain::phrases::{contains_phrase, fold};
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Shipping,
    DeliveryTime,
    Payment,
    Returns,
    Sizes,
    Stock,
    Pickup,
    Hours,
    Contact,
}

const TOPICS: &[(Topic, &[&str])] = &[
    (
        Topic::Shipping,
        &[
            "envio",
            "envios",
            "envian",
            "envias",
            "enviar",
            "mandan",
            "despacho",
            "despachan",
            "correo",
            "andreani",
            "oca",
            "flete",
            "costo de envio",
            "entrega",
            "entregas",
            "entregan",
            "entregar",
            "entregamos",
            "frete",
            "enviam",
            "entregam",
            "envia",
            "correios",
            "sedex",
            "shipping",
            "ship",
            "deliver",
            "delivery",
        ],
    ),
    (
        Topic::DeliveryTime,
        &[
            "llega",
            "llegan",
            "demora",
            "demoran",
            "tarda",
            "tardan",
            "cuando llega",
            "dias habiles",
            "chega",
            "chegam",
            "prazo",
            "quanto tempo",
            "dias uteis",
            "how long",
            "arrive",
            "arrives",
            "business days",
        ],
    ),
    (
        Topic::Payment,
        &[
            "pago",
            "pagos",
            "pagar",
            "pagas",
            "tarjeta",
            "tarjetas",
            "cuotas",
            "transferencia",
            "efectivo",
            "mercado pago",
            "mercadopago",
            "debito",
            "credito",
            "pix",
            "boleto",
            "cartao",
            "parcela",
            "parcelas",
            "parcelado",
            "parcelar",
            "pagamento",
            "payment",
            "pay",
            "card",
            "installments",
            "credit",
            "debit",
            "cash",
            "transfer",
        ],
    ),
    (
        Topic::Returns,
        &[
            "cambio",
            "cambios",
            "cambiar",
            "devolucion",
            "devoluciones",
            "devolver",
            "troca",
            "trocas",
            "trocar",
            "devolucao",
            "devolver",
            "return",
            "returns",
            "exchange",
            "exchanges",
        ],
    ),
    (
        Topic::Sizes,
        &[
            "talle",
            "talles",
            "talla",
            "tallas",
            "medida",
            "medidas",
            "tamano",
            "tamanho",
            "tamanhos",
            "guia de talles",
            "size",
            "sizes",
            "sizing",
            "fit",
        ],
    ),
    (
        Topic::Stock,
        &["stock", "disponible", "disponibles", "quedan", "estoque", "disponivel", "in stock", "available"],
    ),
    (
        Topic::Pickup,
        &[
            "retiro",
            "retirar",
            "retira",
            "pickup",
            "pick up",
            "retirada",
            "buscar na loja",
            "showroom",
            "local",
        ],
    ),
    (
        Topic::Hours,
        &[
            "horario",
            "horarios",
            "abren",
            "atienden",
            "abierto",
            "abiertos",
            "abrem",
            "funcionamento",
            "hours",
            "open",
        ],
    ),
    (
        Topic::Contact,
        &[
            "telefono",
            "email",
            "mail",
            "direccion",
            "instagram",
            "contato",
            "endereco",
            "contact",
            "address",
            "phone",
        ],
    ),
];

/// The topics a folded text talks about.
pub fn topics(text: &str) -> Vec<Topic> {
    let folded = fold(text);
    TOPICS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| contains_phrase(&folded, w)))
        .map(|(t, _)| *t)
        .collect()
}

/// The owner's fact lines that answer a customer's message, in the owner's order (at most 3).
pub fn matching_lines(facts: &str, customer_text: &str) -> Vec<String> {
    let asked = topics(customer_text);
    if asked.is_empty() {
        return Vec::new();
    }
    facts
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|line| topics(line).iter().any(|t| asked.contains(t)))
        .take(3)
        .map(str::to_string)
        .collect()
}

/// Words that open a question without a question mark (folded), in Spanish, Portuguese and
/// English — only unambiguous ones: "que", "como", "cuando", "tem" also open remarks ("Que
/// bueno, gracias", "Cuando cobre lo compro", "Tem sim"), so those need a question mark.
const QUESTION_OPENERS: &[&str] = &[
    "cuanto",
    "cuanta",
    "cuantos",
    "cuantas",
    "donde",
    "tienen",
    "tenes",
    "tienes",
    "hay stock",
    "puedo",
    "pueden",
    "podrian",
    "se puede",
    "hacen envios",
    "aceptan",
    "queria saber",
    "quisiera saber",
    "me dicen",
    "me podrias",
    "me podes",
    "quanto",
    "quanta",
    "onde",
    "voces tem",
    "voce tem",
    "posso",
    "podem",
    "aceitam",
    "gostaria de saber",
    "do you",
    "can i",
    "can you",
    "is there",
    "are there",
    "how much",
    "how long",
    "how do i",
    "where",
    "what is",
    "what are",
];

/// Whether a customer's message asks something: a question mark, or a question's first words.
pub fn is_question(customer_text: &str) -> bool {
    if customer_text.contains(['?', '¿']) {
        return true;
    }
    // "¡Qué lindo!", "Que legal!": an exclamation, not a question.
    if customer_text.contains(['!', '¡']) {
        return false;
    }
    let folded = crate::domain::phrases::fold(customer_text);
    QUESTION_OPENERS.iter().any(|opener| {
        folded.strip_prefix(opener).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// A draft from the shop's facts, or `None` when the facts don't cover what was asked.
pub fn draft(facts: &str, customer_text: &str, first_name: Option<&str>, lang: Lang) -> Option<String> {
    let lines = matching_lines(facts, customer_text);
    if lines.is_empty() {
        return None;
    }
    let intro = super::texts::facts_intro(lang, first_name);
    Some(format!("{intro}\n{}", lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str =
        "Envíos a todo el país por Andreani, 3 a 5 días hábiles. Costo $ 4.500, gratis desde $ 50.000.\n\
                         Pagos: tarjeta en 3 cuotas sin interés, transferencia con 10% off, Mercado Pago.\n\
                         \n\
                         Cambios: dentro de los 30 días con la etiqueta puesta.\n\
                         Talles: la guía de talles está en cada producto; las remeras calzan normal.\n\
                         Retiro sin cargo en Palermo, de lunes a viernes de 10 a 18.";

    #[test]
    fn questions_are_told_from_other_messages() {
        for q in [
            "¿Lo tienen en verde?",
            "lo tienen en verde?",
            "tienen talle XL",
            "Hay stock del negro",
            "Tienen envío a Rosario",
            "cuanto tarda el envio a cordoba",
            "Vocês têm em azul",
            "quando chega?",
            "Do you ship to Rosario",
            "how long does shipping take",
        ] {
            assert!(is_question(q), "{q}");
        }
        for not in [
            "Gracias!",
            "gracias",
            "¡Qué lindo!",
            "Obrigada",
            "ok",
            "Thanks a lot",
            "👍",
            "",
            "Listo, ya compré",
            "Que bueno, gracias",
            "Cuando cobre lo compro",
            "Como te dije, ya compré",
            "Tem sim",
            "Hay que esperar entonces",
            "Temprano paso",
        ] {
            assert!(!is_question(not), "{not}");
        }
    }

    #[test]
    fn a_question_gets_the_lines_on_its_topic() {
        assert_eq!(
            matching_lines(FACTS, "¿Cuánto sale el envío a Rosario?"),
            ["Envíos a todo el país por Andreani, 3 a 5 días hábiles. Costo $ 4.500, gratis desde $ 50.000."]
        );
        assert_eq!(
            matching_lines(FACTS, "¿Puedo pagar en cuotas?"),
            ["Pagos: tarjeta en 3 cuotas sin interés, transferencia con 10% off, Mercado Pago."]
        );
        assert_eq!(matching_lines(FACTS, "Si no me va el talle, ¿lo puedo cambiar?").len(), 2);
        assert_eq!(
            matching_lines(FACTS, "Posso trocar depois?"),
            ["Cambios: dentro de los 30 días con la etiqueta puesta."]
        );
    }

    #[test]
    fn no_topic_or_no_fact_gives_no_draft() {
        assert_eq!(draft(FACTS, "¡Gracias! 😍", Some("Ana"), Lang::Es), None);
        assert!(
            !matching_lines(FACTS, "Vocês entregam no interior?").is_empty(),
            "a Portuguese delivery question finds the shipping facts"
        );
        assert_eq!(draft("", "¿Hacen envíos?", Some("Ana"), Lang::Es), None);
        assert_eq!(draft("Somos una tienda familiar.", "¿Hacen envíos?", None, Lang::Es), None);
    }

    #[test]
    fn the_draft_is_the_owners_words_with_a_greeting() {
        let d = draft(FACTS, "hola! retiro en el local?", Some("Zoë 🌸"), Lang::Es).unwrap();
        assert!(d.contains("Zoë 🌸"), "{d}");
        assert!(d.ends_with("Retiro sin cargo en Palermo, de lunes a viernes de 10 a 18."), "{d}");
    }
}
