//! Escalation rules, run on every inbound customer message before any automation answers:
//! a request for a person, a complaint, a payment problem, suspected fraud, a delivery problem,
//! insults, or one of the owner's own keywords hands the conversation to a person (tray badge,
//! native notification, automation paused for that customer until the owner hands back).
//!
//! Phrases are matched on folded text (case, accents, punctuation and emoji folded) on whole
//! words, in Spanish, Portuguese and English. They are deliberately specific: "no puedo pagar"
//! escalates, "¿puedo pagar con tarjeta?" is a question the assistant answers.

use serde::Serialize;

use super::phrases::{first_match, fold};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    AskedForPerson,
    Complaint,
    PaymentProblem,
    Fraud,
    DeliveryProblem,
    Insult,
    OwnerKeyword,
    /// The assistant did not know, or its answer failed the grounding check.
    AssistantUnsure,
    /// The assistant's provider timed out or failed: never silence, a person answers.
    AssistantFailed,
    /// No assistant is connected and the shop's facts don't answer the customer's question.
    UnansweredQuestion,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::AskedForPerson => "asked_for_person",
            Reason::Complaint => "complaint",
            Reason::PaymentProblem => "payment_problem",
            Reason::Fraud => "fraud",
            Reason::DeliveryProblem => "delivery_problem",
            Reason::Insult => "insult",
            Reason::OwnerKeyword => "owner_keyword",
            Reason::AssistantUnsure => "assistant_unsure",
            Reason::AssistantFailed => "assistant_failed",
            Reason::UnansweredQuestion => "unanswered_question",
        }
    }
}

/// Why a message escalates: the rule and the words that triggered it (for the owner and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub reason: Reason,
    pub matched: String,
}

const FRAUD: &[&str] = &[
    "estafa",
    "estafador",
    "estafadores",
    "son una estafa",
    "fraude",
    "me robaron",
    "es trucho",
    "golpista",
    "golpistas",
    "e golpe",
    "isso e golpe",
    "e um golpe",
    "scam",
    "scammer",
    "scammers",
    "fraud",
    "phishing",
    "clonaron mi tarjeta",
    "clonaram meu cartao",
    "no autorice",
    "nao autorizei",
    "didn t authorize",
    "did not authorize",
    "didnt authorize",
    "unauthorized charge",
    "chargeback",
    "contracargo",
    "como consiguieron mi numero",
    "de donde sacaron mi numero",
    "como conseguiram meu numero",
    "how did you get my number",
];

const PAYMENT: &[&str] = &[
    "no me deja pagar",
    "no puedo pagar",
    "no pude pagar",
    "no pasa el pago",
    "no se acredito",
    "no se acredita",
    "me cobraron dos veces",
    "me cobraron doble",
    "cobro doble",
    "doble cobro",
    "me cobraron de mas",
    "rechazaron mi tarjeta",
    "rechazo mi tarjeta",
    "rechaza mi tarjeta",
    "rechaza la tarjeta",
    "tarjeta rechazada",
    "pago rechazado",
    "error al pagar",
    "error en el pago",
    "error con el pago",
    "problema con el pago",
    "problema con mi pago",
    "devuelvan mi dinero",
    "devuelvanme la plata",
    "quiero mi dinero",
    "quiero un reembolso",
    "quiero el reembolso",
    "pido el reembolso",
    "nao consigo pagar",
    "nao consegui pagar",
    "cobrado duas vezes",
    "cobraram duas vezes",
    "cobranca duplicada",
    "pagamento recusado",
    "cartao recusado",
    "recusou meu cartao",
    "erro no pagamento",
    "problema no pagamento",
    "o pix nao caiu",
    "pix nao foi",
    "quero meu dinheiro",
    "quero o estorno",
    "quero estorno",
    "quero meu reembolso",
    "payment failed",
    "payment error",
    "card declined",
    "card was declined",
    "declined my card",
    "charged twice",
    "double charged",
    "charged me twice",
    "can t pay",
    "cant pay",
    "cannot pay",
    "couldn t pay",
    "couldnt pay",
    "i want a refund",
    "give me a refund",
    "want my money back",
];

const DELIVERY: &[&str] = &[
    "no llego",
    "nunca llego",
    "no me llego",
    "todavia no llega",
    "todavia no llego",
    "aun no llega",
    "aun no llego",
    "sigue sin llegar",
    "pedido atrasado",
    "envio atrasado",
    "llego roto",
    "llego rota",
    "vino roto",
    "vino rota",
    "llego danado",
    "producto danado",
    "me mandaron otro",
    "producto equivocado",
    "paquete perdido",
    "se perdio el paquete",
    "nao chegou",
    "nunca chegou",
    "ainda nao chegou",
    "veio quebrado",
    "chegou quebrado",
    "chegou errado",
    "produto errado",
    "entrega atrasada",
    "pedido atrasado",
    "never arrived",
    "hasn t arrived",
    "hasnt arrived",
    "didn t arrive",
    "didnt arrive",
    "not delivered",
    "arrived broken",
    "arrived damaged",
    "wrong item",
    "lost package",
    "package was lost",
    "late delivery",
];

