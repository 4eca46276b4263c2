//! Customers with WhatsApp usernames (business-scoped user ids, BSUID; reference §1.6, §10):
//! since 2026 a customer who adopted a username and had no recent exchange with the shop writes
//! with no number — Meta's webhook carries `from_user_id` and `contacts[].user_id` only. Such a
//! customer is stored, threaded, answered at their BSUID (Meta's `recipient`), opted out alone,
//! taken over from the phone; two of them stay two contacts; one who later shows their number
//! joins the contact of their cart; an id that names no one is refused, never made a contact.
//! Real SQLite, signed webhooks over loopback, replies through the sandbox WhatsApp.

use serde_json::{json, Value};

use crate::support::hooked::{envelope, hooked, metadata, unix, Hooked};

const ANA: &str = "AR.1502576394655843";
const BRUNO: &str = "AR.8802576394655811";

/// Meta's incoming text from a username adopter whose number Meta may not share (its
/// *Business-scoped user IDs* page, "Incoming messages webhooks"): no `from`, no `wa_id`.
fn from_username(user_id: &str, username: &str, name: &str, wamid: &str, body: &str, h: &Hooked) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"profile": {"name": name, "username": username}, "user_id": user_id}],
            "messages": [{"from_user_id": user_id, "id": wamid, "timestamp": unix(h.shop.now()),
                "type": "text", "text": {"body": body}}]}),
    )
}

/// The defect this file is about, with Meta's own envelopes: a message with only a BSUID was
/// dropped (nothing stored), and any sender id without digits became one shared contact "+".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_without_a_number_is_stored_and_ids_without_digits_never_collapse() {
    let h = hooked().await;
    for (user_id, username, name, wamid) in
        [(ANA, "@ana.luna", "Ana", "wamid.U1"), (BRUNO, "@bruno_m", "Bruno", "wamid.U2")]
    {
        let body = from_username(user_id, username, name, wamid, "¿Tienen talle M?", &h);
        assert_eq!(h.post_signed(&body).await, 200);
    }
    // Ids that name no one: empty, letters, nothing at all.
    for (i, from) in [json!(""), json!("abc"), json!("@someone"), Value::Null].into_iter().enumerate() {
        let mut m = json!({"id": format!("wamid.G{i}"), "timestamp": unix(h.shop.now()), "type": "text",
            "text": {"body": format!("garbage {i}")}});
        if !from.is_null() {
            m["from"] = from.clone();
        }
        let body = envelope(
            "messages",
            json!({"messaging_product": "whatsapp", "metadata": metadata(),
                "contacts": [{"profile": {"name": "X"}, "wa_id": from}], "messages": [m]}),
        );
        assert_eq!(h.post_signed(&body).await, 200);
    }
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 2, "one thread per username customer");
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE direction = 'in'"), 2);
    assert_eq!(h.count("SELECT count(*) FROM contacts"), 2);
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE phone_e164 = '+'"), 0, "no shared contact '+'");
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE body LIKE 'garbage%'"), 0);
    let refused = h.count(
        "SELECT count(*) FROM webhook_events WHERE outcome LIKE '%without a usable sender%' AND processed_at IS NOT NULL",
    );
    assert_eq!(refused, 4, "each refusal is noted on its delivery");
}
