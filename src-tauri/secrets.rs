//! Secrets (store tokens, the WhatsApp token, the app secret) and where they live: the OS keychain
//! in the app, environment variables for headless use, memory in tests. A secret is wrapped in
//! `Sensitive` from the moment it is read, so it can't reach a log, a panic message, SQLite or the
//! webview by accident: its `Debug` is redacted and it has no `Serialize`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// A value that must never be printed or serialized. Read it with `expose()` at the one place
/// that sends it (an HTTP header), nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

/// Secrets arrive from the UI (write-only fields) and are wrapped at once; there is still no
/// `Serialize`, so they can't go back out.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Sensitive)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

/// The secrets Recupero knows about. Names are fixed so a typo can't create a stray entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretName {
    StoreToken,
    StoreKey,
    StoreSecret,
    WhatsappToken,
    WhatsappAppSecret,
    AssistantApiKey,
}

impl SecretName {
    pub const ALL: [SecretName; 6] = [
        SecretName::StoreToken,
        SecretName::StoreKey,
        SecretName::StoreSecret,
        SecretName::WhatsappToken,
        SecretName::WhatsappAppSecret,
        SecretName::AssistantApiKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretName::StoreToken => "store_token",
            SecretName::StoreKey => "store_key",
            SecretName::StoreSecret => "store_secret",
            SecretName::WhatsappToken => "whatsapp_token",
            SecretName::WhatsappAppSecret => "whatsapp_app_secret",
            SecretName::AssistantApiKey => "assistant_api_key",
        }
    }

    /// The environment variable that provides this secret headless, e.g. `RECUPERO_WHATSAPP_TOKEN`.
    pub fn env_var(self) -> String {
        format!("RECUPERO_{}", self.as_str().to_ascii_uppercase())
    }

    pub fn parse(name: &str) -> Result<Self, SecretError> {
        Self::ALL.into_iter().find(|n| n.as_str() == name.trim()).ok_or_else(|| SecretError::UnknownName {
            name: name.to_string(),
            valid: Self::ALL.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
        })
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("unknown secret '{name}'; valid names: {valid}")]
    UnknownName { name: String, valid: String },
    #[error("a secret can't be empty")]
    Empty,
    #[error(
        "no OS keychain is available ({detail}). On Linux install and unlock a Secret Service \
         provider (GNOME Keyring or KWallet: `apt-get install gnome-keyring`), or run headless with \
         the secret in the environment instead, e.g. {env_hint}"
    )]
    NoKeychain { detail: String, env_hint: String },
    #[error("the keychain refused the operation on '{name}': {detail}")]
    Keychain { name: SecretName, detail: String },
    #[error("'{name}' comes from the environment variable {var}; the keychain is not used for it")]
    ReadOnlyFromEnv { name: SecretName, var: String },
}

/// Where secrets are kept. Implementations never log a secret's value.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError>;
    fn set(&self, name: SecretName, value: Sensitive<String>) -> Result<(), SecretError>;
    fn delete(&self, name: SecretName) -> Result<(), SecretError>;
    /// A secret that belongs to one thing, e.g. one connected store (`scope` = "store-3"), so two
    /// stores never share, overwrite or leak each other's credentials.
    fn get_scoped(&self, name: SecretName, scope: &str) -> Result<Option<Sensitive<String>>, SecretError>;
    fn set_scoped(&self, name: SecretName, scope: &str, value: Sensitive<String>) -> Result<(), SecretError>;
    /// A short human description ("OS keychain", "environment", "memory").
    fn describe(&self) -> &'static str;

    /// A secret the caller can do without, e.g. the assistant's key (a local provider needs
    /// none). A store that can't be read (no keychain on this build, a locked keychain) counts
    /// as "not set", with one warning per secret per process, so the caller goes on without it
    /// instead of stopping. Secrets the caller can't do without use `get`.
    fn get_optional(&self, name: SecretName) -> Option<Sensitive<String>> {
        match self.get(name) {
            Ok(value) => value,
            Err(e) => {
                if first_warning(name) {
                    tracing::warn!(secret = %name, error = %e, "secret unreadable; going on without it");
                }
                None
            }
        }
    }
}

/// True the first time it is asked about `name` in this process: an unreadable optional secret
/// is worth one warning, not one per conversation step.
fn first_warning(name: SecretName) -> bool {
    static WARNED: Mutex<Vec<SecretName>> = Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(PoisonError::into_inner);
    if warned.contains(&name) {
        false
    } else {
        warned.push(name);
        true
    }
}

fn non_empty(value: &Sensitive<String>) -> Result<(), SecretError> {
    if value.expose().trim().is_empty() {
        Err(SecretError::Empty)
    } else {
        Ok(())
    }
}

/// Kept in memory only: tests and the demo.
#[derive(Default)]
pub struct MemorySecretStore {
    values: Mutex<HashMap<SecretName, Sensitive<String>>>,
    scoped: Mutex<HashMap<(SecretName, String), Sensitive<String>>>,
}

impl SecretStore for MemorySecretStore {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(self.values.lock().unwrap_or_else(PoisonError::into_inner).get(&name).cloned())
    }
    fn set(&self, name: SecretName, value: Sensitive<String>) -> Result<(), SecretError> {
        non_empty(&value)?;
        self.values.lock().unwrap_or_else(PoisonError::into_inner).insert(name, value);
        Ok(())
    }
    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner).remove(&name);
        Ok(())
    }
    fn get_scoped(&self, name: SecretName, scope: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(self
            .scoped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(name, scope.to_string()))
            .cloned())
    }
    fn set_scoped(&self, name: SecretName, scope: &str, value: Sensitive<String>) -> Result<(), SecretError> {
        non_empty(&value)?;
        self.scoped.lock().unwrap_or_else(PoisonError::into_inner).insert((name, scope.to_string()), value);
        Ok(())
    }
    fn describe(&self) -> &'static str {
        "memory"
    }
}