const COMPLAINT: &[&str] = &[
    "reclamo",
    "un reclamo",
    "quiero reclamar",
    "voy a reclamar",
    "queja",
    "quejarme",
    "pesimo",
    "pesima",
    "pesimo servicio",
    "malisimo",
    "malisima",
    "mal servicio",
    "muy mala atencion",
    "mala atencion",
    "defensa del consumidor",
    "profeco",
    "denuncia",
    "denunciar",
    "los voy a denunciar",
    "que verguenza",
    "decepcionado",
    "decepcionada",
    "reclamacao",
    "reclame aqui",
    "procon",
    "pessimo",
    "pessima",
    "horrivel",
    "pessimo atendimento",
    "vergonha",
    "decepcionante",
    "complaint",
    "i want to complain",
    "terrible service",
    "awful service",
    "worst service",
    "worst store",
    "disappointed",
    "disgraceful",
];

const INSULT: &[&str] = &[
    "idiota",
    "idiotas",
    "estupido",
    "estupida",
    "estupidos",
    "imbecil",
    "imbeciles",
    "pelotudo",
    "pelotuda",
    "pelotudos",
    "hijo de puta",
    "hijos de puta",
    "hdp",
    "la puta madre",
    "puta madre",
    "mierda",
    "forro",
    "forros",
    "pendejo",
    "pendejos",
    "cabron",
    "cabrones",
    "chinga tu madre",
    "caralho",
    "porra",
    "merda",
    "filho da puta",
    "filhos da puta",
    "fdp",
    "otario",
    "otarios",
    "babaca",
    "idiot",
    "idiots",
    "stupid",
    "fuck",
    "fucking",
    "fuck you",
    "shit",
    "asshole",
    "bastard",
    "bastards",
];

const PERSON: &[&str] = &[
    "hablar con una persona",
    "hablar con alguien",
    "hablar con un humano",
    "hablar con un asesor",
    "hablar con una asesora",
    "hablar con el dueno",
    "hablar con la duena",
    "hablar con un vendedor",
    "hablar con una vendedora",
    "una persona real",
    "persona de verdad",
    "atencion humana",
    "quiero un humano",
    "sos un bot",
    "eres un bot",
    "es un bot",
    "me atiende alguien",
    "que me atienda alguien",
    "falar com uma pessoa",
    "falar com alguem",
    "falar com um humano",
    "falar com um atendente",
    "falar com o dono",
    "falar com a dona",
    "atendimento humano",
    "pessoa de verdade",
    "e um robo",
    "voce e um robo",
    "talk to a person",
    "talk to a human",
    "talk to someone",
    "speak to a person",
    "speak to someone",
    "speak with someone",
    "speak to a human",
    "real person",
    "a human please",
    "are you a bot",
    "customer service",
    "talk to an agent",
    "speak to an agent",
    "speak to a representative",
];

/// The first rule a message triggers, most serious first; `owner_keywords` are the owner's own
/// words and phrases (folded here, matched on whole words). `None` for an ordinary message.
pub fn classify(text: &str, owner_keywords: &[String]) -> Option<Escalation> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let rules: [(Reason, &[&str]); 6] = [
        (Reason::Fraud, FRAUD),
        (Reason::PaymentProblem, PAYMENT),
        (Reason::DeliveryProblem, DELIVERY),
        (Reason::Complaint, COMPLAINT),
        (Reason::Insult, INSULT),
        (Reason::AskedForPerson, PERSON),
    ];
    for (reason, phrases) in rules {
        if let Some(m) = first_match(&folded, phrases) {
            return Some(Escalation { reason, matched: m.to_string() });
        }
    }
    owner_keywords.iter().find_map(|k| {
        let k = fold(k);
        super::phrases::contains_phrase(&folded, &k)
            .then_some(Escalation { reason: Reason::OwnerKeyword, matched: k })
    })
}

/// The owner's keyword list as typed in Settings: comma, semicolon or newline separated.
pub fn parse_keywords(list: &str) -> Vec<String> {
    list.split([',', ';', '\n'])
        .map(|k| k.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|k| !fold(k).is_empty())
        .collect()
}

#[cfg(test)]
mod tests;
