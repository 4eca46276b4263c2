//! Meta's BSUID payloads, as its *Business-scoped user IDs* page shows them (incoming message
//! from a username adopter with no number, a delivered status, an echo, a history thread).

use serde_json::json;

use super::*;

#[test]
fn a_username_customer_with_no_number_is_read_by_bsuid() {
    let value: MessagesValue = serde_json::from_value(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson", "username": "@realsheenanelson"},
                      "user_id": "US.13491208655302741918", "parent_user_id": "US.ENT.11815799212886844830"}],
        "messages": [{"from_user_id": "US.13491208655302741918",
                      "from_parent_user_id": "US.ENT.11815799212886844830",
                      "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                      "timestamp": "1749416383", "type": "text",
                      "text": {"body": "Does it come in another color?"}}]
    }))
    .unwrap();
    let m: Message = serde_json::from_value(value.messages[0].clone()).unwrap();
    assert_eq!(m.from, None);
    assert_eq!(m.from_user_id.as_deref(), Some("US.13491208655302741918"));
    assert_eq!(m.from_parent_user_id.as_deref(), Some("US.ENT.11815799212886844830"));
    let c = value.contact_for(m.from.as_deref(), m.from_user_id.as_deref()).unwrap();
    assert_eq!((c.name(), c.username()), (Some("Sheena Nelson"), Some("@realsheenanelson")));
    assert_eq!(c.wa_id, None);
    // An empty id matches no one (no entry is "the" contact of a sender without ids).
    assert!(value.contact_for(Some(""), Some("")).is_none());
}

#[test]
fn statuses_echoes_preferences_and_history_carry_the_bsuid() {
    let st: Status = serde_json::from_value(json!({"id": "wamid.1", "status": "delivered",
        "timestamp": "1750030073", "recipient_user_id": "US.13491208655302741918"}))
    .unwrap();
    assert_eq!((st.recipient_id, st.recipient_user_id.as_deref()), (None, Some("US.13491208655302741918")));
    let echo: Message = serde_json::from_value(json!({"from": "15550783881", "to_user_id": "AR.15",
        "id": "wamid.2", "timestamp": "1750030073", "type": "text", "text": {"body": "hola"}}))
    .unwrap();
    assert_eq!((echo.to.as_deref(), echo.to_user_id.as_deref()), (None, Some("AR.15")));
    let p: UserPreference =
        serde_json::from_value(json!({"user_id": "AR.15", "category": "marketing_messages",
        "value": "stop", "timestamp": 1750030073}))
        .unwrap();
    assert_eq!((p.wa_id, p.user_id.as_deref()), (None, Some("AR.15")));
    let chunk: HistoryChunk =
        serde_json::from_value(json!({"metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
        "threads": [{"context": {"user_id": "AR.15", "username": "@ana"}, "messages": []}]}))
        .unwrap();
    let ctx = chunk.threads[0].context.as_ref().unwrap();
    assert_eq!((chunk.threads[0].id.as_deref(), ctx.user_id.as_deref()), (None, Some("AR.15")));
    assert_eq!(ctx.username.as_deref(), Some("@ana"));
}
