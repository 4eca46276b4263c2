//! The secret stores' unit tests: redaction, names, memory and environment stores, and that the
//! keychain store never pretends (no mock fallback, optional secrets read as absent).

use super::*;

#[test]
fn sensitive_debug_never_shows_the_value() {
    let s = Sensitive::new("shpat_very_secret".to_string());
    let printed = format!("{s:?} {:?}", Some(&s));
    assert!(!printed.contains("very_secret"), "Debug leaked the secret: {printed}");
    assert!(printed.contains("redacted"));
}

#[test]
fn unknown_secret_name_lists_the_valid_ones() {
    let err = SecretName::parse("whatsap_token").unwrap_err().to_string();
    assert!(err.contains("whatsapp_token") && err.contains("store_token"), "{err}");
    assert_eq!(SecretName::parse(" whatsapp_token ").unwrap(), SecretName::WhatsappToken);
}

#[test]
fn memory_store_round_trips_and_refuses_empty() {
    let store = MemorySecretStore::default();
    assert!(store.get(SecretName::StoreToken).unwrap().is_none());
    store.set(SecretName::StoreToken, Sensitive::new("abc".into())).unwrap();
    assert_eq!(store.get(SecretName::StoreToken).unwrap().unwrap().expose(), "abc");
    assert!(matches!(
        store.set(SecretName::StoreToken, Sensitive::new("  ".into())),
        Err(SecretError::Empty)
    ));
    store.delete(SecretName::StoreToken).unwrap();
    assert!(store.get(SecretName::StoreToken).unwrap().is_none());
}

#[test]
fn environment_overrides_the_inner_store_and_refuses_shadowed_writes() {
    let env = vec![
        ("RECUPERO_WHATSAPP_TOKEN".to_string(), "from-env".to_string()),
        ("HOME".to_string(), "/root".to_string()),
    ];
    let store = EnvFirstSecretStore::new(MemorySecretStore::default(), env);
    assert_eq!(store.get(SecretName::WhatsappToken).unwrap().unwrap().expose(), "from-env");
    assert!(matches!(
        store.set(SecretName::WhatsappToken, Sensitive::new("x".into())),
        Err(SecretError::ReadOnlyFromEnv { .. })
    ));
    store.set(SecretName::StoreToken, Sensitive::new("kept".into())).unwrap();
    assert_eq!(store.get(SecretName::StoreToken).unwrap().unwrap().expose(), "kept");
}

/// What a macOS or Windows build without keyring's native features did: keyring fell back to
/// its in-memory mock, where every entry is its own little store. A secret written through
/// one store object must then read back through a fresh one, or the store must say there is
/// no keychain; "saved" and gone on the next read is the defect.
#[test]
fn a_build_without_a_native_keychain_says_so_instead_of_forgetting() {
    // Process-wide, so this is the only unit test that makes keyring entries.
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
    let written = KeyringSecretStore::new("recupero-mock-probe")
        .set(SecretName::StoreToken, Sensitive::new("kept-or-refused".into()));
    let read = KeyringSecretStore::new("recupero-mock-probe").get(SecretName::StoreToken);
    match (&written, &read) {
        (Ok(()), Ok(Some(v))) => assert_eq!(v.expose(), "kept-or-refused"),
        (Err(SecretError::NoKeychain { .. }), Err(SecretError::NoKeychain { .. })) => {}
        _ => panic!("the store pretended to keep the secret: wrote {written:?}, read back {read:?}"),
    }
}

/// Fails on any target whose `keyring` build would hand secrets to its in-memory mock (the
/// macOS and Windows builds did, with only `sync-secret-service` turned on).
#[test]
fn this_target_builds_keyring_with_a_native_store() {
    let builder = keyring::default::default_credential_builder();
    assert!(
        builder.as_any().downcast_ref::<keyring::mock::MockCredentialBuilder>().is_none(),
        "keyring falls back to its mock on this target: turn on its native feature in Cargo.toml"
    );
    assert!(matches!(builder.persistence(), keyring::credential::CredentialPersistence::UntilDelete));
}

/// A store that can't be read at all, like a locked keychain.
struct Unreadable;
impl SecretStore for Unreadable {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError> {
        Err(SecretError::NoKeychain { detail: "locked".into(), env_hint: name.env_var() })
    }
    fn set(&self, name: SecretName, _: Sensitive<String>) -> Result<(), SecretError> {
        self.get(name).map(|_| ())
    }
    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        self.get(name).map(|_| ())
    }
    fn get_scoped(&self, name: SecretName, _: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        self.get(name)
    }
    fn set_scoped(&self, name: SecretName, _: &str, _: Sensitive<String>) -> Result<(), SecretError> {
        self.get(name).map(|_| ())
    }
    fn describe(&self) -> &'static str {
        "unreadable"
    }
}

#[test]
fn an_unreadable_optional_secret_is_absent_with_one_warning() {
    let store: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(Unreadable);
    assert!(store.get(SecretName::AssistantApiKey).is_err(), "a required read still fails");
    assert!(store.get_optional(SecretName::AssistantApiKey).is_none());
    assert!(store.get_optional(SecretName::AssistantApiKey).is_none());
    // The two reads above took this secret's one warning.
    assert!(!first_warning(SecretName::AssistantApiKey), "warned once, not per read");
    let env = vec![("RECUPERO_ASSISTANT_API_KEY".to_string(), "sk-env".to_string())];
    let env_first = EnvFirstSecretStore::new(Unreadable, env);
    assert_eq!(env_first.get_optional(SecretName::AssistantApiKey).unwrap().expose(), "sk-env");
}

#[test]
fn missing_keychain_message_says_how_to_fix_it() {
    let err =
        map_keyring(SecretName::WhatsappToken, keyring::Error::NoStorageAccess("no secret service".into()))
            .to_string();
    assert!(err.contains("gnome-keyring"), "{err}");
    assert!(err.contains("RECUPERO_WHATSAPP_TOKEN"), "{err}");
}
