//! A start-up that failed, told to the owner and not only to stderr: the app, the tray-only
//! process and autostart show a native notification and a window saying what happened, where
//! the file is and what to do. This part sorts the error into the few cases the owner can act
//! on and words the notification; the desktop shell shows them (`desktop::startup_failure`,
//! `native::tray_only`). No database is read here: it may be the thing that is broken, so the
//! language is the operating system's (Spanish when it names none of ours).

use serde::Serialize;

use crate::engine::{Engine, EngineError};
use crate::i18n::{t, Lang};
use crate::notice::Notice;
use crate::paths::AppPaths;
use crate::secrets::{SecretError, SecretName};
use crate::storage::StorageError;

/// What kind of failure, as far as the owner's next step goes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum FailureKind {
    /// The database file is damaged or not a database: move it aside or restore a backup.
    Corrupt,
    /// The database was written by a newer Recupero: update Recupero.
    NewerVersion,
    /// The OS keychain is locked or missing while WhatsApp needs its secrets: unlock it.
    Keychain,
    /// Anything else (a folder that can't be created, a full disk…): the detail says what.
    Other,
}

/// What the failure window shows (the `startup_failure` command's answer).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StartupFailure {
    pub kind: FailureKind,
    /// The file concerned (the database), when there is one.
    pub path: Option<String>,
    /// The data folder (database, logs and backups).
    pub data_dir: String,
    /// Where the backups are kept: `<data dir>/backups`.
    pub backups_dir: String,
    /// The error in its own words (English, for whoever helps the owner).
    pub detail: String,
    /// The language to say it in (`es`, `pt`, `en`): the operating system's.
    pub lang: String,
}

/// The language of start-up failures: the OS locale, else Spanish (the settings that name the
/// owner's choice live in the database, which may be what failed).
pub fn startup_lang() -> Lang {
    Lang::resolve("auto", Lang::os_locale(|k| std::env::var(k).ok()).as_deref())
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "es",
        Lang::Pt => "pt",
        Lang::En => "en",
    }
}

impl StartupFailure {
    fn new(kind: FailureKind, path: Option<String>, paths: &AppPaths, detail: String, lang: Lang) -> Self {
        StartupFailure {
            kind,
            path,
            data_dir: paths.data_dir.display().to_string(),
            backups_dir: paths.data_dir.join("backups").display().to_string(),
            detail,
            lang: lang_code(lang).into(),
        }
    }

    /// Sorts an error from building the engine (`launch::build_engine`) into what the owner
    /// can do about it.
    pub fn classify(err: &anyhow::Error, paths: &AppPaths, lang: Lang) -> StartupFailure {
        let detail = format!("{err:#}");
        for cause in err.chain() {
            let storage = match cause.downcast_ref::<EngineError>() {
                Some(EngineError::Storage(s)) => Some(s),
                Some(EngineError::Secret(SecretError::NoKeychain { .. })) => {
                    return Self::new(FailureKind::Keychain, None, paths, detail, lang)
                }
                _ => cause.downcast_ref::<StorageError>(),
            };
            match storage {
                Some(StorageError::Corrupt { path, .. }) => {
                    let path = Some(path.display().to_string());
                    return Self::new(FailureKind::Corrupt, path, paths, detail, lang);
                }
                Some(StorageError::NewerVersion { path, .. }) => {
                    let path = Some(path.display().to_string());
                    return Self::new(FailureKind::NewerVersion, path, paths, detail, lang);
                }
                _ => {}
            }
        }
        Self::new(FailureKind::Other, None, paths, detail, lang)
    }

    /// The native notification: what happened, and that the window says what to do.
    pub fn notice(&self) -> Notice {
        let lang = Lang::resolve(&self.lang, None);
        let (title, body) = match self.kind {
            FailureKind::Corrupt => ("native.startup.corruptTitle", "native.startup.corruptBody"),
            FailureKind::NewerVersion => {
                ("native.startup.newerVersionTitle", "native.startup.newerVersionBody")
            }
            FailureKind::Keychain => ("native.startup.keychainTitle", "native.startup.keychainBody"),
            FailureKind::Other => ("native.startup.otherTitle", "native.startup.otherBody"),
        };
        Notice { title: t(lang, title, &[]), body: t(lang, body, &[]), route: None }
    }
}