/// The operating system's keychain through `keyring` (Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows; Cargo.toml turns on the native store per target). One entry per
/// name under the service `recupero`. On a build whose `keyring` has no native store it falls back
/// to an in-memory mock that forgets a secret as soon as its entry is dropped; this store refuses
/// such entries with `NoKeychain` rather than pretend to keep a secret.
pub struct KeyringSecretStore {
    service: String,
}

impl KeyringSecretStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self { service: service.into() }
    }

    fn entry(&self, name: SecretName) -> Result<keyring::Entry, SecretError> {
        self.native_entry(name, name.as_str())
    }

    /// Scoped entries are named `store_token@store-3`.
    fn scoped_entry(&self, name: SecretName, scope: &str) -> Result<keyring::Entry, SecretError> {
        self.native_entry(name, &format!("{}@{scope}", name.as_str()))
    }

    fn native_entry(&self, name: SecretName, user: &str) -> Result<keyring::Entry, SecretError> {
        let entry = keyring::Entry::new(&self.service, user).map_err(|e| map_keyring(name, e))?;
        if is_mock(&entry) {
            return Err(SecretError::NoKeychain {
                detail: "no OS keychain on this build: keyring would keep the secret in memory only".into(),
                env_hint: name.env_var(),
            });
        }
        Ok(entry)
    }

    /// Whether entries land in a real store (building an entry touches no store).
    fn has_native_store(&self) -> bool {
        keyring::Entry::new(&self.service, "probe").is_ok_and(|e| !is_mock(&e))
    }
}

/// keyring's mock is what `keyring::default` falls back to on a target without its native
/// feature (and what a test may install as the default builder).
fn is_mock(entry: &keyring::Entry) -> bool {
    entry.get_credential().downcast_ref::<keyring::mock::MockCredential>().is_some()
}

fn map_keyring(name: SecretName, err: keyring::Error) -> SecretError {
    match err {
        keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e) => {
            SecretError::NoKeychain { detail: e.to_string(), env_hint: name.env_var() }
        }
        other => SecretError::Keychain { name, detail: other.to_string() },
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(name, e)),
        }
    }
    fn set(&self, name: SecretName, value: Sensitive<String>) -> Result<(), SecretError> {
        non_empty(&value)?;
        self.entry(name)?.set_password(value.expose()).map_err(|e| map_keyring(name, e))
    }
    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(name, e)),
        }
    }
    fn get_scoped(&self, name: SecretName, scope: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.scoped_entry(name, scope)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(name, e)),
        }
    }
    fn set_scoped(&self, name: SecretName, scope: &str, value: Sensitive<String>) -> Result<(), SecretError> {
        non_empty(&value)?;
        self.scoped_entry(name, scope)?.set_password(value.expose()).map_err(|e| map_keyring(name, e))
    }
    fn describe(&self) -> &'static str {
        if self.has_native_store() {
            "OS keychain"
        } else {
            "no OS keychain on this build"
        }
    }
}

/// Headless: environment variables first (`RECUPERO_WHATSAPP_TOKEN`…), then the inner store.
/// Writes go to the inner store, unless the environment already provides that secret (a write
/// would be shadowed and silently ignored, so it is refused instead).
pub struct EnvFirstSecretStore<S> {
    inner: S,
    env: HashMap<String, String>,
}

impl<S: SecretStore> EnvFirstSecretStore<S> {
    /// `env` is the process environment, passed in so tests don't mutate the real one.
    pub fn new(inner: S, env: impl IntoIterator<Item = (String, String)>) -> Self {
        let env = env.into_iter().filter(|(k, _)| k.starts_with("RECUPERO_")).collect();
        Self { inner, env }
    }

    fn env_value(&self, name: SecretName) -> Option<Sensitive<String>> {
        self.env.get(&name.env_var()).filter(|v| !v.trim().is_empty()).map(|v| Sensitive::new(v.clone()))
    }
}

impl<S: SecretStore> SecretStore for EnvFirstSecretStore<S> {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.env_value(name) {
            Some(v) => Ok(Some(v)),
            None => self.inner.get(name),
        }
    }
    fn set(&self, name: SecretName, value: Sensitive<String>) -> Result<(), SecretError> {
        if self.env_value(name).is_some() {
            return Err(SecretError::ReadOnlyFromEnv { name, var: name.env_var() });
        }
        self.inner.set(name, value)
    }
    fn delete(&self, name: SecretName) -> Result<(), SecretError> {
        self.inner.delete(name)
    }
    /// Headless, `RECUPERO_<NAME>` stands for every scope (one store per headless install).
    fn get_scoped(&self, name: SecretName, scope: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.env_value(name) {
            Some(v) => Ok(Some(v)),
            None => self.inner.get_scoped(name, scope),
        }
    }
    fn set_scoped(&self, name: SecretName, scope: &str, value: Sensitive<String>) -> Result<(), SecretError> {
        if self.env_value(name).is_some() {
            return Err(SecretError::ReadOnlyFromEnv { name, var: name.env_var() });
        }
        self.inner.set_scoped(name, scope, value)
    }
    fn describe(&self) -> &'static str {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests;
