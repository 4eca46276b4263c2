//! The webview's permissions are the ones its UI uses, no more: every `@tauri-apps` import in
//! `ui/src` is mapped to the permissions it needs, and tauri.conf.json grants exactly those.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What each `@tauri-apps` import the UI may use needs. The app's own commands need no
/// permission: tauri lets the app's own (local) pages invoke them, and no remote page ever.
/// A new import fails the test until it is listed here and its permission granted.
const NEEDS: [(&str, &str, &[&str]); 4] = [
    ("@tauri-apps/api/core", "invoke", &[]),
    ("@tauri-apps/api/event", "listen", &["core:event:allow-listen", "core:event:allow-unlisten"]),
    ("@tauri-apps/api/event", "once", &["core:event:allow-listen", "core:event:allow-unlisten"]),
    ("@tauri-apps/api/event", "UnlistenFn", &[]),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            sources(&path, out);
        } else if (name.ends_with(".ts") || name.ends_with(".svelte")) && !name.contains(".test.") {
            out.push(path);
        }
    }
}

/// `(module, name)` for every name the UI's product code imports from `@tauri-apps/*`.
fn tauri_imports() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    sources(&root().join("ui/src"), &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Statements end at `;` (the UI's formatter writes them), so a multi-line import is one.
        for statement in text.split(';') {
            let Some(from) = statement.find("'@tauri-apps/").or_else(|| statement.find("\"@tauri-apps/"))
            else {
                continue;
            };
            let module = statement[from + 1..].trim_end().trim_end_matches(['\'', '"']).to_string();
            // The import itself, without the comments before it.
            let head = &statement[..from];
            let head = &head[head.rfind("import ").unwrap_or(0)..];
            let names = head
                .find('{')
                .and_then(|a| head.find('}').map(|b| &head[a + 1..b]))
                .unwrap_or_else(|| panic!("{}: import names from {module} by name", file.display()));
            for name in names.split(',').map(|n| n.trim().trim_start_matches("type ").trim()) {
                let name = name.split(" as ").next().unwrap().trim();
                if !name.is_empty() {
                    found.insert((module.clone(), name.to_string()));
                }
            }
        }
    }
    found
}

fn granted() -> (BTreeSet<String>, Vec<Value>) {
    let conf: Value =
        serde_json::from_slice(&std::fs::read(root().join("tauri.conf.json")).unwrap()).unwrap();
    let capabilities = conf["app"]["security"]["capabilities"].as_array().cloned().unwrap_or_default();
    let mut permissions = BTreeSet::new();
    for capability in &capabilities {
        for p in capability["permissions"].as_array().into_iter().flatten() {
            let id = p.as_str().or_else(|| p["identifier"].as_str()).expect("a permission identifier");
            permissions.insert(id.to_string());
        }
    }
    (permissions, capabilities)
}

#[test]
fn the_webview_is_granted_only_the_permissions_its_ui_uses() {
    let mut needed = BTreeSet::new();
    for (module, name) in tauri_imports() {
        let Some((_, _, perms)) = NEEDS.iter().find(|(m, n, _)| *m == module && *n == name) else {
            panic!("the UI imports {name} from {module}: list what it needs in NEEDS and grant only that");
        };
        needed.extend(perms.iter().map(|p| p.to_string()));
    }
    let (granted, capabilities) = granted();
    let extra: Vec<_> = granted.difference(&needed).collect();
    assert!(extra.is_empty(), "tauri.conf.json grants what the UI never uses: {extra:?}");
    let missing: Vec<_> = needed.difference(&granted).collect();
    assert!(missing.is_empty(), "the UI needs permissions tauri.conf.json does not grant: {missing:?}");
    for capability in &capabilities {
        assert_eq!(capability["windows"], serde_json::json!(["main"]), "for the main window only");
        assert!(capability.get("remote").is_none(), "no remote page gets any permission");
        assert!(capability.get("webviews").is_none(), "no other webview gets any permission");
    }
    // tauri-build also reads capability files from here; none may add to the grant above.
    assert!(
        !root().join("capabilities").exists(),
        "capabilities/ would grant more than tauri.conf.json says: keep them in one place and in this test"
    );
}

#[test]
fn the_ui_still_imports_what_the_grant_is_for() {
    // If the UI stops listening to events, the grant above shrinks with it (the first test
    // then fails on the extra permission): this one only checks the import scan sees them.
    let imports = tauri_imports();
    assert!(imports.contains(&("@tauri-apps/api/core".into(), "invoke".into())), "{imports:?}");
    assert!(imports.contains(&("@tauri-apps/api/event".into(), "listen".into())), "{imports:?}");
}