/// A locked or missing keychain does not stop the engine from opening: secrets are read when
/// needed. It stops real work only once WhatsApp is set up: the webhook receiver reads the app
/// secret when it starts (and stays down for the whole run if it can't), and every send needs
/// the token. Then it is a start-up failure; before that (a fresh install) it is not.
pub fn keychain_problem(engine: &Engine, lang: Lang) -> Option<StartupFailure> {
    let configured = engine.settings().is_ok_and(|s| !s.whatsapp_phone_number_id.trim().is_empty());
    if !configured {
        return None;
    }
    for name in [SecretName::WhatsappAppSecret, SecretName::WhatsappToken] {
        if let Err(e @ EngineError::Secret(SecretError::NoKeychain { .. })) = engine.secret(name) {
            let err = anyhow::Error::new(e);
            return Some(StartupFailure::classify(&err, engine.paths(), lang));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::secrets::{SecretStore, Sensitive};

    fn build(dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> anyhow::Result<Engine> {
        let opts = crate::engine::EngineOptions {
            paths: AppPaths::resolve(Some(dir))?,
            secrets,
            clock: Arc::new(crate::clock::TestClock::at("2026-11-23T12:00:00Z".parse().unwrap())),
            demo: false,
        };
        Ok(Engine::build(opts)?)
    }

    fn memory() -> Arc<dyn SecretStore> {
        Arc::new(crate::secrets::MemorySecretStore::default())
    }

    #[test]
    fn a_damaged_database_is_corrupt_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(crate::paths::DB_FILE);
        std::fs::write(&db, b"a shopping list, not a database").unwrap();
        let err = build(dir.path(), memory()).err().expect("a damaged file must stop the start");
        let paths = AppPaths::resolve(Some(dir.path())).unwrap();
        let failure = StartupFailure::classify(&err, &paths, Lang::Pt);
        assert_eq!(failure.kind, FailureKind::Corrupt, "{failure:?}");
        assert_eq!(failure.path.as_deref(), Some(db.display().to_string().as_str()));
        assert_eq!(failure.backups_dir, dir.path().join("backups").display().to_string());
        assert!(failure.detail.contains("not a readable Recupero database"), "{}", failure.detail);
        assert_eq!(failure.lang, "pt");
    }

    #[test]
    fn a_database_from_a_newer_recupero_is_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        drop(build(dir.path(), memory()).unwrap());
        let db = dir.path().join(crate::paths::DB_FILE);
        rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", 999).unwrap();
        let err = build(dir.path(), memory()).err().expect("a newer schema must stop the start");
        let paths = AppPaths::resolve(Some(dir.path())).unwrap();
        let failure = StartupFailure::classify(&err, &paths, Lang::En);
        assert_eq!(failure.kind, FailureKind::NewerVersion, "{failure:?}");
        assert_eq!(failure.path.as_deref(), Some(db.display().to_string().as_str()));
    }

    #[test]
    fn anything_else_is_other_with_its_words() {
        let paths = AppPaths::resolve(Some(std::path::Path::new("/nowhere"))).unwrap();
        let err = anyhow::anyhow!("disk full").context("while creating the data directory /nowhere");
        let failure = StartupFailure::classify(&err, &paths, Lang::Es);
        assert_eq!(failure.kind, FailureKind::Other);
        assert_eq!(failure.path, None);
        assert!(failure.detail.contains("disk full"), "{}", failure.detail);
    }

    /// A keychain that can't be read at all, like a locked one.
    struct Locked;
    impl SecretStore for Locked {
        fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretError> {
            Err(SecretError::NoKeychain {
                detail: "the collection is locked".into(),
                env_hint: name.env_var(),
            })
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
            "locked keychain"
        }
    }

    #[test]
    fn a_locked_keychain_is_a_failure_only_once_whatsapp_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let engine = build(dir.path(), Arc::new(Locked)).expect("the engine opens without the keychain");
        assert_eq!(keychain_problem(&engine, Lang::Es), None, "nothing needs a secret yet");
        engine.setting_set("whatsapp_phone_number_id", "1234567890").unwrap();
        let failure = keychain_problem(&engine, Lang::Es).expect("WhatsApp can't work without its secrets");
        assert_eq!(failure.kind, FailureKind::Keychain);
        assert!(failure.detail.contains("locked"), "{}", failure.detail);
        drop(engine);
        let readable = build(dir.path(), memory()).unwrap();
        assert_eq!(keychain_problem(&readable, Lang::Es), None, "a readable keychain is no problem");
    }

    #[test]
    fn the_notification_is_worded_in_each_language() {
        let paths = AppPaths::resolve(Some(std::path::Path::new("/shop"))).unwrap();
        for kind in
            [FailureKind::Corrupt, FailureKind::NewerVersion, FailureKind::Keychain, FailureKind::Other]
        {
            let mut seen = Vec::new();
            for lang in [Lang::Es, Lang::Pt, Lang::En] {
                let mut failure = StartupFailure::classify(&anyhow::anyhow!("x"), &paths, lang);
                failure.kind = kind;
                let n = failure.notice();
                for text in [&n.title, &n.body] {
                    assert!(
                        !text.is_empty() && !text.contains("native.") && !text.contains('{'),
                        "{kind:?} {lang:?}: {text}"
                    );
                }
                assert_eq!(n.route, None);
                seen.push((n.title, n.body));
            }
            assert_ne!(seen[0], seen[1], "{kind:?}: Portuguese differs from Spanish");
            assert_ne!(seen[0], seen[2], "{kind:?}: English differs from Spanish");
        }
        let es = StartupFailure::classify(&anyhow::anyhow!("x"), &paths, Lang::Es);
        assert_eq!(es.lang, "es");
    }
}
