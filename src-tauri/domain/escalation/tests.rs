//! The escalation rules' unit tests: which messages go to a person, and which never do.

use super::*;

fn reason(text: &str) -> Option<Reason> {
    classify(text, &[]).map(|e| e.reason)
}

#[test]
fn each_rule_fires_in_spanish_portuguese_and_english() {
    let table: &[(&str, Reason)] = &[
        // A person
        ("Quiero hablar con una persona, por favor", Reason::AskedForPerson),
        ("¿Sos un bot? 🤖", Reason::AskedForPerson),
        ("Posso falar com um atendente?", Reason::AskedForPerson),
        ("Can I talk to a human?", Reason::AskedForPerson),
        // Complaint
        ("Pésimo servicio, la verdad", Reason::Complaint),
        ("Voy a hacer un RECLAMO en Defensa del Consumidor", Reason::Complaint),
        ("Vou abrir reclamação no Reclame Aqui", Reason::Complaint),
        ("I want to file a complaint", Reason::Complaint),
        // Payment
        ("No me deja pagar con la tarjeta", Reason::PaymentProblem),
        ("me cobraron dos veces!!!", Reason::PaymentProblem),
        ("Não consigo pagar no cartão", Reason::PaymentProblem),
        ("o pix não caiu", Reason::PaymentProblem),
        ("My card was declined twice", Reason::PaymentProblem),
        // Fraud
        ("Esto es una estafa", Reason::Fraud),
        ("¿De dónde sacaron mi número?", Reason::Fraud),
        ("Isso é golpe?", Reason::Fraud),
        ("This looks like a scam", Reason::Fraud),
        // Delivery
        ("Mi pedido anterior nunca llegó", Reason::DeliveryProblem),
        ("Llegó roto el envío", Reason::DeliveryProblem),
        ("Meu pedido ainda não chegou", Reason::DeliveryProblem),
        ("My last order never arrived", Reason::DeliveryProblem),
        // Insults
        ("son unos idiotas", Reason::Insult),
        ("que merda", Reason::Insult),
        ("f*** you, shit store", Reason::Insult),
    ];
    for (text, want) in table {
        assert_eq!(reason(text), Some(*want), "{text}");
    }
}

#[test]
fn innocent_questions_and_look_alikes_do_not_escalate() {
    for text in [
        "¿Puedo pagar con tarjeta?",
        "¿Puedo pagar en cuotas?",
        "¿Para cuándo llega si compro hoy?",
        "¿Llega antes del viernes?",
        "¿Hacen envíos a Córdoba?",
        "Me encantó, mil gracias 😍",
        "El paquete de 3 pares, ¿cuánto sale?",
        "Posso pagar com pix?",
        "Quando chega em São Paulo?",
        "Do you ship to Madrid?",
        "Can I pay in installments?",
        "Hola! ¿Tienen talle 38?",
        "stopwatch",
        "bajá el precio y compro",
        "¿es de buena calidad el robot de cocina?",
        "idiomas: ¿hablan inglés?",
        "",
        "👍",
    ] {
        assert_eq!(classify(text, &[]), None, "{text}");
    }
}

#[test]
fn the_most_serious_rule_wins() {
    // A complaint about fraud is fraud; an insult with a payment problem is a payment problem.
    assert_eq!(reason("Pésimo, esto es una estafa"), Some(Reason::Fraud));
    assert_eq!(reason("idiotas, no puedo pagar"), Some(Reason::PaymentProblem));
}

#[test]
fn owner_keywords_are_folded_and_whole_words() {
    let kw = parse_keywords("mayorista, Factura A;\n  por mayor ,, ");
    assert_eq!(kw, vec!["mayorista", "Factura A", "por mayor"]);
    let e = classify("¿Hacen FACTURA A?", &kw).unwrap();
    assert_eq!((e.reason, e.matched.as_str()), (Reason::OwnerKeyword, "factura a"));
    assert!(classify("Venden al por mayor?", &kw).is_some());
    assert_eq!(classify("mayoristas no, soy particular", &kw), None);
    assert_eq!(classify("hola", &parse_keywords(" , ;")), None);
}

#[test]
fn codes_are_stable() {
    assert_eq!(Reason::AskedForPerson.code(), "asked_for_person");
    assert_eq!(serde_json::to_value(Reason::AssistantFailed).unwrap(), "assistant_failed");
}
