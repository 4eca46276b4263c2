#!/usr/bin/env bash
# One command to run Recupero on a fresh Debian/Ubuntu machine: installs what is missing,
# builds the UI and the app (release), and opens it. Extra arguments go to the app,
# e.g. `scripts/run.sh --data-dir /tmp/shop` or `scripts/run.sh serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# Both binaries: `recupero` (the window) and `recupero-tray` (the app resident in the tray,
# without WebKit), which the window hands over to when it closes.
cargo build --locked --release --features custom-protocol --bins
exec "${CARGO_TARGET_DIR:-target}/release/recupero" "$@"
