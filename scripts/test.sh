#!/usr/bin/env bash
# One command to run every test on a fresh Debian/Ubuntu machine: installs what is missing,
# then the UI's type check and tests, rustfmt, the layout check, the packaging check, clippy (-D warnings), the same
# clippy for the Windows target (cross-checked, not run), the headless engine tests
# without any tauri crate, and the full suite with the real window under Xvfb (WebDriver) and
# a real Secret Service keyring. Fails if anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never NO_AT_BRIDGE=1
[[ "${CI:-}" == "true" ]] && export CARGO_INCREMENTAL=0

step() { echo; echo "==> $* ($((SECONDS / 60)) min $((SECONDS % 60)) s in)"; }

step "UI: type check and tests"
(cd ui && npm run check && npm test)

step "rustfmt"
cargo fmt --all -- --check

step "layout: no import circle, no arrow up lib.rs's map, no long file, SQL only in storage"
python3 scripts/check_layout.py

step "packaging: one version everywhere, the AppStream metadata and the desktop entry valid"
python3 scripts/check_packaging.py

step "the Windows setup's NSIS script compiles (with stand-in files)"
bash scripts/check-nsis-script.sh

step "clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets --features mock-runtime -- -D warnings

step "the Windows code paths compile (x86_64-pc-windows-gnu, desktop features, warnings are errors)"
# Type-checks every cfg(windows) / cfg(not(target_os = "linux")) branch on this Linux machine;
# the C parts (SQLite) build with Debian's mingw-w64. Nothing is linked or run.
if rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  cargo clippy --locked --target x86_64-pc-windows-gnu --all-targets -- -D warnings
else
  echo "SKIPPED: the x86_64-pc-windows-gnu target is not installed (rustup could not fetch it);"
  echo "         run 'rustup target add x86_64-pc-windows-gnu' where rustup's server is reachable."
fi

step "the engine builds without tauri"
if cargo tree --locked --no-default-features -e normal,build | grep -Ei '^\S*\s*tauri|[ ]tauri' ; then
  echo "error: a tauri crate is in the headless build" >&2; exit 1
fi
cargo clippy --locked --no-default-features --lib -- -D warnings

# The Shopify schema check must run here: a missing tool is a failure, not a skip.
export RECUPERO_SHOPIFY_SCHEMA=1
step "Shopify: every GraphQL document the connector sends, against Shopify's Admin schema"
cargo test --locked --no-default-features --lib stores::shopify::schema_check

# The whole integration suite runs once, below, against the desktop build; here the engine's
# unit tests, and the integration tests that run the real binary, against the binary a headless
# install runs (secrets from the environment, no tray or window).
step "headless tests (no tauri): the unit tests, and the real binary without tauri"
cargo test --locked --no-default-features --lib --bins
cargo test --locked --no-default-features --test integration -- cli:: secrets_at_rest:: backup::

step "all tests, with the real window (Xvfb + WebDriver) and a real keyring"
cat > target/run-tests-in-session.sh <<'INNER'
set -euo pipefail
# An unlocked Secret Service for this D-Bus session, as a desktop login would provide, with a
# keyring of its own (a fresh XDG_DATA_HOME) so an old keyring on the machine can't ask for a
# password nobody will type.
export XDG_DATA_HOME="$(mktemp -d)"
echo -n "recupero-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
RECUPERO_E2E=1 RECUPERO_KEYCHAIN_TESTS=1 cargo test --locked --features mock-runtime
INNER
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash target/run-tests-in-session.sh \
  2> >(grep -v -e 'Failed to set fd limit' -e 'Activating service' -e 'Successfully activated' >&2)

echo
echo "All tests passed in $((SECONDS / 60)) min $((SECONDS % 60)) s. Screenshots of the real window: target/e2e-screenshots/"
